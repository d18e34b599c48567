// DOM helpers shared by every page: nodes are built with h(), never from
// HTML strings, so names typed by users can never turn into markup; plus
// option(), escapeHtml() for libraries that insist on HTML text, a
// stylesheet loader and a debounce.

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

// Escape for the few places a library wants HTML text (frappe-gantt puts a
// task's name into innerHTML).
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

// A native modal <dialog>: Esc and a click on the backdrop close it, focus
// stays inside while it is open. `prefix` names the page's CSS classes
// (`<prefix>-dialog`, `<prefix>-dialog-head` ...).
export function modal({ prefix, title, body, footer, className = '', closeLabel = '×', onClose }) {
  const closeBtn = h('button', {
    type: 'button', class: `btn btn-ghost ${prefix}-dialog-x`, 'aria-label': closeLabel, text: '×',
  });
  const dialog = h('dialog', { class: `${prefix}-dialog ${className}` },
    h('header', { class: `${prefix}-dialog-head` }, h('h2', { text: title }), closeBtn),
    h('div', { class: `${prefix}-dialog-body` }, body),
    footer ? h('footer', { class: `${prefix}-dialog-foot` }, footer) : null);
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
