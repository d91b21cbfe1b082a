// A board of 100k events on the sync server, in headless Chromium: how long a fresh browser takes
// from opening the share link to a usable board (catch-up, of a board in the clear and of the same
// board private, its events sealed), how long a reload takes to a usable
// board (cold start, from the snapshot the first open stored), how long the History panel takes
// to open and list the whole log, with the History panel open,
// how long an edit takes from the key press until the panel lists it, and how long adding and
// moving a card take inside the page, on an empty board and on the 100k one; and on a board ten
// times as long, its cold start, how long its History panel takes and how much memory the
// history holds.
// Prints `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

import { startServer, startBrowser, boardKey, seal } from '../e2e/support.mjs';
import { workload } from './workload.mjs';

// A smaller board for trying the script out: CHRONICLE_BENCH_EVENTS=5000.
const COUNT = Number(process.env.CHRONICLE_BENCH_EVENTS ?? 100_000);

async function api(server, path, token, body) {
  const response = await fetch(new URL(`/api/v1${path}`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Run in every page the bench opens, before the page's own scripts: `window.__usable(count)` says
 * whether the whole board is on screen (its title, a card in its last column, and at least `count`
 * events in the status line); `window.__complete()`, whether every column holds all its cards;
 * `window.__listed()`, how many events the History panel's list
 * holds (its rows are 52 pixels high, and the list is as high as all of them);
 * `window.__moduleMemory()`, the app's wasm memory in MB (it never shrinks: the most it reached).
 */
function defineUsable() {
  let memory = null;
  addEventListener('TrunkApplicationStarted', (event) => { memory = event.detail.wasm.memory; });
  window.__moduleMemory = () => (memory ? Math.round(memory.buffer.byteLength / 1e6) : NaN);
  window.__listed = () => {
    const list = document.querySelector('ol[aria-label="Events"]');
    return list ? Math.round(parseFloat(list.style.height) / 52) : 0;
  };
  window.__usable = (count) => {
    const status = document.querySelector('footer.status-line')?.textContent ?? '';
    const done = count === 1 || document.querySelector('ul[aria-label="Done"] li');
    const events = Number(/(\d+) events?/.exec(status)?.[1] ?? 0);
    return Boolean(document.querySelector('.board-page h1') && done && events >= count);
  };
  // The board's first frame draws the cards a screen shows, and the rest follow.
  window.__complete = () => {
    const columns = [...document.querySelectorAll('section.column')];
    return columns.length > 0 && columns.every((column) => column.querySelectorAll('li.card').length === Number(column.querySelector('.count')?.textContent));
  };
}

/**
 * Opens `url` in a new page and resolves when the whole board is on screen and every card is
 * drawn, with the time it took (`ms`, until the board is in the DOM), the time until the frame
 * that draws it has been painted (`painted`) and the time until every card is in the DOM
 * (`complete`), all from navigation start.
 */
async function openBoard(context, url, count = COUNT) {
  const page = await context.newPage();
  await page.addInitScript(defineUsable);
  await page.addInitScript((count) => {
    const observer = new MutationObserver(() => {
      if (window.__usableAt === undefined && window.__usable(count)) {
        window.__usableAt = performance.now();
        requestAnimationFrame(() => setTimeout(() => { window.__paintedAt = performance.now(); }, 0));
      }
      if (window.__usableAt !== undefined && window.__complete()) {
        window.__completeAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  }, count);
  await page.goto(url);
  const times = await page.waitForFunction(() => window.__paintedAt && window.__completeAt && [window.__usableAt, window.__paintedAt, window.__completeAt], null, { timeout: 120_000, polling: 50 });
  const [ms, painted, complete] = (await times.jsonValue()).map(Math.round);
  return { page, ms, painted, complete };
}

/**
 * Opens `url` (a board of `count` events) five times, each in a new page, and prints the cold
 * start's rows: the median time to the board in the DOM (`name`), to the frame that draws it
 * painted, and to every card in the DOM. `board` says what kind of board it is, in the rows'
 * parentheses.
 */
async function coldStarts(context, url, name, { board = '', count = COUNT } = {}) {
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    const again = await openBoard(context, url, count);
    runs.push(again);
    await again.page.close();
  }
  const sorted = (key) => runs.map((run) => run[key]).sort((a, b) => a - b);
  const [ms, painted, complete] = [sorted('ms'), sorted('painted'), sorted('complete')];
  const note = board ? `${board}; median of 5` : 'median of 5';
  console.log(`BENCH\t${name} (${note})\t${ms[2]} ms (min ${ms[0]}, max ${ms[4]})`);
  console.log(`BENCH\t${name}, to the board painted (${note})\t${painted[2]} ms (min ${painted[0]}, max ${painted[4]})`);
  console.log(`BENCH\t${name}, to every card in the DOM (${note})\t${complete[2]} ms (min ${complete[0]}, max ${complete[4]})`);
}

/** Resolves once the page's IndexedDB holds a snapshot of `stream`. */
async function snapshotStored(page, stream) {
  await page.waitForFunction(async (stream) => {
    const db = await new Promise((r) => { const q = indexedDB.open('chronicle'); q.onsuccess = () => r(q.result); });
    const found = await new Promise((r) => { const q = db.transaction('snapshots').objectStore('snapshots').get(stream); q.onsuccess = () => r(q.result); });
    db.close();
    return found !== undefined;
  }, stream, { timeout: 60_000, polling: 100 });
}

/** Opens the History panel of the board on `page` and waits until it lists `count` events. */
async function openHistory(page, count) {
  await page.getByText('History', { exact: true }).click();
  await page.waitForFunction((count) => window.__listed() >= count, count, { timeout: 120_000, polling: 100 });
}

/**
 * Times opening the History panel on the board at `url`, `runs` times, each on a freshly opened
 * page: from the click on "History" until the panel lists all `count` events. Sorted.
 */
async function historyOpenings(context, url, count, runs) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const { page } = await openBoard(context, url, count);
    const history = page.getByText('History', { exact: true });
    times.push(await history.evaluate((button, count) => new Promise((resolve) => {
      const started = performance.now();
      const observer = new MutationObserver(() => {
        if (window.__listed() >= count) {
          observer.disconnect();
          resolve(performance.now() - started);
        }
      });
      observer.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
      button.click();
    }), count));
    await page.close();
  }
  return times.sort((a, b) => a - b);
}

/**
 * Opens the board with the History panel, then adds cards one at a time: for each, the time from
 * the Enter key to the moment the panel's event list has grown by the new event. Sorted.
 */
async function editsWithHistoryOpen(context, url) {
  const { page } = await openBoard(context, url);
  await openHistory(page, COUNT);
  const listed = () => page.evaluate(() => window.__listed());
  const input = page.getByRole('textbox', { name: 'New card in To do' });
  const times = [];
  for (let i = 0; i < 15; i += 1) {
    const before = await listed();
    await input.fill(`Timed card ${i}`);
    const ms = await input.evaluate((field, before) => new Promise((resolve) => {
      const list = document.querySelector('ol[aria-label="Events"]');
      let pressed;
      const observer = new MutationObserver(() => {
        if (window.__listed() > before) {
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

/** Median and 95th percentile of `times`, in milliseconds. */
function spread(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95) };
}

/**
 * Times what a person does most on the board at `url`, `RUNS` times each, inside the page: from
 * the key event (its `timeStamp`) until the card's node is in the DOM, and until the frame after
 * that has been painted. Adding: Enter in "New card in To do" until the card is in To do.
 * Moving: Enter on the first To do card's "Move right" until it is in Doing. With `history`, the
 * History panel is open and has listed the whole log first.
 */
async function interactions(context, url, { count, history }) {
  const RUNS = 20;
  const { page } = await openBoard(context, url, count);
  if (history) await openHistory(page, count);
  // Arms a one-shot timer in the page and returns once it is armed: `window.__timed` resolves,
  // once `within` holds a node matching `found.selector` (with the text `found.text`, if given)
  // after one of its mutations, to the times from the next keydown on `target` to that mutation
  // and to the paint after it.
  const arm = (target, within, found) => page.evaluate(([target, within, found]) => { window.__timed = new Promise((resolve) => {
    const field = document.querySelector(target);
    const list = document.querySelector(within);
    const check = (list) => [...list.querySelectorAll(found.selector)].some((node) => found.text === undefined || node.textContent === found.text);
    let pressed;
    field.addEventListener('keydown', (event) => { pressed = event.timeStamp; }, { once: true, capture: true });
    const observer = new MutationObserver(() => {
      if (pressed === undefined || !check(list)) return;
      observer.disconnect();
      const dom = performance.now() - pressed;
      requestAnimationFrame(() => setTimeout(() => resolve({ dom, paint: performance.now() - pressed }), 0));
    });
    observer.observe(list, { childList: true, subtree: true, characterData: true });
  }); }, [target, within, found]);
  const measured = () => page.evaluate(() => window.__timed);

  const adds = [];
  const input = page.getByRole('textbox', { name: 'New card in To do' });
  for (let i = 0; i < RUNS; i += 1) {
    const title = `Timed card ${i} ${Date.now()}`;
    await input.fill(title);
    await arm('input[aria-label="New card in To do"]', 'ul[aria-label="To do"]',
      { selector: 'li .card-title', text: title });
    await input.press('Enter');
    adds.push(await measured());
  }
  const moves = [];
  for (let i = 0; i < RUNS; i += 1) {
    const card = await page.evaluate(() => document.querySelector('ul[aria-label="To do"] li.card').dataset.card);
    const button = `ul[aria-label="To do"] li[data-card="${card}"] button[aria-label="Move right"]`;
    await page.focus(button);
    await arm(button, 'ul[aria-label="Doing"]', { selector: `li[data-card="${card}"]` });
    await page.keyboard.press('Enter');
    moves.push(await measured());
  }
  await page.close();
  const report = (name, times) => {
    const dom = spread(times.map((t) => t.dom));
    const paint = spread(times.map((t) => t.paint));
    const where = `${count >= 1000 ? `${count / 1000}k events` : "an empty board"}, History ${history ? 'open' : 'closed'}`;
    console.log(`BENCH\tinteraction: ${name}, ${where} (key to DOM, median / p95 of ${RUNS}; to paint)\t${dom.median.toFixed(1)} ms / ${dom.p95.toFixed(1)} ms (paint ${paint.median.toFixed(1)} ms / ${paint.p95.toFixed(1)} ms)`);
  };
  report('add a card', adds);
  report('move a card', moves);
}

/**
 * Pushes `events` to a new stream on `server`, sealed with a new key when `sealed` (as a private
 * board's devices push them); resolves to the stream and its share link.
 */
async function pushBoard(server, events, { sealed = false } = {}) {
  const { stream, token } = await api(server, '/streams', null, {});
  const key = sealed ? await boardKey() : null;
  for (let first = 0; first < events.length; first += 1000) {
    let batch = events.slice(first, first + 1000);
    if (key) batch = await Promise.all(batch.map((event) => seal(event, stream, key)));
    await api(server, `/streams/${stream}/events`, token, { events: batch });
  }
  const link = key ? `${server.url}#/join/${stream}/${token}/${key.link}` : `${server.url}#/join/${stream}/${token}`;
  return { stream, link };
}

/**
 * Pushes the workload of `count` events to a new stream on `server` (sealed when `sealed`) and
 * opens its share link in `context`, timed from the link to a usable board; resolves to the
 * stream, its share link and the opened page.
 */
async function catchUp(server, context, { sealed = false, count = COUNT } = {}) {
  const { stream, link } = await pushBoard(server, workload(count), { sealed });
  const joined = await openBoard(context, link, count);
  return { stream, link, joined };
}

/**
 * The time `first`, already taken, and those of `more` runs of `time(context)`, each in a browser
 * with a fresh profile started for it; sorted.
 */
async function againInFreshBrowsers(first, more, time) {
  const times = [first];
  for (let i = 0; i < more; i += 1) {
    const fresh = await startBrowser();
    try {
      times.push(await time(fresh.context));
    } finally {
      await fresh.close();
    }
  }
  return times.sort((a, b) => a - b);
}

/**
 * Prints the row `name` (its parenthesis left open, to be closed here) of sorted `times`: their
 * median and spread, or the one time there is.
 */
function timesRow(name, times) {
  const value = times.length > 1
    ? `, median of ${times.length})\t${times[times.length >> 1]} ms (min ${times[0]}, max ${times[times.length - 1]})`
    : `)\t${times[0]} ms`;
  console.log(`BENCH\t${name}${value}`);
}

/**
 * Prints a catch-up's row, named `name`: the median of the catch-up `joined` timed and `more`
 * others of the share link `link`, each in a browser with a fresh profile started for it.
 */
async function catchUpRow(name, { link, joined }, { count = COUNT, more = 2 } = {}) {
  timesRow(name, await againInFreshBrowsers(joined.ms, more, async (context) => (await openBoard(context, link, count)).ms));
}

/**
 * Pushes a board of `count` events in the clear to `server`, opens its share link (printing the
 * catch-up's row, `runs` catch-ups in all), waits for the snapshot that first open stores, then
 * prints the cold start's rows; resolves to the board's address.
 */
async function syncedBoard(server, context, count, runs) {
  const caughtUp = await catchUp(server, context, { count });
  const { stream, joined } = caughtUp;
  await snapshotStored(joined.page, stream);
  await joined.page.close();
  await catchUpRow(`catch-up, ${count / 1000}k events of a board in the clear (share link to usable board`, caughtUp, { count, more: runs - 1 });
  const url = `${server.url}#/board/${stream}`;
  await coldStarts(context, url, `cold start, ${count / 1000}k synced events, with snapshot`, { count });
  return url;
}

/** Prints the History panel's row: opened `runs` times on the board of `count` events at `url`. */
async function historyRow(context, url, count, runs) {
  const openings = (await historyOpenings(context, url, count, runs)).map(Math.round);
  console.log(`BENCH\topen the History panel, ${count / 1000}k events (click to the whole log listed, median of ${runs})\t${openings[runs >> 1]} ms (min ${openings[0]}, max ${openings[runs - 1]})`);
}

/** Runs `body` with a fresh server (started with `options`) and a fresh browser profile, then closes both. */
async function withFresh(options, body) {
  const server = await startServer(options);
  const browser = await startBrowser();
  try {
    await body(server, browser);
  } finally {
    await browser.close();
    await server.close();
  }
}

await withFresh({}, async (server, browser) => {
  const url = await syncedBoard(server, browser.context, COUNT, 3);
  await historyRow(browser.context, url, COUNT, 5);

  const edits = await editsWithHistoryOpen(browser.context, url);
  console.log(`BENCH\tedit with the History panel open, ${COUNT / 1000}k events (key to listed, median of ${edits.length})\t${edits[edits.length >> 1].toFixed(1)} ms (max ${edits[edits.length - 1].toFixed(1)})`);

  // The same actions on a board in the clear with nothing but its columns, and on the 100k one.
  const empty = await pushBoard(server, workload(1));
  await (await openBoard(browser.context, empty.link, 1)).page.close();
  await interactions(browser.context, `${server.url}#/board/${empty.stream}`, { count: 1, history: false });
  for (const history of [false, true]) {
    await interactions(browser.context, url, { count: COUNT, history });
  }
});

// The same board, private: every event sealed, opened in the browser as it arrives. A fresh
// server and profile, as above.
await withFresh({}, async (server, browser) => {
  const caughtUp = await catchUp(server, browser.context, { sealed: true });
  await caughtUp.joined.page.close();
  await catchUpRow(`catch-up, ${COUNT / 1000}k events of a private board (sealed; share link to usable board`, caughtUp);
});

/**
 * Imports `file` through the board list of a new page in `context`, whose sync server cannot be
 * reached; resolves to the page, on the imported board, and the time from choosing the file to a
 * usable board.
 */
async function importFile(context, server, file) {
  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  const page = await context.newPage();
  await page.addInitScript(defineUsable);
  await page.goto(server.url);
  const picker = page.getByLabel('Import a board from a history file');
  await picker.waitFor({ state: 'attached' });
  // The file is made in the page and handed to the picker there, as choosing it does: handing it
  // over with setInputFiles would time Playwright decoding 15 MB in the page too (about 1.8 s).
  const ms = await (await picker.elementHandle()).evaluate((input, { file, count }) => new Promise((resolve) => {
    const chosen = new DataTransfer();
    chosen.items.add(new File([file], 'Hundred thousand.chronicle.jsonl', { type: 'text/plain' }));
    input.files = chosen.files;
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (window.__usable(count)) {
        observer.disconnect();
        resolve(performance.now() - started);
      }
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }), { file, count: COUNT });
  return { page, ms: Math.round(ms) };
}

// A board made as a person makes one from a history file: the workload imported through the
// board list, then opened again by a reload. The sync server cannot be reached, so every event is
// still waiting to be sent (as after an import offline), which is what the reload reads; then it
// can, and the whole history is sent.
await withFresh({}, async (server, browser) => {
  const stream = '0190a1b2-0000-7000-8000-00000000beef';
  const file = workload(COUNT).map((event) => JSON.stringify({ ...event, stream })).join('\n');
  const { page, ms } = await importFile(browser.context, server, file);
  const imported = /#\/board\/([0-9a-f-]+)/.exec(page.url())[1];
  await snapshotStored(page, imported);
  await page.close();
  // Two more imports, each in a browser with a fresh profile, for the row's median.
  const times = await againInFreshBrowsers(ms, 2, async (context) => (await importFile(context, server, file)).ms);
  timesRow(`import of a ${COUNT / 1000}k-event history file (file chosen to usable board`, times);
  await coldStarts(browser.context, `${server.url}#/board/${imported}`, `cold start, ${COUNT / 1000}k events imported from a file, not yet sent`, { board: 'private' });

  // The server can be reached again: a reload registers the board and sends every event, a
  // thousand to a push, until the board reads as synced.
  await browser.context.unroute('**/api/**');
  const sending = await browser.context.newPage();
  const started = Date.now();
  await sending.goto(`${server.url}#/board/${imported}`);
  const synced = sending.getByRole('status', { name: 'Sync status' }).filter({ hasText: /^Synced/ });
  await synced.waitFor({ timeout: 900_000 });
  console.log(`BENCH\tsend of ${COUNT / 1000}k events imported from a file (private; reload to synced)\t${Date.now() - started} ms`);
  await sending.close();
});

// A board ten times as long: its catch-up, its cold start (what a person waits for, beside the
// in-browser bench's storage-to-projections row), how long its History panel takes to list the
// whole log, and the app's memory before and after the panel opens.
await withFresh({}, async (server, browser) => {
  const long = COUNT * 10;
  const url = await syncedBoard(server, browser.context, long, 1);
  await historyRow(browser.context, url, long, 3);
  const { page } = await openBoard(browser.context, url, long);
  const before = await page.evaluate(() => window.__moduleMemory());
  await openHistory(page, long);
  const after = await page.evaluate(() => window.__moduleMemory());
  console.log(`BENCH\tthe app's wasm memory with the History panel open, ${long / 1000}k events\t${after} MB (${before} MB before it opened)`);
  await page.close();
});

// The same catch-up from a server on PostgreSQL, when the bench names one, in a fresh profile.
if (process.env.CHRONICLE_BENCH_POSTGRES) {
  await withFresh({ database: process.env.CHRONICLE_BENCH_POSTGRES }, async (server, browser) => {
    const caughtUp = await catchUp(server, browser.context);
    await caughtUp.joined.page.close();
    await catchUpRow(`catch-up, ${COUNT / 1000}k events from a server on PostgreSQL (share link to usable board`, caughtUp);
  });
}
