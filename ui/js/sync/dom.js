// DOM helpers for the sync UI: the shared ones (ui/js/dom.js), a modal in
// the sync style, a spinner and a short-lived notice in the page's toast box.

import { h, modal } from '../dom.js';
import { t } from '../i18n.js';

export { add, h } from '../dom.js';

export function openDialog(opts) {
  return modal({ prefix: 'sync', closeLabel: t('sync.action.close'), ...opts });
}

export function spinner() {
  return h('span', { class: 'sync-spinner', 'aria-hidden': 'true' });
}

// Our own toast box, in the top layer where the browser has popovers so a
// notice shows above an open modal dialog (the page's #toasts would sit
// under the dialog's backdrop); else the page's box.
function toastBox() {
  let box = document.getElementById('sync-toasts');
  if (!box) {
    const popover = typeof HTMLElement.prototype.showPopover === 'function';
    box = h('div', { id: 'sync-toasts', class: 'toasts sync-toasts', role: 'status', popover: popover ? 'manual' : null });
    document.body.append(box);
  }
  if (box.popover) {
    // Shown again so it is the newest entry in the top layer, above any dialog opened since.
    if (box.matches(':popover-open')) box.hidePopover();
    box.showPopover();
  }
  return box;
}

// A toast like api.js's error toasts; kind "ok" or "error". `detail` is a
// second, quieter line.
export function toast(text, { kind = 'ok', detail = '', ms = 6000 } = {}) {
  const close = h('button', {
    type: 'button', class: 'toast-close', 'aria-label': t('sync.action.close'), text: '×',
  });
  const el = h('div', { class: `toast toast-${kind} sync-toast` },
    h('span', {}, h('strong', { text }), detail ? h('small', { class: 'sync-toast-detail', text: detail }) : null),
    close);
  const box = toastBox();
  const remove = () => {
    el.remove();
    if (box.popover && !box.childElementCount && box.matches(':popover-open')) box.hidePopover();
  };
  close.addEventListener('click', remove);
  box.append(el);
  setTimeout(remove, ms);
  return el;
}
