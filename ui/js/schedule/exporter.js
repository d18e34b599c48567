// Exports made in the browser: tasks as CSV (UTF-8 with a byte-order mark,
// so Excel in China opens it without garbling), and the chart as a PNG or
// printed. The chart picture is one stand-alone SVG: the library's SVG with
// its computed styles written inline, plus the date header (HTML in the
// library) and the today line redrawn as SVG.

const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_CANVAS = 16000; // browsers refuse canvases much wider than this

// ---- CSV ---------------------------------------------------------------------

function csvCell(value, { text = true } = {}) {
  let s = value === null || value === undefined ? '' : String(value);
  // A text cell that starts like a formula would run as one in Excel.
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

// The columns are the task kind's exported fields (GET /api/kinds, the same
// ones and the same labels as the server's xlsx), each written by its type,
// plus the working days after the end date and the ids for re-importing.
export function tasksCsv(tasks, { t, kind, projectById, typeById, taskById }) {
  const names = { projects: projectById, task_types: typeById, tasks: taskById };
  const nameOf = (ref, id) => names[ref]?.get(id)?.name ?? id ?? '';
  // a predecessor's link when it is not plain finish-to-start: 接口开发（同时开始 +1）
  const linkText = (task, id) => {
    const link = task.links?.[id];
    if (!link || (link.type === 'FS' && !link.lag)) return '';
    return `（${t(`schedule.link.${link.type}`)}${link.lag ? ` ${link.lag > 0 ? '+' : ''}${link.lag}` : ''}）`;
  };
  const cell = (f, value, task) => {
    switch (f.type) {
      case 'ref': return csvCell(nameOf(f.ref, value));
      case 'refs': return csvCell((value || []).map((id) => nameOf(f.ref, id) + linkText(task, id)).join('; '));
      case 'bool': return csvCell(value ? t('schedule.csv.yes') : '');
      case 'int': return csvCell(value ?? 0, { text: false });
      case 'date': return csvCell(value, { text: false });
      default: return csvCell(value ?? '');
    }
  };
  const columns = [];
  for (const f of kind.exported()) {
    columns.push([t(f.label), (task) => cell(f, task[f.name], task)]);
    if (f.name === 'end') {
      columns.push([t('schedule.csv.days'), (task) => csvCell(
        Math.round((Date.parse(task.end) - Date.parse(task.start)) / 86400000) + 1, { text: false })]);
    }
  }
  // Computed by the server (GET /api/tasks), as in the xlsx export.
  columns.push([t('schedule.csv.workdays'), (task) => csvCell(Number.isInteger(task.workdays) ? task.workdays : '', { text: false })]);
  columns.push([t('schedule.csv.slack'), (task) => csvCell(Number.isInteger(task.slack) ? task.slack : '', { text: false })]);
  columns.push([t('schedule.csv.critical'), (task) => csvCell(task.critical ? t('schedule.csv.yes') : '')]);
  columns.push([t('schedule.csv.projectId'), (task) => csvCell(task.project_id)]);
  columns.push([t('schedule.csv.taskId'), (task) => csvCell(task.id)]);
  const lines = [columns.map(([title]) => csvCell(title)).join(',')];
  for (const task of tasks) lines.push(columns.map(([, value]) => value(task)).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- the chart as one SVG --------------------------------------------------------

const STYLE_PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity',
  'stroke-dasharray', 'stroke-linejoin', 'paint-order', 'opacity', 'font-family', 'font-size', 'font-weight', 'dominant-baseline',
  'text-anchor', 'visibility', 'display', 'clip-path', 'transform', 'transform-origin',
  'transform-box'];

function inlineStyles(source, copy) {
  const from = [source, ...source.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  for (let i = 0; i < from.length; i += 1) {
    const cs = getComputedStyle(from[i]);
    const parts = [];
    for (const p of STYLE_PROPS) {
      const v = cs.getPropertyValue(p);
      if (!v || (p === 'clip-path' && v === 'none')) continue;
      parts.push(`${p}:${v}`);
    }
    to[i].setAttribute('style', parts.join(';'));
    to[i].removeAttribute('class');
  }
}

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// The band above the chart in a picture: the title, and the legend under it,
// clear of the date headers (issue 17, defect 1: the title sat in the month row).
const BAND_TITLE = 30;
const BAND_LEGEND = 24;

// Width of a text in the picture's font, for laying out the legend and pills.
function textWidth(text, font) {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = font;
  return ctx.measureText(text).width;
}

// gantt: the frappe-gantt instance on screen; title: a line above the chart;
// legend: [{name, color}] under it; crop: {y, height}, the rows to show, in the
// chart's pixels (the chart draws only rows near the view; default: all).
// Returns {svg: string, width, height}.
export function chartSvg(gantt, { title = '', legend = [], crop = null } = {}) {
  const src = gantt.$svg;
  const width = gantt.dates.length * gantt.config.column_width;
  const headH = gantt.config.header_height;
  const fullH = Number(src.getAttribute('height')) || gantt.grid_height;
  const chartH = crop ? headH + crop.height : fullH;
  const band = (title ? BAND_TITLE : 0) + (legend.length ? BAND_LEGEND : 0) + (title || legend.length ? 8 : 0);
  const height = chartH + band;
  const copy = src.cloneNode(true);
  inlineStyles(src, copy);
  // The labels kept in sight while scrolling (an SVG of their own over the chart).
  const float = gantt.lgFloat;
  if (float) {
    const labels = float.cloneNode(true);
    inlineStyles(float, labels);
    labels.removeAttribute('style');
    copy.append(...labels.childNodes);
  }
  copy.querySelectorAll('animate, title, [data-export="skip"]').forEach((n) => n.remove());
  // Labels that follow the scroll position go back to where their bars start.
  copy.querySelectorAll('[data-export-x]').forEach((n) => n.setAttribute('x', n.getAttribute('data-export-x')));
  const font = getComputedStyle(gantt.$container).fontFamily;
  const out = svgEl('svg', { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}` });
  out.append(svgEl('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  if (band) {
    const top = svgEl('g', { 'font-family': font });
    if (title) top.append(svgEl('text', { x: 8, y: 21, 'font-size': 16, 'font-weight': 700, fill: '#171717' }, title));
    let x = 8;
    const y = (title ? BAND_TITLE : 0) + 16;
    for (const item of legend) {
      top.append(svgEl('rect', { x, y: y - 10, width: 12, height: 12, rx: 3, fill: item.color }));
      top.append(svgEl('text', { x: x + 17, y, 'font-size': 12, fill: '#344054' }, item.name));
      x += 17 + textWidth(item.name, `12px ${font}`) + 16;
    }
    out.append(top);
  }
  const body = svgEl('g', { transform: `translate(0 ${band})` });
  out.append(body);
  // The chosen rows move up under the header; the header covers what is above.
  const shift = crop ? crop.y - headH : 0;
  const clip = svgEl('clipPath', { id: 'lg-export-rows' });
  clip.append(svgEl('rect', { x: 0, y: headH, width, height: chartH - headH }));
  const frame = svgEl('g', { 'clip-path': 'url(#lg-export-rows)' });
  const rows = svgEl('g', { transform: `translate(0 ${-shift})` });
  frame.append(rows);
  body.append(clip, frame);
  for (const child of [...copy.childNodes]) rows.append(child);

  // The header: the library draws it as HTML above the SVG.
  const head = svgEl('g', { 'font-family': font });
  head.append(svgEl('rect', { x: 0, y: 0, width, height: headH, fill: '#ffffff' }));
  head.append(svgEl('line', { x1: 0, y1: headH - 0.5, x2: width, y2: headH - 0.5, stroke: '#c7c7c7' }));
  const upperH = gantt.options.upper_header_height;
  const lowerH = gantt.options.lower_header_height;
  const col = gantt.config.column_width;
  for (const el of gantt.$container.querySelectorAll('.upper-text')) {
    const x = parseFloat(el.style.left) || 0;
    head.append(svgEl('text', { x: x + 4, y: upperH / 2 + 5, 'font-size': 14, 'font-weight': 600, fill: '#171717' }, el.textContent));
  }
  for (const el of gantt.$container.querySelectorAll('.lower-text')) {
    const x = parseFloat(el.style.left) || 0;
    const today = el.classList.contains('current-date-highlight');
    if (today) {
      // as wide as its label needs (a week across two months is long)
      const w = Math.max(col * 0.8, textWidth(el.textContent, `12px ${font}`) + 12);
      head.append(svgEl('rect', { x: x + col / 2 - w / 2, y: upperH + 5, width: w, height: lowerH * 0.8, rx: 5, fill: '#e5484d' }));
    }
    head.append(svgEl('text', { x: x + col / 2, y: upperH + 5 + lowerH * 0.4, 'font-size': 12, 'text-anchor': 'middle', 'dominant-baseline': 'central', fill: today ? '#ffffff' : '#7c7c7c' }, el.textContent));
  }
  body.append(head); // today's line is in the chart's own grid (chart.js)
  return { svg: new XMLSerializer().serializeToString(out), width, height };
}

function svgUrl(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export async function chartPng(gantt, opts = {}) {
  const { svg, width, height } = chartSvg(gantt, opts);
  const img = new Image();
  img.decoding = 'sync';
  await new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
    img.src = svgUrl(svg);
  });
  const scale = Math.min(2, MAX_CANVAS / width, MAX_CANVAS / height);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.floor(width * scale));
  canvas.height = Math.max(1, Math.floor(height * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png');
  });
}

// Print the chart: a print-only sheet holds a title, the legend and the chart
// as an image scaled to the paper; print CSS hides everything else.
export async function printChart(gantt, { title, legend, crop = null }) {
  const { svg } = chartSvg(gantt, { crop });
  const sheet = document.createElement('div');
  sheet.className = 'sched-print-sheet';
  const h = document.createElement('h1');
  h.textContent = title;
  const img = new Image();
  img.alt = title;
  await new Promise((resolve) => {
    img.onload = resolve;
    img.onerror = resolve;
    img.src = svgUrl(svg);
  });
  sheet.append(h);
  if (legend) sheet.append(legend.cloneNode(true));
  sheet.append(img);
  document.body.append(sheet);
  document.body.classList.add('sched-printing');
  const done = () => {
    document.body.classList.remove('sched-printing');
    sheet.remove();
  };
  window.addEventListener('afterprint', done, { once: true });
  window.print();
  // print() blocks in desktop browsers; where it does not, afterprint cleans up.
  setTimeout(() => { if (!window.matchMedia('print').matches) done(); }, 1000);
}
