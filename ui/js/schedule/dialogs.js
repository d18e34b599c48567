// The schedule's dialogs: task, project, task types, and a confirm box. They
// are native <dialog> elements opened modally, so Esc closes them and focus
// stays inside. Each form saves through a callback that talks to the server
// and shows the server's per-field reasons next to the fields.

import { errorText } from '../api.js';
import { isDay } from './dates.js';
import { modal } from '../dom.js';
import { h, option } from './dom.js';

const STATUSES = ['planned', 'active', 'paused', 'done', 'cancelled'];

// A modal dialog in the schedule's style; closes itself on Esc / cancel.
export function openDialog({ t, ...opts }) {
  return modal({ prefix: 'sched', closeLabel: t('schedule.action.close'), ...opts });
}

export function confirmDialog({ t, title, message, confirmLabel, danger = true }) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger-solid' : 'btn-primary'}`, text: confirmLabel || t('schedule.action.ok') });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('schedule.action.cancel') });
    const { close } = openDialog({
      t,
      title,
      className: 'sched-confirm',
      body: h('p', { text: message }),
      footer: [cancel, ok],
      onClose: () => resolve(answer),
    });
    ok.addEventListener('click', () => { answer = true; close(); });
    cancel.addEventListener('click', close);
    ok.focus();
  });
}

// ---- form helpers ------------------------------------------------------------

function field(label, control, name, extraClass = '') {
  return h('label', { class: `field ${extraClass}`, dataset: { field: name } },
    h('span', { text: label }), control, h('small', { class: 'sched-field-error', hidden: true }));
}

function showErrors(form, err, t) {
  form.querySelectorAll('.sched-field-error').forEach((e) => { e.hidden = true; e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const general = form.querySelector('.form-error');
  const fields = (err && err.fields) || {};
  let placed = 0;
  for (const [name, reason] of Object.entries(fields)) {
    const key = name.split(/[.[]/)[0];
    const box = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!box) continue;
    const msg = box.querySelector('.sched-field-error');
    msg.textContent = reasonText(t, reason);
    msg.hidden = false;
    box.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
    placed += 1;
  }
  if (err && (!placed || !err.fields)) {
    general.textContent = err.localMessage
      || (err.code === 'invalid' ? `${t('schedule.error.form')} ${err.message}` : errorText(err));
    general.hidden = false;
  } else {
    general.hidden = true;
  }
}

// The server gives reasons in English words; the common ones are shown in
// the UI's language, anything else as the server wrote it.
const REASONS = [
  [/^(is )?required$/, 'required'],
  [/^must be from 0 to 100$/, 'progress'],
  [/^must be on or after start \((.*)\)$/, 'endBeforeStart'],
  [/^end_before_start$/, 'endBeforeStart'],
  [/^invalid_date$/, 'invalidDate'],
  [/^a task cannot depend on itself$/, 'selfDependency'],
  [/^would make a cycle: (.*)$/, 'cycle'],
  [/^no such task: (.*)$/, 'noSuchTask'],
  [/^project (.*) does not exist$/, 'noProject'],
  [/^task type (.*) does not exist$/, 'noType'],
  [/^a task cannot be its own parent$/, 'parentSelf'],
  [/^would make a loop: (.*)$/, 'parentLoop'],
  [/^must be a task of the same project$/, 'parentProject'],
  [/^a milestone cannot hold subtasks$/, 'parentMilestone'],
];

function reasonText(t, reason) {
  for (const [re, key] of REASONS) {
    const m = re.exec(String(reason));
    if (m) return t(`schedule.reason.${key}`, { detail: m[1] || '' });
  }
  return String(reason);
}

function localError(fields, message) {
  const err = new Error(message);
  err.fields = fields;
  err.localMessage = message;
  return err;
}

// The buttons sit outside the form, so Enter in a one-line field is wired by hand.
function enterSubmits(e, submit) {
  const el = e.target;
  if (e.key === 'Enter' && el.tagName === 'INPUT' && el.type !== 'checkbox' && !e.isComposing) submit(e);
}

function busy(button, on) {
  button.disabled = on;
}

// ---- task dialog ---------------------------------------------------------------

// task: the record to edit, or null to create; defaults: {project_id, start, end}
// projects: [{id, name}] offered in the project list
// tasksOf(projectId): tasks offered as dependencies (a promise, or a list)
// The task fields the dialog lays out itself; any other field the task
// declaration lets a client send (GET /api/kinds: `input`) gets a plain
// control after them, so a field added in localapp/kinds.py can be edited.
const TASK_LAYOUT = new Set(['name', 'project_id', 'parent', 'type_id', 'start', 'end', 'assignee', 'progress',
  'milestone', 'depends_on', 'links', 'notes']);

// The tasks that may hold `task` as a subtask: not itself, nothing below it,
// no milestone (schedule/summaries.py says the same on the server).
function parentChoices(found, task) {
  if (!task) return found.filter((x) => !x.milestone);
  const below = new Set([task.id]);
  for (let grew = true; grew;) {
    grew = false;
    for (const x of found) if (x.parent && below.has(x.parent) && !below.has(x.id)) { below.add(x.id); grew = true; }
  }
  return found.filter((x) => !below.has(x.id) && !x.milestone);
}
const LINK_TYPES = ['FS', 'SS', 'FF'];

// A control for one declared field, and how to read its value back.
function declaredControl(f, value) {
  if (f.type === 'bool') {
    const input = h('input', { name: f.name, type: 'checkbox', checked: Boolean(value) });
    return { input, read: () => input.checked };
  }
  const kinds = { int: 'number', date: 'date' };
  const input = h('input', { name: f.name, type: kinds[f.type] || 'text', autocomplete: 'off',
    value: value == null ? '' : Array.isArray(value) ? value.join(', ') : String(value) });
  const read = () => {
    const raw = input.value.trim();
    if (f.type === 'int') return raw === '' ? null : Number(raw);
    if (f.type === 'tags') return raw.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
    return raw === '' && f.type !== 'text' ? null : raw;
  };
  return { input, read };
}

export function taskDialog({ t, task, defaults = {}, kind = null, projects, types, assignees, tasksOf, onSave, onDelete, onReload = null, workdays = null, endAfter = null }) {
  const v = task || { name: '', progress: 0, milestone: false, depends_on: [], assignee: '', notes: '',
    type_id: types.find((x) => x.enabled)?.id || null, ...defaults };
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: v.name || '', autocomplete: 'off' });
  const project = h('select', { name: 'project_id' },
    projects.map((p) => option(p.id, p.name, p.id === v.project_id)));
  // Disabled types stay selectable for a task that already has one.
  const type = h('select', { name: 'type_id' },
    option('', t('schedule.type.none'), !v.type_id),
    types.filter((x) => x.enabled || x.id === v.type_id)
      .map((x) => option(x.id, x.enabled ? x.name : `${x.name} (${t('schedule.type.disabled')})`, x.id === v.type_id)));
  const start = h('input', { name: 'start', type: 'date', required: true, value: v.start || '' });
  const end = h('input', { name: 'end', type: 'date', required: true, value: v.end || v.start || '' });
  const listId = `sched-assignees-${Math.random().toString(36).slice(2)}`;
  const assignee = h('input', { name: 'assignee', maxlength: 100, value: v.assignee || '', list: listId, autocomplete: 'off' });
  const datalist = h('datalist', { id: listId }, assignees.map((a) => option(a, a)));
  const progress = h('input', { name: 'progress', type: 'number', min: 0, max: 100, step: 1, value: String(v.progress ?? 0) });
  const progressRange = h('input', { type: 'range', min: 0, max: 100, step: 5, value: String(v.progress ?? 0), 'aria-hidden': 'true', tabindex: -1 });
  progressRange.addEventListener('input', () => { progress.value = progressRange.value; });
  progress.addEventListener('input', () => { progressRange.value = progress.value; });
  const milestone = h('input', { name: 'milestone', type: 'checkbox', checked: Boolean(v.milestone) });
  const deps = h('select', { name: 'depends_on', multiple: true, size: 5 });
  const parent = h('select', { name: 'parent' }, option('', t('schedule.task.noParent')));
  // How the task follows each chosen predecessor: a type and a lag in working days.
  const links = { ...(v.links || {}) };
  const linksBox = h('div', { class: 'sched-links', dataset: { role: 'links' } });
  const showLinks = () => {
    linksBox.replaceChildren(...[...deps.selectedOptions].map((o) => {
      const cur = links[o.value] || { type: 'FS', lag: 0 };
      const type = h('select', { 'aria-label': t('schedule.field.links'), dataset: { role: 'link-type' } },
        ...LINK_TYPES.map((k) => option(k, t(`schedule.link.${k}`), k === cur.type)));
      const lag = h('input', { type: 'number', step: 1, min: -999, max: 999, value: String(cur.lag || 0),
        'aria-label': t('schedule.link.lag'), title: t('schedule.link.lagHint'), dataset: { role: 'link-lag' } });
      const keep = () => { links[o.value] = { type: type.value, lag: Math.trunc(Number(lag.value) || 0) }; };
      type.addEventListener('change', keep);
      lag.addEventListener('input', keep);
      return h('div', { class: 'sched-link', dataset: { pred: o.value } },
        h('span', { class: 'sched-link-name', text: o.dataset.name || o.textContent }), type, lag,
        h('span', { class: 'muted', text: t('schedule.link.lag') }));
    }));
  };
  deps.addEventListener('change', showLinks);
  // Says why the list is empty (loading, or a project without other tasks).
  const depsHint = h('small', { class: 'sched-hint', hidden: true, dataset: { role: 'deps-hint' } });
  let depsAsked = 0;
  const fillDeps = async () => {
    const asked = ++depsAsked;
    const pid = project.value;
    const chosen = new Set(task && pid === task.project_id ? v.depends_on || [] : []);
    deps.replaceChildren();
    deps.disabled = true;
    depsHint.hidden = false;
    depsHint.textContent = t('schedule.deps.loading');
    let found;
    try {
      found = await tasksOf(pid);
    } catch (err) {
      if (asked !== depsAsked) return;
      depsHint.textContent = t('schedule.deps.failed');
      return;
    }
    if (asked !== depsAsked) return; // the project changed meanwhile
    const wanted = task && pid === task.project_id ? v.parent || '' : (defaults.parent || '');
    parent.replaceChildren(option('', t('schedule.task.noParent')),
      ...parentChoices(found, task).map((x) => option(x.id, x.name, x.id === wanted)));
    const offered = found.filter((x) => !task || x.id !== task.id);
    deps.replaceChildren(...offered.map((x) => {
      const o = option(x.id, `${x.name} (${x.start} – ${x.end})`, chosen.has(x.id));
      o.dataset.name = x.name;
      return o;
    }));
    showLinks();
    deps.disabled = offered.length === 0;
    depsHint.hidden = offered.length > 0;
    depsHint.textContent = offered.length ? '' : t('schedule.deps.none');
  };
  fillDeps();
  project.addEventListener('change', fillDeps);
  start.addEventListener('change', () => { if (end.value && start.value && end.value < start.value) end.value = start.value; });
  // The length in working days (weekends, China's holidays, 调休, the team's days),
  // as the schedule counts it; typing a length sets the end date.
  const lengthInput = h('input', { type: 'number', name: 'workdays', min: 1, max: 9999, step: 1,
    class: 'sched-workdays-input', 'aria-label': t('schedule.duration.label') });
  const length = h('small', { class: 'sched-hint', dataset: { role: 'workdays' }, hidden: !workdays },
    h('span', { text: t('schedule.duration.before') }), lengthInput, h('span', { text: t('schedule.duration.after') }));
  const showLength = () => {
    const n = workdays && isDay(start.value) && isDay(end.value) && end.value >= start.value
      ? workdays(start.value, end.value) : null;
    if (document.activeElement !== lengthInput) lengthInput.value = n === null ? '' : String(n);
  };
  lengthInput.addEventListener('input', () => {
    const n = Math.trunc(Number(lengthInput.value));
    if (endAfter && isDay(start.value) && n >= 1 && n <= 9999) end.value = endAfter(start.value, n);
  });
  lengthInput.addEventListener('change', showLength);
  start.addEventListener('input', showLength);
  end.addEventListener('input', showLength);
  start.addEventListener('change', showLength);
  showLength();
  const notes = h('textarea', { name: 'notes', rows: 3, maxlength: 5000 });
  notes.value = v.notes || '';

  const declared = (kind?.fields || []).filter((f) => f.input && !TASK_LAYOUT.has(f.name))
    .map((f) => ({ f, ...declaredControl(f, v[f.name]) }));

  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'sched-form', novalidate: true },
    field(t('schedule.field.name'), name, 'name', 'span-2'),
    field(t('schedule.field.project'), project, 'project_id'),
    field(t('schedule.field.parent'), parent, 'parent'),
    field(t('schedule.field.type'), type, 'type_id'),
    field(t('schedule.field.start'), start, 'start'),
    field(t('schedule.field.end'), h('span', { class: 'sched-deps' }, end, length), 'end'),
    field(t('schedule.field.assignee'), h('span', { class: 'sched-inline' }, assignee, datalist), 'assignee'),
    field(t('schedule.field.progress'), h('span', { class: 'sched-inline' }, progress, progressRange), 'progress'),
    h('label', { class: 'sched-check span-2', dataset: { field: 'milestone' } }, milestone, h('span', { text: t('schedule.field.milestone') })),
    field(t('schedule.field.dependsOn'), h('span', { class: 'sched-deps' }, deps, depsHint, linksBox), 'depends_on', 'span-2'),
    field(t('schedule.field.notes'), notes, 'notes', 'span-2'),
    ...declared.map(({ f, input }) => (f.type === 'bool'
      ? h('label', { class: 'sched-check span-2', dataset: { field: f.name } }, input, h('span', { text: t(f.label) }))
      : field(t(f.label), input, f.name))),
    h('div', { class: 'span-2' }, error));

  const save = h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.action.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('schedule.action.cancel') });
  const del = task ? h('button', { type: 'button', class: 'btn btn-danger sched-left', text: t('schedule.action.delete') }) : null;
  const { close } = openDialog({
    t,
    title: task ? t('schedule.task.edit') : t('schedule.task.new'),
    body: form,
    footer: [del, cancel, save],
    className: 'sched-task-dialog',
  });
  cancel.addEventListener('click', close);
  const read = () => {
    const body = {
      name: name.value.trim(),
      project_id: project.value,
      parent: parent.value || null,
      type_id: type.value || null,
      start: start.value,
      end: end.value || start.value,
      assignee: assignee.value.trim(),
      progress: Math.max(0, Math.min(100, Math.round(Number(progress.value) || 0))),
      milestone: milestone.checked,
      depends_on: [...deps.selectedOptions].map((o) => o.value),
      notes: notes.value,
    };
    // only the chosen predecessors' links, and only those that are not plain finish-to-start
    body.links = Object.fromEntries(body.depends_on
      .filter((id) => links[id] && (links[id].type !== 'FS' || links[id].lag))
      .map((id) => [id, links[id]]));
    for (const { f, read: value } of declared) body[f.name] = value();
    const problems = {};
    if (!body.name) problems.name = 'required';
    if (!isDay(body.start)) problems.start = 'required';
    if (body.end && !isDay(body.end)) problems.end = 'invalid_date';
    if (isDay(body.start) && isDay(body.end) && body.end < body.start) problems.end = 'end_before_start';
    if (!body.project_id) problems.project_id = 'required';
    return { body, problems };
  };
  wireForm({ form, save, del, close, t, read, onSave, onDelete, original: task, onReload });
  name.focus();
  return { close };
}

// Someone saved the record while this dialog was open (409 with the current
// record). What the user typed stays in the form; a box says what the other
// person changed and offers to save the user's changes on top of theirs (the
// fields the user did not touch keep their values) or to load theirs instead.
function showStale(form, t, original, current, { retry, reload }) {
  let box = form.querySelector('.sched-conflict');
  if (!box) {
    box = h('div', { class: 'sched-conflict span-2', role: 'alert' });
    form.prepend(box);
  }
  const text = (v) => (v == null || v === '' ? '—' : Array.isArray(v) ? v.join(', ') || '—' : String(v));
  const changed = Object.keys(current).filter((k) => form.querySelector(`[data-field="${k}"]`)
    && JSON.stringify(current[k] ?? null) !== JSON.stringify(original[k] ?? null));
  const label = (k) => form.querySelector(`[data-field="${k}"] > span`)?.textContent || k;
  const keep = h('button', { type: 'button', class: 'btn btn-primary btn-sm', dataset: { role: 'keep-mine' }, text: t('schedule.conflict.keep') });
  const load = h('button', { type: 'button', class: 'btn btn-sm', dataset: { role: 'load-theirs' }, text: t('schedule.conflict.reload') });
  keep.addEventListener('click', () => { box.remove(); retry(); });
  load.addEventListener('click', () => reload(current));
  box.replaceChildren(
    h('strong', { text: t('schedule.conflict.title') }),
    h('p', { text: t('schedule.conflict.body', { rev: current.rev }) }),
    changed.length
      ? h('table', { class: 'sched-conflict-table' },
        h('thead', {}, h('tr', {}, h('th', { text: t('schedule.conflict.field') }),
          h('th', { text: t('schedule.conflict.theirs') }), h('th', { text: t('schedule.conflict.opened') }))),
        h('tbody', {}, changed.map((k) => h('tr', { dataset: { field: `theirs-${k}` } }, h('td', { text: label(k) }),
          h('td', { class: 'sched-theirs', text: text(current[k]) }), h('td', { class: 'muted', text: text(original[k]) })))))
      : null,
    h('div', { class: 'sched-conflict-actions' }, keep, load));
  box.scrollIntoView({ block: 'nearest' });
}

// Save and Delete for a dialog's form: `read()` returns the body and any
// problems found before asking the server; a refusal from the server is
// shown on the form and the dialog stays open.
function wireForm({ form, save, del, close, t, read, onSave, onDelete, original = null, onReload = null }) {
  const submit = async (e) => {
    e?.preventDefault();
    const { body, problems } = read();
    if (Object.keys(problems).length) {
      showErrors(form, localError(problems, t('schedule.error.form')), t);
      return;
    }
    busy(save, true);
    try {
      await onSave(body);
      close();
    } catch (err) {
      const current = err?.status === 409 ? err.body?.current : null;
      if (current && original && current.id === original.id) {
        showErrors(form, null, t);
        showStale(form, t, original, current, {
          retry: submit,
          reload: (rec) => { close(); onReload?.(rec); },
        });
      } else {
        showErrors(form, err, t);
      }
    } finally {
      busy(save, false);
    }
  };
  form.addEventListener('submit', submit);
  form.addEventListener('keydown', (e) => enterSubmits(e, submit));
  save.addEventListener('click', submit);
  del?.addEventListener('click', async () => {
    busy(del, true);
    try {
      if (await onDelete()) close();
    } catch (err) {
      showErrors(form, err, t);
    } finally {
      busy(del, false);
    }
  });
}

// ---- project dialog --------------------------------------------------------------

export function projectDialog({ t, project, onSave, onDelete }) {
  const v = project || { name: '', owner: '', status: 'active', start: null, end: null, notes: '' };
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: v.name || '', autocomplete: 'off' });
  const owner = h('input', { name: 'owner', maxlength: 100, value: v.owner || '' });
  const statusValues = STATUSES.includes(v.status) || !v.status ? STATUSES : [...STATUSES, v.status];
  const status = h('select', { name: 'status' },
    statusValues.map((s) => option(s, t(`schedule.status.${s}`) === `schedule.status.${s}` ? s : t(`schedule.status.${s}`), s === (v.status || 'active'))));
  const start = h('input', { name: 'start', type: 'date', value: v.start || '' });
  const end = h('input', { name: 'end', type: 'date', value: v.end || '' });
  const notes = h('textarea', { name: 'notes', rows: 3, maxlength: 5000 });
  notes.value = v.notes || '';
  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'sched-form', novalidate: true },
    field(t('schedule.field.projectName'), name, 'name', 'span-2'),
    field(t('schedule.field.owner'), owner, 'owner'),
    field(t('schedule.field.status'), status, 'status'),
    field(t('schedule.field.start'), start, 'start'),
    field(t('schedule.field.end'), end, 'end'),
    field(t('schedule.field.notes'), notes, 'notes', 'span-2'),
    h('div', { class: 'span-2' }, error));
  const save = h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.action.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('schedule.action.cancel') });
  const del = project ? h('button', { type: 'button', class: 'btn btn-danger sched-left', text: t('schedule.action.deleteProject') }) : null;
  const { close } = openDialog({
    t,
    title: project ? t('schedule.project.edit') : t('schedule.project.new'),
    body: form,
    footer: [del, cancel, save],
    className: 'sched-project-dialog',
  });
  cancel.addEventListener('click', close);
  const read = () => {
    const body = {
      name: name.value.trim(), owner: owner.value.trim(), status: status.value,
      start: start.value || null, end: end.value || null, notes: notes.value,
    };
    const problems = {};
    if (!body.name) problems.name = 'required';
    if (body.start && body.end && body.end < body.start) problems.end = 'end_before_start';
    return { body, problems };
  };
  wireForm({ form, save, del, close, t, read, onSave, onDelete });
  name.focus();
}

// ---- task types -------------------------------------------------------------------

// Every edit is saved as soon as it is made; a refused edit is shown on its
// row and the row goes back to what the server has.
export function typesDialog({ t, data, onChanged }) {
  const list = h('div', { class: 'sched-types' });
  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  const showError = (err) => {
    error.textContent = err ? errorText(err) : '';
    error.hidden = !err;
  };

  const row = (type) => {
    const name = h('input', { value: type.name, maxlength: 100, 'aria-label': t('schedule.field.typeName') });
    const color = h('input', { type: 'color', value: type.color, 'aria-label': t('schedule.field.color') });
    const enabled = h('input', { type: 'checkbox', checked: type.enabled });
    const del = h('button', { type: 'button', class: 'btn btn-ghost btn-danger', text: t('schedule.action.delete') });
    const save = async (changes) => {
      try {
        await data.update('types', type.id, changes);
        showError(null);
        onChanged();
      } catch (err) {
        showError(err);
        const cur = data.get('types', type.id) || type;
        name.value = cur.name;
        color.value = cur.color;
        enabled.checked = cur.enabled;
        el.querySelector('.sched-swatch').style.background = cur.color;
      }
    };
    name.addEventListener('change', () => {
      if (name.value.trim() && name.value.trim() !== type.name) save({ name: name.value.trim() });
      else name.value = data.get('types', type.id)?.name || type.name;
    });
    color.addEventListener('change', () => save({ color: color.value }));
    enabled.addEventListener('change', () => save({ enabled: enabled.checked }));
    del.addEventListener('click', async () => {
      try {
        await data.remove('types', type.id);
        showError(null);
        el.remove();
        onChanged();
      } catch (err) {
        // 409: tasks still use the type; the way out is to disable it.
        if (err.status === 409) {
          const e = new Error(t('schedule.type.inUse', { name: data.get('types', type.id)?.name || type.name }));
          showError(e);
        } else {
          showError(err);
        }
      }
    });
    const el = h('div', { class: 'sched-type-row', dataset: { typeId: type.id } },
      h('span', { class: 'sched-swatch', style: { background: type.color } }),
      name, color,
      h('label', { class: 'sched-check' }, enabled, h('span', { text: t('schedule.field.enabled') })),
      del);
    color.addEventListener('input', () => { el.querySelector('.sched-swatch').style.background = color.value; });
    return el;
  };

  for (const type of data.types) list.append(row(type));

  const newName = h('input', { placeholder: t('schedule.type.newName'), maxlength: 100, 'aria-label': t('schedule.field.typeName') });
  const newColor = h('input', { type: 'color', value: '#2f6fed', 'aria-label': t('schedule.field.color') });
  const add = h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.type.add') });
  add.addEventListener('click', async () => {
    if (!newName.value.trim()) {
      newName.focus();
      return;
    }
    try {
      const rec = await data.create('types', { name: newName.value.trim(), color: newColor.value, enabled: true });
      list.append(row(rec));
      newName.value = '';
      showError(null);
      onChanged();
    } catch (err) {
      showError(err);
    }
  });
  const done = h('button', { type: 'button', class: 'btn', text: t('schedule.action.close') });
  const { close } = openDialog({
    t,
    title: t('schedule.type.manage'),
    className: 'sched-types-dialog',
    body: [
      h('p', { class: 'muted', text: t('schedule.type.help') }),
      list,
      h('div', { class: 'sched-type-row sched-type-new' }, h('span', { class: 'sched-swatch sched-swatch-empty' }), newName, newColor, add),
      error,
    ],
    footer: [done],
  });
  done.addEventListener('click', close);
}
