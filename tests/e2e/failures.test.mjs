// What a person sees when a save fails, when the board holds events this version cannot read,
// when the server has lost part of a board's history, and when the app itself cannot start.

import fs from 'node:fs';
import { test, before, after } from 'node:test';
import { expect, until } from './expect.mjs';
import { useApp, startBrowser, startServer, createBoard, addCard, shareLink } from './support.mjs';

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

test('a server restored from an older backup is said so, and not asked again and again', async () => {
  let server = await startServer();
  const { port, database } = server;
  const browser = await startBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await createBoard(page, 'Backed up');
    const sync = page.getByRole('status', { name: 'Sync status' });
    await expect(sync).toContainText('Synced');
    // How many events the server holds, and how many this device has stored as confirmed.
    const { stream, token } = await shareLink(page);
    const held = async () => {
      const response = await fetch(new URL(`/api/v1/streams/${stream}/events`, server.url), { headers: { authorization: `Bearer ${token}` } });
      return (await response.json()).events.length;
    };
    const confirmedHere = () => page.evaluate((stream) => new Promise((resolve) => {
      const open = indexedDB.open('chronicle');
      open.onsuccess = () => {
        const read = open.result.transaction('meta').objectStore('meta').get(`log/${stream}`);
        read.onsuccess = () => { resolve(read.result?.confirmed ?? 0); open.result.close(); };
      };
    }), stream);
    const before = await held();

    // The server's database is copied while it is stopped: the backup.
    await server.close();
    const sqlite = [database, `${database}-wal`, `${database}-shm`];
    const files = sqlite.filter((f) => fs.existsSync(f));
    for (const file of files) fs.copyFileSync(file, `${file}.backup`);
    server = await startServer({ port, database });
    await addCard(page, 'Confirmed after the backup');
    await until(async () => {
      const [there, here] = [await held(), await confirmedHere()];
      return { ok: there > before && here === there, seen: { there, here } };
    }, 'the card is on the server and confirmed here');

    // Restored from the backup, the server lacks the card this device holds as confirmed.
    await server.close();
    for (const file of sqlite) fs.rmSync(file, { force: true });
    for (const file of files) fs.copyFileSync(`${file}.backup`, file);
    server = await startServer({ port, database });
    const pushes = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/events')) pushes.push(Date.now());
    });
    await addCard(page, 'Made after the restore');
    await expect(sync).toContainText("The server's copy of this board lacks changes");
    await expect(sync).toContainText('1 pending');
    // Each attempt waits, longer than the one before, rather than pushing again at once.
    const from = pushes.length;
    await until(async () => ({ ok: pushes.length >= from + 2, seen: pushes.length - from }), 'two more attempts');
    const [first, second] = pushes.slice(from);
    expect(second - first >= 500).toEqual(true);
    const todo = page.getByRole('list', { name: 'To do', exact: true });
    await expect(todo.getByRole('listitem')).toHaveCount(2);
  } finally {
    await browser.close();
    await server.close();
  }
});
