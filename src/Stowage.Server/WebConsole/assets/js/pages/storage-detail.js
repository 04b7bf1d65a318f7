// One backup storage: its facts (type fields included, e.g. the pinned host key), capacity and its history,
// zones, images and volume archives, trash, and every action the API has for it.
import { call, query, api } from '../api.js';
import { h, replace, field, size, time, ago, badge, table, capacityBar, applyWidths, toast, errorBox, confirmAction, dialog } from '../ui.js';
import { apiForm } from '../forms.js';
import { zoneNames } from './common.js';
import { historyChart } from './chart.js';
import { archivesOf } from './storage-archives.js';
import { copyStatus, lastVerified, repairChoice, runVerify } from './verify.js';

const COMMON = new Set(['uuid', 'name', 'url', 'description', 'totalCapacity', 'availableCapacity', 'type', 'state', 'status', 'createDate', 'lastOpDate', 'attachedZoneUuids', 'lastError']);

export async function render(main, [uuid], ctx) {
  const head = h('div#bs-head'); const actions = h('div.actions#bs-actions'); const msg = h('div#bs-msg', { 'aria-live': 'polite' });
  const zonesEl = h('div#bs-zones'); const imagesEl = h('div#bs-images'); const archivesEl = h('div#bs-archives'); const trashEl = h('div#bs-trash');
  const chartEl = h('div#bs-chart'); const formsEl = h('div#bs-forms');
  const repair = repairChoice(); const verifyWatch = h('div#bs-verify-progress', { 'aria-live': 'polite' }); const verifyOut = h('div#bs-verify-results');
  const verifyBtn = h('button', { type: 'button', id: 'act-verify' }, 'Verify every copy');
  replace(main, h('p', h('a', { href: '#/storage' }, '← All backup storage')), head, msg, actions,
    h('section', { 'aria-labelledby': 'h-v' }, h('h2#h-v', 'Verification'),
      h('p.muted', 'Reads every Ready or Corrupted copy of images, volume snapshots and backups here and checks its size and checksums (at backupStorage/verify.rateLimit).'),
      h('div.actions', verifyBtn, repair.el), verifyWatch, verifyOut),
    h('section', { 'aria-labelledby': 'h-hist' }, h('h2#h-hist', 'Capacity and ping history'), chartEl),
    h('section', { 'aria-labelledby': 'h-z' }, h('h2#h-z', 'Zones'), zonesEl),
    h('section', { 'aria-labelledby': 'h-i' }, h('h2#h-i', 'Images'), imagesEl),
    h('section', { 'aria-labelledby': 'h-a' }, h('h2#h-a', 'Volume snapshots and backups'), archivesEl),
    h('section', { 'aria-labelledby': 'h-t' }, h('h2#h-t', 'Trash'), trashEl),
    formsEl);

  let bs = null;
  const run = async (label, apiName, args) => {
    replace(msg, h('p.busy', `${label}…`));
    try {
      await call(apiName, args);
      replace(msg); toast(`${label}: done`);
    } catch (e) {
      replace(msg, errorBox(e));
    }
    await refresh();
  };

  const refresh = async () => {
    const r = await query('QueryBackupStorage', [`uuid=${uuid}`]);
    bs = r.inventories?.[0];
    if (!bs) { replace(head, h('h1', 'Backup storage'), h('p.empty', 'This backup storage does not exist (any more).')); replace(actions); return false; }
    const typeFields = Object.entries(bs).filter(([k]) => !COMMON.has(k));
    replace(head, h('h1', bs.name),
      h('div.meta', h('span.type', bs.type), ' ', badge(bs.state), ' ', h('span#bs-status', badge(bs.status)),
        ' since ', time(bs.lastOpDate), ` (${ago(bs.lastOpDate)})`),
      bs.lastError ? h('div.lasterror#bs-lasterror', { role: 'status' }, 'Last error: ', bs.lastError) : null,
      capacityBar(bs.totalCapacity, bs.availableCapacity),
      h('dl.kv',
        h('dt', 'UUID'), h('dd', h('code', bs.uuid)),
        h('dt', 'URL'), h('dd', h('code', bs.url)),
        bs.description ? [h('dt', 'Description'), h('dd', bs.description)] : null,
        h('dt', 'Capacity'), h('dd', size(bs.availableCapacity), ' available of ', size(bs.totalCapacity)),
        typeFields.map(([k, v]) => [h('dt', k), h('dd', h('code', typeof v === 'object' ? JSON.stringify(v) : String(v)))]),
        h('dt', 'Created'), h('dd', time(bs.createDate))));
    applyWidths(head);
    return true;
  };

  if (!await refresh()) return;
  const type = bs.type;
  replace(actions,
    h('button', { type: 'button', id: 'act-state', onclick: () => run(bs.state === 'Enabled' ? 'Disable' : 'Enable', 'ChangeBackupStorageState', { uuid, stateEvent: bs.state === 'Enabled' ? 'disable' : 'enable' }) }, 'Enable / disable'),
    h('button', { type: 'button', id: 'act-reconnect', onclick: () => run('Reconnect', 'ReconnectBackupStorage', { uuid }) }, 'Reconnect'),
    api(`Rotate${type}DownloadCredential`) ? h('button', {
      type: 'button', id: 'act-rotate',
      onclick: async () => { if (await confirmAction('Rotate direct-fetch key', 'Hypervisor hosts holding the old key can no longer fetch directly until they get the new one.', 'Rotate key')) run('Rotate key', `Rotate${type}DownloadCredential`, { uuid }); },
    }, 'Rotate direct-fetch key') : null,
    h('button.danger', { type: 'button', id: 'act-delete', onclick: () => remove(uuid, bs.name, ctx, msg) }, 'Delete…'));

  const updateApi = api(`Update${type}`) ? `Update${type}` : 'UpdateBackupStorage';
  replace(formsEl, h('details#bs-update', h('summary', 'Update settings'),
    h('p.muted', 'Empty fields keep their current value. Secrets are never shown; type a new one to change it.'),
    apiForm(updateApi, { fixed: { uuid }, values: { name: bs.name, description: bs.description }, submitLabel: 'Save', onDone: () => { toast('Saved'); refresh(); } })));

  const loadZones = async () => {
    const zones = await zoneNames();
    const attached = bs.attachedZoneUuids ?? [];
    const free = [...zones].filter(([u]) => !attached.includes(u));
    const sel = h('select', free.map(([u, n]) => h('option', { value: u }, n)));
    replace(zonesEl,
      attached.length ? h('ul', attached.map((z) => h('li', zones.get(z) ?? z, ' ', h('button', {
        type: 'button', onclick: async () => { await run('Detach from zone', 'DetachBackupStorageFromZone', { zoneUuid: z, backupStorageUuid: uuid }); loadZones(); },
      }, `Detach from ${zones.get(z) ?? z}`)))) : h('p.empty', 'Not attached to a zone.'),
      free.length ? h('form.inline', { onsubmit: async (e) => { e.preventDefault(); await run('Attach to zone', 'AttachBackupStorageToZone', { zoneUuid: sel.value, backupStorageUuid: uuid }); loadZones(); } },
        field('Zone to attach', sel), h('button', { type: 'submit' }, 'Attach')) : null);
  };

  const loadImages = async () => {
    const r = await query('QueryImage', [`backupStorage.uuid=${uuid}`], { sortBy: 'createDate', sortDirection: 'desc', limit: 200 });
    replace(imagesEl, table([
      { label: 'Name', render: (i) => h('a', { href: `#/images/${i.uuid}` }, i.name) },
      { label: 'Status here', render: (i) => copyStatus(i.backupStorageRefs?.find((x) => x.backupStorageUuid === uuid) ?? { status: i.status }) },
      { label: 'Last verified', render: (i) => lastVerified(i.backupStorageRefs?.find((x) => x.backupStorageUuid === uuid) ?? {}) },
      { label: 'Format', key: 'format' },
      { label: 'Size', render: (i) => size(i.actualSize) },
      { label: 'Created', render: (i) => time(i.createDate) },
    ], r.inventories ?? [], { empty: 'No image on this backup storage.' }));
  };

  const loadArchives = archivesOf(archivesEl, uuid);
  verifyBtn.addEventListener('click', async () => {
    verifyBtn.disabled = true;
    await runVerify(verifyWatch, verifyOut, `Verifying every copy on ${bs.name}`, 'VerifyBackupStorage', { uuid, repair: repair.value() },
      () => Promise.all([loadImages(), loadArchives()]));
    verifyBtn.disabled = false;
  });

  const loadTrash = async () => {
    try {
      const r = await call('GetTrashOnBackupStorage', { uuid });
      const list = r.storageTrashSpecs ?? r.inventories ?? [];
      replace(trashEl, table([
        { label: 'Id', render: (t) => String(t.trashId ?? '') }, { label: 'Path', render: (t) => h('code', t.installPath ?? '') },
        { label: 'Size', render: (t) => size(t.size) }, { label: 'Type', render: (t) => t.trashType ?? t.resourceType ?? '' }, { label: 'Created', render: (t) => time(t.createDate) },
      ], list, { empty: 'The trash is empty.' }),
      list.length ? h('button.danger', {
        type: 'button', id: 'act-cleanup',
        onclick: async () => { if (await confirmAction('Clean up trash', `Delete the ${list.length} leftover file(s) listed above from the storage? This cannot be undone.`, 'Clean up')) { await run('Clean up trash', 'CleanUpTrashOnBackupStorage', { uuid }); loadTrash(); } },
      }, 'Clean up trash') : null);
    } catch (e) {
      replace(trashEl, errorBox(e));
    }
  };

  const loadChart = async () => {
    if (!api('GetBackupStorageHistory')) { replace(chartEl, h('p.muted', 'This server keeps no history.')); return; }
    const r = await call('GetBackupStorageHistory', { uuid });
    replace(chartEl, historyChart(r.samples ?? []));
  };

  await Promise.all([loadZones(), loadImages(), loadArchives(), loadTrash(), loadChart().catch((e) => replace(chartEl, errorBox(e)))]);
  let n = 0;
  ctx.every(2000, async () => {
    if (!await refresh()) return;
    if (++n % 5 === 0) await Promise.all([loadImages(), loadChart().catch(() => {})]);
  });
}

async function remove(uuid, name, ctx, msg) {
  const mode = h('select', { name: 'deleteMode' }, h('option', { value: 'Permissive' }, 'Permissive'), h('option', { value: 'Enforcing' }, 'Enforcing'));
  const v = await dialog(`Delete ${name}`, h('div',
    h('p', 'The backup storage is detached from its zones and removed with its copies; images, volume snapshots and backups whose only copy it held are deleted too. Its identity marker is removed from the storage (best effort).'),
    h('ul',
      h('li', h('strong', 'Permissive'), ' (default): refuses and removes nothing when the storage is not Connected and holds a Ready volume snapshot or backup, whose files could then not be removed.'),
      h('li', h('strong', 'Enforcing'), ': goes on in that case and leaves those files on the storage.')),
    field('Delete mode', mode)), [{ label: 'Cancel', value: 'cancel' }, { label: 'Delete', value: 'ok', danger: true }]);
  if (v !== 'ok') return;
  try {
    await call('DeleteBackupStorage', { uuid, deleteMode: mode.value });
    toast(`Deleted ${name}`);
    ctx.go('#/storage');
  } catch (e) {
    replace(msg, errorBox(e));
  }
}
