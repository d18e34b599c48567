// The schedule app's entry: registers the #/schedule view with the shell
// (ui/js/app.js) and loads its styles. index.html lists this module.

import { registerView } from '../app.js';
import { ensureStylesheet } from './dom.js';
import { ScheduleView } from './view.js';

registerView('schedule', {
  render(el, ctx) {
    const view = new ScheduleView(el, ctx);
    // The chart measures its labels, so it is drawn once the styles apply.
    Promise.all([
      ensureStylesheet('vendor/frappe-gantt/frappe-gantt.css'),
      ensureStylesheet('css/schedule.css'),
    ]).then(() => { if (!view.dead) view.mount(); });
    return () => view.unmount();
  },
});
