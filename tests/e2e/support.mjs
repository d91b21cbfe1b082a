// Shared by the end-to-end tests: runs the real Chronicle server (the API and the built app from
// dist/) on a free loopback port, and starts Debian's Chromium through playwright-core (never a
// downloaded browser).

import { spawn } from 'node:child_process';
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';

const SERVER = process.env.CHRONICLE_SERVER ?? 'target/debug/chronicle-server';

const temporaryDirectories = [];
process.once('exit', () => {
  for (const directory of temporaryDirectories) fs.rmSync(directory, { recursive: true, force: true });
});

/**
 * A new directory under the system's temporary folder, named from `prefix`, removed with all it
 * holds when the test process exits (passed or not), so that a server may be restarted on it.
 */
export function temporaryDirectory(prefix) {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

/**
 * Starts `chronicle-server` serving `dist` with its database in `database` (a fresh temporary
 * file unless given, so that a restart can keep its data), on `port` or a free one, with more
 * command-line `flags`.
 * Resolves to { url, port, database, close, kill }: `close` stops it the polite way, `kill` as a
 * crash or a pulled plug would.
 */
export async function startServer({ dist = process.env.CHRONICLE_DIST ?? 'dist', port = 0, database, flags = [] } = {}) {
  const root = path.resolve(dist);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`${root}/index.html is missing: build the app first (cargo xtask test does)`);
  }
  if (!fs.existsSync(SERVER)) {
    throw new Error(`${SERVER} is missing: build it first (cargo build -p chronicle-server)`);
  }
  // A file, or a postgres:// URL that several servers may share.
  database ??= path.join(temporaryDirectory('chronicle-db-'), 'chronicle.db');
  const args = ['--listen', `127.0.0.1:${port}`, '--database', database, '--static-dir', root, ...flags];
  const child = spawn(SERVER, args, {
    stdio: ['ignore', 'pipe', process.env.CHRONICLE_SERVER_LOG ? 'inherit' : 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(line.trim().split(' ').pop()));
    child.once('exit', (code) => reject(new Error(`chronicle-server exited (${code}) before it listened`)));
  });
  const bound = Number(new URL(url).port);
  const stop = (signal) => async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url: `${url}/`, port: bound, database, close: stop('SIGTERM'), kill: stop('SIGKILL') };
}

/** Starts headless Chromium with a fresh profile; resolves to { context, close }. */
export async function startBrowser() {
  const profile = temporaryDirectory('chronicle-e2e-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(20_000);
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * A new device: a browser with a fresh profile, added to `browsers` so that the tests close it,
 * on `url`. Resolves to its page.
 */
export async function openDevice(url, browsers) {
  const browser = await startBrowser();
  browsers.push(browser);
  const page = await browser.context.newPage();
  await page.goto(url);
  return page;
}

/**
 * Serves the app and starts a browser for the tests of one file; both are stopped after them.
 * Returns an object whose `url` and `context` are set once the file's tests start.
 */
export function useApp({ before, after }) {
  const app = {};
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
    app.url = server.url;
    app.context = browser.context;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return app;
}

/**
 * Serves the app for the tests of one file (with more server `flags`) and opens devices on it,
 * each a browser with a fresh profile; the server and every device are stopped after the file's
 * tests. Returns an object whose `server` is set once the tests start, and whose `device(url)`
 * opens a new device on `url` (the app, by default) and resolves to its page.
 */
export function useServer({ before, after, flags = [] }) {
  const browsers = [];
  const app = {
    server: undefined,
    device: (url = app.server.url) => openDevice(url, browsers),
  };
  before(async () => {
    app.server = await startServer({ flags });
  });
  after(async () => {
    for (const b of browsers) await b.close();
    await app.server?.close();
  });
  return app;
}

/** Makes a board from the board list, as a person does: types its name, presses New board. */
export async function createBoard(page, name) {
  await page.getByRole('textbox', { name: 'New board name' }).fill(name);
  await page.getByRole('button', { name: 'New board' }).click();
}

/** Adds a card to a column of the open board by typing its title and pressing Enter. */
export async function addCard(page, title, column = 'To do') {
  await page.getByRole('textbox', { name: `New card in ${column}` }).fill(title);
  await page.getByRole('textbox', { name: `New card in ${column}` }).press('Enter');
}

/** The open board's share link, read from its Share panel, with the board id, token and (for a private board) key in it. */
export async function shareLink(page) {
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  await page.getByRole('dialog', { name: 'Share this board' }).getByRole('button', { name: 'Close' }).click();
  const [, stream, token, key] = link.match(/#\/join\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/);
  return { link, stream, token, key };
}

/**
 * The open board's events as the server at `url` has them, read with the share link's token; a
 * private board's are opened with the link's key, as the format in docs/protocol.md says (a third
 * implementation of it, on Node's WebCrypto). Each comes with `sealed`, whether it came sealed.
 */
export async function serverEvents(page, url) {
  const { stream, token, key } = await shareLink(page);
  const response = await fetch(new URL(`/api/v1/streams/${stream}/events`, url), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`the server answered ${response.status}`);
  const events = (await response.json()).events;
  return Promise.all(events.map((event) => (key ? openSealed(event, stream, key) : { ...event, sealed: false })));
}

const fromBase64url = (text) => Buffer.from(text, 'base64url');
const uuidBytes = (uuid) => Buffer.from(uuid.replaceAll('-', ''), 'hex');

/** The associated data of a sealed event, exactly as docs/protocol.md writes it. */
function associatedData(event, stream, keyId) {
  const at = Buffer.alloc(8);
  at.writeBigInt64BE(BigInt(event.at));
  return Buffer.concat([Buffer.from('chronicle-sealed-v1'), keyId, uuidBytes(stream), uuidBytes(event.id), uuidBytes(event.device), at]);
}

/**
 * A board key for `seal`: 32 random bytes (or the base64url `raw` given), its AES-GCM key and its
 * id, with the key in base64url as a share link carries it.
 */
export async function boardKey(raw = globalThis.crypto.getRandomValues(new Uint8Array(32))) {
  const { subtle } = globalThis.crypto;
  const bytes = typeof raw === 'string' ? fromBase64url(raw) : Buffer.from(raw);
  const aes = await subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const hkdf = await subtle.importKey('raw', bytes, 'HKDF', false, ['deriveBits']);
  const info = Buffer.from('chronicle-key-id-v1');
  const id = Buffer.from(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, hkdf, 128));
  return { aes, id, link: bytes.toString('base64url') };
}

/** Seals a clear envelope of `stream` with `key` (from `boardKey`), as a private board's device does. */
export async function seal(event, stream, key) {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const plain = Buffer.from(JSON.stringify({ type: event.type, version: event.version, data: event.data }));
  const additionalData = associatedData(event, stream, key.id);
  const ciphertext = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData }, key.aes, plain);
  const data = { key: key.id.toString('base64url'), nonce: Buffer.from(nonce).toString('base64url'), ciphertext: Buffer.from(ciphertext).toString('base64url') };
  return { id: event.id, type: 'sealed', version: 1, device: event.device, at: event.at, data };
}

/** Opens one sealed event of `stream` with the base64url `key`; throws when it does not open. */
export async function openSealed(event, stream, key) {
  if (event.type !== 'sealed') throw new Error(`event ${event.id} of a private board came unsealed`);
  const { aes } = await boardKey(key);
  const plain = await globalThis.crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64url(event.data.nonce), additionalData: associatedData(event, stream, fromBase64url(event.data.key)) },
    aes,
    fromBase64url(event.data.ciphertext),
  );
  const { type, version, data } = JSON.parse(Buffer.from(plain).toString('utf8'));
  return { ...event, type, version, data, sealed: true };
}

/**
 * Writes, as the build before layout 3 did, a board whose first event is confirmed and whose
 * second is pending: layout 2's stores and indexes, log state as JSON text. Returns its id. Runs
 * in the browser, on the app's origin before the app has started there.
 */
export async function writeLayoutTwo() {
  const stream = crypto.randomUUID();
  const device = crypto.randomUUID();
  const [todo, doing, done, created, added, card] = Array.from({ length: 6 }, () => crypto.randomUUID());
  const board = {
    id: created, stream, type: 'board_created', version: 1, device, at: 1_700_000_000_000, seq: 1,
    data: { name: 'Kept from layout 2', columns: [{ id: todo, name: 'To do' }, { id: doing, name: 'Doing' }, { id: done, name: 'Done' }] },
  };
  const cardAdded = {
    id: added, stream, type: 'card_added', version: 2, device, at: 1_700_000_001_000,
    data: { card, column: todo, title: 'Written by layout 2', description: '' },
  };
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open('chronicle', 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      const pending = db.createObjectStore('events', { keyPath: ['stream', 'first'] });
      pending.createIndex('by_id', 'ids', { unique: true, multiEntry: true });
      pending.createIndex('by_seq', 'seqs', { unique: true, multiEntry: true });
      db.createObjectStore('meta');
      db.createObjectStore('snapshots');
      const confirmed = db.createObjectStore('confirmed', { keyPath: ['stream', 'first'] });
      confirmed.createIndex('by_id', 'ids', { multiEntry: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(['confirmed', 'events', 'meta'], 'readwrite');
    tx.objectStore('confirmed').add({ stream, first: 0, ids: [created], seqs: [[stream, 1]], events: JSON.stringify([board]) });
    tx.objectStore('events').add({ stream, first: 1, ids: [added], seqs: [], events: JSON.stringify([cardAdded]) });
    const meta = tx.objectStore('meta');
    meta.put(stream, `board/${stream}`);
    meta.put(JSON.stringify({ revision: 2, confirmed: 1 }), `log/${stream}`);
    meta.put(device, 'device/id');
    meta.put('Old laptop', 'device/name');
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return stream;
}
