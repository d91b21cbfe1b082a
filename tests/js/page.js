// What the browser does to a page, for the storage tests.

/** Tells the page it is being put aside, as a browser does when it keeps it in its back/forward cache (`persisted`) or leaves it. */
export function hidePage(persisted) {
  window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted }));
}
