// The sync settings dialog: the server's address, this device's token and
// how often to sync (PUT api/sync/settings), "sync now" (POST api/sync/run)
// with its summary, and turning sync off (PUT with an empty url). The
// server's reasons for refusing a field are shown under that field.

import { api } from '../api.js';
import { currentLang, has, t } from '../i18n.js';
import { h, openDialog, spinner, toast } from './dom.js';
import { count, dateTime, errorDetail, errorTitle } from './format.js';
import { refresh, runNow, setStatus, snapshot, subscribe } from './state.js';

const MIN_INTERVAL = 10;

function field(name, label, input, hint) {
  const error = h('span', { class: 'sync-field-error', id: `sync-f-${name}-error`, hidden: true });
  const note = h('small', { class: 'muted sync-hint', text: hint || '' });
  input.setAttribute('aria-describedby', error.id);
  const el = h('label', { class: 'field sync-field', dataset: { field: name } },
    h('span', { text: label }), input, note, error);
  return {
    el,
    input,
    note,
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

// A reason for a field: translated when the server sends field_codes and we
// know the code, else the server's own words.
function fieldReason(err, name) {
  const code = err.body?.field_codes?.[name];
  if (code && has(`sync.fieldError.${code}`)) return t(`sync.fieldError.${code}`);
  return err.fields?.[name] || '';
}

export async function openSettings({ onOpenConflicts } = {}) {
  let settings;
  try {
    settings = await api.get('api/sync/settings');
  } catch {
    return; // the toast says why
  }

  const url = field('url', t('sync.settings.url'), h('input', {
    id: 'sync-url', type: 'url', inputmode: 'url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://', value: settings.url || '',
  }), t('sync.settings.urlHint'));
  const token = field('token', t('sync.settings.token'), h('input', {
    id: 'sync-token', type: 'password', autocomplete: 'new-password',
    placeholder: settings.token_set ? t('sync.settings.tokenSet') : t('sync.settings.tokenPlaceholder'),
  }), settings.token_set ? t('sync.settings.tokenKeep') : t('sync.settings.tokenHint'));
  const interval = field('interval', t('sync.settings.interval'), h('input', {
    id: 'sync-interval', type: 'number', min: String(MIN_INTERVAL), step: '1', value: String(settings.interval || 60),
  }), t('sync.settings.intervalHint', { min: MIN_INTERVAL }));
  const fields = { url, token, interval };

  const overview = h('div', { class: 'sync-overview', id: 'sync-overview' });
  const problem = h('div', { class: 'form-error sync-problem', id: 'sync-problem', role: 'alert', hidden: true });
  const progressText = h('span', { id: 'sync-progress-text', text: t('sync.status.syncing') });
  const progress = h('div', { class: 'sync-progress', id: 'sync-progress', hidden: true, role: 'status' },
    spinner(), progressText);
  const replica = h('p', { class: 'muted sync-replica', text: t('sync.settings.replica', { replica: settings.replica || '' }) });

  const save = h('button', { type: 'submit', id: 'sync-save', class: 'btn btn-primary', text: t('sync.action.save') });
  const run = h('button', { type: 'button', id: 'sync-run', class: 'btn', text: t('sync.action.run') });
  const off = h('button', { type: 'button', id: 'sync-off', class: 'btn btn-ghost btn-danger sync-off', text: t('sync.action.off') });
  const conflicts = h('button', { type: 'button', id: 'sync-open-conflicts', class: 'btn btn-ghost sync-link', hidden: true });

  const form = h('form', { class: 'sync-form', id: 'sync-form', novalidate: true },
    overview, url.el, token.el, interval.el, replica, problem, progress);
  const { dialog, close } = openDialog({
    title: t('sync.settings.title'),
    className: 'sync-settings',
    body: form,
    footer: [off, conflicts, h('span', { class: 'sync-spacer' }), run, save],
  });
  save.setAttribute('form', form.id);

  // The box under the fields: what went wrong with the last save or run
  // here, else the error of the last background round.
  let localError = null;
  let shown = null;
  function showProblem(error) {
    // Redrawn only when it changes, so a screen reader announces it once.
    const key = error ? JSON.stringify([errorTitle(error), error.message]) : null;
    if (key === shown) return;
    shown = key;
    problem.replaceChildren();
    problem.hidden = !error;
    if (!error) return;
    problem.append(h('strong', { text: errorTitle(error) }));
    // In Chinese the translated detail (the server's message is English).
    const detail = currentLang() === 'en' ? error.message || '' : errorDetail(error);
    if (detail && detail !== errorTitle(error)) problem.append(h('span', { text: detail }));
  }

  function renderOverview(snap) {
    const s = snap.status;
    const configured = Boolean(s?.configured);
    off.hidden = !configured && !settings.url;
    run.disabled = snap.running || !(configured || url.input.value.trim());
    save.disabled = snap.running;
    progress.hidden = !snap.running;
    progressText.textContent = progressLine(s?.progress);
    const n = Number(s?.conflicts) || 0;
    conflicts.hidden = !n;
    conflicts.textContent = n ? count('sync.conflicts.badge', n) : '';
    const rows = [];
    if (!configured) rows.push(h('p', { text: t('sync.settings.intro') }));
    else {
      rows.push(h('p', {},
        h('strong', { text: t('sync.settings.lastOk') }), ' ',
        s.last_ok ? dateTime(s.last_ok) : t('sync.settings.neverYet')));
      if (s.last_summary && s.last_ok) {
        const sum = s.last_summary;
        rows.push(h('p', { class: 'muted', text: t('sync.summary', { pushed: sum.pushed ?? 0, pulled: sum.pulled ?? 0, conflicts: sum.conflicts ?? 0 }) }));
      }
      if (s.pending) rows.push(h('p', { class: 'muted', text: count('sync.status.pending', s.pending) }));
    }
    overview.replaceChildren(...rows);
    showProblem(localError || (configured && !snap.running ? s.error : null));
  }

  const unsubscribe = subscribe(renderOverview);
  dialog.addEventListener('close', unsubscribe);
  renderOverview(snapshot());
  url.input.addEventListener('input', () => renderOverview(snapshot()));

  function clearErrors() {
    for (const f of Object.values(fields)) f.setError('');
    localError = null;
    showProblem(null);
  }

  // Checks what can be checked here; the server checks again.
  function values() {
    const body = { url: url.input.value.trim() };
    const n = Number(interval.input.value);
    let ok = true;
    if (!body.url) { url.setError(t('sync.settings.urlRequired')); ok = false; }
    else if (!/^https?:\/\/\S+$/i.test(body.url)) { url.setError(t('sync.settings.urlScheme')); ok = false; }
    if (!Number.isInteger(n) || n < MIN_INTERVAL) {
      interval.setError(t('sync.settings.intervalMin', { min: MIN_INTERVAL }));
      ok = false;
    }
    body.interval = n;
    const tok = token.input.value.trim();
    if (tok) body.token = tok;
    else if (!settings.token_set) { token.setError(t('sync.settings.tokenRequired')); ok = false; }
    return ok ? body : null;
  }

  function changed() {
    return url.input.value.trim() !== (settings.url || '') || token.input.value.trim() !== ''
      || Number(interval.input.value) !== settings.interval;
  }

  async function put(body) {
    try {
      settings = await api.put('api/sync/settings', body, { quiet: true });
    } catch (err) {
      const named = Object.keys(fields).filter((k) => fieldReason(err, k));
      for (const k of named) fields[k].setError(fieldReason(err, k));
      if (!named.length) {
        localError = err.body && err.body.message ? err.body : { code: err.code, message: err.message };
        showProblem(localError);
      }
      if (named.length) fields[named[0]].input.focus();
      return false;
    }
    token.input.value = '';
    token.input.placeholder = settings.token_set ? t('sync.settings.tokenSet') : t('sync.settings.tokenPlaceholder');
    token.note.textContent = settings.token_set ? t('sync.settings.tokenKeep') : t('sync.settings.tokenHint');
    url.input.value = settings.url || '';
    interval.input.value = String(settings.interval);
    await refresh();
    return true;
  }

  async function onSave(e) {
    e.preventDefault();
    clearErrors();
    const body = values();
    if (!body) return;
    if (await put(body)) toast(t('sync.settings.saved'));
  }

  async function onRun() {
    clearErrors();
    if (changed()) {
      const body = values();
      if (!body || !(await put(body))) return;
    }
    try {
      const res = await runNow();
      const s = res?.summary || {};
      toast(t('sync.run.done'), {
        detail: t('sync.summary', { pushed: s.pushed ?? 0, pulled: s.pulled ?? 0, conflicts: s.conflicts ?? 0 }),
      });
      if (res?.status) setStatus(res.status);
    } catch (err) {
      const error = err.body && (err.body.title || err.body.message) ? err.body : { code: err.code, message: err.message };
      localError = error;
      showProblem(error);
      toast(errorTitle(error), { kind: 'error', detail: errorDetail(error), ms: 8000 });
    }
  }

  async function onOff() {
    clearErrors();
    if (await put({ url: '' })) {
      toast(t('sync.settings.turnedOff'));
      close();
    }
  }

  form.addEventListener('submit', onSave);
  run.addEventListener('click', onRun);
  off.addEventListener('click', onOff);
  conflicts.addEventListener('click', () => { close(); onOpenConflicts?.(); });
  (settings.url ? run : url.input).focus();
}

// How far a round has got, in records ("正在接收：已收到 12,000 条"); a large
// first sync takes a while, and a spinner alone does not say it is moving.
function progressLine(p) {
  const done = Number(p?.done) || 0;
  if (!p || !done) return t('sync.status.syncing');
  const n = done.toLocaleString(currentLang());
  if (p.phase === 'push') {
    return t('sync.status.pushing', { done: n, total: (Number(p.total) || done).toLocaleString(currentLang()) });
  }
  return t('sync.status.pulling', { done: n });
}
