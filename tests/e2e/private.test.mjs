// Private boards against the real server: what the server keeps is sealed (its database, read
// directly, holds none of the titles typed), a device whose link has the wrong key says so and
// changes nothing for the others, a push whose reply is lost is taken again with its first seqs,
// a board from before private boards keeps working and copies into a private one, and after
// "Stop sharing" the old link no longer opens the board.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { expect, until } from './expect.mjs';
import { useServer, addCard, createBoard, shareLink } from './support.mjs';

const app = useServer({ before, after });

const { device } = app;
const syncStatus = (page) => page.getByRole('status', { name: 'Sync status' });
const card = (page, title) =>
  page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: title });

/** Every byte the server's SQLite database holds, write-ahead log included. */
function databaseBytes() {
  return Buffer.concat(
    ['', '-wal'].map((suffix) => app.server.database + suffix).filter((file) => fs.existsSync(file)).map((file) => fs.readFileSync(file)),
  );
}

async function events(stream, token) {
  const response = await fetch(new URL(`/api/v1/streams/${stream}/events`, app.server.url), {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

test('two devices share a private board; the server keeps none of what was typed', async () => {
  const laptop = await device();
  await createBoard(laptop, 'Surprise party');
  await expect(laptop.getByText('End-to-end encrypted')).toBeVisible();
  await addCard(laptop, 'Invite Margarethe');
  await expect(syncStatus(laptop)).toContainText('Synced');
  const { link, stream, token, key } = await shareLink(laptop);
  assert.match(key, /^[A-Za-z0-9_-]{43}$/, 'the key travels in the fragment');

  const phone = await device(link);
  await expect(card(phone, 'Invite Margarethe')).toBeVisible();
  await addCard(phone, 'Order the Zwetschgenkuchen');
  await expect(card(laptop, 'Order the Zwetschgenkuchen')).toBeVisible();
  await expect(syncStatus(phone)).toContainText('Synced');

  const held = await events(stream, token);
  assert.ok(held.body.events.length >= 4);
  assert.ok(held.body.events.every((e) => e.type === 'sealed' && typeof e.data.ciphertext === 'string'));
  const bytes = databaseBytes();
  for (const typed of ['Surprise party', 'Invite Margarethe', 'Zwetschgenkuchen', 'card_added', 'To do']) {
    assert.ok(!bytes.includes(typed), `the server's database holds "${typed}"`);
  }
  assert.ok(bytes.includes(stream), 'the board is there, by its id');

  // A device opened with a link whose key is wrong: it says so, changes nothing, sends nothing.
  const wrongKey = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const before = held.body.events.length;
  const stranger = await device(link.replace(key, wrongKey));
  await expect(stranger.getByRole('alert').filter({ hasText: 'could not be decrypted: they were sealed with another key' })).toBeVisible();
  await expect(stranger.getByRole('textbox', { name: 'New card in To do' })).toHaveCount(0);
  await expect(stranger.getByText('Invite Margarethe')).toHaveCount(0);
  await addCard(laptop, 'Balloons');
  await expect(card(phone, 'Balloons')).toBeVisible();
  await expect(syncStatus(laptop)).toContainText('Synced');
  await until(async () => {
    const now = (await events(stream, token)).body.events;
    return { ok: now.length === before + 1, seen: now.length };
  }, 'only the laptop\'s new card reached the server');
  await expect(phone.getByRole('alert')).toHaveCount(0);
});

test('a push whose reply is lost is sent again with the same bytes and keeps its first seqs', async () => {
  const laptop = await device();
  await createBoard(laptop, 'Flaky network');
  await expect(syncStatus(laptop)).toContainText('Synced');
  const { stream, token } = await shareLink(laptop);

  // The next push reaches the server, but its reply never comes back.
  let lost = 0;
  await laptop.route('**/api/v1/streams/*/events', async (route) => {
    if (route.request().method() === 'POST' && lost === 0) {
      lost += 1;
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await addCard(laptop, 'Sent once, answered never');
  await until(async () => ({ ok: lost === 1, seen: lost }), 'a push was sent and its reply lost');
  await expect(syncStatus(laptop)).toContainText('Synced');
  await expect(laptop.getByRole('region', { name: 'Changes the server refused' })).toHaveCount(0);
  const seqs = (await events(stream, token)).body.events.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs.keys()].map((i) => i + 1), 'dense, and nothing stored twice');
  await laptop.reload();
  await expect(card(laptop, 'Sent once, answered never')).toBeVisible();
});

test('a board from before private boards keeps working and a private copy of it is encrypted', async () => {
  // A board an earlier build made and shared: its events on the server in the clear.
  const created = await fetch(new URL('/api/v1/streams', app.server.url), { method: 'POST', body: '{}' }).then((r) => r.json());
  const { stream, token } = created;
  const device_ = '0191d3a8-7c00-7000-8000-0000000000d1';
  const id = (n) => `0191d3a8-7c00-7000-8000-${String(n).padStart(12, '0')}`;
  const columns = [id(101), id(102), id(103)];
  const clear = [
    { type: 'board_created', version: 1, data: { name: 'Old plans', columns: columns.map((c, i) => ({ id: c, name: ['To do', 'Doing', 'Done'][i] })) } },
    { type: 'card_added', version: 2, data: { card: id(201), column: columns[0], title: 'Written in the clear', description: '' } },
  ].map((e, i) => ({ id: id(i + 1), device: device_, at: 1_790_000_000_000 + i, ...e }));
  const pushed = await fetch(new URL(`/api/v1/streams/${stream}/events`, app.server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: clear }),
  });
  assert.equal(pushed.status, 200, await pushed.text());

  const laptop = await device(`${app.server.url}#/join/${stream}/${token}`);
  await expect(card(laptop, 'Written in the clear')).toBeVisible();
  const note = laptop.getByRole('note', { name: 'Not encrypted' });
  await expect(note).toContainText('the sync server can read it');
  await addCard(laptop, 'Still in the clear');
  await until(async () => {
    const titles = (await events(stream, token)).body.events.map((e) => e.data.title);
    return { ok: titles.includes('Still in the clear'), seen: titles };
  }, 'a board in the clear syncs as it did');

  await note.getByRole('button', { name: 'Start a private copy' }).click();
  await expect(laptop.getByText('End-to-end encrypted')).toBeVisible();
  await expect(card(laptop, 'Written in the clear')).toBeVisible();
  await expect(card(laptop, 'Still in the clear')).toBeVisible();
  await expect(syncStatus(laptop)).toContainText('Synced');
  const copy = await shareLink(laptop);
  assert.notEqual(copy.stream, stream);
  const copied = (await events(copy.stream, copy.token)).body.events;
  assert.ok(copied.length >= 4 && copied.every((e) => e.type === 'sealed'), 'the copy reached the server sealed');
  assert.equal((await events(stream, token)).status, 200, 'the old board is left as it was');
});

test('after Stop sharing the old link no longer opens the board', async () => {
  const laptop = await device();
  await createBoard(laptop, 'Leaked');
  await addCard(laptop, 'Kept safe');
  await expect(syncStatus(laptop)).toContainText('Synced');
  const old = await shareLink(laptop);
  const phone = await device(old.link);
  await expect(card(phone, 'Kept safe')).toBeVisible();

  await laptop.getByRole('button', { name: 'Share' }).click();
  const share = laptop.getByRole('dialog', { name: 'Share this board' });
  await share.getByRole('button', { name: 'Stop sharing' }).click();
  await share.getByRole('button', { name: 'Yes, stop sharing' }).click();
  await expect(laptop.getByRole('alert').filter({ hasText: 'Sharing stopped' })).toBeVisible();
  await expect(card(laptop, 'Kept safe')).toBeVisible();
  await expect(syncStatus(laptop)).toContainText('Synced');
  const fresh = await shareLink(laptop);
  assert.notEqual(fresh.stream, old.stream);
  assert.notEqual(fresh.key, old.key);

  assert.equal((await events(old.stream, old.token)).body.error.code, 'stream_deleted');
  const leaked = await device(old.link);
  await expect(leaked.getByRole('heading', { name: 'This board was deleted' })).toBeVisible();
  await expect(leaked.getByText('Kept safe')).toHaveCount(0);

  // The phone that had it keeps what it has, read-only, and says why.
  await phone.reload();
  await expect(phone.getByRole('alert').filter({ hasText: 'This board was deleted' })).toBeVisible();
  await expect(card(phone, 'Kept safe')).toBeVisible();
  await expect(phone.getByRole('textbox', { name: 'New card in To do' })).toHaveCount(0);
});
