// The statistics page (#/stats): count cards and four charts from
// GET /api/statistics — order totals by month, top products by amount,
// average price by category and the price changes of the last 30 days.
// Charts come from the bundled Chart.js (ui/vendor/), so the page works
// offline. Registered from ../catalogue/main.js (one module in index.html).

import { registerView } from '../app.js';
import { loadChart, PALETTE } from '../catalogue/charts.js';
import { ensureStylesheet, h } from '../catalogue/dom.js';
import { dateOnly, dateTime, monthDay, money, number, yuan } from '../catalogue/format.js';

const UP = '#d92d20'; // in China red means "went up", as on a stock board
const DOWN = '#079455';

function short(text, n = 14) {
  const s = String(text ?? '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// A tooltip title for one product row: its name and SKU.
function nameAndSku(r) {
  return [r.name, r.sku].filter(Boolean).join(' · ');
}

// Bar labels that tell the bars apart (issue 18, defect 6: two products named
// 活动扳手 made two bars labelled alike). A name that repeats gets its SKU (or
// spec); a label still repeated (one product changed twice a day) gets its time,
// then a number.
function distinctLabels(rows, base, extra = () => []) {
  const names = rows.map((r) => short(r.name || r.sku, 12));
  const products = new Map(); // shown name -> the products (SKUs) behind it
  rows.forEach((r, i) => products.set(names[i], new Set([...(products.get(names[i]) || []), r.sku || r.spec || ''])));
  const labels = rows.map((r, i) => [products.get(names[i]).size > 1 ? `${names[i]}（${r.sku || r.spec || ''}）` : names[i], ...base(r)].join(' · '));
  const again = new Map();
  labels.forEach((l) => again.set(l, (again.get(l) || 0) + 1));
  const count = new Map();
  return labels.map((l, i) => {
    if (again.get(l) < 2) return l;
    const more = [l, ...extra(rows[i])].join(' ');
    count.set(more, (count.get(more) || 0) + 1);
    return count.get(more) > 1 ? `${more} #${count.get(more)}` : more;
  });
}

function timeOf(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

// The chosen days, kept while the page lives (a language switch redraws it).
const range = { from: '', to: '' };

class StatsView {
  constructor(el, ctx) {
    this.el = el;
    this.t = ctx.t;
    this.api = ctx.api;
    this.readonly = !ctx.session?.authenticated;
    this.charts = [];
    this.dead = false;
  }

  unmount() {
    this.dead = true;
    this.destroyCharts();
  }

  // The days the orders and price changes are counted over (GET /api/statistics?from&to).
  rangeControls() {
    const t = this.t;
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const now = new Date();
    const presets = {
      all: ['', ''],
      month: [iso(new Date(now.getFullYear(), now.getMonth(), 1)), iso(now)],
      lastMonth: [iso(new Date(now.getFullYear(), now.getMonth() - 1, 1)), iso(new Date(now.getFullYear(), now.getMonth(), 0))],
      days30: [iso(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 29)), iso(now)],
      year: [iso(new Date(now.getFullYear(), 0, 1)), iso(now)],
    };
    const chosen = Object.entries(presets).find(([, [a, b]]) => a === range.from && b === range.to)?.[0] || 'custom';
    const preset = h('select', { class: 'cat-input', id: 'stats-range', 'aria-label': t('stats.range.label') },
      [...Object.keys(presets), 'custom'].map((k) => h('option', { value: k, text: t(`stats.range.${k}`), selected: k === chosen })));
    const from = h('input', { type: 'date', class: 'cat-input', id: 'stats-from', value: range.from, 'aria-label': t('stats.range.from') });
    const to = h('input', { type: 'date', class: 'cat-input', id: 'stats-to', value: range.to, 'aria-label': t('stats.range.to') });
    const apply = () => { this.mount(); };
    preset.addEventListener('change', () => {
      if (preset.value === 'custom') return;
      [range.from, range.to] = presets[preset.value];
      apply();
    });
    for (const [input, key] of [[from, 'from'], [to, 'to']]) {
      input.addEventListener('change', () => { range[key] = input.value; apply(); });
    }
    return h('span', { class: 'stats-range' }, preset, from, h('span', { text: '–' }), to);
  }

  destroyCharts() {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  async mount() {
    const t = this.t;
    this.el.replaceChildren(h('div', { class: 'stats', id: 'stats' },
      h('div', { class: 'stats-head' }, h('h1', { text: t('stats.title') })),
      h('p', { class: 'muted', text: t('stats.loading') })));
    let data;
    let Chart;
    try {
      const q = new URLSearchParams(Object.entries(range).filter(([, v]) => v));
      [data, Chart] = await Promise.all([this.api.get(`api/statistics${q.size ? `?${q}` : ''}`), loadChart().catch((err) => {
        console.error(err);
        return null;
      })]);
    } catch {
      if (!this.dead) this.el.querySelector('.stats p').textContent = t('stats.failed');
      return;
    }
    if (this.dead) return;
    this.render(data, Chart);
  }

  render(data, Chart) {
    const t = this.t;
    this.destroyCharts();
    const c = data.counts;
    const refresh = h('button', { type: 'button', class: 'btn cat-btn-sm', id: 'stats-refresh', text: t('stats.refresh') });
    refresh.addEventListener('click', () => this.mount());
    const card = (key, value, href) => h(href ? 'a' : 'div', { class: 'card stats-count', href, dataset: { count: key } },
      h('div', { class: 'stats-count-n', text: value }), h('div', { class: 'stats-count-label', text: t(`stats.count.${key}`) }));
    const root = h('div', { class: 'stats', id: 'stats' },
      h('div', { class: 'stats-head' }, h('h1', { text: t('stats.title') }),
        h('span', { class: 'muted cat-small', text: t('stats.generated', { at: dateTime(data.generated_at) }) }),
        h('span', { class: 'cat-spacer' }), this.rangeControls(), refresh),
      h('div', { class: 'stats-counts' },
        card('products', number(c.products), '#/catalogue'),
        card('categories', number(c.categories)),
        card('suppliers', number(c.suppliers)),
        card('orders', number(c.orders), '#/catalogue/orders'),
        card('priceChanges', number(data.price_changes?.count ?? 0))));

    if (!c.products && !c.orders) {
      root.append(h('section', { class: 'card empty-state', id: 'stats-empty' },
        h('h1', { text: t('stats.empty.title') }),
        h('p', { text: t('stats.empty.body') }),
        this.readonly ? null : h('p', { class: 'cat-empty-actions' },
          h('a', { class: 'btn btn-primary', href: '#/catalogue/import', text: t('stats.empty.import') }),
          h('a', { class: 'btn', href: '#/catalogue/orders', text: t('stats.empty.orders') }))));
      this.el.replaceChildren(root);
      return;
    }
    if (!Chart) {
      root.append(h('div', { class: 'form-error', text: t('catalogue.chart.missing') }));
      this.el.replaceChildren(root);
      return;
    }
    const panels = [
      this.panel('months', data.orders_by_month?.length ? null : 'stats.none.months', '#/catalogue/orders'),
      this.panel('top', data.top_products?.length ? null : 'stats.none.top', '#/catalogue/orders'),
      this.panel('categories', data.average_price_by_category?.length ? null : 'stats.none.categories', '#/catalogue/import'),
      this.panel('changes', data.price_changes?.items?.length ? null : 'stats.none.changes', '#/catalogue'),
    ];
    root.append(h('div', { class: 'stats-grid' }, panels.map((p) => p.el)));
    this.el.replaceChildren(root);
    const [months, top, categories, changes] = panels;
    if (months.canvas) this.monthsChart(Chart, months.canvas, data.orders_by_month);
    if (top.canvas) this.topChart(Chart, top.canvas, data.top_products);
    if (categories.canvas) this.categoriesChart(Chart, categories.canvas, data.average_price_by_category);
    if (changes.canvas) this.changesChart(Chart, changes.canvas, data.price_changes);
  }

  panel(key, emptyKey, href) {
    const t = this.t;
    const canvas = emptyKey ? null : h('canvas', { id: `stats-chart-${key}`, role: 'img', 'aria-label': t(`stats.chart.${key}`) });
    const el = h('section', { class: 'card stats-panel', dataset: { chart: key } },
      h('h2', { text: t(`stats.chart.${key}`) }),
      h('p', { class: 'muted cat-small', text: t(`stats.chart.${key}.hint`) }),
      canvas
        ? h('div', { class: 'stats-canvas' }, canvas)
        : h('div', { class: 'stats-none' }, h('p', { class: 'muted', text: t(emptyKey) }),
          this.readonly ? null : h('a', { class: 'btn cat-btn-sm', href, text: t(`${emptyKey}.action`) })));
    return { el, canvas };
  }

  add(chart) {
    this.charts.push(chart);
  }

  monthsChart(Chart, canvas, rows) {
    const t = this.t;
    this.add(new Chart(canvas, {
      data: {
        labels: rows.map((r) => r.month),
        datasets: [
          { type: 'bar', label: t('stats.series.total'), data: rows.map((r) => yuan(r.total)), backgroundColor: PALETTE[0], borderRadius: 4, maxBarThickness: 56, yAxisID: 'y', order: 2 },
          { type: 'line', label: t('stats.series.count'), data: rows.map((r) => r.count), borderColor: PALETTE[2], backgroundColor: PALETTE[2], yAxisID: 'y1', order: 1, pointRadius: 3 },
        ],
      },
      options: {
        interaction: { mode: 'index', intersect: false },
        plugins: {
          tooltip: { callbacks: { label: (i) => (i.dataset.yAxisID === 'y' ? `${i.dataset.label}: ${money(Math.round(i.parsed.y * 100))}` : `${i.dataset.label}: ${number(i.parsed.y)}`) } },
        },
        scales: {
          y: { beginAtZero: true, ticks: { callback: (v) => money(Math.round(v * 100)).replace(/\.00$/, '') } },
          y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
        },
      },
    }));
  }

  topChart(Chart, canvas, rows) {
    const t = this.t;
    const labels = distinctLabels(rows, () => []);
    // the bars' names for a screen reader (and a test), as the chart shows them
    canvas.setAttribute('aria-label', `${t('stats.chart.top')}: ${labels.join('、')}`);
    this.add(new Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [{ label: t('stats.series.amount'), data: rows.map((r) => yuan(r.amount)), backgroundColor: PALETTE[1], borderRadius: 4, maxBarThickness: 26 }],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (items) => nameAndSku(rows[items[0].dataIndex]),
            label: (i) => { const r = rows[i.dataIndex]; return `${money(r.amount)} · ${t('stats.series.qty')} ${r.qty} · ${t('stats.series.lines', { n: r.lines })}`; },
          } },
        },
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => money(Math.round(v * 100)).replace(/\.00$/, '') } } },
      },
    }));
  }

  categoriesChart(Chart, canvas, rows) {
    const t = this.t;
    this.add(new Chart(canvas, {
      type: 'bar',
      data: {
        labels: rows.map((r) => short(r.category || t('stats.uncategorised'), 10)),
        datasets: [{ label: t('stats.series.average'), data: rows.map((r) => yuan(r.average)), backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]), borderRadius: 4, maxBarThickness: 56 }],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (i) => `${t('stats.series.average')}: ${money(rows[i.dataIndex].average)} · ${t('stats.series.products', { n: rows[i.dataIndex].count })}` } },
        },
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => money(Math.round(v * 100)).replace(/\.00$/, '') } } },
      },
    }));
  }

  changesChart(Chart, canvas, changes) {
    const t = this.t;
    // Newest first from the server; the chart shows the latest dozen as a
    // percentage (a ¥2 rise means more on a ¥5 part than on a ¥500 one).
    const rows = changes.items.slice(0, 12);
    const pct = (r) => (r.old_price ? ((r.new_price - r.old_price) / r.old_price) * 100 : 0);
    const labels = distinctLabels(rows, (r) => [monthDay(r.at)], (r) => [timeOf(r.at)]);
    canvas.setAttribute('aria-label', `${t('stats.chart.changes')}: ${labels.join('、')}`);
    this.add(new Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [{
          label: t('stats.series.change'),
          data: rows.map((r) => Math.round(pct(r) * 10) / 10),
          backgroundColor: rows.map((r) => (r.new_price >= r.old_price ? UP : DOWN)),
          borderRadius: 4,
          maxBarThickness: 26,
        }],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (items) => nameAndSku(rows[items[0].dataIndex]),
            label: (i) => { const r = rows[i.dataIndex]; return `${money(r.old_price)} → ${money(r.new_price)} (${i.parsed.x > 0 ? '+' : ''}${i.parsed.x}%) · ${dateOnly(r.at)}`; },
          } },
        },
        scales: { x: { ticks: { callback: (v) => `${v}%` } } },
      },
    }));
  }
}

registerView('stats', {
  render(el, ctx) {
    const view = new StatsView(el, ctx);
    ensureStylesheet('css/catalogue.css').then(() => { if (!view.dead) view.mount(); });
    return () => view.unmount();
  },
});
