// One board open in two tabs of the same browser behaves as one board.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect, until } from './expect.mjs';
import { useApp } from './support.mjs';

const app = useApp({ before, after });

test('an edit in one tab appears in the other', async () => {
  const first = await app.context.newPage();
  await first.goto(app.url);
  await first.getByRole('textbox', { name: 'New board name' }).fill('Shared');
  await first.getByRole('button', { name: 'New board' }).click();
  await expect(first.getByRole('heading', { level: 1, name: 'Shared' })).toBeVisible();

  const second = await app.context.newPage();
  await second.goto(first.url());
  await expect(second.getByRole('heading', { level: 1, name: 'Shared' })).toBeVisible();

  await first.getByRole('textbox', { name: 'New card in To do' }).fill('From the first tab');
  await first.getByRole('textbox', { name: 'New card in To do' }).press('Enter');
  const secondTodo = second.getByRole('list', { name: 'To do', exact: true });
  await expect(secondTodo.getByRole('listitem').filter({ hasText: 'From the first tab' })).toBeVisible();

  await secondTodo.getByRole('listitem').filter({ hasText: 'From the first tab' }).getByRole('button', { name: 'Move right' }).click();
  const firstDoing = first.getByRole('list', { name: 'Doing', exact: true });
  await expect(firstDoing.getByRole('listitem').filter({ hasText: 'From the first tab' })).toBeVisible();

  // Both keep writing, each after the other's events.
  await first.getByRole('textbox', { name: 'New card in To do' }).fill('Again from the first');
  await first.getByRole('textbox', { name: 'New card in To do' }).press('Enter');
  await expect(secondTodo.getByRole('listitem')).toHaveCount(1);
  await second.reload();
  await expect(second.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem')).toHaveCount(1);
  await expect(secondTodo.getByRole('listitem')).toHaveCount(1);
  await first.close();
  await second.close();
});

/** The board's events as the server has them, read with the token from the board's share link. */
async function serverEvents(page) {
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  await page.getByRole('dialog', { name: 'Share this board' }).getByRole('button', { name: 'Close' }).click();
  const [, stream, token] = link.match(/#\/join\/([^/]+)\/(.+)$/);
  const response = await fetch(new URL(`/api/v1/streams/${stream}/events`, app.url), {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()).events;
}

test('one tab syncs a board; when it closes another takes over, and nothing is pushed twice', async () => {
  const first = await app.context.newPage();
  await first.goto(app.url);
  await first.getByRole('textbox', { name: 'New board name' }).fill('Handed over');
  await first.getByRole('button', { name: 'New board' }).click();
  await expect(first.getByRole('heading', { level: 1, name: 'Handed over' })).toBeVisible();
  const second = await app.context.newPage();
  await second.goto(first.url());
  await expect(second.getByRole('heading', { level: 1, name: 'Handed over' })).toBeVisible();

  // Both tabs add cards at once; one of them syncs for both.
  await Promise.all([
    (async () => {
      for (const t of ['One', 'Two']) {
        await first.getByRole('textbox', { name: 'New card in To do' }).fill(t);
        await first.getByRole('textbox', { name: 'New card in To do' }).press('Enter');
      }
    })(),
    (async () => {
      for (const t of ['Three', 'Four']) {
        await second.getByRole('textbox', { name: 'New card in To do' }).fill(t);
        await second.getByRole('textbox', { name: 'New card in To do' }).press('Enter');
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
  await second.getByRole('textbox', { name: 'New card in To do' }).fill('After the handover');
  await second.getByRole('textbox', { name: 'New card in To do' }).press('Enter');
  await until(async () => {
    const events = await serverEvents(second);
    const titles = events.filter((e) => e.type === 'card_added').map((e) => e.data.title);
    return { ok: titles.includes('After the handover'), seen: titles };
  }, 'the edit reaches the server');
  const events = await serverEvents(second);
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'no event is stored twice');
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  assert.equal(events.filter((e) => e.type === 'card_added').length, 5);
  await second.close();
});
