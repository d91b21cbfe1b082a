// Time from page load to a usable board with 100k stored events, in headless Chromium.
// Seeds the app's IndexedDB directly in its storage layout, then opens the board twice: the first
// open replays everything and stores a snapshot; the second starts from that snapshot.
// Prints `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

import { serveDist, startBrowser } from '../e2e/support.mjs';

const COUNT = 100_000;

async function seed(page, count) {
  return page.evaluate(async (count) => {
    let state = 0x2545f491;
    const rand = (n) => {
      state ^= state << 13; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
      return state % n;
    };
    const hex = (n, width) => n.toString(16).padStart(width, '0');
    let counter = 0;
    const id = () => {
      counter += 1;
      return `0190a1b2-${hex(counter >>> 16, 4)}-7${hex(counter & 0xfff, 3)}-8${hex(rand(0xfff), 3)}-${hex(rand(0xffffff), 6)}${hex(counter & 0xffffff, 6)}`;
    };
    const stream = id();
    const device = id();
    const columns = ['Backlog', 'To do', 'Doing', 'Done'].map((name) => ({ id: id(), name }));
    let at = 1_700_000_000_000;
    const events = [];
    const push = (type, version, data) => {
      at += 1 + rand(60_000);
      events.push({ id: id(), stream, type, version, device, at, data });
    };
    push('board_created', 1, { name: 'Hundred thousand', columns });
    const live = [];
    const sizes = [0, 0, 0, 0];
    while (events.length < count) {
      const roll = rand(100);
      if (live.length < 50 || (roll < 25 && live.length < 400)) {
        const card = id();
        const c = rand(2);
        live.push([card, c]);
        sizes[c] += 1;
        push('card_added', 2, { card, column: columns[c].id, title: `Task number ${events.length}`, description: '' });
      } else if (roll < 65) {
        const i = rand(live.length);
        const [card, from] = live[i];
        const to = (from + 1 + rand(3)) % 4;
        sizes[from] -= 1;
        const index = rand(sizes[to] + 1);
        sizes[to] += 1;
        live[i][1] = to;
        push('card_moved', 1, { card, from: columns[from].id, to: columns[to].id, index });
      } else if (roll < 85) {
        const [card] = live[rand(live.length)];
        push('card_edited', 1, { card, title: `Edited task ${events.length}`, description: 'Checked with the team.' });
      } else {
        const [card, c] = live.splice(rand(live.length), 1)[0];
        sizes[c] -= 1;
        push('card_archived', 1, { card });
      }
    }
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('chronicle');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction(['events', 'meta'], 'readwrite');
      tx.objectStore('meta').put(stream, `board/${stream}`);
      for (let first = 0; first < events.length; first += 1000) {
        const batch = events.slice(first, first + 1000);
        tx.objectStore('events').add({ stream, first, ids: batch.map((e) => e.id), seqs: [], events: JSON.stringify(batch) });
      }
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return stream;
  }, count);
}

async function openBoard(context, url) {
  const page = await context.newPage();
  // Records, from navigation start, when the board's title and its last column are in the page.
  await page.addInitScript(() => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('.board-page h1') && document.querySelector('ul[aria-label="Done"] li')) {
        window.__usableAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  });
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: 'Hundred thousand' }).waitFor({ timeout: 120_000 });
  await page.getByRole('list', { name: 'Done', exact: true }).waitFor();
  const ms = Math.round(await page.waitForFunction(() => window.__usableAt).then((h) => h.jsonValue()));
  // Let the snapshot write finish before the page goes away.
  await page.getByRole('status', { name: 'Status' }).waitFor();
  await page.waitForFunction(() => true);
  return { page, ms };
}

const server = await serveDist();
const browser = await startBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Your boards' }).waitFor();
  const stream = await seed(page, COUNT);
  await page.close();
  const url = `${server.url}#/board/${stream}`;

  const first = await openBoard(browser.context, url);
  console.log(`BENCH\tcold start, ${COUNT / 1000}k events, no snapshot\t${first.ms} ms`);
  // The first open stores a snapshot; wait until it is there.
  await first.page.waitForFunction(async (stream) => {
    const db = await new Promise((r) => { const q = indexedDB.open('chronicle'); q.onsuccess = () => r(q.result); });
    const found = await new Promise((r) => { const q = db.transaction('snapshots').objectStore('snapshots').get(stream); q.onsuccess = () => r(q.result); });
    db.close();
    return found !== undefined;
  }, stream, { timeout: 60_000, polling: 100 });
  await first.page.close();

  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    const again = await openBoard(browser.context, url);
    runs.push(again.ms);
    await again.page.close();
  }
  runs.sort((a, b) => a - b);
  console.log(`BENCH\tcold start, ${COUNT / 1000}k events, with snapshot (median of 5)\t${runs[2]} ms (min ${runs[0]}, max ${runs[4]})`);
} finally {
  await browser.close();
  await server.close();
}
