// Global configs: every config with its description, default and value; edits go through UpdateGlobalConfig,
// so the server's validator decides and its message shows next to the field.
import { call, query } from '../api.js';
import { h, replace, errorBox, toast } from '../ui.js';

export async function render(main) {
  const r = await query('QueryGlobalConfig', [], { sortBy: 'category', sortDirection: 'asc' });
  const filter = h('input#config-filter', { type: 'search', placeholder: 'category or name' });
  const rows = (r.inventories ?? []).map((c) => {
    const input = h('input', { value: c.value ?? '', id: `cfg-${c.category}-${c.name}`.replace(/[^\w-]/g, '_'), 'aria-describedby': `${c.category}-${c.name}-d`.replace(/[^\w-]/g, '_') });
    const out = h('div.cfg-msg', { 'aria-live': 'polite' });
    const save = h('button', { type: 'submit' }, 'Save');
    const form = h('form.cfg', {
      dataset: { key: `${c.category}/${c.name}` },
      onsubmit: async (e) => {
        e.preventDefault(); save.disabled = true;
        try {
          await call('UpdateGlobalConfig', { category: c.category, name: c.name, value: input.value });
          replace(out, h('span.ok', 'Saved.')); toast(`${c.category}/${c.name} = ${input.value}`);
        } catch (err) {
          replace(out, errorBox(err)); input.setAttribute('aria-invalid', 'true');
        } finally { save.disabled = false; }
      },
    }, h('label', { for: input.id }, h('strong', c.category), ' / ', c.name),
    h('small.hint', { id: input.getAttribute('aria-describedby') }, `${c.description ?? ''} (default: ${c.defaultValue === '' ? 'empty' : c.defaultValue})`),
    h('div.inline', input, save), out);
    return form;
  });
  filter.addEventListener('input', () => {
    const t = filter.value.toLowerCase();
    rows.forEach((f) => { f.hidden = t && !f.dataset.key.toLowerCase().includes(t); });
  });
  replace(main, h('h1', 'Global configs'), h('div.field', h('label', { for: filter.id }, 'Filter'), filter), h('div.configs', rows));
}
