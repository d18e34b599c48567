// The Gantt chart: frappe-gantt (npm, MIT; copied to ui/vendor/ by
// build/vendor.py) plus what the schedule needs around it:
//
// - rows grouped by project: a summary row per project, its tasks, and an
//   empty row to drag new tasks on (the library knows only a flat task list);
// - colours per task type, milestones, the selected bar;
// - today always on the time line, weekends shaded (library options);
// - drag on an empty part of a row to create a task (an overlay of our own);
// - saves: the library reports date changes while the mouse still moves, so
//   changes are collected and handed over once, when the mouse button goes up.
//
// Thousands of rows in one scroll view (issue 17): the library is given every
// row, so the time line, the scroll height and the links know them all, but
// bars, links and our decorations exist only for the rows near the view (a
// window that follows the scroll, see showRows). Nothing of the library is
// copied or changed: LocalGantt overrides methods of its public class.

import {
  addDays, daysInMonth, fmtDay, isWorkday, maxDay, minDay, parseDay, startOfDay, startOfMonth, startOfWeek,
  today,
} from './dates.js';
import { escapeHtml } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const GANTT_URL = '../../vendor/frappe-gantt/frappe-gantt.es.js';
const NO_TYPE_COLOR = '#8c8c8c';
const PROJECT_COLOR = '#5b6b82';
const SUMMARY_COLOR = '#2f3a4d';
export const BAR_HEIGHT = 22;
export const ROW_PADDING = 14;
export const ROW_HEIGHT = BAR_HEIGHT + ROW_PADDING;
const UPPER_HEADER = 30;
const LOWER_HEADER = 26;
const HEADER_HEIGHT = UPPER_HEADER + LOWER_HEADER + 10; // as the library adds them up
const DRAG_MIN_PX = 6;
const PROGRESS_DOT_DROP = BAR_HEIGHT / 2; // from the bar's middle to its bottom edge
// The bar window (showRows): rows drawn beyond the view each side, how near
// the view may come to the window's edge before it grows, and how far a row
// may be before its bar is removed.
const WINDOW_MARGIN = 40;
const WINDOW_TRIGGER = 30;
const WINDOW_KEEP = 120;
const COLUMN_ROWS = 100; // rows above and below the view the day columns reach
const EXPORT_ROWS = 150; // as many as the row pager of earlier versions showed

let GanttClass = null;

// Load the library once. Rejects with a readable message when the set-up
// step (npm ci + build/vendor.py) has not been run.
export async function loadGantt() {
  if (GanttClass) return GanttClass;
  let mod;
  try {
    mod = await import(GANTT_URL);
  } catch (err) {
    const e = new Error('frappe-gantt is missing from ui/vendor/');
    e.code = 'vendor_missing';
    e.cause = err;
    throw e;
  }
  GanttClass = makeLocalGantt(mod.default);
  return GanttClass;
}

function makeLocalGantt(Gantt) {
  return class LocalGantt extends Gantt {
    // Widen the time line so today is on it (today line, "Today" button) and
    // align it to Mondays / first days of months, so week and month columns
    // start where people expect. Not for a plan more than a year from today
    // (an old project imported from MS Project): a day column for every day
    // in between would be thousands of columns and seconds of drawing.
    setup_gantt_dates(refresh) {
      super.setup_gantt_dates(refresh);
      const unit = this.config.unit;
      const pad = unit === 'month' ? 62 : 14;
      const now = startOfDay(new Date());
      const lo = new Date(now);
      lo.setDate(lo.getDate() - pad);
      const hi = new Date(now);
      hi.setDate(hi.getDate() + pad);
      const year = 366 * 86400000;
      const near = now - this.gantt_end < year && this.gantt_start - now < year;
      let start = near && lo < this.gantt_start ? lo : this.gantt_start;
      const end = near && hi > this.gantt_end ? hi : this.gantt_end;
      if (unit === 'month') start = startOfMonth(start);
      else if (this.config.step === 7) start = startOfWeek(start);
      else start = startOfDay(start);
      this.gantt_start = start;
      this.gantt_end = end;
    }

    // The wrapper scrolls, instantly and to a date it chooses; the library's
    // own smooth scroll would fight with keeping the position on redraws.
    set_scroll_position() {}

    // The headers' dates formatted by us: the library formats each through
    // its date_utils.format, which builds two Intl.DateTimeFormat a call (a
    // profile of the first paint at 2,000 tasks: 148 ms of 1 s). Our view
    // modes give their texts as functions and date formats of days or months.
    get_date_info(date, last) {
      const lang = this.options.language;
      const before = last ? last.date : null;
      const day = fmtDay(date);
      return {
        date,
        formatted_date: this.config.date_format === 'YYYY-MM' ? day.slice(0, 7) : day,
        column_width: this.config.column_width,
        x: last ? last.x + last.column_width : 0,
        upper_text: this.config.view_mode.upper_text(date, before, lang),
        lower_text: this.config.view_mode.lower_text(date, before, lang),
        upper_y: 17,
        lower_y: this.options.upper_header_height + 5,
      };
    }

    // ---- the columns near the view only ---------------------------------
    // Each day (week, month) column has a tick, a text in the lower header
    // and, for a non-working day, a shaded rect: thousands over a long plan,
    // each as tall as all the rows. They are made for the columns near the
    // view (a screen's width each side) and over the rows drawn, by
    // lgColumns, which the chart calls as the view moves. The month (year)
    // texts of the upper header, a few a year, are all made: the library's
    // scroll handler looks them up.
    make_dates() {
      this.lgDates = this.get_dates_to_draw();
      for (const date of this.lgDates) {
        if (!date.upper_text) continue;
        const el = this.create_el({ left: date.x, top: date.upper_y, classes: 'upper-text', append_to: this.$upper_header });
        el.innerText = date.upper_text;
      }
      this.upperTexts = [...this.$upper_header.querySelectorAll('.upper-text')];
      this.lowerTexts = [];
      this.lgCols = null;
    }

    // The columns' layer, made after make_grid_highlights, which rewrites the
    // grid layer's innerHTML (elements kept from before are detached).
    make_grid_ticks() {
      this.lgColumnLayer = svgEl('g', { class: 'lg-columns' });
      this.layers.grid.append(this.lgColumnLayer);
    }

    highlight_holidays() {}

    // Today's line (the library's element, which the stylesheet hides and
    // the chart redraws in its grid) where the time of now is, and the index
    // of the column holding today for its highlighted text.
    highlight_current() {
      const now = new Date();
      this.lgTodayCol = -1;
      if (now < this.gantt_start || now > this.gantt_end) return;
      const col = this.config.column_width;
      const start = this.gantt_start;
      const dayPart = (now - startOfDay(now)) / 86400000;
      let units;
      if (this.config.unit === 'month') {
        const months = (now.getFullYear() - start.getFullYear()) * 12 + now.getMonth() - start.getMonth();
        this.lgTodayCol = months;
        units = months + (now.getDate() - 1 + dayPart) / daysInMonth(now);
      } else {
        const days = Math.round((startOfDay(now) - start) / 86400000);
        this.lgTodayCol = Math.floor(days / this.config.step);
        units = (days + dayPart) / this.config.step;
      }
      const left = units * col;
      this.$current_highlight = this.create_el({
        top: this.config.header_height, left, height: this.grid_height - this.config.header_height,
        classes: 'current-highlight', append_to: this.$container,
      });
      this.$current_ball_highlight = this.create_el({
        top: this.config.header_height - 6, left: left - 2.5, width: 6, height: 6,
        classes: 'current-ball-highlight', append_to: this.$header,
      });
    }

    // Draw the columns near the view (a screen's width each side), as tall
    // as the rows on screen [first, last) and COLUMN_ROWS more each side,
    // unless those drawn still cover the view with half their margins to
    // spare; all: every column (a picture of the whole time line).
    lgColumns([first, last], all = false) {
      const box = this.$container;
      const col = this.config.column_width;
      const n = this.lgDates.length;
      const rows = this.tasks.length;
      const screen = Math.max(10, Math.ceil((box.clientWidth || 1200) / col));
      const left = Math.floor(box.scrollLeft / col);
      const cur = this.lgCols;
      if (cur && (cur.from === 0 || left - screen / 2 >= cur.from)
        && (cur.to === n || left + screen + screen / 2 <= cur.to)
        && (cur.rows[0] === 0 || first - COLUMN_ROWS / 2 >= cur.rows[0])
        && (cur.rows[1] === rows || last + COLUMN_ROWS / 2 <= cur.rows[1])
        && (cur.all || !all)) return;
      const a = all ? 0 : Math.max(0, left - screen);
      const b = all ? n : Math.min(n, left + 2 * screen);
      const from = Math.max(0, first - COLUMN_ROWS);
      const to = Math.min(rows, last + COLUMN_ROWS);
      this.lgCols = { from: a, to: b, rows: [from, to], all };
      const rowH = this.options.bar_height + this.options.padding;
      const head = this.config.header_height;
      const y0 = head + from * rowH;
      const y1 = to >= rows ? this.grid_height : head + to * rowH;
      const layer = this.lgColumnLayer;
      layer.replaceChildren();
      for (const el of this.lowerTexts) el.remove();
      this.lowerTexts = [];
      if (y1 <= y0) return;
      // Non-working days shaded (options.lg_off_day: 'YYYY-MM-DD' -> bool), a
      // rect a day named by its date, as the library's are.
      const off = this.options.lg_off_day;
      if (off && this.config.unit !== 'month') {
        const perDay = col / this.config.step;
        const d = new Date(this.lgDates[a].date);
        const stop = b < n ? this.lgDates[b].date : new Date(+this.gantt_end + 1);
        for (let i = Math.round((d - this.gantt_start) / 86400000); d < stop; i += 1, d.setDate(d.getDate() + 1)) {
          const day = fmtDay(d);
          if (!off(day)) continue;
          layer.append(svgEl('rect', {
            x: Math.round(i * perDay), y: y0, width: perDay, height: y1 - y0, class: `holiday-highlight ${day}`, style: 'fill: var(--lg-weekend)',
          }));
        }
      }
      const thick = this.config.view_mode.thick_line;
      for (let i = a; i < b; i += 1) {
        const date = this.lgDates[i];
        const x = i * col;
        layer.append(svgEl('path', { d: `M ${x} ${y0} v ${y1 - y0}`, class: thick && thick(date.date) ? 'tick thick' : 'tick' }));
        if (!date.lower_text) continue;
        const text = this.create_el({
          left: date.x, top: date.lower_y, classes: `lower-text date_${date.formatted_date}`, append_to: this.$lower_header,
        });
        if (i === this.lgTodayCol) text.classList.add('current-date-highlight');
        text.innerText = date.lower_text;
        this.lowerTexts.push(text);
      }
    }

    // Lookups by id in a map: the library searches its task list, once per
    // link and per drag, which is quadratic at thousands of tasks.
    setup_tasks(tasks) {
      super.setup_tasks(tasks);
      this.lgById = new Map(this.tasks.map((t) => [t.id, t]));
    }

    get_task(id) {
      return this.lgById.get(id);
    }

    // A bar the library asks for is drawn on demand (a dragged bar's
    // predecessors may lie outside the window).
    get_bar(id) {
      const task = this.lgById.get(id);
      return task ? this.lgShow([task._index])[0] || this.bars[task._index] : undefined;
    }

    // Only for the "back to the bars" button, which the stylesheet hides; the
    // library measured every bar on every scroll event for it.
    get_start_end_positions() {
      return [0, 0, Infinity];
    }

    // One rect whose pattern paints every row's background and line, instead
    // of a rect and a line per row.
    make_grid_rows() {
      const width = this.dates.length * this.config.column_width;
      const top = this.config.header_height;
      const defs = svgEl('defs', {});
      const pattern = svgEl('pattern', { id: 'lg-row-pattern', patternUnits: 'userSpaceOnUse', x: 0, y: top, width: 8, height: ROW_HEIGHT });
      pattern.append(svgEl('rect', { x: 0, y: 0, width: 8, height: ROW_HEIGHT, style: 'fill: var(--g-row-color)' }));
      pattern.append(svgEl('line', { x1: 0, y1: ROW_HEIGHT - 0.5, x2: 8, y2: ROW_HEIGHT - 0.5, style: 'stroke: var(--g-border-color)' }));
      defs.append(pattern);
      const layer = svgEl('g', {});
      layer.append(defs, svgEl('rect', {
        x: 0, y: top, width, height: Math.max(0, this.grid_height - top), class: 'grid-row', style: 'fill: url(#lg-row-pattern)',
      }));
      this.layers.grid.append(layer);
    }

    // Bars for the window's rows only (showRows adds and removes the others).
    make_bars() {
      this.bars = new Array(this.tasks.length);
      this.arrows = [];
      this.lgShow(this.options.lg_rows?.() || []);
    }

    make_arrows() {}

    map_arrows_on_bars() {}

    // Draw the bars of these row indices that are not drawn yet, and the
    // finish-to-start arrows between them and the bars already drawn: bars of
    // the library's own Bar class (taken from the first bar its make_bars
    // draws), arrows by its make_arrows (lgArrows). Returns the new bars.
    lgShow(indices) {
      const todo = [...new Set(indices)].filter((i) => this.tasks[i] && !this.bars[i]);
      if (!todo.length) return [];
      const made = [];
      if (!this.lgBar) {
        const all = this.tasks;
        this.tasks = [all[todo[0]]];
        try { super.make_bars(); } finally { this.tasks = all; }
        const first = this.bars[0];
        this.lgBar = first.constructor;
        this.bars = new Array(all.length);
        this.bars[todo[0]] = first;
        made.push(first);
      }
      for (const i of todo) {
        if (this.bars[i]) continue;
        const bar = new this.lgBar(this, this.tasks[i]);
        this.layers.bar.appendChild(bar.group);
        this.bars[i] = bar;
        made.push(bar);
      }
      const links = [];
      for (const bar of made) {
        bar.arrows = [];
        const task = bar.task;
        for (const dep of task.dependencies) {
          const from = this.lgById.get(dep);
          if (from && this.bars[from._index]) links.push([from, task]);
        }
        for (const next of this.dependency_map[task.id] || []) {
          const to = this.lgById.get(next);
          if (to && this.bars[to._index] && !made.includes(this.bars[to._index])) links.push([task, to]);
        }
      }
      this.lgArrows(links);
      this.options.lg_on_show?.(made);
      return made;
    }

    // The library's make_arrows over stand-in tasks holding just these links.
    lgArrows(links) {
      if (!links.length) return;
      const byTo = new Map();
      for (const [from, to] of links) {
        if (!byTo.has(to.id)) byTo.set(to.id, { id: to.id, _index: to._index, dependencies: [] });
        byTo.get(to.id).dependencies.push(from.id);
      }
      const all = this.tasks;
      const kept = this.arrows;
      this.tasks = [...byTo.values()];
      try { super.make_arrows(); } finally { this.tasks = all; }
      const made = this.arrows;
      this.arrows = kept.concat(made);
      for (const arrow of made) {
        arrow.from_task.arrows.push(arrow);
        arrow.to_task.arrows.push(arrow);
      }
    }

    // Remove the bars of these row indices, their arrows and header marks.
    lgHide(indices) {
      const gone = new Set();
      for (const i of indices) {
        const bar = this.bars[i];
        if (!bar) continue;
        bar.group.remove();
        bar.$date_highlight?.remove();
        for (const arrow of bar.arrows || []) {
          arrow.element.remove();
          gone.add(arrow);
          const other = arrow.from_task === bar ? arrow.to_task : arrow.from_task;
          other.arrows = other.arrows.filter((a) => a !== arrow);
        }
        delete this.bars[i];
      }
      if (gone.size) this.arrows = this.arrows.filter((a) => !gone.has(a));
    }
  };
}

// ---- view modes (zoom levels) with headers in the current language -------

function monthLabel(d, lang) {
  return lang === 'zh-CN'
    ? `${d.getFullYear()}年${d.getMonth() + 1}月`
    : new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric' }).format(d);
}

function shortMonth(d, lang) {
  return lang === 'zh-CN' ? `${d.getMonth() + 1}月`
    : new Intl.DateTimeFormat('en', { month: 'short' }).format(d);
}

function weekLabel(d, lang) {
  const e = new Date(d);
  e.setDate(e.getDate() + 6);
  if (lang === 'zh-CN') {
    const tail = e.getMonth() === d.getMonth() ? `${e.getDate()}日` : `${e.getMonth() + 1}月${e.getDate()}日`;
    return `${d.getMonth() + 1}月${d.getDate()}日–${tail}`;
  }
  const tail = e.getMonth() === d.getMonth() ? `${e.getDate()}` : `${e.getDate()} ${shortMonth(e, lang)}`;
  return `${d.getDate()} ${shortMonth(d, lang)} – ${tail}`;
}

// Upper header texts must depend on the period only: the library finds the
// sticky label by comparing texts for a date with no predecessor.
function viewMode(zoom) {
  if (zoom === 'week') {
    return {
      name: 'Week', padding: '1m', step: '7d', date_format: 'YYYY-MM-DD', column_width: 120,
      lower_text: (d, ld, lang) => weekLabel(d, lang),
      upper_text: (d, ld, lang) => (!ld || d.getMonth() !== ld.getMonth() ? monthLabel(d, lang) : ''),
      upper_text_frequency: 4,
      thick_line: (d) => d.getDate() <= 7,
    };
  }
  if (zoom === 'month') {
    return {
      name: 'Month', padding: '2m', step: '1m', date_format: 'YYYY-MM', column_width: 110,
      snap_at: '1d',
      lower_text: (d, ld, lang) => shortMonth(d, lang),
      upper_text: (d, ld, lang) => (!ld || d.getFullYear() !== ld.getFullYear()
        ? (lang === 'zh-CN' ? `${d.getFullYear()}年` : String(d.getFullYear())) : ''),
      thick_line: (d) => d.getMonth() % 3 === 0,
    };
  }
  return {
    name: 'Day', padding: '14d', step: '1d', date_format: 'YYYY-MM-DD', column_width: 34,
    lower_text: (d) => String(d.getDate()),
    upper_text: (d, ld, lang) => (!ld || d.getMonth() !== ld.getMonth() ? monthLabel(d, lang) : ''),
    thick_line: (d) => d.getDay() === 1,
  };
}

// Wider columns when the range would not fill the chart's width (issue 17,
// defect 3: the month view stopped well short of the right edge). The column
// count is estimated from below (the library adds its padding and rounds to
// whole weeks and months), so the columns may overfill, never fall short.
function fillWidth(mode, ftasks, width) {
  if (!width || !ftasks.length || mode.name === 'Day') return mode; // 14 days' padding: wide enough
  const first = ftasks.reduce((a, t) => (t.start < a ? t.start : a), ftasks[0].start);
  const last = ftasks.reduce((a, t) => (t.end > a ? t.end : a), ftasks[0].end);
  const days = Math.max(1, (parseDay(last) - parseDay(first)) / 86400000);
  const columns = mode.name === 'Month' ? days / 31 + 4 : days / 7 + 8;
  const fill = Math.floor(width / Math.max(1, columns));
  return fill > mode.column_width ? { ...mode, column_width: fill } : mode;
}

// A task's link type to predecessor `pid` (its `links`; finish-to-start by default).
function linkType(task, pid) {
  const type = task.links?.[pid]?.type;
  return type === 'SS' || type === 'FF' ? type : 'FS';
}

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// ---- colours -------------------------------------------------------------

function shade(hex, factor) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex || '');
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => Math.round(c * factor));
  return `#${ch.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

export function typeColor(type) {
  return (type && type.color) || NO_TYPE_COLOR;
}

// ---- the chart -------------------------------------------------------------

export class Chart {
  // host: an empty element that the chart fills.
  // handlers: onEdit(taskId), onChange(taskId, changes), onCreate(projectId, start, end),
  //           onSelect(taskId | null)
  constructor(host, handlers) {
    this.host = host;
    this.handlers = handlers;
    this.gantt = null;
    this.rows = [];
    this.byFid = new Map();
    this.pending = new Map();
    this.suppressClickUntil = 0;
    this.selectedId = null;
    this.onDocMouseUp = () => this.commitPending();
    document.addEventListener('mouseup', this.onDocMouseUp);
  }

  destroy() {
    document.removeEventListener('mouseup', this.onDocMouseUp);
    this.endCreateDrag?.();
    this.host.replaceChildren();
    this.gantt = null;
  }

  get container() {
    return this.host.querySelector('.gantt-container');
  }

  // rows: [{kind: 'project'|'task'|'blank', project, task?}], all of them
  // opts: {zoom, lang, typeById, scroll: 'keep' | 'today' | 'start' | {date}}
  render(rows, opts) {
    const Gantt = GanttClass;
    const prev = this.container;
    const keep = prev ? { left: prev.scrollLeft, top: prev.scrollTop } : null;
    const centre = prev && this.gantt ? this.dateAt(prev.scrollLeft + prev.clientWidth / 2) : null;
    this.rows = rows;
    this.opts = opts;
    this.byFid = new Map();
    this.pending.clear();
    this.extras = new Map(); // row index -> our elements drawn for it (see showRows)
    this.away = new Map(); // row index -> the label naming a bar out of sight
    this.drawnLinks = new Map(); // start-to-start / finish-to-finish link -> its path
    this.shown = null;
    const ftasks = rows.map((row, i) => this.toFrappe(row, i, opts));
    const indexOfTask = new Map();
    rows.forEach((row, i) => { if (row.kind === 'task') indexOfTask.set(row.task.id, i); });
    // Each row's linked rows, drawn with it so that a link to a bar far away
    // is still whole; the links the library does not draw, by row.
    this.partners = new Map();
    this.softLinks = new Map();
    const pair = (map, i, v) => { if (!map.has(i)) map.set(i, []); map.get(i).push(v); };
    for (const [i, ft] of ftasks.entries()) {
      const row = rows[i];
      ft.dependencies = [];
      if (row.kind !== 'task') continue;
      for (const pid of row.task.depends_on || []) {
        const from = indexOfTask.get(pid);
        if (from === undefined) continue;
        pair(this.partners, i, from);
        pair(this.partners, from, i);
        const type = linkType(row.task, pid);
        // The library draws finish-to-start arrows; start-to-start and
        // finish-to-finish links are drawn by drawLink().
        if (type === 'FS') { ft.dependencies.push(ftasks[from].id); continue; }
        const link = { from, to: i, type, pid, lag: row.task.links?.[pid]?.lag || 0 };
        pair(this.softLinks, i, link);
        pair(this.softLinks, from, link);
      }
    }
    this.host.replaceChildren();
    const mount = document.createElement('div');
    mount.className = 'lg-gantt-mount';
    this.host.append(mount);
    const weekendShading = opts.zoom !== 'month';
    const top = keep && opts.scroll === 'keep' ? keep.top : opts.scroll?.top || 0;
    let gantt = null;
    const onShow = (bars) => this.decorateBars(gantt, bars);
    gantt = new Gantt(mount, ftasks, {
      view_mode: fillWidth(viewMode(opts.zoom), ftasks, this.host.clientWidth),
      language: opts.lang,
      bar_height: BAR_HEIGHT,
      padding: ROW_PADDING,
      bar_corner_radius: 4,
      upper_header_height: UPPER_HEADER,
      lower_header_height: LOWER_HEADER,
      container_height: 'auto',
      infinite_padding: false,
      popup: false,
      today_button: false,
      view_mode_select: false,
      move_dependencies: false,
      lines: 'vertical', // the rows' lines are in make_grid_rows' pattern
      // Non-working days: weekends except make-up workdays (调休), and holidays.
      holidays: {},
      lg_off_day: weekendShading ? (day) => !isWorkday(day, opts.calendar) : null,
      readonly: Boolean(opts.readonly),
      snap_at: '1d',
      scroll_to: null,
      // The first window: the rows where the view will be.
      lg_rows: () => {
        const range = this.rowRange(top, this.host.clientHeight || 600, WINDOW_MARGIN);
        return this.withPartners(range);
      },
      lg_on_show: onShow,
      on_click: (ft) => this.clicked(ft),
      on_date_change: (ft, start, end) => this.dateChanged(ft, start, end),
      on_progress_change: (ft, progress) => this.progressChanged(ft, progress),
    });
    this.gantt = gantt;
    this.decorate();
    this.bindCreateDrag();
    const box = this.container;
    if (opts.scroll === 'keep' && keep) {
      if (opts.zoomChanged && centre) this.scrollToDate(centre, 'centre');
      else box.scrollLeft = keep.left;
      box.scrollTop = keep.top;
    } else if (opts.scroll && opts.scroll.date) {
      this.scrollToDate(opts.scroll.date, opts.scroll.where);
      if (opts.scroll.top) box.scrollTop = opts.scroll.top;
    } else {
      this.scrollToDate(this.firstInterestingDate());
    }
    let queued = false;
    box.addEventListener('scroll', () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; this.showRows(); });
    }, { passive: true });
    this.showRows();
  }

  // Rows [from, to) on screen at this scroll position, widened by `margin`.
  rowRange(top, height, margin) {
    const header = this.gantt?.config.header_height ?? HEADER_HEIGHT; // before the library is built
    const first = Math.floor(top / ROW_HEIGHT);
    const last = Math.ceil((top + Math.max(0, height - header)) / ROW_HEIGHT);
    return [Math.max(0, first - margin), Math.min(this.rows.length, last + margin)];
  }

  withPartners([from, to]) {
    const out = [];
    for (let i = from; i < to; i += 1) {
      out.push(i);
      for (const p of this.partners.get(i) || []) out.push(p);
    }
    return out;
  }

  // Keep bars drawn for the rows near the view: WINDOW_MARGIN rows beyond it
  // each side (added a few at a time as it scrolls), removed once further
  // than WINDOW_KEEP rows, never while a bar is being dragged.
  showRows() {
    const g = this.gantt;
    const box = this.container;
    if (!g || !box) return;
    const [a, b] = this.rowRange(box.scrollTop, box.clientHeight, WINDOW_TRIGGER);
    g.lgColumns(this.rowRange(box.scrollTop, box.clientHeight, 0));
    if (this.shown && a >= this.shown[0] && b <= this.shown[1]) return;
    const want = this.rowRange(box.scrollTop, box.clientHeight, WINDOW_MARGIN);
    this.shown = want;
    g.lgShow(this.withPartners(want));
    if (g.bar_being_dragged !== null && g.bar_being_dragged !== undefined) return;
    const [ka, kb] = this.rowRange(box.scrollTop, box.clientHeight, WINDOW_KEEP);
    const needed = new Set(this.withPartners(want));
    const drop = [];
    g.bars.forEach((bar, i) => { if ((i < ka || i >= kb) && !needed.has(i)) drop.push(i); });
    if (!drop.length) return;
    for (const i of drop) {
      for (const el of this.extras.get(i) || []) el.remove();
      this.extras.delete(i);
      this.away.delete(i);
      for (const link of this.softLinks.get(i) || []) {
        this.drawnLinks.get(link)?.remove();
        this.drawnLinks.delete(link);
      }
    }
    g.lgHide(drop);
  }

  // The rows a picture (PNG, print) holds, drawn first: all of them up to
  // EXPORT_ROWS, else EXPORT_ROWS from the first row on screen (the whole plan,
  // paged by time, is the server's PDF), with every column of the time line.
  // Returns the crop in SVG pixels.
  exportRows() {
    const g = this.gantt;
    const box = this.container;
    const n = this.rows.length;
    const from = n <= EXPORT_ROWS ? 0 : Math.min(Math.max(0, n - EXPORT_ROWS), Math.floor((box?.scrollTop || 0) / ROW_HEIGHT));
    const to = Math.min(n, from + EXPORT_ROWS);
    g.lgShow(this.withPartners([from, to]));
    g.lgColumns([from, to], true);
    return { y: g.config.header_height + from * ROW_HEIGHT, height: (to - from) * ROW_HEIGHT };
  }

  toFrappe(row, i, opts) {
    const fid = `lg${i}`;
    this.byFid.set(fid, row);
    if (row.kind === 'project') {
      const span = projectSpan(row.project, row.allTasks || []);
      // The name is drawn by decorate(), kept in sight while scrolling.
      return {
        id: fid, name: '', start: span.start, end: span.end,
        progress: averageProgress(row.allTasks || []), custom_class: 'lg-project-row',
        color: PROJECT_COLOR, color_progress: shade(PROJECT_COLOR, 0.7),
      };
    }
    if (row.kind === 'blank') {
      const span = projectSpan(row.project, row.allTasks || []);
      return { id: fid, name: '', start: span.start, end: span.start, progress: 0,
        custom_class: 'lg-blank-row' };
    }
    const t = row.task;
    if (row.summary) {
      // A summary task: its subtasks' span and progress, not dragged (summaries.py).
      return {
        id: fid, name: escapeHtml(t.name), start: t.start, end: t.end, progress: t.progress || 0,
        custom_class: 'lg-summary', color: SUMMARY_COLOR, color_progress: shade(SUMMARY_COLOR, 0.6),
      };
    }
    const color = typeColor(opts.typeById.get(t.type_id));
    return {
      id: fid,
      name: escapeHtml(t.milestone ? `◆ ${t.name}` : t.name),
      start: t.start,
      end: t.end,
      progress: t.progress || 0,
      custom_class: t.milestone ? 'lg-milestone' : 'lg-task',
      color,
      color_progress: shade(color, 0.72),
    };
  }

  // After each draw: group rows tinted, project names, today's line, the
  // calendar marks (per row kind, not per bar: a few per project).
  decorate() {
    const g = this.gantt;
    const svg = g.$svg;
    svg.querySelectorAll('animate').forEach((a) => a.remove());
    const width = g.dates.length * g.config.column_width;
    const top = g.config.header_height;
    const rowsLayer = g.layers.grid.firstElementChild;
    const overlay = document.createElementNS(SVG_NS, 'g');
    overlay.setAttribute('class', 'lg-overlay');
    this.rows.forEach((row, i) => {
      const y = top + i * ROW_HEIGHT;
      if (row.kind === 'project') {
        overlay.append(svgEl('rect', { x: 0, y, width, height: ROW_HEIGHT, class: 'lg-group-row' }));
      } else if (row.kind === 'blank') {
        // The empty row at the end of a project, with a hint where to drag.
        overlay.append(svgEl('rect', {
          x: 0, y, width, height: ROW_HEIGHT, class: 'lg-blank-slot', 'data-project-id': row.project.id,
        }));
      }
    });
    rowsLayer.after(overlay);
    this.markCalendar();
    // Today's line in the grid, under the bars and the project names (whose halo
    // keeps "完成 20%" readable over it); the library's own line is an HTML
    // element above everything (issue 17, defect 3), hidden by the stylesheet.
    const todayDiv = g.$container.querySelector('.current-highlight');
    if (todayDiv) {
      const x = parseFloat(todayDiv.style.left) || 0;
      g.layers.grid.append(svgEl('line', { x1: x, x2: x, y1: top, y2: svg.getAttribute('height') || 0, class: 'lg-today-line' }));
    }
    // The labels that stay in sight while the chart scrolls sideways are in an
    // SVG of their own over the chart, as wide as the view and moved by a CSS
    // transform: a scroll then repaints neither SVG (moving them inside the
    // chart's SVG repainted all of it, every frame).
    const float = svgEl('svg', { class: 'lg-float', height: svg.getAttribute('height') || 0 });
    svg.after(float);
    g.lgFloat = float;
    // Project names above their summary bars, on top of everything.
    const labels = svgEl('g', { class: 'lg-labels' });
    this.rows.forEach((row, i) => {
      if (row.kind !== 'project') return;
      const span = projectSpan(row.project, row.allTasks || []);
      const text = svgEl('text', {
        x: 8, y: top + i * ROW_HEIGHT + 12, class: 'lg-project-label',
        'data-export-x': Math.max(4, this.xOf(span.start)),
      });
      text.append(svgEl('tspan', { class: 'lg-project-name' }, row.project.name));
      const meta = this.opts.projectMeta?.(row.project, row.allTasks || []);
      if (meta) text.append(svgEl('tspan', { class: 'lg-project-meta', dx: 8 }, meta));
      labels.append(text);
    });
    if (this.opts.createHint) {
      this.rows.forEach((row, i) => {
        if (row.kind !== 'blank') return;
        labels.append(svgEl('text', {
          x: 8, y: top + i * ROW_HEIGHT + ROW_HEIGHT / 2, class: 'lg-blank-hint', 'data-export': 'skip',
        }, this.opts.createHint));
      });
    }
    float.append(labels);
    // A task whose bar is scrolled out of view is still named in its row, at the
    // edge it lies beyond ("‹ 接口开发" / "接口开发 ›"), so every row says what it is:
    // the labels of bars beyond the left edge, and those beyond the right edge.
    this.awayLayer = svgEl('g', { class: 'lg-away-labels', 'data-export': 'skip' });
    this.awaySide = { left: svgEl('g', { class: 'lg-away-left', transform: 'translate(8 0)' }), right: svgEl('g', { class: 'lg-away-right' }), null: this.awayLayer };
    this.awayLayer.append(this.awaySide.left, this.awaySide.right);
    float.append(this.awayLayer);
    const box = g.$container;
    let lastLeft = null;
    let lastRight = null;
    const place = () => {
      const left = box.scrollLeft;
      const right = left + box.clientWidth;
      if (left !== lastLeft) float.style.transform = `translateX(${left}px)`;
      if (right - left !== (lastRight ?? 0) - (lastLeft ?? 0)) {
        float.setAttribute('width', String(right - left));
        this.awaySide.right.setAttribute('transform', `translate(${right - left - 8} 0)`);
      }
      if (left === lastLeft && right === lastRight && !this.awayChanged) return;
      lastLeft = left;
      lastRight = right;
      this.awayChanged = false;
      for (const r of this.away.values()) {
        const side = r.to <= left ? 'left' : r.from >= right ? 'right' : null;
        if (side === r.side) continue;
        r.side = side;
        r.el.setAttribute('visibility', side ? 'visible' : 'hidden');
        this.awaySide[side].append(r.el);
        if (!side) continue;
        r.el.textContent = side === 'left' ? `‹ ${r.name}` : `${r.name} ›`;
        r.el.setAttribute('text-anchor', side === 'left' ? 'start' : 'end');
        r.el.dataset.side = side;
      }
    };
    box.addEventListener('scroll', place, { passive: true });
    this.placeLabels = place;
    // The bars drawn while the library was being built.
    this.decorateBars(g, g.bars.filter(Boolean));
  }

  // Each newly drawn bar: data-* attributes naming the real records, the
  // tooltip, the state classes, its baseline bar, its away label and its
  // start-to-start and finish-to-finish links.
  decorateBars(g, bars) {
    if (!g || !this.awayLayer) return; // the first ones: decorate() does them
    const top = g.config.header_height;
    const rowsDone = [];
    for (const bar of bars) {
      const wrapper = bar.group;
      wrapper.querySelectorAll('animate').forEach((a) => a.remove());
      // The progress dot on the bar's bottom edge (see schedule.css), moved by
      // its cy, which the library sets once: a CSS transform would give every
      // dot a layer of its own to composite on each scrolled frame.
      const dot = bar.$handle_progress;
      if (dot) dot.setAttribute('cy', String(Number(dot.getAttribute('cy')) + PROGRESS_DOT_DROP));
      const i = bar.task._index;
      const row = this.rows[i];
      if (!row) continue;
      rowsDone.push(i);
      wrapper.dataset.kind = row.kind;
      wrapper.dataset.projectId = row.project.id;
      wrapper.dataset.row = String(i);
      if (row.kind !== 'task') continue;
      wrapper.dataset.taskId = row.task.id;
      wrapper.dataset.start = row.task.start;
      wrapper.dataset.end = row.task.end;
      wrapper.classList.toggle('lg-selected', row.task.id === this.selectedId);
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = `${row.task.name} (${row.task.start} – ${row.task.end}, ${row.task.progress || 0}%)`;
      // A manual task starting before a task it depends on ends: a violation
      // the user forced (the server says so; automatic tasks it moves instead).
      const early = row.task.early_start === true;
      wrapper.classList.toggle('lg-violation', early);
      // The critical path and each task's slack, computed by the server.
      wrapper.classList.toggle('lg-critical', row.task.critical === true);
      if (Number.isInteger(row.task.slack) && this.opts.slackText) {
        title.textContent += ` · ${this.opts.slackText(row.task.slack)}`;
      }
      if (early && this.opts.violationText) title.textContent += ` — ${this.opts.violationText}`;
      const extras = [];
      const planned = this.opts.planned;
      if (planned) {
        const plan = planned[row.task.id];
        const variance = this.opts.varianceText?.(row.task, plan) || '';
        title.textContent += ` · ${variance}`;
        wrapper.dataset.variance = variance;
        if (plan?.start && plan?.end) extras.push(this.drawPlanned(wrapper, plan));
      }
      wrapper.prepend(title);
      const el = svgEl('text', { x: 0, y: top + i * ROW_HEIGHT + ROW_HEIGHT / 2 + 4, class: 'lg-away', 'data-task-id': row.task.id, visibility: 'hidden' });
      this.awayLayer.append(el);
      this.awayChanged = true;
      extras.push(el);
      this.away.set(i, { el, name: row.task.name, side: null, from: this.xOf(row.task.start), to: this.xOf(addDays(row.task.end, 1)) });
      this.extras.set(i, extras.filter(Boolean));
    }
    for (const i of rowsDone) {
      for (const link of this.softLinks.get(i) || []) this.drawLink(link);
    }
    this.placeLabels?.();
  }

  // A thin grey bar under the task's bar at its baseline dates (基线).
  drawPlanned(wrapper, plan) {
    const bar = wrapper.querySelector('.bar');
    if (!bar) return;
    const y = Number(bar.getAttribute('y')) + Number(bar.getAttribute('height')) + 2;
    const x = this.xOf(plan.start);
    const width = Math.max(4, this.xOf(addDays(plan.end, 1)) - x);
    const rect = svgEl('rect', { x, y, width, height: 4, rx: 2, class: 'lg-planned', 'data-start': plan.start, 'data-end': plan.end });
    this.gantt.layers.grid.append(rect);
    return rect;
  }

  // A start-to-start link as an arrow from the predecessor's start into the
  // task's start, finish-to-finish from its end into the task's end, named in
  // a tooltip with its lag (同时开始 +1); drawn once both bars are.
  drawLink(link) {
    const g = this.gantt;
    const fromBar = g.bars[link.from]?.$bar;
    const toBar = g.bars[link.to]?.$bar;
    if (!fromBar || !toBar || this.drawnLinks.has(link)) return;
    const box = (bar) => ({ x: Number(bar.getAttribute('x')), y: Number(bar.getAttribute('y')), w: Number(bar.getAttribute('width')), h: Number(bar.getAttribute('height')) });
    const a = box(fromBar);
    const b = box(toBar);
    const ay = a.y + a.h / 2;
    const by = b.y + b.h / 2;
    let d;
    if (link.type === 'SS') {
      const x = Math.min(a.x, b.x) - 10;
      d = `M ${a.x} ${ay} H ${x} V ${by} H ${b.x - 1} m -5 -5 l 5 5 l -5 5`;
    } else {
      const x = Math.max(a.x + a.w, b.x + b.w) + 10;
      d = `M ${a.x + a.w} ${ay} H ${x} V ${by} H ${b.x + b.w + 1} m 5 -5 l -5 5 l 5 5`;
    }
    const task = this.rows[link.to].task;
    const path = svgEl('path', { d, class: `arrow lg-link lg-link-${link.type.toLowerCase()}`, 'data-from': link.pid, 'data-to': task.id, 'data-type': link.type });
    const title = svgEl('title', {});
    title.textContent = `${this.opts.linkText?.[link.type] || link.type}${link.lag ? ` ${link.lag > 0 ? '+' : ''}${link.lag}` : ''}`;
    path.append(title);
    g.layers.arrow.append(path);
    this.drawnLinks.set(link, path);
  }

  // ---- selection and clicks ------------------------------------------------

  select(taskId) {
    this.selectedId = taskId;
    if (!this.gantt) return;
    for (const w of this.gantt.$svg.querySelectorAll('.bar-wrapper[data-task-id]')) {
      w.classList.toggle('lg-selected', w.dataset.taskId === taskId);
    }
  }

  clicked(ft) {
    const row = this.byFid.get(ft.id);
    if (!row || row.kind !== 'task') return;
    // A drag ends with a click on the bar; that click is not a request to edit.
    if (Date.now() < this.suppressClickUntil) return;
    this.select(row.task.id);
    this.handlers.onSelect?.(row.task.id);
    this.handlers.onEdit?.(row.task.id);
  }

  // ---- edits on the chart --------------------------------------------------

  dateChanged(ft, start, end) {
    const row = this.byFid.get(ft.id);
    if (!row || row.kind !== 'task') return;
    if (row.summary) { this.summaryTouched = true; return; }
    const change = this.pending.get(row.task.id) || {};
    change.start = fmtDay(start);
    change.end = fmtDay(end); // the library passes the last second of the last day
    this.pending.set(row.task.id, change);
  }

  progressChanged(ft, progress) {
    const row = this.byFid.get(ft.id);
    if (!row || row.kind !== 'task') return;
    if (row.summary) { this.summaryTouched = true; return; }
    const change = this.pending.get(row.task.id) || {};
    change.progress = Math.max(0, Math.min(100, Math.round(Number(progress) || 0)));
    this.pending.set(row.task.id, change);
  }

  // Whether the user is dragging a bar now (a redraw would drop the drag).
  dragging() {
    return this.pending.size > 0 || Boolean(this.gantt?.bar_being_dragged);
  }

  commitPending() {
    if (this.summaryTouched) {
      // A summary task's bar follows its subtasks: put it back and say why.
      this.summaryTouched = false;
      this.handlers.onRefused?.(this.opts.summaryText);
    }
    if (!this.pending.size) return;
    const changes = [...this.pending.entries()];
    this.pending.clear();
    this.suppressClickUntil = Date.now() + 400;
    for (const [taskId, change] of changes) {
      const row = this.rows.find((r) => r.kind === 'task' && r.task.id === taskId);
      if (!row) continue;
      const diff = {};
      for (const [k, v] of Object.entries(change)) if (row.task[k] !== v) diff[k] = v;
      if (Object.keys(diff).length) this.handlers.onChange?.(taskId, diff);
    }
  }

  // "休" over each holiday and "班" over each make-up workday, named in a tooltip
  // (day zoom only: the week and month columns are too narrow for them).
  markCalendar() {
    const cal = this.opts.calendar;
    const g = this.gantt;
    if (!cal || this.opts.zoom !== 'day') return;
    // Above the shaded columns, which the library draws last in the grid.
    const layer = document.createElementNS(SVG_NS, 'g');
    layer.setAttribute('class', 'lg-cal-marks');
    g.layers.grid.append(layer);
    const from = fmtDay(g.gantt_start);
    const to = fmtDay(g.gantt_end);
    const col = g.config.column_width;
    for (const kind of ['holiday', 'workday']) {
      for (const [day, name] of cal[kind]) {
        if (day < from || day > to) continue;
        const team = cal.team?.has(day);
        const label = svgEl('text', {
          x: this.xOf(day) + col / 2, y: g.config.header_height + 12,
          class: `lg-cal-mark lg-cal-${kind}${team ? ' lg-cal-team' : ''}`, 'data-date': day,
        });
        label.textContent = kind === 'holiday' ? '休' : '班';
        const title = document.createElementNS(SVG_NS, 'title');
        const what = team ? `${this.opts.calendarText?.team || ''}: ${this.opts.calendarText?.[`team_${kind}`] || ''}` : this.opts.calendarText?.[kind] || '';
        title.textContent = `${name} · ${what}`;
        label.append(title);
        layer.append(label);
      }
    }
  }

  // ---- time <-> pixels -------------------------------------------------------

  dateAt(x) {
    const g = this.gantt;
    const col = g.config.column_width;
    const start = g.gantt_start;
    if (g.config.unit === 'month') {
      const m = Math.floor(x / col);
      const d = new Date(start.getFullYear(), start.getMonth() + m, 1);
      const frac = x / col - m;
      d.setDate(1 + Math.min(daysInMonth(d) - 1, Math.floor(frac * daysInMonth(d))));
      return fmtDay(d);
    }
    const days = Math.floor((x / col) * g.config.step);
    return addDays(fmtDay(start), days);
  }

  xOf(day) {
    const g = this.gantt;
    const col = g.config.column_width;
    const d = parseDay(day);
    const start = g.gantt_start;
    if (g.config.unit === 'month') {
      const months = (d.getFullYear() - start.getFullYear()) * 12 + d.getMonth() - start.getMonth();
      return (months + (d.getDate() - 1) / daysInMonth(d)) * col;
    }
    const days = Math.round((d - start) / 86400000);
    return (days / g.config.step) * col;
  }

  scrollToDate(day, where = 'left') {
    const box = this.container;
    if (!box || !day) return;
    const x = this.xOf(day);
    box.scrollLeft = where === 'centre' ? x - box.clientWidth / 2 : x - this.gantt.config.column_width * 2;
  }

  scrollToToday() {
    this.scrollToDate(today(), 'centre');
  }

  // Where to look first: the start of the work on screen when it all fits,
  // else today when the work spans it, else the start.
  firstInterestingDate() {
    const tasks = this.rows.filter((r) => r.kind === 'task').map((r) => r.task);
    const now = today();
    if (!tasks.length) return addDays(now, -3);
    const first = tasks.reduce((a, t) => (t.start < a ? t.start : a), tasks[0].start);
    const last = tasks.reduce((a, t) => (t.end > a ? t.end : a), tasks[0].end);
    const box = this.container;
    const col = this.gantt.config.column_width;
    const fits = box && this.xOf(last) - this.xOf(first) < box.clientWidth - 4 * col;
    if (fits || now < first || now > last) return first;
    // Today, unless none of the rows on the first screen has a task near it:
    // then where those rows' tasks are (issue 17, defect 5: 200 tasks from
    // September on a December day opened on an empty grid).
    const shown = box ? Math.max(1, Math.floor((box.clientHeight - this.gantt.config.header_height) / ROW_HEIGHT)) : 20;
    const onScreen = this.rows.slice(0, shown).filter((r) => r.kind === 'task').map((r) => r.task);
    const from = addDays(now, -7);
    const to = this.dateAt(this.xOf(from) + (box?.clientWidth || 0));
    if (!onScreen.length || onScreen.some((t) => t.start <= to && t.end >= from)) return from;
    return onScreen.reduce((a, t) => (t.start < a ? t.start : a), onScreen[0].start);
  }

  // ---- drag on an empty part of a row to create a task -----------------------

  bindCreateDrag() {
    const g = this.gantt;
    const svg = g.$svg;
    if (this.opts.readonly) return;
    svg.addEventListener('mousedown', (e) => {
      if (e.button !== 0 || e.target.closest('.bar-wrapper')) return;
      const box = svg.getBoundingClientRect();
      const x0 = e.clientX - box.left;
      const y = e.clientY - box.top;
      const index = Math.floor((y - g.config.header_height) / ROW_HEIGHT);
      const row = this.rows[index];
      if (!row || y < g.config.header_height) return;
      e.preventDefault();
      const ghost = document.createElementNS(SVG_NS, 'rect');
      ghost.setAttribute('class', 'lg-create-ghost');
      ghost.setAttribute('y', String(g.config.header_height + index * ROW_HEIGHT + ROW_PADDING / 2));
      ghost.setAttribute('height', String(BAR_HEIGHT));
      ghost.setAttribute('x', String(x0));
      ghost.setAttribute('width', '0');
      ghost.setAttribute('rx', '4');
      svg.append(ghost);
      let x1 = x0;
      const move = (ev) => {
        x1 = ev.clientX - svg.getBoundingClientRect().left;
        ghost.setAttribute('x', String(Math.min(x0, x1)));
        ghost.setAttribute('width', String(Math.abs(x1 - x0)));
      };
      const up = () => {
        this.endCreateDrag();
        if (Math.abs(x1 - x0) < DRAG_MIN_PX) return;
        const a = this.dateAt(Math.min(x0, x1));
        const b = this.dateAt(Math.max(x0, x1) - 1);
        this.handlers.onCreate?.(row.project.id, a, b < a ? a : b);
      };
      this.endCreateDrag = () => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
        ghost.remove();
        this.endCreateDrag = null;
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    });
  }
}

// The span a project's summary row covers: its tasks, else its own dates,
// else today.
export function projectSpan(project, tasks) {
  let start = null;
  let end = null;
  for (const t of tasks) {
    start = minDay(start, t.start);
    end = maxDay(end, t.end);
  }
  if (!start) {
    start = project.start || project.end || today();
    end = project.end || start;
  }
  if (end < start) end = start;
  return { start, end };
}

export function averageProgress(tasks) {
  if (!tasks.length) return 0;
  return Math.round(tasks.reduce((s, t) => s + (t.progress || 0), 0) / tasks.length);
}
