// A browser profile written by an earlier build opens in this one with nothing lost: the
// database is upgraded in place, step by step, and the board reads and works as before.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
import { useApp, addCard, writeLayoutTwo } from './support.mjs';

const app = useApp({ before, after });

test('a board kept by the previous layout opens, reads and takes changes as before', async () => {
  const page = await app.context.newPage();
  // Same origin as the app, without starting it, so that the old layout is written first.
  await page.goto(new URL('/manifest.webmanifest', app.url).href);
  const stream = await page.evaluate(writeLayoutTwo);

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
