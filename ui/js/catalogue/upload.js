// Multipart uploads with progress. api.js uses fetch, which cannot report
// how much of a request body has been sent; a big price list or photo needs
// that, so uploads go through XMLHttpRequest here, with the same CSRF header,
// error shape (ApiError + toast) and 401 handling as api.js.

import { ApiError, loginUrl, showError } from '../api.js';
import { getSession } from '../app.js';
import { t } from '../i18n.js';

// upload('api/products/import?dry_run=1', formData, {
//   onProgress(fraction),   // 0..1 while the body is sent
//   onSent(),               // body sent; the server is working now
//   headers: {'If-Match': '3'}, quiet: false,
// }) -> Promise<the JSON answer>; .abort() on the promise cancels.
export function upload(path, formData, opts = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', path);
    xhr.responseType = 'text';
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(opts.headers || {})) xhr.setRequestHeader(name, value);
    const csrf = getSession()?.csrf;
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && opts.onProgress) opts.onProgress(e.loaded / e.total);
    });
    xhr.upload.addEventListener('load', () => opts.onSent?.());
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const e = (data && data.error) || {};
      const err = new ApiError(xhr.status, e.code || `http_${xhr.status}`,
        e.message || t('error.http', { status: xhr.status }), e.fields || {}, e);
      if (xhr.status === 401 && !opts.noRedirect) location.assign(loginUrl());
      else if (!opts.quiet) showError(err);
      reject(err);
    });
    const failed = (code, key) => () => {
      const err = new ApiError(0, code, t(key));
      if (!opts.quiet && code !== 'aborted') showError(err);
      reject(err);
    };
    xhr.addEventListener('error', failed('network', 'error.network'));
    xhr.addEventListener('abort', failed('aborted', 'catalogue.upload.aborted'));
    xhr.send(formData);
  });
  promise.abort = () => xhr.abort();
  return promise;
}
