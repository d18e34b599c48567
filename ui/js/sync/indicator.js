// The sync indicator in the top bar: a dot and a few words for the state
// (not set up, syncing, synced some minutes ago, changes waiting, offline or
// failing) and, when there are any, a badge with the number of conflicts and
// of data problems (rules between records that merged edits broke, such as
// two products with one SKU). describe() decides what to show; render() only
// draws it.

import { errorText } from '../api.js';
import { t } from '../i18n.js';
import { add, h, spinner } from './dom.js';
import { ago, count, dateTime, errorDetail, errorTitle } from './format.js';

// Errors that mean "cannot reach it now": normal when offline, shown amber.
const OFFLINE = new Set(['sync_unreachable', 'storage_unavailable', 'network', 'timeout']);

// {state, text, title, conflicts, problems}; state is one of off, syncing,
// error, offline, pending, never, ok, unknown.
export function describe(snap, now = Date.now()) {
  const view = describeSync(snap, now);
  view.problems = Number(snap.problems?.total) || 0;
  return view;
}

function describeSync({ status, failure, running }, now) {
  if (!status) {
    // No answer yet, or a server without sync (404) or a signed-out page
    // (401): nothing to show.
    if (!failure || failure.status === 404 || failure.status === 401) {
      return { state: 'unknown', text: '', title: '', conflicts: 0 };
    }
    return { state: 'offline', text: t('sync.status.unknown'), title: errorText(failure), conflicts: 0 };
  }
  const conflicts = Number(status.conflicts) || 0;
  const pending = Number(status.pending) || 0;
  const lines = [];
  if (status.url) lines.push(t('sync.tip.server', { url: status.url }));
  if (status.last_ok) lines.push(t('sync.tip.lastOk', { time: dateTime(status.last_ok) }));
  const s = status.last_summary;
  if (s && status.last_ok) lines.push(t('sync.summary', { pushed: s.pushed ?? 0, pulled: s.pulled ?? 0, conflicts: s.conflicts ?? 0 }));
  if (pending) lines.push(count('sync.status.pending', pending));
  const title = () => lines.join('\n');

  if (!status.configured) {
    return { state: 'off', text: t('sync.status.off'), title: t('sync.tip.off'), conflicts };
  }
  if (running) return { state: 'syncing', text: t('sync.status.syncing'), title: title(), conflicts };
  if (status.error) {
    const e = status.error;
    lines.unshift(errorDetail(e));
    if (status.next_attempt) lines.push(t('sync.tip.retry', { time: dateTime(status.next_attempt) }));
    const offline = OFFLINE.has(e.code);
    return {
      state: offline ? 'offline' : 'error',
      text: offline ? t('sync.status.offline') : errorTitle(e),
      title: title(),
      conflicts,
    };
  }
  if (pending) return { state: 'pending', text: count('sync.status.pending', pending), title: title(), conflicts };
  if (!status.last_ok) return { state: 'never', text: t('sync.status.never'), title: title(), conflicts };
  return {
    state: 'ok',
    text: t('sync.status.ok', { ago: ago(status.last_ok, now) }),
    title: title(),
    conflicts,
  };
}

// Builds the indicator into `slot`; returns render(snapshot) to redraw it.
export function createIndicator(slot, { onOpenSettings, onOpenConflicts }) {
  const dot = h('span', { class: 'sync-dot', 'aria-hidden': 'true' });
  const text = h('span', { class: 'sync-text' });
  const button = h('button', { type: 'button', id: 'sync-status', class: 'btn btn-ghost sync-status', onclick: onOpenSettings },
    dot, text);
  const badge = h('button', { type: 'button', id: 'sync-conflicts', class: 'sync-badge', hidden: true, onclick: onOpenConflicts });
  // Saving fails (a full disk, a file that cannot be written) or the server's
  // sync storage does: said in the top bar, in the user's language.
  const storage = h('span', { id: 'store-problem', class: 'sync-badge sync-badge-problems', role: 'status', hidden: true });
  add(slot, storage, button, badge);

  return function render(snap) {
    const view = describe(snap);
    button.hidden = view.state === 'unknown';
    button.dataset.state = view.state;
    dot.replaceChildren(view.state === 'syncing' ? spinner() : '');
    text.textContent = view.text;
    button.title = view.title || t('sync.action.settings');
    button.setAttribute('aria-label', [view.text, t('sync.action.settings')].join(' · '));
    // Data problems show even where sync is not set up (a server that devices
    // sync with has them too); the badge then opens the same panel.
    const trouble = storageTrouble(snap.health);
    storage.hidden = !trouble;
    storage.textContent = trouble ? trouble.text : '';
    storage.title = trouble ? trouble.title : '';
    slot.hidden = view.state === 'unknown' && !view.problems && !trouble;
    badge.hidden = !view.conflicts && !view.problems;
    badge.textContent = [
      view.conflicts ? count('sync.conflicts.badge', view.conflicts) : '',
      view.problems ? count('sync.problems.badge', view.problems) : '',
    ].filter(Boolean).join(' · ');
    badge.classList.toggle('sync-badge-problems', Boolean(view.problems));
    badge.title = view.problems ? t('sync.problems.open') : t('sync.conflicts.open');
  };
}

// What /health says is wrong with saving, in words: the disk is full, the data
// file cannot be written, or the server's sync storage fails or is refused.
function storageTrouble(health) {
  if (!health || health.status !== 'degraded') return null;
  const problem = health.storage?.problem;
  if (problem) {
    const code = /no space|disk quota/i.test(problem) ? 'disk_full' : 'store_unwritable';
    return { text: t('health.storage'), title: t(`error.${code}`) };
  }
  const e = health.sync?.error;
  if (e) return { text: t('health.syncStorage'), title: errorDetail(e) || errorTitle(e) };
  return null;
}
