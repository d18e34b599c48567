// 团队日历: the team's own days off and extra workdays, on top of China's
// holidays. Each change is saved at once (a day is one record, named by its
// date, synced like any other); a file (.ics or holiday-cn JSON) imports many
// days in one step. `onChanged` redraws the chart with the new shading.

import { api, errorText } from '../api.js';
import { has } from '../i18n.js';
import { openDialog } from './dialogs.js';
import { h, option } from './dom.js';

const URL = 'api/calendar-days';
const KINDS = ['holiday', 'workday'];

export function teamDaysDialog({ t, readonly = false, onChanged }) {
  const list = h('div', { class: 'sched-teamdays', 'aria-live': 'polite' });
  const empty = h('p', { class: 'muted', text: t('schedule.team.empty'), hidden: true });
  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  const status = h('p', { class: 'sched-teamdays-status', role: 'status' });
  const showError = (err) => {
    // a refused file says why in `fields.file` (not_a_calendar, no_days, too_many_days)
    const key = `schedule.team.fileError.${err?.fields?.file}`;
    error.textContent = !err ? '' : has(key) ? t(key) : errorText(err);
    error.hidden = !err;
  };
  const kindSelect = (value) => {
    const select = h('select', { 'aria-label': t('schedule.team.kind'), disabled: readonly },
      ...KINDS.map((k) => option(k, t(`schedule.team.${k}`))));
    select.value = value;
    return select;
  };

  const row = (day) => {
    const kind = kindSelect(day.kind);
    const name = h('input', { value: day.name || '', maxlength: 50, 'aria-label': t('schedule.team.name'), disabled: readonly });
    const del = h('button', { type: 'button', class: 'btn btn-ghost btn-danger', text: t('schedule.team.delete'), hidden: readonly });
    const el = h('div', { class: 'sched-teamday', dataset: { date: day.date, kind: day.kind } },
      h('span', { class: 'sched-teamday-date', text: day.date }), kind, name, del);
    const save = async (changes) => {
      try {
        const rec = await api.patch(`${URL}/${encodeURIComponent(day.id)}`, changes, { quiet: true });
        Object.assign(day, rec);
        el.dataset.kind = rec.kind;
        showError(null);
        onChanged();
      } catch (err) {
        showError(err);
        kind.value = day.kind;
        name.value = day.name || '';
      }
    };
    kind.addEventListener('change', () => save({ kind: kind.value }));
    name.addEventListener('change', () => save({ name: name.value.trim() }));
    del.addEventListener('click', async () => {
      try {
        await api.delete(`${URL}/${encodeURIComponent(day.id)}`, { quiet: true });
        el.remove();
        empty.hidden = list.childElementCount > 0;
        showError(null);
        onChanged();
      } catch (err) {
        showError(err);
      }
    });
    return el;
  };

  const load = async () => {
    const res = await api.get(`${URL}?per_page=1000&sort=date`, { quiet: true });
    list.replaceChildren(...res.items.map(row));
    empty.hidden = res.items.length > 0;
  };

  const newDate = h('input', { type: 'date', 'aria-label': t('schedule.team.date'), required: true });
  const newKind = kindSelect('holiday');
  const newName = h('input', { maxlength: 50, placeholder: t('schedule.team.namePlaceholder'), 'aria-label': t('schedule.team.name') });
  const add = h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.team.add') });
  add.addEventListener('click', async () => {
    if (!newDate.value) { newDate.focus(); return; }
    try {
      await api.post(URL, { date: newDate.value, kind: newKind.value, name: newName.value.trim() }, { quiet: true });
      newDate.value = '';
      newName.value = '';
      showError(null);
      await load();
      onChanged();
    } catch (err) {
      showError(err.status === 409 ? new Error(t('schedule.team.exists', { date: newDate.value })) : err);
    }
  });

  const file = h('input', { type: 'file', accept: '.ics,.json,text/calendar,application/json', class: 'sched-teamdays-file', 'aria-label': t('schedule.team.import') });
  const pick = h('button', { type: 'button', class: 'btn', text: t('schedule.team.import'), onclick: () => file.click() });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const form = new FormData();
    form.append('file', chosen);
    status.textContent = t('schedule.team.importing');
    pick.disabled = true;
    try {
      const res = await api.post(`${URL}/import`, form, { quiet: true });
      status.textContent = t('schedule.team.imported', res);
      showError(null);
      await load();
      onChanged();
    } catch (err) {
      status.textContent = '';
      showError(err);
    } finally {
      pick.disabled = false;
      file.value = '';
    }
  });

  const done = h('button', { type: 'button', class: 'btn', text: t('schedule.action.close') });
  const { close } = openDialog({
    t,
    title: t('schedule.team.title'),
    className: 'sched-teamdays-dialog',
    body: [
      h('p', { class: 'muted', text: t('schedule.team.hint') }),
      list,
      empty,
      h('div', { class: 'sched-teamday sched-teamday-new', hidden: readonly }, newDate, newKind, newName, add),
      h('div', { class: 'sched-teamdays-import', hidden: readonly },
        pick, file, h('span', { class: 'muted', text: t('schedule.team.importHint') })),
      status,
      error,
    ],
    footer: [done],
  });
  done.addEventListener('click', close);
  load().catch(showError);
}
