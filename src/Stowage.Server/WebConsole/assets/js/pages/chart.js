// Capacity and ping-latency history as inline SVG (no chart library): used bytes as a line against total,
// and ping latency on its own scale, with failed pings marked.
import { h, humanSize } from '../ui.js';

const W = 640; const H = 160; const PAD = 32;

export function historyChart(samples) {
  if (!samples.length) return h('p.empty', 'No samples yet: the ping tracker adds one per ping.');
  const t0 = samples[0].time; const t1 = samples[samples.length - 1].time;
  const x = (t) => PAD + ((W - 2 * PAD) * (t - t0)) / Math.max(1, t1 - t0);
  const maxTotal = Math.max(1, ...samples.map((s) => s.totalCapacity ?? 0));
  const maxLat = Math.max(1, ...samples.map((s) => s.latencyMs ?? 0));
  const yCap = (v) => H - PAD - ((H - 2 * PAD) * v) / maxTotal;
  const yLat = (v) => H - PAD - ((H - 2 * PAD) * v) / maxLat;
  const used = samples.map((s) => `${x(s.time).toFixed(1)},${yCap((s.totalCapacity ?? 0) - (s.availableCapacity ?? 0)).toFixed(1)}`).join(' ');
  const lat = samples.filter((s) => s.latencyMs !== null && s.latencyMs !== undefined).map((s) => `${x(s.time).toFixed(1)},${yLat(s.latencyMs).toFixed(1)}`).join(' ');
  const last = samples[samples.length - 1];
  const failures = samples.filter((s) => !s.ok);
  const summary = `${samples.length} samples from ${new Date(t0).toLocaleTimeString()} to ${new Date(t1).toLocaleTimeString()}; last: ${humanSize(last.totalCapacity - last.availableCapacity)} used of ${humanSize(last.totalCapacity)}, ping ${last.latencyMs ?? '–'} ms; ${failures.length} failed pings`;
  return h('figure.chart',
    h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, class: 'history' },
      h('title', summary),
      h('line.axis', { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD }),
      h('line.axis', { x1: PAD, y1: PAD, x2: PAD, y2: H - PAD }),
      h('text.lbl', { x: 2, y: PAD - 6 }, humanSize(maxTotal)),
      h('text.lbl', { x: W - PAD - 60, y: PAD - 6 }, `${maxLat} ms`),
      h('polyline.used', { points: used }),
      lat ? h('polyline.lat', { points: lat }) : null,
      failures.map((s) => h('circle.fail', { cx: x(s.time).toFixed(1), cy: H - PAD, r: 3 }))),
    h('figcaption', h('span.key-used', 'used capacity'), ' · ', h('span.key-lat', 'ping latency'), ' · ', h('span.key-fail', 'failed ping'), ' — ', summary));
}
