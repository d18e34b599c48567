// Others' edits, live. Every few seconds the page asks the server which tables
// changed (GET api/changes with If-None-Match: when nothing did, the answer is
// an empty 304) and fires `datachange` on document with the tables that moved.
// A view that can refresh in place (the schedule, the product list) handles it
// and calls preventDefault(); otherwise app.js re-renders the view, unless the
// user is busy in a dialog or the product drawer (then it waits for them).

const EVERY_MS = 3000;

let etag = null;
let last = null;
let timer = null;

export function startLive() {
  if (timer) return;
  const tick = async () => {
    timer = setTimeout(tick, EVERY_MS);
    if (document.visibilityState !== 'visible') return;
    let res;
    try {
      res = await fetch('api/changes', {
        headers: etag ? { 'If-None-Match': etag } : {}, cache: 'no-store', credentials: 'same-origin',
      });
    } catch {
      return; // offline for a moment: the next tick asks again
    }
    if (res.status !== 200) return; // 304: nothing changed; 401/503: not now
    etag = res.headers.get('ETag');
    const now = await res.json();
    const before = last;
    last = now;
    if (!before) return; // the first answer is the baseline
    const names = new Set([...Object.keys(now.tables), ...Object.keys(before.tables)]);
    const tables = [...names].filter((n) => now.tables[n] !== before.tables[n]);
    if (!tables.length && now.all === before.all) return;
    const all = now.all !== before.all;
    document.dispatchEvent(new CustomEvent('datachange', {
      detail: { tables, all }, bubbles: true, cancelable: true,
    }));
  };
  timer = setTimeout(tick, 0);
}

// Whether a `datachange` concerns any of these tables.
export function concerns(event, tables) {
  return event.detail.all || event.detail.tables.some((t) => tables.includes(t));
}
