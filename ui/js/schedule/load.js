// 资源负荷: how many working days of tasks each assignee has in each week of the
// chosen projects, against that week's working days (GET /api/resource-load),
// as a heat map: a cell's colour deepens with the load, and a week with more
// work than days is red and says so.

import { api, errorText } from '../api.js';
import { openDialog } from './dialogs.js';
import { h } from './dom.js';

function weekLabel(start, lang) {
  const d = new Date(`${start}T00:00:00`);
  return lang === 'zh-CN' ? `${d.getMonth() + 1}月${d.getDate()}日` : `${d.getMonth() + 1}/${d.getDate()}`;
}

function cellColour(days, capacity) {
  if (!days) return 'transparent';
  if (days > capacity) return '#f04438';
  const share = capacity ? days / capacity : 1;
  return `rgba(47, 111, 237, ${(0.15 + 0.6 * share).toFixed(2)})`;
}

export function loadDialog({ t, lang, projectIds }) {
  const body = h('div', { class: 'sched-load', 'aria-busy': 'true' }, h('p', { class: 'muted', text: t('schedule.load.loading') }));
  const done = h('button', { type: 'button', class: 'btn', text: t('schedule.action.close') });
  const { close } = openDialog({
    t,
    title: t('schedule.load.title'),
    className: 'sched-load-dialog',
    body: [h('p', { class: 'muted', text: t('schedule.load.hint') }), body],
    footer: [done],
  });
  done.addEventListener('click', close);
  const q = new URLSearchParams({ project_id: projectIds.join(',') });
  api.get(`api/resource-load?${q}`, { quiet: true }).then((res) => {
    body.removeAttribute('aria-busy');
    if (!res.people.length) {
      body.replaceChildren(h('p', { class: 'muted', text: t('schedule.load.empty') }));
      return;
    }
    const over = res.people.filter((p) => p.overloaded.length);
    const summary = over.length
      ? h('p', { class: 'sched-load-over', role: 'status', text: t('schedule.load.over', { names: over.map((p) => p.assignee || t('schedule.load.nobody')).join('、') }) })
      : h('p', { class: 'muted', role: 'status', text: t('schedule.load.ok') });
    const head = h('tr', {}, h('th', { text: t('schedule.field.assignee') }),
      ...res.weeks.map((w) => h('th', { title: t('schedule.load.capacity', { n: w.capacity }) },
        h('span', { text: weekLabel(w.start, lang) }), h('small', { text: t('schedule.load.days', { n: w.capacity }) }))));
    const rows = res.people.map((p) => h('tr', { dataset: { assignee: p.assignee } },
      h('th', { text: p.assignee || t('schedule.load.nobody') }),
      ...p.days.map((n, i) => {
        const cap = res.weeks[i].capacity;
        const overloaded = n > cap;
        return h('td', {
          class: overloaded ? 'sched-load-cell over' : 'sched-load-cell',
          style: { background: cellColour(n, cap) },
          dataset: { week: res.weeks[i].start, days: String(n) },
          title: overloaded
            ? t('schedule.load.overCell', { n, cap, tasks: p.tasks[i] })
            : t('schedule.load.cell', { n, cap, tasks: p.tasks[i] }),
          text: n ? String(n) : '',
        });
      })));
    body.replaceChildren(summary, h('div', { class: 'sched-load-scroll' },
      h('table', { class: 'sched-load-table' }, h('thead', {}, head), h('tbody', {}, ...rows))));
  }).catch((err) => {
    body.removeAttribute('aria-busy');
    body.replaceChildren(h('p', { class: 'form-error', role: 'alert', text: errorText(err) }));
  });
}
