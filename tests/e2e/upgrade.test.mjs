// A newer version of the app, opening in another tab, upgrades the database: the older tab steps
// aside at once instead of blocking it or writing in the old layout, and says how to go on.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect } from './expect.mjs';
import { useApp, createBoard } from './support.mjs';

const app = useApp({ before, after });

test('an older tab steps aside when a newer one upgrades the database', async () => {
  const old = await app.context.newPage();
  await old.goto(app.url);
  await createBoard(old, 'Kept through the upgrade');
  await expect(old.getByRole('status', { name: 'Status' })).toContainText('All changes saved');

  // The newer version opens the database at a higher version, as an app update would.
  const newer = await app.context.newPage();
  await newer.goto(new URL('/manifest.webmanifest', app.url).href);
  const upgraded = await newer.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('chronicle', 99);
        request.onupgradeneeded = () => request.result.createObjectStore('from_the_future');
        request.onsuccess = () => {
          const names = [...request.result.objectStoreNames];
          request.result.close();
          resolve(names);
        };
        // "blocked" may be reported while the older tab closes; what matters is that it ends.
        request.onerror = () => reject(request.error);
      }),
  );
  assert.ok(upgraded.includes('events') && upgraded.includes('from_the_future'), 'the upgrade went through');

  await expect(old.getByRole('alertdialog', { name: 'Chronicle was updated' })).toBeVisible();
  await expect(old.getByRole('alertdialog', { name: 'Chronicle was updated' }).getByRole('button', { name: 'Reload' })).toBeVisible();

  // This (older) build cannot open the newer layout, and says so instead of failing silently.
  await old.reload();
  await expect(old.getByRole('alert')).toContainText('a newer version of Chronicle has already updated');
  await old.close();
  await newer.close();
});
