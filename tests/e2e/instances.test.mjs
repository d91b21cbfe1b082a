// Two servers on one PostgreSQL database, as two instances behind a load balancer: one device
// talks to the first, the other to the second, and both see every change the other makes, live.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect, until } from './expect.mjs';
import { startServer, openDevice, addCard, createBoard, shareLink } from './support.mjs';

const database = process.env.CHRONICLE_TEST_POSTGRES;
const servers = [];
const browsers = [];

before(async () => {
  assert.ok(database, 'CHRONICLE_TEST_POSTGRES names a PostgreSQL to run on (cargo xtask test starts one)');
  servers.push(await startServer({ database }), await startServer({ database }));
});

after(async () => {
  for (const b of browsers) await b.close();
  for (const s of servers) await s.close();
});

const device = (url) => openDevice(url, browsers);

const titles = (page) =>
  page.evaluate(() => [...document.querySelectorAll('.columns .card-title')].map((c) => c.textContent.trim()).sort());

test('two devices on two servers of one database see each other\'s changes live', async () => {
  const [first, second] = servers;
  const laptop = await device(first.url);
  await createBoard(laptop, 'Shared plans');
  await addCard(laptop, 'From the laptop');
  await expect(laptop.getByRole('status', { name: 'Sync status' })).toContainText('Synced');

  // The same board, joined through the other server.
  const { link } = await shareLink(laptop);
  const phone = await device(link.replace(first.url, second.url));
  await expect(phone.getByRole('heading', { level: 1, name: 'Shared plans' })).toBeVisible();
  await expect(phone.getByRole('status', { name: 'Sync status' })).toContainText('Synced');

  await addCard(phone, 'From the phone');
  await addCard(laptop, 'Again from the laptop');
  await until(async () => {
    const [a, b] = [await titles(laptop), await titles(phone)];
    return { ok: JSON.stringify(a) === JSON.stringify(b) && a.length === 3, seen: { laptop: a, phone: b } };
  }, 'both devices show all three cards');
});
