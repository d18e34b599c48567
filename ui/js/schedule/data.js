// The schedule's data in the browser: what the server has sent for the
// projects, tasks and task types on screen, every write to the server, and
// the undo list. Every change goes to the server at once (PATCH with
// If-Match: <rev>); the cache only changes once the server has accepted it,
// so a failed save leaves the cache as it was and the chart can roll back by
// drawing it again.

import { api } from '../api.js';

const URLS = { projects: 'api/projects', tasks: 'api/tasks', types: 'api/task-types' };
export const PROJECT_PAGE_SIZE = 30;
const TASK_PAGE_SIZE = 1000; // the API's maximum per_page
const MAX_TASK_PAGES = 50; // bounds the loop: 50,000 tasks for the selected projects
const ID_CHUNK = 100; // project ids per query, to keep URLs short
const UNDO_LIMIT = 50;

// Fields a client may write; bookkeeping (rev, dates) is the server's.
export const FIELDS = {
  projects: ['name', 'owner', 'status', 'start', 'end', 'notes'],
  tasks: ['project_id', 'name', 'type_id', 'start', 'end', 'assignee', 'progress', 'depends_on',
    'milestone', 'notes'],
  types: ['name', 'color', 'enabled'],
};

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function pick(record, keys) {
  const out = {};
  for (const k of keys) {
    if (record && k in record) out[k] = Array.isArray(record[k]) ? [...record[k]] : record[k];
  }
  return out;
}

function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export class ScheduleData {
  constructor() {
    this.types = [];
    this.typeById = new Map();
    this.projectById = new Map(); // every project seen, for names and group headers
    this.page = { items: [], total: 0, page: 1, q: '' };
    this.tasks = []; // the tasks of the loaded projects, server order (start, end, name)
    this.taskById = new Map();
    this.loadedProjectIds = [];
    this.undoStack = [];
    this.onUndoChange = () => {};
  }

  // ---- reading ----------------------------------------------------------

  async loadTypes() {
    const res = await api.get(`${URLS.types}${query({ per_page: 1000 })}`);
    this.types = res.items;
    this.typeById = new Map(this.types.map((t) => [t.id, t]));
    return this.types;
  }

  async loadProjectPage({ q = '', page = 1 } = {}) {
    const res = await api.get(`${URLS.projects}${query({ q, page, per_page: PROJECT_PAGE_SIZE })}`);
    // A page past the end (projects were deleted) falls back to the last page.
    const pages = Math.max(1, Math.ceil(res.total / PROJECT_PAGE_SIZE));
    if (page > pages && res.total > 0) return this.loadProjectPage({ q, page: pages });
    for (const p of res.items) this.projectById.set(p.id, p);
    this.page = { items: res.items, total: res.total, page, q, pages };
    return this.page;
  }

  // The records of the given projects; ids that no longer exist are left out.
  async loadProjects(ids) {
    const found = [];
    for (const part of chunks(ids, ID_CHUNK)) {
      const res = await api.get(`${URLS.projects}${query({ project_id: part.join(','), per_page: 1000 })}`);
      found.push(...res.items);
    }
    for (const p of found) this.projectById.set(p.id, p);
    const live = new Set(found.map((p) => p.id));
    for (const id of ids) if (!live.has(id)) this.projectById.delete(id);
    return ids.filter((id) => live.has(id));
  }

  // Every task of the given projects (all pages, bounded), from the server:
  // the first page says how many there are, the others are asked together.
  async fetchTasks(projectIds) {
    const all = [];
    for (const part of chunks(projectIds, ID_CHUNK)) {
      const page = (n) => api.get(`${URLS.tasks}${query({ project_id: part.join(','), per_page: TASK_PAGE_SIZE, page: n })}`);
      const first = await page(1);
      const pages = Math.min(MAX_TASK_PAGES, Math.ceil(first.total / TASK_PAGE_SIZE));
      const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => page(i + 2)));
      for (const res of [first, ...rest]) all.push(...res.items);
    }
    return all;
  }

  // Every task of the given projects, kept as the chart's tasks.
  async loadTasks(projectIds) {
    const all = await this.fetchTasks(projectIds);
    this.tasks = all;
    this.taskById = new Map(all.map((t) => [t.id, t]));
    this.loadedProjectIds = [...projectIds];
    return all;
  }

  // Holidays and make-up workdays (调休) from `from` to `to`, from the server's
  // calendar, for the chart's shading: { holiday: Map(day -> name), workday:
  // Map(day -> name), team: Set(day) }. Asked for unless those kept cover the
  // range (calendarRange, the range asked for last; forgetCalendar() when they
  // may have changed).
  async loadCalendar(from, to) {
    if (this.calendarCovers(from, to)) return this.calendar;
    const res = await api.get(`api/calendar${query({ from, to })}`, { quiet: true });
    // team: the dates that are the team's own days (团队日历), not the national ones
    const cal = { holiday: new Map(), workday: new Map(), team: new Set() };
    for (const d of res.days) {
      cal[d.kind]?.set(d.date, d.name_zh || d.name || '');
      if (d.team) cal.team.add(d.date);
    }
    this.calendar = cal;
    this.calendarRange = [from, to];
    return cal;
  }

  calendarCovers(from, to) {
    const kept = this.calendarRange;
    return Boolean(kept && kept[0] <= from && to <= kept[1]);
  }

  forgetCalendar() {
    this.calendarRange = null;
  }

  tasksOf(projectId) {
    return this.tasks.filter((t) => t.project_id === projectId);
  }

  // A project's tasks whether or not the chart shows it (a dialog may pick a
  // project that is not shown: its tasks are asked for, not kept).
  async tasksFor(projectId) {
    if (this.loadedProjectIds?.includes(projectId)) return this.tasksOf(projectId);
    return this.fetchTasks([projectId]);
  }

  get(kind, id) {
    if (kind === 'tasks') return this.taskById.get(id);
    if (kind === 'projects') return this.projectById.get(id);
    return this.typeById.get(id);
  }

  // ---- the cache --------------------------------------------------------

  put(kind, record) {
    if (kind === 'tasks') {
      const i = this.tasks.findIndex((t) => t.id === record.id);
      const inLoaded = this.loadedProjectIds.includes(record.project_id);
      if (i >= 0 && inLoaded) this.tasks[i] = record;
      else if (i >= 0) this.tasks.splice(i, 1);
      else if (inLoaded) this.tasks.push(record);
      if (inLoaded) this.taskById.set(record.id, record);
      else this.taskById.delete(record.id);
      this.tasks.sort(taskOrder);
    } else if (kind === 'projects') {
      this.projectById.set(record.id, record);
      const i = this.page.items.findIndex((p) => p.id === record.id);
      if (i >= 0) this.page.items[i] = record;
    } else {
      const i = this.types.findIndex((t) => t.id === record.id);
      if (i >= 0) this.types[i] = record;
      else this.types.push(record);
      this.typeById.set(record.id, record);
    }
  }

  drop(kind, id) {
    if (kind === 'tasks') {
      this.tasks = this.tasks.filter((t) => t.id !== id);
      this.taskById.delete(id);
    } else if (kind === 'projects') {
      this.projectById.delete(id);
      this.page.items = this.page.items.filter((p) => p.id !== id);
      this.tasks = this.tasks.filter((t) => t.project_id !== id);
      this.taskById = new Map(this.tasks.map((t) => [t.id, t]));
    } else {
      this.types = this.types.filter((t) => t.id !== id);
      this.typeById.delete(id);
    }
  }

  // A record again from the server, e.g. after a 409 said ours is stale.
  async refetch(kind, id) {
    try {
      const rec = await api.get(`${URLS[kind]}/${encodeURIComponent(id)}`, { quiet: true });
      this.put(kind, rec);
      return rec;
    } catch (err) {
      if (err.status === 404) this.drop(kind, id);
      else throw err;
      return null;
    }
  }

  // A stale rev (409) comes with the server's current record; a 404 means
  // the record is gone. Either way the cache takes the server's word.
  async afterRefusal(kind, id, err) {
    const current = err && err.body && err.body.current;
    if (err.status === 409 && current && current.id === id) this.put(kind, current);
    else if (err.status === 409 || err.status === 404) await this.refetch(kind, id).catch(() => null);
  }

  // ---- writing ----------------------------------------------------------
  // Each write throws the ApiError of a refused change after putting the
  // cache back in line with the server; the caller shows it and redraws.

  // Tasks the server moved after the last write (dependencies that schedule:
  // their successors start after they end), as [{ id, name, start, end }].
  lastMoved = [];

  // Put the tasks the server moved into the cache; returns their dates before.
  takeMoved(rec) {
    const moved = rec.moved || [];
    delete rec.moved;
    const before = [];
    for (const m of moved) {
      const old = this.taskById.get(m.id);
      if (old) before.push({ id: m.id, before: pick(old, ['start', 'end']) });
      if (old || this.loadedProjectIds?.includes(m.project_id)) this.put('tasks', m);
    }
    this.lastMoved = moved;
    return before;
  }

  async create(kind, body, { undo = true } = {}) {
    const rec = await api.post(URLS[kind], body, { quiet: true });
    this.takeMoved(rec);
    this.put(kind, rec);
    if (undo) this.pushUndo({ op: 'create', kind, id: rec.id });
    return rec;
  }

  async update(kind, id, changes, { undo = true } = {}) {
    const current = this.get(kind, id);
    const before = pick(current, Object.keys(changes));
    const opts = { quiet: true };
    if (current && current.rev !== undefined) opts.headers = { 'If-Match': String(current.rev) };
    let rec;
    try {
      rec = await api.patch(`${URLS[kind]}/${encodeURIComponent(id)}`, changes, opts);
    } catch (err) {
      await this.afterRefusal(kind, id, err);
      throw err;
    }
    const moved = this.takeMoved(rec);
    this.put(kind, rec);
    // One undo step puts the task and every task it moved back.
    if (undo && current) this.pushUndo({ op: 'update', kind, id, before, after: changes, moved });
    return rec;
  }

  async remove(kind, id, { cascade = false, undo = true } = {}) {
    const current = this.get(kind, id);
    // Tasks that depend on this one lose the link on the server; remember
    // their lists so an undo can put the links back.
    const dependents = kind === 'tasks'
      ? this.tasks.filter((t) => (t.depends_on || []).includes(id))
        .map((t) => ({ id: t.id, depends_on: [...t.depends_on] }))
      : [];
    const opts = { quiet: true };
    if (current && current.rev !== undefined) opts.headers = { 'If-Match': String(current.rev) };
    let res;
    try {
      res = await api.delete(`${URLS[kind]}/${encodeURIComponent(id)}${cascade ? '?cascade=1' : ''}`, opts);
    } catch (err) {
      await this.afterRefusal(kind, id, err);
      throw err;
    }
    this.drop(kind, id);
    for (const tid of res?.updated?.tasks || []) await this.refetch('tasks', tid);
    const gone = new Set([id, ...(res?.deleted?.tasks || [])]);
    for (const tid of gone) if (tid !== id) this.drop('tasks', tid);
    // Undo steps about records that are gone for good would only fail later.
    if (kind !== 'tasks' || !undo) {
      this.undoStack = this.undoStack.filter((e) => !gone.has(e.id) && !gone.has(e.record?.id));
      this.onUndoChange();
    }
    if (undo && kind === 'tasks' && current) {
      this.pushUndo({ op: 'delete', kind, record: current, dependents });
    }
    return res;
  }

  // ---- undo -------------------------------------------------------------

  pushUndo(entry) {
    this.undoStack.push(entry);
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.onUndoChange();
  }

  canUndo() {
    return this.undoStack.length > 0;
  }

  // Undo the last change with a server round trip. The entry is used up
  // even when the server refuses (the record changed meanwhile): trying
  // again would fail the same way.
  async undo() {
    const entry = this.undoStack.pop();
    this.onUndoChange();
    if (!entry) return null;
    if (entry.op === 'update') {
      await this.update(entry.kind, entry.id, entry.before, { undo: false });
      // In the server's order, predecessors first, so none is placed after one
      // that is still where the move put it.
      for (const m of entry.moved || []) {
        if (this.taskById.has(m.id)) await this.update('tasks', m.id, m.before, { undo: false });
      }
    } else if (entry.op === 'create') {
      await this.remove(entry.kind, entry.id, { undo: false });
    } else if (entry.op === 'delete') {
      const body = { id: entry.record.id, ...pick(entry.record, FIELDS[entry.kind]) };
      // Links to tasks deleted since then would be refused; keep the others.
      if (body.depends_on) body.depends_on = body.depends_on.filter((d) => this.taskById.has(d));
      await this.create(entry.kind, body, { undo: false });
      for (const dep of entry.dependents) {
        if (this.taskById.has(dep.id)) {
          const links = dep.depends_on.filter((d) => this.taskById.has(d));
          await this.update('tasks', dep.id, { depends_on: links }, { undo: false });
        }
      }
    }
    return entry;
  }
}

// By start, then end; tasks with the same dates in the order they were made
// (a list typed line by line in the grid keeps its order), then by name.
export function taskOrder(a, b) {
  const made = (x) => x.created_at || '';
  return (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)
    || (a.end < b.end ? -1 : a.end > b.end ? 1 : 0)
    || (made(a) < made(b) ? -1 : made(a) > made(b) ? 1 : 0)
    || String(a.name).localeCompare(String(b.name));
}
