// The sync status the indicator and the dialogs share: the last answer of
// GET api/sync/status (or why it could not be had), whether this page is
// running a round right now, how many data problems there are (GET
// api/problems?limit=0: rules between records that merged edits broke),
// and listeners told of every change. Concurrent refreshes share one request.
//
// When a round (here or in the background) brought changes from other
// devices, or a conflict was settled, a `syncchange` event is fired on
// document so that views showing records can reload them.

import { api } from '../api.js';

let status = null;
let failure = null; // an ApiError when the status could not be read
let runningHere = false;
let problems = null; // {total, counts} from api/problems, null when not known
let health = null; // GET /health: a failing disk or sync storage shows in the top bar
let inflight = null;
const listeners = new Set();

export function snapshot() {
  return { status, failure, running: runningHere || Boolean(status?.running), problems, health };
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  const snap = snapshot();
  for (const fn of listeners) {
    try { fn(snap); } catch (err) { console.error(err); }
  }
}

export function dataChanged(detail = {}) {
  document.dispatchEvent(new CustomEvent('syncchange', { detail }));
}

// A round that ended since the last status we saw and pulled something.
function pulledSince(prev, next) {
  if (!prev || !next?.last_ok || next.last_ok === prev.last_ok) return 0;
  return Number(next.last_summary?.pulled) || 0;
}

function readHealth() {
  return fetch('health', { credentials: 'same-origin', cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : null))
    .then((h) => { health = h; })
    .catch(() => { health = null; });
}

function readProblems() {
  return api.get('api/problems?limit=0', { quiet: true, noRedirect: true })
    .then((p) => { problems = { total: Number(p?.total) || 0, counts: p?.counts || {} }; })
    .catch(() => { problems = null; }); // a server without the route: nothing to show
}

export function refresh() {
  if (inflight) return inflight;
  const read = api.get('api/sync/status', { quiet: true, noRedirect: true })
    .then((s) => {
      const pulled = pulledSince(status, s);
      status = s;
      failure = null;
      if (pulled) dataChanged({ pulled });
    })
    .catch((err) => { failure = err; });
  inflight = Promise.all([read, readProblems(), readHealth()])
    .finally(() => { inflight = null; notify(); })
    .then(() => status);
  return inflight;
}

// The problems list the panel has just read: the top bar counts them at once.
export function setProblems(listing) {
  if (!listing) return;
  problems = { total: Number(listing.total) || 0, counts: listing.counts || {} };
  notify();
}

export function setStatus(next) {
  if (!next) return;
  status = next;
  failure = null;
  notify();
}

// POST api/sync/run: one round now. Resolves to the answer
// {status, summary}; rejects with the ApiError (no toast: callers say it).
export async function runNow() {
  runningHere = true;
  notify();
  // while it runs, read the status every second: it says how far the round has got
  const ticking = setInterval(refresh, 1000);
  try {
    const res = await api.post('api/sync/run', {}, { quiet: true, noRedirect: true });
    if (res?.status) status = res.status;
    failure = null;
    const pulled = Number(res?.summary?.pulled) || 0;
    if (pulled) dataChanged({ pulled });
    return res;
  } finally {
    clearInterval(ticking);
    runningHere = false;
    notify();
    refresh();
  }
}
