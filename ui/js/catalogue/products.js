// The products page: a server-paged table with search as you type, filters
// (category, supplier, price range) and sortable headers; a row opens the
// product's drawer. Every query goes to GET /api/products (an in-memory
// index on the server, a few ms even at 100,000 products), so typing simply
// asks again after a short pause; answers that arrive out of order are dropped.

import { concerns } from '../live.js';
import { kindOf } from '../kinds.js';
import { BatchBar } from './batch.js';
import { ProductDrawer } from './drawer.js';
import { debounce, h, option } from './dom.js';
import { dateTime, money, number, parseYuan } from './format.js';

const SORTABLE = { name: 'name', price: 'price', updated_at: 'updated_at' };
const PER_PAGE = [20, 50, 100, 200];

// The user's choices survive re-renders (language switch, back from an order).
const state = { q: '', category: '', supplier: '', min: '', max: '', sort: 'name', page: 1, perPage: 50, customer: '' };

export function listQuery(s = state, { paging = true } = {}) {
  const p = new URLSearchParams();
  if (s.q.trim()) p.set('q', s.q.trim());
  if (s.category) p.set('category', s.category);
  if (s.supplier) p.set('supplier', s.supplier);
  const min = parseYuan(s.min);
  const max = parseYuan(s.max);
  if (Number.isInteger(min)) p.set('min_price', String(min));
  if (Number.isInteger(max)) p.set('max_price', String(max));
  if (s.sort) p.set('sort', s.sort);
  if (s.customer && paging) p.set('customer_id', s.customer); // prices for this customer (the list only)
  if (paging) {
    p.set('page', String(s.page));
    p.set('per_page', String(s.perPage));
  }
  return p.toString();
}

function filtered(s = state) {
  return Boolean(s.q.trim() || s.category || s.supplier || s.min.trim() || s.max.trim());
}

// The table's columns, left to right (the picture first).
const COLUMNS = ['image', 'sku', 'name', 'category', 'spec', 'unit', 'price', 'supplier', 'updated_at'];

export class ProductsPage {
  constructor(ctx, openId) {
    this.ctx = ctx;
    this.t = ctx.t;
    this.api = ctx.api;
    this.el = ctx.el;
    this.openId = openId;
    this.readonly = !ctx.session?.authenticated;
    this.seq = 0;
    this.dead = false;
    this.facets = { categories: [], suppliers: [] };
    this.searchLater = debounce(() => { state.page = 1; this.load(); }, 250);
    this.drawer = new ProductDrawer(ctx, {
      facets: () => this.facets,
      onChanged: () => { this.load(); this.loadFacets(); },
      onClosed: () => this.route(null),
    });
  }

  mount() {
    // Someone else's edit (live.js): the list is read again; an open drawer
    // keeps its form (its save handles a clash).
    this.onData = (e) => {
      e.preventDefault();
      if (concerns(e, ['products', 'images'])) { this.load(); this.loadFacets(); }
    };
    document.addEventListener('datachange', this.onData);
    this.build();
    this.loadFacets();
    this.load();
    if (this.openId) this.drawer.open(this.openId);
  }

  unmount() {
    document.removeEventListener('datachange', this.onData);
    this.dead = true;
    this.searchLater.cancel();
    this.drawer.destroy();
  }

  // The open product is kept in the address so a reload (or a language
  // switch) reopens it; replaceState adds no history entry and no re-render.
  route(id) {
    const hash = id ? `#/catalogue/products/${encodeURIComponent(id)}` : '#/catalogue';
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  openProduct(id) {
    this.route(id);
    this.drawer.open(id);
  }

  // ---- building ------------------------------------------------------------

  build() {
    const t = this.t;
    this.search = h('input', {
      type: 'search', class: 'cat-input cat-search', id: 'cat-search', value: state.q,
      placeholder: t('catalogue.search.placeholder'), 'aria-label': t('catalogue.search.label'),
      autocomplete: 'off', spellcheck: 'false',
    });
    this.search.addEventListener('input', () => { state.q = this.search.value; this.searchLater(); });
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { this.searchLater.cancel(); state.page = 1; this.load({ scanned: this.search.value.trim() }); }
    });

    this.categorySel = h('select', { class: 'cat-input', id: 'cat-filter-category', 'aria-label': t('catalogue.filter.category') });
    this.supplierSel = h('select', { class: 'cat-input', id: 'cat-filter-supplier', 'aria-label': t('catalogue.filter.supplier') });
    this.categorySel.addEventListener('change', () => { state.category = this.categorySel.value; state.page = 1; this.load(); });
    this.supplierSel.addEventListener('change', () => { state.supplier = this.supplierSel.value; state.page = 1; this.load(); });
    this.fillFacetSelects();

    const priceInput = (key, id, label) => {
      const input = h('input', {
        type: 'text', inputmode: 'decimal', class: 'cat-input cat-price-input', id, value: state[key],
        placeholder: label, 'aria-label': label,
      });
      input.addEventListener('input', () => {
        state[key] = input.value;
        const bad = Number.isNaN(parseYuan(input.value));
        input.setAttribute('aria-invalid', bad ? 'true' : 'false');
        input.title = bad ? t('catalogue.filter.priceInvalid') : '';
        if (!bad) this.searchLater();
      });
      return input;
    };
    this.minInput = priceInput('min', 'cat-filter-min', t('catalogue.filter.minPrice'));
    this.maxInput = priceInput('max', 'cat-filter-max', t('catalogue.filter.maxPrice'));

    this.clearBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'cat-clear-filters', text: t('catalogue.filter.clear') });
    // 按客户看价: the prices a chosen customer gets (their own, a grade's), as a
    // salesperson looks a price up on a phone
    this.customerSel = h('select', { class: 'cat-input', id: 'cat-customer-price', hidden: this.readonly, 'aria-label': t('catalogue.customerPrice.label') },
      option('', t('catalogue.customerPrice.none')));
    this.customerSel.addEventListener('change', () => { state.customer = this.customerSel.value; this.load(); });
    if (!this.readonly) {
      this.api.get('api/customers?per_page=1000&sort=name').then((res) => {
        this.customerSel.append(...res.items.map((c) => option(c.id, c.grade ? `${c.name} · ${c.grade}` : c.name, c.id === state.customer)));
      }).catch(() => {});
    }
    this.clearBtn.addEventListener('click', () => this.clearFilters());

    this.exportLink = h('a', { class: 'btn', id: 'cat-export', download: '', text: t('catalogue.action.export'), title: t('catalogue.action.exportHint') });
    const newBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-new-product', text: t('catalogue.action.newProduct'), hidden: this.readonly });
    newBtn.addEventListener('click', () => this.drawer.openNew());
    const importLink = h('a', { class: 'btn', href: '#/catalogue/import', text: t('catalogue.action.import'), hidden: this.readonly });

    this.summary = h('span', { class: 'muted cat-summary', id: 'cat-summary' });
    // batch edits of the chosen rows (batch.js); not for anonymous readers
    this.batch = this.readonly ? null : new BatchBar({ t, api: this.api, onDone: (reload) => { if (reload) this.load(); else this.renderRows(this.items || []); } });
    this.tbody = h('tbody');
    this.thead = h('thead');
    this.table = h('table', { class: 'cat-table cat-products', id: 'cat-products' }, this.thead, this.tbody);
    this.empty = h('div', { class: 'cat-empty', hidden: true });
    this.pager = h('div', { class: 'cat-pager' });

    this.el.append(
      h('div', { class: 'cat-toolbar' },
        h('div', { class: 'cat-filters' },
          this.search, this.customerSel, this.categorySel, this.supplierSel,
          h('span', { class: 'cat-price-range' }, this.minInput, h('span', { class: 'muted', text: '–' }), this.maxInput),
          this.clearBtn),
        h('div', { class: 'cat-actions' }, importLink, this.exportLink, newBtn)),
      this.batch?.el,
      h('section', { class: 'card cat-table-card' },
        h('div', { class: 'cat-table-scroll' }, this.table),
        this.empty,
        h('div', { class: 'cat-table-foot' }, this.summary, this.pager)),
    );
    this.renderHead();
    kindOf('products').then((kind) => { this.kind = kind; if (!this.dead) this.renderHead(); })
      .catch(() => {}); // without the declaration the headers stay, unsorted; the list still loads
    this.updateExport();
    this.clearBtn.hidden = !filtered();
  }

  fillFacetSelects() {
    const t = this.t;
    const fill = (select, list, allKey, current) => {
      const names = list.map((f) => f.name);
      select.replaceChildren(option('', t(allKey), !current),
        ...list.map((f) => option(f.name, `${f.name} (${f.count})`, f.name === current)));
      // A chosen value that no product has any more still shows, so the filter is visible.
      if (current && !names.includes(current)) select.append(option(current, current, true));
    };
    fill(this.categorySel, this.facets.categories, 'catalogue.filter.allCategories', state.category);
    fill(this.supplierSel, this.facets.suppliers, 'catalogue.filter.allSuppliers', state.supplier);
  }

  renderHead() {
    const t = this.t;
    // The layout is the page's; each column's name and whether it sorts are
    // the product declaration's (GET /api/kinds, localapp/kinds.py).
    const cols = COLUMNS.map((key) => {
      const field = this.kind?.field(key);
      const label = key === 'image' ? '' : t(field?.label ?? `catalogue.field.${key.replace(/_(.)/g, (m, c) => c.toUpperCase())}`);
      return [key, label, field?.sort ? key : ''];
    });
    const desc = state.sort.startsWith('-');
    const current = state.sort.replace(/^-/, '');
    const row = h('tr');
    if (this.batch) {
      // choose every product on this page
      const all = h('input', { type: 'checkbox', id: 'cat-pick-page', 'aria-label': t('catalogue.batch.pickPage') });
      all.addEventListener('change', () => {
        for (const p of this.items || []) this.batch.toggle(p.id, all.checked);
        this.renderRows(this.items || []);
      });
      row.append(h('th', { class: 'col-pick', scope: 'col' }, all));
    }
    for (const [key, label, sortKey] of cols) {
      const th = h('th', { class: `col-${key}`, scope: 'col' });
      if (sortKey) {
        const on = current === sortKey;
        th.setAttribute('aria-sort', on ? (desc ? 'descending' : 'ascending') : 'none');
        const btn = h('button', {
          type: 'button', class: `cat-sort${on ? ' on' : ''}`, dataset: { sort: sortKey },
          title: t('catalogue.sort.hint'),
        }, label, h('span', { class: 'cat-sort-mark', 'aria-hidden': 'true', text: on ? (desc ? '▼' : '▲') : '↕' }));
        btn.addEventListener('click', () => this.sortBy(sortKey));
        th.append(btn);
      } else {
        th.textContent = label;
      }
      row.append(th);
    }
    this.thead.replaceChildren(row);
  }

  sortBy(key) {
    const current = state.sort.replace(/^-/, '');
    if (current === key) state.sort = state.sort.startsWith('-') ? key : `-${key}`;
    else state.sort = key === 'updated_at' ? '-updated_at' : key; // newest first is what one wants
    state.page = 1;
    this.renderHead();
    this.load();
  }

  clearFilters() {
    Object.assign(state, { q: '', category: '', supplier: '', min: '', max: '', page: 1 });
    this.search.value = '';
    this.minInput.value = '';
    this.maxInput.value = '';
    this.minInput.setAttribute('aria-invalid', 'false');
    this.maxInput.setAttribute('aria-invalid', 'false');
    this.fillFacetSelects();
    this.load();
  }

  updateExport() {
    const qs = listQuery(state, { paging: false });
    this.exportLink.href = `api/products/export.xlsx${qs ? `?${qs}` : ''}`;
  }

  // ---- data ------------------------------------------------------------------

  async loadFacets() {
    try {
      const facets = await this.api.get('api/products/facets', { quiet: true });
      if (this.dead) return;
      this.facets = facets;
      this.fillFacetSelects();
    } catch (err) {
      console.error(err); // the filters stay as they are; the table still works
    }
  }

  // `scanned`: what was typed before Enter. A scanner types a code and Enter: when
  // exactly one product has that SKU or barcode, it opens at once.
  async load({ scanned = '' } = {}) {
    const seq = ++this.seq;
    this.updateExport();
    this.clearBtn.hidden = !filtered();
    this.table.classList.add('busy');
    let data;
    try {
      data = await this.api.get(`api/products?${listQuery()}`);
    } catch {
      if (seq === this.seq && !this.dead) this.table.classList.remove('busy');
      return;
    }
    if (seq !== this.seq || this.dead) return; // a newer query is on its way
    this.table.classList.remove('busy');
    const pages = Math.max(1, Math.ceil(data.total / state.perPage));
    if (state.page > pages && data.total > 0) {
      state.page = pages;
      this.load();
      return;
    }
    this.renderRows(data.items);
    this.renderFoot(data.total, pages);
    const code = scanned.toLowerCase();
    const exact = code ? data.items.filter((p) => (p.sku || '').toLowerCase() === code || p.barcode === code) : [];
    if (exact.length === 1) this.openProduct(exact[0].id);
  }

  renderRows(items) {
    const t = this.t;
    this.items = items;
    this.tbody.replaceChildren(...items.map((p) => {
      const pick = this.batch ? h('td', { class: 'col-pick' }, h('input', {
        type: 'checkbox', 'aria-label': t('catalogue.batch.pick', { name: p.name }), checked: this.batch.chosen.has(p.id),
        onclick: (e) => e.stopPropagation(), onchange: (e) => this.batch.toggle(p.id, e.target.checked),
      })) : null;
      const thumb = p.images?.length
        ? h('img', { class: 'cat-thumb-sm', src: `api/images/${encodeURIComponent(p.images[0])}/thumb`, alt: '', loading: 'lazy' })
        : h('span', { class: 'cat-thumb-sm cat-thumb-none', 'aria-hidden': 'true' });
      const tr = h('tr', { tabindex: '0', dataset: { id: p.id }, title: t('catalogue.table.open') },
        pick,
        h('td', { class: 'col-image' }, thumb),
        h('td', { class: 'col-sku mono', text: p.sku || '—' }),
        h('td', { class: 'col-name' }, h('span', { class: 'cat-name', text: p.name }),
          // the spec under the name where the spec column has no room (a phone)
          p.spec ? h('small', { class: 'cat-name-spec muted', text: p.spec }) : null,
          (p.tags || []).slice(0, 3).map((tag) => h('span', { class: 'cat-tag', text: tag }))),
        h('td', { class: 'col-category', text: p.category || '' }),
        h('td', { class: 'col-spec', text: p.spec || '' }),
        h('td', { class: 'col-unit', text: p.unit || '' }),
        h('td', { class: 'col-price num' }, p.customer_price
          ? [h('span', { class: 'cat-customer-price', text: money(p.customer_price.price, p.currency) }),
            h('small', { class: 'cat-price-source muted', text: ` ${t(`catalogue.quote.source.${p.customer_price.source}`)}` })]
          : money(p.price, p.currency)),
        h('td', { class: 'col-supplier', text: p.supplier || '' }),
        h('td', { class: 'col-updated_at muted', text: dateTime(p.updated_at) }));
      tr.addEventListener('click', () => this.openProduct(p.id));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.openProduct(p.id); });
      return tr;
    }));
    const none = items.length === 0;
    this.table.hidden = none;
    this.empty.hidden = !none;
    if (none) this.renderEmpty();
  }

  renderEmpty() {
    const t = this.t;
    if (filtered()) {
      const clear = h('button', { type: 'button', class: 'btn', text: t('catalogue.filter.clear') });
      clear.addEventListener('click', () => this.clearFilters());
      this.empty.replaceChildren(
        h('h2', { text: t('catalogue.empty.noMatch') }),
        h('p', { class: 'muted', text: t('catalogue.empty.noMatchHint') }),
        h('div', { class: 'cat-empty-actions' }, clear));
      return;
    }
    const actions = [];
    if (!this.readonly) {
      const create = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.newProduct') });
      create.addEventListener('click', () => this.drawer.openNew());
      actions.push(h('a', { class: 'btn btn-primary', href: '#/catalogue/import', text: t('catalogue.action.importFirst') }), create);
    }
    this.empty.replaceChildren(
      h('h2', { text: t('catalogue.empty.title') }),
      h('p', { class: 'muted', text: t(this.readonly ? 'catalogue.empty.readonly' : 'catalogue.empty.body') }),
      h('div', { class: 'cat-empty-actions' }, actions));
  }

  renderFoot(total, pages) {
    const t = this.t;
    this.summary.textContent = t(filtered() ? 'catalogue.table.summaryFiltered' : 'catalogue.table.summary',
      { total: number(total) });
    const prev = h('button', { type: 'button', class: 'btn cat-btn-sm', id: 'cat-prev', text: t('catalogue.pager.prev'), disabled: state.page <= 1 });
    const next = h('button', { type: 'button', class: 'btn cat-btn-sm', id: 'cat-next', text: t('catalogue.pager.next'), disabled: state.page >= pages });
    prev.addEventListener('click', () => { state.page -= 1; this.load(); });
    next.addEventListener('click', () => { state.page += 1; this.load(); });
    const per = h('select', { class: 'cat-input cat-input-sm', 'aria-label': t('catalogue.pager.perPage') },
      PER_PAGE.map((n) => option(String(n), t('catalogue.pager.perPageN', { n }), n === state.perPage)));
    per.addEventListener('change', () => { state.perPage = Number(per.value); state.page = 1; this.load(); });
    this.pager.replaceChildren(per, prev,
      h('span', { class: 'cat-page-no', text: t('catalogue.pager.page', { page: state.page, pages }) }), next);
    this.pager.hidden = total === 0;
  }
}
