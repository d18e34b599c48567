// The one way the UI talks to the server.
//
//   import { api } from './api.js';
//   const data = await api.get('api/projects');
//   await api.post('api/projects', { name: '新项目' });
//   await api.post(`api/products/${id}/images`, formData);   // FormData is sent as multipart
//
// Writes carry the session's CSRF token (X-CSRF-Token). An error answer
// ({"error": {"code", "message", "fields"}}) is shown to the user as a toast,
// translated by its code when i18n has `error.<code>`, and thrown as ApiError
// so a form can also mark err.fields (err.body is the whole error object). Pass { quiet: true } to skip the toast.
// A 401 sends the browser to the sign-in page unless { noRedirect: true }.
// URLs are relative (no leading slash) so the app also works under a prefix.

import { has, t } from './i18n.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.body = body; // the whole error object, e.g. a 409's `current` record
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

export function errorText(err) {
  // a translation may name values the answer carries: {number} of order_duplicate
  if (err instanceof ApiError && has(`error.${err.code}`)) return t(`error.${err.code}`, err.body || {});
  return err.message || String(err);
}

export function showError(err) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = document.createElement('div');
    box.id = 'toasts';
    box.className = 'toasts';
    box.setAttribute('role', 'alert');
    document.body.append(box);
  }
  const toast = document.createElement('div');
  toast.className = 'toast toast-error';
  const text = document.createElement('span');
  text.textContent = errorText(err);
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  close.setAttribute('aria-label', t('error.close'));
  close.textContent = '×';
  close.addEventListener('click', () => toast.remove());
  toast.append(text, close);
  box.append(toast);
  setTimeout(() => toast.remove(), 8000);
}

export function loginUrl() {
  const next = location.hash && location.hash !== '#' ? `?next=${encodeURIComponent(location.hash)}` : '';
  return `login.html${next}`;
}

async function request(method, path, body, opts = {}) {
  // opts.headers adds request headers such as If-Match; CSRF is always ours.
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let payload;
  if (body instanceof FormData || body instanceof Blob) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (cause) {
    const err = new ApiError(0, 'network', t('error.network'));
    err.cause = cause;
    if (!opts.quiet) showError(err);
    throw err;
  }
  const isJson = (res.headers.get('Content-Type') || '').includes('application/json');
  const data = res.status === 204 || !isJson ? null : await res.json().catch(() => null);
  if (res.ok) return data ?? (isJson ? null : res);

  const e = (data && data.error) || {};
  const err = new ApiError(res.status, e.code || `http_${res.status}`,
    e.message || t('error.http', { status: res.status }), e.fields || {}, e);
  if (res.status === 401 && !opts.noRedirect) {
    location.assign(loginUrl());
    throw err;
  }
  if (!opts.quiet) showError(err);
  throw err;
}

export const api = {
  request,
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body, opts),
  put: (path, body, opts) => request('PUT', path, body, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  delete: (path, opts) => request('DELETE', path, undefined, opts),
};

// The signed-in state: { authenticated, user: {name}, csrf, mode, version, public_read },
// asked once per page (the shell and the sync indicator share the answer; a
// failed request is asked again). quiet: no toast on failure.
let sessionAsked = null;
export function loadSession({ quiet = false } = {}) {
  if (!sessionAsked) {
    sessionAsked = api.get('api/session', { noRedirect: true, quiet }).then((session) => {
      setCsrf(session.csrf);
      return session;
    });
    sessionAsked.catch(() => { sessionAsked = null; });
  }
  return sessionAsked;
}
