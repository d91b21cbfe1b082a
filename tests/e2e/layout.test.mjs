// A browser profile written by an earlier build opens in this one with nothing lost: the
// database is upgraded in place, step by step, and the board reads and works as before.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
import { useApp, addCard } from './support.mjs';

const app = useApp({ before, after });

/**
 * Writes, as the build before layout 3 did, a board whose first event is confirmed and whose
 * second is pending: layout 2's stores and indexes, log state as JSON text. Returns its id.
 */
function writeLayoutTwo(page) {
  return page.evaluate(async () => {
    const stream = crypto.randomUUID();
    const device = crypto.randomUUID();
    const [todo, doing, done, created, added, card] = Array.from({ length: 6 }, () => crypto.randomUUID());
    const board = {
      id: created, stream, type: 'board_created', version: 1, device, at: 1_700_000_000_000, seq: 1,
      data: { name: 'Kept from layout 2', columns: [{ id: todo, name: 'To do' }, { id: doing, name: 'Doing' }, { id: done, name: 'Done' }] },
    };
    const cardAdded = {
      id: added, stream, type: 'card_added', version: 2, device, at: 1_700_000_001_000,
      data: { card, column: todo, title: 'Written by layout 2', description: '' },
    };
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('chronicle', 2);
      request.onupgradeneeded = () => {
        const db = request.result;
        const pending = db.createObjectStore('events', { keyPath: ['stream', 'first'] });
        pending.createIndex('by_id', 'ids', { unique: true, multiEntry: true });
        pending.createIndex('by_seq', 'seqs', { unique: true, multiEntry: true });
        db.createObjectStore('meta');
        db.createObjectStore('snapshots');
        const confirmed = db.createObjectStore('confirmed', { keyPath: ['stream', 'first'] });
        confirmed.createIndex('by_id', 'ids', { multiEntry: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction(['confirmed', 'events', 'meta'], 'readwrite');
      tx.objectStore('confirmed').add({ stream, first: 0, ids: [created], seqs: [[stream, 1]], events: JSON.stringify([board]) });
      tx.objectStore('events').add({ stream, first: 1, ids: [added], seqs: [], events: JSON.stringify([cardAdded]) });
      const meta = tx.objectStore('meta');
      meta.put(stream, `board/${stream}`);
      meta.put(JSON.stringify({ revision: 2, confirmed: 1 }), `log/${stream}`);
      meta.put(device, 'device/id');
      meta.put('Old laptop', 'device/name');
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return stream;
  });
}

test('a board kept by the previous layout opens, reads and takes changes as before', async () => {
  const page = await app.context.newPage();
  // Same origin as the app, without starting it, so that the old layout is written first.
  await page.goto(new URL('/manifest.webmanifest', app.url).href);
  const stream = await writeLayoutTwo(page);

  await page.goto(`${app.url}#/board/${stream}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kept from layout 2');
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await expect(todo.getByRole('listitem').filter({ hasText: 'Written by layout 2' })).toBeVisible();

  await addCard(page, 'Written after the upgrade');
  await expect(todo.getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await page.reload();
  await expect(todo.getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('Old laptop');

  // The store of pending events lost only the index nothing read, layout 4 added the store of
  // changes the server refused, layout 5 took the confirmed events' index of ids away, and layout
  // 6 added the store of sealed forms.
  const indexes = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const request = indexedDB.open('chronicle');
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction(['events', 'confirmed']);
          const names = (store) => [...tx.objectStore(store).indexNames];
          resolve({ version: db.version, pending: names('events'), confirmed: names('confirmed'), stores: [...db.objectStoreNames].sort() });
          db.close();
        };
      }),
  );
  expect(indexes).toEqual({
    version: 6,
    pending: ['by_id'],
    confirmed: [],
    stores: ['confirmed', 'events', 'meta', 'sealed', 'set_aside', 'snapshots'],
  });
  await page.close();
});
