// One board open in two tabs of the same browser behaves as one board.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
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
