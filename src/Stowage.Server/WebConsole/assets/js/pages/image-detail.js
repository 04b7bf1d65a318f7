// One image: its facts, its copy on every backup storage with status, export links, and the actions
// (delete / recover / expunge, copy to another storage, enable / disable, verify one or every copy).
import { call, query } from '../api.js';
import { h, replace, field, size, time, badge, table, toast, errorBox, confirmAction, copyText } from '../ui.js';
import { withProgress } from './common.js';
import { copyStatus, lastVerified, readable, verifiable, repairChoice, runVerify } from './verify.js';

export async function render(main, [uuid], ctx) {
  const head = h('div#image-head'); const copies = h('div#image-copies'); const msg = h('div#image-msg', { 'aria-live': 'polite' });
  const actions = h('div.actions#image-actions'); const copyBox = h('div#image-copy'); const exportBox = h('div#image-export', { 'aria-live': 'polite' });
  const repair = repairChoice(); const verifyWatch = h('div#verify-progress', { 'aria-live': 'polite' }); const verifyOut = h('div#verify-results');
  const verifyAll = h('button', { type: 'button', id: 'act-verify-all', onclick: () => verify() }, 'Verify every copy');
  replace(main, h('p', h('a', { href: '#/images' }, '← All images')), head, msg, actions,
    h('section', { 'aria-labelledby': 'h-c' }, h('h2#h-c', 'Copies'), copies, exportBox,
      h('div.actions#image-verify', verifyAll, repair.el), verifyWatch, verifyOut),
    h('section', { 'aria-labelledby': 'h-cp' }, h('h2#h-cp', 'Copy to another backup storage'), copyBox));

  const storages = new Map(((await query('QueryBackupStorage', [], { sortBy: 'name', sortDirection: 'asc' })).inventories ?? []).map((b) => [b.uuid, b]));
  let image; let verifying = false;
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
      { label: 'Status', render: (r) => copyStatus(r) },
      { label: 'Last verified', render: (r) => lastVerified(r) },
      { label: 'Path', render: (r) => h('code', r.installPath ?? '') },
      { label: 'Verify', render: (r) => (verifiable(r) ? h('button.verify', { type: 'button', disabled: verifying, dataset: { bs: r.backupStorageUuid }, onclick: () => verify(r.backupStorageUuid) }, 'Verify') : '–') },
      { label: 'Export', render: (r) => (readable(r) ? h('button.export', { type: 'button', onclick: () => exportCopy(r) }, 'Export link') : '–') },
      { label: 'Delete', render: (r) => (r.status !== 'Deleted' && image.backupStorageRefs.length > 1 ? h('button.danger', { type: 'button', onclick: () => del([r.backupStorageUuid]) }, 'Delete this copy') : '–') },
    ], image.backupStorageRefs ?? [], { empty: 'No copy.' }));
    verifyAll.disabled = verifying || !(image.backupStorageRefs ?? []).some(verifiable);
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

  // One copy (bsUuid) or every Ready / Corrupted copy; the outcome per copy shows below, the statuses in the table.
  const verify = async (bsUuid) => {
    const where = bsUuid ? `the copy on ${storages.get(bsUuid)?.name ?? bsUuid}` : 'every copy';
    // An export link shown earlier may name a copy that turns out Corrupted: take it away.
    verifying = true; verifyAll.disabled = true; replace(exportBox);
    copies.querySelectorAll('button.verify').forEach((b) => { b.disabled = true; });
    await runVerify(verifyWatch, verifyOut, `Verifying ${where}`, 'VerifyImage', { uuid, backupStorageUuids: bsUuid ? [bsUuid] : undefined, repair: repair.value() },
      () => { verifying = false; return refresh(); });
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
  // Only Ready copies are offered as the source; a Corrupted one is never copied from.
  const src = h('select#copy-src', h('option', { value: '' }, '(any Ready copy)'), image.backupStorageRefs.filter(readable)
    .map((r) => h('option', { value: r.backupStorageUuid }, storages.get(r.backupStorageUuid)?.name ?? r.backupStorageUuid)));
  const watch = h('div', { 'aria-live': 'polite' });
  replace(copyBox, dst.options.length ? h('form.inline', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await withProgress(watch, 'Copying', (onJob) => call('CopyImageToBackupStorage', { uuid, dstBackupStorageUuid: dst.value, srcBackupStorageUuid: src.value || undefined }, { onJob }));
        toast('Copied'); refresh();
      } catch { /* shown by withProgress */ }
    },
  }, field('Destination', dst), field('Copy from', src), h('button', { type: 'submit' }, 'Copy')) : h('p.empty', 'Every backup storage already has a copy.'), watch);
  ctx.every(3000, refresh);
}
