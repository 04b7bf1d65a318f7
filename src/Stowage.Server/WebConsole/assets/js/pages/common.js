// Pieces several pages share: running jobs with live progress, zone names, reserved capacity.
import { call, query, progress } from '../api.js';
import { h, progressBar, size, time, badge, errorBox, confirmAction, toast, applyWidths } from '../ui.js';

export async function zoneNames() {
  const r = await query('QueryZone', [], { fields: ['uuid', 'name'] });
  return new Map((r.inventories ?? []).map((z) => [z.uuid, z.name]));
}

export const RUNNING = ['Waiting', 'Running', 'Suspended', 'Canceling'];

export async function runningJobs() {
  const r = await query('QueryLongJob', [`state?=${RUNNING.join(',')}`], { sortBy: 'createDate', sortDirection: 'desc', limit: 50 });
  return r.inventories ?? [];
}

/** One running job with its transfers' progress and a Cancel button. */
export async function jobRow(job, onChange) {
  const items = await progress(job.apiId || job.uuid).catch(() => []);
  const top = items.find((i) => !i.parentUuid)?.opaque;
  const transfers = items.filter((i) => i.parentUuid);
  const pct = top?.percent ?? 0;
  const cancel = h('button.danger', {
    type: 'button',
    onclick: async () => {
      if (!await confirmAction('Cancel job', `Cancel ${job.jobName.replace(/^API|Msg$/g, '')} "${job.name}"? Partial files are removed and reservations returned.`, 'Cancel job')) return;
      try { await call('CancelApiJob', { uuid: job.apiId || job.uuid }); toast('Job cancelled'); onChange?.(); } catch (e) { toast(`${e.description}: ${e.details}`, 'error'); }
    },
  }, 'Cancel');
  return h('li.job', { dataset: { job: job.uuid } },
    h('div.jobhead', h('strong', job.jobName.replace(/^API|Msg$/g, '')), ' ', badge(job.state), ' ', time(job.createDate), ' ', cancel),
    progressBar(pct, `Progress of job ${job.uuid}`),
    top?.bytesTotal ? h('div.muted', size(top.bytesDone), ' of ', size(top.bytesTotal), top.bytesPerSecond ? ` · ${(top.bytesPerSecond / 1048576).toFixed(1)} MiB/s` : '', top.etaSeconds ? ` · ${top.etaSeconds} s left` : '') : null,
    transfers.length > 1 ? h('ul.transfers', transfers.map((t) => h('li', t.taskName, ' ', t.opaque?.backupStorageUuid ?? '', ' ', progressBar(t.opaque?.percent ?? 0, `Transfer ${t.taskUuid}`)))) : null);
}

export async function renderJobs(container, onChange) {
  const list = await runningJobs();
  const rows = await Promise.all(list.map((j) => jobRow(j, onChange)));
  container.replaceChildren(rows.length ? h('ul.jobs', rows) : h('p.empty', 'No job is running.'));
  applyWidths(container);
}

/** Watches one job's progress while `promise` (the API call) runs; returns the call's result. */
export async function withProgress(container, label, start) {
  let jobUuid = null; let done = false;
  const bar = progressBar(0, label);
  const info = h('div.muted');
  const cancel = h('button.danger', { type: 'button', onclick: async () => {
    if (!jobUuid) return;
    try { await call('CancelApiJob', { uuid: jobUuid }); } catch (e) { container.append(errorBox(e)); }
  } }, 'Cancel');
  container.replaceChildren(h('div.watch', h('div', label), bar, info, cancel));
  const tick = async () => {
    if (done || !jobUuid) return;
    const items = await progress(jobUuid).catch(() => []);
    const top = items.find((i) => !i.parentUuid)?.opaque;
    if (top && !done) {
      bar.querySelector('progress').value = top.percent ?? 0;
      bar.querySelector('.pct').textContent = `${Math.round(top.percent ?? 0)} %`;
      info.replaceChildren(top.bytesTotal ? h('span', size(top.bytesDone), ' of ', size(top.bytesTotal)) : '');
    }
  };
  const timer = setInterval(tick, 500);
  try {
    const reply = await start((u) => { jobUuid = u; });
    done = true;
    bar.querySelector('progress').value = 100;
    bar.querySelector('.pct').textContent = '100 %';
    cancel.remove();
    info.replaceChildren('Done.');
    return reply;
  } catch (e) {
    done = true;
    cancel.remove();
    container.append(errorBox(e));
    throw e;
  } finally {
    clearInterval(timer);
  }
}
