// A board of 100k events on the sync server, in headless Chromium: how long a fresh browser takes
// from opening the share link to a usable board (catch-up, of a board in the clear and of the same
// board private, its events sealed), how long a reload takes to a usable
// board (cold start, from the snapshot the first open stored), and, with the History panel open,
// how long an edit takes from the key press until the panel lists it.
// Prints `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

import { startServer, startBrowser, boardKey, seal } from '../e2e/support.mjs';
import { workload } from './workload.mjs';

const COUNT = 100_000;

async function api(server, path, token, body) {
  const response = await fetch(new URL(`/api/v1${path}`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Opens `url` in a new page and resolves when the whole board is on screen, with the time it took. */
async function openBoard(context, url) {
  const page = await context.newPage();
  // Records, from navigation start, when the board's title, its last column and its full event
  // count are in the page.
  await page.addInitScript((count) => {
    const observer = new MutationObserver(() => {
      const status = document.querySelector('footer.status-line')?.textContent ?? '';
      if (document.querySelector('.board-page h1') && document.querySelector('ul[aria-label="Done"] li') && status.includes(`${count} events`)) {
        window.__usableAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  }, COUNT);
  await page.goto(url);
  const ms = Math.round(await page.waitForFunction(() => window.__usableAt, null, { timeout: 120_000, polling: 50 }).then((h) => h.jsonValue()));
  return { page, ms };
}

/**
 * Opens the board with the History panel, then adds cards one at a time: for each, the time from
 * the Enter key to the moment the panel's event list has grown by the new event. Sorted.
 */
async function editsWithHistoryOpen(context, url) {
  const { page } = await openBoard(context, url);
  await page.getByText('History', { exact: true }).click();
  const events = page.getByRole('list', { name: 'Events' });
  const listed = () => events.evaluate((list) => Math.round(parseFloat(list.style.height) / 52));
  await page.waitForFunction((count) => {
    const list = document.querySelector('ol[aria-label="Events"]');
    return list && Math.round(parseFloat(list.style.height) / 52) >= count;
  }, COUNT, { timeout: 120_000, polling: 100 });
  const input = page.getByRole('textbox', { name: 'New card in To do' });
  const times = [];
  for (let i = 0; i < 15; i += 1) {
    const before = await listed();
    await input.fill(`Timed card ${i}`);
    const ms = await input.evaluate((field, before) => new Promise((resolve) => {
      const list = document.querySelector('ol[aria-label="Events"]');
      let pressed;
      const observer = new MutationObserver(() => {
        if (Math.round(parseFloat(list.style.height) / 52) > before) {
          observer.disconnect();
          resolve(performance.now() - pressed);
        }
      });
      observer.observe(list, { attributes: true, attributeFilter: ['style'] });
      pressed = performance.now();
      field.form.requestSubmit();
    }), before);
    times.push(ms);
  }
  await page.close();
  return times.sort((a, b) => a - b);
}

/**
 * Pushes the workload to a new stream on `server` (sealed with a new key when `sealed`, as a
 * private board's devices push it) and opens its share link in `context`, timed from the link to
 * a usable board; resolves to the stream and the opened page.
 */
async function catchUp(server, context, { sealed = false } = {}) {
  const { stream, token } = await api(server, '/streams', null, {});
  const key = sealed ? await boardKey() : null;
  const events = workload(COUNT);
  for (let first = 0; first < events.length; first += 1000) {
    let batch = events.slice(first, first + 1000);
    if (key) batch = await Promise.all(batch.map((event) => seal(event, stream, key)));
    await api(server, `/streams/${stream}/events`, token, { events: batch });
  }
  const link = key ? `${server.url}#/join/${stream}/${token}/${key.link}` : `${server.url}#/join/${stream}/${token}`;
  const joined = await openBoard(context, link);
  return { stream, joined };
}

const server = await startServer();
const browser = await startBrowser();
try {
  const { stream, joined } = await catchUp(server, browser.context);
  console.log(`BENCH\tcatch-up, ${COUNT / 1000}k events of a board in the clear (share link to usable board)\t${joined.ms} ms`);
  // The first open stores a snapshot; wait until it is there.
  await joined.page.waitForFunction(async (stream) => {
    const db = await new Promise((r) => { const q = indexedDB.open('chronicle'); q.onsuccess = () => r(q.result); });
    const found = await new Promise((r) => { const q = db.transaction('snapshots').objectStore('snapshots').get(stream); q.onsuccess = () => r(q.result); });
    db.close();
    return found !== undefined;
  }, stream, { timeout: 60_000, polling: 100 });
  await joined.page.close();

  const url = `${server.url}#/board/${stream}`;
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    const again = await openBoard(browser.context, url);
    runs.push(again.ms);
    await again.page.close();
  }
  runs.sort((a, b) => a - b);
  console.log(`BENCH\tcold start, ${COUNT / 1000}k synced events, with snapshot (median of 5)\t${runs[2]} ms (min ${runs[0]}, max ${runs[4]})`);

  const edits = await editsWithHistoryOpen(browser.context, url);
  console.log(`BENCH\tedit with the History panel open, ${COUNT / 1000}k events (key to listed, median of ${edits.length})\t${edits[edits.length >> 1].toFixed(1)} ms (max ${edits[edits.length - 1].toFixed(1)})`);
} finally {
  await browser.close();
  await server.close();
}

// The same board, private: every event sealed, opened in the browser as it arrives. A fresh
// server and profile, as above.
{
  const server = await startServer();
  const browser = await startBrowser();
  try {
    const { joined } = await catchUp(server, browser.context, { sealed: true });
    console.log(`BENCH\tcatch-up, ${COUNT / 1000}k events of a private board (sealed; share link to usable board)\t${joined.ms} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
}

// The same catch-up from a server on PostgreSQL, when the bench names one, in a fresh profile.
if (process.env.CHRONICLE_BENCH_POSTGRES) {
  const server = await startServer({ database: process.env.CHRONICLE_BENCH_POSTGRES });
  const browser = await startBrowser();
  try {
    const { joined } = await catchUp(server, browser.context);
    console.log(`BENCH\tcatch-up, ${COUNT / 1000}k events from a server on PostgreSQL (share link to usable board)\t${joined.ms} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
}
