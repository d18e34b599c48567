// The schedule pages use the shared DOM helpers (ui/js/dom.js).
export { debounce, ensureStylesheet, escapeHtml, h, option } from '../dom.js';
