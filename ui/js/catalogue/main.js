// The price catalogue's entry: registers the #/catalogue view with the shell
// (ui/js/app.js) and, through ../stats/main.js, the #/stats view, so that
// index.html lists one module for both. Routes inside the catalogue:
//
//   #/catalogue                 products (table, filters, search)
//   #/catalogue/products/<id>   products with one product's drawer open
//   #/catalogue/import          the import wizard
//   #/catalogue/orders          orders: upload and list
//   #/catalogue/orders/<id>     one order's lines
//   #/catalogue/quotes          quotations (报价单); /new or /<id>: one, in its editor
//   #/catalogue/customers       customers and their price grades

import { registerView } from '../app.js';
import '../stats/main.js';
import { ensureStylesheet, h } from './dom.js';
import { ImportWizard } from './importer.js';
import { OrderDetail, OrdersPage } from './orders.js';
import { ProductsPage } from './products.js';
import { CustomersPage } from './customers.js';
import { QuoteEditor, QuotesPage } from './quotes.js';

const TABS = [
  { key: 'products', href: '#/catalogue', label: 'catalogue.tab.products' },
  { key: 'import', href: '#/catalogue/import', label: 'catalogue.tab.import' },
  { key: 'orders', href: '#/catalogue/orders', label: 'catalogue.tab.orders' },
  { key: 'quotes', href: '#/catalogue/quotes', label: 'catalogue.tab.quotes' },
  { key: 'customers', href: '#/catalogue/customers', label: 'catalogue.tab.customers' },
];

function pageFor(params) {
  const [section, id] = params;
  if (section === 'import') return { tab: 'import', make: (ctx) => new ImportWizard(ctx) };
  if (section === 'orders' && id) return { tab: 'orders', make: (ctx) => new OrderDetail(ctx, id) };
  if (section === 'orders') return { tab: 'orders', make: (ctx) => new OrdersPage(ctx) };
  if (section === 'quotes' && id) return { tab: 'quotes', make: (ctx) => new QuoteEditor(ctx, id) };
  if (section === 'quotes') return { tab: 'quotes', make: (ctx) => new QuotesPage(ctx) };
  if (section === 'customers') return { tab: 'customers', make: (ctx) => new CustomersPage(ctx) };
  if (section === 'products' && id) return { tab: 'products', make: (ctx) => new ProductsPage(ctx, id) };
  return { tab: 'products', make: (ctx) => new ProductsPage(ctx, null) };
}

registerView('catalogue', {
  render(el, ctx) {
    const { t } = ctx;
    const { tab, make } = pageFor(ctx.params);
    const body = h('div', { class: 'cat-body' });
    const root = h('div', { class: 'cat', dataset: { tab } },
      h('div', { class: 'cat-head' },
        h('h1', { class: 'cat-title', text: t('catalogue.title') }),
        h('nav', { class: 'cat-tabs', 'aria-label': t('catalogue.tab.label') },
          TABS.map((item) => h('a', {
            href: item.href,
            class: item.key === tab ? 'active' : '',
            'aria-current': item.key === tab ? 'page' : null,
            dataset: { tab: item.key },
            text: t(item.label),
          })))),
      body);
    el.append(root);
    const page = make({ ...ctx, el: body });
    let dead = false;
    // The page measures itself (table, charts), so it is built once the styles apply.
    ensureStylesheet('css/catalogue.css').then(() => { if (!dead) page.mount(); });
    return () => {
      dead = true;
      page.unmount();
    };
  },
});
