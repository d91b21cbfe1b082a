// What a person sees when a save fails, when the board holds events this version cannot read, and
// when the app itself cannot start.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
import { useApp, startBrowser, createBoard, addCard } from './support.mjs';

const app = useApp({ before, after });

/**
 * Writes, as another tab would, one event of a type this version does not know: at the board's
 * current revision, which it moves on in the same transaction.
 */
async function writeFromAnotherTab(page) {
  await page.evaluate(async () => {
    const stream = location.hash.split('/').pop();
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('chronicle');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const id = crypto.randomUUID();
    const event = { id, stream, type: 'card_labelled', version: 1, device: crypto.randomUUID(), at: Date.now(), data: { label: 'bug' } };
    await new Promise((resolve, reject) => {
      const tx = db.transaction(['events', 'meta'], 'readwrite');
      const meta = tx.objectStore('meta');
      const request = meta.get(`log/${stream}`);
      request.onsuccess = () => {
        const log = request.result;
        tx.objectStore('events').add({ stream, first: log.revision, ids: [id], events: JSON.stringify([event]) });
        meta.put({ ...log, revision: log.revision + 1 }, `log/${stream}`);
      };
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
}

test('a change that races another tab is kept, and unreadable events are kept and counted', async () => {
  const page = await app.context.newPage();
  await page.goto(app.url);
  await createBoard(page, 'Two tabs');
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await page.getByRole('textbox', { name: 'New card in To do' }).fill('First');
  await page.getByRole('button', { name: 'Add card' }).first().click();
  await expect(todo.getByRole('listitem').filter({ hasText: 'First' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');

  // Another tab appends first, at the position this tab is about to write.
  await writeFromAnotherTab(page);
  await page.getByRole('textbox', { name: 'New card in To do' }).fill('Second');
  await page.getByRole('button', { name: 'Add card' }).first().click();
  await expect(todo.getByRole('listitem').filter({ hasText: 'Second' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('1 event(s) from a newer version kept, not shown');

  await page.reload();
  await expect(todo.getByRole('listitem')).toHaveCount(2);
  await expect(todo.getByRole('listitem').filter({ hasText: 'Second' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('1 event(s) from a newer version kept, not shown');
  await expect(page.getByRole('list', { name: 'Activity' }).getByText("Kept an event 'card_labelled' v1")).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.close();
});

test('card text is shown as text, never as markup', async () => {
  const page = await app.context.newPage();
  await page.goto(app.url);
  await createBoard(page, '<img src=x onerror="window.hacked=1">');
  await addCard(page, '<b>bold</b> & <script>window.hacked=2</script>');
  const card = page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem');
  await expect(card).toContainText('<b>bold</b> & <script>window.hacked=2</script>');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('<img src=x onerror="window.hacked=1">');
  expect(await page.evaluate(() => window.hacked ?? null)).toEqual(null);
  expect(await page.locator('.card b, .card script, h1 img').count()).toEqual(0);
  await page.close();
});

test('an app that cannot start says so on the page instead of opening for good', async (t) => {
  // A fresh profile, whose first visit gets a wasm that is not one, as a broken download would.
  const browser = await startBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  await page.route(/_bg\.wasm$/, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: 'not a module' }));
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Chronicle could not start' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Its files could not be loaded');
  await expect(page.getByRole('alert')).toContainText('Check the connection and reload the page');
});
