// Tasks in outline order: each summary task (one that other tasks name as
// `parent`) followed by its subtasks, indented, as MS Project, GanttProject and
// ProjectLibre list them. Siblings are ordered by the chosen column, or by
// start date; a collapsed summary task hides its subtasks. A task whose parent
// is not among the given tasks (filtered out, or deleted elsewhere) is listed
// at the top level, so no task is ever lost from the list.

import { taskOrder } from './data.js';

// A column's sort key for a task (grid.js names the columns).
function sortValue(task, key, ctx) {
  switch (key) {
    case 'type_id': return ctx.typeName(task.type_id) || '';
    case 'progress': case 'workdays': case 'slack':
      return Number.isInteger(task[key]) ? task[key] : -1;
    default: return task[key] ?? '';
  }
}

function comparator(sort, ctx) {
  if (!sort || !sort.key || sort.key === 'number') return taskOrder;
  const sign = sort.dir === 'desc' ? -1 : 1;
  return (a, b) => {
    const x = sortValue(a, sort.key, ctx);
    const y = sortValue(b, sort.key, ctx);
    const c = typeof x === 'number' && typeof y === 'number'
      ? x - y : String(x).localeCompare(String(y), 'zh-CN');
    return sign * c || taskOrder(a, b);
  };
}

// rows of one project: [{ task, depth, summary, number, collapsed }]
// tasks: the project's tasks to list; all: every task of the project (whether
// a task is a summary task and its number do not change with a filter).
// opts: { sort: {key, dir} | null, collapsed: Set of ids, typeName(id) }
export function outline(tasks, all, opts = {}) {
  const collapsed = opts.collapsed || new Set();
  const ctx = { typeName: opts.typeName || (() => '') };
  const ids = new Set(tasks.map((x) => x.id));
  const kids = new Map();
  for (const task of all) {
    if (!task.parent) continue;
    if (!kids.has(task.parent)) kids.set(task.parent, []);
    kids.get(task.parent).push(task);
  }
  // Numbers: the position in the whole project's outline by start date, as in
  // an MS Project file; predecessors are written with them ("3, 5SS+1").
  const numbers = new Map();
  const allIds = new Set(all.map((x) => x.id));
  const number = (task) => {
    numbers.set(task.id, numbers.size + 1);
    for (const kid of [...(kids.get(task.id) || [])].sort(taskOrder)) {
      if (!numbers.has(kid.id)) number(kid);
    }
  };
  for (const task of [...all].sort(taskOrder)) {
    if (!numbers.has(task.id) && (!task.parent || !allIds.has(task.parent))) number(task);
  }
  for (const task of all) if (!numbers.has(task.id)) number(task); // a loop made by sync
  const order = comparator(opts.sort, ctx);
  const rows = [];
  const seen = new Set();
  const walk = (task, depth, hidden) => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    const summary = kids.has(task.id);
    if (!hidden && ids.has(task.id)) {
      rows.push({ task, depth, summary, number: numbers.get(task.id), collapsed: collapsed.has(task.id) });
    }
    const shown = ids.has(task.id) ? depth + 1 : depth;
    for (const kid of [...(kids.get(task.id) || [])].sort(order)) {
      walk(kid, shown, hidden || (ids.has(task.id) && collapsed.has(task.id)));
    }
  };
  const tops = all.filter((x) => !x.parent || !allIds.has(x.parent)).sort(order);
  for (const task of tops) walk(task, 0, false);
  for (const task of [...all].sort(order)) walk(task, 0, false);
  return { rows, numbers, summaries: new Set(kids.keys()) };
}
