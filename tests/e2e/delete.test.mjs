// Deleting a board: asked first, gone from this browser, and, when the person says so, from the
// server too, where the other devices learn it and keep what they have, read-only.

import { test, before, after } from 'node:test';
import { expect } from './expect.mjs';
import { useServer, addCard, createBoard, shareLink } from './support.mjs';

const app = useServer({ before, after });

const card = (page, title) =>
  page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: title });

test('a board deleted here and from the server is gone here and read-only on the other devices', async () => {
  const laptop = await app.device();
  await createBoard(laptop, 'Old project');
  await addCard(laptop, 'Last task');
  await expect(laptop.getByRole('status', { name: 'Sync status' })).toContainText('Synced');
  const { link } = await shareLink(laptop);
  const phone = await app.device(link);
  await expect(card(phone, 'Last task')).toBeVisible();

  // Asked first; cancelling keeps everything.
  await laptop.getByRole('button', { name: 'Delete board' }).click();
  const asking = laptop.getByRole('dialog', { name: 'Delete this board?' });
  await expect(asking).toContainText('This cannot be undone');
  await asking.getByRole('button', { name: 'Cancel' }).click();
  await expect(card(laptop, 'Last task')).toBeVisible();

  await laptop.getByRole('button', { name: 'Delete board' }).click();
  await asking.getByRole('checkbox', { name: /Also delete it from the server/ }).check();
  await asking.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(laptop.getByRole('alert').filter({ hasText: 'The board was deleted.' })).toBeVisible();
  await expect(laptop.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'Old project' })).toHaveCount(0);

  await phone.reload();
  await expect(phone.getByRole('alert').filter({ hasText: 'This board was deleted' })).toBeVisible();
  await expect(card(phone, 'Last task')).toBeVisible();
  await expect(phone.getByRole('textbox', { name: 'New card in To do' })).toHaveCount(0);
  await expect(phone.getByRole('status', { name: 'Sync status' })).toContainText('Deleted from the server');

  // Leaving it on the phone too: it is gone from this browser only.
  await phone.getByRole('button', { name: 'Delete board' }).click();
  await phone.getByRole('dialog', { name: 'Delete this board?' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(phone.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'Old project' })).toHaveCount(0);
});
