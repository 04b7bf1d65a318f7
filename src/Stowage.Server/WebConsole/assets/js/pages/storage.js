// Backup storage list: filters are query-language conditions (name, type, state, status, zone, tag), columns
// sort on the server (sortBy/sortDirection), and the add form comes from the catalogue's Add<Type> API.
import { call, query, api } from '../api.js';
import { h, replace, field, size, badge, table, capacityBar, applyWidths, toast, errorBox } from '../ui.js';
import { apiForm } from '../forms.js';
import { zoneNames } from './common.js';

export async function render(main, _params, ctx) {
  const [types, zones] = await Promise.all([call('GetBackupStorageTypes').then((r) => r.types ?? []), zoneNames()]);
  const f = {
    name: h('input', { type: 'search', placeholder: 'name, % wildcard' }),
    type: h('select', h('option', { value: '' }, 'any'), types.map((t) => h('option', { value: t }, t.replace(/BackupStorage$/, '')))),
    state: h('select', h('option', { value: '' }, 'any'), ['Enabled', 'Disabled'].map((s) => h('option', s))),
    status: h('select', h('option', { value: '' }, 'any'), ['Connected', 'Connecting', 'Disconnected'].map((s) => h('option', s))),
    zone: h('select', h('option', { value: '' }, 'any'), [...zones].map(([u, n]) => h('option', { value: u }, n))),
    tag: h('input', { type: 'search', placeholder: 'user tag' }),
  };
  let sort = { key: 'name', dir: 'asc' };
  const results = h('div#bs-list', { 'aria-live': 'polite' });
  const conditions = () => [
    f.name.value.trim() && (f.name.value.includes('%') ? `name~=${f.name.value.trim()}` : `name~=%${f.name.value.trim()}%`),
    f.type.value && `type=${f.type.value}`, f.state.value && `state=${f.state.value}`, f.status.value && `status=${f.status.value}`,
    f.zone.value && `zone.uuid=${f.zone.value}`, f.tag.value.trim() && `__userTag__=${f.tag.value.trim()}`,
  ].filter(Boolean);

  const load = async () => {
    try {
      const r = await query('QueryBackupStorage', conditions(), { sortBy: sort.key, sortDirection: sort.dir, replyWithCount: true });
      const list = r.inventories ?? [];
      replace(results, h('p.muted', `${r.total ?? list.length} backup storage`), table([
        { label: 'Name', sortKey: 'name', render: (b) => h('a', { href: `#/storage/${b.uuid}` }, b.name) },
        { label: 'Type', sortKey: 'type', render: (b) => b.type.replace(/BackupStorage$/, '') },
        { label: 'State', sortKey: 'state', render: (b) => badge(b.state) },
        { label: 'Status', sortKey: 'status', render: (b) => h('span', { title: b.lastError ?? null }, badge(b.status)) },
        { label: 'Zones', render: (b) => (b.attachedZoneUuids ?? []).map((z) => zones.get(z) ?? z).join(', ') || '–' },
        { label: 'Available', sortKey: 'availableCapacity', render: (b) => h('div', capacityBar(b.totalCapacity, b.availableCapacity), size(b.availableCapacity)) },
        { label: 'Total', sortKey: 'totalCapacity', render: (b) => size(b.totalCapacity) },
        { label: 'URL', render: (b) => h('code', b.url) },
      ], list, {
        empty: 'No backup storage matches.', sort,
        onSort: (key) => { sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' }; load(); },
      }));
      applyWidths(results);
    } catch (e) {
      replace(results, errorBox(e));
    }
  };
  Object.values(f).forEach((c) => c.addEventListener(c.tagName === 'SELECT' ? 'change' : 'input', load));

  const typeSel = h('select#add-type', types.filter((t) => api('Add' + t)).map((t) => h('option', { value: t }, t.replace(/BackupStorage$/, ''))));
  const formBox = h('div#add-form');
  const showForm = () => replace(formBox, apiForm('Add' + typeSel.value, {
    omit: ['type'], submitLabel: 'Add backup storage',
    onDone: (reply) => { toast(`Added ${reply.inventory.name}: ${reply.inventory.status}`); ctx.go(`#/storage/${reply.inventory.uuid}`); },
  }));
  typeSel.addEventListener('change', showForm);
  showForm();

  replace(main, h('h1', 'Backup storage'),
    h('form.filters', { role: 'search', 'aria-label': 'Filter backup storage', onsubmit: (e) => e.preventDefault() },
      field('Name', f.name), field('Type', f.type), field('State', f.state), field('Status', f.status), field('Zone', f.zone), field('Tag', f.tag)),
    results,
    h('details.add#add-bs', h('summary', 'Add backup storage'),
      h('p.muted', 'The form is built from the server\'s API catalogue: every type the server offers, with its parameters.'),
      field('Type', typeSel), formBox));
  ctx.every(5000, load);
}
