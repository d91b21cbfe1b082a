// A server that refuses one change for good (here, one larger than it takes): that
// change and nothing else is set aside on the device that made it, named in a panel with the
// server's reason, and every other change keeps syncing to the other devices. The person can
// export it, send it again, or let it go.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { expect, until } from './expect.mjs';
import { useServer, addCard, createBoard, shareLink } from './support.mjs';

// Every change of this test is sealed to 400 to 550 bytes but the long card's, about 700.
const app = useServer({ before, after, flags: ['--refuse-larger-than', '620'] });

const { device } = app;

const card = (page, title) =>
  page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: title });

// The longest title a card may have, which the server above refuses once sealed.
const LONG = `Some forbidden words here ${'x'.repeat(174)}`;

test('a refused change is set aside and named while the others keep syncing', async () => {
  const laptop = await device();
  await createBoard(laptop, 'Plans');
  await addCard(laptop, 'Allowed first');
  await expect(laptop.getByRole('status', { name: 'Sync status' })).toContainText('Synced');
  await addCard(laptop, LONG);
  await addCard(laptop, 'Allowed after');

  const refused = laptop.getByRole('region', { name: 'Changes the server refused' });
  await expect(refused).toContainText(`Added '${LONG}' to To do`);
  await expect(refused).toContainText('larger than the 620 bytes this server takes');
  // This device shows the board every device shows: without the refused card.
  await expect(card(laptop, 'forbidden words')).toHaveCount(0);
  await expect(card(laptop, 'Allowed after')).toBeVisible();
  await expect(laptop.getByRole('status', { name: 'Sync status' })).toContainText('Synced');

  const { link } = await shareLink(laptop);
  const phone = await device(link);
  await expect(card(phone, 'Allowed after')).toBeVisible();
  await expect(card(phone, 'Allowed first')).toBeVisible();
  await expect(card(phone, 'forbidden words')).toHaveCount(0);

  // Exported, it is a history file with the refused change in it.
  const [download] = await Promise.all([
    laptop.waitForEvent('download'),
    refused.getByRole('button', { name: 'Export refused changes' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'Plans refused changes.chronicle.jsonl');
  const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((e) => e.data.title), [LONG]);

  // Sent again, the server refuses it again; it is set aside again, nothing else moves. The push
  // is held on its way, so that what is seen next comes after it and not before.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let pushes = 0;
  await laptop.route('**/api/v1/streams/*/events', async (route) => {
    if (route.request().method() === 'POST') {
      pushes += 1;
      await held;
    }
    await route.continue();
  });
  await refused.getByRole('button', { name: 'Send again' }).click();
  await until(async () => ({ ok: pushes > 0, seen: pushes }), 'the change was sent again');
  await expect(refused).toHaveCount(0);
  release();
  await expect(refused).toContainText(`Added '${LONG}' to To do`);
  await expect(card(laptop, 'forbidden words')).toHaveCount(0);
  await laptop.unroute('**/api/v1/streams/*/events');

  // Let go, after saying so: gone from this device.
  await refused.getByRole('button', { name: 'Let go' }).click();
  await refused.getByRole('button', { name: 'Remove them' }).click();
  await expect(refused).toHaveCount(0);
  await laptop.reload();
  await expect(card(laptop, 'Allowed after')).toBeVisible();
  await expect(laptop.getByRole('region', { name: 'Changes the server refused' })).toHaveCount(0);
});
