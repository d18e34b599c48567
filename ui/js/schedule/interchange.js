// MS Project XML (MSPDI) in and out of the schedule page: a file saved by MS
// Project, ProjectLibre or GanttProject becomes a new project (POST
// /api/projects/import), and one project is written back (GET
// /api/tasks/export.xml), each through the server (localapp/schedule/mspdi.py).

import { api, errorText } from '../api.js';
import { h } from './dom.js';

const IMPORT_URL = 'api/projects/import';
const EXPORT_URL = 'api/tasks/export.xml';

// A button and its hidden file input; onImported({project, tasks, notes, text}).
export function importButton({ t, onStatus, onImported }) {
  const file = h('input', { type: 'file', accept: '.xml,application/xml,text/xml', hidden: true, class: 'sched-mspdi-file', 'aria-label': t('schedule.mspdi.import') });
  const button = h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm', id: 'sched-import-mspdi', text: t('schedule.mspdi.import'),
    title: t('schedule.mspdi.importHint'), onclick: () => file.click(),
  });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const form = new FormData();
    form.append('file', chosen);
    button.disabled = true;
    onStatus('saving', t('schedule.mspdi.importing'));
    try {
      const res = await api.post(IMPORT_URL, form, { quiet: true });
      const notes = (res.notes || []).map((n) => t(`schedule.mspdi.note.${n.code}`, n));
      const text = [t('schedule.mspdi.imported', { name: res.project.name, tasks: res.tasks }), ...notes].join('；');
      onStatus('saved', text);
      await onImported({ ...res, text });
    } catch (err) {
      onStatus('error', errorText(err));
    } finally {
      button.disabled = false;
      file.value = '';
    }
  });
  return h('span', { class: 'sched-mspdi' }, button, file);
}

// Download one project as MS Project XML (the server names the file).
export function exportMspdi(projectId, fileName) {
  const a = h('a', { href: `${EXPORT_URL}?${new URLSearchParams({ project_id: projectId })}`, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}
