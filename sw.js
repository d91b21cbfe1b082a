// Chronicle's service worker: keeps the app shell (index.html and the files it names) so the app
// opens with no network. Each build gets its own cache; a new build waits until the person
// accepts the update, so one page never mixes files of two builds. API calls are never cached.

const BUILD = '__CHRONICLE_BUILD__';
const PREFIX = 'chronicle-shell-';
const CACHE = PREFIX + BUILD;
const INDEX = './';

/**
 * The files an index.html names: styles, icons, the JS glue and the wasm it loads. The release
 * build's page is minified, so an attribute's value may come without quotes.
 */
function assetsOf(html) {
  const attributes = [...html.matchAll(/\b(?:href|src)=(?:"([^"#?]+)"|([^\s"'>#?]+))/g)].map((m) => m[1] ?? m[2]);
  const scripts = [...html.matchAll(/['"]([^'"]+\.(?:wasm|js))['"]/g)].map((m) => m[1]);
  return [...new Set([...attributes, ...scripts].filter((url) => !/^[a-z]+:/i.test(url)))];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // The index and the files it names are fetched together, so the cache holds one build.
      const response = await fetch(INDEX, { cache: 'no-store' });
      if (!response.ok) throw new Error(`index.html: ${response.status}`);
      const html = await response.clone().text();
      await cache.addAll(assetsOf(html).map((url) => new Request(url, { cache: 'no-store' })));
      await cache.put(INDEX, response);
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'chronicle-apply-update') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(request.mode === 'navigate' ? INDEX : request, { ignoreSearch: request.mode === 'navigate' });
      return cached ?? fetch(request);
    })(),
  );
});
