// Trunk's last step of a build, run in its staging folder before it becomes `dist/`:
// 1. writes the stylesheet into index.html, so that the first paint waits for no other file (the
//    server allows that one style element by its hash), at the end of the head, after the
//    preloads of the app's script and wasm, so that their downloads start as early as before;
// 2. has the loader say so on the page when the app cannot start (an engine without WebAssembly
//    SIMD, which the app needs, or files that could not be loaded), where the first paint's
//    "Opening your boards…" would otherwise stay for good;
// 3. in a release build, minifies the app's script (wasm-bindgen's glue: Trunk minifies only the
//    page and its styles) and gives index.html its new integrity;
// 4. stamps the service worker with this build's id (a hash of index.html, which names every
//    hashed asset and now holds the styles), so browsers see a new build as a new worker;
// 5. writes each file compressed beside it, brotli (`.br`) and gzip (`.gz`) at their highest
//    levels, which the server sends as they are to browsers that take them.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { minify } from 'terser';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('TRUNK_STAGING_DIR is not set: this script runs as a Trunk post_build hook');

const page = readFileSync(join(dir, 'index.html'), 'utf8');
// The build's HTML is minified: attributes come in any order, quoted or not.
const linkTag = (page.match(/<link\b[^>]*>/g) ?? []).find((tag) => /\brel="?stylesheet\b/.test(tag));
const linked = linkTag && [linkTag, /\bhref="?\/?([^"\s>/]+\.css)/.exec(linkTag)?.[1]];
if (!linked?.[1]) throw new Error('index.html links no stylesheet to inline: has the build changed how it names it?');
const css = readFileSync(join(dir, linked[1]), 'utf8');
if (css.includes('</style')) throw new Error(`${linked[1]} cannot be inlined: it contains "</style"`);
if (!page.includes('</head>')) throw new Error('index.html has no </head> to put the styles before');
const loader = /const wasm = await init\((\{[^;]*\})\);/;
if (!loader.test(page)) throw new Error("index.html has no `await init(...)` to watch: has the build changed how it loads the app?");
// The smallest module that uses a SIMD instruction: an engine that cannot validate it cannot run the app.
const cannotStart = `const cannotStart = (error) => {
  const simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  const tooOld = typeof WebAssembly !== 'object' || !WebAssembly.validate(simd);
  const page = document.getElementById('first-paint');
  if (page) {
    page.querySelector('h1').textContent = tooOld ? 'Chronicle needs a newer browser' : 'Chronicle could not start';
    const message = page.querySelector('p');
    message.setAttribute('role', 'alert');
    message.textContent = tooOld
      ? 'This browser cannot run Chronicle: it needs WebAssembly with SIMD (Chrome or Edge 91, Firefox 89, Safari 16.4 or later). The boards kept in this browser are as they were.'
      : \`Its files could not be loaded (\${error}). Check the connection and reload the page; the boards kept in this browser are as they were.\`;
  }
  throw error;
};
`;
let finished = page
  .replace(linked[0], '')
  .replace(loader, (_, options) => `${cannotStart}const wasm = await init(${options}).catch(cannotStart);`)
  .replace('</head>', () => `<style>${css}</style></head>`);
rmSync(join(dir, linked[1]));

if (process.env.TRUNK_PROFILE === 'release') {
  const scripts = readdirSync(dir).filter((name) => /^chronicle-[0-9a-f]+\.js$/.test(name));
  if (scripts.length !== 1) throw new Error(`expected one app script, found ${scripts.join(', ') || 'none'}`);
  const path = join(dir, scripts[0]);
  const source = readFileSync(path, 'utf8');
  const integrity = (text) => `sha384-${createHash('sha384').update(text).digest('base64')}`;
  if (!finished.includes(integrity(source))) throw new Error(`index.html does not name ${scripts[0]} by its integrity`);
  const { code } = await minify(source, { module: true, compress: true, mangle: true });
  writeFileSync(path, code);
  finished = finished.replace(integrity(source), integrity(code));
}
writeFileSync(join(dir, 'index.html'), finished);

const index = readFileSync(join(dir, 'index.html'));
const build = createHash('sha256').update(index).digest('hex').slice(0, 16);
const worker = join(dir, 'sw.js');
writeFileSync(worker, readFileSync(worker, 'utf8').replace('__CHRONICLE_BUILD__', build));

const compressible = /\.(?:html|js|wasm|css|svg|webmanifest)$/;
for (const name of readdirSync(dir)) {
  if (!compressible.test(name)) continue;
  const path = join(dir, name);
  const bytes = readFileSync(path);
  const brotli = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      [constants.BROTLI_PARAM_MODE]: name.endsWith('.wasm') ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
    },
  });
  const gzip = gzipSync(bytes, { level: 9 });
  // A file too small to shrink is only ever sent as it is.
  if (brotli.length < bytes.length) writeFileSync(`${path}.br`, brotli);
  if (gzip.length < bytes.length) writeFileSync(`${path}.gz`, gzip);
}
