// The sign-in page: posts the form to api/login, then opens the app at the
// section the user came from (?next=#/catalogue).

import { ApiError, api, errorText, loadSession } from './api.js';
import { initI18n, otherLang, setLang, t } from './i18n.js';

function nextUrl() {
  const next = new URLSearchParams(location.search).get('next') || '';
  // Only a hash inside the app: never an address elsewhere.
  return /^#\/[\w\-/%]*$/.test(next) ? `./${next}` : './';
}

async function start() {
  await initI18n();
  document.getElementById('lang-switch').addEventListener('click', () => setLang(otherLang()));
  try {
    const session = await loadSession();
    if (session.authenticated) {
      location.replace(nextUrl());
      return;
    }
  } catch {
    // shown as a toast; the form stays usable once the server is back
  }
  document.body.classList.remove('loading');

  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  const submit = document.getElementById('login-submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = t('login.busy');
    try {
      await api.post('api/login', {
        username: form.username.value.trim(),
        password: form.password.value,
      }, { quiet: true, noRedirect: true });
      location.replace(nextUrl());
    } catch (err) {
      error.textContent = err instanceof ApiError && err.code === 'invalid'
        ? t('login.missing') : errorText(err);
      error.hidden = false;
      form.password.select();
    } finally {
      submit.disabled = false;
      submit.textContent = t('login.submit');
    }
  });
}

start();
