// A person's first board: create it, add cards, move one to Done, reload, and find it all again.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
import { useApp, startBrowser, createBoard, addCard } from './support.mjs';

const app = useApp({ before, after });

test('a board survives a reload with its cards and activity', async () => {
  const page = await app.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The app runs under the server's Content-Security-Policy: nothing it does is refused.
  const policy = (await fetch(app.url)).headers.get('content-security-policy');
  expect(policy.includes("frame-ancestors 'none'") && policy.includes("'wasm-unsafe-eval'")).toEqual(true);
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  await page.goto(app.url);

  await createBoard(page, 'Release 1.0');
  await expect(page.getByRole('heading', { level: 1, name: 'Release 1.0' })).toBeVisible();

  for (const title of ['Fix login', 'Write release notes', 'Ship it']) {
    await addCard(page, title);
  }
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await expect(todo.getByRole('listitem')).toHaveCount(3);

  // An empty title is refused next to the control and nothing is written.
  await page.getByRole('button', { name: 'Add card' }).first().click();
  await expect(page.getByRole('alert').filter({ hasText: 'A card needs a title.' })).toBeVisible();

  const card = todo.getByRole('listitem').filter({ hasText: 'Fix login' });
  await card.getByRole('button', { name: 'Move right' }).click();
  const doing = page.getByRole('list', { name: 'Doing', exact: true });
  await doing.getByRole('listitem').filter({ hasText: 'Fix login' }).getByRole('button', { name: 'Move right' }).click();
  const done = page.getByRole('list', { name: 'Done', exact: true });
  await expect(done.getByRole('listitem').filter({ hasText: 'Fix login' })).toBeVisible();

  const activity = page.getByRole('list', { name: 'Activity' });
  await expect(activity.getByText("Moved 'Fix login' from Doing to Done")).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');

  await page.reload();

  await expect(page.getByRole('heading', { level: 1, name: 'Release 1.0' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('list', { name: 'Done', exact: true }).getByRole('listitem').filter({ hasText: 'Fix login' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Activity' }).getByText("Moved 'Fix login' from Doing to Done")).toBeVisible();
  await expect(page.getByRole('list', { name: 'Activity' }).getByText("Added 'Ship it' to To do")).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('events');

  // Back on the board list, the board is there to open again.
  await page.getByRole('link', { name: 'All boards' }).click();
  await expect(page.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'Release 1.0' })).toBeVisible();
  await expect(page.getByText(/^Storage: .* used of .* available\./)).toBeVisible();
  expect(errors).toEqual([]);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
  await page.close();
});

test('a first visit shows the page before the app has compiled, and the app takes its place', async (t) => {
  // A fresh profile: no service worker answers for the server yet.
  const browser = await startBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  // Holds the app's wasm back until the static first paint has been seen.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route(/_bg\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  // From the first paint to the board list, the top bar and the line under the heading stay:
  // the app's own view while storage opens is the first paint's, so nothing flashes away and back.
  await page.addInitScript(() => {
    const lede = 'Everything is kept in this browser, change by change, and works without a network.';
    window.__gaps = [];
    let seen = false;
    // The first paint itself stays until the board list takes its place: an element put in its
    // place while storage opens would be painted anew, by the app, and become the page's largest
    // paint.
    window.__replacedEarly = false;
    window.__rootShown = false;
    new MutationObserver(() => {
      const text = document.body?.textContent ?? '';
      if (document.querySelector('.topbar .brand') && text.includes(lede)) seen = true;
      else if (seen) window.__gaps.push(text.trim().slice(0, 80));
      const listed = [...document.querySelectorAll('h1')].some((h) => h.textContent === 'Your boards');
      if (seen && !document.getElementById('first-paint') && !listed) window.__replacedEarly = true;
      // Meanwhile the app's own root takes no room beside it.
      const root = document.querySelector('body > .app:not(#first-paint)');
      if (root && document.getElementById('first-paint')) window.__rootShown ||= getComputedStyle(root).display !== 'none';
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.goto(app.url);
  await expect(page.locator('#first-paint')).toContainText('Opening your boards…');
  await expect(page.locator('#first-paint .brand')).toBeVisible();
  release();
  await expect(page.getByRole('button', { name: 'New board' })).toBeVisible();
  expect(await page.locator('#first-paint').count()).toEqual(0);
  expect(await page.evaluate(() => window.__gaps)).toEqual([]);
  expect(await page.evaluate(() => window.__replacedEarly)).toEqual(false);
  expect(await page.evaluate(() => window.__rootShown)).toEqual(false);
  // The assets went out compressed, and the hashed ones may be kept a year.
  const wasm = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.endsWith('_bg.wasm')).name);
  const response = await fetch(wasm, { headers: { 'accept-encoding': 'br, gzip' } });
  expect(response.headers.get('content-encoding')).toEqual('br');
  expect(response.headers.get('cache-control')).toEqual('public, max-age=31536000, immutable');
});

test('a column longer than the window shows every card after a reload, in order', async () => {
  const page = await app.context.newPage();
  // A short window: the board's first frame draws only the cards it can show.
  await page.setViewportSize({ width: 1280, height: 400 });
  await page.goto(app.url);
  await createBoard(page, 'Long column');
  const titles = Array.from({ length: 16 }, (_, i) => `Task ${i + 1}`);
  for (const title of titles) await addCard(page, title);
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await expect(todo.getByRole('listitem')).toHaveCount(titles.length);

  await page.reload();
  await expect(page.getByLabel('16 cards')).toBeVisible();
  await expect(todo.getByRole('listitem')).toHaveCount(titles.length);
  expect(await todo.locator('.card-title').allTextContents()).toEqual(titles);
  // The last card, below the fold, is there to act on.
  await todo.getByRole('listitem').filter({ hasText: 'Task 16' }).getByRole('button', { name: 'Move up' }).click();
  await expect(todo.getByRole('listitem').nth(14)).toContainText('Task 16');

  // A page the browser does not show runs no animation frames: its cards come all the same.
  const hidden = await app.context.newPage();
  await hidden.setViewportSize({ width: 1280, height: 400 });
  await hidden.addInitScript(() => { window.requestAnimationFrame = () => 0; });
  await hidden.goto(page.url());
  const hiddenTodo = hidden.getByRole('list', { name: 'To do', exact: true });
  await expect(hidden.getByLabel('16 cards')).toBeVisible();
  await expect(hiddenTodo.getByRole('listitem')).toHaveCount(titles.length);
  await hidden.close();
  await page.close();
});
