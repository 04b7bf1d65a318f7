// Dashboard: every backup storage at a glance, totals per zone, images by status, running jobs and the ping
// tracker's last round. Polls every 2 s, so a storage going Disconnected shows within one ping interval.
import { call, query } from '../api.js';
import { h, replace, size, time, ago, badge, capacityBar, applyWidths, humanSize } from '../ui.js';
import { zoneNames, renderJobs } from './common.js';
import { parseSize } from './sizes.js';

const REFRESH_MS = 2000;
const IMAGE_STATUSES = ['Ready', 'Downloading', 'Error', 'Deleted'];

export async function render(main, _params, ctx) {
  const cards = h('div.cards#bs-cards', { 'aria-live': 'polite' });
  const zonesEl = h('div#zone-totals'); const imagesEl = h('div#image-counts'); const jobsEl = h('div#running-jobs'); const pingEl = h('div#ping-round');
  const updated = h('p.muted#updated');
  replace(main,
    h('h1', 'Dashboard'), updated,
    h('section', { 'aria-labelledby': 'h-bs' }, h('h2#h-bs', 'Backup storage'), cards),
    h('div.grid2',
      h('section', { 'aria-labelledby': 'h-zones' }, h('h2#h-zones', 'Capacity per zone'), zonesEl),
      h('section', { 'aria-labelledby': 'h-img' }, h('h2#h-img', 'Images by status'), imagesEl),
      h('section', { 'aria-labelledby': 'h-ping' }, h('h2#h-ping', 'Ping tracker, last round'), pingEl)),
    h('section', { 'aria-labelledby': 'h-jobs' }, h('h2#h-jobs', 'Running jobs'), jobsEl));

  let reserved = 0;
  try {
    const r = await query('QueryGlobalConfig', ['category=backupStorage', 'name=reservedCapacity']);
    reserved = parseSize(r.inventories?.[0]?.value);
  } catch { /* shown without the reserve */ }

  ctx.every(REFRESH_MS, async () => {
    const [bs, zones] = await Promise.all([query('QueryBackupStorage', [], { sortBy: 'name', sortDirection: 'asc' }), zoneNames()]);
    const list = bs.inventories ?? [];
    replace(cards, list.length ? list.map((b) => card(b, zones, reserved)) : h('p.empty', 'No backup storage yet. ', h('a', { href: '#/storage' }, 'Add one.')));
    replace(zonesEl, zoneTotals(list, zones));
    const counts = await Promise.all(IMAGE_STATUSES.map((s) => query('QueryImage', [`status=${s}`], { count: true }).then((r) => r.total ?? 0)));
    replace(imagesEl, h('dl.counts', IMAGE_STATUSES.map((s, i) => [h('dt', badge(s)), h('dd', { dataset: { status: s } }, String(counts[i]))])));
    replace(pingEl, await pingRound());
    await renderJobs(jobsEl);
    updated.textContent = `Refreshed ${new Date().toLocaleTimeString()} (every ${REFRESH_MS / 1000} s)`;
    applyWidths(main);
  });
}

function card(b, zones, reserved) {
  const zoneText = b.attachedZoneUuids?.length ? b.attachedZoneUuids.map((z) => zones.get(z) ?? z).join(', ') : 'no zone';
  return h('article.card', { dataset: { bs: b.uuid, name: b.name, status: b.status }, 'aria-label': `${b.name}: ${b.status}` },
    h('h3', h('a', { href: `#/storage/${b.uuid}` }, b.name)),
    h('div.meta', h('span.type', b.type.replace(/BackupStorage$/, '')), ' ', badge(b.state), ' ', h('span.bs-status', badge(b.status))),
    b.status !== 'Connected' ? h('div.since', `${b.status} since `, time(b.lastOpDate), ` (${ago(b.lastOpDate)})`) : null,
    b.lastError ? h('div.lasterror', { title: b.lastError }, b.lastError) : null,
    capacityBar(b.totalCapacity, b.availableCapacity, reserved),
    h('div.capnums', size(b.totalCapacity - b.availableCapacity), ' used · ', size(b.availableCapacity), ' available · ', size(b.totalCapacity), ' total'),
    h('div.muted', 'Zones: ', zoneText));
}

function zoneTotals(list, zones) {
  const totals = new Map();
  for (const b of list) {
    const keys = b.attachedZoneUuids?.length ? b.attachedZoneUuids : ['(no zone)'];
    for (const z of keys) {
      const t = totals.get(z) ?? { total: 0, available: 0, count: 0, connected: 0 };
      t.total += b.totalCapacity; t.available += b.availableCapacity; t.count++; if (b.status === 'Connected') t.connected++;
      totals.set(z, t);
    }
  }
  if (!totals.size) return h('p.empty', 'Nothing yet.');
  return h('table.compact', h('thead', h('tr', ['Zone', 'Storages', 'Used', 'Available', 'Total'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', [...totals].map(([z, t]) => h('tr',
      h('td', { 'data-label': 'Zone' }, zones.get(z) ?? z), h('td', { 'data-label': 'Storages' }, `${t.connected}/${t.count} connected`),
      h('td', { 'data-label': 'Used' }, size(t.total - t.available)), h('td', { 'data-label': 'Available' }, size(t.available)), h('td', { 'data-label': 'Total' }, size(t.total))))));
}

async function pingRound() {
  try {
    const s = await call('GetBackupStoragePingStats');
    if (!s.lastRoundStartDate) return h('p.empty', 'No round has finished yet.');
    return h('dl.kv',
      h('dt', 'Started'), h('dd', time(s.lastRoundStartDate)),
      h('dt', 'Duration'), h('dd', `${s.lastRoundDurationMs} ms`),
      h('dt', 'Checked'), h('dd', `${s.lastRoundBackupStorages} backup storage`),
      s.lastRoundFailures !== undefined ? [h('dt', 'Failures'), h('dd', String(s.lastRoundFailures))] : null,
      h('dt', 'Rounds / pings / reconnects'), h('dd', `${s.rounds} / ${s.pings} / ${s.reconnects}`),
      h('dt', 'In flight (max)'), h('dd', `${s.inFlight} (${s.maxInFlight})`));
  } catch (e) {
    return h('p.muted', `Not available: ${e.details || e.description}`);
  }
}

export { humanSize };
