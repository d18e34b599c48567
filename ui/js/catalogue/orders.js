// Orders: upload an order sheet (xlsx, xls, csv; a photo is kept as an
// attachment), list them, and open one to check its lines against the
// catalogue. The server matches each line by SKU, then by exact name, and
// flags lines it could not match, unit prices that differ from the
// catalogue and amounts that differ from qty x price; this page shows those
// flags so the user sees at a glance what needs a look, what each line was
// matched to, and a link to download the uploaded sheet again. Warnings come
// with codes (order.warning_codes) and are shown in the UI's language.

import { showError } from '../api.js';
import { has } from '../i18n.js';
import { add, confirmDialog, debounce, h, option, progressBar } from './dom.js';
import { bytes, centsText, dateTime, money, number } from './format.js';
import { errorReason } from './importer.js';
import { lineDialog, reviseOrder } from './review.js';
import { upload } from './upload.js';

const ACCEPT = '.xlsx,.xls,.csv,image/png,image/jpeg,image/gif,image/webp';
const list = { q: '', status: '', page: 1, perPage: 50 };

// An order warning in the UI's language; the server's English text when the
// order has no code for it (orders stored before codes existed).
function warningText(t, text, coded) {
  const key = `catalogue.orders.warning.${coded?.code}`;
  return coded && has(key) ? t(key, coded.params || {}) : text;
}

function statusBadge(t, status) {
  return h('span', { class: `cat-badge status-${status}`, text: t(`catalogue.orders.status.${status}`) });
}

export class OrdersPage {
  constructor(ctx) {
    this.t = ctx.t;
    this.api = ctx.api;
    this.el = ctx.el;
    this.readonly = !ctx.session?.authenticated;
    this.dead = false;
    this.seq = 0;
    this.file = null;
    this.searchLater = debounce(() => { list.page = 1; this.load(); }, 250);
  }

  mount() {
    this.build();
    this.load();
  }

  unmount() {
    this.dead = true;
    this.searchLater.cancel();
    this.request?.abort();
  }

  build() {
    add(this.el, this.readonly ? null : this.buildUpload(), this.buildList());
  }

  buildUpload() {
    const t = this.t;
    const input = h('input', { type: 'file', accept: ACCEPT, id: 'cat-order-file', class: 'cat-file-hidden' });
    const fileName = h('span', { class: 'muted cat-order-filename', text: t('catalogue.orders.noFile') });
    const choose = h('button', { type: 'button', class: 'btn', id: 'cat-order-choose', text: t('catalogue.orders.choose') });
    choose.addEventListener('click', () => input.click());
    const number = h('input', { type: 'text', class: 'cat-input', name: 'number', placeholder: t('catalogue.orders.numberAuto'), 'aria-label': t('catalogue.orders.number') });
    const customer = h('input', { type: 'text', class: 'cat-input', name: 'customer', placeholder: t('catalogue.orders.customerFromFile'), 'aria-label': t('catalogue.orders.customer') });
    const date = h('input', { type: 'date', class: 'cat-input', name: 'date', 'aria-label': t('catalogue.orders.date'), title: t('catalogue.orders.date') });
    const send = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-order-upload', text: t('catalogue.orders.upload'), disabled: true });
    const progress = progressBar();
    const problems = h('div', { class: 'cat-order-problems', id: 'cat-order-problems', hidden: true });
    input.addEventListener('change', () => {
      this.file = input.files[0] || null;
      fileName.textContent = this.file ? `${this.file.name} · ${bytes(this.file.size)}` : t('catalogue.orders.noFile');
      fileName.classList.toggle('muted', !this.file);
      send.disabled = !this.file;
    });
    send.addEventListener('click', async () => {
      const form = new FormData();
      form.append('file', this.file, this.file.name);
      for (const el of [number, customer, date]) if (el.value.trim()) form.append(el.name, el.value.trim());
      send.disabled = true;
      problems.hidden = true;
      progress.set(0, t('catalogue.orders.uploading', { name: this.file.name }));
      this.request = upload('api/orders', form, {
        onProgress: (f) => progress.set(f),
        onSent: () => progress.busy(t('catalogue.orders.processing')),
      });
      try {
        const data = await this.request;
        if (!this.dead) location.hash = `#/catalogue/orders/${encodeURIComponent(data.order.id)}`;
      } catch (err) {
        send.disabled = !this.file; // the toast says why
        // Lines that could not be read refuse the whole file: say which.
        if (!this.dead && Array.isArray(err.body?.errors) && err.body.errors.length) this.showProblems(problems, err.body.errors);
      } finally {
        this.request = null;
        progress.hide();
      }
    });
    return h('section', { class: 'card cat-order-upload' },
      h('h2', { text: t('catalogue.orders.uploadTitle') }),
      h('p', { class: 'muted' }, t('catalogue.orders.uploadHint'), ' ',
        h('a', { href: 'api/orders/template.xlsx', id: 'cat-order-template', download: '导入模板-订单.xlsx', text: t('catalogue.orders.template') })),
      h('div', { class: 'cat-order-form' }, choose, input, fileName,
        h('span', { class: 'cat-spacer' }), number, customer, date, send),
      progress.el, problems);
  }

  showProblems(box, errors) {
    const t = this.t;
    box.replaceChildren(
      h('strong', { text: t('catalogue.orders.problems', { n: errors.length }) }),
      h('table', { class: 'cat-table cat-table-compact' },
        h('thead', {}, h('tr', {}, h('th', { class: 'num', text: t('catalogue.import.row') }), h('th', { text: t('catalogue.import.column') }), h('th', { text: t('catalogue.import.reason') }))),
        h('tbody', {}, errors.slice(0, 50).map((e) => h('tr', {},
          h('td', { class: 'num', text: String(e.row ?? '') }),
          h('td', { text: [e.letter, e.column].filter(Boolean).join(' · ') }),
          h('td', {}, h('span', { class: 'cat-bad', text: errorReason(t, e) })))))));
    box.hidden = false;
  }

  buildList() {
    const t = this.t;
    const search = h('input', { type: 'search', class: 'cat-input cat-search', value: list.q, placeholder: t('catalogue.orders.search'), 'aria-label': t('catalogue.orders.search') });
    search.addEventListener('input', () => { list.q = search.value; this.searchLater(); });
    const status = h('select', { class: 'cat-input', 'aria-label': t('catalogue.orders.statusFilter') },
      option('', t('catalogue.orders.allStatuses'), !list.status),
      ['needs_review', 'ok', 'reviewed'].map((s) => option(s, t(`catalogue.orders.status.${s}`), list.status === s)));
    status.addEventListener('change', () => { list.status = status.value; list.page = 1; this.load(); });
    this.tbody = h('tbody');
    this.table = h('table', { class: 'cat-table', id: 'cat-orders' },
      h('thead', {}, h('tr', {},
        ['number', 'customer', 'date', 'lines', 'total', 'status', 'uploaded'].map((k) =>
          h('th', { class: k === 'lines' || k === 'total' ? 'num' : '', text: t(`catalogue.orders.col.${k}`) })))),
      this.tbody);
    this.empty = h('div', { class: 'cat-empty', hidden: true });
    this.summary = h('span', { class: 'muted' });
    this.pager = h('div', { class: 'cat-pager' });
    return h('section', { class: 'card cat-table-card cat-orders-card' },
      h('div', { class: 'cat-section-head' }, h('h2', { text: t('catalogue.orders.listTitle') }), h('span', { class: 'cat-spacer' }), search, status),
      h('div', { class: 'cat-table-scroll' }, this.table), this.empty,
      h('div', { class: 'cat-table-foot' }, this.summary, this.pager));
  }

  async load() {
    const t = this.t;
    const seq = ++this.seq;
    const p = new URLSearchParams({ page: String(list.page), per_page: String(list.perPage) });
    if (list.q.trim()) p.set('q', list.q.trim());
    if (list.status) p.set('status', list.status);
    let data;
    try {
      data = await this.api.get(`api/orders?${p}`);
    } catch {
      return;
    }
    if (seq !== this.seq || this.dead) return;
    this.tbody.replaceChildren(...data.items.map((o) => {
      const open = () => { location.hash = `#/catalogue/orders/${encodeURIComponent(o.id)}`; };
      const tr = h('tr', { tabindex: '0', dataset: { id: o.id }, class: o.status === 'needs_review' ? 'flagged' : '' },
        h('td', { class: 'mono' }, h('a', { href: `#/catalogue/orders/${encodeURIComponent(o.id)}`, text: o.number })),
        h('td', { text: o.customer || '—' }),
        h('td', { text: o.date || '' }),
        h('td', { class: 'num', text: number(o.line_count) }),
        h('td', { class: 'num', text: money(o.total) }),
        h('td', {}, statusBadge(t, o.status), o.flagged ? h('span', { class: 'muted cat-small', text: ` ${t('catalogue.orders.flaggedN', { n: o.flagged })}` }) : null),
        h('td', { class: 'muted', text: dateTime(o.created_at) }));
      tr.addEventListener('click', (e) => { if (!e.target.closest('a')) open(); });
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
      return tr;
    }));
    const none = data.items.length === 0;
    this.table.hidden = none;
    this.empty.hidden = !none;
    if (none) {
      const filteredList = list.q.trim() || list.status;
      this.empty.replaceChildren(
        h('h2', { text: t(filteredList ? 'catalogue.orders.noMatch' : 'catalogue.orders.emptyTitle') }),
        h('p', { class: 'muted', text: t(filteredList ? 'catalogue.empty.noMatchHint' : (this.readonly ? 'catalogue.orders.emptyReadonly' : 'catalogue.orders.emptyBody')) }));
    }
    const pages = Math.max(1, Math.ceil(data.total / list.perPage));
    this.summary.textContent = t('catalogue.orders.summary', { total: number(data.total) });
    const prev = h('button', { type: 'button', class: 'btn cat-btn-sm', text: t('catalogue.pager.prev'), disabled: list.page <= 1 });
    const next = h('button', { type: 'button', class: 'btn cat-btn-sm', text: t('catalogue.pager.next'), disabled: list.page >= pages });
    prev.addEventListener('click', () => { list.page -= 1; this.load(); });
    next.addEventListener('click', () => { list.page += 1; this.load(); });
    this.pager.replaceChildren(prev, h('span', { class: 'cat-page-no', text: t('catalogue.pager.page', { page: list.page, pages }) }), next);
    this.pager.hidden = data.total === 0;
  }
}

export class OrderDetail {
  constructor(ctx, id) {
    this.t = ctx.t;
    this.api = ctx.api;
    this.el = ctx.el;
    this.id = id;
    this.readonly = !ctx.session?.authenticated;
    this.dead = false;
    this.onlyFlagged = false;
  }

  async mount() {
    const t = this.t;
    this.el.append(h('p', { class: 'muted', text: t('catalogue.drawer.loading') }));
    let data;
    try {
      data = await this.api.get(`api/orders/${encodeURIComponent(this.id)}`, { quiet: true });
    } catch (err) {
      if (this.dead) return;
      this.el.replaceChildren(h('section', { class: 'card empty-state' },
        h('h1', { text: t(err.status === 404 ? 'catalogue.orders.gone' : 'catalogue.orders.loadFailed') }),
        h('p', { text: err.status === 404 ? t('catalogue.orders.goneBody') : err.message }),
        h('p', {}, h('a', { class: 'btn', href: '#/catalogue/orders', text: t('catalogue.orders.back') }))));
      return;
    }
    if (this.dead) return;
    this.order = data.order;
    this.render();
  }

  unmount() {
    this.dead = true;
  }

  render() {
    const t = this.t;
    const o = this.order;
    const del = h('button', { type: 'button', class: 'btn btn-danger', id: 'cat-order-delete', text: t('catalogue.action.delete'), hidden: this.readonly });
    del.addEventListener('click', () => this.remove());
    // Confirm the order once its lines are checked (需核对 can be cleared), or undo that.
    const confirmed = o.status === 'reviewed';
    const review = h('button', { type: 'button', class: confirmed ? 'btn' : 'btn btn-primary', id: 'cat-order-review', hidden: this.readonly,
      text: confirmed ? t('catalogue.review.unconfirm') : t('catalogue.review.confirm') });
    review.addEventListener('click', () => this.revise({ reviewed: !confirmed }));
    const facts = [
      [t('catalogue.orders.col.customer'), o.customer || '—'],
      [t('catalogue.orders.col.date'), o.date || '—'],
      [t('catalogue.orders.col.lines'), number(o.line_count)],
      [t('catalogue.orders.col.total'), money(o.total)],
      [t('catalogue.orders.sourceFile'), o.source_file
        ? [h('a', { href: `api/orders/${encodeURIComponent(o.id)}/file`, id: 'cat-order-download', download: true, title: t('catalogue.orders.download'), text: o.source_file.name }),
          h('span', { class: 'muted', text: ` · ${bytes(o.source_file.size)}` })]
        : '—'],
      [t('catalogue.orders.col.uploaded'), `${dateTime(o.created_at)}${o.by ? ` · ${o.by}` : ''}`],
    ];
    const head = h('section', { class: 'card cat-order-head' },
      h('div', { class: 'cat-order-title' },
        h('a', { href: '#/catalogue/orders', class: 'btn btn-ghost cat-btn-sm', text: `← ${t('catalogue.orders.back')}` }),
        h('h2', { id: 'cat-order-number', text: t('catalogue.orders.title', { number: o.number }) }),
        statusBadge(t, o.status),
        o.status === 'reviewed' && o.reviewed_by ? h('span', { class: 'muted cat-small', text: t('catalogue.review.by', { name: o.reviewed_by }) }) : null,
        h('span', { class: 'cat-spacer' }), review, del),
      h('dl', { class: 'cat-facts' }, facts.map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', {}, v)))),
      (o.warnings || []).length ? h('ul', { class: 'cat-notice cat-warnings', id: 'cat-order-warnings' }, o.warnings.map((w, i) => h('li', { text: warningText(t, w, (o.warning_codes || [])[i]) }))) : null,
      (o.attachments || []).length ? h('div', { class: 'cat-gallery' }, o.attachments.map((a) => h('a', {
        class: 'cat-gallery-item', href: `api/images/${encodeURIComponent(a.key)}`, target: '_blank', rel: 'noopener', title: a.name,
      }, h('img', { src: `api/images/${encodeURIComponent(a.key)}/thumb`, alt: a.name || '' })))) : null);

    const counts = { unmatched: 0, price_differs: 0, amount_differs: 0 };
    for (const line of o.lines) for (const f of line.flags || []) counts[f] = (counts[f] || 0) + 1;
    const summary = h('div', { class: 'cat-flag-summary', id: 'cat-order-flags' },
      o.flagged
        ? Object.entries(counts).filter(([, n]) => n).map(([f, n]) => h('span', { class: `cat-badge flag-${f}`, text: t(`catalogue.orders.flagN.${f}`, { n }) }))
        : (o.lines.length ? h('span', { class: 'cat-good-note', text: t('catalogue.orders.allMatched') }) : null));
    const only = h('input', { type: 'checkbox', checked: this.onlyFlagged, disabled: !o.flagged });
    only.addEventListener('change', () => { this.onlyFlagged = only.checked; this.renderLines(); });
    this.linesBody = h('tbody');
    const linesCard = h('section', { class: 'card cat-table-card' },
      h('div', { class: 'cat-section-head' }, h('h2', { text: t('catalogue.orders.lines') }), summary, h('span', { class: 'cat-spacer' }),
        h('label', { class: 'cat-check' }, only, t('catalogue.orders.onlyFlagged'))),
      o.lines.length
        ? h('div', { class: 'cat-table-scroll' }, h('table', { class: 'cat-table', id: 'cat-order-lines' },
          h('thead', {}, h('tr', {},
            h('th', { class: 'num', text: t('catalogue.import.row') }), h('th', { text: t('catalogue.field.sku') }), h('th', { text: t('catalogue.field.name') }),
            h('th', { class: 'num', text: t('catalogue.orders.qty') }), h('th', { class: 'num', text: t('catalogue.orders.unitPrice') }),
            h('th', { class: 'num', text: t('catalogue.orders.cataloguePrice') }), h('th', { class: 'num', text: t('catalogue.orders.amount') }),
            h('th', { text: t('catalogue.orders.check') }))),
          this.linesBody,
          h('tfoot', {}, h('tr', {}, h('td', { colspan: '6', class: 'num', text: t('catalogue.orders.col.total') }), h('td', { class: 'num', text: money(o.total) }), h('td', {})))))
        : h('div', { class: 'cat-empty' }, h('p', { class: 'muted', text: t('catalogue.orders.noLines') })));
    this.el.replaceChildren(head, linesCard);
    if (o.lines.length) this.renderLines();
  }

  renderLines() {
    const t = this.t;
    const lines = this.order.lines.filter((l) => !this.onlyFlagged || (l.flags || []).length);
    this.linesBody.replaceChildren(...lines.map((l) => {
      const flags = l.flags || [];
      // The name the file wrote, and under it the catalogue product the line
      // was matched to (a link to it). Orders stored before lines carried the
      // catalogue's name link the file's name instead.
      const productHref = l.product_id ? `#/catalogue/products/${encodeURIComponent(l.product_id)}` : null;
      const name = !l.product_id
        ? h('span', { text: l.name || '' })
        : l.catalogue_name === undefined
          ? h('a', { href: productHref, text: l.name || l.sku, title: t(`catalogue.orders.matchedBy.${l.match}`) })
          : [h('span', { text: l.name || '' }),
            h('a', { class: 'cat-matched-to cat-small', href: productHref, title: t(`catalogue.orders.matchedBy.${l.match}`),
              text: t('catalogue.orders.matchedTo', { name: [l.catalogue_name, l.catalogue_sku].filter(Boolean).join(' · ') }) })];
      const diff = l.catalogue_price !== null && l.catalogue_price !== undefined ? l.unit_price - l.catalogue_price : 0;
      return h('tr', { class: flags.length ? 'flagged' : '', dataset: { flags: flags.join(' ') } },
        h('td', { class: 'num muted', text: String(l.row ?? '') }),
        h('td', { class: 'mono', text: l.sku || '' }),
        h('td', {}, name),
        h('td', { class: 'num', text: l.qty }),
        // a line with no price in the file and none in the catalogue has none: "—", not ¥0.00
        h('td', { class: `num${flags.includes('price_differs') ? ' cat-bad' : ''}`, text: flags.includes('no_price') ? '—' : money(l.unit_price) }),
        h('td', { class: 'num muted' }, l.catalogue_price === null || l.catalogue_price === undefined ? '—' : money(l.catalogue_price),
          diff ? h('span', { class: diff > 0 ? 'cat-up' : 'cat-down', text: ` ${diff > 0 ? '+' : '−'}${centsText(Math.abs(diff))}` }) : null),
        h('td', { class: `num${flags.includes('amount_differs') ? ' cat-bad' : ''}`, title: flags.includes('amount_differs') && l.stated_amount !== undefined ? t('catalogue.orders.statedAmount', { amount: money(l.stated_amount) }) : null, text: flags.includes('no_price') ? '—' : money(l.amount) }),
        h('td', {}, flags.length
          ? flags.map((f) => h('span', { class: `cat-badge flag-${f}`, text: t(`catalogue.orders.flag.${f}`) }))
          : h('span', { class: 'cat-ok', text: `✓ ${t(`catalogue.orders.matchedBy.${l.match}`)}` }),
        (l.history || []).length ? h('span', { class: 'muted cat-small cat-line-edited', title: l.history.map((x) => `${x.at.slice(0, 16).replace('T', ' ')} ${x.by}: ${x.field} ${x.old ?? '—'} → ${x.new}`).join('\n'), text: ` ${t('catalogue.review.edited')}` }) : null,
        this.readonly ? null : h('button', { type: 'button', class: 'btn btn-ghost cat-btn-sm cat-line-edit', dataset: { row: String(l.row) }, text: t('catalogue.review.edit'),
          onclick: () => lineDialog({ t, api: this.api, order: this.order, line: l, onSaved: (order) => { this.order = order; this.render(); } }) })));
    }));
  }

  async revise(body) {
    try {
      this.order = await reviseOrder(this.api, this.order, body);
      if (!this.dead) this.render();
    } catch (err) {
      showError(err);
    }
  }

  async remove() {
    const t = this.t;
    const o = this.order;
    const ok = await confirmDialog({ t, title: t('catalogue.orders.deleteTitle'), message: t('catalogue.orders.deleteBody', { number: o.number }), confirmLabel: t('catalogue.action.delete') });
    if (!ok) return;
    try {
      await this.api.delete(`api/orders/${encodeURIComponent(o.id)}`);
    } catch {
      return; // the toast says why
    }
    location.hash = '#/catalogue/orders';
  }
}
