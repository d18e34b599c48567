// Batch edits of the chosen products (POST /api/products/batch): set a category
// or supplier, or move the list price or one grade's price by a percent or an
// amount. 预览 shows every product's before and after (a dry run); 确认 writes
// them in one transaction; 撤销 sends the answer's undo back, one transaction
// again. The choice is kept across pages of the list.

import { errorText } from '../api.js';
import { h, openDialog, option } from './dom.js';
import { money } from './format.js';

export class BatchBar {
  // onDone(): reload the list after a commit or an undo
  constructor({ t, api, onDone }) {
    Object.assign(this, { t, api, onDone });
    this.chosen = new Set();
    this.el = h('div', { class: 'cat-batch', id: 'cat-batch', hidden: true, role: 'region', 'aria-label': t('catalogue.batch.label') });
  }

  toggle(id, on) {
    if (on) this.chosen.add(id); else this.chosen.delete(id);
    this.render();
  }

  render() {
    const t = this.t;
    this.el.hidden = this.chosen.size === 0 && !this.undo;
    if (this.el.hidden) return;
    if (!this.chosen.size) return; // only the undo notice is showing
    this.category = h('input', { class: 'cat-input', id: 'cat-batch-category', placeholder: t('catalogue.batch.category') });
    this.supplier = h('input', { class: 'cat-input', id: 'cat-batch-supplier', placeholder: t('catalogue.batch.supplier') });
    this.target = h('select', { class: 'cat-input', id: 'cat-batch-target' },
      option('', t('catalogue.batch.noPrice')), option('price', t('catalogue.batch.listPrice')), option('grade', t('catalogue.batch.gradePrice')));
    this.grade = h('input', { class: 'cat-input cat-batch-grade', id: 'cat-batch-grade', placeholder: 'VIP', hidden: true });
    this.target.addEventListener('change', () => { this.grade.hidden = this.target.value !== 'grade'; });
    this.by = h('select', { class: 'cat-input', id: 'cat-batch-by' }, option('percent', '%'), option('amount', '¥'));
    this.value = h('input', { class: 'cat-input cat-batch-value', id: 'cat-batch-value', inputmode: 'decimal', placeholder: t('catalogue.batch.valueHint') });
    this.message = h('span', { class: 'muted', id: 'cat-batch-message', role: 'status' });
    this.el.replaceChildren(
      h('strong', { text: t('catalogue.batch.chosen', { n: this.chosen.size }) }),
      this.category, this.supplier, this.target, this.grade, this.by, this.value,
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'cat-batch-preview', text: t('catalogue.batch.preview'), onclick: () => this.preview() }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('catalogue.batch.clear'), onclick: () => { this.chosen.clear(); this.undo = null; this.render(); this.onDone(false); } }),
      this.message);
  }

  body() {
    const body = { ids: [...this.chosen] };
    const set = {};
    if (this.category.value.trim()) set.category = this.category.value.trim();
    if (this.supplier.value.trim()) set.supplier = this.supplier.value.trim();
    if (Object.keys(set).length) body.set = set;
    if (this.target.value) {
      body.price = { by: this.by.value, value: this.value.value.trim() };
      if (this.target.value === 'grade') body.price.grade = this.grade.value.trim();
    }
    return body;
  }

  async preview() {
    const t = this.t;
    const body = this.body();
    let res;
    try {
      res = await this.api.post('api/products/batch?dry_run=1', body, { quiet: true });
    } catch (err) {
      this.message.textContent = [errorText(err), ...Object.values(err.fields || {})].join('：');
      return;
    }
    const shown = (v, key) => (key === 'price' ? money(v) : key === 'grade_prices' ? Object.entries(v || {}).map(([g, c]) => `${g} ${money(c)}`).join('，') : v || '—');
    const rows = res.preview.map((p) => h('tr', {},
      h('td', { text: p.sku }), h('td', { text: p.name }),
      h('td', { text: Object.keys(p.after).map((k) => shown(p.before[k], k)).join(' · ') }),
      h('td', { text: Object.keys(p.after).map((k) => shown(p.after[k], k)).join(' · ') })));
    const confirm = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-batch-confirm', text: t('catalogue.batch.confirm', { n: res.changed }), disabled: !res.changed });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
    const { close } = openDialog({
      title: t('catalogue.batch.previewTitle', { n: res.changed, of: res.count }),
      body: h('div', { class: 'cat-table-wrap cat-batch-preview' }, h('table', { class: 'cat-table' },
        h('thead', {}, h('tr', {}, [t('catalogue.field.sku'), t('catalogue.field.name'), t('catalogue.batch.before'), t('catalogue.batch.after')].map((x) => h('th', { text: x })))),
        h('tbody', {}, rows))),
      footer: [cancel, confirm],
    });
    cancel.addEventListener('click', close);
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const done = await this.api.post('api/products/batch', body, { quiet: true });
        close();
        this.finished(done);
      } catch (err) {
        this.message.textContent = errorText(err);
        close();
      }
    });
  }

  finished(done) {
    const t = this.t;
    this.undo = done.undo;
    this.chosen.clear();
    const undo = h('button', { type: 'button', class: 'btn btn-sm', id: 'cat-batch-undo', text: t('catalogue.batch.undo'), onclick: async () => {
      try {
        await this.api.post('api/products/batch', { restore: this.undo }, { quiet: true });
        this.el.replaceChildren(h('span', { id: 'cat-batch-message', text: t('catalogue.batch.undone') }));
        this.undo = null;
        this.onDone(true);
      } catch (err) {
        this.el.append(h('span', { class: 'form-error', text: errorText(err) }));
      }
    } });
    this.el.hidden = false;
    this.el.replaceChildren(h('span', { id: 'cat-batch-message', text: t('catalogue.batch.done', { n: done.changed }) }), undo);
    this.onDone(true);
  }
}
