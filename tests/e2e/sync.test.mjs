// One board on several devices: two browser profiles join it by its share link, both edit it
// offline (the same card moved on one and archived on the other), come back online, and end with
// the same board and the same history. A third device joins late and gets everything.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect, until } from './expect.mjs';
import { startServer, startBrowser, addCard, createBoard, shareLink, serverEvents } from './support.mjs';

let server;
const browsers = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
});

/** A new device: its own browser profile, on the app. */
async function device(url = server.url) {
  const browser = await startBrowser();
  browsers.push(browser);
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, context: browser.context, errors };
}

const syncStatus = (page) => page.getByRole('status', { name: 'Sync status' });

/** Adds a card and waits until it is on the board. */
async function addCardAndSee(page, title) {
  await addCard(page, title);
  await expect(page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: title })).toBeVisible();
}

/** What a person sees of the board: each column's cards, the archive, and the history. */
async function seen(page) {
  return page.evaluate(() => {
    const columns = [...document.querySelectorAll('.columns ul[aria-label]')].map((list) => ({
      column: list.getAttribute('aria-label'),
      cards: [...list.querySelectorAll(':scope > li .card-title')].map((c) => c.textContent.trim()),
    }));
    const archived = document.querySelector('.archive summary')?.textContent;
    const history = [...document.querySelectorAll('ol[aria-label="Activity"] > li')].map((item) =>
      item.textContent.replace(/just now|\d+ min ago/g, '').trim(),
    );
    return { columns, archived, history };
  });
}

test('two devices edit offline and converge; a third joins late', async () => {
  const laptop = await device();
  await createBoard(laptop.page, 'Trip');
  await addCardAndSee(laptop.page, 'Tickets');
  await addCardAndSee(laptop.page, 'Hotel');
  await expect(syncStatus(laptop.page)).toContainText('Synced');

  const { link } = await shareLink(laptop.page);
  assert.match(link, /#\/join\/[0-9a-f-]{36}\/[A-Za-z0-9_-]{43}\/[A-Za-z0-9_-]{43}$/, 'the token and the key, made on this device, travel in the fragment only');

  const phone = await device(link);
  await expect(phone.page.getByRole('heading', { level: 1, name: 'Trip' })).toBeVisible();
  await expect(phone.page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem')).toHaveCount(2);
  assert.ok(!phone.page.url().includes('/join/'), 'the link with its token leaves the address bar');
  await expect(syncStatus(phone.page)).toContainText('Synced');

  // Both go offline and edit the same card.
  await laptop.context.setOffline(true);
  await phone.context.setOffline(true);
  await expect(syncStatus(laptop.page)).toContainText('Offline');
  await expect(syncStatus(phone.page)).toContainText('Offline');

  const laptopTickets = laptop.page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: 'Tickets' });
  await laptopTickets.getByRole('button', { name: 'Move right' }).click();
  await expect(laptop.page.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem').filter({ hasText: 'Tickets' })).toBeVisible();
  await addCardAndSee(laptop.page, 'Packed on the laptop');

  const phoneTickets = phone.page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: 'Tickets' });
  await phoneTickets.getByRole('button', { name: 'Archive' }).click();
  await expect(phoneTickets).toHaveCount(0);
  await addCardAndSee(phone.page, 'Booked on the phone');
  await expect(syncStatus(phone.page)).toContainText('pending');

  // Both come back; within a few seconds they show the same board and the same history.
  await laptop.context.setOffline(false);
  await phone.context.setOffline(false);
  await until(async () => {
    const [a, b] = [await seen(laptop.page), await seen(phone.page)];
    return { ok: JSON.stringify(a) === JSON.stringify(b) && a.history.length > 0, seen: { laptop: a, phone: b } };
  }, 'both devices show the same board and history');
  await expect(syncStatus(laptop.page)).toContainText('Synced');
  await expect(syncStatus(phone.page)).toContainText('Synced');
  const board = await seen(laptop.page);
  const titles = board.columns.flatMap((c) => c.cards);
  assert.ok(titles.includes('Packed on the laptop') && titles.includes('Booked on the phone'), 'nothing was lost');
  assert.equal(titles.filter((t) => t === 'Tickets').length, 0, 'the archive holds, wherever the move landed');
  assert.equal(board.archived, 'Archived cards (1)');

  // A third device joins late and gets the whole history, in the same order.
  const tablet = await device(link);
  await until(async () => {
    const [a, c] = [await seen(laptop.page), await seen(tablet.page)];
    return { ok: JSON.stringify(a) === JSON.stringify(c), seen: { laptop: a, tablet: c } };
  }, 'the late device shows the same board and history');

  for (const d of [laptop, phone, tablet]) assert.deepEqual(d.errors, []);
});

test('a share link with a wrong key leaves a board syncing with the key it had', async () => {
  const laptop = await device();
  await createBoard(laptop.page, 'Kept key');
  await addCardAndSee(laptop.page, 'Before the link');
  await expect(syncStatus(laptop.page)).toContainText('Synced');
  const { stream, token } = await shareLink(laptop.page);

  // A crafted link names this board with another key.
  const wrong = 'A'.repeat(43);
  assert.notEqual(wrong, token);
  await laptop.page.goto(`${server.url}#/join/${stream}/${wrong}`);
  await expect(laptop.page.getByRole('alert')).toContainText("The link's key does not open this board on the server");
  await expect(laptop.page.getByRole('heading', { level: 1, name: 'Kept key' })).toBeVisible();
  assert.equal((await shareLink(laptop.page)).token, token, 'the key is the one it had');

  // And it still syncs with it: the server gets the next card, sealed.
  await addCardAndSee(laptop.page, 'After the link');
  await until(async () => {
    const events = await serverEvents(laptop.page, server.url);
    const titles = events.filter((e) => e.type === 'card_added').map((e) => e.data.title);
    return { ok: titles.includes('After the link') && events.every((e) => e.sealed), seen: titles };
  }, 'the server should have the card added after the link');
  expect(laptop.errors).toEqual([]);
});
