// Quotations (报价单). The list (#/catalogue/quotes) and one quotation's editor
// (#/catalogue/quotes/<id>, or /new):
//
// - pick a customer (searched, pinyin too); add products by search (pinyin,
//   SKU; a barcode scanner types the code and Enter: an exact SKU is added at
//   once) or by pasting SKUs with quantities, one per line;
// - each line's price comes from the lookup (GET /api/quotes/price: the
//   customer's own price, a quantity break, the customer's grade, the list
//   price), named beside it, with the last price this customer accepted; a
//   typed price overrides it and shows the list price struck through, and
//   can be kept as the customer's own price;
// - tax rate per line (13 %, 9 %, 6 %, 0 % ...), prices with or without tax;
//   the server computes amounts, tax and totals (rounded half up per line)
//   and the amount in Chinese capitals, on every save;
// - status (草稿, 已发送, 已接受, 已过期), the PDF (Chinese and English), and
//   转为订单 once accepted.

import { showError } from '../api.js';
import { concerns } from '../live.js';
import { add, debounce, h, openDialog, option } from './dom.js';
import { centsText, money, parseYuan } from './format.js';
import { customerDialog } from './customers.js';

const URL = 'api/quotes';
const RATES = [13, 9, 6, 3, 1, 0];
const STATUSES = ['draft', 'sent', 'accepted', 'expired', 'ordered'];

function statusBadge(t, status) {
  return h('span', { class: `cat-badge quote-${status}`, text: t(`catalogue.quote.state.${status}`) });
}

// The company's details printed as a quotation's header, and its logo.
const COMPANY_FIELDS = ['name', 'address', 'phone', 'taxId', 'bank'];

export async function companyDialog({ t, api }) {
  let company = await api.get('api/company');
  const inputs = Object.fromEntries(COMPANY_FIELDS.map((k) => [k, h('input', { class: 'cat-input', name: k, value: company[k === 'taxId' ? 'tax_id' : k] || '' })]));
  const logo = h('img', { class: 'cat-company-logo', id: 'cat-company-logo', alt: t('catalogue.company.logo'), hidden: !company.logo });
  const showLogo = () => {
    logo.hidden = !company.logo;
    if (company.logo) logo.src = `api/images/${encodeURIComponent(company.logo)}/thumb`;
  };
  showLogo();
  const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', class: 'cat-file-hidden', id: 'cat-company-logo-file' });
  const message = h('p', { class: 'muted', role: 'status', id: 'cat-company-message' });
  file.addEventListener('change', async () => {
    const form = new FormData();
    form.append('file', file.files[0]);
    try {
      company = await api.put('api/company/logo', form, { quiet: true });
      showLogo();
    } catch (err) {
      message.textContent = err.message;
    }
    file.value = '';
  });
  const body = h('div', { class: 'cat-form cat-company-form' },
    ...COMPANY_FIELDS.map((k) => h('label', { class: 'cat-field' }, h('span', { text: t(`catalogue.company.${k}`) }), inputs[k])),
    h('div', { class: 'cat-field' }, h('span', { text: t('catalogue.company.logo') }),
      h('div', { class: 'cat-inline' }, logo, file,
        h('button', { type: 'button', class: 'btn btn-sm', text: t('catalogue.company.upload'), onclick: () => file.click() }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('catalogue.company.removeLogo'),
          onclick: async () => { company = await api.delete('api/company/logo'); showLogo(); } }))),
    message);
  const save = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-company-save', text: t('catalogue.action.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
  const { close } = openDialog({ title: t('catalogue.company.title'), body, footer: [cancel, save] });
  cancel.addEventListener('click', close);
  save.addEventListener('click', async () => {
    const sent = Object.fromEntries(COMPANY_FIELDS.map((k) => [k === 'taxId' ? 'tax_id' : k, inputs[k].value.trim()]));
    try {
      await api.put('api/company', sent, { quiet: true });
      close();
    } catch (err) {
      message.textContent = [err.message, ...Object.values(err.fields || {})].join('；');
    }
  });
}

export class QuotesPage {
  constructor(ctx) {
    Object.assign(this, { t: ctx.t, api: ctx.api, el: ctx.el, readonly: !ctx.session?.authenticated });
  }

  mount() {
    const t = this.t;
    this.body = h('tbody');
    add(this.el,
      h('div', { class: 'cat-toolbar' },
        h('a', { class: 'btn btn-primary', id: 'cat-quote-new', href: '#/catalogue/quotes/new', hidden: this.readonly, text: t('catalogue.quotes.new') }),
        h('button', { type: 'button', class: 'btn', id: 'cat-company-open', hidden: this.readonly, text: t('catalogue.company.open'),
          onclick: () => companyDialog({ t, api: this.api }) })),
      h('div', { class: 'cat-table-wrap' }, h('table', { class: 'cat-table', id: 'cat-quotes' },
        h('thead', {}, h('tr', {}, ['number', 'customer', 'date', 'validUntil', 'status'].map((k) => h('th', { text: t(`catalogue.quote.${k}`) })),
          h('th', { class: 'num', text: t('catalogue.quote.gross') }))),
        this.body)));
    // others' edits refresh the list in place
    this.onData = (e) => { e.preventDefault(); if (concerns(e, ['quotes'])) this.load(); };
    document.addEventListener('datachange', this.onData);
    this.load();
  }

  unmount() {
    this.dead = true;
    document.removeEventListener('datachange', this.onData);
  }

  async load() {
    let res;
    try {
      res = await this.api.get(`${URL}?per_page=200&sort=-updated_at`);
    } catch (err) {
      showError(err);
      return;
    }
    if (this.dead) return;
    this.body.replaceChildren(...res.items.map((q) => h('tr', { class: 'cat-row-link', dataset: { id: q.id },
      onclick: () => { window.location.hash = `#/catalogue/quotes/${encodeURIComponent(q.id)}`; } },
    h('td', {}, h('a', { href: `#/catalogue/quotes/${encodeURIComponent(q.id)}`, text: q.number })),
    h('td', { text: q.customer_name }), h('td', { text: q.date }), h('td', { text: q.valid_until }),
    h('td', {}, statusBadge(this.t, q.status)), h('td', { class: 'num', text: money(q.totals?.gross_cents ?? 0) }))));
    if (!res.items.length) this.body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted cat-empty', text: this.t('catalogue.quotes.empty') })));
  }
}

export class QuoteEditor {
  constructor(ctx, id) {
    Object.assign(this, { t: ctx.t, api: ctx.api, el: ctx.el, readonly: !ctx.session?.authenticated });
    this.id = id === 'new' ? null : id;
    this.quote = null;
    this.lines = [];
    this.lookups = new Map(); // product id -> lookup answer (price, source, last)
  }

  async mount() {
    const t = this.t;
    this.customer = h('select', { class: 'cat-input', id: 'cat-quote-customer', 'aria-label': t('catalogue.quote.customer') });
    this.customer.addEventListener('change', () => this.repriceAll());
    this.addCustomer = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('catalogue.customers.new'),
      onclick: () => this.newCustomer() });
    this.inclusive = h('input', { type: 'checkbox', id: 'cat-quote-inclusive', checked: true });
    this.validUntil = h('input', { type: 'date', class: 'cat-input', id: 'cat-quote-valid' });
    this.payment = h('input', { class: 'cat-input', id: 'cat-quote-payment', placeholder: t('catalogue.quote.paymentHint') });
    this.delivery = h('input', { class: 'cat-input', id: 'cat-quote-delivery', placeholder: t('catalogue.quote.deliveryHint') });
    this.finder = h('input', { type: 'search', class: 'cat-input', id: 'cat-quote-find', placeholder: t('catalogue.quote.find'), autocomplete: 'off' });
    this.results = h('ul', { class: 'cat-quote-results', hidden: true, role: 'listbox' });
    this.finder.addEventListener('input', debounce(() => this.find(), 200));
    this.finder.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.find(true); } });
    this.pasteBox = h('textarea', { class: 'cat-input', id: 'cat-quote-paste', rows: 3, placeholder: t('catalogue.quote.pasteHint'), hidden: true });
    const pasteBtn = h('button', { type: 'button', class: 'btn btn-sm', id: 'cat-quote-paste-toggle', text: t('catalogue.quote.paste'),
      onclick: () => { if (this.pasteBox.hidden) { this.pasteBox.hidden = false; this.pasteBox.focus(); } else this.pasteSkus(); } });
    this.tbody = h('tbody');
    this.totals = h('div', { class: 'cat-quote-totals', id: 'cat-quote-totals' });
    this.status = h('div', { class: 'cat-quote-status' });
    this.message = h('p', { class: 'muted', role: 'status', id: 'cat-quote-message' });
    this.save = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-quote-save', text: t('catalogue.quote.save'), onclick: () => this.store() });
    add(this.el,
      h('div', { class: 'cat-quote' },
        h('div', { class: 'cat-quote-head' },
          h('a', { href: '#/catalogue/quotes', class: 'btn btn-ghost btn-sm', text: `‹ ${t('catalogue.tab.quotes')}` }),
          h('h2', { class: 'cat-quote-title', id: 'cat-quote-title', text: t('catalogue.quotes.new') }), this.status),
        h('div', { class: 'cat-quote-form' },
          h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.quote.customer') }), h('span', { class: 'cat-inline' }, this.customer, this.addCustomer)),
          h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.quote.validUntil') }), this.validUntil),
          h('label', { class: 'cat-check' }, this.inclusive, h('span', { text: t('catalogue.quote.taxInclusive') })),
          h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.quote.payment') }), this.payment),
          h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.quote.delivery') }), this.delivery)),
        h('div', { class: 'cat-quote-add' }, h('div', { class: 'cat-quote-finder' }, this.finder, this.results), pasteBtn, this.pasteBox),
        h('div', { class: 'cat-table-wrap' }, h('table', { class: 'cat-table cat-quote-lines', id: 'cat-quote-lines' },
          h('thead', {}, h('tr', {}, ['sku', 'name', 'spec', 'qty', 'price', 'taxRate', 'amount', ''].map((k) => h('th', { class: ['qty', 'price', 'amount'].includes(k) ? 'num' : '', text: k ? t(`catalogue.quote.col.${k}`) : '' })))),
          this.tbody)),
        h('div', { class: 'cat-quote-foot' }, this.totals, h('div', { class: 'cat-quote-actions' }, this.save, this.message))));
    // The editor holds what is being typed: another device's edit must not
    // redraw it away (a save that meets theirs is refused with If-Match).
    this.onData = (e) => e.preventDefault();
    document.addEventListener('datachange', this.onData);
    await this.loadCustomers();
    if (this.id) await this.loadQuote();
    this.render();
  }

  unmount() {
    this.dead = true;
    document.removeEventListener('datachange', this.onData);
  }

  async loadCustomers(select) {
    const res = await this.api.get('api/customers?per_page=1000&sort=name');
    this.customers = new Map(res.items.map((c) => [c.id, c]));
    const chosen = select || this.customer.value || this.quote?.customer_id || '';
    this.customer.replaceChildren(option('', this.t('catalogue.quote.chooseCustomer')),
      ...res.items.map((c) => option(c.id, c.grade ? `${c.name} · ${c.grade}` : c.name, c.id === chosen)));
  }

  async newCustomer() {
    const saved = await customerDialog({ t: this.t, api: this.api, customer: null });
    if (!saved) return;
    await this.loadCustomers(saved.id);
    this.repriceAll();
  }

  async loadQuote() {
    this.quote = await this.api.get(`${URL}/${encodeURIComponent(this.id)}`);
    this.fill();
  }

  // The form from the quotation as the server holds it.
  fill() {
    const q = this.quote;
    this.customer.value = q.customer_id;
    this.inclusive.checked = q.tax_inclusive !== false;
    this.validUntil.value = q.valid_until || '';
    this.payment.value = q.payment_terms || '';
    this.delivery.value = q.delivery_terms || '';
    this.lines = q.lines.map((l) => ({ ...l, given: l.price_source === 'manual' }));
  }

  // ---- adding products --------------------------------------------------------

  async find(enter = false) {
    const q = this.finder.value.trim();
    if (!q) { this.results.hidden = true; return; }
    const res = await this.api.get(`api/products?${new URLSearchParams({ q, per_page: '8' })}`);
    if (this.dead) return;
    const exact = res.items.find((p) => (p.sku || '').toLowerCase() === q.toLowerCase() || p.barcode === q);
    if (enter && (exact || res.items.length === 1)) {
      // a barcode scanner types the code and Enter: add it at once
      if (this.finder.value.trim() === q) this.finder.value = '';
      this.results.hidden = true;
      await this.addProduct(exact || res.items[0]);
      return;
    }
    if (this.finder.value.trim() !== q) return; // typed on meanwhile: that search answers
    this.results.replaceChildren(...res.items.map((p) => h('li', { role: 'option', tabindex: '-1', dataset: { id: p.id },
      // cleared first: a code scanned while the line is being priced is not lost
      onclick: async () => { this.finder.value = ''; this.results.hidden = true; this.finder.focus(); await this.addProduct(p); } },
    h('span', { class: 'cat-sku', text: p.sku }), ` ${p.name} `, h('span', { class: 'muted', text: p.spec || '' }),
    h('span', { class: 'cat-grow' }), h('span', { text: money(p.price) }))));
    this.results.hidden = !res.items.length;
  }

  async addProduct(p, qty = '1') {
    const same = this.lines.find((l) => l.product_id === p.id);
    if (same) {
      same.qty = String(Number(same.qty) + Number(qty));
    } else {
      this.lines.push({ product_id: p.id, sku: p.sku, name: p.name, spec: p.spec, unit: p.unit, qty: String(qty), tax_rate: 13, price: p.price, list_price: p.price, given: false });
    }
    await this.reprice(this.lines.find((l) => l.product_id === p.id));
    this.render();
  }

  async pasteSkus() {
    const rows = this.pasteBox.value.split(/\n+/).map((r) => r.trim()).filter(Boolean);
    const missing = [];
    for (const row of rows) {
      const [sku, qty] = row.split(/[\s,，\t]+/);
      const res = await this.api.get(`api/products?${new URLSearchParams({ q: sku, per_page: '5' })}`);
      const p = res.items.find((x) => (x.sku || '').toLowerCase() === sku.toLowerCase());
      if (p) await this.addProduct(p, qty && Number(qty) > 0 ? qty : '1');
      else missing.push(sku);
    }
    this.pasteBox.value = missing.join('\n');
    this.message.textContent = missing.length ? this.t('catalogue.quote.notFound', { skus: missing.join('、') }) : '';
    if (!missing.length) this.pasteBox.hidden = true;
  }

  // The lookup's price for a line (the customer chosen, its quantity).
  async reprice(line) {
    const customer = this.customer.value;
    if (!customer || !line?.product_id) return;
    const q = new URLSearchParams({ customer_id: customer, product_id: line.product_id, qty: line.qty || '1' });
    try {
      const found = await this.api.get(`${URL}/price?${q}`, { quiet: true });
      this.lookups.set(line.product_id, found);
      line.list_price = found.price;
      line.price_source = found.source;
      if (!line.given) line.price = found.price;
    } catch {
      // a quantity being typed ("2.") is not asked again until it reads
    }
  }

  async repriceAll() {
    for (const line of this.lines) await this.reprice(line);
    this.render();
  }

  // ---- the lines table ----------------------------------------------------------

  render() {
    const t = this.t;
    const q = this.quote;
    this.el.querySelector('#cat-quote-title').textContent = q ? `${t('catalogue.quote.title')} ${q.number} · ${t('catalogue.quote.rev', { n: q.revision })}` : t('catalogue.quotes.new');
    this.renderStatus();
    this.tbody.replaceChildren(...this.lines.map((line, i) => this.lineRow(line, i)));
    if (!this.lines.length) this.tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted cat-empty', text: t('catalogue.quote.noLines') })));
    const totals = q?.totals;
    this.totals.replaceChildren(...(totals ? [
      h('div', {}, h('span', { text: t('catalogue.quote.net') }), h('b', { text: money(totals.net_cents) })),
      h('div', {}, h('span', { text: t('catalogue.quote.tax') }), h('b', { text: money(totals.tax_cents) })),
      h('div', { class: 'cat-quote-gross' }, h('span', { text: t('catalogue.quote.gross') }), h('b', { id: 'cat-quote-gross', text: money(totals.gross_cents) })),
      h('div', { class: 'cat-quote-capitals' }, h('span', { text: t('catalogue.quote.capitals') }), h('b', { id: 'cat-quote-capitals', text: totals.capitals || '' })),
    ] : [h('span', { class: 'muted', text: t('catalogue.quote.saveToTotal') })]));
  }

  lineRow(line, i) {
    const t = this.t;
    const qty = h('input', { class: 'cat-input cat-num', value: line.qty, inputmode: 'decimal', 'aria-label': t('catalogue.quote.col.qty') });
    qty.addEventListener('change', async () => { line.qty = qty.value.trim() || '1'; await this.reprice(line); this.render(); });
    const price = h('input', { class: 'cat-input cat-num', value: centsText(line.price ?? 0), inputmode: 'decimal', 'aria-label': t('catalogue.quote.col.price') });
    price.addEventListener('change', () => {
      const cents = parseYuan(price.value);
      if (cents === null || Number.isNaN(cents)) { price.value = centsText(line.price ?? 0); return; }
      line.price = cents;
      line.given = cents !== line.list_price;
      this.render();
    });
    const rate = h('select', { class: 'cat-input', 'aria-label': t('catalogue.quote.col.taxRate') },
      RATES.map((r) => option(String(r), `${r}%`, r === Number(line.tax_rate))));
    rate.addEventListener('change', () => { line.tax_rate = Number(rate.value); });
    const found = this.lookups.get(line.product_id);
    const source = line.given
      ? h('span', { class: 'cat-quote-override' }, h('s', { text: money(line.list_price ?? 0) }), ' ',
        this.quote && this.customer.value ? h('button', { type: 'button', class: 'btn btn-ghost btn-xs', text: t('catalogue.quote.keepPrice'),
          onclick: () => this.keepPrice(line) }) : null)
      : h('span', { class: 'cat-badge cat-price-source', text: t(`catalogue.quote.source.${line.price_source || 'list'}`) });
    const last = found?.last ? h('small', { class: 'muted', text: t('catalogue.quote.last', { price: money(found.last.price), date: found.last.date }) }) : null;
    const amount = line.amount_cents ?? null;
    const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-xs', 'aria-label': t('catalogue.action.delete'), text: '×',
      onclick: () => { this.lines.splice(i, 1); this.render(); } });
    return h('tr', { dataset: { productId: line.product_id || '' } },
      h('td', { text: line.sku || '' }), h('td', { text: line.name }), h('td', { text: line.spec || '' }),
      h('td', { class: 'num' }, qty), h('td', { class: 'num cat-quote-price' }, price, h('div', {}, source, last)),
      h('td', {}, rate), h('td', { class: 'num', text: amount === null ? '—' : money(amount) }), h('td', {}, remove));
  }

  renderStatus() {
    const t = this.t;
    const q = this.quote;
    if (!q) { this.status.replaceChildren(); return; }
    const buttons = [];
    if (q.status !== 'ordered') {
      for (const s of ['sent', 'accepted', 'expired']) {
        if (s !== q.status) buttons.push(h('button', { type: 'button', class: 'btn btn-sm', id: `cat-quote-${s}`, text: t(`catalogue.quote.mark.${s}`), onclick: () => this.setStatus(s) }));
      }
    }
    const pdf = (lang) => h('a', { class: 'btn btn-sm', id: `cat-quote-pdf-${lang}`, href: `${URL}/${encodeURIComponent(q.id)}/pdf?lang=${lang}`, download: `报价单-${q.number}.pdf`, text: t(`catalogue.quote.pdf.${lang}`) });
    const order = q.order_id
      ? h('a', { class: 'btn btn-sm', id: 'cat-quote-open-order', href: `#/catalogue/orders/${encodeURIComponent(q.order_id)}`, text: t('catalogue.quote.openOrder') })
      : h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'cat-quote-to-order', text: t('catalogue.quote.toOrder'), disabled: q.status !== 'accepted', title: t('catalogue.quote.toOrderHint'), onclick: () => this.toOrder() });
    const qr = h('details', { class: 'cat-quote-qr' }, h('summary', { class: 'btn btn-sm', text: t('catalogue.qr.short') }),
      h('img', { src: `${URL}/${encodeURIComponent(q.id)}/qr.svg`, id: 'cat-quote-qr', alt: t('catalogue.qr.quote'), width: 140, height: 140 }),
      h('small', { class: 'muted', text: t('catalogue.qr.quote') }));
    const xlsx = h('a', { class: 'btn btn-sm', id: 'cat-quote-xlsx', href: `${URL}/${encodeURIComponent(q.id)}/xlsx`, download: `报价单-${q.number}.xlsx`, text: 'Excel' });
    this.status.replaceChildren(statusBadge(t, q.status), ...buttons, pdf('zh'), pdf('en'), xlsx, qr, order);
  }

  // ---- saving -------------------------------------------------------------------

  body() {
    return {
      customer_id: this.customer.value,
      tax_inclusive: this.inclusive.checked,
      valid_until: this.validUntil.value || null,
      payment_terms: this.payment.value.trim(),
      delivery_terms: this.delivery.value.trim(),
      lines: this.lines.map((l) => ({
        ...(l.product_id ? { product_id: l.product_id } : { name: l.name, sku: l.sku || '', spec: l.spec || '', unit: l.unit || '' }),
        qty: String(l.qty), tax_rate: Number(l.tax_rate), ...(l.given || !l.product_id ? { price: l.price } : {}),
      })),
    };
  }

  async store(extra = {}) {
    const t = this.t;
    if (!this.customer.value) {
      this.message.textContent = t('catalogue.quote.chooseCustomer');
      this.customer.focus();
      return null;
    }
    this.save.disabled = true;
    this.message.textContent = t('catalogue.quote.saving');
    try {
      const body = { ...this.body(), ...extra };
      const saved = this.quote
        ? await this.api.patch(`${URL}/${encodeURIComponent(this.quote.id)}`, body, { headers: { 'If-Match': String(this.quote.rev) }, quiet: true })
        : await this.api.post(URL, body, { quiet: true });
      this.quote = saved;
      this.fill();
      this.message.textContent = t('catalogue.quote.saved');
      if (!this.id) {
        this.id = saved.id;
        history.replaceState(null, '', `#/catalogue/quotes/${encodeURIComponent(saved.id)}`);
      }
      this.render();
      return saved;
    } catch (err) {
      const fields = Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`).join('；');
      this.message.textContent = fields ? `${err.message}（${fields}）` : err.message;
      return null;
    } finally {
      this.save.disabled = false;
    }
  }

  async setStatus(status) {
    if (STATUSES.includes(status)) await this.store({ status });
  }

  async keepPrice(line) {
    try {
      await this.api.put('api/customer-prices', { customer_id: this.customer.value, product_id: line.product_id, price: line.price });
      line.given = false;
      await this.reprice(line);
      this.message.textContent = this.t('catalogue.quote.kept', { name: line.name });
      this.render();
    } catch (err) {
      showError(err);
    }
  }

  async toOrder() {
    try {
      const res = await this.api.post(`${URL}/${encodeURIComponent(this.quote.id)}/order`, {});
      window.location.hash = `#/catalogue/orders/${encodeURIComponent(res.order.id)}`;
    } catch (err) {
      showError(err);
    }
  }
}
