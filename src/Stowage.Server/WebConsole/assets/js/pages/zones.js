// Zones: list, create (catalogue form), enable/disable, delete.
import { call, query } from '../api.js';
import { h, replace, time, badge, table, toast, errorBox, confirmAction } from '../ui.js';
import { apiForm } from '../forms.js';

export async function render(main, _params, ctx) {
  const list = h('div#zone-list'); const msg = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const r = await query('QueryZone', [], { sortBy: 'name', sortDirection: 'asc' });
    replace(list, table([
      { label: 'Name', key: 'name' }, { label: 'State', render: (z) => badge(z.state) }, { label: 'Default', render: (z) => (z.isDefault ? 'yes' : '') },
      { label: 'Description', render: (z) => z.description ?? '' }, { label: 'Created', render: (z) => time(z.createDate) },
      { label: 'Actions', render: (z) => h('span.actions',
        h('button', { type: 'button', onclick: () => act('ChangeZoneState', { uuid: z.uuid, stateEvent: z.state === 'Enabled' ? 'disable' : 'enable' }) }, z.state === 'Enabled' ? `Disable ${z.name}` : `Enable ${z.name}`),
        h('button.danger', { type: 'button', onclick: async () => { if (await confirmAction('Delete zone', `Delete zone "${z.name}"? Its backup storage is detached, not deleted.`, 'Delete')) act('DeleteZone', { uuid: z.uuid }); } }, `Delete ${z.name}`)) },
    ], r.inventories ?? [], { empty: 'No zone yet.' }));
  };
  const act = async (name, args) => {
    try { await call(name, args); toast('Done'); replace(msg); } catch (e) { replace(msg, errorBox(e)); }
    load();
  };
  replace(main, h('h1', 'Zones'), msg, list,
    h('section', { 'aria-labelledby': 'h-cz' }, h('h2#h-cz', 'Create a zone'), apiForm('CreateZone', { submitLabel: 'Create zone', onDone: () => { toast('Zone created'); load(); } })));
  ctx.every(5000, load);
}
