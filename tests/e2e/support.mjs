// Shared by the end-to-end tests: serves the built app from dist/ on a free loopback port and
// starts Debian's Chromium through playwright-core (never a downloaded browser).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** Serves `dist` on 127.0.0.1 (on `port`, or a free one); resolves to { url, port, close }. */
export async function serveDist(dist = process.env.CHRONICLE_DIST ?? 'dist', port = 0) {
  const root = path.resolve(dist);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`${root}/index.html is missing: build the app first (cargo xtask test does)`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = server.address().port;
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      // Like a server that is switched off: open keep-alive connections go too.
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${bound}/`, port: bound, close };
}

/** Starts headless Chromium with a fresh profile; resolves to { context, close }. */
export async function startBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-e2e-'));
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
 * Serves the app and starts a browser for the tests of one file; both are stopped after them.
 * Returns an object whose `url` and `context` are set once the file's tests start.
 */
export function useApp({ before, after }) {
  const app = {};
  let server;
  let browser;
  before(async () => {
    server = await serveDist();
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
