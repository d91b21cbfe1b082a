// Everyday editing, as a person does it: by mouse, by keyboard, by dragging, and on a phone.

import { test, before, after } from 'node:test';
import { expect, until } from './expect.mjs';
import { useApp, createBoard, addCard } from './support.mjs';

const app = useApp({ before, after });

async function newBoard(page, name, cards) {
  await page.goto(app.url);
  await createBoard(page, name);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  for (const title of cards) {
    await addCard(page, title);
  }
  await expect(page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem')).toHaveCount(cards.length);
}

test('edit, archive, restore, rename and refuse, with the device named', async () => {
  const page = await app.context.newPage();
  await page.goto(app.url);
  await page.getByLabel('Device name').fill('Laptop');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  await newBoard(page, 'Editing', ['Fix login', 'Write docs']);
  const todo = page.getByRole('list', { name: 'To do', exact: true });

  // While a card is being edited its title is in a text box, so it is found by place.
  const card = todo.getByRole('listitem').first();
  await card.getByRole('button', { name: 'Edit' }).click();
  await card.getByLabel('Title').fill('Fix login on Safari');
  await card.getByLabel('Description').fill('Only on 17.2 and later.');
  await card.getByRole('button', { name: 'Save' }).click();
  const edited = todo.getByRole('listitem').first();
  await expect(edited).toContainText('Fix login on Safari');
  await expect(edited).toContainText('Only on 17.2 and later.');

  // The title field takes at most the 200 characters a title may have; cancelling changes nothing.
  await edited.getByRole('button', { name: 'Edit' }).click();
  await edited.getByLabel('Title').fill('x'.repeat(201));
  await expect(edited.getByLabel('Title')).toHaveValue('x'.repeat(200));
  await edited.getByRole('button', { name: 'Cancel' }).click();
  await expect(edited).toContainText('Fix login on Safari');

  // Escape leaves the editor without saving.
  await edited.getByRole('button', { name: 'Edit' }).click();
  await edited.getByLabel('Title').fill('Not this');
  await edited.getByLabel('Title').press('Escape');
  await expect(edited).toContainText('Fix login on Safari');

  await todo.getByRole('listitem').filter({ hasText: 'Write docs' }).getByRole('button', { name: 'Archive' }).click();
  await expect(todo.getByRole('listitem')).toHaveCount(1);
  await page.getByText('Archived cards (1)').click();
  await page.getByRole('list', { name: 'Archived cards' }).getByRole('button', { name: 'Restore Write docs' }).click();
  await expect(todo.getByRole('listitem')).toHaveCount(2);

  // Removing a column that holds cards is refused with the reason.
  await page.getByLabel('Column options for To do').click();
  await page.getByRole('button', { name: 'Remove column' }).first().click();
  await expect(page.getByRole('alert').filter({ hasText: 'Only an empty column can be removed; this one has 2 card(s).' })).toBeVisible();

  await page.getByLabel('Column options for Doing').click();
  await page.getByRole('button', { name: 'Rename column' }).nth(1).click();
  await page.getByRole('textbox', { name: 'Column name', exact: true }).fill('In progress');
  await page.getByRole('textbox', { name: 'Column name', exact: true }).press('Enter');
  await expect(page.getByRole('list', { name: 'In progress', exact: true })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'New card in In progress' })).toBeVisible();

  // Columns move from their menus; the first cannot go further left, nor the last further right.
  const columns = page.locator('.column-name');
  const menu = async (name) => {
    const details = page.locator('details.column-menu').filter({ has: page.getByLabel(`Column options for ${name}`, { exact: true }) });
    if (!(await details.evaluate((d) => d.open))) await page.getByLabel(`Column options for ${name}`, { exact: true }).click();
    return details;
  };
  await expect(columns).toHaveTexts(['To do', 'In progress', 'Done']);
  await expect((await menu('To do')).getByRole('button', { name: 'Move column left', exact: true })).toBeDisabled();
  await (await menu('To do')).getByRole('button', { name: 'Move column right', exact: true }).click();
  await expect(columns).toHaveTexts(['In progress', 'To do', 'Done']);
  await expect((await menu('Done')).getByRole('button', { name: 'Move column right', exact: true })).toBeDisabled();
  await (await menu('Done')).getByRole('button', { name: 'Move column left', exact: true }).click();
  await expect(columns).toHaveTexts(['In progress', 'Done', 'To do']);
  await expect((await menu('To do')).getByRole('button', { name: 'Move column right', exact: true })).toBeDisabled();
  await expect((await menu('In progress')).getByRole('button', { name: 'Move column left', exact: true })).toBeDisabled();

  const activity = page.getByRole('list', { name: 'Activity' });
  await expect(activity.getByText("Edited 'Fix login': now 'Fix login on Safari', with a new description")).toBeVisible();
  await expect(activity.getByText("Restored 'Write docs' to To do")).toBeVisible();
  await expect(activity.getByRole('listitem').first()).toContainText('Laptop');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('Device: Laptop');
  await page.close();
});

test('move cards from the keyboard and by dragging', async () => {
  const page = await app.context.newPage();
  await newBoard(page, 'Moving', ['One', 'Two', 'Three']);
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  const titles = async (list) => (await list.getByRole('listitem').locator('.card-title').allTextContents());

  // Keyboard only: focus "Move down" on the first card and press Enter, then Space.
  await todo.getByRole('listitem').filter({ hasText: 'One' }).getByRole('button', { name: 'Move down' }).focus();
  await page.keyboard.press('Enter');
  await expect(todo.getByRole('listitem').first()).toContainText('Two');
  await todo.getByRole('listitem').filter({ hasText: 'One' }).getByRole('button', { name: 'Move down' }).focus();
  await page.keyboard.press('Space');
  await expect(todo.getByRole('listitem').last()).toContainText('One');
  expect(await titles(todo)).toEqual(['Two', 'Three', 'One']);

  // Drag "Three" onto the Done column, then "One" onto "Three" (it lands above it).
  const done = page.getByRole('list', { name: 'Done', exact: true });
  await todo.getByRole('listitem').filter({ hasText: 'Three' }).dragTo(done);
  await expect(done.getByRole('listitem')).toHaveCount(1);
  await todo.getByRole('listitem').filter({ hasText: 'One' }).dragTo(done.getByRole('listitem').filter({ hasText: 'Three' }));
  await expect(done.getByRole('listitem')).toHaveCount(2);
  expect(await titles(done)).toEqual(['One', 'Three']);

  await page.reload();
  await expect(done.getByRole('listitem')).toHaveCount(2);
  expect(await titles(done)).toEqual(['One', 'Three']);
  expect(await titles(todo)).toEqual(['Two']);
  await page.close();
});

test('works at 375 px wide without sideways scrolling', async () => {
  const page = await app.context.newPage();
  await page.setViewportSize({ width: 375, height: 740 });
  await newBoard(page, 'Phone', ['On the train']);
  await page.getByRole('listitem').filter({ hasText: 'On the train' }).getByRole('button', { name: 'Move right' }).click();
  await expect(page.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem')).toHaveCount(1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0).toEqual(true);
  await page.close();
});

test('filter the cards by a word, accents aside, and move among what the filter shows', async () => {
  const page = await app.context.newPage();
  await newBoard(page, 'Filtering', ['Alpha task', 'Résumé draft', 'Gamma task', 'Delta']);
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  const filter = page.getByRole('searchbox', { name: 'Filter cards' });

  // "/" goes to the filter from anywhere but a text field; "resume" finds "Résumé".
  await page.getByRole('heading', { level: 1, name: 'Filtering' }).click();
  await page.keyboard.press('/');
  await expect(filter).toBeFocused();
  await filter.fill('resume');
  await expect(page.getByRole('status').filter({ hasText: 'of 4 cards' })).toHaveText('1 of 4 cards');
  await expect(todo.getByRole('listitem')).toHaveCount(1);
  await expect(todo.getByRole('listitem')).toContainText('Résumé draft');
  await expect(page.getByText('Nothing here matches the filter.')).toHaveCount(2);

  // Moving up while filtered places the card before the previous card the filter shows.
  await filter.fill('TASK');
  await expect(todo.getByRole('listitem')).toHaveCount(2);
  const gamma = todo.getByRole('listitem').filter({ hasText: 'Gamma task' });
  await gamma.getByRole('button', { name: 'Move up' }).click();
  await expect(todo.getByRole('listitem').first()).toContainText('Gamma task');
  await expect(gamma.getByRole('button', { name: 'Move up' })).toBeDisabled();

  // A card edited while filtered is read again: without the word, it leaves what the filter shows.
  await gamma.getByRole('button', { name: 'Edit' }).click();
  const title = todo.getByRole('textbox', { name: 'Title' });
  await title.fill('Gamma');
  await todo.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'of 4 cards' })).toHaveText('1 of 4 cards');
  await expect(todo.getByRole('listitem')).toHaveCount(1);
  await expect(todo.getByRole('listitem')).toContainText('Alpha task');

  // Cleared, every card is there, the hidden ones in their order.
  await filter.fill('');
  await expect(page.getByRole('status').filter({ hasText: 'of 4 cards' })).toHaveCount(0);
  const order = ['Gamma', 'Alpha task', 'Résumé draft', 'Delta'];
  await until(async () => {
    const seen = await todo.locator('.card-title').allTextContents();
    return { ok: JSON.stringify(seen) === JSON.stringify(order), seen };
  }, 'every card, in order');
  await page.close();
});

test('? lists every keyboard shortcut, and Escape or Close puts it away', async () => {
  const page = await app.context.newPage();
  await newBoard(page, 'Shortcuts', ['One']);
  await page.getByRole('heading', { level: 1, name: 'Shortcuts' }).click();
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('row').filter({ hasText: 'Filter the cards' })).toContainText('/');
  await expect(dialog.getByRole('row').filter({ hasText: 'history slider' }).first()).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Typing "?" into a field is text, not a shortcut; the top bar's button opens the list too.
  const field = page.getByRole('textbox', { name: 'New card in To do' });
  await field.press('?');
  await expect(field).toHaveValue('?');
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await page.close();
});

test("a card's title opens its own dialog: its editors and its history, and Escape puts it away", async () => {
  const page = await app.context.newPage();
  await newBoard(page, 'Card story', ['Fix login', 'Write docs']);
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await todo.getByRole('listitem').filter({ hasText: 'Fix login' }).getByRole('button', { name: 'Move right' }).click();
  const doing = page.getByRole('list', { name: 'Doing', exact: true });
  await expect(doing.getByRole('listitem')).toHaveCount(1);

  const title = doing.getByRole('button', { name: 'Fix login', exact: true });
  await title.click();
  let dialog = page.getByRole('dialog', { name: 'Fix login', exact: true });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('In Doing');
  await dialog.getByLabel('Title').fill('Fix login bug');
  await dialog.getByLabel('Description').fill('Only on Safari.');
  await dialog.getByRole('button', { name: 'Save' }).click();
  dialog = page.getByRole('dialog', { name: 'Fix login bug', exact: true });
  const history = dialog.getByRole('list', { name: 'History of this card' });
  await expect(history.getByRole('listitem')).toHaveCount(3);
  await expect(history.getByRole('listitem').nth(0)).toContainText('Added to To do');
  await expect(history.getByRole('listitem').nth(1)).toContainText('Moved from To do to Doing');
  await expect(history.getByRole('listitem').nth(2)).toContainText("Renamed from 'Fix login' to 'Fix login bug', and the description changed");
  await expect(doing.getByRole('listitem')).toContainText('Only on Safari.');

  // Escape closes it, and the focus is back on the card.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(doing.getByRole('button', { name: 'Fix login bug', exact: true })).toBeFocused();

  // An entry shows the whole board at that moment.
  await doing.getByRole('button', { name: 'Fix login bug', exact: true }).click();
  await dialog.getByRole('list', { name: 'History of this card' }).getByRole('button').filter({ hasText: 'Added to To do' }).click();
  await expect(page.getByRole('status', { name: 'Viewing history' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: 'Fix login' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem')).toHaveCount(0);
  await page.getByRole('button', { name: 'Back to now' }).click();
  await expect(doing.getByRole('listitem')).toHaveCount(1);
  await page.close();
});
