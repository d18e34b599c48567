// Data problems in the conflicts panel: rules between records that edits
// merged from different devices broke (GET api/problems; localapp/problems.py).
// Two products with one SKU, tasks of a deleted project (which the schedule
// cannot show), tasks of a deleted type, links to deleted tasks, tasks waiting
// for each other in a loop, one order file uploaded twice. Each card says what
// happened and offers its fixes as buttons (POST api/problems/fix); a new SKU
// is typed into a small form in place. problemsSection() builds the section;
// the panel (conflicts.js) reloads it after every fix.

import { errorText } from '../api.js';
import { has, t } from '../i18n.js';
import { add, h } from './dom.js';
import { count, dateTime, valueText } from './format.js';

const KIND_TAG = {
  orphan_tasks: () => t('sync.problems.kind.orphan_tasks'),
  missing_type: () => t('sync.problems.kind.missing_type'),
  missing_dependency: () => t('sync.problems.kind.missing_dependency'),
  dependency_cycle: () => t('sync.problems.kind.dependency_cycle'),
  early_start: () => t('sync.problems.kind.early_start'),
  duplicate_sku: () => t('sync.problems.kind.duplicate_sku'),
  duplicate_order: () => t('sync.problems.kind.duplicate_order'),
};

// The sentence under a card's title.
const NOTE = {
  orphan_tasks: (p) => count('sync.problems.note.orphan_tasks', p.records.length, { name: p.subject.label }),
  missing_type: (p) => count('sync.problems.note.missing_type', p.records.length, { name: p.subject.label }),
  missing_dependency: (p) => count('sync.problems.note.missing_dependency', p.records.length, { name: p.subject.label }),
  dependency_cycle: () => t('sync.problems.note.dependency_cycle'),
  early_start: (p) => t(p.manual === false ? 'sync.problems.note.early_start_auto' : 'sync.problems.note.early_start', { name: p.subject.label, earliest: p.earliest }),
  duplicate_sku: (p) => count('sync.problems.note.duplicate_sku', p.records.length, { sku: p.sku }),
  duplicate_order: (p) => count('sync.problems.note.duplicate_order', p.records.length),
};

const ACTION_TEXT = {
  restore_project: () => t('sync.problems.action.restore_project'),
  delete_tasks: (p) => count('sync.problems.action.delete_tasks', p.records.length),
  restore_type: () => t('sync.problems.action.restore_type'),
  clear_type: (p) => count('sync.problems.action.clear_type', p.records.length),
  restore_task: () => t('sync.problems.action.restore_task'),
  drop_dependencies: (p) => count('sync.problems.action.drop_dependencies', p.records.length),
  drop_link: () => t('sync.problems.action.drop_link'),
  schedule_task: () => t('sync.problems.action.schedule_task'),
  keep_product: () => t('sync.problems.action.keep_product'),
  change_sku: () => t('sync.problems.action.change_sku'),
  keep_order: () => t('sync.problems.action.keep_order'),
};

// Fixes that bring something back are the first choice; deleting is marked.
const STYLE = {
  restore_project: 'btn-primary', restore_type: 'btn-primary', restore_task: 'btn-primary',
  schedule_task: 'btn-primary',
  delete_tasks: 'btn-danger',
};

// The record each per-record action names.
const TARGET = { restore_task: 'task', keep_product: 'product', change_sku: 'product', keep_order: 'order' };

function title(p) {
  if (p.kind === 'duplicate_sku') return t('sync.problems.title.duplicate_sku', { sku: p.sku });
  if (p.kind === 'dependency_cycle') return p.records.map((r) => r.label).join(' → ');
  if (p.kind === 'duplicate_order') return p.records.map((r) => r.label).join(' / ');
  return p.subject?.label || p.id;
}

// A record's details as short pieces of text.
function details(p, r) {
  const out = [];
  if (r.table === 'tasks') {
    if (r.start) out.push(r.end && r.end !== r.start ? t('sync.problems.detail.dates', { start: r.start, end: r.end }) : r.start);
    if (r.project && p.kind !== 'orphan_tasks') out.push(t('sync.problems.detail.project', { name: r.project }));
  } else if (r.table === 'products') {
    out.push(t('sync.problems.detail.sku', { sku: r.sku }));
    if (Number.isFinite(r.price)) out.push(valueText(r.price, { table: 'products', field: 'price' }));
    if (r.supplier) out.push(r.supplier);
    if (r.updated_at) out.push(t('sync.problems.detail.updated', { time: dateTime(r.updated_at) }));
  } else if (r.table === 'orders') {
    if (r.customer) out.push(t('sync.problems.detail.customer', { name: r.customer }));
    if (r.date) out.push(r.date);
    if (Number.isFinite(r.line_count)) out.push(count('sync.problems.detail.lines', r.line_count));
    if (r.created_at) out.push(t('sync.problems.detail.uploaded', { time: dateTime(r.created_at) }));
  }
  return out;
}

function button(p, action, act, card) {
  const el = h('button', {
    type: 'button',
    class: `btn ${STYLE[action.action] || ''} sync-fix`,
    dataset: { action: action.action },
    text: ACTION_TEXT[action.action]?.(p) || action.action,
  });
  el.addEventListener('click', () => act(p, action, {}, card));
  return el;
}

// The SKU's field error in this language: by its code where the catalogue
// has words for it, else the server's reason.
function skuError(err) {
  const body = err.body || {};
  const code = body.field_codes?.sku;
  const params = body.field_params?.sku || {};
  if (code === 'required') return t('sync.problems.sku.required');
  if (code && has(`catalogue.fieldError.${code}`)) return t(`catalogue.fieldError.${code}`, params);
  return err.fields?.sku || errorText(err);
}

// "New SKU…": a small form in place of the record's buttons.
function skuForm(p, action, record, act, card, restore) {
  const input = h('input', {
    type: 'text', class: 'sync-sku-input', name: 'sku', maxlength: 100,
    value: record.sku || '', 'aria-label': t('sync.problems.sku.label'),
  });
  const error = h('span', { class: 'sync-field-error', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', text: t('sync.problems.sku.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('sync.problems.sku.cancel') });
  const form = h('form', { class: 'sync-sku-form', novalidate: true },
    h('label', { class: 'sync-sku-label' }, h('span', { text: t('sync.problems.sku.label') }), input),
    save, cancel, error);
  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const sku = input.value.trim();
    if (!sku) { fail(t('sync.problems.sku.required')); return; }
    const err = await act(p, action, { sku }, card);
    if (err?.fields?.sku) fail(skuError(err));
  });
  cancel.addEventListener('click', () => form.replaceWith(restore()));
  setTimeout(() => { input.focus(); input.select(); }, 0);
  return form;
}

function recordRow(p, r, act, card) {
  const own = p.actions.filter((a) => TARGET[a.action] && a[TARGET[a.action]] === r.id);
  const actions = () => {
    const box = h('div', { class: 'sync-actions' });
    for (const a of own) {
      if (a.action === 'change_sku') {
        const open = h('button', { type: 'button', class: 'btn sync-fix', dataset: { action: a.action }, text: ACTION_TEXT.change_sku() });
        open.addEventListener('click', () => box.replaceWith(skuForm(p, a, r, act, card, actions)));
        box.append(open);
      } else {
        box.append(button(p, a, act, card));
      }
    }
    return box;
  };
  return h('li', { class: 'sync-problem-record', dataset: { table: r.table, id: r.id } },
    h('div', { class: 'sync-problem-info' },
      h('span', { class: 'sync-problem-label', text: r.label || r.id }),
      r.deleted ? h('span', { class: 'sync-deleted', text: t('sync.conflicts.deleted') }) : null,
      h('span', { class: 'sync-problem-detail', text: details(p, r).join(' · ') })),
    own.length ? actions() : null);
}

function linkRow(p, link, act, card) {
  const label = (id) => p.records.find((r) => r.id === id)?.label || id;
  const action = p.actions.find((a) => a.action === 'drop_link' && a.task === link.task && a.depends_on === link.depends_on);
  return h('li', { class: 'sync-problem-record', dataset: { task: link.task, dependsOn: link.depends_on } },
    h('div', { class: 'sync-problem-info' },
      h('span', { class: 'sync-problem-label', text: t('sync.problems.link', { task: label(link.task), dep: label(link.depends_on) }) })),
    action ? h('div', { class: 'sync-actions' }, button(p, action, act, card)) : null);
}

export function problemCard(p, act) {
  const card = h('section', { class: 'sync-record sync-problem', dataset: { kind: p.kind, id: p.id } });
  // Problem-wide fixes, the first choice (restore) last, where the panel's
  // other primary buttons are.
  const wide = p.actions.filter((a) => !TARGET[a.action] && a.action !== 'drop_link')
    .sort((x, y) => Number(STYLE[x.action] === 'btn-primary') - Number(STYLE[y.action] === 'btn-primary'));
  const rows = p.kind === 'dependency_cycle'
    ? (p.links || []).map((link) => linkRow(p, link, act, card))
    : p.records.map((r) => recordRow(p, r, act, card));
  add(card,
    h('header', { class: 'sync-record-head' },
      h('span', { class: 'sync-table sync-problem-kind', text: KIND_TAG[p.kind]?.() || p.kind }),
      h('h3', { text: title(p) }),
      p.subject?.deleted ? h('span', { class: 'sync-deleted', text: t('sync.conflicts.deleted') }) : null),
    h('p', { class: 'sync-note sync-problem-note', text: NOTE[p.kind]?.(p) || p.message }),
    h('ul', { class: 'sync-problem-records' }, rows),
    wide.length ? h('div', { class: 'sync-actions sync-problem-foot' }, wide.map((a) => button(p, a, act, card))) : null);
  return card;
}

// The section for a listing {items, total}; null when there are none.
export function problemsSection(listing, act) {
  const items = listing?.items || [];
  if (!items.length) return null;
  const more = (listing.total || items.length) - items.length;
  return h('div', { class: 'sync-problems', id: 'sync-problems' },
    h('h3', { class: 'sync-section-title', text: t('sync.problems.heading') }),
    h('p', { class: 'muted sync-intro', text: t('sync.problems.intro') }),
    items.map((p) => problemCard(p, act)),
    more > 0 ? h('p', { class: 'muted', text: count('sync.problems.more', more) }) : null);
}

// What a failed fix says, in this language.
export function fixErrorText(err) {
  if (err?.code === 'problem_gone') return t('sync.problems.gone');
  if (err?.code === 'fix_blocked') {
    const b = err.body || {};
    const what = (b.blocked_by || []).map((x) => (x.table === 'projects'
      ? t('sync.problems.blockedBy.project', { name: x.label })
      : t('sync.problems.blockedBy.task_type', { name: x.label })));
    return t('sync.problems.blocked', { name: b.task || '', what: what.join(t('sync.problems.and')) });
  }
  return errorText(err);
}
