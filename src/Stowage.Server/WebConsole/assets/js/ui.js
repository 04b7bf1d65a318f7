// DOM helpers. Every text goes in through textContent (never innerHTML), so nothing a user or a storage host
// typed can become markup.

/** h('tag.class#id', {attr: value, onclick: fn}, ...children) */
export function h(spec, attrs, ...children) {
  const [, tag, rest] = /^([a-z0-9]+)(.*)$/i.exec(spec);
  const el = tag === 'svg' || SVG_TAGS.has(tag) ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const m of rest.matchAll(/([.#])([\w-]+)/g)) {
    if (m[1] === '.') el.classList.add(m[2]); else el.id = m[2];
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) { children.unshift(attrs); attrs = null; }
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.classList.add(...String(v).split(' ').filter(Boolean));
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}
const SVG_TAGS = new Set(['polyline', 'line', 'rect', 'path', 'text', 'g', 'title', 'circle']);

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) { el.replaceChildren(); append(el, children); return el; }

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
export function humanSize(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return '–';
  let v = Number(bytes); let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]}`;
}
/** A size in human units, the exact bytes on hover. */
export const size = (bytes) => h('span.size', { title: bytes === null || bytes === undefined ? null : `${Number(bytes).toLocaleString()} bytes` }, humanSize(bytes));

const MONTHS = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
/** ZStack's wire dates ("Dec 7, 2026 2:24:10 PM", UTC) to a Date. */
export function parseDate(s) {
  const m = /^(\w{3}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(s ?? '');
  if (!m) return null;
  let hour = Number(m[4]) % 12; if (m[7] === 'PM') hour += 12;
  return new Date(Date.UTC(Number(m[3]), MONTHS[m[1]], Number(m[2]), hour, Number(m[5]), Number(m[6])));
}
/** A time in the viewer's time zone; the UTC text on hover. */
export function time(s) {
  const d = parseDate(s);
  if (!d) return h('span', s ?? '–');
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, d.toLocaleString());
}
export function ago(s) {
  const d = parseDate(s);
  if (!d) return '';
  const sec = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86400)} d ago`;
}

export const badge = (text) => h('span.badge', { class: 'b-' + String(text ?? '').toLowerCase() }, text ?? '–');

/** The API's error as description + details (+ code), as the issue asks. */
export function errorBox(err) {
  return h('div.error', { role: 'alert' },
    h('strong', err.description || 'Error'), err.code ? h('span.code', ` (${err.code})`) : null,
    err.details ? h('div.details', err.details) : null);
}

export function toast(text, kind = 'ok') {
  const t = h('div.toast', { class: 't-' + kind }, text);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/** A modal dialog; resolves with the button's value, or null when dismissed (Esc). */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const d = h('dialog.modal', { 'aria-labelledby': 'dlg-title' });
    const form = h('form', { method: 'dialog' },
      h('h2#dlg-title', title), body,
      h('div.buttons', buttons.map((b) => h('button', { value: b.value, class: b.danger ? 'danger' : (b.primary ? 'primary' : ''), type: 'submit' }, b.label))));
    d.append(form);
    d.addEventListener('close', () => { const v = d.returnValue; d.remove(); resolve(v || null); });
    document.body.append(d);
    d.showModal();
  });
}

/** Confirmation for destructive actions: says what will happen, the safe choice first. */
export async function confirmAction(title, text, actionLabel) {
  const v = await dialog(title, h('p', text), [{ label: 'Cancel', value: 'cancel' }, { label: actionLabel, value: 'ok', danger: true }]);
  return v === 'ok';
}

let fieldSeq = 0;
/** A labelled control; `control` gets an id so the label points at it. */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const hintEl = hint ? h('small.hint', { id: id + '-hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div.field', h('label', { for: id }, label), control, hintEl);
}

/** A capacity bar: used, reserved-by-policy and available against total. */
export function capacityBar(total, available, reserved = 0) {
  const t = Number(total) || 0; const a = Math.max(0, Number(available) || 0);
  const used = Math.max(0, t - a);
  const res = Math.min(a, Math.max(0, Number(reserved) || 0));
  const pct = (x) => (t > 0 ? (100 * x) / t : 0);
  const label = t > 0 ? `${humanSize(used)} used, ${humanSize(a)} available of ${humanSize(t)}` : 'capacity unknown';
  return h('div.capbar', { role: 'img', 'aria-label': label, title: `used ${used.toLocaleString()} B · reserved ${res.toLocaleString()} B · available ${a.toLocaleString()} B · total ${t.toLocaleString()} B` },
    h('span.used', { style: null, dataset: { pct: pct(used).toFixed(1) } }),
    h('span.reserved', { dataset: { pct: pct(res).toFixed(1) } }),
    h('span.free', { dataset: { pct: pct(a - res).toFixed(1) } }));
}

/** CSP forbids inline style attributes set from markup, but CSSOM writes are fine: widths from data-pct. */
export function applyWidths(root) {
  root.querySelectorAll('[data-pct]').forEach((el) => { el.style.width = el.dataset.pct + '%'; });
}

export function progressBar(pct, label) {
  const v = Math.max(0, Math.min(100, Number(pct) || 0));
  return h('div.progress-wrap', h('progress', { max: 100, value: v, 'aria-label': label }), h('span.pct', `${Math.round(v)} %`));
}

/** A sortable table: columns [{key, label, render(row), sort(row)}]. */
export function table(columns, rows, { caption, empty = 'Nothing here yet.', sort, onSort } = {}) {
  if (!rows.length) return h('p.empty', empty);
  const head = h('tr', columns.map((c) => {
    if (!c.sortKey || !onSort) return h('th', { scope: 'col' }, c.label);
    const dir = sort?.key === c.sortKey ? sort.dir : null;
    return h('th', { scope: 'col', 'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none' },
      h('button.sort', { type: 'button', onclick: () => onSort(c.sortKey) }, c.label, dir ? (dir === 'asc' ? ' ▲' : ' ▼') : ''));
  }));
  return h('div.table-wrap', h('table', caption ? h('caption', caption) : null, h('thead', head),
    h('tbody', rows.map((r) => h('tr', columns.map((c) => h('td', { 'data-label': c.label }, c.render ? c.render(r) : (r[c.key] ?? '–'))))))));
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API needs a secure context; the selection trick works over plain http too.
    const ta = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' }, text);
    document.body.append(ta); ta.select(); document.execCommand('copy'); ta.remove();
  }
}
