// The schedule page: the project list (searched and paged on the server)
// beside a Gantt chart of the chosen projects, with filters, zoom, legend,
// exports, the task/project/type dialogs and the keyboard.
//
// Scale (1,000 projects, 20,000 tasks): the list shows one page of projects;
// the chart gets the tasks of the chosen projects only, all of them in one
// scroll view, of which the chart and the grid draw only the rows near the
// view (chart.js showRows, grid.js fill).

import { concerns } from '../live.js';
import { api, errorText, showError } from '../api.js';
import { kindOf } from '../kinds.js';
import { currentLang } from '../i18n.js';
import { Chart, ROW_HEIGHT, loadGantt } from './chart.js';
import { addDays, countWorkdays, endAfterWorkdays, isWorkday, today } from './dates.js';
import { confirmDialog, openDialog, projectDialog, taskDialog, typesDialog } from './dialogs.js';
import { loadDialog } from './load.js';
import { teamDaysDialog } from './teamdays.js';
import { debounce, h, option } from './dom.js';
import { chartPng, download, printChart, tasksCsv } from './exporter.js';
import { ScheduleData, taskOrder } from './data.js';
import { TaskGrid } from './grid.js';
import { exportMspdi, importButton } from './interchange.js';
import { outline } from './tree.js';

const STORAGE_KEY = 'localapp.schedule.view';
const ZOOMS = ['day', 'week', 'month'];
const CALENDAR_SPAN = 1090; // the most days one calendar request may cover (the server allows 3 × 366)
const CALENDAR_MARGIN = 100; // days of holidays known beyond the tasks (the chart pads 14 days, 2 months zoomed out)
// The server writes xlsx (openpyxl); it gets the chart's filters as query
// parameters, so the file holds what the chart shows.
const XLSX_EXPORT = 'api/tasks/export.xlsx';

// What the user chose survives re-renders (language switch) and reloads.
function loadState() {
  const base = {
    selected: [], q: '', page: 1, zoom: 'day', type: '', assignee: '',
    // the task grid: shown, its width, column widths, sort, collapsed summary tasks
    grid: true, gridWidth: 400, widths: {}, sort: null, collapsed: [],
  };
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
    delete saved.viewDate; // a new page starts at the work, not where the last one was
    delete saved.viewTop;
    delete saved.rowOffset; // the row pager of earlier versions
    return { ...base, ...saved, selected: Array.isArray(saved.selected) ? saved.selected.slice(0, 200) : [] };
  } catch {
    return base;
  }
}

const state = loadState();
const data = new ScheduleData();

function saveState() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    // storage disabled: the choices last for this page only
  }
}

export class ScheduleView {
  constructor(root, ctx) {
    this.root = root;
    this.t = ctx.t;
    this.session = ctx.session || {};
    this.readonly = !this.session.authenticated;
    this.lang = currentLang();
    this.dead = false;
    this.taskKind = null; // the task declaration, for the dialog's declared fields
    kindOf('tasks').then((kind) => { this.taskKind = kind; }).catch(() => {});
    this.chart = null;
    this.selectedTask = null;
    this.onKey = (e) => this.keydown(e);
    // Someone else's edit (live.js): reload the tasks in place, keeping the
    // scroll; while a dialog is open, once it closes (its save handles a clash).
    this.onData = (e) => {
      e.preventDefault();
      if (!concerns(e, ['projects', 'tasks', 'task_types', 'calendar_days'])) return;
      if (this.busy()) this.staleData = true;
      else this.refreshLive();
    };
    this.onDialogClose = () => {
      if (this.staleData && !this.busy()) { this.staleData = false; this.refreshLive(); }
    };
  }

  busy() {
    return Boolean(document.querySelector('dialog[open]')) || this.chart?.dragging?.();
  }

  // The holidays around the tasks shown (CALENDAR_MARGIN days beyond them,
  // more than the chart shows); when those kept do not cover them, a year
  // before the first start to a year after the last end, within the server's
  // limit. Weekends only if the calendar cannot be read. early: the answer of
  // calendarNearToday(), asked while the tasks were, awaited first.
  async loadCalendar(early = null) {
    const days = data.tasks.flatMap((x) => [x.start, x.end]).filter(Boolean).sort();
    const lo = days[0] || today();
    const hi = days[days.length - 1] || today();
    await early;
    if (data.calendarCovers(addDays(lo, -CALENDAR_MARGIN), addDays(hi, CALENDAR_MARGIN))) {
      this.calendar = data.calendar;
      return;
    }
    const first = addDays(lo, -365);
    const last = addDays(hi, 365);
    try {
      this.calendar = await data.loadCalendar(first, last < addDays(first, CALENDAR_SPAN) ? last : addDays(first, CALENDAR_SPAN));
    } catch {
      this.calendar = null;
    }
  }

  // The holidays half the server's limit either side of today, asked
  // on the first load before the tasks' dates are known: most plans lie
  // within them. Later loads check the holidays they have (loadCalendar).
  calendarNearToday() {
    if (data.calendarRange) return null;
    const half = CALENDAR_SPAN / 2;
    return data.loadCalendar(addDays(today(), -half), addDays(today(), half)).catch(() => null);
  }

  async refreshLive() {
    if (this.dead) return;
    await data.loadTypes().catch(() => null);
    data.forgetCalendar(); // a team day may have changed on another device
    if (this.busy()) { this.staleData = true; return; } // a dialog opened meanwhile
    await this.reloadTasks({ scroll: 'keep', quiet: true });
  }

  // ---- life cycle ------------------------------------------------------------

  async mount() {
    const t = this.t;
    this.root.classList.add('sched-wide');
    this.build();
    document.addEventListener('keydown', this.onKey);
    document.addEventListener('datachange', this.onData);
    document.addEventListener('close', this.onDialogClose, true);
    data.onUndoChange = () => this.updateUndo();
    this.setChartMessage(t('schedule.loading'));
    // The chart library loads while the data does (reloadAll waits for both).
    const library = loadGantt();
    library.catch(() => {}); // reported by reloadAll
    // Back where the chart was (after a language switch), else the work's start.
    await this.reloadAll({ scroll: state.viewDate ? { date: state.viewDate, where: 'centre', top: state.viewTop } : 'start', library });
  }

  unmount() {
    const box = this.chart?.container;
    if (box && this.chart.gantt) {
      state.viewDate = this.chart.dateAt(box.scrollLeft + box.clientWidth / 2);
      state.viewTop = box.scrollTop; // the language switch keeps the rows in view
    }
    this.dead = true;
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('datachange', this.onData);
    document.removeEventListener('close', this.onDialogClose, true);
    this.root.classList.remove('sched-wide');
    document.querySelectorAll('dialog.sched-dialog').forEach((d) => d.close());
    this.chart?.destroy();
    data.onUndoChange = () => {};
  }

  async reloadAll({ scroll = 'keep', library = null } = {}) {
    // What needs no other answer is asked at once: the types, the project
    // list and, when the chosen projects are known (a reload), their records,
    // tasks and baselines; on the first load, the holidays near today, which
    // loadCalendar keeps if they cover the tasks' dates.
    const chosen = [...state.selected];
    const calendar = this.calendarNearToday();
    const early = chosen.length
      ? Promise.all([data.loadProjects(chosen), data.loadTasks(chosen), this.loadBaselines()])
      : null;
    early?.catch(() => {}); // reported below
    try {
      await Promise.all([data.loadTypes(), data.loadProjectPage({ q: state.q, page: state.page })]);
      state.page = data.page.page;
      // The early answers stand unless a chosen project was deleted meanwhile.
      if (early) [state.selected] = await early;
      if (!early || state.selected.length !== chosen.length) {
        if (!state.selected.length && data.page.items.length) state.selected = [data.page.items[0].id];
        await this.loadChosen();
      }
    } catch (err) {
      if (this.dead) return;
      this.setChartMessage(this.t('schedule.error.load'), 'error');
      return;
    }
    await this.loadCalendar(calendar);
    if (library) {
      try {
        await library;
      } catch (err) {
        this.setChartMessage(this.t('schedule.error.vendor'), 'error');
        console.error(err);
        return;
      }
    }
    if (this.dead) return;
    saveState();
    this.renderProjects();
    this.renderLegend();
    this.renderFilters();
    this.draw({ scroll });
  }

  // ---- layout ----------------------------------------------------------------

  build() {
    const t = this.t;
    this.search = h('input', {
      type: 'search', class: 'sched-search', placeholder: t('schedule.projects.search'),
      value: state.q, 'aria-label': t('schedule.projects.search'),
    });
    this.search.addEventListener('input', debounce(() => this.searchProjects(), 250));
    this.projectList = h('ul', { class: 'sched-projects', 'aria-label': t('schedule.projects.title') });
    this.pager = h('div', { class: 'sched-pager' });
    const newProject = h('button', {
      type: 'button', class: 'btn btn-primary btn-sm', id: 'sched-new-project',
      text: t('schedule.project.new'), hidden: this.readonly, onclick: () => this.editProject(null),
    });
    const side = h('aside', { class: 'sched-side card' },
      h('div', { class: 'sched-side-head' }, h('h2', { text: t('schedule.projects.title') }), newProject),
      this.search,
      h('div', { class: 'sched-side-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('schedule.projects.selectPage'), onclick: () => this.selectPage() }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('schedule.projects.clear'), onclick: () => this.setSelection([]) }),
        this.readonly ? null : importButton({
          t,
          onStatus: (kind, text) => this.setStatus(kind, text),
          onImported: async (res) => {
            state.selected = [res.project.id];
            state.q = '';
            this.search.value = '';
            state.page = 1;
            await this.reloadAll({ scroll: 'start' });
            this.setStatus('saved', res.text);
          },
        })),
      this.projectList,
      this.pager);

    this.zoomButtons = ZOOMS.map((z) => h('button', {
      type: 'button', class: 'btn btn-sm', dataset: { zoom: z }, 'aria-pressed': String(state.zoom === z),
      text: t(`schedule.zoom.${z}`), onclick: () => this.setZoom(z),
    }));
    this.typeFilter = h('select', { class: 'sched-select', 'aria-label': t('schedule.filter.type') });
    this.typeFilter.addEventListener('change', () => { state.type = this.typeFilter.value; this.afterFilter(); });
    this.assigneeFilter = h('select', { class: 'sched-select', 'aria-label': t('schedule.filter.assignee') });
    this.assigneeFilter.addEventListener('change', () => { state.assignee = this.assigneeFilter.value; this.afterFilter(); });
    // 基线: compare the chart with a saved plan (planned bars under the current ones)
    this.baselineSelect = h('select', { class: 'sched-select', id: 'sched-baseline', 'aria-label': t('schedule.baseline.label') });
    this.baselineSelect.addEventListener('change', () => { state.baseline = this.baselineSelect.value; this.renderLegend(); this.draw({ scroll: 'keep' }); });
    this.undoButton = h('button', {
      type: 'button', class: 'btn btn-sm', id: 'sched-undo', text: t('schedule.action.undo'),
      title: t('schedule.action.undoHint'), disabled: true, hidden: this.readonly, onclick: () => this.undo(),
    });
    this.newTaskButton = h('button', {
      type: 'button', class: 'btn btn-primary btn-sm', id: 'sched-new-task', text: t('schedule.task.new'),
      hidden: this.readonly, onclick: () => this.newTask(),
    });
    this.exportMenu = h('details', { class: 'sched-menu' },
      h('summary', { class: 'btn btn-sm', text: t('schedule.export.title') }),
      h('div', { class: 'sched-menu-list' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-export-csv', text: t('schedule.export.csv'), onclick: () => this.exportCsv() }),
        XLSX_EXPORT ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-export-xlsx', text: t('schedule.export.xlsx'), onclick: () => this.exportXlsx() }) : null,
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-export-pdf', text: t('schedule.export.pdf'), onclick: () => this.exportXlsx('pdf') }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-export-mspdi', text: t('schedule.export.mspdi'), onclick: () => this.exportMspdi() }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-export-png', text: t('schedule.export.png'), onclick: () => this.exportPng() }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-print', text: t('schedule.export.print'), onclick: () => this.print() })));
    this.gridButton = h('button', {
      type: 'button', class: 'btn btn-sm', id: 'sched-grid-toggle', text: t('schedule.grid.toggle'),
      'aria-pressed': String(state.grid), onclick: () => this.toggleGrid(),
    });
    this.indentButtons = [[1, 'indent'], [-1, 'outdent']].map(([dir, key]) => h('button', {
      type: 'button', class: 'btn btn-sm', id: `sched-${key}`, text: t(`schedule.grid.${key}`),
      title: t(`schedule.grid.${key}Hint`), hidden: this.readonly,
      onclick: () => this.selectedTask && this.indent(this.selectedTask, dir),
    }));
    const toolbar = h('div', { class: 'sched-toolbar' },
      this.newTaskButton,
      this.gridButton,
      ...this.indentButtons,
      h('div', { class: 'sched-seg', role: 'group', 'aria-label': t('schedule.zoom.label') }, this.zoomButtons),
      h('button', { type: 'button', class: 'btn btn-sm', id: 'sched-today', text: t('schedule.zoom.today'), onclick: () => this.chart?.scrollToToday() }),
      h('span', { class: 'sched-sep' }),
      this.typeFilter,
      this.assigneeFilter,
      this.baselineSelect,
      h('button', { type: 'button', class: 'btn btn-sm', id: 'sched-baseline-save', text: t('schedule.baseline.save'), hidden: this.readonly, onclick: () => this.saveBaseline() }),
      h('span', { class: 'sched-grow' }),
      this.undoButton,
      h('button', { type: 'button', class: 'btn btn-sm', id: 'sched-types', text: t('schedule.type.manage'), hidden: this.readonly, onclick: () => this.manageTypes() }),
      h('button', { type: 'button', class: 'btn btn-sm', id: 'sched-teamdays', text: t('schedule.team.open'), onclick: () => this.manageTeamDays() }),
      h('button', { type: 'button', class: 'btn btn-sm', id: 'sched-load', text: t('schedule.load.open'), onclick: () => loadDialog({ t, lang: currentLang(), projectIds: state.selected }) }),
      this.exportMenu);
    this.legend = h('div', { class: 'sched-legend', 'aria-label': t('schedule.legend') });
    this.status = h('span', { class: 'sched-status', role: 'status', dataset: { state: 'idle' } });
    this.chartHost = h('div', { class: 'sched-chart' });
    this.gridHost = h('div', { class: 'sched-grid', hidden: !state.grid, style: { width: `${state.gridWidth}px` } });
    this.splitter = h('div', { class: 'sched-split', hidden: !state.grid, role: 'separator', 'aria-orientation': 'vertical', title: t('schedule.grid.resize') });
    this.splitter.addEventListener('pointerdown', (e) => this.dragSplitter(e));
    this.chartMessage = h('div', { class: 'sched-chart-message', hidden: true });
    const main = h('section', { class: 'sched-main card' },
      toolbar,
      h('div', { class: 'sched-subbar' }, this.legend, this.status),
      h('div', { class: 'sched-chart-wrap' }, this.gridHost, this.splitter, this.chartHost, this.chartMessage),
      h('p', { class: 'sched-hint muted', text: this.readonly ? t('schedule.hint.readonly') : t('schedule.hint') }));
    this.root.replaceChildren(h('div', { class: 'sched' }, side, main));
  }

  setChartMessage(text, kind = '') {
    this.chartMessage.replaceChildren();
    this.chartMessage.hidden = !text;
    this.chartMessage.className = `sched-chart-message ${kind}`;
    if (text) this.chartMessage.append(h('p', { text }));
    return this.chartMessage;
  }

  setStatus(stateName, text) {
    this.status.dataset.state = stateName;
    this.status.textContent = text || '';
  }

  // ---- project list ----------------------------------------------------------

  renderProjects() {
    const t = this.t;
    const selected = new Set(state.selected);
    const items = data.page.items.map((p) => {
      const box = h('input', { type: 'checkbox', checked: selected.has(p.id), 'aria-label': t('schedule.projects.toggle', { name: p.name }) });
      box.addEventListener('change', () => this.toggleProject(p.id, box.checked));
      const meta = [p.owner, t(`schedule.status.${p.status}`) === `schedule.status.${p.status}` ? p.status : t(`schedule.status.${p.status}`)]
        .filter(Boolean).join(' · ');
      return h('li', { class: `sched-project${selected.has(p.id) ? ' selected' : ''}`, dataset: { projectId: p.id } },
        box,
        h('button', { type: 'button', class: 'sched-project-name', title: p.name, onclick: () => this.setSelection([p.id]) },
          h('span', { class: 'name', text: p.name }),
          h('small', { class: 'muted', text: meta })),
        this.readonly ? null : h('button', {
          type: 'button', class: 'btn btn-ghost btn-icon', title: t('schedule.project.edit'),
          'aria-label': t('schedule.project.edit'), text: '✎', onclick: () => this.editProject(p),
        }));
    });
    if (!items.length) {
      items.push(h('li', { class: 'sched-empty muted', text: state.q ? t('schedule.projects.noMatch') : t('schedule.projects.none') }));
    }
    this.projectList.replaceChildren(...items);
    const { page, pages = 1, total } = data.page;
    this.pager.replaceChildren(
      h('button', { type: 'button', class: 'btn btn-sm', text: '‹', 'aria-label': t('schedule.pager.prev'), disabled: page <= 1, onclick: () => this.gotoPage(page - 1) }),
      h('span', { text: t('schedule.pager.page', { page, pages, total }) }),
      h('button', { type: 'button', class: 'btn btn-sm', text: '›', 'aria-label': t('schedule.pager.next'), disabled: page >= pages, onclick: () => this.gotoPage(page + 1) }));
  }

  async searchProjects() {
    state.q = this.search.value.trim();
    state.page = 1;
    await this.gotoPage(1);
  }

  async gotoPage(page) {
    try {
      await data.loadProjectPage({ q: state.q, page });
    } catch {
      return;
    }
    if (this.dead) return;
    state.page = data.page.page;
    saveState();
    this.renderProjects();
  }

  async setSelection(ids) {
    state.selected = [...new Set(ids)];
   
    await this.reloadTasks({ scroll: 'start' });
  }

  async toggleProject(id, on) {
    const rest = state.selected.filter((x) => x !== id);
    state.selected = on ? [...rest, id] : rest;
    await this.reloadTasks({ scroll: 'keep' });
  }

  async selectPage() {
    await this.setSelection(data.page.items.map((p) => p.id));
  }

  // The chosen projects that still exist, their tasks and baselines, one
  // after the other (the tasks of the projects found).
  async loadChosen() {
    state.selected = await data.loadProjects(state.selected);
    await data.loadTasks(state.selected);
    await this.loadBaselines();
  }

  // `quiet`: a live refresh (live.js), which leaves the status line alone
  // ("saved", "2 tasks moved" stay readable).
  async reloadTasks({ scroll = 'keep', quiet = false } = {}) {
    saveState();
    this.renderProjects();
    if (!quiet) this.setStatus('loading', this.t('schedule.loading'));
    try {
      await this.loadChosen();
    } catch {
      if (!quiet) this.setStatus('error', this.t('schedule.error.load'));
      return;
    }
    if (this.dead) return;
    await this.loadCalendar();
    if (this.dead) return;
    if (!quiet) this.setStatus('idle', '');
    saveState();
    this.renderFilters();
    this.draw({ scroll });
  }

  // ---- legend and filters ------------------------------------------------------

  renderLegend() {
    const t = this.t;
    this.legend.replaceChildren(...[...data.types.map((type) => h('button', {
      type: 'button',
      class: `sched-legend-item${type.enabled ? '' : ' disabled'}${state.type === type.id ? ' active' : ''}`,
      title: t('schedule.filter.byType', { name: type.name }),
      dataset: { typeId: type.id },
      onclick: () => {
        state.type = state.type === type.id ? '' : type.id;
       
        this.afterFilter();
      },
    }, h('span', { class: 'sched-swatch', style: { background: type.color } }), h('span', { text: type.name }))),
    h('span', { class: 'sched-legend-item static' }, h('span', { class: 'sched-swatch sched-swatch-milestone' }), h('span', { text: t('schedule.field.milestone') })),
    h('span', { class: 'sched-legend-item static', title: t('schedule.criticalHint') }, h('span', { class: 'sched-swatch sched-swatch-critical' }), h('span', { text: t('schedule.critical') })),
    state.baseline ? h('span', { class: 'sched-legend-item static', id: 'sched-legend-baseline' }, h('span', { class: 'sched-swatch sched-swatch-planned' }), h('span', { text: t('schedule.baseline.legend') })) : null].filter(Boolean));
  }

  renderFilters() {
    const t = this.t;
    if (state.type && !data.typeById.has(state.type)) state.type = '';
    this.typeFilter.replaceChildren(option('', t('schedule.filter.allTypes'), !state.type),
      ...data.types.map((x) => option(x.id, x.name, x.id === state.type)));
    const names = [...new Set(data.tasks.map((x) => x.assignee).filter(Boolean))].sort((a, b) => a.localeCompare(b, this.lang));
    if (state.assignee && !names.includes(state.assignee)) names.unshift(state.assignee);
    this.assigneeFilter.replaceChildren(option('', t('schedule.filter.allAssignees'), !state.assignee),
      ...names.map((n) => option(n, n, n === state.assignee)));
    const baselines = this.baselines || [];
    if (state.baseline && !baselines.some((b) => b.id === state.baseline)) state.baseline = '';
    this.baselineSelect.replaceChildren(option('', t('schedule.baseline.none'), !state.baseline),
      ...baselines.map((b) => option(b.id, `${b.name} · ${data.projectById.get(b.project_id)?.name || ''}`, b.id === state.baseline)));
  }

  async loadBaselines() {
    const q = new URLSearchParams({ project_id: state.selected.join(','), per_page: '1000', sort: '-created_at' });
    try {
      this.baselines = state.selected.length ? (await api.get(`api/baselines?${q}`, { quiet: true })).items : [];
    } catch {
      this.baselines = [];
    }
  }

  // {task id: {start, end}} of the chosen baseline, or null
  plannedDates() {
    return (this.baselines || []).find((b) => b.id === state.baseline)?.tasks || null;
  }

  saveBaseline() {
    const t = this.t;
    const name = h('input', { class: 'sched-input', name: 'baseline-name', maxlength: 100, value: t('schedule.baseline.defaultName', { date: today() }) });
    const save = h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.action.save') });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('schedule.action.cancel') });
    const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
    const { close } = openDialog({
      t, title: t('schedule.baseline.saveTitle'), className: 'sched-baseline-dialog',
      body: [h('p', { class: 'muted', text: t('schedule.baseline.saveHint') }), name, error],
      footer: [cancel, save],
    });
    cancel.addEventListener('click', close);
    save.addEventListener('click', async () => {
      if (!name.value.trim()) { name.focus(); return; }
      save.disabled = true;
      try {
        const made = [];
        for (const pid of state.selected) made.push(await api.post('api/baselines', { name: name.value.trim(), project_id: pid }, { quiet: true }));
        close();
        await this.loadBaselines();
        state.baseline = made[0]?.id || '';
        this.renderFilters();
        this.renderLegend();
        this.draw({ scroll: 'keep' });
        this.setStatus('idle', t('schedule.baseline.saved', { name: name.value.trim() }));
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
        save.disabled = false;
      }
    });
    name.select();
  }

  afterFilter() {
    saveState();
    this.renderLegend();
    this.renderFilters();
    this.draw({ scroll: 'keep' });
  }

  visibleTasks(projectId) {
    return data.tasksOf(projectId).filter((task) => (!state.type || task.type_id === state.type)
      && (!state.assignee || task.assignee === state.assignee));
  }

  // All rows of the chosen projects: a header per project, its (filtered)
  // tasks, an empty row to drag new tasks on.
  allRows() {
    const rows = [];
    this.numbers = new Map(); // task id -> its number in its project (the grid's #)
    for (const id of state.selected) {
      const project = data.projectById.get(id);
      if (!project) continue;
      const allTasks = data.tasksOf(id);
      rows.push({ kind: 'project', project, allTasks });
      const tree = outline(this.visibleTasks(id), allTasks, {
        sort: state.sort, collapsed: new Set(state.collapsed), typeName: (tid) => data.typeById.get(tid)?.name,
      });
      for (const [tid, n] of tree.numbers) this.numbers.set(tid, n);
      for (const r of tree.rows) rows.push({ kind: 'task', project, ...r });
      if (!this.readonly) rows.push({ kind: 'blank', project, allTasks });
    }
    return rows;
  }

  // ---- the chart -------------------------------------------------------------

  draw({ scroll = 'keep', zoomChanged = false } = {}) {
    const t = this.t;
    if (this.dead) return;
    const rows = this.allRows();
    this.updateUndo();
    this.zoomButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.zoom === state.zoom)));
    if (!rows.length) {
      this.chart?.destroy();
      this.chart = null;
      this.drawGrid([]);
      const none = !data.page.total && !state.q;
      const box = this.setChartMessage(none ? t('schedule.empty.noProjects') : t('schedule.empty.noSelection'));
      if (none && !this.readonly) {
        box.append(h('button', { type: 'button', class: 'btn btn-primary', text: t('schedule.project.new'), onclick: () => this.editProject(null) }));
      }
      return;
    }
    this.setChartMessage('');
    if (!this.chart) {
      this.chart = new Chart(this.chartHost, {
        onEdit: (id) => this.editTask(id),
        onSelect: (id) => { this.selectedTask = id; },
        onChange: (id, changes) => this.saveChartChange(id, changes),
        onCreate: (projectId, start, end) => this.newTask({ project_id: projectId, start, end }),
        onRefused: (text) => { this.setStatus('idle', text); this.draw({ scroll: 'keep' }); },
      });
    }
    if (this.selectedTask && !data.taskById.has(this.selectedTask)) this.selectedTask = null;
    this.chart.selectedId = this.selectedTask;
    this.chart.render(rows, {
      zoom: state.zoom, lang: this.lang, typeById: data.typeById, readonly: this.readonly,
      scroll, zoomChanged, createHint: t('schedule.hint.dragToCreate'), violationText: t('schedule.violation'),
      slackText: (n) => (n === 0 ? t('schedule.critical') : t('schedule.slack', { n })),
      planned: this.plannedDates(),
      varianceText: (task, plan) => {
        if (!plan) return t('schedule.baseline.new');
        const n = task.end === plan.end ? 0 : task.end > plan.end
          ? countWorkdays(addDays(plan.end, 1), task.end, this.calendar)
          : -countWorkdays(addDays(task.end, 1), plan.end, this.calendar);
        return n > 0 ? t('schedule.baseline.late', { n }) : n < 0 ? t('schedule.baseline.early', { n: -n }) : t('schedule.baseline.same');
      },
      calendar: this.calendar, linkText: { SS: t('schedule.link.SS'), FF: t('schedule.link.FF') }, calendarText: { holiday: t('schedule.cal.holiday'), workday: t('schedule.cal.workday'), team: t('schedule.cal.team'), team_holiday: t('schedule.team.holiday'), team_workday: t('schedule.team.workday') },
      projectMeta: (project, tasks) => {
        const done = tasks.length ? Math.round(tasks.reduce((a, x) => a + (x.progress || 0), 0) / tasks.length) : 0;
        return [project.owner, t('schedule.project.meta', { count: tasks.length, progress: done })]
          .filter(Boolean).join(' · ');
      },
      summaryText: t('schedule.grid.rolledUp'),
    });
    this.drawGrid(rows);
  }

  // ---- the task grid (grid.js) --------------------------------------------------

  drawGrid(rows) {
    if (!state.grid || !this.chart?.gantt) {
      this.grid = null;
      this.gridHost.replaceChildren();
      return;
    }
    if (!this.grid) {
      this.grid = new TaskGrid(this.gridHost, {
        onSave: (id, changes) => {
          // A new start keeps the task's length in working days, as a drag does.
          const task = data.taskById.get(id);
          if (changes.start && task?.start && task?.end) {
            const n = Math.max(1, countWorkdays(task.start, task.end, this.calendar));
            changes.end = task.milestone ? changes.start : endAfterWorkdays(changes.start, n, this.calendar);
          }
          this.saveChartChange(id, changes);
        },
        onCreate: (projectId, name) => this.createFromGrid(projectId, name),
        onSelect: (id) => { this.selectedTask = id; this.chart?.select(id); },
        onEdit: (id) => this.editTask(id),
        onToggle: (id) => {
          const set = new Set(state.collapsed);
          if (!set.delete(id)) set.add(id);
          state.collapsed = [...set].slice(-500);
          saveState();
          this.draw({ scroll: 'keep' });
        },
        onIndent: (id, dir) => this.indent(id, dir),
        onSort: (key) => {
          const now = state.sort?.key === key ? state.sort.dir : null;
          state.sort = now === null ? { key, dir: 'asc' } : now === 'asc' ? { key, dir: 'desc' } : null;
          saveState();
          this.draw({ scroll: 'keep' });
        },
        onResize: (key, width) => { state.widths = { ...state.widths, [key]: width }; saveState(); },
        onWheel: (dy) => { const box = this.chart?.container; if (box) box.scrollTop += dy; },
        onReveal: (i) => this.revealRow(i),
        onNotice: (text) => this.setStatus('idle', text),
      }, this.t);
    }
    this.grid.render(rows, {
      headerHeight: this.chart.gantt.config.header_height, rowHeight: ROW_HEIGHT,
      widths: state.widths, sort: state.sort, typeById: data.typeById, numbers: this.numbers,
      nameOf: (id) => data.taskById.get(id)?.name || id, readonly: this.readonly, selectedId: this.selectedTask,
    });
    const box = this.chart.container;
    this.grid.scrollTo(box.scrollTop);
    if (box.dataset.gridSync !== '1') {
      box.dataset.gridSync = '1';
      box.addEventListener('scroll', () => this.grid?.scrollTo(box.scrollTop), { passive: true });
    }
  }

  // Keep the grid's active row in sight: scroll the chart (the grid follows).
  revealRow(i) {
    const box = this.chart?.container;
    if (!box) return;
    const header = this.chart.gantt.config.header_height;
    const top = i * ROW_HEIGHT;
    const view = box.clientHeight - header;
    if (top < box.scrollTop) box.scrollTop = top;
    else if (top + ROW_HEIGHT > box.scrollTop + view) box.scrollTop = top + ROW_HEIGHT - view;
  }

  toggleGrid() {
    state.grid = !state.grid;
    saveState();
    this.gridHost.hidden = !state.grid;
    this.splitter.hidden = !state.grid;
    this.gridButton.setAttribute('aria-pressed', String(state.grid));
    this.draw({ scroll: 'keep' });
  }

  dragSplitter(e) {
    e.preventDefault();
    const x0 = e.clientX;
    const w0 = this.gridHost.getBoundingClientRect().width;
    const move = (ev) => {
      state.gridWidth = Math.round(Math.max(160, Math.min(1200, w0 + ev.clientX - x0)));
      this.gridHost.style.width = `${state.gridWidth}px`;
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      saveState();
      this.draw({ scroll: 'keep' });
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  // Alt+Shift+→: the task becomes a subtask of the task above it at its level;
  // Alt+Shift+←: it moves up a level, beside its summary task.
  indent(taskId, dir) {
    const task = data.taskById.get(taskId);
    if (!task || this.readonly) return;
    if (dir < 0) {
      if (!task.parent) return;
      this.saveChartChange(taskId, { parent: data.taskById.get(task.parent)?.parent || null });
      return;
    }
    const rows = this.allRows().filter((r) => r.kind === 'task' && r.project.id === task.project_id);
    const at = rows.findIndex((r) => r.task.id === taskId);
    const above = rows.slice(0, at).reverse().find((r) => (r.task.parent || null) === (task.parent || null));
    if (!above || above.task.milestone) {
      this.setStatus('idle', this.t('schedule.grid.noIndent'));
      return;
    }
    state.collapsed = state.collapsed.filter((id) => id !== above.task.id);
    this.saveChartChange(taskId, { parent: above.task.id });
  }

  async createFromGrid(projectId, name) {
    this.setStatus('saving', this.t('schedule.save.saving'));
    const start = today();
    try {
      const rec = await data.create('tasks', { project_id: projectId, name, start, end: endAfterWorkdays(start, 1, this.calendar) });
      this.selectedTask = rec.id;
      this.setStatus('saved', this.t('schedule.save.saved'));
    } catch (err) {
      this.failed(err);
    }
    this.renderFilters();
    this.draw({ scroll: 'keep' });
    this.gridHost.querySelector(`.sgrid-new[data-project-id="${CSS.escape(projectId)}"]`)?.focus({ preventScroll: true });
  }

  setZoom(zoom) {
    if (state.zoom === zoom) return;
    state.zoom = zoom;
    saveState();
    this.draw({ scroll: 'keep', zoomChanged: true });
  }

  // ---- saving ------------------------------------------------------------------

  // "Saved", or which tasks the server moved after the saved one (their
  // predecessor now ends later), so nothing moves without the user seeing it.
  savedStatus() {
    // Summary tasks that took their subtasks' new dates are not news: only the
    // tasks moved after their predecessors are named.
    const parents = new Set(data.tasks.map((x) => x.parent).filter(Boolean));
    const moved = data.lastMoved.filter((m) => !parents.has(m.id));
    if (!moved.length) {
      this.setStatus('saved', this.t('schedule.save.saved'));
      return;
    }
    const names = moved.slice(0, 3).map((m) => m.name).join('、');
    this.setStatus('saved', this.t('schedule.save.moved', {
      count: moved.length, names: moved.length > 3 ? `${names}…` : names,
    }));
  }

  async saveChartChange(taskId, changes) {
    this.setStatus('saving', this.t('schedule.save.saving'));
    try {
      await data.update('tasks', taskId, changes);
      if (this.dead) return;
      this.savedStatus();
    } catch (err) {
      if (this.dead) return;
      this.failed(err);
    }
    // Redraw from what the server holds: the new dates, or the old ones (roll back).
    this.draw({ scroll: 'keep' });
  }

  failed(err) {
    this.setStatus('error', this.t('schedule.save.failed'));
    if (err && err.status === 409) {
      showError(new Error(this.t('schedule.error.conflict')));
    } else if (err && err.status !== 401) {
      showError(err);
    }
  }

  knownProjects(extraId) {
    const map = new Map();
    for (const id of state.selected) if (data.projectById.has(id)) map.set(id, data.projectById.get(id));
    for (const p of data.page.items) map.set(p.id, p);
    if (extraId && data.projectById.has(extraId)) map.set(extraId, data.projectById.get(extraId));
    return [...map.values()];
  }

  assignees() {
    return [...new Set(data.tasks.map((x) => x.assignee).filter(Boolean))].sort();
  }

  editTask(taskId) {
    if (this.readonly) return;
    const task = data.taskById.get(taskId);
    if (!task) return;
    taskDialog({
      t: this.t,
      kind: this.taskKind,
      task,
      projects: this.knownProjects(task.project_id),
      types: data.types,
      assignees: this.assignees(),
      tasksOf: (pid) => data.tasksFor(pid),
      workdays: (a, b) => countWorkdays(a, b, this.calendar),
      endAfter: (a, n) => endAfterWorkdays(a, n, this.calendar),
      onSave: async (body) => {
        const changes = {};
        for (const [k, v] of Object.entries(body)) {
          if (JSON.stringify(task[k] ?? (k === 'depends_on' ? [] : null)) !== JSON.stringify(v)) changes[k] = v;
        }
        if (!Object.keys(changes).length) return;
        this.setStatus('saving', this.t('schedule.save.saving'));
        try {
          await data.update('tasks', taskId, changes);
        } catch (err) {
          // A clash is settled in the dialog, which keeps what was typed.
          const clash = err?.status === 409 && err.body?.current;
          this.setStatus(clash ? 'idle' : 'error', this.t(clash ? 'schedule.save.clash' : 'schedule.save.failed'));
          this.draw({ scroll: 'keep' });
          throw err;
        }
        this.savedStatus();
        this.renderFilters();
        this.draw({ scroll: 'keep' });
      },
      onReload: () => this.editTask(taskId), // the cache holds their version now
      onDelete: () => this.deleteTask(taskId),
    });
  }

  newTask(defaults = {}) {
    if (this.readonly) return;
    const projects = this.knownProjects(defaults.project_id);
    if (!projects.length) {
      this.editProject(null);
      return;
    }
    const start = defaults.start || today();
    taskDialog({
      t: this.t,
      kind: this.taskKind,
      task: null,
      defaults: {
        project_id: defaults.project_id || state.selected[0] || projects[0].id,
        start,
        end: defaults.end || addDays(start, 4),
      },
      projects,
      types: data.types,
      assignees: this.assignees(),
      tasksOf: (pid) => data.tasksFor(pid),
      workdays: (a, b) => countWorkdays(a, b, this.calendar),
      endAfter: (a, n) => endAfterWorkdays(a, n, this.calendar),
      onSave: async (body) => {
        this.setStatus('saving', this.t('schedule.save.saving'));
        let rec;
        try {
          rec = await data.create('tasks', body);
        } catch (err) {
          this.setStatus('error', this.t('schedule.save.failed'));
          throw err;
        }
        this.setStatus('saved', this.t('schedule.save.saved'));
        if (!state.selected.includes(rec.project_id)) {
          state.selected = [...state.selected, rec.project_id];
          await this.reloadTasks({ scroll: { date: rec.start } });
        } else {
          this.renderFilters();
          this.draw({ scroll: 'keep' });
        }
        this.selectedTask = rec.id;
        this.chart?.select(rec.id);
        this.chart?.scrollToDate(rec.start);
      },
    });
  }

  async deleteTask(taskId) {
    const task = data.taskById.get(taskId);
    if (!task) return false;
    const ok = await confirmDialog({
      t: this.t,
      title: this.t('schedule.task.deleteTitle'),
      message: this.t('schedule.task.deleteConfirm', { name: task.name }),
      confirmLabel: this.t('schedule.action.delete'),
    });
    if (!ok) return false;
    this.setStatus('saving', this.t('schedule.save.saving'));
    try {
      await data.remove('tasks', taskId);
    } catch (err) {
      this.failed(err);
      this.draw({ scroll: 'keep' });
      return false;
    }
    this.setStatus('saved', this.t('schedule.save.deleted'));
    if (this.selectedTask === taskId) this.selectedTask = null;
    this.renderFilters();
    this.draw({ scroll: 'keep' });
    return true;
  }

  editProject(project) {
    if (this.readonly) return;
    projectDialog({
      t: this.t,
      project,
      onSave: async (body) => {
        if (project) {
          const changes = {};
          for (const [k, v] of Object.entries(body)) if ((project[k] ?? null) !== v) changes[k] = v;
          if (Object.keys(changes).length) await data.update('projects', project.id, changes);
          this.renderProjects();
          this.draw({ scroll: 'keep' });
          return;
        }
        const rec = await data.create('projects', body);
        // Show the new project alone, and find it in the list.
        state.q = '';
        this.search.value = '';
        state.selected = [rec.id];
       
        await this.reloadAll({ scroll: 'start' });
      },
      onDelete: async () => {
        const count = data.tasksOf(project.id).length;
        const ok = await confirmDialog({
          t: this.t,
          title: this.t('schedule.project.deleteTitle'),
          message: count
            ? this.t('schedule.project.deleteConfirmTasks', { name: project.name, count })
            : this.t('schedule.project.deleteConfirm', { name: project.name }),
          confirmLabel: this.t('schedule.action.delete'),
        });
        if (!ok) return false;
        await data.remove('projects', project.id, { cascade: true });
        state.selected = state.selected.filter((x) => x !== project.id);
        await this.reloadAll({ scroll: 'keep' });
        return true;
      },
    });
  }

  manageTypes() {
    typesDialog({
      t: this.t,
      data,
      onChanged: () => {
        this.renderLegend();
        this.renderFilters();
        this.draw({ scroll: 'keep' });
      },
    });
  }

  manageTeamDays() {
    teamDaysDialog({
      t: this.t,
      readonly: this.readonly,
      onChanged: async () => {
        data.forgetCalendar(); // the shading and the working-day counts change
        await this.loadCalendar();
        if (!this.dead) this.draw({ scroll: 'keep' });
      },
    });
  }

  // ---- undo and keyboard -----------------------------------------------------------

  updateUndo() {
    if (this.undoButton) this.undoButton.disabled = !data.canUndo();
  }

  async undo() {
    if (this.readonly || !data.canUndo()) return;
    this.setStatus('saving', this.t('schedule.save.saving'));
    try {
      const entry = await data.undo();
      if (entry && entry.kind === 'projects') await data.loadProjectPage({ q: state.q, page: state.page });
    } catch (err) {
      if (this.dead) return;
      this.failed(err);
      this.draw({ scroll: 'keep' });
      return;
    }
    if (this.dead) return;
    this.setStatus('saved', this.t('schedule.save.undone'));
    this.renderProjects();
    this.renderLegend();
    this.renderFilters();
    this.draw({ scroll: 'keep' });
  }

  keydown(e) {
    if (this.dead || e.defaultPrevented) return;
    if (document.querySelector('dialog[open]')) return; // dialogs handle their own keys (Esc)
    const el = e.target;
    const typing = el instanceof HTMLElement
      && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
    if (typing) return; // the field's own Delete and undo
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      this.undo();
    } else if (e.key === 'Delete' && this.selectedTask && !this.readonly) {
      e.preventDefault();
      this.deleteTask(this.selectedTask);
    } else if (e.key === 'Escape') {
      // Only menus: the Esc that closes a dialog may arrive here after the
      // dialog is gone, and must not also drop the selection.
      this.exportMenu.open = false;
    }
  }

  // ---- exports -------------------------------------------------------------------

  exportTasks() {
    const out = [];
    for (const id of state.selected) out.push(...this.visibleTasks(id).sort(taskOrder));
    return out;
  }

  async exportCsv() {
    this.exportMenu.open = false;
    let kind;
    try {
      kind = await kindOf('tasks');
    } catch (err) {
      showError(err);
      return;
    }
    const csv = tasksCsv(this.exportTasks(), {
      t: this.t, kind, projectById: data.projectById, typeById: data.typeById, taskById: data.taskById,
    });
    download(new Blob([csv], { type: 'text/csv;charset=utf-8' }), this.exportName('csv'));
  }

  // 项目排期-<项目>-<日期>.<ext> (Schedule-… in English), as the server names the xlsx;
  // the project named when one is shown.
  exportName(ext) {
    const one = state.selected.length === 1 ? data.projectById.get(state.selected[0])?.name : null;
    const part = one ? `-${one.replace(/[\\/:*?"<>|]+/g, '_')}` : '';
    return `${this.t('schedule.export.fileBase')}${part}-${today()}.${ext}`;
  }

  exportMspdi() {
    this.exportMenu.open = false;
    if (state.selected.length !== 1) {
      this.setStatus('error', this.t('schedule.export.oneProject'));
      return;
    }
    exportMspdi(state.selected[0], this.exportName('xml'));
  }

  // The server's exports of what the chart shows: xlsx, or a PDF of the chart
  // (Chinese in an embedded font, paged by time; localapp/schedule/pdf.py).
  exportXlsx(ext = 'xlsx') {
    this.exportMenu.open = false;
    const q = new URLSearchParams({ project_id: state.selected.join(',') });
    if (state.type) q.set('type_id', state.type);
    if (state.assignee) q.set('assignee', state.assignee);
    if (ext === 'pdf') q.set('lang', this.lang === 'en' ? 'en' : 'zh');
    const url = ext === 'pdf' ? XLSX_EXPORT.replace(/xlsx$/, 'pdf') : XLSX_EXPORT;
    const a = h('a', { href: `${url}?${q}`, download: this.exportName(ext), hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  }

  async exportPng() {
    this.exportMenu.open = false;
    if (!this.chart?.gantt) { this.setStatus('loading', this.t('schedule.loading')); return; }
    try {
      const legend = data.types.filter((x) => x.enabled).map((x) => ({ name: x.name, color: x.color }));
      const blob = await chartPng(this.chart.gantt, { title: this.chartTitle(), legend, crop: this.chart.exportRows() });
      download(blob, this.exportName('png'));
    } catch (err) {
      showError(err);
    }
  }

  async print() {
    this.exportMenu.open = false;
    if (!this.chart?.gantt) { this.setStatus('loading', this.t('schedule.loading')); return; }
    await printChart(this.chart.gantt, { title: this.chartTitle(), legend: this.legend, crop: this.chart.exportRows() });
  }

  chartTitle() {
    const names = state.selected.map((id) => data.projectById.get(id)?.name).filter(Boolean);
    const head = names.slice(0, 3).join('、') + (names.length > 3 ? ` +${names.length - 3}` : '');
    return `${this.t('schedule.title')} · ${head} · ${today()}`;
  }
}
