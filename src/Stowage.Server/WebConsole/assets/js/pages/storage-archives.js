// The volume snapshots and backups on one backup storage, with the actions the API has for a copy there:
// verify it, copy it to another backup storage (the catalogue's Copy*ToBackupStorage form, with a storage
// picker and live progress) and delete it from this storage after a confirmation.
import { call, query, api } from '../api.js';
import { h, replace, field, size, time, table, toast, errorBox, confirmAction } from '../ui.js';
import { apiForm } from '../forms.js';
import { withProgress } from './common.js';
import { copyStatus, lastVerified, readable, verifiable, repairChoice, runVerify } from './verify.js';

const NOUN = { snapshot: 'VolumeSnapshot', backup: 'VolumeBackup' };

/** Renders into `el` and returns the loader (call it again to refresh). */
export function archivesOf(el, bsUuid) {
  const list = h('div#bs-archive-list'); const panel = h('div#bs-archive-action', { 'aria-live': 'polite' });
  const repair = repairChoice();
  replace(el, list, h('div.actions', repair.el), panel);

  const load = async () => {
    const [s, b] = await Promise.all([
      query('QueryVolumeSnapshot', [`backupStorage.uuid=${bsUuid}`], { limit: 200 }).catch(() => ({})),
      query('QueryVolumeBackup', [`backupStorage.uuid=${bsUuid}`], { limit: 200 }).catch(() => ({}))]);
    const rows = [...(s.inventories ?? []).map((x) => ({ ...x, kind: 'snapshot' })), ...(b.inventories ?? []).map((x) => ({ ...x, kind: 'backup' }))]
      .map((x) => ({ ...x, ref: x.backupStorageRefs?.find((r) => r.backupStorageUuid === bsUuid) ?? { status: x.status } }));
    replace(list, table([
      { label: 'Kind', key: 'kind' }, { label: 'Name', key: 'name' }, { label: 'Volume', render: (x) => h('code', x.volumeUuid) },
      { label: 'Status here', render: (x) => copyStatus(x.ref) }, { label: 'Last verified', render: (x) => lastVerified(x.ref) },
      { label: 'Size', render: (x) => size(x.actualSize ?? x.size) }, { label: 'Created', render: (x) => time(x.createDate) },
      { label: 'Actions', render: (x) => h('div.row-actions', { dataset: { archive: x.uuid } },
        verifiable(x.ref) ? h('button.verify', { type: 'button', onclick: () => verify(x) }, 'Verify') : null,
        readable(x.ref) && api(`Copy${NOUN[x.kind]}ToBackupStorage`) ? h('button.copy', { type: 'button', onclick: () => copyForm(x) }, 'Copy to…') : null,
        h('button.danger.delete', { type: 'button', onclick: () => remove(x) }, 'Delete…')) },
    ], rows, { empty: 'No volume snapshot or backup here.' }));
  };

  const verify = (x) => {
    const watch = h('div#archive-verify-progress'); const out = h('div#archive-verify-results');
    replace(panel, h('h3', `Verify ${x.kind} ${x.name}`), watch, out);
    return runVerify(watch, out, `Verifying ${x.kind} ${x.name}`, `Verify${NOUN[x.kind]}`, { uuid: x.uuid, backupStorageUuids: [bsUuid], repair: repair.value() }, load);
  };

  const copyForm = async (x) => {
    const storages = (await query('QueryBackupStorage', [], { sortBy: 'name', sortDirection: 'asc' })).inventories ?? [];
    const free = storages.filter((b) => !(x.backupStorageRefs ?? []).some((r) => r.backupStorageUuid === b.uuid));
    if (!free.length) { replace(panel, h('p.empty', `No other backup storage to copy ${x.name} to: every other one already holds it.`)); return; }
    const dst = h('select#archive-copy-dst', free.map((b) => h('option', { value: b.uuid }, `${b.name} (${b.status})`)));
    const watch = h('div', { 'aria-live': 'polite' });
    const apiName = `Copy${NOUN[x.kind]}ToBackupStorage`;
    replace(panel, h('h3', `Copy ${x.kind} ${x.name} to another backup storage`), apiForm(apiName, {
      fixed: { uuid: x.uuid, srcBackupStorageUuid: bsUuid }, omit: ['dstBackupStorageUuid'], extra: field('Destination', dst),
      extraArgs: () => ({ dstBackupStorageUuid: dst.value }), submitLabel: 'Copy',
      invoke: (args) => withProgress(watch, `Copying ${x.name}`, (onJob) => call(apiName, args, { onJob })),
      onDone: () => { toast(`Copied ${x.name}`); load(); },
    }), watch);
  };

  const remove = async (x) => {
    const last = (x.backupStorageRefs ?? []).length <= 1;
    if (!await confirmAction(`Delete ${x.kind}`, `Delete the copy of ${x.kind} "${x.name}" on this backup storage?${last ? ` It is the only copy: the ${x.kind} is gone afterwards.` : ' The copies on other backup storages stay.'}`, 'Delete')) return;
    replace(panel, h('p.busy', `Deleting ${x.name}…`));
    try {
      await call(`Delete${NOUN[x.kind]}`, { uuid: x.uuid, backupStorageUuids: [bsUuid] });
      replace(panel); toast(`Deleted ${x.name}`);
    } catch (e) {
      replace(panel, errorBox(e));
    }
    await load();
  };

  return load;
}
