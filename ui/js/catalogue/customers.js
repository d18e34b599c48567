// Customers: a searched list (name, contact, phone, tax id, and the pinyin of
// the name: 宁波 by "ningbo" or "nb"), and a dialog to add or change one,
// with the price grade they buy at (GET/POST/PATCH /api/customers, If-Match).
// A customer's own prices are set from a quotation (quotes.js).

import { showError } from '../api.js';
import { concerns } from '../live.js';
import { add, confirmDialog, debounce, h, openDialog } from './dom.js';

const URL = 'api/customers';
const FIELDS = ['name', 'contact', 'phone', 'address', 'tax_id', 'grade', 'notes'];

// A dialog for one customer (null: a new one); resolves with the saved record.
export function customerDialog({ t, api, customer, grades = [] }) {
  return new Promise((resolve) => {
    const v = customer || {};
    const inputs = {};
    const listId = `cat-grades-${Math.random().toString(36).slice(2)}`;
    const row = (name, control) => h('label', { class: 'cat-field', dataset: { field: name } },
      h('span', { text: t(`catalogue.customer.${name === 'tax_id' ? 'taxId' : name}`) }), control,
      h('small', { class: 'cat-field-error', hidden: true }));
    for (const name of FIELDS) {
      inputs[name] = name === 'notes'
        ? h('textarea', { name, rows: 2, class: 'cat-input' })
        : h('input', { name, class: 'cat-input', autocomplete: 'off', list: name === 'grade' ? listId : null });
      inputs[name].value = v[name] || '';
    }
    const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
    const form = h('form', { class: 'cat-form cat-customer-form', novalidate: true },
      ...FIELDS.map((name) => row(name, inputs[name])),
      h('datalist', { id: listId }, grades.map((g) => h('option', { value: g }))), error);
    const save = h('button', { type: 'button', class: 'btn btn-primary', text: t('catalogue.action.save') });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
    const { close } = openDialog({
      title: t(customer ? 'catalogue.customers.edit' : 'catalogue.customers.new'),
      body: form, footer: [cancel, save], onClose: () => resolve(null),
    });
    cancel.addEventListener('click', close);
    save.addEventListener('click', async () => {
      const body = Object.fromEntries(FIELDS.map((name) => [name, inputs[name].value.trim()]));
      for (const el of form.querySelectorAll('.cat-field-error')) el.hidden = true;
      if (!body.name) {
        const slot = form.querySelector('[data-field="name"] .cat-field-error');
        slot.textContent = t('catalogue.customers.nameRequired');
        slot.hidden = false;
        inputs.name.focus();
        return;
      }
      save.disabled = true;
      try {
        const opts = customer ? { headers: { 'If-Match': String(customer.rev) }, quiet: true } : { quiet: true };
        const saved = customer
          ? await api.patch(`${URL}/${encodeURIComponent(customer.id)}`, body, opts)
          : await api.post(URL, body, opts);
        resolve(saved);
        close();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        for (const [name, reason] of Object.entries(err.fields || {})) {
          const slot = form.querySelector(`[data-field="${name}"] .cat-field-error`);
          if (slot) { slot.textContent = reason; slot.hidden = false; }
        }
      } finally {
        save.disabled = false;
      }
    });
    setTimeout(() => inputs.name.focus(), 0);
  });
}

export class CustomersPage {
  constructor(ctx) {
    this.t = ctx.t;
    this.api = ctx.api;
    this.el = ctx.el;
    this.readonly = !ctx.session?.authenticated;
    this.q = '';
    this.searchLater = debounce(() => this.load(), 250);
  }

  mount() {
    const t = this.t;
    this.search = h('input', { type: 'search', class: 'cat-input cat-search', id: 'cat-customer-search',
      placeholder: t('catalogue.customers.search'), 'aria-label': t('catalogue.customers.search') });
    this.search.addEventListener('input', () => { this.q = this.search.value.trim(); this.searchLater(); });
    const create = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-customer-new',
      text: t('catalogue.customers.new'), hidden: this.readonly, onclick: () => this.edit(null) });
    const file = h('input', { type: 'file', accept: '.xlsx,.xls,.csv', class: 'cat-file-hidden', id: 'cat-customer-file' });
    file.addEventListener('change', () => { if (file.files[0]) this.importFile(file.files[0]).finally(() => { file.value = ''; }); });
    const importBtn = h('button', { type: 'button', class: 'btn', id: 'cat-customer-import', hidden: this.readonly,
      text: t('catalogue.customers.import'), onclick: () => file.click() });
    const template = h('a', { class: 'btn btn-ghost', href: 'api/customers/template.xlsx', download: '导入模板-客户.xlsx', text: t('catalogue.customers.template') });
    this.notice = h('p', { class: 'muted', id: 'cat-customer-notice', role: 'status' });
    this.count = h('span', { class: 'muted' });
    this.body = h('tbody');
    add(this.el,
      h('div', { class: 'cat-toolbar' }, this.search, create, importBtn, file, template, h('span', { class: 'cat-grow' }), this.count),
      this.notice,
      h('div', { class: 'cat-table-wrap' }, h('table', { class: 'cat-table', id: 'cat-customers' },
        h('thead', {}, h('tr', {}, ['name', 'contact', 'phone', 'grade', 'tax_id'].map((k) => h('th', {
          text: t(`catalogue.customer.${k === 'tax_id' ? 'taxId' : k}`) })))),
        this.body)));
    this.onData = (e) => { e.preventDefault(); if (concerns(e, ['customers'])) this.load(); };
    document.addEventListener('datachange', this.onData);
    this.load();
  }

  unmount() {
    this.dead = true;
    this.searchLater.cancel();
    document.removeEventListener('datachange', this.onData);
  }

  async load() {
    const seq = (this.seq = (this.seq || 0) + 1);
    let res;
    try {
      res = await this.api.get(`${URL}?${new URLSearchParams({ q: this.q, per_page: '200', sort: 'name' })}`);
    } catch (err) {
      showError(err);
      return;
    }
    if (this.dead || seq !== this.seq) return;
    this.items = res.items;
    this.count.textContent = this.t('catalogue.customers.count', { n: res.total });
    this.body.replaceChildren(...res.items.map((c) => {
      const tr = h('tr', { class: 'cat-row-link', tabindex: '0', dataset: { id: c.id } },
        h('td', { text: c.name }), h('td', { text: c.contact }), h('td', { text: c.phone }),
        h('td', {}, c.grade ? h('span', { class: 'cat-badge', text: c.grade }) : ''), h('td', { text: c.tax_id }));
      tr.addEventListener('click', () => this.edit(c));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.edit(c); });
      return tr;
    }));
    if (!res.items.length) {
      this.body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted cat-empty',
        text: this.t(this.q ? 'catalogue.customers.none' : 'catalogue.customers.empty') })));
    }
  }

  // A sheet of customers (客户名称, 联系人, 电话 ... as the template has them): all or nothing.
  async importFile(chosen) {
    const t = this.t;
    const form = new FormData();
    form.append('file', chosen);
    try {
      const res = await this.api.post('api/customers/import', form, { quiet: true });
      this.notice.textContent = t('catalogue.customers.imported', res.counts);
      this.load();
    } catch (err) {
      const rows = (err.body?.errors || []).slice(0, 5).map((e) => t('catalogue.customers.importFailed', e));
      this.notice.textContent = [err.message, ...rows].join('；');
    }
  }

  async edit(customer) {
    if (this.readonly) return;
    const grades = [...new Set((this.items || []).map((c) => c.grade).filter(Boolean))];
    const saved = await customerDialog({ t: this.t, api: this.api, customer, grades });
    if (saved) this.load();
    else if (customer === null) return;
  }
}

export async function deleteCustomer({ t, api, customer }) {
  const ok = await confirmDialog({ t, title: t('catalogue.customers.delete'),
    message: t('catalogue.customers.deleteConfirm', { name: customer.name }), confirmLabel: t('catalogue.action.delete') });
  if (!ok) return false;
  await api.delete(`${URL}/${encodeURIComponent(customer.id)}`, { headers: { 'If-Match': String(customer.rev) } });
  return true;
}
