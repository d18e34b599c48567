// The conflicts panel: every version that lost a merge (GET
// api/sync/conflicts), grouped by record, each with the value shown now
// beside the other device's and two buttons: use this version / keep the
// current one (POST api/sync/conflicts/resolve). An edit made on another
// device to a record deleted here reads as such, with "restore with this
// change" / "keep deleted".
//
// Above them, in their own section, the data problems (problems.js): rules
// between records that the merged edits broke, each with its fixes. After a
// decision or a fix the lists are read again and the views re-render
// (`syncchange`).

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, openDialog, spinner, toast } from './dom.js';
import { count, dateTime, deviceText, fieldName, tableName, valueText } from './format.js';
import { fixErrorText, problemsSection } from './problems.js';
import { dataChanged, refresh, setProblems, snapshot } from './state.js';

function groupByRecord(items) {
  const groups = new Map();
  for (const item of items) {
    const key = `${item.table}\u0000${item.id}`;
    if (!groups.has(key)) groups.set(key, { table: item.table, id: item.id, label: item.label, deleted: item.deleted, items: [] });
    groups.get(key).items.push(item);
  }
  return [...groups.values()];
}

function valueCell(value, item, cls) {
  return h('span', { class: `sync-value ${cls}`, text: valueText(value, item) });
}

// What the two buttons say, and a sentence above them, by kind.
function wording(item) {
  if (item.kind === 'edit_vs_delete') {
    return { note: t('sync.conflicts.editVsDelete'), use: t('sync.conflicts.restore'), keep: t('sync.conflicts.keepDeleted') };
  }
  if (item.kind === 'delete') {
    return {
      note: item.value ? t('sync.conflicts.otherDeleted') : t('sync.conflicts.otherRestored'),
      use: t('sync.conflicts.use'),
      keep: t('sync.conflicts.keep'),
    };
  }
  return { note: '', use: t('sync.conflicts.use'), keep: t('sync.conflicts.keep') };
}

function conflictRow(item, own, act) {
  const words = wording(item);
  const who = h('span', { class: 'sync-who' },
    deviceText(item.replica, own), item.at ? ` · ${dateTime(item.at)}` : '');
  let compare;
  if (item.kind === 'delete') {
    compare = null;
  } else if (item.kind === 'edit_vs_delete') {
    compare = h('dl', { class: 'sync-compare' },
      h('dt', { text: t('sync.conflicts.theirChange') }),
      h('dd', {}, valueCell(item.value, item, 'sync-theirs'), who));
  } else {
    compare = h('dl', { class: 'sync-compare' },
      h('dt', { text: t('sync.conflicts.current') }),
      h('dd', {}, valueCell(item.current, item, 'sync-current')),
      h('dt', { text: t('sync.conflicts.other') }),
      h('dd', {}, valueCell(item.value, item, 'sync-theirs'), who));
  }
  const use = h('button', { type: 'button', class: 'btn btn-primary sync-use', text: words.use });
  const keep = h('button', { type: 'button', class: 'btn sync-keep', text: words.keep });
  const row = h('li', {
    class: `sync-conflict sync-kind-${item.kind}`,
    dataset: { table: item.table, id: item.id, field: item.field || '', kind: item.kind },
  },
  item.field ? h('div', { class: 'sync-field-name' }, fieldName(item.field),
    fieldName(item.field) !== item.field ? h('code', { text: item.field }) : null) : null,
  words.note ? h('p', { class: 'sync-note', text: words.note }) : null,
  item.kind === 'delete' ? h('p', { class: 'muted' }, who) : null,
  compare,
  h('div', { class: 'sync-actions' }, keep, use));
  use.addEventListener('click', () => act(item, 'use', row));
  keep.addEventListener('click', () => act(item, 'keep', row));
  return row;
}

export function openConflicts() {
  const list = h('div', { class: 'sync-conflicts', id: 'sync-conflicts-list' },
    h('p', { class: 'muted sync-loading' }, spinner(), ' ', t('sync.conflicts.loading')));
  const reload = h('button', { type: 'button', class: 'btn', id: 'sync-conflicts-reload', text: t('sync.action.reload') });
  const { dialog } = openDialog({
    title: t('sync.conflicts.title'),
    className: 'sync-conflicts-dialog',
    body: list,
    footer: [h('span', { class: 'muted sync-foot-note', id: 'sync-conflicts-total' }), reload],
  });
  const total = dialog.querySelector('#sync-conflicts-total');
  const heading = dialog.querySelector('h2');

  async function act(item, action, row) {
    row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    row.classList.add('busy');
    const body = { table: item.table, id: item.id, s: item.s, kind: item.kind, action };
    if (item.field) body.field = item.field;
    try {
      await api.post('api/sync/conflicts/resolve', body);
      toast(action === 'use' ? t('sync.conflicts.used') : t('sync.conflicts.kept'));
      dataChanged({ resolved: { table: item.table, id: item.id } });
    } catch {
      // the toast says why; the list is reloaded to show what is true now
    }
    await load();
    refresh();
  }

  // One fix of a data problem. Resolves to the error when the server refused
  // the new SKU a form sent (the form shows it), else to null.
  async function fix(problem, action, extra, card) {
    card.querySelectorAll('button, input').forEach((b) => { b.disabled = true; });
    card.classList.add('busy');
    try {
      await api.post('api/problems/fix', { problem: problem.id, ...action, ...extra }, { quiet: true });
      toast(t('sync.problems.fixed'));
      dataChanged({ fixed: problem.id });
    } catch (err) {
      if (extra.sku !== undefined && err.fields?.sku) {
        card.querySelectorAll('button, input').forEach((b) => { b.disabled = false; });
        card.classList.remove('busy');
        return err;
      }
      toast(fixErrorText(err), { kind: 'error' });
    }
    await load();
    refresh();
    return null;
  }

  async function load() {
    let data;
    const problemsRead = api.get('api/problems', { quiet: true })
      .catch((err) => (err.status === 404 ? null : err));
    try {
      data = await api.get('api/sync/conflicts');
    } catch {
      list.replaceChildren(h('p', { class: 'form-error', text: t('sync.conflicts.loadFailed') }));
      return;
    }
    const problems = await problemsRead;
    if (!dialog.open) return;
    const failed = problems instanceof Error;
    if (!failed) setProblems(problems);
    const items = data.items || [];
    const section = failed
      ? h('p', { class: 'form-error', text: t('sync.problems.loadFailed') })
      : problemsSection(problems, fix);
    const shown = problems?.total || 0;
    heading.textContent = shown ? t('sync.problems.dialogTitle') : t('sync.conflicts.title');
    total.textContent = [
      items.length ? count('sync.conflicts.badge', data.total ?? items.length) : '',
      shown ? count('sync.problems.badge', shown) : '',
    ].filter(Boolean).join(' · ');
    if (!items.length && !section) {
      list.replaceChildren(h('div', { class: 'sync-empty' },
        h('span', { class: 'sync-empty-mark', 'aria-hidden': 'true', text: '✓' }),
        h('p', { text: t('sync.conflicts.none') })));
      return;
    }
    if (!items.length) {
      list.replaceChildren(section);
      return;
    }
    const own = snapshot().status?.replica;
    list.replaceChildren(...[
      section,
      section ? h('h3', { class: 'sync-section-title', text: t('sync.problems.conflictsHeading') }) : null,
    ].filter(Boolean),
      h('p', { class: 'muted sync-intro', text: t('sync.conflicts.intro') }),
      ...groupByRecord(items).map((g) => h('section', {
        class: 'sync-record', dataset: { table: g.table, id: g.id },
      },
      h('header', { class: 'sync-record-head' },
        h('span', { class: 'sync-table', text: tableName(g.table) }),
        h('h3', { text: g.label || g.id }),
        g.deleted ? h('span', { class: 'sync-deleted', text: t('sync.conflicts.deleted') }) : null),
      h('ul', { class: 'sync-conflict-list' }, g.items.map((item) => conflictRow(item, own, act))))));
  }

  reload.addEventListener('click', () => { load(); refresh(); });
  load();
}
