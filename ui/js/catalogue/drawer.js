// The product drawer: images (thumbnails; a click shows the full picture),
// the price history as a chart, and the edit form. Saving sends only the
// fields the user changed, with If-Match: <rev>; when someone else saved in
// between (409) the drawer shows their version and lets the user load it or
// keep their own changes on top of it. Images upload with progress. Field
// errors come with a code per field (error.field_codes) and are shown in the
// UI's language; the server's English reason is the fallback.

import { errorText } from '../api.js';
import { has } from '../i18n.js';
import { add, confirmDialog, h, openDialog, progressBar } from './dom.js';
import { loadChart, PALETTE } from './charts.js';
import { centsText, dateOnly, dateTime, money, parseYuan, shortDateTime, yuan } from './format.js';
import { upload } from './upload.js';

const IMAGE_TYPES = 'image/png,image/jpeg,image/gif,image/webp';
// The editable fields, in form order; `wide` ones span both columns.
const FIELDS = [
  { name: 'name', required: true, wide: true },
  { name: 'sku' },
  { name: 'barcode', inputmode: 'numeric' },
  { name: 'price', required: true, inputmode: 'decimal' },
  { name: 'cost', inputmode: 'decimal' },
  { name: 'category', list: 'categories' },
  { name: 'supplier', list: 'suppliers' },
  { name: 'spec' },
  { name: 'unit' },
  { name: 'currency' },
  { name: 'tags' },
  // prices by grade and by quantity, written as "VIP 12.50，批发价 11.00" and
  // "100 11.00，500 10.50" (the quotation's price lookup uses them)
  { name: 'gradePrices', wide: true, field: 'grade_prices' },
  { name: 'breaks', wide: true },
  { name: 'notes', textarea: true, wide: true },
];

// "VIP 12.50，批发价 11.00" <-> {VIP: 1250, 批发价: 1100}; "100 11.00" <-> [{min_qty, price}]
function pairsText(pairs) {
  return pairs.map(([k, cents]) => `${k} ${centsText(cents).replace(/,/g, '')}`).join('，');
}
function pairsFrom(raw) {
  return raw.split(/[,，;；\n]+/).map((x) => x.trim()).filter(Boolean).map((item) => {
    const m = /^(.+?)[\s:：=]+¥?([\d.,]+)$/.exec(item);
    if (!m) return [item, NaN];
    const cents = parseYuan(m[2]);
    return [m[1].trim(), cents === null ? NaN : cents];
  });
}

// The form's text for a product field.
function formValue(product, name) {
  if (!product) return name === 'currency' ? 'CNY' : '';
  if (name === 'price') return product.price === null || product.price === undefined ? '' : centsText(product.price).replace(/,/g, '');
  if (name === 'tags') return (product.tags || []).join(', ');
  if (name === 'cost') return product.cost === null || product.cost === undefined ? '' : centsText(product.cost).replace(/,/g, '');
  if (name === 'gradePrices') return pairsText(Object.entries(product.grade_prices || {}));
  if (name === 'breaks') return pairsText((product.breaks || []).map((b) => [b.min_qty, b.price]));
  return product[name] ?? '';
}

// A field problem from the server, in the UI's language: by its code
// (catalogue.fieldError.<code>, with the values the reason names), else the
// server's English reason.
export function fieldErrorText(t, reason, code, params) {
  const key = `catalogue.fieldError.${code}`;
  return code && has(key) ? t(key, params || {}) : reason;
}

// {field: text} for an error answer's fields, translated where a code allows.
export function fieldErrors(t, err) {
  const body = err.body || {};
  const codes = body.field_codes || {};
  const params = body.field_params || {};
  const out = {};
  for (const [name, reason] of Object.entries(err.fields || {})) out[name] = fieldErrorText(t, reason, codes[name], params[name]);
  return out;
}

function tagsFrom(text) {
  return text.split(/[,，;；]/).map((s) => s.trim()).filter(Boolean);
}

export class ProductDrawer {
  constructor(ctx, { facets, onChanged, onClosed }) {
    this.t = ctx.t;
    this.api = ctx.api;
    this.readonly = !ctx.session?.authenticated;
    this.facets = facets;
    this.onChanged = onChanged;
    this.onClosed = onClosed;
    this.product = null;
    this.chart = null;
    this.seq = 0;
    this.onKey = (e) => {
      if (e.key === 'Escape' && this.isOpen() && !document.querySelector('dialog[open]')) this.close();
    };
    document.addEventListener('keydown', this.onKey);
  }

  isOpen() {
    return Boolean(this.root?.isConnected);
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    this.uploading?.abort();
    this.teardown();
  }

  teardown() {
    this.chart?.destroy();
    this.chart = null;
    this.root?.remove();
    this.backdrop?.remove();
    this.root = null;
  }

  close() {
    if (!this.isOpen()) return;
    this.seq++;
    this.uploading?.abort();
    this.teardown();
    this.product = null;
    this.onClosed?.();
  }

  // ---- the frame ---------------------------------------------------------------

  // The drawer's shell; built once per opening (so it slides in once) and
  // refilled when it shows another state of the product.
  frame(title, subtitle) {
    const t = this.t;
    this.chart?.destroy();
    this.chart = null;
    if (this.isOpen()) {
      this.titleEl.textContent = title;
      this.subtitleEl.textContent = subtitle || '';
      this.bodyEl.replaceChildren();
      this.footEl.replaceChildren();
      this.footEl.hidden = false;
      return;
    }
    this.backdrop = h('div', { class: 'cat-drawer-backdrop' });
    this.backdrop.addEventListener('click', () => this.close());
    const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost cat-drawer-x', 'aria-label': t('catalogue.action.close'), text: '×' });
    closeBtn.addEventListener('click', () => this.close());
    this.titleEl = h('h2', { id: 'cat-drawer-title', text: title });
    this.subtitleEl = h('div', { class: 'muted cat-drawer-sub', text: subtitle || '' });
    this.bodyEl = h('div', { class: 'cat-drawer-body' });
    this.footEl = h('footer', { class: 'cat-drawer-foot' });
    this.root = h('aside', { class: 'cat-drawer', id: 'cat-drawer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cat-drawer-title' },
      h('header', { class: 'cat-drawer-head' }, h('div', { class: 'cat-drawer-titles' }, this.titleEl, this.subtitleEl), closeBtn),
      this.bodyEl, this.footEl);
    document.body.append(this.backdrop, this.root);
    closeBtn.focus();
  }

  // ---- open ------------------------------------------------------------------------

  async open(id) {
    const seq = ++this.seq;
    this.frame(this.t('catalogue.drawer.loading'), '');
    this.bodyEl.append(h('p', { class: 'muted', text: this.t('catalogue.drawer.loading') }));
    let data;
    try {
      data = await this.api.get(`api/products/${encodeURIComponent(id)}`);
    } catch {
      if (seq === this.seq) this.close();
      return;
    }
    if (seq !== this.seq) return;
    this.show(data.product);
  }

  openNew() {
    this.seq++;
    this.product = null;
    this.frame(this.t('catalogue.drawer.newTitle'), this.t('catalogue.drawer.newHint'));
    this.bodyEl.append(this.buildForm(null));
    this.buildFoot(null);
    this.form.elements.name.focus();
  }

  show(product) {
    const t = this.t;
    this.product = product;
    this.frame(product.name, [product.sku, t('catalogue.drawer.rev', { rev: product.rev })].filter(Boolean).join(' · '));
    this.imagesEl = h('div', { class: 'cat-gallery', id: 'cat-gallery' });
    this.progress = progressBar();
    const fileInput = h('input', { type: 'file', accept: IMAGE_TYPES, id: 'cat-image-file', class: 'cat-file-hidden', multiple: true });
    fileInput.addEventListener('change', () => {
      const files = [...fileInput.files];
      fileInput.value = '';
      this.uploadImages(files);
    });
    this.uploadBtn = h('button', { type: 'button', class: 'btn cat-btn-sm', id: 'cat-image-upload', text: t('catalogue.image.upload'), hidden: this.readonly });
    this.uploadBtn.addEventListener('click', () => fileInput.click());
    this.chartBox = h('div', { class: 'cat-history-chart' }, h('canvas', { id: 'cat-history-canvas', 'aria-label': t('catalogue.history.title'), role: 'img' }));
    this.historyList = h('div', { class: 'cat-history-list' });

    this.bodyEl.append(
      h('section', { class: 'cat-drawer-section' },
        h('div', { class: 'cat-section-head' }, h('h3', { text: t('catalogue.image.title') }), this.uploadBtn, fileInput),
        this.imagesEl, this.progress.el,
        h('p', { class: 'muted cat-small', text: t('catalogue.image.hint') })),
      h('section', { class: 'cat-drawer-section' },
        h('div', { class: 'cat-section-head' }, h('h3', { text: t('catalogue.history.title') }),
          h('span', { class: 'muted cat-small', text: t('catalogue.history.current', { price: money(product.price, product.currency) }) })),
        this.chartBox, this.historyList),
      h('section', { class: 'cat-drawer-section' },
        h('h3', { text: t(this.readonly ? 'catalogue.drawer.details' : 'catalogue.drawer.edit') }),
        this.buildForm(product)),
      // scanned by a phone, it opens this product there (LOCALAPP_PUBLIC_URL)
      h('section', { class: 'cat-drawer-section cat-qr-section' },
        h('img', { class: 'cat-qr', id: 'cat-product-qr', src: `api/products/${encodeURIComponent(product.id)}/qr.svg`, alt: t('catalogue.qr.product'), width: 120, height: 120 }),
        h('p', { class: 'muted cat-small', text: t('catalogue.qr.product') })));
    this.buildFoot(product);
    this.renderImages();
    this.renderHistory();
  }

  // ---- images --------------------------------------------------------------------

  renderImages() {
    const t = this.t;
    const keys = this.product?.images || [];
    if (!keys.length) {
      this.imagesEl.replaceChildren(h('div', { class: 'cat-gallery-empty muted', text: t(this.readonly ? 'catalogue.image.noneReadonly' : 'catalogue.image.none') }));
      return;
    }
    this.imagesEl.replaceChildren(...keys.map((key, i) => {
      const img = h('img', { src: `api/images/${encodeURIComponent(key)}/thumb`, alt: t('catalogue.image.alt', { n: i + 1, name: this.product.name }), loading: 'lazy' });
      const view = h('button', { type: 'button', class: 'cat-gallery-item', title: t('catalogue.image.view'), dataset: { key } }, img);
      view.addEventListener('click', () => this.lightbox(i));
      const remove = h('button', { type: 'button', class: 'cat-gallery-remove', title: t('catalogue.image.remove'), 'aria-label': t('catalogue.image.remove'), text: '×', hidden: this.readonly });
      remove.addEventListener('click', () => this.removeImage(key));
      return h('div', { class: 'cat-gallery-cell' }, view, remove);
    }));
  }

  lightbox(start) {
    const t = this.t;
    const keys = this.product.images;
    let i = start;
    const img = h('img', { class: 'cat-lightbox-img', alt: '' });
    const counter = h('span', { class: 'muted' });
    const original = h('a', { class: 'btn cat-btn-sm', target: '_blank', rel: 'noopener', text: t('catalogue.image.original') });
    const show = () => {
      const url = `api/images/${encodeURIComponent(keys[i])}`;
      img.src = url;
      img.alt = t('catalogue.image.alt', { n: i + 1, name: this.product.name });
      original.href = url;
      counter.textContent = `${i + 1} / ${keys.length}`;
    };
    const prev = h('button', { type: 'button', class: 'btn cat-btn-sm', text: '‹', 'aria-label': t('catalogue.pager.prev'), disabled: keys.length < 2 });
    const next = h('button', { type: 'button', class: 'btn cat-btn-sm', text: '›', 'aria-label': t('catalogue.pager.next'), disabled: keys.length < 2 });
    prev.addEventListener('click', () => { i = (i - 1 + keys.length) % keys.length; show(); });
    next.addEventListener('click', () => { i = (i + 1) % keys.length; show(); });
    const { dialog } = openDialog({
      title: this.product.name,
      className: 'cat-lightbox',
      closeLabel: t('catalogue.action.close'),
      body: img,
      footer: [counter, prev, next, original],
    });
    dialog.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft') prev.click();
      if (e.key === 'ArrowRight') next.click();
    });
    show();
  }

  async uploadImages(files) {
    const t = this.t;
    for (const [n, file] of files.entries()) {
      if (!this.product || !this.isOpen()) return;
      const id = this.product.id;
      const label = files.length > 1 ? t('catalogue.image.uploadingN', { n: n + 1, count: files.length, name: file.name }) : t('catalogue.image.uploading', { name: file.name });
      const form = new FormData();
      form.append('file', file, file.name);
      this.uploadBtn.disabled = true;
      this.progress.set(0, label);
      this.uploading = upload(`api/products/${encodeURIComponent(id)}/images`, form, {
        onProgress: (f) => this.progress.set(f, label),
        onSent: () => this.progress.busy(t('catalogue.image.processing')),
      });
      try {
        const data = await this.uploading;
        if (this.product?.id !== id) return;
        this.product.images = data.product.images;
        this.product.rev = data.product.rev;
        this.subtitleEl.textContent = [this.product.sku, t('catalogue.drawer.rev', { rev: this.product.rev })].filter(Boolean).join(' · ');
        this.renderImages();
        this.onChanged?.();
      } catch {
        break; // the toast says why (wrong type, too big, damaged)
      } finally {
        this.uploading = null;
        if (this.isOpen()) {
          this.uploadBtn.disabled = false;
          this.progress.hide();
        }
      }
    }
  }

  async removeImage(key) {
    const t = this.t;
    const ok = await confirmDialog({ t, title: t('catalogue.image.removeTitle'), message: t('catalogue.image.removeBody'), confirmLabel: t('catalogue.image.remove') });
    if (!ok || !this.product) return;
    try {
      const data = await this.api.delete(`api/products/${encodeURIComponent(this.product.id)}/images/${encodeURIComponent(key)}`);
      this.product.images = data.product.images;
      this.product.rev = data.product.rev;
      this.renderImages();
      this.onChanged?.();
    } catch {
      // toast shown
    }
  }

  // ---- price history ----------------------------------------------------------------

  async renderHistory() {
    const t = this.t;
    const product = this.product;
    const history = product.price_history || [];
    const sources = { create: t('catalogue.history.create'), edit: t('catalogue.history.edit'), import: t('catalogue.history.import'), batch: t('catalogue.history.batch') };
    const rows = [...history].reverse().slice(0, 30);
    this.historyList.replaceChildren();
    add(this.historyList,
      h('table', { class: 'cat-table cat-table-compact' },
        h('thead', {}, h('tr', {},
          h('th', { text: t('catalogue.history.at') }), h('th', { class: 'num', text: t('catalogue.field.price') }),
          h('th', { text: t('catalogue.history.source') }), h('th', { text: t('catalogue.history.by') }))),
        h('tbody', {}, rows.map((e, i) => {
          const older = rows[i + 1];
          const diff = older ? e.price - older.price : 0;
          return h('tr', {},
            h('td', { class: 'muted', text: dateTime(e.at) }),
            h('td', { class: 'num' }, money(e.price, product.currency),
              diff ? h('span', { class: diff > 0 ? 'cat-up' : 'cat-down', text: diff > 0 ? ' ▲' : ' ▼' }) : null),
            h('td', { text: [sources[e.source] || e.source, e.file].filter(Boolean).join(' · ') }),
            h('td', { class: 'muted', text: e.by || '' }));
        }))),
      history.length > rows.length ? h('p', { class: 'muted cat-small', text: t('catalogue.history.more', { n: history.length - rows.length }) }) : null);
    // each grade's price changes (批发价, VIP ...), newest first
    const grades = [...(product.grade_history || [])].reverse().slice(0, 30);
    if (grades.length) {
      add(this.historyList,
        h('h4', { class: 'cat-small', text: t('catalogue.field.gradeHistory') }),
        h('table', { class: 'cat-table cat-table-compact', id: 'cat-grade-history' },
          h('tbody', {}, grades.map((e) => h('tr', {},
            h('td', { class: 'muted', text: dateTime(e.at) }), h('td', { text: e.grade }),
            h('td', { class: 'num', text: money(e.price, product.currency) }),
            h('td', { text: sources[e.source] || e.source }), h('td', { class: 'muted', text: e.by || '' }))))));
    }

    if (!history.length) {
      this.chartBox.replaceChildren(h('p', { class: 'muted', text: t('catalogue.history.none') }));
      return;
    }
    let Chart;
    try {
      Chart = await loadChart();
    } catch (err) {
      console.error(err);
      this.chartBox.replaceChildren(h('p', { class: 'form-error', text: t('catalogue.chart.missing') }));
      return;
    }
    if (this.product !== product || !this.isOpen()) return;
    // One point per price, placed in time (issue 18, defect 7: evenly spaced
    // points made a year look like a day), joined by a step line: a price holds
    // until the next change. A last point "now" carries the current price to today.
    const points = history.map((e) => ({ x: Date.parse(e.at), y: yuan(e.price), at: e.at, source: e.source }))
      .filter((p) => !Number.isNaN(p.x));
    if (!points.length) return;
    points.push({ x: Math.max(Date.now(), points[points.length - 1].x), y: points[points.length - 1].y, at: null });
    const span = points[points.length - 1].x - points[0].x;
    // ticks as dates, or as dates and times when the changes lie within two days
    const tick = (v) => (span < 2 * 86400000 ? shortDateTime(new Date(v).toISOString()) : dateOnly(new Date(v).toISOString()));
    const fmt = (v) => money(Math.round(v * 100), product.currency);
    const canvas = this.chartBox.querySelector('canvas');
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [{
          label: t('catalogue.field.price'),
          data: points.map((p) => ({ x: p.x, y: p.y })),
          stepped: 'after',
          borderColor: PALETTE[0],
          backgroundColor: `${PALETTE[0]}1f`,
          fill: true,
          pointRadius: points.map((p) => (p.at ? 4 : 0)),
          pointHoverRadius: points.map((p) => (p.at ? 6 : 0)),
          pointBackgroundColor: PALETTE[0],
        }],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: (item) => Boolean(points[item.dataIndex].at),
            callbacks: {
              title: (items) => dateTime(points[items[0].dataIndex].at),
              label: (item) => fmt(item.parsed.y),
            },
          },
        },
        scales: {
          x: { type: 'linear', min: points[0].x, max: points[points.length - 1].x, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6, callback: tick } },
          y: { grace: '10%', ticks: { maxTicksLimit: 6, callback: (v) => fmt(v) } },
        },
      },
    });
  }

  // ---- the form ---------------------------------------------------------------------

  buildForm(product) {
    const t = this.t;
    const facets = this.facets?.() || { categories: [], suppliers: [] };
    const lists = {
      categories: h('datalist', { id: 'cat-dl-categories' }, facets.categories.map((f) => h('option', { value: f.name }))),
      suppliers: h('datalist', { id: 'cat-dl-suppliers' }, facets.suppliers.map((f) => h('option', { value: f.name }))),
    };
    this.errorBox = h('div', { class: 'form-error', hidden: true, role: 'alert' });
    this.conflictBox = h('div', { class: 'cat-conflict', id: 'cat-conflict', hidden: true, role: 'alert' });
    this.form = h('form', { class: 'cat-form', novalidate: true, id: 'cat-product-form' },
      FIELDS.map((f) => {
        const attrs = {
          name: f.name, value: formValue(product, f.name), readonly: this.readonly, id: `cat-f-${f.name}`,
          required: f.required, inputmode: f.inputmode, list: f.list ? `cat-dl-${f.list}` : null,
          placeholder: t(`catalogue.placeholder.${f.name}`),
        };
        const control = f.textarea ? h('textarea', { ...attrs, rows: 3 }) : h('input', { type: 'text', ...attrs });
        if (f.textarea) control.value = formValue(product, f.name);
        // the margin beside the cost price: (price − cost) ÷ price
        const margin = f.name === 'cost' && product?.cost != null && product.price > 0
          ? h('small', { class: 'muted', id: 'cat-margin', text: `${t('catalogue.field.margin')} ${(((product.price - product.cost) / product.price) * 100).toFixed(1)}%` })
          : null;
        return h('label', { class: `field${f.wide ? ' wide' : ''}`, dataset: { field: f.name } },
          h('span', {}, t(`catalogue.field.${f.name}`), f.required ? h('span', { class: 'cat-required', text: ' *' }) : null),
          control, margin, h('small', { class: 'cat-field-error', hidden: true }));
      }),
      lists.categories, lists.suppliers);
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    return h('div', {}, this.conflictBox, this.errorBox, this.form);
  }

  buildFoot(product) {
    const t = this.t;
    if (this.readonly) {
      this.footEl.hidden = true;
      return;
    }
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'cat-save', text: t(product ? 'catalogue.action.save' : 'catalogue.action.create') });
    save.setAttribute('form', 'cat-product-form');
    this.saveBtn = save;
    const parts = [];
    if (product) {
      const del = h('button', { type: 'button', class: 'btn btn-danger', id: 'cat-delete', text: t('catalogue.action.delete') });
      del.addEventListener('click', () => this.remove());
      const reset = h('button', { type: 'button', class: 'btn btn-ghost', text: t('catalogue.action.reset') });
      reset.addEventListener('click', () => this.resetForm(this.product));
      parts.push(del, h('span', { class: 'cat-spacer' }), reset);
    } else {
      const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
      cancel.addEventListener('click', () => this.close());
      parts.push(h('span', { class: 'cat-spacer' }), cancel);
    }
    this.footEl.replaceChildren(...parts, save);
  }

  resetForm(product) {
    for (const f of FIELDS) this.form.elements[f.name].value = formValue(product, f.name);
    this.clearErrors();
  }

  clearErrors() {
    this.errorBox.hidden = true;
    this.form.querySelectorAll('.cat-field-error').forEach((el) => { el.hidden = true; el.textContent = ''; });
    this.form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  }

  showFieldErrors(fields, message) {
    const t = this.t;
    const elsewhere = []; // problems with no input of their own (an unknown field, the body)
    let first = null;
    for (const [name, reason] of Object.entries(fields || {})) {
      const key = name === 'price_decimal' ? 'price' : name;
      const wrap = this.form.querySelector(`[data-field="${CSS.escape(key)}"]`);
      if (!wrap) {
        elsewhere.push(`${has(`catalogue.field.${key}`) ? t(`catalogue.field.${key}`) : key}: ${reason}`);
        continue;
      }
      wrap.querySelector('input,textarea').setAttribute('aria-invalid', 'true');
      const small = wrap.querySelector('.cat-field-error');
      small.textContent = reason;
      small.hidden = false;
      first = first || small;
    }
    const lines = [message, ...elsewhere].filter(Boolean);
    this.errorBox.replaceChildren(...lines.map((line) => h('div', { text: line })));
    this.errorBox.hidden = !lines.length;
    // The form may be scrolled away (under the images and the chart): show the problem.
    (lines.length ? this.errorBox : first)?.scrollIntoView({ block: 'nearest' });
  }

  // What the form says, as a request body; only fields that differ from `base`.
  changes(base) {
    const out = {};
    for (const f of FIELDS) {
      const raw = this.form.elements[f.name].value;
      if (base && raw === formValue(base, f.name)) continue;
      if (f.name === 'price') out.price_decimal = raw.trim();
      else if (f.name === 'tags') out.tags = tagsFrom(raw);
      else if (f.name === 'cost') out.cost = raw.trim() === '' ? null : (Number.isNaN(parseYuan(raw)) ? raw.trim() : parseYuan(raw));
      else if (f.name === 'gradePrices') out.grade_prices = Object.fromEntries(pairsFrom(raw).map(([k, c]) => [k, Number.isNaN(c) ? k : c]));
      else if (f.name === 'breaks') out.breaks = pairsFrom(raw).map(([k, c]) => ({ min_qty: Number(k), price: Number.isNaN(c) ? k : c }));
      else if (f.name === 'currency') out.currency = raw.trim().toUpperCase() || 'CNY';
      else out[f.name] = f.name === 'notes' ? raw : raw.trim();
    }
    return out;
  }

  checkRequired() {
    const t = this.t;
    const missing = {};
    for (const f of FIELDS) {
      if (f.required && !this.form.elements[f.name].value.trim()) missing[f.name] = t('catalogue.form.required');
    }
    return missing;
  }

  async save() {
    const t = this.t;
    this.clearErrors();
    const missing = this.checkRequired();
    if (Object.keys(missing).length) {
      this.showFieldErrors(missing);
      return;
    }
    const creating = !this.product;
    const body = this.changes(this.product);
    if (!creating && !Object.keys(body).length) {
      this.flash(t('catalogue.form.nothingChanged'));
      return;
    }
    this.saveBtn.disabled = true;
    try {
      const data = creating
        ? await this.api.post('api/products', body, { quiet: true })
        : await this.api.patch(`api/products/${encodeURIComponent(this.product.id)}`, body,
          { quiet: true, headers: { 'If-Match': String(this.product.rev) } });
      this.onChanged?.();
      const top = this.bodyEl.scrollTop; // stay where the user was, at the form
      this.show(data.product);
      this.bodyEl.scrollTop = top;
      this.flash(t(creating ? 'catalogue.form.created' : 'catalogue.form.saved'));
      if (creating) history.replaceState(null, '', `#/catalogue/products/${encodeURIComponent(data.product.id)}`);
    } catch (err) {
      const codes = err.body?.field_codes || {};
      // A SKU another product has is a field problem (its `current` is that
      // other product), not an edit conflict on this one.
      if (err.status === 409 && codes.sku === 'duplicate_sku') this.showFieldErrors(fieldErrors(t, err), '');
      else if (err.status === 409 && err.body?.current && !creating) this.showConflict(err.body.current);
      else if (err.status === 409 && creating) this.showFieldErrors({ sku: t('catalogue.form.skuTaken') }, '');
      else if (err.status === 400 && Object.keys(err.fields || {}).length) this.showFieldErrors(fieldErrors(t, err), '');
      else this.showFieldErrors({}, errorText(err));
    } finally {
      if (this.saveBtn?.isConnected) this.saveBtn.disabled = false;
    }
  }

  flash(text) {
    const note = h('div', { class: 'cat-flash', role: 'status', text });
    this.footEl.prepend(note);
    setTimeout(() => note.remove(), 2500);
  }

  // Someone saved a newer version: show what differs and let the user choose.
  showConflict(current) {
    const t = this.t;
    const mine = this.product;
    const diffs = FIELDS.filter((f) => formValue(current, f.name) !== formValue(mine, f.name));
    const show = (p, f) => (f.name === 'price' ? money(p.price, p.currency) : formValue(p, f.name) || '—');
    const reload = h('button', { type: 'button', class: 'btn btn-primary cat-btn-sm', id: 'cat-conflict-reload', text: t('catalogue.conflict.reload') });
    const keep = h('button', { type: 'button', class: 'btn cat-btn-sm', id: 'cat-conflict-keep', text: t('catalogue.conflict.keep') });
    reload.addEventListener('click', () => {
      this.show(current);
      this.onChanged?.();
    });
    keep.addEventListener('click', () => {
      // Their version becomes the base; the form keeps the user's edits, and the
      // next save sends what differs from their version with their rev.
      this.product = { ...current, price_history: mine.price_history };
      this.conflictBox.hidden = true;
      this.subtitleEl.textContent = [current.sku, t('catalogue.drawer.rev', { rev: current.rev })].filter(Boolean).join(' · ');
      this.save();
    });
    this.conflictBox.replaceChildren(
      h('strong', { text: t('catalogue.conflict.title') }),
      h('p', { text: t('catalogue.conflict.body', { rev: current.rev, at: dateTime(current.updated_at) }) }),
      diffs.length
        ? h('table', { class: 'cat-table cat-table-compact' },
          h('thead', {}, h('tr', {}, h('th', { text: t('catalogue.conflict.field') }), h('th', { text: t('catalogue.conflict.theirs') }), h('th', { text: t('catalogue.conflict.yoursBefore') }))),
          h('tbody', {}, diffs.map((f) => h('tr', {}, h('td', { text: t(`catalogue.field.${f.name}`) }),
            h('td', { class: 'cat-theirs', text: show(current, f) }), h('td', { class: 'muted', text: show(mine, f) })))))
        : h('p', { class: 'muted', text: t('catalogue.conflict.noVisibleDiff') }),
      h('div', { class: 'cat-conflict-actions' }, reload, keep));
    this.conflictBox.hidden = false;
    this.conflictBox.scrollIntoView({ block: 'nearest' });
  }

  async remove() {
    const t = this.t;
    const p = this.product;
    const ok = await confirmDialog({ t, title: t('catalogue.delete.title'), message: t('catalogue.delete.body', { name: p.name }), confirmLabel: t('catalogue.action.delete') });
    if (!ok || this.product !== p) return;
    try {
      await this.api.delete(`api/products/${encodeURIComponent(p.id)}`, { headers: { 'If-Match': String(p.rev) } });
    } catch (err) {
      if (err.status === 409 && err.body?.current) this.showConflict(err.body.current);
      return;
    }
    this.close();
    this.onChanged?.();
  }
}
