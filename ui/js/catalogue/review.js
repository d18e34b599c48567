// Working an order (issue 18): match a line to a catalogue product by search,
// correct its quantity or price, and mark the order confirmed. Every change is
// one PATCH /api/orders/<id> (with the order's revision), kept in the line's
// history on the server, and synced like any other edit.

import { errorText } from '../api.js';
import { debounce, h, openDialog } from './dom.js';
import { centsText, money } from './format.js';

// PATCH the order; resolves with the order as the server has it now.
export async function reviseOrder(api, order, body) {
  const res = await api.patch(`api/orders/${encodeURIComponent(order.id)}`, body, { headers: { 'If-Match': String(order.rev) }, quiet: true });
  return res.order;
}

// The dialog for one line; onSaved(order) after the server took the change.
export function lineDialog({ t, api, order, line, onSaved }) {
  let chosen = null; // {id, sku, name, price}
  const search = h('input', { type: 'search', class: 'cat-input', name: 'product-search', placeholder: t('catalogue.review.searchPlaceholder'), autocomplete: 'off' });
  const results = h('div', { class: 'cat-review-results', role: 'listbox' });
  const picked = h('p', { class: 'cat-small', id: 'cat-review-picked', text: line.product_id ? t('catalogue.review.matched', { name: [line.catalogue_name, line.catalogue_sku].filter(Boolean).join(' · ') }) : t('catalogue.review.unmatched') });
  const qty = h('input', { class: 'cat-input', name: 'qty', inputmode: 'decimal', value: line.qty });
  const price = h('input', { class: 'cat-input', name: 'unit_price', inputmode: 'decimal', value: line.flags?.includes('no_price') ? '' : centsText(line.unit_price) });
  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  // remembered for the next sheet from the same customer (matched "remembered" then)
  const remember = h('input', { type: 'checkbox', name: 'remember', checked: true });
  const rememberRow = order.customer
    ? h('label', { class: 'cat-check', id: 'cat-review-remember' }, remember, t('catalogue.review.remember', { customer: order.customer }))
    : null;
  const find = debounce(async () => {
    const q = search.value.trim();
    if (!q) { results.replaceChildren(); return; }
    try {
      const res = await api.get(`api/products?q=${encodeURIComponent(q)}&per_page=8`, { quiet: true });
      results.replaceChildren(...res.items.map((p) => h('button', {
        type: 'button', class: 'cat-review-hit', role: 'option', dataset: { productId: p.id },
        text: `${p.name} · ${p.sku || '—'} · ${money(p.price, p.currency)}`,
        onclick: () => {
          chosen = p;
          picked.textContent = t('catalogue.review.willMatch', { name: `${p.name} · ${p.sku || ''}` });
          if (!price.value.trim()) price.value = centsText(p.price);
          results.replaceChildren();
        },
      })));
      if (!res.items.length) results.replaceChildren(h('p', { class: 'muted cat-small', text: t('catalogue.review.noHits') }));
    } catch (err) {
      results.replaceChildren(h('p', { class: 'form-error', text: errorText(err) }));
    }
  }, 200);
  search.addEventListener('input', find);
  const save = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-review-save', text: t('catalogue.action.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('catalogue.action.cancel') });
  const { close } = openDialog({
    title: t('catalogue.review.title', { row: line.row, name: line.name || line.sku || '' }),
    className: 'cat-review-dialog',
    body: [
      h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.review.product') }), search), results, picked, rememberRow,
      h('div', { class: 'cat-form' },
        h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.orders.qty') }), qty),
        h('label', { class: 'cat-field' }, h('span', { text: t('catalogue.orders.unitPrice') }), price)),
      h('p', { class: 'muted cat-small', text: t('catalogue.review.history') }),
      error,
    ],
    footer: [cancel, save],
  });
  cancel.addEventListener('click', close);
  save.addEventListener('click', async () => {
    const edit = { row: line.row };
    if (chosen && chosen.id !== line.product_id) {
      edit.product_id = chosen.id;
      edit.remember = Boolean(order.customer && remember.checked);
    }
    if (qty.value.trim() !== String(line.qty)) edit.qty = qty.value.trim();
    const shown = line.flags?.includes('no_price') ? '' : centsText(line.unit_price);
    if (price.value.trim() && price.value.trim() !== shown) edit.unit_price = price.value.trim();
    if (Object.keys(edit).length === 1) { close(); return; }
    save.disabled = true;
    try {
      const updated = await reviseOrder(api, order, { lines: [edit] });
      close();
      onSaved(updated);
    } catch (err) {
      const fields = Object.values(err.fields || {});
      error.textContent = fields.length ? `${errorText(err)} ${fields.join('; ')}` : errorText(err);
      error.hidden = false;
      save.disabled = false;
    }
  });
  search.focus();
}
