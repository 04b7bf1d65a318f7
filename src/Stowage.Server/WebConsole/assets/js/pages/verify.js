// Verification pieces the image page and the backup-storage page share: a copy's status with its reason, when
// it was last verified and how that went, the repair choice, and running a Verify* long job with live progress
// and showing what it found (a mismatch is not an API error: the call succeeds and lists each copy's outcome).
import { call } from '../api.js';
import { h, badge, time, table, toast } from '../ui.js';
import { withProgress } from './common.js';

/** The copy's status; a Corrupted or Error copy says why (lastError) next to the badge, not only on hover. */
export function copyStatus(ref) {
  const bad = ref.status === 'Corrupted' || ref.status === 'Error';
  return h('span.copy-status', { dataset: { status: ref.status ?? '' } }, badge(ref.status),
    bad && ref.lastError ? h('div.lasterror', 'Reason: ', ref.lastError) : null);
}

/** When the copy was last verified and the outcome (Ok, Corrupted, Failed), or "never". */
export function lastVerified(ref) {
  if (!ref.lastVerifiedDate) return h('span.muted', 'never');
  return h('span.verified', badge(ref.lastVerifyOutcome ?? '–'), ' ', time(ref.lastVerifiedDate));
}

/** Copies that may be read from: Ready only (a Corrupted copy is never exported or copied from). */
export const readable = (ref) => ref.status === 'Ready';
/** Copies a verification looks at. */
export const verifiable = (ref) => ref.status === 'Ready' || ref.status === 'Corrupted';

let repairSeq = 0;
/** "Repair corrupted copies" checkbox; its value is sent as `repair` (the server's default is verify.repair). */
export function repairChoice() {
  const id = `repair-${++repairSeq}`;
  const box = h('input', { type: 'checkbox', id, name: 'repair', checked: true });
  const el = h('label.check', { for: id }, box, ' Repair corrupted copies from a good copy on another storage');
  return { el, value: () => box.checked };
}

/**
 * Runs one Verify* API with progress and Cancel in `watch`, then lists each copy's outcome in `out`.
 * `onDone` runs afterwards (also after a failure) so the page shows the new statuses.
 */
export async function runVerify(watch, out, label, apiName, args, onDone) {
  out.replaceChildren();
  try {
    const reply = await withProgress(watch, label, (onJob) => call(apiName, args, { onJob }));
    out.replaceChildren(verifyOutcome(reply));
    toast(`${label}: done`);
  } catch { /* withProgress shows the error */ }
  await onDone?.();
}

function verifyOutcome(reply) {
  const results = reply.results ?? [];
  const summary = reply.total !== undefined
    ? h('p.verify-summary', `${reply.total} cop${reply.total === 1 ? 'y' : 'ies'} verified: ${reply.ok} ok, ${reply.corrupted} corrupted, ${reply.repaired} repaired, ${reply.failed} failed.`)
    : null;
  return h('div.verify-results', summary, table([
    { label: 'Item', render: (r) => `${r.type} ${r.uuid}` },
    { label: 'Outcome', render: (r) => badge(r.outcome) },
    { label: 'Reason', render: (r) => r.reason ?? '–' },
    { label: 'Repair', render: (r) => (r.repair ? [badge(r.repair), r.repairReason ? ` ${r.repairReason}` : ''] : '–') },
  ], results, { empty: summary ? 'Every copy is intact.' : 'Nothing to report.' }));
}
