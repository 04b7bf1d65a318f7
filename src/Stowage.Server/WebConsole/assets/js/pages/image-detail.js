// One image: its facts, its copy on every backup storage with status, export links, and the actions
// (delete / recover / expunge, copy to another storage, enable / disable).
import { call, query } from '../api.js';
import { h, replace, field, size, time, badge, table, toast, errorBox, confirmAction, copyText } from '../ui.js';
import { withProgress } from './common.js';

export async function render(main, [uuid], ctx) {
  const head = h('div#image-head'); const copies = h('div#image-copies'); const msg = h('div#image-msg', { 'aria-live': 'polite' });
  const actions = h('div.actions#image-actions'); const copyBox = h('div#image-copy'); const exportBox = h('div#image-export', { 'aria-live': 'polite' });
  replace(main, h('p', h('a', { href: '#/images' }, '← All images')), head, msg, actions,
    h('section', { 'aria-labelledby': 'h-c' }, h('h2#h-c', 'Copies'), copies, exportBox),
    h('section', { 'aria-labelledby': 'h-cp' }, h('h2#h-cp', 'Copy to another backup storage'), copyBox));

  const storages = new Map(((await query('QueryBackupStorage', [], { sortBy: 'name', sortDirection: 'asc' })).inventories ?? []).map((b) => [b.uuid, b]));
  let image;
  const run = async (label, apiName, args) => {
    replace(msg, h('p.busy', `${label}…`));
    try { await call(apiName, args); replace(msg); toast(`${label}: done`); } catch (e) { replace(msg, errorBox(e)); }
    await refresh();
  };

  const refresh = async () => {
    image = (await query('QueryImage', [`uuid=${uuid}`])).inventories?.[0];
    if (!image) { replace(head, h('h1', 'Image'), h('p.empty', 'This image does not exist (any more).')); replace(actions); replace(copies); return false; }
    replace(head, h('h1', image.name), h('div.meta', badge(image.status), ' ', badge(image.state), ' ', image.format, ' · ', image.mediaType),
      h('dl.kv',
        h('dt', 'UUID'), h('dd', h('code', image.uuid)),
        h('dt', 'Size'), h('dd', size(image.actualSize), ' (virtual ', size(image.size), ')'),
        h('dt', 'MD5'), h('dd', h('code', image.md5Sum ?? '–')),
        h('dt', 'SHA-256'), h('dd', h('code', image.sha256Sum ?? '–')),
        h('dt', 'Source'), h('dd', h('code', image.url ?? '–')),
        h('dt', 'Platform'), h('dd', `${image.platform ?? '–'} / ${image.guestOsType ?? '–'} / ${image.architecture ?? '–'}`),
        h('dt', 'Created'), h('dd', time(image.createDate))));
    replace(copies, table([
      { label: 'Backup storage', render: (r) => h('a', { href: `#/storage/${r.backupStorageUuid}` }, storages.get(r.backupStorageUuid)?.name ?? r.backupStorageUuid) },
      { label: 'Status', render: (r) => h('span', { title: r.lastError ?? null }, badge(r.status)) },
      { label: 'Path', render: (r) => h('code', r.installPath ?? '') },
      { label: 'Export', render: (r) => (r.status === 'Ready' ? h('button', { type: 'button', onclick: () => exportCopy(r) }, 'Export link') : '–') },
      { label: 'Delete', render: (r) => (r.status !== 'Deleted' && image.backupStorageRefs.length > 1 ? h('button.danger', { type: 'button', onclick: () => del([r.backupStorageUuid]) }, 'Delete this copy') : '–') },
    ], image.backupStorageRefs ?? [], { empty: 'No copy.' }));
    const deleted = image.status === 'Deleted';
    replace(actions,
      deleted ? h('button', { type: 'button', id: 'act-recover', onclick: () => run('Recover', 'RecoverImage', { uuid }) }, 'Recover') : null,
      deleted ? h('button.danger', { type: 'button', id: 'act-expunge', onclick: async () => { if (await confirmAction('Expunge image', `Remove "${image.name}"'s files for good? It cannot be recovered afterwards.`, 'Expunge')) run('Expunge', 'ExpungeImage', { uuid }); } }, 'Expunge…') : null,
      !deleted ? h('button', { type: 'button', id: 'act-image-state', onclick: () => run('Change state', 'ChangeImageState', { uuid, stateEvent: image.state === 'Enabled' ? 'disable' : 'enable' }) }, image.state === 'Enabled' ? 'Disable' : 'Enable') : null,
      !deleted ? h('button.danger', { type: 'button', id: 'act-image-delete', onclick: () => del() }, 'Delete…') : null);
    return true;
  };

  const del = async (bsUuids) => {
    const where = bsUuids ? `its copy on ${storages.get(bsUuids[0])?.name ?? bsUuids[0]}` : 'every copy';
    if (!await confirmAction('Delete image', `Delete ${where} of "${image.name}"? Depending on image/deletionPolicy the files are kept until expunged (Recover brings it back) or removed at once.`, 'Delete')) return;
    await run('Delete', 'DeleteImage', { uuid, backupStorageUuids: bsUuids });
  };

  const exportCopy = async (ref) => {
    replace(exportBox, h('p.busy', 'Creating an export link…'));
    try {
      const r = await call('ExportImageFromBackupStorage', { uuid: ref.backupStorageUuid, imageUuid: uuid });
      const link = r.imageUrl ?? r.inventory?.imageUrl ?? '';
      const linkInput = h('input#export-url', { readonly: true, value: link, size: 60 });
      // The URL lives backupStorage/export.expirationTime seconds from now (checked on every request).
      const ttl = Number((await query('QueryGlobalConfig', ['category=backupStorage', 'name=export.expirationTime']).catch(() => ({}))).inventories?.[0]?.value);
      const expires = ttl > 0 ? new Date(Date.now() + ttl * 1000) : null;
      replace(exportBox, field('Export URL', linkInput, expires ? `expires about ${expires.toLocaleString()} (backupStorage/export.expirationTime = ${ttl} s)` : 'valid for backupStorage/export.expirationTime seconds'),
        h('button', { type: 'button', id: 'copy-export', onclick: async () => { await copyText(link); toast('Link copied'); } }, 'Copy link'),
        r.md5sum || r.exportMd5Sum ? h('p.muted', 'MD5 ', h('code', r.md5sum ?? r.exportMd5Sum)) : null);
    } catch (e) {
      replace(exportBox, errorBox(e));
    }
  };

  if (!await refresh()) return;
  const dst = h('select#copy-dst', [...storages.values()].filter((b) => !image.backupStorageRefs.some((r) => r.backupStorageUuid === b.uuid))
    .map((b) => h('option', { value: b.uuid }, `${b.name} (${b.status})`)));
  const watch = h('div', { 'aria-live': 'polite' });
  replace(copyBox, dst.options.length ? h('form.inline', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await withProgress(watch, 'Copying', (onJob) => call('CopyImageToBackupStorage', { uuid, dstBackupStorageUuid: dst.value }, { onJob }));
        toast('Copied'); refresh();
      } catch { /* shown by withProgress */ }
    },
  }, field('Destination', dst), h('button', { type: 'submit' }, 'Copy')) : h('p.empty', 'Every backup storage already has a copy.'), watch);
  ctx.every(3000, refresh);
}
