// Jobs and events: running long jobs with live progress and cancel, the recent finished ones with their outcome,
// and the backup-storage events (status changes, capacity alerts, corrupted copies and repairs) webhooks deliver.
import { query } from '../api.js';
import { h, replace, time, badge, table } from '../ui.js';
import { renderJobs } from './common.js';

export async function render(main, _params, ctx) {
  const running = h('div#jobs-running', { 'aria-live': 'polite' }); const done = h('div#jobs-done'); const events = h('div#events');
  replace(main, h('h1', 'Jobs and events'),
    h('section', { 'aria-labelledby': 'h-run' }, h('h2#h-run', 'Running'), running),
    h('section', { 'aria-labelledby': 'h-done' }, h('h2#h-done', 'Recent'), done),
    h('section', { 'aria-labelledby': 'h-ev' }, h('h2#h-ev', 'Events'), events));
  ctx.every(2000, async () => {
    await renderJobs(running);
    const r = await query('QueryLongJob', ['state?=Succeeded,Failed,Canceled'], { sortBy: 'lastOpDate', sortDirection: 'desc', limit: 50 });
    replace(done, table([
      { label: 'API', render: (j) => j.jobName.replace(/^API|Msg$/g, '') }, { label: 'Name', key: 'name' }, { label: 'State', render: (j) => badge(j.state) },
      { label: 'Started', render: (j) => time(j.createDate) }, { label: 'Ended', render: (j) => time(j.lastOpDate) },
      { label: 'Result', render: (j) => h('span.result', { title: j.jobResult ?? '' }, summary(j.jobResult)) },
    ], r.inventories ?? [], { empty: 'No finished job.' }));
    const ev = await query('QueryBackupStorageEvent', [], { sortBy: 'createDate', sortDirection: 'desc', limit: 50 });
    replace(events, table([
      { label: 'When', render: (e) => time(e.createDate) }, { label: 'Event', render: (e) => h('code', e.path) },
      { label: 'Backup storage', render: (e) => h('a', { href: `#/storage/${e.backupStorageUuid}` }, e.backupStorageUuid) },
      { label: 'Change', render: (e) => (e.oldStatus || e.newStatus ? `${e.oldStatus ?? ''} → ${e.newStatus ?? ''}` : '') },
      { label: 'Reason', render: (e) => e.reason ?? '' },
    ], ev.inventories ?? [], { empty: 'No event yet.' }));
  });
}

function summary(result) {
  try {
    const r = JSON.parse(result ?? '');
    if (r.error) return `${r.error.code}: ${r.error.details ?? r.error.description}`;
    if (r.inventory) return `${r.inventory.name ?? r.inventory.uuid} ${r.inventory.status ?? ''}`;
  } catch { /* not JSON */ }
  return '';
}
