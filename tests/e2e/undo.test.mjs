// Undo and redo as a person uses them: by button, by keyboard and from the notice after a change;
// each one a new change in the history, kept across a reload, and, when another device changed the
// same card since, refused with a sentence that says so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expect } from './expect.mjs';
import { useServer, addCard, createBoard, shareLink } from './support.mjs';

const app = useServer({ before, after });

const { device } = app;
const column = (page, name) => page.getByRole('list', { name, exact: true });
const card = (page, name, title) => column(page, name).getByRole('listitem').filter({ hasText: title });
const eventCount = async (page) =>
  Number((await page.getByRole('status', { name: 'Status', exact: true }).textContent()).match(/(\d+) events?/)[1]);

async function nameDevice(page, name) {
  await page.getByLabel('Device name').fill(name);
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
}

test('undo by button, redo by keyboard, undo from the notice; the history keeps every step', async () => {
  const page = await device();
  await createBoard(page, 'Undoing');
  await addCard(page, 'Fix login');
  await addCard(page, 'Write docs');
  await expect(column(page, 'To do').getByRole('listitem')).toHaveCount(2);
  const undo = page.getByRole('button', { name: 'Undo', exact: true });
  const redo = page.getByRole('button', { name: 'Redo', exact: true });
  await expect(redo).toBeDisabled();
  const before = await eventCount(page);

  await card(page, 'To do', 'Fix login').getByRole('button', { name: 'Move right' }).click();
  await expect(card(page, 'Doing', 'Fix login')).toBeVisible();
  await expect(page.getByRole('button', { name: "Undo move of 'Fix login'" })).toBeVisible();
  await undo.click();
  await expect(card(page, 'To do', 'Fix login')).toBeVisible();
  await expect(column(page, 'Doing').getByRole('listitem')).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Activity' })).toContainText("Undid: Moved 'Fix login' from To do to Doing");

  // Redo with the keyboard, away from any text field.
  await page.getByRole('heading', { level: 1, name: 'Undoing' }).click();
  await page.keyboard.press('Control+Shift+Z');
  await expect(card(page, 'Doing', 'Fix login')).toBeVisible();
  await expect(redo).toBeDisabled();

  // Archive, and Ctrl+Z brings it back; then the notice's own button takes back another archive.
  await card(page, 'To do', 'Write docs').getByRole('button', { name: 'Archive' }).click();
  await expect(column(page, 'To do').getByRole('listitem')).toHaveCount(0);
  await page.getByRole('heading', { level: 1, name: 'Undoing' }).click();
  await page.keyboard.press('Control+z');
  await expect(card(page, 'To do', 'Write docs')).toBeVisible();
  await card(page, 'To do', 'Write docs').getByRole('button', { name: 'Archive' }).click();
  await page.getByRole('button', { name: "Undo archive of 'Write docs'" }).click();
  await expect(card(page, 'To do', 'Write docs')).toBeVisible();

  // In a text field, Ctrl+Z is the field's own.
  const field = page.getByRole('textbox', { name: 'New card in To do' });
  await field.fill('Typed');
  await field.press('Control+z');
  await expect(card(page, 'To do', 'Write docs')).toBeVisible();
  await expect(card(page, 'Doing', 'Fix login')).toBeVisible();

  const after = await eventCount(page);
  assert.ok(after >= before + 6, `every undo and redo is a new event (${before} → ${after})`);
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await page.reload();
  await expect(card(page, 'Doing', 'Fix login')).toBeVisible();
  await expect(card(page, 'To do', 'Write docs')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Undo', exact: true })).toBeDisabled();
});

test("undoing a move another device has since archived is refused, and says so", async () => {
  const laptop = await device();
  await nameDevice(laptop, 'Laptop');
  await createBoard(laptop, 'Shared');
  await addCard(laptop, 'Fix login');
  await expect(laptop.getByRole('status', { name: 'Sync status' })).toContainText('Synced');
  const { link } = await shareLink(laptop);
  const phone = await device();
  await nameDevice(phone, 'Phone');
  await phone.goto(link);
  await expect(card(phone, 'To do', 'Fix login')).toBeVisible();

  await card(laptop, 'To do', 'Fix login').getByRole('button', { name: 'Move right' }).click();
  await expect(card(phone, 'Doing', 'Fix login')).toBeVisible();
  await card(phone, 'Doing', 'Fix login').getByRole('button', { name: 'Archive' }).click();
  await expect(column(laptop, 'Doing').getByRole('listitem')).toHaveCount(0);

  const count = await eventCount(laptop);
  await laptop.getByRole('button', { name: 'Undo', exact: true }).click();
  await expect(laptop.getByRole('alert')).toContainText("'Fix login' was archived on Phone since; there is nothing to undo.");
  assert.equal(await eventCount(laptop), count, 'a refused undo changes nothing');
  // The next undo goes further back, to the card's adding: the phone archived it, so that is
  // refused too, and there is nothing left to undo.
  await laptop.getByRole('button', { name: 'Undo', exact: true }).click();
  await expect(laptop.getByRole('button', { name: 'Undo', exact: true })).toBeDisabled();
  assert.equal(await eventCount(laptop), count);
});
