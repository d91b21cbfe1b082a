// What a JavaScript app would do instead of Chronicle's storage, for `cargo xtask bench`: Dexie's
// `bulkAdd`, and raw IndexedDB with one record per event (written, and read back with `getAll`).
// Each works on a database of its own, deleted afterwards.

/** Loads Dexie from its module source (the benchmark page cannot import from node_modules). */
async function loadDexie(source) {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    return (await import(url)).default;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function openEvents(name) {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('events', { keyPath: 'id' });
  return request(open);
}

async function remove(db) {
  db.close();
  await request(indexedDB.deleteDatabase(db.name));
}

/** Milliseconds for Dexie's `bulkAdd` of the wire events in `json`, into a table keyed by id. */
export async function dexieBulkAddMs(dexieSource, json) {
  const Dexie = await loadDexie(dexieSource);
  const events = JSON.parse(json);
  const db = new Dexie(`peer-dexie-${crypto.randomUUID()}`);
  db.version(1).stores({ events: 'id' });
  await db.open();
  const start = performance.now();
  await db.events.bulkAdd(events);
  const ms = performance.now() - start;
  if ((await db.events.count()) !== events.length) throw new Error('Dexie stored fewer events');
  db.close();
  await Dexie.delete(db.name);
  return ms;
}

/** Milliseconds to store the wire events in `json` one record per event, in one transaction. */
export async function rawPutMs(json) {
  const events = JSON.parse(json);
  const db = await openEvents(`peer-raw-${crypto.randomUUID()}`);
  const start = performance.now();
  const tx = db.transaction('events', 'readwrite');
  const store = tx.objectStore('events');
  for (const event of events) store.add(event);
  await done(tx);
  const ms = performance.now() - start;
  await remove(db);
  return ms;
}

/**
 * Stores the wire events in `json` one record per event (untimed), then reads them all back with
 * one `getAll`: the milliseconds of the read, best of `runs`.
 */
export async function rawGetAllMs(json, runs) {
  const events = JSON.parse(json);
  const db = await openEvents(`peer-raw-${crypto.randomUUID()}`);
  for (let first = 0; first < events.length; first += 10_000) {
    const tx = db.transaction('events', 'readwrite');
    const store = tx.objectStore('events');
    for (const event of events.slice(first, first + 10_000)) store.add(event);
    await done(tx);
  }
  let best = Infinity;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    const all = await request(db.transaction('events').objectStore('events').getAll());
    best = Math.min(best, performance.now() - start);
    if (all.length !== events.length) throw new Error('getAll read fewer events');
  }
  await remove(db);
  return best;
}
