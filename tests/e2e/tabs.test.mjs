// One board open in two tabs of the same browser behaves as one board.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect, until } from './expect.mjs';
import { useApp, createBoard, addCard, serverEvents } from './support.mjs';

const app = useApp({ before, after });

test('an edit in one tab appears in the other', async () => {
  const first = await app.context.newPage();
  await first.goto(app.url);
  await createBoard(first, 'Shared');
  await expect(first.getByRole('heading', { level: 1, name: 'Shared' })).toBeVisible();

  const second = await app.context.newPage();
  await second.goto(first.url());
  await expect(second.getByRole('heading', { level: 1, name: 'Shared' })).toBeVisible();

  await addCard(first, 'From the first tab');
  const secondTodo = second.getByRole('list', { name: 'To do', exact: true });
  await expect(secondTodo.getByRole('listitem').filter({ hasText: 'From the first tab' })).toBeVisible();

  await secondTodo.getByRole('listitem').filter({ hasText: 'From the first tab' }).getByRole('button', { name: 'Move right' }).click();
  const firstDoing = first.getByRole('list', { name: 'Doing', exact: true });
  await expect(firstDoing.getByRole('listitem').filter({ hasText: 'From the first tab' })).toBeVisible();

  // Both keep writing, each after the other's events.
  await addCard(first, 'Again from the first');
  await expect(secondTodo.getByRole('listitem')).toHaveCount(1);
  await second.reload();
  await expect(second.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem')).toHaveCount(1);
  await expect(secondTodo.getByRole('listitem')).toHaveCount(1);
  await first.close();
  await second.close();
});

test('one tab syncs a board; when it closes another takes over, and nothing is pushed twice', async () => {
  const first = await app.context.newPage();
  await first.goto(app.url);
  await createBoard(first, 'Handed over');
  await expect(first.getByRole('heading', { level: 1, name: 'Handed over' })).toBeVisible();
  const second = await app.context.newPage();
  await second.goto(first.url());
  await expect(second.getByRole('heading', { level: 1, name: 'Handed over' })).toBeVisible();

  // Both tabs add cards at once; one of them syncs for both.
  await Promise.all([
    (async () => {
      for (const t of ['One', 'Two']) {
        await addCard(first, t);
      }
    })(),
    (async () => {
      for (const t of ['Three', 'Four']) {
        await addCard(second, t);
      }
    })(),
  ]);
  await expect(second.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem')).toHaveCount(4);
  await expect(first.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem')).toHaveCount(4);
  await expect(first.getByRole('alert')).toHaveCount(0);
  await expect(second.getByRole('alert')).toHaveCount(0);
  await expect(second.getByRole('status', { name: 'Sync status' })).toContainText('Synced');
  await expect(first.getByRole('status', { name: 'Sync status' })).toContainText('Synced');

  // The tab that opened first holds the sync; it closes, and the edit made in the other still
  // reaches the server.
  await first.close();
  await addCard(second, 'After the handover');
  await until(async () => {
    const events = await serverEvents(second, app.url);
    const titles = events.filter((e) => e.type === 'card_added').map((e) => e.data.title);
    return { ok: titles.includes('After the handover'), seen: titles };
  }, 'the edit reaches the server');
  const events = await serverEvents(second, app.url);
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'no event is stored twice');
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  assert.equal(events.filter((e) => e.type === 'card_added').length, 5);
  assert.ok(events.every((e) => e.sealed), 'every event reached the server sealed');
  await second.close();
});

test('a page the browser brings back from its back/forward cache starts afresh', async () => {
  const page = await app.context.newPage();
  await page.goto(app.url);
  await createBoard(page, 'Brought back');
  await addCard(page, 'Kept');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  // What it was storing was aborted when it was put aside, and other tabs' notices passed it by.
  await page.evaluate(() => {
    window.__beforeRestore = true;
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
  });
  await until(async () => {
    const seen = await page.evaluate(() => window.__beforeRestore === true).catch(() => 'reloading');
    return { ok: seen === false, seen };
  }, 'the page loads again');
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await expect(todo.getByRole('listitem').filter({ hasText: 'Kept' })).toBeVisible();
  await page.close();
});
