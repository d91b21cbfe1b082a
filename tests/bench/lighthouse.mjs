// Lighthouse 12 on the mobile preset (a mid-range phone on a slow 4G network, simulated) against
// the release app served by the release server, as a first visit: performance score, largest
// contentful paint, first contentful paint and total blocking time, the median of three runs, and
// in how many of them the simulation counted the wasm's download in the largest paint.
// Prints `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer } from '../e2e/support.mjs';

const lighthouse = fileURLToPath(new URL('../../node_modules/.bin/lighthouse', import.meta.url));
const RUNS = 3;

const server = await startServer();
try {
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) {
    const { stdout } = await promisify(execFile)(lighthouse, [
      server.url,
      '--only-categories=performance',
      '--output=json',
      '--output-path=stdout',
      '--quiet',
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking',
    ], { env: { ...process.env, CHROME_PATH: process.env.CHROMIUM ?? '/usr/bin/chromium' }, maxBuffer: 64 * 1024 * 1024 });
    const report = JSON.parse(stdout);
    if (report.runtimeError) throw new Error(`Lighthouse: ${report.runtimeError.message}`);
    // The simulated largest paint counts a request only if it ended before the paint observed on
    // the real (unthrottled) load: whether the wasm did decides most of the figure.
    const observed = report.audits.metrics.details.items[0].observedLargestContentfulPaint;
    const wasm = report.audits['network-requests'].details.items.find((request) => request.url.endsWith('.wasm'));
    runs.push({
      score: Math.round(report.categories.performance.score * 100),
      lcp: report.audits['largest-contentful-paint'].numericValue,
      fcp: report.audits['first-contentful-paint'].numericValue,
      tbt: report.audits['total-blocking-time'].numericValue,
      wasmCounted: wasm !== undefined && wasm.networkEndTime <= observed,
    });
  }
  const median = (key) => runs.map((run) => run[key]).sort((a, b) => a - b)[RUNS >> 1];
  const counted = runs.filter((run) => run.wasmCounted).length;
  console.log(`BENCH\tLighthouse mobile performance score (median of ${RUNS}; LCP, FCP, TBT)\t${median('score')} (LCP ${Math.round(median('lcp'))} ms, FCP ${Math.round(median('fcp'))} ms, TBT ${Math.round(median('tbt'))} ms; the wasm in the largest paint's graph in ${counted} of ${RUNS} runs)`);
} finally {
  await server.close();
}
