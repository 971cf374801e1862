// The training section of the HTML report (`lowp check CHECKPOINT --to bf16 --html report.html`): the
// verdict sentences, the run's facts, the pairing of optimizer indices with parameters, and two charts
// drawn as inline SVG (no script, nothing fetched): the share of each parameter's weights that the next
// step leaves unchanged (for-loop and fused bars, inf/NaN marked), and the unchanged share as a function
// of the lr (the absorption curve, with the remaining schedule's steps when known). A table lists every
// parameter's figures.
import type { TrainingMomentsReport, TrainingReadiness, TrainingTensorReport } from '../diagnostics/trainingReadiness.js';
import { fmtPercent, fmtValue } from '../diagnostics/text.js';
import { trainingWorstFirst, type TrainingSection } from './training.js';
import { fmtCount, fmtNum, fmtShape } from './units.js';

/** Styles of the section (added to the report's). */
export const TRAINING_STYLE = `
.training .bars text { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #1d232a; }
.training .axis text { font: 11px system-ui, sans-serif; fill: #5b6673; }
.training svg { display: block; max-width: 100%; }
.training .sw { margin-left: 0; }
`;

/** Escapes text for HTML content and attributes (as report-html.ts does; kept here to avoid an import cycle). */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const FOREACH = '#1f5fbf';
const FUSED = '#ff9800';
const BAD = '#d62728';

const pct = (x: number): string => fmtPercent(x);

/** Horizontal bars: per parameter, the unchanged share for the for-loop path and the fused kernel. */
function barsSvg(tensors: TrainingTensorReport[]): string {
  const rowH = 22, labelW = 300, barW = 560, top = 24, w = labelW + barW + 190;
  const h = top + rowH * tensors.length + 28;
  const x = (f: number): number => labelW + f * barW;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => `<line x1="${x(f)}" y1="${top - 4}" x2="${x(f)}" y2="${h - 24}" stroke="#d9dee4"/><text x="${x(f)}" y="${h - 8}" text-anchor="middle">${f * 100}%</text>`).join('');
  const rows = tensors.map((t, i) => {
    const y = top + i * rowH;
    const fe = t.implementations.foreach, fu = t.implementations.fused;
    const bad = fe.nonFinite + fu.nonFinite > 0;
    const name = t.name.length > 44 ? `…${t.name.slice(-43)}` : t.name;
    return `<g data-tensor="${escapeHtml(t.name)}"><title>${escapeHtml(`${t.name}: ${pct(fe.unchangedFraction)} unchanged (for-loop), ${pct(fu.unchangedFraction)} (fused); inf/NaN ${fmtCount(fe.nonFinite)} / ${fmtCount(fu.nonFinite)}`)}</title>`
      + `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end"${bad ? ` fill="${BAD}"` : ''}>${escapeHtml(name)}</text>`
      + `<rect class="bar-foreach" x="${labelW}" y="${y + 3}" width="${(fe.unchangedFraction * barW).toFixed(1)}" height="8" fill="${FOREACH}"/>`
      + `<rect class="bar-fused" x="${labelW}" y="${y + 11}" width="${(fu.unchangedFraction * barW).toFixed(1)}" height="8" fill="${FUSED}"/>`
      + `<text x="${x(1) + 6}" y="${y + 14}">${escapeHtml(pct(fe.unchangedFraction))}${bad ? ` · ${escapeHtml(fmtCount(fe.nonFinite))} inf/NaN` : ''}</text></g>`;
  }).join('');
  return `<svg class="bars" role="img" aria-label="unchanged share of each parameter's weights on the next step" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><g class="axis">${grid}</g>${rows}</svg>`;
}

/** The absorption curve: unchanged share against the lr (log scale), the current lr and the schedule marked. */
function curveSvg(r: TrainingReadiness): string {
  const pts = [...r.absorption.curve].sort((a, b) => a.lr - b.lr);
  if (pts.length < 2) return '';
  const w = 700, h = 260, l = 56, rgt = 20, t = 16, b = 40;
  const lo = Math.log2(pts[0].lr), hi = Math.log2(pts[pts.length - 1].lr);
  const X = (lr: number): number => l + ((Math.log2(lr) - lo) / (hi - lo)) * (w - l - rgt);
  const Y = (f: number): number => t + (1 - f) * (h - t - b);
  const line = (key: 'foreach' | 'fused', color: string): string => `<polyline class="curve-${key}" fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${X(p.lr).toFixed(1)},${Y(p[key]).toFixed(1)}`).join(' ')}"/>`;
  const yAxis = [0, 0.25, 0.5, 0.75, 1].map((f) => `<line x1="${l}" y1="${Y(f)}" x2="${w - rgt}" y2="${Y(f)}" stroke="#eef0f3"/><text x="${l - 6}" y="${Y(f) + 4}" text-anchor="end">${f * 100}%</text>`).join('');
  const xAxis = pts.filter((_, i) => i % 2 === 0).map((p) => `<text x="${X(p.lr)}" y="${h - b + 16}" text-anchor="middle">${escapeHtml(fmtValue(p.lr))}</text>`).join('');
  const right = X(r.lr) > w - 200;
  const now = `<line x1="${X(r.lr)}" y1="${t}" x2="${X(r.lr)}" y2="${h - b}" stroke="#5b6673" stroke-dasharray="4 3"/><text class="now" x="${X(r.lr) + (right ? -4 : 4)}" y="${t + 10}" text-anchor="${right ? 'end' : 'start'}">next step (lr ${escapeHtml(fmtValue(r.lr))})</text>`;
  let sched = '';
  if (r.schedule) {
    const inRange = r.schedule.points.filter((p) => p.lr >= pts[0].lr && p.lr <= pts[pts.length - 1].lr);
    sched = inRange.map((p) => `<circle cx="${X(p.lr).toFixed(1)}" cy="${Y(p.foreach).toFixed(1)}" r="3" fill="${FOREACH}" stroke="#fff"><title>${escapeHtml(`step ${fmtCount(p.step)}: lr ${fmtValue(p.lr)}, ${pct(p.foreach)} unchanged (for-loop), ${pct(p.fused)} (fused)`)}</title></circle>`).join('');
  }
  return `<svg class="curve" role="img" aria-label="unchanged share of the weights as a function of the lr" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><g class="axis">${yAxis}${xAxis}<text x="${(l + w - rgt) / 2}" y="${h - 6}" text-anchor="middle">lr (log scale)</text></g>${line('foreach', FOREACH)}${line('fused', FUSED)}${now}${sched}</svg>`;
}

/** The training section as HTML (a `<section>`), or '' when there is none. */
export function renderTrainingHtml(t: TrainingSection | null | undefined): string {
  if (!t) return '';
  if (t.status === 'skipped') return `<section class="training"><h2>Training</h2><p class="muted">Not analysed: ${escapeHtml(t.reason)}.</p></section>`;
  const r = t.report;
  const opt = r.optimizer === 'adamw' ? 'AdamW' : 'Adam';
  const sorted = [...r.tensors].sort(trainingWorstFirst);
  const fe = r.implementations.foreach, fu = r.implementations.fused;
  const facts = [
    `step ${fmtCount(r.step + 1)}${t.maxSteps ? ` of ${fmtCount(t.maxSteps)}` : ''}`, `lr ${fmtValue(r.lr)}${t.lrSource === '--lr' ? ' (--lr)' : ''}`, `betas ${r.betas.join(', ')}`, `eps ${fmtNum(r.eps)}`,
    ...t.groups.map((g) => `group ${g.index}: ${g.parameters} parameters, weight decay ${g.weightDecay ?? '?'}`),
  ];
  const rows = sorted.map((x) => {
    const a = x.implementations.foreach, b = x.implementations.fused;
    return `<tr><td class="name">${escapeHtml(x.name)}</td><td class="num">${escapeHtml(fmtShape(x.shape ?? [x.elements]))}</td><td class="num">${escapeHtml(fmtValue(x.weightDecay))}</td><td class="num">${escapeHtml(pct(a.unchangedFraction))}${a.unchangedFractionStdError > 0 ? ` ±${escapeHtml(pct(a.unchangedFractionStdError))}` : ''}</td><td class="num">${escapeHtml(pct(b.unchangedFraction))}</td><td class="num">${escapeHtml(fmtCount(a.nonFinite))} / ${escapeHtml(fmtCount(b.nonFinite))}</td><td class="num">${escapeHtml(pct(a.stochasticMovedFraction))}</td><td class="num">${escapeHtml(x.moments.expAvgSqFlushed === 0 ? '0' : pct(x.moments.expAvgSqFlushed / Math.max(1, x.elements)))}</td><td>${x.decay.noop ? 'no-op' : 'acts'}</td><td class="num">${escapeHtml(fmtNum(x.gradients.median))}</td></tr>`;
  }).join('\n');
  const mo = r.momentsOnly.map((x: TrainingMomentsReport) => `<tr><td class="name">${escapeHtml(x.name)}</td><td class="num">${escapeHtml(fmtShape(x.shape ?? [x.elements]))}</td><td class="num">${escapeHtml(x.moments.expAvgSqFlushed === 0 ? '0' : pct(x.moments.expAvgSqFlushed / Math.max(1, x.elements)))}</td><td class="num">${escapeHtml(fmtNum(x.gradients.median))}</td></tr>`).join('\n');
  const amb = t.mapping.ambiguous.map((a) => `<li>optimizer ${a.indices.length === 1 ? 'index' : 'indices'} ${escapeHtml(a.indices.join(', '))} ↔ ${escapeHtml(a.names.join(', ') || '?')}: ${escapeHtml(a.reason)}</li>`).join('');
  const skipped = t.checkpoint.skipped.map((s) => `<li>${escapeHtml(s.file.split(/[\\/]/).pop() ?? s.file)}: ${escapeHtml(s.reason)}</li>`).join('');
  const summary = r.tensors.length > 0
    ? `<tr><th>next step in pure ${escapeHtml(r.precision)}</th><td>for-loop: ${escapeHtml(pct(fe.unchangedFraction))} of ${escapeHtml(fmtCount(fe.elements))} weights unchanged, ${escapeHtml(fmtCount(fe.nonFinite))} inf/NaN · fused: ${escapeHtml(pct(fu.unchangedFraction))} unchanged, ${escapeHtml(fmtCount(fu.nonFinite))} inf/NaN</td></tr>
<tr><th>stochastic rounding</th><td>${escapeHtml(pct(fe.stochasticMovedFraction))} of the weights would move (for-loop; fused ${escapeHtml(pct(fu.stochasticMovedFraction))})</td></tr>`
    : '';
  return `<section class="training" id="training">
<h2>Training: the next ${escapeHtml(opt)} step in pure ${escapeHtml(r.precision)}</h2>
<div class="muted">${escapeHtml(facts.join(' · '))}</div>
<div class="verdict v-lossy"><b>training</b> in pure ${escapeHtml(r.precision)}<ul class="reasons">${[...t.notes, ...r.reasons].map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul></div>
<table>
${summary}
<tr><th>fp16 loss scale</th><td>2^${r.lossScale.log2Scale} for the gradients √v̂ implies (flushed to 0 at scale 1: ${escapeHtml(pct(r.lossScale.flushedBefore))})</td></tr>
<tr><th>schedule</th><td>${escapeHtml(t.schedule ? t.schedule.description : `none (${t.scheduleNote ?? 'unknown'})`)}</td></tr>
<tr><th>pairing</th><td>${escapeHtml(t.mapping.notes.join('; '))}${amb ? `<ul>${amb}</ul>` : ''}</td></tr>
${t.mapping.withoutState.length > 0 ? `<tr><th>without optimizer state</th><td>${escapeHtml(t.mapping.withoutState.join(', '))}</td></tr>` : ''}
${skipped ? `<tr><th>skipped files</th><td><ul>${skipped}</ul></td></tr>` : ''}
</table>
${sorted.length > 0 ? `<h3 style="font-family:inherit;margin-top:14px">Weights the next step leaves unchanged, per parameter</h3>
<div class="legend"><span class="sw" style="background:${FOREACH}"></span>for-loop (foreach) path <span class="sw" style="background:${FUSED}"></span>fused kernel <span style="color:${BAD}">red name</span>: weights become inf/NaN</div>
<div class="scroll" style="max-height:640px">${barsSvg(sorted)}</div>
<h3 style="font-family:inherit;margin-top:14px">Unchanged weights as the lr changes (moments as now)</h3>
<div class="legend"><span class="sw" style="background:${FOREACH}"></span>for-loop <span class="sw" style="background:${FUSED}"></span>fused${r.schedule ? ' · dots: the remaining schedule\'s steps' : ''}</div>
${curveSvg(r)}
<div class="scroll"><table>
<tr><th>parameter</th><th class="num">shape</th><th class="num">wd</th><th class="num">unchanged</th><th class="num">fused</th><th class="num">inf/NaN</th><th class="num">SR moves</th><th class="num">v → 0</th><th>decay</th><th class="num">median √v̂</th></tr>
${rows}
</table></div>` : ''}
${mo ? `<h3 style="font-family:inherit;margin-top:14px">Analysed without the step (weights not paired with certainty)</h3><div class="scroll"><table><tr><th>optimizer state</th><th class="num">shape</th><th class="num">v → 0</th><th class="num">median √v̂</th></tr>
${mo}
</table></div>` : ''}
</section>`;
}
