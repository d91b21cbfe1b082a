// After one visit the app opens with the server gone, and a new build is taken only when the
// person accepts it, with every board intact.

import { test, before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from './expect.mjs';
import { startServer, startBrowser, createBoard, addCard, serverEvents, temporaryDirectory } from './support.mjs';

let browser;
let server;
const dist = path.resolve(process.env.CHRONICLE_DIST ?? 'dist');

before(async () => {
  browser = await startBrowser();
});

after(async () => {
  await server?.close();
  await browser?.close();
});

/** A copy of the build that differs as a new build does: another service worker and index. */
function nextBuild() {
  const copy = temporaryDirectory('chronicle-next-build-');
  fs.cpSync(dist, copy, { recursive: true });
  const sw = path.join(copy, 'sw.js');
  fs.writeFileSync(sw, fs.readFileSync(sw, 'utf8').replace(/const BUILD = '[^']*'/, "const BUILD = 'next-build'"));
  const index = path.join(copy, 'index.html');
  fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace('<title>Chronicle</title>', '<title>Chronicle</title><meta name="build" content="next">'));
  // The files as the server sends them, compressed beside each, as a build writes them.
  for (const file of [sw, index]) {
    fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(fs.readFileSync(file)));
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file)));
  }
  return copy;
}

test('opens and saves with the server down, and updates only when asked', async () => {
  server = await startServer({ dist });
  const { port, database } = server;
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await createBoard(page, 'On the train');
  await addCard(page, 'Written online');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });

  await server.close();
  server = undefined;

  await page.reload();
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await expect(todo.getByRole('listitem').filter({ hasText: 'Written online' })).toBeVisible();
  // Every file the (minified) page links to is kept too: its icon and its manifest.
  const linked = await page.evaluate(() => Promise.all(
    [...document.querySelectorAll('link[rel=icon], link[rel=manifest]')].map(async (link) => [link.rel, (await fetch(link.href)).ok]),
  ));
  expect(linked).toEqual([['icon', true], ['manifest', true]]);
  await addCard(page, 'Written offline');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await page.getByRole('link', { name: 'All boards' }).click();
  await expect(page.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'On the train' })).toBeVisible();

  // The server comes back with a new build: it waits until the person accepts it.
  server = await startServer({ dist: nextBuild(), port, database });
  await page.evaluate(async () => (await navigator.serviceWorker.ready).update());
  await expect(page.getByRole('status', { name: 'Update' })).toContainText('Update available');
  expect(await page.locator('meta[name="build"]').count()).toEqual(0);
  await page.getByRole('status', { name: 'Update' }).getByRole('button', { name: 'Reload' }).click();

  await page.waitForFunction(() => document.querySelector('meta[name="build"]')?.content === 'next', null, { timeout: 20_000 });
  await page.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'On the train' }).click();
  await expect(todo.getByRole('listitem')).toHaveCount(2);

  // The server is back: the card written while it was down syncs.
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText('Synced');
  const events = await serverEvents(page, server.url);
  const titles = events.filter((e) => e.type === 'card_added').map((e) => e.data.title);
  expect(titles).toEqual(['Written online', 'Written offline']);
  expect(events.every((e) => e.sealed)).toEqual(true);
  await page.close();
});
