// The shell: top navigation, signed-in user, language switch, and a view per
// section chosen by the URL hash (#/schedule, #/catalogue/..., #/stats).
//
// Later issues add one module per app and list it in index.html:
//
//   import { registerView } from './app.js';
//   registerView('schedule', {
//     render(el, ctx) { ... }   // el: the emptied <main>; ctx: { api, t, session, params }
//                               // may return a cleanup function, called before the next view
//   });
//
// A section with no registered view shows a short description instead.
// Views re-render when the language changes.

import { api, loadSession, loginUrl, showError } from './api.js';
import { applyI18n, initI18n, otherLang, setLang, t } from './i18n.js';
import { startLive } from './live.js';

export const SECTIONS = ['schedule', 'catalogue', 'stats'];
const views = new Map();
let session = null;
let cleanup = null;
let started = false;

export function registerView(name, view) {
  views.set(name, view);
  if (started && currentRoute().name === name) render();
}

export function getSession() {
  return session;
}

function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || SECTIONS[0], params: parts.slice(1) };
}

function placeholder(el, name) {
  const known = SECTIONS.includes(name);
  const card = document.createElement('section');
  card.className = 'card empty-state';
  const title = document.createElement('h1');
  title.textContent = t(known ? `view.${name}.title` : 'view.unknown.title');
  const body = document.createElement('p');
  body.textContent = t(known ? `view.${name}.body` : 'view.unknown.body');
  card.append(title, body);
  el.append(card);
}

function render() {
  const { name, params } = currentRoute();
  document.querySelectorAll('#nav a[data-view]').forEach((a) => {
    const on = a.dataset.view === name;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.body.dataset.titleKey = SECTIONS.includes(name) ? `nav.${name}` : '';
  applyI18n();
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (err) { console.error(err); }
  }
  cleanup = null;
  const main = document.getElementById('view');
  main.replaceChildren();
  const view = views.get(name);
  if (!view) {
    placeholder(main, name);
    return;
  }
  try {
    cleanup = view.render(main, { api, t, session, params });
  } catch (err) {
    console.error(err);
    showError(err);
  }
}

function showUser() {
  const name = document.getElementById('user-name');
  const logout = document.getElementById('logout');
  const login = document.getElementById('login-link');
  if (session.authenticated) {
    name.textContent = t('user.signedInAs', { name: session.user.name });
  } else {
    name.textContent = t('user.guest');
  }
  // The desktop app has no accounts to switch: its window is the sign-in.
  const desktop = session.mode === 'desktop';
  logout.hidden = !session.authenticated || desktop;
  login.hidden = session.authenticated || desktop;
}

async function logout() {
  try {
    await api.post('api/logout');
  } finally {
    location.replace('login.html');
  }
}

async function start() {
  // The session is asked for while the strings load; a failure is shown once
  // they have (the toast is in the user's language).
  const asked = loadSession({ quiet: true });
  asked.catch(() => {});
  await initI18n();
  try {
    session = await asked;
  } catch (err) {
    showError(err);
    document.body.classList.remove('loading');
    return;
  }
  if (!session.authenticated && !session.public_read) {
    location.replace(loginUrl());
    return;
  }
  const langButton = document.getElementById('lang-switch');
  langButton.addEventListener('click', () => setLang(otherLang()));
  document.getElementById('logout').addEventListener('click', logout);
  document.addEventListener('langchange', () => { showUser(); render(); });
  window.addEventListener('hashchange', render);
  // Records changed by a sync: show them, unless the user is busy in a dialog
  // or the product drawer (their form must not be thrown away).
  let syncedWhileBusy = false;
  const busy = () => document.querySelector('dialog[open], #cat-drawer');
  document.addEventListener('syncchange', () => {
    if (busy()) syncedWhileBusy = true; else render();
  });
  // Someone else's edit (live.js): views that refresh in place take it first.
  window.addEventListener('datachange', (e) => {
    if (e.defaultPrevented) return;
    if (busy()) syncedWhileBusy = true; else render();
  });
  if (session.authenticated || session.public_read) startLive();
  document.addEventListener('close', () => {
    if (syncedWhileBusy && !busy()) { syncedWhileBusy = false; render(); }
  }, true);
  showUser();
  started = true;
  render();
  document.body.classList.remove('loading');
  reportPainted();
}

// <html data-painted="yes"> once the first view has been through a frame: a
// window or a test that must not capture a blank screen waits for it.
function reportPainted() {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    document.documentElement.dataset.painted = 'yes';
  }));
}

// Module scripts run before DOMContentLoaded, so every view module listed in
// index.html has registered itself by the time the shell first renders.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
