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
 * Writes, as the build of layout 5 did, a board whose events (a JSON array of envelopes) are all
 * pending in one record that holds their sealed forms (`sealed`, JSON text) inside.
 */
export async function writeLayoutFive(name, stream, events, sealed) {
  const open = indexedDB.open(name, 5);
  open.onupgradeneeded = () => {
    const db = open.result;
    const keyPath = ['stream', 'first'];
    db.createObjectStore('events', { keyPath }).createIndex('by_id', 'ids', { unique: true, multiEntry: true });
    db.createObjectStore('meta');
    db.createObjectStore('snapshots');
    db.createObjectStore('set_aside', { keyPath });
    db.createObjectStore('confirmed', { keyPath });
  };
  const db = await request(open);
  const tx = db.transaction(['events', 'meta'], 'readwrite');
  const ids = JSON.parse(events).map((e) => e.id);
  tx.objectStore('events').add({ stream, first: 0, ids, events, sealed });
  tx.objectStore('meta').put(stream, `board/${stream}`);
  tx.objectStore('meta').put({ revision: ids.length, confirmed: 0 }, `log/${stream}`);
  await done(tx);
  db.close();
}

/** The layout version of a database, its stores' names, and every value of `store`. */
export async function storedValues(name, store) {
  const db = await request(indexedDB.open(name));
  try {
    const values = await request(db.transaction(store).objectStore(store).getAll());
    return { version: db.version, stores: [...db.objectStoreNames].sort(), values };
  } finally {
    db.close();
  }
}
