// The import wizard: choose a price list (xlsx, xls, csv) -> check which
// column holds which field (the server's dry run guesses from the headers;
// the user can change any choice) -> preview what would happen, with every
// problem by row and column -> import, all or nothing (or only the good rows
// when the user says so). Every step is POST /api/products/import; without
// dry_run=1 it commits. Uploads show their progress, then a busy bar while
// the server reads the sheet.

import { showError } from '../api.js';
import { add, h, option, progressBar } from './dom.js';
import { bytes, money, number } from './format.js';
import { upload } from './upload.js';

const ACCEPT = '.xlsx,.xls,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel,text/csv';
const REQUIRED = ['name', 'price'];
const STEPS = ['upload', 'mapping', 'preview', 'done'];
const ERROR_CODES = ['required', 'negative', 'not_a_number', 'too_many_decimals', 'too_large', 'too_long',
  'duplicate_sku', 'duplicate_name', 'ambiguous_name', 'invalid_currency', 'control_characters', 'not_text', 'too_many',
  'not_positive', 'duplicate_product', 'barcode_format', 'barcode_check'];

// Kept between renders, so a language switch or a look at the products does
// not throw the chosen file and the preview away.
const wiz = { step: 'upload', file: null, report: null, columns: [], fields: [], mapping: {}, reportMapping: null, skipErrors: false, result: null, notice: '' };

function reset() {
  Object.assign(wiz, { step: 'upload', file: null, report: null, columns: [], fields: [], mapping: {}, reportMapping: null, skipErrors: false, result: null, notice: '' });
}

function letter(i) {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

// A row's problem in the page's language, with the values it names (the SKU as
// the file wrote it, the other rows, a limit); the server's English reason only
// for a code the page does not know.
export function errorReason(t, e) {
  const key = `catalogue.importError.${e.code}`;
  return ERROR_CODES.includes(e.code) ? t(key, { value: '', rows: '', max: '', ...(e.params || {}) }) : e.reason;
}

export class ImportWizard {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = ctx.t;
    this.el = ctx.el;
    this.readonly = !ctx.session?.authenticated;
    this.dead = false;
    this.request = null;
  }

  mount() {
    this.render();
  }

  unmount() {
    this.dead = true;
    // Leaving while the server works: let it finish (a commit is all or
    // nothing anyway); only the page's progress display goes away.
  }

  render() {
    if (this.dead) return;
    const t = this.t;
    if (this.readonly) {
      this.el.replaceChildren(h('section', { class: 'card empty-state' },
        h('h1', { text: t('catalogue.import.title') }), h('p', { text: t('catalogue.import.readonly') })));
      return;
    }
    const at = STEPS.indexOf(wiz.step);
    const steps = h('ol', { class: 'cat-steps', id: 'cat-import-steps' }, STEPS.map((s, i) => h('li', {
      class: i < at ? 'done' : i === at ? 'current' : '',
      'aria-current': i === at ? 'step' : null,
    }, h('span', { class: 'cat-step-no', text: i < at ? '✓' : String(i + 1) }), t(`catalogue.import.step.${s}`))));
    this.progress = progressBar();
    this.content = h('div', { class: 'cat-import-body' });
    this.el.replaceChildren(h('section', { class: 'card cat-import', id: 'cat-import', dataset: { step: wiz.step } },
      h('div', { class: 'cat-import-head' }, h('h2', { text: t('catalogue.import.title') }), steps),
      this.content, this.progress.el));
    ({ upload: () => this.renderUpload(), mapping: () => this.renderMapping(),
      preview: () => this.renderPreview(), done: () => this.renderDone() })[wiz.step]();
  }

  go(step) {
    wiz.step = step;
    this.render();
  }

  // ---- the server ---------------------------------------------------------------

  // POST the file (and the user's mapping) to the import route. Shows
  // progress; resolves with the answer, or rejects with ApiError.
  async send({ dryRun, mapping, skipErrors = false, quiet = false }) {
    const t = this.t;
    const form = new FormData();
    form.append('file', wiz.file, wiz.file.name);
    if (mapping) form.append('mapping', JSON.stringify(mapping));
    const qs = new URLSearchParams();
    if (dryRun) qs.set('dry_run', '1');
    if (skipErrors) qs.set('skip_errors', '1');
    const sending = t(dryRun ? 'catalogue.import.reading' : 'catalogue.import.committing');
    this.progress.set(0, t('catalogue.import.uploading', { name: wiz.file.name, size: bytes(wiz.file.size) }));
    this.setBusy(true);
    this.request = upload(`api/products/import${qs.toString() ? `?${qs}` : ''}`, form, {
      quiet,
      onProgress: (f) => this.progress.set(f),
      onSent: () => this.progress.busy(sending),
    });
    try {
      return await this.request;
    } finally {
      this.request = null;
      if (!this.dead) {
        this.progress.hide();
        this.setBusy(false);
      }
    }
  }

  setBusy(on) {
    this.el.querySelectorAll('.cat-import button, .cat-import select, .cat-import input').forEach((el) => {
      if (on) {
        el.dataset.wasDisabled = el.disabled ? '1' : '';
        el.disabled = true;
      } else {
        el.disabled = el.dataset.wasDisabled === '1';
        delete el.dataset.wasDisabled;
      }
    });
  }

  takeReport(report) {
    wiz.report = report;
    wiz.fields = report.fields;
    wiz.columns = report.columns.map((c) => ({ index: c.index, letter: c.letter, header: c.header }));
    wiz.mapping = Object.fromEntries(report.fields.map((f) => [f, null]));
    for (const c of report.columns) if (c.field) wiz.mapping[c.field] = c.index;
    wiz.reportMapping = JSON.stringify(wiz.mapping);
  }

  // ---- step 1: the file ------------------------------------------------------------

  renderUpload() {
    const t = this.t;
    const input = h('input', { type: 'file', accept: ACCEPT, id: 'cat-import-file', class: 'cat-file-hidden' });
    const choose = h('button', { type: 'button', class: 'btn btn-primary', text: t('catalogue.import.choose') });
    choose.addEventListener('click', () => input.click());
    input.addEventListener('change', () => { if (input.files[0]) this.start(input.files[0]); });
    const zone = h('div', { class: 'cat-drop', id: 'cat-import-drop' },
      h('div', { class: 'cat-drop-icon', 'aria-hidden': 'true', text: '⇪' }),
      h('p', { class: 'cat-drop-title', text: t('catalogue.import.drop') }),
      h('p', { class: 'muted', text: t('catalogue.import.formats') }),
      choose, input);
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const file = e.dataTransfer?.files?.[0];
      if (file) this.start(file);
    });
    add(this.content,
      wiz.notice ? h('div', { class: 'form-error', text: wiz.notice }) : null,
      zone,
      h('div', { class: 'cat-hint' },
        h('strong', { text: t('catalogue.import.headersTitle') }),
        h('p', { class: 'muted', text: t('catalogue.import.headers') }),
        h('a', { href: 'api/products/template.xlsx', id: 'cat-import-template', download: '导入模板-商品.xlsx', text: t('catalogue.import.template') })));
  }

  async start(file) {
    wiz.file = file;
    wiz.notice = '';
    try {
      const report = await this.send({ dryRun: true, quiet: true });
      if (this.dead) return;
      this.takeReport(report);
      this.go('mapping');
    } catch (err) {
      if (this.dead) return;
      const cols = err.body?.columns;
      if (err.status === 400 && err.fields?.header && Array.isArray(cols)) {
        // No header was recognised: the user maps the columns by hand.
        wiz.report = null;
        wiz.fields = ['sku', 'barcode', 'name', 'price', 'cost', 'wholesale', 'spec', 'unit', 'category', 'supplier', 'currency', 'tags', 'notes'];
        wiz.columns = cols.map((header, index) => ({ index, letter: letter(index), header: String(header ?? '') }));
        wiz.mapping = Object.fromEntries(wiz.fields.map((f) => [f, null]));
        wiz.reportMapping = null;
        wiz.notice = this.t('catalogue.import.noHeader');
        this.go('mapping');
        return;
      }
      wiz.file = null;
      wiz.notice = this.t('catalogue.import.failed', { reason: err.message });
      this.go('upload');
    }
  }

  // ---- step 2: columns ----------------------------------------------------------------

  renderMapping() {
    const t = this.t;
    const r = wiz.report;
    const taken = () => {
      const seen = new Map();
      for (const [f, i] of Object.entries(wiz.mapping)) if (i !== null) seen.set(i, [...(seen.get(i) || []), f]);
      return [...seen.values()].filter((fs) => fs.length > 1);
    };
    const problem = h('div', { class: 'form-error', id: 'cat-mapping-problem', role: 'alert', hidden: true });
    const next = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-import-preview', text: t('catalogue.import.toPreview') });
    const check = () => {
      const dup = taken();
      const missing = REQUIRED.filter((f) => wiz.mapping[f] === null);
      const noKey = wiz.mapping.sku === null && wiz.mapping.name === null;
      const msgs = [];
      if (dup.length) msgs.push(t('catalogue.import.mappingTwice', { fields: dup.map((fs) => fs.map((f) => t(`catalogue.field.${f}`)).join(' / ')).join('；') }));
      if (noKey) msgs.push(t('catalogue.import.mappingNoKey'));
      else if (missing.length) msgs.push(t('catalogue.import.mappingMissing', { fields: missing.map((f) => t(`catalogue.field.${f}`)).join('、') }));
      problem.textContent = msgs.join(' ');
      problem.hidden = !msgs.length;
      // A missing name or price only stops new products; the server says which rows.
      const blocked = dup.length > 0 || noKey;
      problem.classList.toggle('form-error', blocked);
      problem.classList.toggle('cat-notice', !blocked);
      next.disabled = blocked;
      return !blocked;
    };
    const rows = wiz.fields.map((f) => {
      const select = h('select', { class: 'cat-input', name: f, id: `cat-map-${f}`, 'aria-label': t(`catalogue.field.${f}`) },
        option('', t('catalogue.import.skipColumn'), wiz.mapping[f] === null),
        wiz.columns.map((c) => option(String(c.index), `${c.letter} · ${c.header || t('catalogue.import.noHeaderText')}`, wiz.mapping[f] === c.index)));
      select.addEventListener('change', () => {
        wiz.mapping[f] = select.value === '' ? null : Number(select.value);
        tr.classList.toggle('changed', wiz.reportMapping !== null && JSON.parse(wiz.reportMapping)[f] !== wiz.mapping[f]);
        check();
      });
      const tr = h('tr', { dataset: { field: f } },
        h('th', { scope: 'row' }, t(`catalogue.field.${f}`), REQUIRED.includes(f) ? h('span', { class: 'cat-required', text: ' *' }) : null,
          h('div', { class: 'muted cat-small', text: t(`catalogue.import.fieldHint.${f}`) })),
        h('td', {}, select));
      return tr;
    });
    const back = h('button', { type: 'button', class: 'btn', text: t('catalogue.import.otherFile') });
    back.addEventListener('click', () => { reset(); this.render(); });
    next.addEventListener('click', () => this.preview());
    add(this.content,
      this.fileLine(),
      wiz.notice ? h('div', { class: 'cat-notice', text: wiz.notice }) : null,
      h('p', { class: 'muted', text: t(r ? 'catalogue.import.mappingIntro' : 'catalogue.import.mappingIntroManual') }),
      h('table', { class: 'cat-table cat-mapping', id: 'cat-mapping' },
        h('thead', {}, h('tr', {}, h('th', { text: t('catalogue.import.field') }), h('th', { text: t('catalogue.import.column') }))),
        h('tbody', {}, rows)),
      problem,
      h('div', { class: 'cat-wizard-foot' }, back, h('span', { class: 'cat-spacer' }), next));
    check();
  }

  fileLine() {
    const t = this.t;
    const r = wiz.report;
    const bits = [wiz.file?.name, wiz.file ? bytes(wiz.file.size) : null];
    if (r?.sheet) bits.push(t('catalogue.import.sheet', { sheet: r.sheet }));
    if (r?.header_row) bits.push(t('catalogue.import.headerRow', { row: r.header_row }));
    if (r?.counts) bits.push(t('catalogue.import.rowCount', { n: number(r.counts.rows) }));
    return h('p', { class: 'cat-file-line' }, h('span', { class: 'cat-file-icon', 'aria-hidden': 'true', text: '▤' }), bits.filter(Boolean).join(' · '));
  }

  async preview() {
    const mappingText = JSON.stringify(wiz.mapping);
    if (wiz.report && mappingText === wiz.reportMapping) {
      this.go('preview');
      return;
    }
    try {
      const report = await this.send({ dryRun: true, mapping: wiz.mapping });
      if (this.dead) return;
      this.takeReport(report);
      wiz.notice = '';
      this.go('preview');
    } catch {
      // the toast says why; the user can change the mapping
    }
  }

  // ---- step 3: preview --------------------------------------------------------------

  renderPreview() {
    const t = this.t;
    const r = wiz.report;
    const c = r.counts;
    const cards = h('div', { class: 'cat-counts', id: 'cat-import-counts' },
      [['rows', ''], ['created', 'good'], ['updated', 'info'], ['unchanged', ''], ['errored', c.errored ? 'bad' : '']].map(([k, tone]) =>
        h('div', { class: `cat-count ${tone}`, dataset: { count: k } },
          h('div', { class: 'cat-count-n', text: number(c[k]) }),
          h('div', { class: 'cat-count-label', text: t(`catalogue.import.count.${k}`) }))));

    const errors = r.errors || [];
    const errorsBlock = errors.length
      ? h('div', { class: 'cat-import-errors' },
        h('h3', { text: t('catalogue.import.errorsTitle', { n: number(errors.length + (r.errors_truncated || 0)) }) }),
        h('div', { class: 'cat-table-scroll cat-scroll-box' },
          h('table', { class: 'cat-table cat-table-compact', id: 'cat-import-errors' },
            h('thead', {}, h('tr', {}, h('th', { class: 'num', text: t('catalogue.import.row') }), h('th', { text: t('catalogue.import.column') }), h('th', { text: t('catalogue.import.reason') }))),
            h('tbody', {}, errors.map((e) => h('tr', {},
              h('td', { class: 'num', text: String(e.row) }),
              h('td', { text: [e.letter, e.column].filter(Boolean).join(' · ') }),
              h('td', {}, h('span', { class: 'cat-bad', text: errorReason(t, e) }))))))),
        r.errors_truncated ? h('p', { class: 'muted cat-small', text: t('catalogue.import.errorsMore', { n: number(r.errors_truncated) }) }) : null)
      : h('p', { class: 'cat-good-note', text: t('catalogue.import.noErrors') });

    const actions = { created: t('catalogue.import.action.created'), updated: t('catalogue.import.action.updated'), unchanged: t('catalogue.import.action.unchanged'), error: t('catalogue.import.action.error') };
    const previewRows = r.preview || [];
    const previewBlock = h('div', {},
      h('h3', { text: t('catalogue.import.previewTitle', { n: previewRows.length }) }),
      h('div', { class: 'cat-table-scroll cat-scroll-box' },
        h('table', { class: 'cat-table cat-table-compact', id: 'cat-import-preview-rows' },
          h('thead', {}, h('tr', {}, h('th', { class: 'num', text: t('catalogue.import.row') }), h('th', { text: t('catalogue.import.result') }),
            h('th', { text: t('catalogue.field.sku') }), h('th', { text: t('catalogue.field.name') }),
            h('th', { class: 'num', text: t('catalogue.field.price') }), h('th', { class: 'num', text: t('catalogue.import.oldPrice') }))),
          h('tbody', {}, previewRows.map((p) => h('tr', { class: `act-${p.action}` },
            h('td', { class: 'num', text: String(p.row) }),
            h('td', {}, h('span', { class: `cat-badge act-${p.action}`, text: actions[p.action] || p.action })),
            h('td', { class: 'mono', text: p.sku || '' }),
            h('td', { text: p.name || '' }),
            h('td', { class: 'num', text: p.price === null || p.price === undefined ? '' : money(p.price) }),
            h('td', { class: 'num muted', text: p.old_price === null || p.old_price === undefined ? '' : money(p.old_price) })))))));

    const commit = h('button', { type: 'button', class: 'btn btn-primary', id: 'cat-import-commit' });
    const skip = h('input', { type: 'checkbox', id: 'cat-import-skip', checked: wiz.skipErrors });
    const todo = c.created + c.updated;
    const fixFirst = h('span', { class: 'muted cat-small', text: t('catalogue.import.fixFirst') });
    const update = () => {
      wiz.skipErrors = skip.checked;
      commit.textContent = t('catalogue.import.commit', { n: number(todo) });
      commit.disabled = todo === 0 || (c.errored > 0 && !skip.checked);
      fixFirst.hidden = !(c.errored > 0 && !skip.checked);
    };
    skip.addEventListener('change', update);
    update();
    commit.addEventListener('click', () => this.commit());
    const back = h('button', { type: 'button', class: 'btn', text: t('catalogue.import.backToMapping') });
    back.addEventListener('click', () => this.go('mapping'));

    add(this.content,
      this.fileLine(),
      cards,
      // total rows (合计, 小计 ...) under the products were left out, not imported
      r.skipped?.length
        ? h('p', { class: 'muted cat-small', id: 'cat-import-skipped', text: t('catalogue.import.skippedTotals', { rows: r.skipped.map((x) => x.row).join('、'), text: r.skipped[0].text }) })
        : null,
      errorsBlock,
      c.errored ? h('label', { class: 'cat-check' }, skip, t('catalogue.import.skipErrors', { bad: number(c.errored), good: number(todo) })) : null,
      todo === 0 && !c.errored ? h('p', { class: 'cat-notice', text: t('catalogue.import.nothingToDo') }) : null,
      previewBlock,
      h('div', { class: 'cat-wizard-foot' }, back, h('span', { class: 'cat-spacer' }),
        fixFirst, commit));
  }

  async commit() {
    try {
      const result = await this.send({ dryRun: false, mapping: wiz.mapping, skipErrors: wiz.skipErrors, quiet: true });
      if (this.dead) return;
      wiz.result = result;
      this.go('done');
    } catch (err) {
      if (this.dead) return;
      if (err.body?.report) {
        // The sheet changed meaning since the preview (e.g. someone else added
        // one of these SKUs): show the fresh report.
        this.takeReport(err.body.report);
        this.go('preview');
      }
      showError(err);
    }
  }

  // ---- step 4: done ---------------------------------------------------------------------

  renderDone() {
    const t = this.t;
    const c = wiz.result.counts;
    const again = h('button', { type: 'button', class: 'btn', id: 'cat-import-again', text: t('catalogue.import.again') });
    again.addEventListener('click', () => { reset(); this.render(); });
    this.content.append(h('div', { class: 'cat-done', id: 'cat-import-done' },
      h('div', { class: 'cat-done-icon', 'aria-hidden': 'true', text: '✓' }),
      h('h3', { text: t('catalogue.import.doneTitle') }),
      h('p', { text: t('catalogue.import.doneBody', { file: wiz.result.file || wiz.file?.name || '', created: number(c.created), updated: number(c.updated), unchanged: number(c.unchanged), skipped: number(c.errored) }) }),
      h('div', { class: 'cat-empty-actions' }, h('a', { class: 'btn btn-primary', href: '#/catalogue', text: t('catalogue.import.viewProducts') }), again)));
  }
}
