// Images: list with filters and sorting, add from a URL with live progress and cancel, and upload from this
// browser through the resumable upload URL (pieces with Content-Range; after a dropped connection it asks
// the server where to continue).
import { call, query } from '../api.js';
import { h, replace, field, size, time, badge, table, toast, errorBox, progressBar } from '../ui.js';
import { apiForm } from '../forms.js';
import { withProgress } from './common.js';

const PIECE = 8 * 1024 * 1024;

export async function render(main, _params, ctx) {
  const f = {
    name: h('input', { type: 'search', placeholder: 'name, % wildcard' }),
    status: h('select', h('option', { value: '' }, 'any'), ['Ready', 'Downloading', 'Error', 'Deleted'].map((s) => h('option', s))),
    format: h('select', h('option', { value: '' }, 'any'), ['qcow2', 'raw', 'iso', 'vmdk'].map((s) => h('option', s))),
  };
  let sort = { key: 'createDate', dir: 'desc' };
  const results = h('div#image-list', { 'aria-live': 'polite' });
  const load = async () => {
    const q = [f.name.value.trim() && (f.name.value.includes('%') ? `name~=${f.name.value.trim()}` : `name~=%${f.name.value.trim()}%`),
      f.status.value && `status=${f.status.value}`, f.format.value && `format=${f.format.value}`].filter(Boolean);
    try {
      const r = await query('QueryImage', q, { sortBy: sort.key, sortDirection: sort.dir, replyWithCount: true, limit: 500 });
      replace(results, h('p.muted', `${r.total ?? 0} images`), table([
        { label: 'Name', sortKey: 'name', render: (i) => h('a', { href: `#/images/${i.uuid}` }, i.name) },
        { label: 'Status', sortKey: 'status', render: (i) => badge(i.status) },
        { label: 'State', render: (i) => badge(i.state) },
        { label: 'Format', sortKey: 'format', key: 'format' },
        { label: 'Media', key: 'mediaType' },
        { label: 'Size', sortKey: 'actualSize', render: (i) => size(i.actualSize) },
        { label: 'Copies', render: (i) => String(i.backupStorageRefs?.length ?? 0) },
        { label: 'Created', sortKey: 'createDate', render: (i) => time(i.createDate) },
      ], r.inventories ?? [], {
        empty: 'No image matches.', sort,
        onSort: (key) => { sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' }; load(); },
      }));
    } catch (e) {
      replace(results, errorBox(e));
    }
  };
  Object.values(f).forEach((c) => c.addEventListener(c.tagName === 'SELECT' ? 'change' : 'input', load));

  const storages = (await query('QueryBackupStorage', ['state=Enabled'], { sortBy: 'name', sortDirection: 'asc' })).inventories ?? [];
  const bsOptions = () => storages.map((b) => h('option', { value: b.uuid }, `${b.name} (${b.type.replace(/BackupStorage$/, '')}, ${b.status})`));

  // Add from a URL: the catalogue's AddImage form plus a backup-storage picker, watched with live progress.
  const addBs = h('select#add-image-bs', { multiple: true, size: Math.min(4, Math.max(2, storages.length)) }, bsOptions());
  if (addBs.options.length) addBs.options[0].selected = true;
  const watch = h('div#add-progress', { 'aria-live': 'polite' });
  const addForm = apiForm('AddImage', {
    omit: ['backupStorageUuids', 'zoneUuid', 'type'], submitLabel: 'Add image',
    extra: field('Backup storage', addBs, 'where to store the image (Ctrl/Shift to pick several)'),
    extraArgs: () => ({ backupStorageUuids: [...addBs.selectedOptions].map((o) => o.value) }),
    invoke: (args) => withProgress(watch, `Adding ${args.name}`, (onJob) => call('AddImage', args, { onJob })),
    onDone: (reply) => { toast(`Image ${reply.inventory.name} is ${reply.inventory.status}`); load(); },
  });

  // Upload from this browser.
  const file = h('input#upload-file', { type: 'file', required: true });
  const upName = h('input#upload-name', { required: true, autocomplete: 'off' });
  const upFormat = h('select#upload-format', ['qcow2', 'raw', 'iso'].map((s) => h('option', s)));
  const upBs = h('select#upload-bs', bsOptions());
  const upStatus = h('div#upload-progress', { 'aria-live': 'polite' });
  file.addEventListener('change', () => { if (file.files[0] && !upName.value) upName.value = file.files[0].name.replace(/\.[^.]*$/, ''); });
  const upload = h('form.apiform#upload-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files[0]) return;
      const button = upload.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const image = await uploadFile(file.files[0], { name: upName.value.trim(), format: upFormat.value, bs: upBs.value }, upStatus);
        toast(`Uploaded ${image.name}: ${image.status}`); load();
      } catch (err) {
        upStatus.append(errorBox(err));
      } finally {
        button.disabled = false;
      }
    },
  }, field('File', file), field('Image name', upName), field('Format', upFormat), field('Backup storage', upBs), upStatus,
  h('div.buttons', h('button.primary', { type: 'submit' }, 'Upload')));

  replace(main, h('h1', 'Images'),
    h('form.filters', { role: 'search', 'aria-label': 'Filter images', onsubmit: (e) => e.preventDefault() }, field('Name', f.name), field('Status', f.status), field('Format', f.format)),
    results,
    h('div.grid2',
      h('section#add-image', { 'aria-labelledby': 'h-add' }, h('h2#h-add', 'Add from a URL'), addForm, watch),
      h('section', { 'aria-labelledby': 'h-up' }, h('h2#h-up', 'Upload from this computer'),
        h('p.muted', 'Sent in 8 MiB pieces to the image\'s upload URL; a dropped connection resumes where the server says it stopped.'), upload)));
  ctx.every(3000, load);
}

/** AddImage upload://, then PUT the file in pieces; on a network error, HEAD tells where to resume. */
export async function uploadFile(blob, { name, format, bs }, status) {
  const safe = (blob.name || 'upload').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'upload';
  const reply = await call('AddImage', { name, format, url: `upload://${safe}`, backupStorageUuids: [bs] });
  const url = new URL(reply.inventory.backupStorageRefs[0].uploadUrl, location.href);
  // Same origin as the console: the upload URL names this server by the Host we used.
  const target = url.pathname;
  const bar = progressBar(0, `Upload of ${name}`);
  const info = h('div.muted');
  status.replaceChildren(h('div', `Uploading ${name}`), bar, info);
  const show = (n) => {
    const pct = blob.size ? (100 * n) / blob.size : 100;
    bar.querySelector('progress').value = pct; bar.querySelector('.pct').textContent = `${Math.floor(pct)} %`;
    info.replaceChildren(size(n), ' of ', size(blob.size));
  };
  let offset = 0; let failures = 0;
  for (;;) {
    const end = Math.min(blob.size, offset + PIECE) - 1;
    let res;
    try {
      res = await fetch(target, {
        method: 'PUT', body: blob.slice(offset, end + 1),
        headers: blob.size ? { 'Content-Range': `bytes ${offset}-${end}/${blob.size}` } : {},
      });
    } catch (e) {
      // Dropped connection: ask the server how much it holds and go on from there.
      if (++failures > 5) throw e;
      await new Promise((r) => setTimeout(r, 500 * failures));
      const head = await fetch(target, { method: 'HEAD' }).catch(() => null);
      if (head?.ok || head?.status === 308) offset = Number(head.headers.get('Upload-Offset') ?? offset);
      info.replaceChildren(`Connection dropped; resuming at byte ${offset.toLocaleString()}…`);
      continue;
    }
    if (res.status === 308) {
      offset = Number(res.headers.get('Upload-Offset') ?? end + 1); failures = 0; show(offset); continue;
    }
    if (res.ok) { show(blob.size); const body = await res.json(); return body.inventory; }
    const text = await res.text();
    let err;
    try { err = JSON.parse(text).error; } catch { err = { description: `HTTP ${res.status}`, details: text }; }
    const e = new Error(err.details); Object.assign(e, err); throw e;
  }
}
