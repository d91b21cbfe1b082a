// Databases as earlier builds wrote them, and a look inside one, for the storage tests: an
// upgrade must keep every record an earlier layout holds.

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

/**
 * Writes, as the build of layout `version` (1 to 5) did, a board whose `confirmed` events are
 * followed by its `pending` ones (JSON arrays of envelopes), each kind in one record. Layout 1 kept
 * pending events only, and no log state; layout 2 kept the log state as JSON text; layout 5 kept a
 * pending record's sealed forms (`sealed`, JSON text) inside it.
 */
export async function writeLayout(name, version, stream, confirmed, pending, sealed) {
  const open = indexedDB.open(name, version);
  open.onupgradeneeded = () => {
    const db = open.result;
    const keyPath = ['stream', 'first'];
    const events = db.createObjectStore('events', { keyPath });
    events.createIndex('by_id', 'ids', { unique: true, multiEntry: true });
    if (version < 3) events.createIndex('by_seq', 'seqs', { unique: true, multiEntry: true });
    db.createObjectStore('meta');
    db.createObjectStore('snapshots');
    if (version >= 2) {
      const kept = db.createObjectStore('confirmed', { keyPath });
      if (version < 5) kept.createIndex('by_id', 'ids', { multiEntry: true });
    }
    if (version >= 4) db.createObjectStore('set_aside', { keyPath });
  };
  const db = await request(open);
  const tx = db.transaction(version >= 2 ? ['confirmed', 'events', 'meta'] : ['events', 'meta'], 'readwrite');
  const kept = JSON.parse(confirmed);
  const waiting = JSON.parse(pending);
  if (kept.length > 0) {
    const seqs = version < 3 ? { seqs: kept.map((e) => [stream, e.seq]) } : {};
    tx.objectStore('confirmed').add({ stream, first: 0, ids: kept.map((e) => e.id), ...seqs, events: confirmed });
  }
  const record = { stream, first: kept.length, ids: waiting.map((e) => e.id), events: pending };
  if (version < 3) record.seqs = [];
  if (version === 5) record.sealed = sealed;
  tx.objectStore('events').add(record);
  const meta = tx.objectStore('meta');
  meta.put(stream, `board/${stream}`);
  const state = { revision: kept.length + waiting.length, confirmed: kept.length };
  if (version === 2) meta.put(JSON.stringify(state), `log/${stream}`);
  if (version >= 3) meta.put(state, `log/${stream}`);
  await done(tx);
  db.close();
}

/** Makes a database at layout `version` with one extra store called `store`. */
export async function makeLayoutWith(name, version, store) {
  const open = indexedDB.open(name, version);
  open.onupgradeneeded = () => open.result.createObjectStore(store);
  (await request(open)).close();
}

/** The layout version of a database, its stores' names and their indexes, and every value of `store`. */
export async function storedValues(name, store) {
  const db = await request(indexedDB.open(name));
  try {
    const stores = [...db.objectStoreNames].sort();
    const tx = db.transaction(stores);
    const values = await request(tx.objectStore(store).getAll());
    const indexes = Object.fromEntries(stores.map((s) => [s, [...tx.objectStore(s).indexNames]]));
    return { version: db.version, stores, indexes, values };
  } finally {
    db.close();
  }
}

/** Opens a database made by `writeLayout` and keeps it open, as a tab of an earlier build would. */
export async function holdOpen(name, version) {
  return request(indexedDB.open(name, version));
}

/** Closes a connection `holdOpen` made. */
export function release(db) {
  db.close();
}
