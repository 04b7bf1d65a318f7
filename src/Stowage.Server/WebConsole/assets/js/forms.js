// Forms built from the API catalogue's parameters, so a new backup-storage type (or a new parameter) shows up
// in the console without console code: name, type, required, choices, secret, default and description.
import { api, call } from './api.js';
import { h, field, errorBox, replace } from './ui.js';

const SKIP = new Set(['resourceUuid', 'tagUuids', 'systemTags', 'userTags']);

function label(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase()).replace(/\bUuids?\b/, (m) => m.toUpperCase()).replace(/\bUrl\b/, 'URL');
}

function control(p, value) {
  const common = { name: p.name, required: p.required && !p.inPath ? true : null };
  if (p.choices) {
    return h('select', common, p.required ? null : h('option', { value: '' }, p.default ? `(default: ${p.default})` : '(not set)'),
      p.choices.map((c) => h('option', { value: c, selected: value === c ? true : null }, c)));
  }
  if (p.type === 'bool') {
    return h('select', common, h('option', { value: '' }, p.default ? `(default: ${p.default})` : '(not set)'),
      h('option', { value: 'true', selected: value === true ? true : null }, 'true'), h('option', { value: 'false', selected: value === false ? true : null }, 'false'));
  }
  if (p.type === 'int' || p.type === 'long') {
    return h('input', { ...common, type: 'number', inputmode: 'numeric', min: p.min ?? null, max: p.max ?? null, value: value ?? '', placeholder: p.default ?? '' });
  }
  if (p.name === 'sshKey' || p.name === 'description') return h('textarea', { ...common, rows: p.name === 'sshKey' ? 4 : 2 }, value ?? '');
  return h('input', {
    ...common, type: p.secret ? 'password' : 'text', value: value ?? '', placeholder: p.type === 'list' ? 'comma-separated' : (p.default ?? ''),
    maxlength: p.maxLength ?? null, autocomplete: p.secret ? 'new-password' : 'off', spellcheck: 'false',
  });
}

function read(p, el) {
  const raw = el.value.trim();
  if (raw === '') return undefined;
  if (p.type === 'bool') return raw === 'true';
  if (p.type === 'int' || p.type === 'long') return Number(raw);
  if (p.type === 'list') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  return p.name === 'sshKey' ? el.value : raw;
}

/**
 * A form for one API. `fixed` params are sent but not shown (e.g. the uuid), `values` pre-fill, `only`
 * restricts and orders the shown params. `onDone(reply)` runs after success; errors show inline.
 */
export function apiForm(apiName, { fixed = {}, values = {}, only, omit = [], submitLabel, onDone, onJob, extra, extraArgs, invoke } = {}) {
  const a = api(apiName);
  if (!a) return h('p.empty', `This server has no ${apiName} API.`);
  // resourceUuid names the new resource's uuid on Add/Create APIs (hidden), but the tagged resource on tag APIs.
  const isTagTarget = (p) => p.name === 'resourceUuid' && a.params.some((x) => x.name === 'resourceType');
  let params = a.params.filter((p) => (!SKIP.has(p.name) || isTagTarget(p)) && !(p.name in fixed) && !omit.includes(p.name) && p.type !== 'map');
  if (only) params = only.map((n) => params.find((p) => p.name === n)).filter(Boolean);
  const controls = new Map();
  const status = h('div.form-status', { 'aria-live': 'polite' });
  const required = params.filter((p) => p.required); const optional = params.filter((p) => !p.required);
  const fieldOf = (p) => { const c = control(p, values[p.name]); controls.set(p.name, c); return field(label(p.name) + (p.required ? ' *' : ''), c, p.description); };
  const form = h('form.apiform', { novalidate: null, dataset: { api: apiName } },
    required.map(fieldOf),
    optional.length ? h('details.optional', h('summary', `Optional (${optional.length})`), optional.map(fieldOf)) : null,
    extra ?? null,
    status,
    h('div.buttons', h('button.primary', { type: 'submit' }, submitLabel ?? label(apiName))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const args = { ...fixed, ...(extraArgs?.() ?? {}) };
    for (const p of params) {
      const v = read(p, controls.get(p.name));
      if (v !== undefined) args[p.name] = v;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    replace(status, h('span.busy', 'Working…'));
    try {
      const reply = invoke ? await invoke(args) : await call(apiName, args, { onJob });
      replace(status);
      await onDone?.(reply, args);
    } catch (e) {
      if (!invoke) replace(status, errorBox(e)); else replace(status);
      status.querySelector('[role=alert]')?.focus?.();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
