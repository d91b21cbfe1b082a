// The timeline: drag back through a board's history with the keyboard, see the board as it was,
// come back to now, and restore an old version, which adds to the history rather than cutting it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { expect, until } from './expect.mjs';
import { useApp, createBoard, addCard } from './support.mjs';

const app = useApp({ before, after });

/** Whether the row of the event at the slider's cursor is inside the scrolled part of the list. */
function cursorRowInView(page) {
  return page.evaluate(() => {
    const list = document.querySelector('.event-scroll');
    const row = list?.querySelector('li.current');
    if (!row) return { ok: false, seen: 'no row at the cursor' };
    const [outer, inner] = [list.getBoundingClientRect(), row.getBoundingClientRect()];
    return { ok: inner.top >= outer.top && inner.bottom <= outer.bottom, seen: [outer.top, outer.bottom, inner.top, inner.bottom] };
  });
}

test('scrub to event 5 with the keyboard, come back, and restore it', async () => {
  const page = await app.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await createBoard(page, 'Time travel');
  // Creating the board is two events (the board, then this device's name); 18 cards make 20.
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  for (let n = 1; n <= 18; n += 1) {
    await addCard(page, `Card ${n}`);
    await expect(todo.getByRole('listitem').filter({ hasText: `Card ${n}` })).toBeVisible();
  }
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('20 events');

  await page.getByText('History', { exact: true }).click();
  // The list shows six rows; the newest event's is scrolled into view as the panel opens.
  await until(() => cursorRowInView(page), 'the newest event is in view');
  const slider = page.getByRole('slider', { name: 'History' });
  await slider.focus();
  await slider.press('Home');
  for (let i = 0; i < 5; i += 1) await slider.press('ArrowRight');

  const banner = page.getByRole('status', { name: 'Viewing history' });
  await expect(banner).toContainText('Viewing history: event 5 of 20');
  await until(() => cursorRowInView(page), 'event 5 is in view');
  await expect(todo.getByRole('listitem')).toHaveCount(3);
  await expect(todo.getByRole('listitem').filter({ hasText: 'Card 3' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'New card in To do' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Events' }).getByRole('button', { name: /Added 'Card 3' to To do/ })).toBeVisible();

  // Page Up steps ten; a click in the list jumps there.
  await slider.press('PageUp');
  await expect(banner).toContainText('event 15 of 20');
  await until(() => cursorRowInView(page), 'event 15 is in view');
  await expect(todo.getByRole('listitem')).toHaveCount(13);
  await page.getByRole('list', { name: 'Events' }).getByRole('button', { name: /Added 'Card 4' to To do/ }).click();
  await expect(banner).toContainText('event 6 of 20');
  await expect(todo.getByRole('listitem')).toHaveCount(4);

  await page.getByRole('button', { name: 'Back to now' }).click();
  await expect(banner).toHaveCount(0);
  await expect(todo.getByRole('listitem')).toHaveCount(18);

  // Restore version 5: the board shows it again, and the history grew.
  await slider.focus();
  await slider.press('Home');
  for (let i = 0; i < 5; i += 1) await slider.press('ArrowRight');
  await expect(banner).toContainText('event 5 of 20');
  await page.getByRole('button', { name: 'Restore this version' }).click();
  await expect(banner).toHaveCount(0);
  await expect(todo.getByRole('listitem')).toHaveCount(3);
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('35 events');
  assert.ok(Number(await slider.getAttribute('max')) > 20, 'the history grew, not shrank');

  // And it is all there after a reload, the restored cards in the archive.
  await page.reload();
  await expect(todo.getByRole('listitem')).toHaveCount(3);
  await expect(page.getByText('Archived cards (15)')).toBeVisible();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a history leaves as a file and comes back as a new board; a bad file changes nothing', async () => {
  const page = await app.context.newPage();
  await page.goto(app.url);
  await createBoard(page, 'Audit trail');
  for (const title of ['Keep receipts', 'File taxes']) {
    await addCard(page, title);
  }
  const todo = page.getByRole('list', { name: 'To do', exact: true });
  await todo.getByRole('listitem').filter({ hasText: 'File taxes' }).getByRole('button', { name: 'Move right' }).click();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('All changes saved');

  await page.getByText('History', { exact: true }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export history' }).click()]);
  assert.equal(download.suggestedFilename(), 'Audit trail.chronicle.jsonl');
  const text = fs.readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((e) => e.type), ['board_created', 'device_named', 'card_added', 'card_added', 'card_moved']);

  await page.getByRole('link', { name: 'All boards' }).click();
  const boards = page.getByRole('list', { name: 'Boards' }).getByRole('listitem');
  await expect(page.getByRole('list', { name: 'Boards' }).getByRole('link', { name: 'Audit trail' })).toBeVisible();
  const before = await boards.count();
  const picker = page.getByLabel('Import a board from a history file');

  // While a file is read and stored, the page says so, however briefly.
  await page.evaluate(() => {
    window.__importing = new Set();
    new MutationObserver(() => {
      for (const status of document.querySelectorAll('[role="status"]')) {
        if (status.textContent.startsWith('Importing')) window.__importing.add(status.textContent);
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  const importing = page.getByRole('status').filter({ hasText: /^Importing/ });

  // A file that is not a Chronicle history is refused, and nothing is added; the picker can be
  // used again.
  await picker.setInputFiles({ name: 'notes.csv', mimeType: 'text/plain', buffer: Buffer.from('name,title\nBoard,Card\n') });
  await expect(page.getByRole('alert')).toContainText('Nothing was imported. Line 1 is not a Chronicle event');
  await expect(importing).toHaveCount(0);
  await expect(picker).toBeEnabled();
  await picker.setInputFiles({ name: 'cut.jsonl', mimeType: 'text/plain', buffer: Buffer.from(text.split('\n').slice(2).join('\n')) });
  await expect(page.getByRole('alert')).toContainText('do not create a board');
  await expect(boards).toHaveCount(before);

  // The exported file comes back as a new board with the same cards where they were.
  await picker.setInputFiles({ name: 'Audit trail.chronicle.jsonl', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await expect(page.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();
  await expect(todo.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('list', { name: 'Doing', exact: true }).getByRole('listitem').filter({ hasText: 'File taxes' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Status' })).toContainText('5 events');
  assert.deepEqual(
    [...await page.evaluate(() => [...window.__importing])],
    ['Importing “notes.csv”…', 'Importing “cut.jsonl”…', 'Importing “Audit trail.chronicle.jsonl”…'],
  );
  await page.getByRole('link', { name: 'All boards' }).click();
  await expect(boards).toHaveCount(before + 1);
  await page.close();
});
