// Trunk's last step of a build, run in its staging folder before it becomes `dist/`:
// 1. writes the stylesheet into index.html, so that the first paint waits for no other file (the
//    server allows that one style element by its hash), at the end of the head, after the
//    preloads of the app's script and wasm, so that their downloads start as early as before;
// 2. stamps the service worker with this build's id (a hash of index.html, which names every
//    hashed asset and now holds the styles), so browsers see a new build as a new worker;
// 3. writes each file compressed beside it, brotli (`.br`) and gzip (`.gz`) at their highest
//    levels, which the server sends as they are to browsers that take them.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('TRUNK_STAGING_DIR is not set: this script runs as a Trunk post_build hook');

const stylesheet = /<link rel="stylesheet" href="\/?([^"/]+\.css)"[^>]*>/;
const page = readFileSync(join(dir, 'index.html'), 'utf8');
const linked = stylesheet.exec(page);
if (!linked) throw new Error('index.html links no stylesheet to inline: has the build changed how it names it?');
const css = readFileSync(join(dir, linked[1]), 'utf8');
if (css.includes('</style')) throw new Error(`${linked[1]} cannot be inlined: it contains "</style"`);
if (!page.includes('</head>')) throw new Error('index.html has no </head> to put the styles before');
writeFileSync(join(dir, 'index.html'), page.replace(linked[0], '').replace('</head>', () => `<style>${css}</style></head>`));
rmSync(join(dir, linked[1]));

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
