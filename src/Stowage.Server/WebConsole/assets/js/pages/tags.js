// Tags: user and system tags with their resource; create a user tag; delete.
import { call, query } from '../api.js';
import { h, replace, time, table, toast, errorBox, confirmAction, badge } from '../ui.js';
import { apiForm } from '../forms.js';

export async function render(main, _params, ctx) {
  const list = h('div#tag-list'); const msg = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const [u, s] = await Promise.all([query('QueryUserTag', [], { limit: 500 }), query('QuerySystemTag', [], { limit: 500 })]);
    const rows = [...(u.inventories ?? []).map((t) => ({ ...t, kind: 'user' })), ...(s.inventories ?? []).map((t) => ({ ...t, kind: 'system' }))];
    replace(list, table([
      { label: 'Kind', render: (t) => badge(t.kind) }, { label: 'Tag', render: (t) => h('code', t.tag) }, { label: 'Resource type', key: 'resourceType' },
      { label: 'Resource', render: (t) => h('code', t.resourceUuid) }, { label: 'Created', render: (t) => time(t.createDate) },
      { label: 'Delete', render: (t) => h('button.danger', { type: 'button', onclick: async () => {
        if (!await confirmAction('Delete tag', `Delete the ${t.kind} tag "${t.tag}"?`, 'Delete')) return;
        try { await call('DeleteTag', { uuid: t.uuid }); toast('Tag deleted'); replace(msg); } catch (e) { replace(msg, errorBox(e)); }
        load();
      } }, `Delete ${t.tag}`) },
    ], rows, { empty: 'No tag yet.' }));
  };
  replace(main, h('h1', 'Tags'), msg, list,
    h('section', { 'aria-labelledby': 'h-ct' }, h('h2#h-ct', 'Create a user tag'), apiForm('CreateUserTag', { submitLabel: 'Create tag', onDone: () => { toast('Tag created'); load(); } })));
  ctx.every(10000, load);
}
