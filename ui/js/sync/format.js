// Text for the sync UI: relative times, counts, field names and the values
// of conflicting versions. Pure functions of their arguments (and of the
// current language), so the indicator and the panel say things the same way.

import { has, t, currentLang } from '../i18n.js';

// n items: `<key>.one` for 1 where a language has it, `<key>.other` otherwise.
export function count(key, n, params = {}) {
  const form = n === 1 && has(`${key}.one`) ? 'one' : 'other';
  return t(`${key}.${form}`, { n, ...params });
}

// "刚刚" / "3 分钟前" / "2 小时前" / "5 天前"; a time a little in the future
// (clocks differ by a few seconds) counts as now.
export function ago(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const minutes = Math.floor((now - then) / 60000);
  if (minutes < 1) return t('sync.ago.now');
  if (minutes < 60) return count('sync.ago.minutes', minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return count('sync.ago.hours', hours);
  return count('sync.ago.days', Math.floor(hours / 24));
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(d);
}

export function tableName(table) {
  return has(`sync.table.${table}`) ? t(`sync.table.${table}`) : table;
}

export function fieldName(field) {
  if (!field) return '';
  return has(`sync.field.${field}`) ? t(`sync.field.${field}`) : field;
}

// 1250 -> "¥12.50": catalogue prices are integer cents; built from the
// integer so no float rounding shows.
function yuan(cents) {
  const neg = cents < 0;
  const abs = Math.abs(Math.trunc(cents));
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}¥${whole}.${String(abs % 100).padStart(2, '0')}`;
}

// One version's value as short text: prices as yuan, lists and objects as
// compact JSON, empty values as a word rather than nothing.
export function valueText(value, { table, field } = {}) {
  if (value === null || value === undefined || value === '') return t('sync.value.empty');
  if (table === 'products' && field === 'price' && Number.isFinite(value)) return yuan(value);
  if (value === true) return t('sync.value.true');
  if (value === false) return t('sync.value.false');
  if (typeof value === 'object') {
    if (Array.isArray(value) && value.length === 0) return t('sync.value.empty');
    return JSON.stringify(value);
  }
  return String(value);
}

// Who made a version: this device, or the other one by its replica id.
export function deviceText(replica, own) {
  if (!replica) return t('sync.device.unknown');
  return replica === own ? t('sync.device.this') : t('sync.device.other', { replica });
}

// The words for an error object {code, title, message} from the server, in
// this language where we know the code, else the server's own.
export function errorTitle(error) {
  if (!error) return '';
  if (error.code && has(`sync.error.${error.code}`)) return t(`sync.error.${error.code}`);
  return error.title || t('sync.status.error');
}

// The longer words for an error: in Chinese the translation of its code (the
// server's detail is English), in English the server's own title and message.
export function errorDetail(error) {
  if (!error) return '';
  if (currentLang() !== 'en' && error.code && has(`error.${error.code}`)) {
    // Shown under its title: without the title's words again at its start.
    const text = t(`error.${error.code}`);
    const title = errorTitle(error);
    return text.startsWith(title) ? text.slice(title.length).replace(/^[。，,.\s]+/, '') : text;
  }
  return [error.title, error.message].filter(Boolean).join(' — ');
}
