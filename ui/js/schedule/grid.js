// The task grid beside the chart: one line per chart row, the same height, kept
// level with the chart as it scrolls. Columns: number, name (indented under
// its summary task, with ▾/▸ to collapse), type, assignee, start, end, working
// days, progress, predecessors (by number, "3, 5SS+1") and slack.
//
// - Sorting: a click on a column's heading sorts by it (again: descending,
//   then back to the outline's start-date order); subtasks stay under their
//   summary task, sorted among themselves.
// - Widths: drag a heading's right edge; the widths are remembered.
// - Editing: double-click a cell, or press Enter or F2 (or just type) on the
//   active cell; Enter saves, Esc cancels, Tab saves and moves right. A
//   summary task's dates and progress are its subtasks' and are not edited.
// - Keys: arrows move the active cell, Home/End go to the row's ends,
//   Alt+Shift+→ makes the task a subtask of the one above it, Alt+Shift+←
//   moves it up a level, Space collapses or expands a summary task.
// - The empty line at a project's end takes a new task's name.
// - Thousands of rows: only the lines near the view exist (fill), placed at
//   their row's height in a body as tall as all rows, like the chart's bars.

import { h } from './dom.js';

export const COLUMNS = [
  { key: 'number', label: 'schedule.grid.number', width: 50 },
  { key: 'name', label: 'schedule.csv.task', width: 170, edit: 'text' },
  { key: 'type_id', label: 'schedule.csv.type', width: 66, edit: 'type' },
  { key: 'assignee', label: 'schedule.csv.assignee', width: 62, edit: 'text' },
  { key: 'start', label: 'schedule.csv.start', width: 86, edit: 'date', rolled: true },
  { key: 'end', label: 'schedule.csv.end', width: 86, edit: 'date', rolled: true },
  { key: 'workdays', label: 'schedule.grid.workdays', width: 48 },
  { key: 'progress', label: 'schedule.grid.progress', width: 52, edit: 'percent', rolled: true },
  { key: 'depends_on', label: 'schedule.grid.predecessors', width: 90 },
  { key: 'slack', label: 'schedule.grid.slack', width: 52 },
];
const EDITABLE = COLUMNS.map((c, i) => (c.edit ? i : -1)).filter((i) => i >= 0);
const LINE_MARGIN = 30; // lines made beyond the view each side
const LINE_KEEP = 90; // lines further than this from the view are removed

export class TaskGrid {
  // handlers: onSave(taskId, changes), onCreate(projectId, name), onSelect(taskId),
  //   onEdit(taskId), onToggle(taskId), onIndent(taskId, +1 | -1), onSort(key),
  //   onResize(key, width), onWheel(deltaY)
  constructor(host, handlers, t) {
    this.host = host;
    this.handlers = handlers;
    this.t = t;
    this.rows = [];
    this.active = { row: -1, col: 1 };
    this.editing = null;
    this.head = h('div', { class: 'sgrid-head', role: 'row' });
    this.body = h('div', { class: 'sgrid-body', role: 'rowgroup', tabindex: '0', 'aria-label': t('schedule.grid.label') });
    this.inner = h('div', { class: 'sgrid-inner' });
    this.body.append(this.inner);
    this.host.replaceChildren(h('div', { class: 'sgrid', role: 'grid', 'aria-label': t('schedule.grid.label') }, this.head, this.body));
    this.body.addEventListener('keydown', (e) => this.key(e));
    // Rows move by transform (scrollTo); a focused input must not scroll the box.
    this.body.addEventListener('scroll', () => { this.body.scrollTop = 0; this.body.scrollLeft = 0; });
    this.body.addEventListener('wheel', (e) => {
      if (this.editing) return;
      e.preventDefault();
      this.handlers.onWheel?.(e.deltaY);
    }, { passive: false });
  }

  // rows: the chart's rows ({kind: 'project'|'task'|'blank', project, task?,
  // depth?, summary?, number?, collapsed?}); opts: {headerHeight, rowHeight,
  // widths, sort, typeById, numbers, readonly, selectedId}
  render(rows, opts) {
    this.rows = rows;
    this.opts = opts;
    this.widths = { ...(opts.widths || {}) };
    this.widthOf = (c) => this.widths[c.key] || c.width;
    this.head.style.height = `${opts.headerHeight}px`;
    this.head.replaceChildren(...COLUMNS.map((c) => this.heading(c)));
    this.lines = new Map(); // row index -> its line, for the rows near the view
    this.inner.replaceChildren();
    this.inner.style.height = `${rows.length * opts.rowHeight}px`;
    this.inner.style.width = `${COLUMNS.reduce((a, c) => a + this.widthOf(c), 0)}px`;
    this.head.style.width = this.inner.style.width;
    if (this.active.row >= rows.length) this.active.row = rows.length - 1;
    const sel = rows.findIndex((r) => r.kind === 'task' && r.task.id === opts.selectedId);
    if (sel >= 0) this.active.row = sel;
    this.fill(this.top || 0);
    this.paintActive();
  }

  // The line of row i, made when first needed.
  lineAt(i) {
    if (!this.rows[i]) return null;
    let line = this.lines.get(i);
    if (!line) {
      line = this.line(this.rows[i], i);
      line.style.top = `${i * this.opts.rowHeight}px`;
      this.lines.set(i, line);
      this.inner.append(line);
      if (i === this.active.row) this.markActive(line);
    }
    return line;
  }

  // Make the lines near the view at scroll position `top`, remove far ones
  // (never the active line, one being edited, nor one holding the focus: a
  // new task's name half typed).
  fill(top) {
    const rh = this.opts.rowHeight;
    const first = Math.floor(top / rh);
    const last = Math.ceil((top + (this.body.clientHeight || 800)) / rh);
    for (let i = Math.max(0, first - LINE_MARGIN); i < Math.min(this.rows.length, last + LINE_MARGIN); i += 1) this.lineAt(i);
    for (const [i, line] of this.lines) {
      if (i >= first - LINE_KEEP && i < last + LINE_KEEP) continue;
      if (i === this.active.row || i === this.editing?.rowIndex || line.contains(document.activeElement)) continue;
      line.remove();
      this.lines.delete(i);
    }
  }

  heading(c) {
    const sort = this.opts.sort;
    const dir = sort && sort.key === c.key ? sort.dir : null;
    const cell = h('div', {
      class: 'sgrid-th', role: 'columnheader', style: `width:${this.widthOf(c)}px`,
      'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none',
      dataset: { key: c.key }, title: this.t('schedule.grid.sortHint'),
    }, h('span', { text: this.t(c.label) + (dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : '') }));
    cell.addEventListener('click', (e) => { if (!e.target.closest('.sgrid-grip')) this.handlers.onSort?.(c.key); });
    const grip = h('span', { class: 'sgrid-grip', 'aria-hidden': 'true' });
    grip.addEventListener('pointerdown', (e) => this.resize(e, c, cell));
    cell.append(grip);
    return cell;
  }

  resize(e, c, cell) {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    const w0 = this.widthOf(c);
    const move = (ev) => {
      const w = Math.max(28, Math.min(480, w0 + ev.clientX - x0));
      cell.style.width = `${w}px`;
      for (const el of this.inner.querySelectorAll(`[data-key="${c.key}"]`)) el.style.width = `${w}px`;
      this.pendingWidth = w;
      this.widths[c.key] = w;
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      if (this.pendingWidth) this.handlers.onResize?.(c.key, this.pendingWidth);
      this.pendingWidth = 0;
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  line(row, i) {
    const t = this.t;
    const style = `height:${this.opts.rowHeight}px`;
    if (row.kind === 'project') {
      return h('div', { class: 'sgrid-row sgrid-project', role: 'row', style, dataset: { row: i } },
        h('div', { class: 'sgrid-cell', text: row.project.name }));
    }
    if (row.kind === 'blank') {
      const input = h('input', {
        class: 'sgrid-new', placeholder: t('schedule.grid.newTask'), 'aria-label': t('schedule.grid.newTask'),
        disabled: this.opts.readonly, dataset: { projectId: row.project.id },
      });
      input.addEventListener('keydown', (e) => {
        e.stopPropagation();
        if (e.key === 'Enter' && input.value.trim()) this.handlers.onCreate?.(row.project.id, input.value.trim());
        if (e.key === 'Escape') { input.value = ''; this.body.focus(); }
      });
      return h('div', { class: 'sgrid-row sgrid-blank', role: 'row', style, dataset: { row: i } }, input);
    }
    const task = row.task;
    const el = h('div', {
      class: `sgrid-row${row.summary ? ' sgrid-summary' : ''}`, role: 'row', style,
      dataset: { row: i, taskId: task.id },
    }, ...COLUMNS.map((c, col) => this.cell(row, c, col)));
    el.addEventListener('click', (e) => {
      const cell = e.target.closest('.sgrid-cell');
      if (e.target.closest('.sgrid-toggle')) { this.handlers.onToggle?.(task.id); return; }
      this.activate(i, cell ? Number(cell.dataset.col) : this.active.col);
    });
    el.addEventListener('dblclick', (e) => {
      const cell = e.target.closest('.sgrid-cell');
      if (cell) this.edit(i, Number(cell.dataset.col));
    });
    return el;
  }

  cell(row, c, col) {
    const task = row.task;
    const attrs = { class: 'sgrid-cell', role: 'gridcell', style: `width:${this.widthOf(c)}px`, dataset: { key: c.key, col } };
    if (c.key === 'name') {
      const toggle = row.summary
        ? h('button', { type: 'button', class: 'sgrid-toggle', tabindex: '-1', text: row.collapsed ? '▸' : '▾',
          'aria-label': this.t(row.collapsed ? 'schedule.grid.expand' : 'schedule.grid.collapse'), 'aria-expanded': String(!row.collapsed) })
        : h('span', { class: 'sgrid-toggle-space' });
      return h('div', { ...attrs, style: `${attrs.style};padding-left:${6 + row.depth * 16}px`, title: task.name },
        toggle, h('span', { class: 'sgrid-name', text: task.milestone ? `◆ ${task.name}` : task.name }));
    }
    const text = this.display(row, c);
    if (row.summary && c.rolled) attrs.class += ' sgrid-rolled';
    return h('div', { ...attrs, title: text }, text);
  }

  display(row, c) {
    const task = row.task;
    switch (c.key) {
      case 'number': return String(row.number ?? '');
      case 'type_id': return this.opts.typeById.get(task.type_id)?.name || '';
      case 'progress': return `${task.progress || 0}%`;
      case 'workdays': case 'slack': return Number.isInteger(task[c.key]) ? String(task[c.key]) : '';
      case 'depends_on': return (task.depends_on || []).map((d) => {
        const link = task.links?.[d];
        const n = this.opts.numbers.get(d) ?? this.opts.nameOf(d);
        const type = link && link.type && link.type !== 'FS' ? link.type : '';
        const lag = link && link.lag ? `${link.lag > 0 ? '+' : ''}${link.lag}` : '';
        return `${n}${type || (lag ? 'FS' : '')}${lag}`;
      }).join(', ');
      default: return task[c.key] ?? '';
    }
  }

  // ---- the active cell and the keyboard -------------------------------------

  activate(row, col) {
    this.active = { row, col };
    this.paintActive();
    const r = this.rows[row];
    if (r?.kind === 'task') this.handlers.onSelect?.(r.task.id);
    this.body.focus({ preventScroll: true });
  }

  paintActive() {
    for (const el of this.inner.querySelectorAll('.sgrid-active')) el.classList.remove('sgrid-active');
    for (const el of this.inner.querySelectorAll('.sgrid-row.is-selected')) el.classList.remove('is-selected');
    const line = this.lineAt(this.active.row);
    if (!line) return;
    this.markActive(line);
    this.handlers.onReveal?.(this.active.row);
  }

  markActive(line) {
    line.classList.add('is-selected');
    line.querySelector(`[data-col="${this.active.col}"]`)?.classList.add('sgrid-active');
  }

  key(e) {
    if (this.editing) return;
    const { row, col } = this.active;
    const r = this.rows[row];
    const move = (dr, dc) => {
      e.preventDefault();
      let next = row + dr;
      while (this.rows[next] && this.rows[next].kind === 'project') next += dr || 1;
      if (!this.rows[next]) next = row;
      if (this.rows[next]?.kind === 'blank' && dr) {
        this.active = { row: next, col };
        this.paintActive();
        this.lineAt(next)?.querySelector('input')?.focus({ preventScroll: true });
        return;
      }
      this.activate(next, Math.max(0, Math.min(COLUMNS.length - 1, col + dc)));
    };
    if (e.altKey && e.shiftKey && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
      e.preventDefault();
      if (r?.kind === 'task' && !this.opts.readonly) this.handlers.onIndent?.(r.task.id, e.key === 'ArrowRight' ? 1 : -1);
      return;
    }
    switch (e.key) {
      case 'ArrowDown': move(1, 0); return;
      case 'ArrowUp': move(-1, 0); return;
      case 'ArrowRight': move(0, 1); return;
      case 'ArrowLeft': move(0, -1); return;
      case 'Home': move(0, -col); return;
      case 'End': move(0, COLUMNS.length - 1 - col); return;
      case 'Enter': case 'F2': e.preventDefault(); this.edit(row, col); return;
      case ' ':
        if (r?.summary) { e.preventDefault(); this.handlers.onToggle?.(r.task.id); }
        return;
      default:
        if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && COLUMNS[col].edit === 'text') {
          e.preventDefault();
          this.edit(row, col, e.key);
        }
    }
  }

  // ---- editing ------------------------------------------------------------------

  edit(rowIndex, col, typed) {
    const row = this.rows[rowIndex];
    const c = COLUMNS[col];
    if (this.opts.readonly || !row || row.kind !== 'task') return;
    if (!c.edit) {
      if (c.key === 'depends_on') this.handlers.onEdit?.(row.task.id); // the dialog sets links
      return;
    }
    if (row.summary && c.rolled) {
      this.handlers.onNotice?.(this.t('schedule.grid.rolledUp'));
      return;
    }
    const cell = this.lineAt(rowIndex)?.querySelector(`[data-col="${col}"]`);
    if (!cell) return;
    this.active = { row: rowIndex, col };
    const task = row.task;
    let input;
    if (c.edit === 'type') {
      input = h('select', { class: 'sgrid-input' },
        h('option', { value: '', text: '—' }),
        ...[...this.opts.typeById.values()].filter((ty) => ty.enabled !== false || ty.id === task.type_id)
          .map((ty) => h('option', { value: ty.id, text: ty.name, selected: ty.id === task.type_id })));
    } else {
      const type = c.edit === 'date' ? 'date' : c.edit === 'percent' ? 'number' : 'text';
      input = h('input', { class: 'sgrid-input', type, value: typed ?? String(task[c.key] ?? ''), min: type === 'number' ? '0' : null, max: type === 'number' ? '100' : null });
    }
    this.editing = { rowIndex, col, input };
    cell.replaceChildren(input);
    cell.classList.add('sgrid-editing');
    input.focus({ preventScroll: true });
    if (typed === undefined && input.select) input.select();
    const finish = (save, step = 0) => {
      if (!this.editing || this.editing.input !== input) return;
      this.editing = null;
      const value = this.parse(c, input.value);
      const changed = save && value !== undefined && JSON.stringify(value) !== JSON.stringify(task[c.key] ?? (c.key === 'type_id' ? null : ''));
      if (changed) this.handlers.onSave?.(task.id, { [c.key]: value });
      else cell.replaceChildren(...this.cell(row, c, col).childNodes);
      cell.classList.remove('sgrid-editing');
      this.body.focus({ preventScroll: true });
      if (step) this.activate(rowIndex, Math.max(0, Math.min(COLUMNS.length - 1, col + step)));
    };
    input.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Enter') { e.preventDefault(); finish(true); }
      if (e.key === 'Escape') { e.preventDefault(); finish(false); }
      if (e.key === 'Tab') { e.preventDefault(); finish(true, e.shiftKey ? -1 : nextEditable(col) - col); }
    });
    input.addEventListener('blur', () => finish(true));
  }

  parse(c, text) {
    const v = text.trim();
    if (c.edit === 'percent') {
      const n = Math.round(Number(v));
      return Number.isFinite(n) ? Math.max(0, Math.min(100, n)) : undefined;
    }
    if (c.edit === 'type') return v || null;
    if (c.edit === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
    if (c.key === 'name' && !v) return undefined; // a task needs a name
    return v;
  }

  scrollTo(top) {
    this.top = top;
    this.inner.style.transform = `translateY(${-top}px)`;
    if (this.opts) this.fill(top);
  }
}

function nextEditable(col) {
  return EDITABLE.find((i) => i > col) ?? col;
}
