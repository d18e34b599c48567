// Small DOM helpers for the catalogue and statistics pages: nodes are built
// with h() (never from HTML strings, so product names typed by users cannot
// become markup), plus a stylesheet loader, a debounce, and modal dialogs.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Append children to an existing element, skipping null/false like h() does.
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function option(value, label, selected = false) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  o.selected = selected;
  return o;
}

export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.cancel = () => clearTimeout(timer);
  return run;
}

// Load a stylesheet once; resolves when it has loaded or failed (the page
// then only looks plainer), bounded by a timeout.
export function ensureStylesheet(href, timeoutMs = 5000) {
  const url = new URL(href, document.baseURI).href;
  let link = [...document.querySelectorAll('link[rel="stylesheet"]')].find((l) => l.href === url);
  if (link && link.dataset.loaded) return Promise.resolve();
  if (!link) {
    link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = url;
    document.head.append(link);
  }
  return new Promise((resolve) => {
    const done = () => { link.dataset.loaded = '1'; resolve(); };
    link.addEventListener('load', done, { once: true });
    link.addEventListener('error', done, { once: true });
    setTimeout(done, timeoutMs);
    if (link.sheet) done();
  });
}

// A native modal <dialog>: Esc and a click on the backdrop close it, focus
// stays inside while it is open.
export function openDialog({ title, body, footer, className = '', closeLabel = '×', onClose }) {
  const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost cat-dialog-x', 'aria-label': closeLabel, text: '×' });
  const dialog = h('dialog', { class: `cat-dialog ${className}` },
    h('header', { class: 'cat-dialog-head' }, h('h2', { text: title }), closeBtn),
    h('div', { class: 'cat-dialog-body' }, body),
    footer ? h('footer', { class: 'cat-dialog-foot' }, footer) : null);
  const close = () => { if (dialog.open) dialog.close(); };
  closeBtn.addEventListener('click', close);
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
  });
  dialog.addEventListener('mousedown', (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
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
