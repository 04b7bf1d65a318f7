// Images: list with filters and sorting, add from a URL with live progress and cancel, and upload from this
// browser through the resumable upload URL (pieces with Content-Range; after a dropped connection it asks
// the server where to continue; after a reload, picking the same file again resumes where the server stopped).
import { call, query } from '../api.js';
import { h, replace, field, size, time, badge, table, toast, errorBox, progressBar } from '../ui.js';
import { apiForm } from '../forms.js';
import { withProgress } from './common.js';
import { uploadFile, resumeUpload, uploadFor, pendingUploads, forgetUpload } from './upload.js';

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
  const resumeBox = h('div#upload-resume', { 'aria-live': 'polite' });
  const busy = (on) => upload.querySelectorAll('button').forEach((b) => { b.disabled = on; });
  const done = (image) => { toast(`Uploaded ${image.name}: ${image.status}`); load(); showPending(); };
  // Uploads this browser left unfinished (a reload, a closed tab): picking the same file again offers Resume.
  const showPending = () => {
    const pending = pendingUploads(); const picked = file.files[0] ? uploadFor(file.files[0]) : null;
    replace(resumeBox,
      picked ? h('div.notice', `This file's upload to image "${picked.name}" stopped before its end. Resume asks the server how much it holds and sends the rest; Upload starts a new image.`,
        h('div.buttons', h('button.primary#upload-resume-go', {
          type: 'button',
          onclick: async () => {
            busy(true);
            try { done(await resumeUpload(picked, file.files[0], upStatus)); } catch (err) { upStatus.append(errorBox(err)); showPending(); } finally { busy(false); }
          },
        }, 'Resume upload'))) : null,
      !picked && pending.length ? h('div.muted', h('p', 'Unfinished uploads from this browser; pick the same file to resume:'),
        h('ul#upload-pending', pending.map((u) => h('li', `${u.name} (${u.fileName}, `, size(u.size), ') ',
          h('button', { type: 'button', onclick: () => { forgetUpload(u.target); showPending(); } }, `Forget ${u.name}`))))) : null);
  };
  file.addEventListener('change', () => {
    if (file.files[0] && !upName.value) upName.value = (uploadFor(file.files[0])?.name ?? file.files[0].name.replace(/\.[^.]*$/, ''));
    showPending();
  });
  const upload = h('form.apiform#upload-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files[0]) return;
      busy(true);
      try {
        done(await uploadFile(file.files[0], { name: upName.value.trim(), format: upFormat.value, bs: upBs.value }, upStatus));
      } catch (err) {
        upStatus.append(errorBox(err));
      } finally {
        busy(false);
      }
    },
  }, field('File', file), field('Image name', upName), field('Format', upFormat), field('Backup storage', upBs), resumeBox, upStatus,
  h('div.buttons', h('button.primary', { type: 'submit' }, 'Upload')));

  replace(main, h('h1', 'Images'),
    h('form.filters', { role: 'search', 'aria-label': 'Filter images', onsubmit: (e) => e.preventDefault() }, field('Name', f.name), field('Status', f.status), field('Format', f.format)),
    results,
    h('div.grid2',
      h('section#add-image', { 'aria-labelledby': 'h-add' }, h('h2#h-add', 'Add from a URL'), addForm, watch),
      h('section', { 'aria-labelledby': 'h-up' }, h('h2#h-up', 'Upload from this computer'),
        h('p.muted', 'Sent in 8 MiB pieces to the image\'s upload URL; a dropped connection resumes where the server says it stopped.'), upload)));
  showPending();
  ctx.every(3000, load);
}
