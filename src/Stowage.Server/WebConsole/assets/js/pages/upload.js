// Browser upload through the image's resumable upload URL (AddImage with upload://): 8 MiB PUT pieces with
// Content-Range; after a dropped connection HEAD tells where to continue. The upload URL and the file's name,
// size and lastModified are remembered in localStorage until the upload ends, so after a reload (or a closed
// tab) picking the same file again offers to resume: HEAD answers Upload-Offset, the bytes the server holds.
import { call } from '../api.js';
import { h, size, progressBar } from '../ui.js';

const PIECE = 8 * 1024 * 1024;
const KEY = 'stowage.uploads';

/** Unfinished uploads this browser started: [{ target, imageUuid, name, fileName, size, lastModified, startedAt }]. */
export function pendingUploads() {
  try { return JSON.parse(localStorage.getItem(KEY) ?? '[]').filter((u) => u && typeof u.target === 'string'); } catch { return []; }
}
function save(list) { localStorage.setItem(KEY, JSON.stringify(list)); }
export function forgetUpload(target) { save(pendingUploads().filter((u) => u.target !== target)); }
function remember(entry) { save([...pendingUploads().filter((u) => u.target !== entry.target), entry]); }

/** The remembered upload of this very file (same name, size and lastModified), if any. */
export function uploadFor(blob) {
  return pendingUploads().find((u) => u.fileName === blob.name && u.size === blob.size && u.lastModified === blob.lastModified) ?? null;
}

/** AddImage upload://, remembers the upload, then sends the file from byte 0. */
export async function uploadFile(blob, { name, format, bs }, status) {
  const safe = (blob.name || 'upload').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'upload';
  const reply = await call('AddImage', { name, format, url: `upload://${safe}`, backupStorageUuids: [bs] });
  // Same origin as the console: the upload URL names this server by the Host we used.
  const target = new URL(reply.inventory.backupStorageRefs[0].uploadUrl, location.href).pathname;
  remember({ target, imageUuid: reply.inventory.uuid, name, fileName: blob.name, size: blob.size, lastModified: blob.lastModified, startedAt: new Date().toISOString() });
  return send(target, blob, name, 0, status);
}

/** Continues a remembered upload with the same file: asks the server how many bytes it holds, sends the rest. */
export async function resumeUpload(entry, blob, status) {
  const head = await fetch(entry.target, { method: 'HEAD', cache: 'no-store' });
  if (head.status === 404) {
    forgetUpload(entry.target);
    throw Object.assign(new Error('the upload is gone'), { description: 'Cannot resume', details: 'the server no longer knows this upload (finished, expired or its image was deleted); start a new one' });
  }
  if (!head.ok && head.status !== 308) throw Object.assign(new Error(`HTTP ${head.status}`), { description: 'Cannot resume', details: `HEAD answered HTTP ${head.status}` });
  const offset = Number(head.headers.get('Upload-Offset') ?? 0);
  return send(entry.target, blob, entry.name, offset, status);
}

async function send(target, blob, name, start, status) {
  const bar = progressBar(0, `Upload of ${name}`);
  const info = h('div.muted');
  status.replaceChildren(h('div', start ? `Resuming ${name} at byte ${start.toLocaleString()}` : `Uploading ${name}`), bar, info);
  const show = (n) => {
    const pct = blob.size ? (100 * n) / blob.size : 100;
    bar.querySelector('progress').value = pct; bar.querySelector('.pct').textContent = `${Math.floor(pct)} %`;
    info.replaceChildren(size(n), ' of ', size(blob.size));
  };
  show(start);
  let offset = start; let failures = 0;
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
    if (res.ok) { forgetUpload(target); show(blob.size); const body = await res.json(); return body.inventory; }
    const text = await res.text();
    let err;
    try { err = JSON.parse(text).error; } catch { err = { description: `HTTP ${res.status}`, details: text }; }
    // Gone (404) or refused as wrong (400: size or checksum mismatch drops the upload): nothing left to resume.
    if (res.status === 404 || err?.code === 'SYS.1002') forgetUpload(target);
    const e = new Error(err.details); Object.assign(e, err); throw e;
  }
}
