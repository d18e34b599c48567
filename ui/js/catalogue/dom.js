// DOM helpers for the catalogue and statistics pages: the shared ones
// (ui/js/dom.js), plus modal dialogs and a progress bar.

import { h, modal } from '../dom.js';

export { add, debounce, ensureStylesheet, h, option } from '../dom.js';

// A modal dialog in the catalogue's style (ui/js/dom.js modal()).
export function openDialog(opts) {
  return modal({ prefix: 'cat', ...opts });
}

// Resolves true when the user confirms.
export function confirmDialog({ t, title, message, confirmLabel, danger = true }) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'cat-btn-danger-solid' : 'btn-primary'}`, text: confirmLabel });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
    const { close } = openDialog({
      title,
      className: 'cat-confirm',
      closeLabel: t('catalogue.action.close'),
      body: h('p', { text: message }),
      footer: [cancel, ok],
      onClose: () => resolve(answer),
    });
    ok.addEventListener('click', () => { answer = true; close(); });
    cancel.addEventListener('click', close);
    ok.focus();
  });
}

// A progress bar: set(fraction) for a known share, busy() while the server
// works and no share is known, hide() when done.
export function progressBar(label = '') {
  const fill = h('div', { class: 'cat-progress-fill' });
  const text = h('span', { class: 'cat-progress-text', text: label });
  const bar = h('div', { class: 'cat-progress-track', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill);
  const el = h('div', { class: 'cat-progress', hidden: true }, bar, text);
  return {
    el,
    set(fraction, message) {
      el.hidden = false;
      bar.classList.remove('indeterminate');
      const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      fill.style.width = `${pct}%`;
      bar.setAttribute('aria-valuenow', String(pct));
      if (message !== undefined) text.textContent = message;
    },
    busy(message) {
      el.hidden = false;
      bar.classList.add('indeterminate');
      fill.style.width = '';
      bar.removeAttribute('aria-valuenow');
      if (message !== undefined) text.textContent = message;
    },
    hide() { el.hidden = true; },
  };
}
