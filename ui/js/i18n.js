// Translations: every UI string lives in i18n/<lang>.json, one file per
// language. Chinese is the default; the choice is kept in localStorage.
//
//   t('nav.schedule')                 -> "项目排期"
//   t('user.signedInAs', {name: 'a'}) -> "当前用户：a"
//   <span data-i18n="nav.schedule"></span>   filled by applyI18n()
//   data-i18n-placeholder / data-i18n-title / data-i18n-aria-label for attributes
//
// Changing language fires a `langchange` event on document so views re-render.

export const LANGS = ['zh-CN', 'en'];
export const DEFAULT_LANG = 'zh-CN';
const STORAGE_KEY = 'localapp.lang';

let strings = {};
let lang = DEFAULT_LANG;

function savedLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(saved) ? saved : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage disabled: use the default, do not fail
  }
}

async function load(next) {
  const res = await fetch(`i18n/${next}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`cannot load i18n/${next}.json (${res.status})`);
  strings = await res.json();
  lang = next;
  document.documentElement.lang = next;
}

export function currentLang() {
  return lang;
}

export async function initI18n() {
  await load(savedLang());
  applyI18n();
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(strings, key);
}

export function t(key, params = {}) {
  const text = has(key) ? strings[key] : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

const ATTRS = [
  ['i18nPlaceholder', 'placeholder'],
  ['i18nTitle', 'title'],
  ['i18nAriaLabel', 'aria-label'],
];

export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  for (const [prop, attr] of ATTRS) {
    root.querySelectorAll(`[data-i18n-${attr}]`).forEach((el) => el.setAttribute(attr, t(el.dataset[prop])));
  }
  if (root === document && has('app.title')) {
    document.title = document.body?.dataset.titleKey
      ? `${t(document.body.dataset.titleKey)} · ${t('app.title')}`
      : t('app.title');
  }
}

export async function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  await load(next);
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // storage disabled: the switch still works for this page
  }
  applyI18n();
  document.dispatchEvent(new CustomEvent('langchange', { detail: { lang: next } }));
}

export function otherLang() {
  return lang === 'zh-CN' ? 'en' : 'zh-CN';
}
