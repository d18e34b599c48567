// Money and dates for display. The server sends every amount as an integer
// number of cents (fen); text is built from the integer so no float ever
// rounds a price. Dates arrive as ISO strings in UTC.

import { currentLang } from '../i18n.js';

const SYMBOLS = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥', GBP: '£' };

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// 125099 -> "1,250.99"; null/undefined -> "".
export function centsText(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  const n = Number(cents);
  if (!Number.isFinite(n)) return String(cents);
  const neg = n < 0;
  const abs = Math.abs(Math.trunc(n));
  const text = `${group(String(Math.floor(abs / 100)))}.${String(abs % 100).padStart(2, '0')}`;
  return neg ? `-${text}` : text;
}

// 125099, "CNY" -> "¥1,250.99"
export function money(cents, currency = 'CNY') {
  if (cents === null || cents === undefined) return '—';
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  return `${symbol}${centsText(cents)}`;
}

// "12.5" / "¥1,299" -> 1250 / 129900; "" -> null; anything else -> NaN.
export function parseYuan(text) {
  const s = String(text ?? '').trim().replace(/^[¥￥]/, '').replace(/,/g, '');
  if (!s) return null;
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

// Cents as a number of yuan, for chart axes only (display, never stored).
export function yuan(cents) {
  return Number(cents) / 100;
}

function locale() {
  return currentLang() === 'en' ? 'en-GB' : 'zh-CN';
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(d);
}

// "11/23 12:37": for labels where the year is clear from context.
export function shortDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
}

export function monthDay(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { month: '2-digit', day: '2-digit' }).format(d);
}

export function dateOnly(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function number(n) {
  return new Intl.NumberFormat(locale()).format(Number(n) || 0);
}

export function bytes(n) {
  const v = Number(n) || 0;
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${(v / 1024 / 1024).toFixed(1)} MB`;
}
