// The record kinds as the server declares them (GET /api/kinds, from
// localapp/kinds.py): each kind's fields with their type, label (an i18n key),
// and whether they are searched, sorted, filtered and exported. Pages read
// their column lists here instead of keeping a copy.
//
//   import { kindOf } from '../kinds.js';
//   const task = await kindOf('tasks');
//   task.exported()   // [{ name, type, label, ref, ... }] in declaration order

import { api } from './api.js';

let loading = null;

class Kind {
  constructor(raw) {
    this.table = raw.table;
    this.key = raw.key;
    this.fields = Object.entries(raw.fields).map(([name, f]) => ({ name, ...f }));
  }

  field(name) {
    return this.fields.find((f) => f.name === name);
  }

  exported() {
    return this.fields.filter((f) => f.export);
  }

  with(flag) {
    return this.fields.filter((f) => f[flag]);
  }
}

export function loadKinds() {
  if (!loading) {
    loading = api.get('api/kinds').then((body) => new Map(body.kinds.map((k) => [k.table, new Kind(k)])))
      .catch((err) => { loading = null; throw err; });
  }
  return loading;
}

export async function kindOf(table) {
  const kinds = await loadKinds();
  const kind = kinds.get(table);
  if (!kind) throw new Error(`unknown record kind ${table}`);
  return kind;
}
