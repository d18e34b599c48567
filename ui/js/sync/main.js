// Sync in the desktop UI: the indicator in the top bar (#sync-slot), the
// settings dialog and the conflicts panel. Listed in index.html after the
// shell; it reads the session itself and shows nothing to a guest.
//
// The status is polled every 10 s while the page is visible (every 2 s
// while a round runs) and at once when the page comes back into view; the
// relative time ("3 分钟前") is redrawn every 15 s between polls.

import { loadSession } from '../api.js';
import { openConflicts } from './conflicts.js';
import { createIndicator } from './indicator.js';
import { openSettings } from './settings.js';
import { refresh, snapshot, subscribe } from './state.js';

const POLL_MS = 10_000;
const POLL_RUNNING_MS = 2_000;
const REDRAW_MS = 15_000;

let pollTimer = null;

function visible() {
  return document.visibilityState === 'visible';
}

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = null;
  if (!visible()) return; // resumed by visibilitychange
  pollTimer = setTimeout(async () => {
    await refresh();
    schedulePoll();
  }, snapshot().running ? POLL_RUNNING_MS : POLL_MS);
}

async function start() {
  const slot = document.getElementById('sync-slot');
  if (!slot) return;
  let session;
  try {
    session = await loadSession();
  } catch {
    return; // the shell already says the server cannot be reached
  }
  if (!session.authenticated) return; // a guest can neither see nor change sync settings

  const conflicts = () => openConflicts();
  const settings = () => openSettings({ onOpenConflicts: conflicts });
  const render = createIndicator(slot, { onOpenSettings: settings, onOpenConflicts: conflicts });
  let wasRunning = false;
  subscribe((snap) => {
    render(snap);
    // A round started elsewhere (the background loop): poll faster until it ends.
    if (snap.running !== wasRunning) { wasRunning = snap.running; schedulePoll(); }
  });
  document.addEventListener('langchange', () => render(snapshot()));
  document.addEventListener('visibilitychange', async () => {
    if (!visible()) { clearTimeout(pollTimer); return; }
    await refresh();
    schedulePoll();
  });
  setInterval(() => { if (visible()) render(snapshot()); }, REDRAW_MS);
  await refresh();
  schedulePoll();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
