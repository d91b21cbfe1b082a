// Chronicle in the other engines people use: Firefox (through geckodriver) and WebKit, Safari's
// engine (WebKitGTK's MiniBrowser, on a virtual display). In each, a board an earlier build kept
// (layout 2) opens after the database's upgrade, and the page is left at once for the next one
// (which the first must not hold up); a private board is made and
// sealed with that engine's WebCrypto, what the server holds opens with the share link's key, and
// Chromium, opening the link, shows the same board; then a column longer than the window is
// drawn whole, in order, after a reload, and a card moves down it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Builder, By, Key, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { expect } from './expect.mjs';
import { useServer, openSealed, writeLayoutTwo } from './support.mjs';

const app = useServer({ before, after });

async function freePort() {
  const listener = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

/** Waits until something listens on `port`. */
async function listening(port) {
  for (let i = 0; i < 200; i += 1) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function firefoxDriver() {
  const geckodriver = process.env.GECKODRIVER ?? path.join(os.homedir(), '.cargo/bin/geckodriver');
  const options = new firefox.Options().addArguments('-headless').setBinary('/usr/bin/firefox-esr');
  const driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(geckodriver))
    .build();
  return { driver, stop: () => driver.quit() };
}

async function webkitDriver() {
  const port = await freePort();
  // The driver starts MiniBrowser, which needs a display: a virtual one, its own.
  const child = spawn('xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`], { stdio: 'ignore', detached: true });
  await listening(port);
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}`)
    .withCapabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', args: ['--automation'] },
    })
    .build();
  return {
    driver,
    stop: async () => {
      await driver.quit().catch(() => {});
      try { process.kill(-child.pid); } catch { /* gone already */ }
    },
  };
}

async function privateBoardIn(engine, start) {
  const { driver, stop } = await start();
  try {
    // A profile an earlier build left (layout 2) is upgraded in this engine, with nothing lost.
    // It is written from a page of the app's origin that does not start the app (an image:
    // Firefox shows the manifest in its JSON viewer, whose storage is not the origin's).
    await driver.get(new URL('/icon.svg', app.server.url).href);
    const kept = await driver.executeAsyncScript(`(${writeLayoutTwo})().then(arguments[arguments.length - 1]);`);
    await driver.get(new URL(`#/board/${kept}`, app.server.url).href);
    await driver.wait(
      until.elementLocated(By.xpath("//ul[@aria-label='To do']//li[contains(., 'Written by layout 2')]")),
      30_000,
      `${engine} opens a board an earlier build kept`,
    );
    assert.equal(await driver.findElement(By.css('h1')).getText(), 'Kept from layout 2');
    // Left at once for another page, while the board's sync is still storing: the page the
    // browser keeps in its back/forward cache must not hold the next one's transactions up
    // (WebKit keeps a suspended page's transactions open).
    await driver.get(app.server.url);

    const name = await driver.wait(until.elementLocated(By.css('input[aria-label="New board name"]')), 30_000);
    // The styles, which the build writes into the page, apply: its policy allows them by hash.
    assert.equal(await driver.findElement(By.css('.topbar')).getCssValue('position'), 'sticky', `${engine} applies the styles`);
    await name.sendKeys(`Made in ${engine}`);
    await driver.findElement(By.xpath("//button[normalize-space()='New board']")).click();
    const field = await driver.wait(until.elementLocated(By.css('input[aria-label="New card in To do"]')), 20_000);
    await field.sendKeys(`Sealed by ${engine}`, Key.ENTER);
    await driver.wait(until.elementLocated(By.xpath(`//ul[@aria-label='To do']//li[contains(., 'Sealed by ${engine}')]`)), 20_000);
    await driver.wait(until.elementLocated(By.xpath("//*[normalize-space()='End-to-end encrypted']")), 10_000);
    await driver.wait(async () => {
      const status = await driver.findElement(By.css('[aria-label="Sync status"]')).getText();
      return status.startsWith('Synced');
    }, 30_000);
    await driver.findElement(By.xpath("//button[normalize-space()='Share']")).click();
    const link = await driver.wait(until.elementLocated(By.css('input[aria-label="Share link"]')), 10_000).getAttribute('value');
    const [, stream, token, key] = link.match(/#\/join\/([^/]+)\/([^/]+)\/([^/]+)$/);
    // "Synced" told before the card was stored (sealing it takes a moment) says nothing of the
    // card: wait for the server to hold it, sealed.
    const serverHoldsTheCard = async () => {
      const response = await fetch(new URL(`/api/v1/streams/${stream}/events`, app.server.url), { headers: { authorization: `Bearer ${token}` } });
      const opened = await Promise.all((await response.json()).events.map((e) => openSealed(e, stream, key)));
      return opened.some((e) => e.type === 'card_added' && e.data.title === `Sealed by ${engine}`);
    };
    await driver.wait(serverHoldsTheCard, 30_000, `${engine} sealed its card and sent it`);

    const chromium = await app.device(link);
    await expect(chromium.getByRole('list', { name: 'To do', exact: true }).getByRole('listitem').filter({ hasText: `Sealed by ${engine}` })).toBeVisible();

    // A column longer than the window: the board's first frame draws only what the window shows,
    // and after a reload every card is there, in order.
    await driver.manage().window().setRect({ width: 1024, height: 480 });
    const height = await driver.executeScript('return window.innerHeight');
    const titles = Array.from({ length: Math.ceil(height / 40) + 4 }, (_, i) => `${engine} task ${i + 1}`);
    for (const title of titles) {
      await driver.findElement(By.css('input[aria-label="New card in To do"]')).sendKeys(title, Key.ENTER);
      await driver.wait(until.elementLocated(By.xpath(`//ul[@aria-label='To do']//li[contains(., '${title}')]`)), 20_000);
    }
    await driver.navigate().refresh();
    const cards = async () => {
      const drawn = await driver.findElements(By.css('ul[aria-label="To do"] li .card-title'));
      return Promise.all(drawn.map((title) => title.getAttribute('textContent')));
    };
    await driver.wait(async () => (await cards()).length === titles.length + 1, 30_000, `${engine} draws every card after a reload`);
    assert.deepEqual(await cards(), [`Sealed by ${engine}`, ...titles]);

    // A move finds the card in its column (with WebAssembly's SIMD instructions) and puts it in
    // its new place.
    await driver.findElement(By.xpath("//ul[@aria-label='To do']/li[1]//button[@aria-label='Move down']")).click();
    const moved = [titles[0], `Sealed by ${engine}`, ...titles.slice(1)];
    await driver.wait(async () => JSON.stringify(await cards()) === JSON.stringify(moved), 20_000, `${engine} moves a card down`);
  } finally {
    await stop();
  }
}

test('Firefox makes a private board that the server holds sealed and Chromium opens', async () => {
  await privateBoardIn('Firefox', firefoxDriver);
});

test('WebKit makes a private board that the server holds sealed and Chromium opens', async () => {
  await privateBoardIn('WebKit', webkitDriver);
});
