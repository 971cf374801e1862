// The HTML report of `lowp check --html`: one self-contained file (no network at view time) with the
// verdict, the summary, the constants, a table of every tensor and, per tensor, a histogram of log2|x|
// with the target format's ranges shaded (flushed to zero, subnormal, normal, overflow). Charts are drawn
// by uPlot (MIT, ~50 KB), whose minified build and stylesheet are read from node_modules at run time and
// inlined; charts render lazily as they scroll into view, so reports of thousands of tensors stay light.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { VERDICT_ORDER, type CastVerdict } from './analysis.js';
import type { AnyCheckReport, CheckReport } from './commands/check.js';
import { worstFirst } from './commands/check.js';
import { describeGgmlTarget, ggmlWorstFirst, type GgmlCheckReport } from './commands/check-ggml.js';
import type { GgmlAnalysis } from '../quant/ggml/analyze.js';
import { finfo } from '../formats/index.js';
import { fmtBits, fmtBytes, fmtCount, fmtCountShare, fmtDb, fmtNum, fmtRelError, fmtSeconds, fmtShape } from './units.js';
import { renderTrainingHtml, TRAINING_STYLE } from './training-html.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe to place inside a <script> element (no '</script>', no U+2028/9 surprises). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let assets: { js: string; css: string } | undefined;

/** uPlot's minified IIFE build and its stylesheet, read once from the installed package. */
export function chartAssets(): { js: string; css: string } {
  if (assets === undefined) {
    const require = createRequire(import.meta.url);
    const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    assets = { js, css };
  }
  return assets;
}

const VERDICT_CLASS: Record<CastVerdict, string> = {
  safe: 'v-safe',
  lossy: 'v-lossy',
  'underflow-risk': 'v-under',
  'overflow-risk': 'v-over',
};

/** The stylesheet shared by lowp's HTML reports. */
export const STYLE = `
:root { --fg:#1d232a; --muted:#5b6673; --line:#d9dee4; --bg:#fff; --flush:rgba(214,39,40,.16); --sub:rgba(255,160,0,.20); --norm:rgba(44,160,44,.10); --over:rgba(214,39,40,.16); }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 64px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.muted { color: var(--muted); }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 14px 0; border-left: 6px solid; }
.verdict b { text-transform: uppercase; letter-spacing: .03em; }
.v-safe { background:#eaf6ea; border-color:#2ca02c; } .v-lossy { background:#eef3fb; border-color:#1f77b4; }
.v-under { background:#fff4e0; border-color:#ff9800; } .v-over { background:#fdeaea; border-color:#d62728; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; border:1px solid; white-space:nowrap; }
.badge.v-safe{color:#1b5e20} .badge.v-lossy{color:#0d47a1} .badge.v-under{color:#8a4b00} .badge.v-over{color:#b71c1c}
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; position: sticky; top: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .facts { font-size: 12.5px; color: var(--muted); margin: 4px 0 6px; }
.chart { height: 190px; }
.legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
.sw { display:inline-block; width:12px; height:10px; vertical-align:-1px; margin:0 3px 0 10px; border:1px solid #0002; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
a { color: #1f5fbf; text-decoration: none; } a:hover { text-decoration: underline; }
ul.reasons { margin: 6px 0 0 18px; padding: 0; }
`;

/**
 * The client script: draws each tensor's histogram with uPlot when its card scrolls into view. Bars of
 * the log2|x| histogram (log-scaled counts), background bands for the target's flush-to-zero, subnormal,
 * normal and overflow ranges.
 */
const CLIENT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('lowp-data').textContent);
  var COLORS = { flush: 'rgba(214,39,40,0.16)', sub: 'rgba(255,160,0,0.22)', norm: 'rgba(44,160,44,0.10)', over: 'rgba(214,39,40,0.16)' };
  function bandsPlugin(b) {
    return { hooks: { drawClear: function (u) {
      var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
      function px(v) { return Math.max(left, Math.min(right, u.valToPos(v, 'x', true))); }
      var edges = [[-Infinity, b.flushBelow, COLORS.flush], [b.flushBelow, b.normal, COLORS.sub], [b.normal, b.overflowAbove, COLORS.norm], [b.overflowAbove, Infinity, COLORS.over]];
      ctx.save();
      for (var i = 0; i < edges.length; i++) {
        var x0 = edges[i][0] === -Infinity ? left : px(edges[i][0]);
        var x1 = edges[i][1] === Infinity ? right : px(edges[i][1]);
        if (x1 > x0) { ctx.fillStyle = edges[i][2]; ctx.fillRect(x0, top, x1 - x0, h); }
      }
      ctx.restore();
    } } };
  }
  function draw(el) {
    var t = data.tensors[+el.getAttribute('data-i')];
    if (!t || !t.h) { el.textContent = 'no nonzero finite values'; el.style.height = 'auto'; return; }
    var e = t.h.edges, c = t.h.counts, xs = [], ys = [];
    for (var i = 0; i < c.length; i++) { xs.push((e[i] + e[i + 1]) / 2); ys.push(c[i] > 0 ? c[i] : null); }
    var lo = t.h.view[0], hi = t.h.view[1];
    var bars = uPlot.paths.bars({ size: [1, Infinity], gap: 0 });
    var opts = {
      width: Math.max(280, el.clientWidth), height: 190,
      legend: { show: false }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [lo, hi] }, y: { distr: 3, range: function (u, mn, mx) { return [0.5, Math.max(10, mx * 2)]; } } },
      axes: [
        { label: data.xLabel || 'log2 |x|', labelSize: 18, size: 32, incrs: [1, 2, 5, 10, 20, 50, 100], values: function (u, v) { return v.map(function (x) { return x == null ? '' : String(x); }); } },
        { label: 'count', labelSize: 18, size: 48,
          splits: function (u, ai, mn, mx) { var s = []; for (var p = 1; p <= mx * 1.0001; p *= 10) if (p >= mn * 0.9999) s.push(p); return s; },
          values: function (u, v) { return v.map(function (x) { return x == null ? '' : x >= 1e6 ? (x / 1e6) + 'M' : x >= 1e3 ? (x / 1e3) + 'k' : String(x); }); } }
      ],
      series: [{}, { label: 'values', stroke: '#1f5fbf', fill: 'rgba(31,95,191,0.55)', width: 1, paths: bars, points: { show: false } }],
      plugins: [bandsPlugin(data.bands)]
    };
    el.textContent = '';
    new uPlot(opts, [xs, ys], el);
    el.setAttribute('data-drawn', '1');
  }
  var charts = Array.prototype.slice.call(document.querySelectorAll('.chart[data-i]'));
  if ('IntersectionObserver' in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (en) { if (en.isIntersecting) { io.unobserve(en.target); draw(en.target); } });
    }, { rootMargin: '400px 0px' });
    charts.forEach(function (el) { io.observe(el); });
  } else {
    charts.forEach(draw);
  }
  window.__lowpDrawAll = function () { charts.forEach(function (el) { if (!el.getAttribute('data-drawn')) draw(el); }); };
})();
`;

/** C-order coordinates of a flat index: 7 in [2, 4] → [1, 3]. */
export function unravelIndex(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] > 0 ? shape[d] : 1;
    out[d] = rest % n;
    rest = Math.floor(rest / n);
  }
  return out;
}

/** The analysis' worst elements as 'x[i, j] = value → result' (at most 3). */
function worstElements(c: { shape: number[]; analysis: { worst: readonly { index: number; value: number; result: number }[] } }): string[] {
  const worst = c.analysis.worst;
  return worst.slice(0, 3).map((w) => `x[${unravelIndex(w.index, c.shape).join(', ')}] = ${fmtNum(w.value, 4)} → ${fmtNum(w.result, 4)}`);
}

function badge(v: CastVerdict): string {
  return `<span class="badge ${VERDICT_CLASS[v]}">${escapeHtml(v)}</span>`;
}

/**
 * Renders a `lowp check` report as one self-contained HTML document (inline CSS, inline uPlot, inline
 * data; no external resource of any kind): the cast report of a format target, or the ggml report of
 * `--to q4_k` (see {@link renderGgmlHtmlReport}).
 *
 * @param report - the result of `runCheck`
 * @returns the HTML text
 * @example
 * ```ts
 * writeFileSync('report.html', renderHtmlReport(await runCheck(undefined, { sample: true, to: 'fp16' }, io)));
 * ```
 */
export function renderHtmlReport(report: AnyCheckReport): string {
  return report.targetKind === 'ggml' ? renderGgmlHtmlReport(report) : renderCastHtmlReport(report);
}

/** The HTML report of a cast (a format target). */
function renderCastHtmlReport(report: CheckReport): string {
  const { js, css } = chartAssets();
  const t = report.target;
  const s = report.summary;
  const sorted = [...report.tensors].sort(worstFirst);
  const log2 = (x: number): number => Math.log2(x);
  const bands = {
    // |x| below half the smallest positive value rounds to zero; above max + half an ulp it overflows
    flushBelow: log2(t.smallestSubnormal) - 1,
    normal: log2(t.smallestNormal),
    overflowAbove: log2(t.max),
  };
  const chartData = sorted.map((c) => {
    const h = c.figures.histogram;
    if (h === null || h.counts.every((n) => n === 0)) return { h: null };
    let first = h.counts.findIndex((n) => n > 0);
    let last = h.counts.length - 1;
    while (last > 0 && h.counts[last] === 0) last--;
    if (first < 0) first = 0;
    let lo = h.edges[first] - 2;
    let hi = h.edges[last + 1] + 2;
    // show a band boundary when it is near the data, so the picture says how close the values are
    for (const edge of [bands.flushBelow, bands.normal, bands.overflowAbove]) {
      if (edge < lo && lo - edge <= 12) lo = edge - 2;
      if (edge > hi && edge - hi <= 12) hi = edge + 2;
    }
    return { h: { edges: h.edges, counts: h.counts, view: [Math.floor(lo), Math.ceil(hi)] } };
  });

  const rows = sorted
    .map((c, i) => {
      const f = c.figures;
      return `<tr><td class="name"><a href="#t${i}">${escapeHtml(c.name)}</a></td><td>${escapeHtml(c.dtype)}</td><td class="num">${escapeHtml(fmtShape(c.shape))}</td><td>${badge(f.verdict)}</td><td class="num">${escapeHtml(fmtCountShare(f.flushedToZero, f.total))}</td><td class="num">${escapeHtml(fmtCountShare(f.becameSubnormal, f.total))}</td><td class="num">${escapeHtml(fmtCountShare(f.overflowed, f.total))}</td><td class="num">${escapeHtml(fmtNum(f.maxAbs))}</td><td class="num">${escapeHtml(fmtBits(f.headroomBits))}</td><td class="num">${escapeHtml(fmtRelError(f.maxRelError))}</td></tr>`;
    })
    .join('\n');

  const cards = sorted
    .map((c, i) => {
      const f = c.figures;
      const reasons = f.reasons.length > 0 ? `<div class="facts">${escapeHtml(f.reasons.join(' '))}</div>` : '';
      const worst = worstElements(c);
      const worstLine = worst.length > 0 ? `<div class="facts">worst elements: ${escapeHtml(worst.join(' · '))}</div>` : '';
      return `<div class="card" id="t${i}"><h3>${escapeHtml(c.name)} ${badge(f.verdict)}</h3>
<div class="facts">${escapeHtml(c.dtype)} ${escapeHtml(fmtShape(c.shape))} · ${escapeHtml(fmtCount(f.total))} values · max |x| ${escapeHtml(fmtNum(f.maxAbs))} · min |x|≠0 ${escapeHtml(fmtNum(f.minAbsNonzero))} · flushed ${escapeHtml(fmtCountShare(f.flushedToZero, f.total))} · subnormal ${escapeHtml(fmtCountShare(f.becameSubnormal, f.total))} · overflow ${escapeHtml(fmtCountShare(f.overflowed, f.total))} · zeros ${escapeHtml(fmtCountShare(f.zeros, f.total))}</div>${reasons}${worstLine}
<div class="chart" data-i="${i}" role="img" aria-label="histogram of log2 |x| for ${escapeHtml(c.name)}"></div></div>`;
    })
    .join('\n');

  const constants = report.constants.rows
    .map((c) => `<tr><td class="name">${escapeHtml(c.name)}</td><td class="num">${escapeHtml(fmtNum(c.value, 4))}</td><td class="num">${escapeHtml(fmtNum(c.castsTo, 4))}</td><td>${escapeHtml(c.kind)}</td><td>${escapeHtml(c.suggestion ?? '')}</td></tr>`)
    .join('\n');

  const byVerdict = [...VERDICT_ORDER]
    .reverse()
    .filter((v) => s.byVerdict[v] > 0)
    .map((v) => `${s.byVerdict[v]} ${badge(v)}`)
    .join(' ');

  const legend = `<span class="sw" style="background:var(--flush)"></span>flushes to 0 (|x| &lt; 2^${fmtNum(bands.flushBelow, 4)})<span class="sw" style="background:var(--sub)"></span>subnormal (fewer significant bits)<span class="sw" style="background:var(--norm)"></span>normal (from 2^${fmtNum(bands.normal, 4)})<span class="sw" style="background:var(--over)"></span>overflow (|x| &gt; ${escapeHtml(fmtNum(t.max, 5))})`;

  const data = { target: t.name, bands, tensors: chartData };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lowp ${escapeHtml(report.lowpVersion)}">
<title>lowp check: ${escapeHtml(report.input.label)} → ${escapeHtml(t.name)}</title>
<style>${css}</style><style>${STYLE}${report.training ? TRAINING_STYLE : ''}</style></head>
<body>
<h1>lowp check: ${escapeHtml(report.input.label)} → ${escapeHtml(t.name)}</h1>
<div class="muted">${escapeHtml(fmtCount(s.tensors))} tensors · ${escapeHtml(fmtCount(s.total))} values · ${escapeHtml(fmtBytes(s.bytes))} · checked in ${escapeHtml(fmtSeconds(s.seconds))} · lowp ${escapeHtml(report.lowpVersion)}</div>
<div class="verdict ${VERDICT_CLASS[report.verdict]}"><b>${escapeHtml(report.verdict)}</b> for ${escapeHtml(t.name)}<ul class="reasons">${report.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></div>

<h2>Summary</h2>
<table>
<tr><th>tensors by verdict</th><td>${byVerdict}</td></tr>
<tr><th>values</th><td>${escapeHtml(fmtCount(s.total))}: zero ${escapeHtml(fmtCountShare(s.zeros, s.total))}, exact ${escapeHtml(fmtCountShare(s.exact, s.total))}, rounded ${escapeHtml(fmtCountShare(s.rounded, s.total))}</td></tr>
<tr><th>flushed to zero</th><td>${escapeHtml(fmtCountShare(s.flushedToZero, s.total))}</td></tr>
<tr><th>became subnormal</th><td>${escapeHtml(fmtCountShare(s.becameSubnormal, s.total))}</td></tr>
<tr><th>overflowed</th><td>${escapeHtml(fmtCountShare(s.overflowed, s.total))}</td></tr>
<tr><th>max relative error</th><td>${escapeHtml(fmtRelError(s.maxRelError))}</td></tr>
<tr><th>smallest headroom</th><td>${escapeHtml(fmtBits(s.minHeadroomBits))} (log2 of ${escapeHtml(t.name)}'s max over a tensor's max |x|)</td></tr>
<tr><th>${escapeHtml(t.name)}</th><td>max ${escapeHtml(fmtNum(t.max, 5))}, smallest normal ${escapeHtml(fmtNum(t.smallestNormal))}, smallest subnormal ${escapeHtml(fmtNum(t.smallestSubnormal))}, ${t.mantissaBits + 1} significant bits (eps ${escapeHtml(fmtNum(t.eps))})</td></tr>
</table>
${renderTrainingHtml(report.training)}

<h2>Well-known constants in ${escapeHtml(t.name)}</h2>
<table><tr><th>constant</th><th class="num">value</th><th class="num">becomes</th><th>kind</th><th>suggestion</th></tr>
${constants}
</table>

<h2>Tensors, worst first</h2>
<div class="scroll"><table>
<tr><th>tensor</th><th>dtype</th><th class="num">shape</th><th>verdict</th><th class="num">flushed to 0</th><th class="num">subnormal</th><th class="num">overflow</th><th class="num">max |x|</th><th class="num">headroom</th><th class="num">max rel err</th></tr>
${rows}
</table></div>

<h2>Histograms of log2 |x|</h2>
<div class="legend">${legend}</div>
<div class="grid">
${cards}
</div>
<script id="lowp-data" type="application/json">${scriptJson(data)}</script>
<script>${js}</script>
<script>${CLIENT}</script>
</body></html>
`;
}

/**
 * The HTML report of `lowp check --to <ggml type>`: the verdict and its reasons, the summary (blocks and
 * their scale failures, SQNR over the model, size), every analysed tensor worst first with its error
 * figures and block counts, the tensors the type cannot store, and per tensor a histogram of log2 |d|
 * of its block scales over fp16's ranges (a scale below half the smallest subnormal is 0: the block's
 * values are lost; subnormal; normal; overflow to inf), or E8M0's for MXFP4.
 *
 * @param report - a ggml report of `runCheck`
 * @returns the HTML text
 */
export function renderGgmlHtmlReport(report: GgmlCheckReport): string {
  const { js, css } = chartAssets();
  const t = report.target;
  const s = report.summary;
  const k = s.counts;
  const e8 = t.type === 'MXFP4';
  // fp16's bands from its own constants (the scale d is an fp16); ggml's E8M0 half scale is 2^(e − 128), e = 0..255
  const h = finfo('fp16');
  const bands = e8
    ? { flushBelow: -129, normal: -128, overflowAbove: 127 }
    : { flushBelow: Math.log2(h.smallestSubnormal) - 1, normal: Math.log2(h.smallestNormal), overflowAbove: Math.log2(h.max) };
  const analysed = report.tensors.filter((c) => c.result.analysis !== null).sort(ggmlWorstFirst);
  const unsupported = report.tensors.filter((c) => c.result.status === 'unsupported');
  const A = (c: (typeof analysed)[number]): GgmlAnalysis => c.result.analysis as GgmlAnalysis;
  // zero scales are drawn one bin below the flush edge, inf/NaN scales one above the overflow edge
  const zeroAt = Math.floor(bands.flushBelow) - 1;
  const infAt = Math.ceil(bands.overflowAbove) + 1;
  const chartData = analysed.map((c) => {
    const sc = A(c).scales;
    const bins = [...sc.bins];
    if (sc.zero > 0) bins.unshift({ exponent: zeroAt, count: sc.zero });
    if (sc.nonFinite > 0) bins.push({ exponent: infAt, count: sc.nonFinite });
    if (bins.length === 0) return { h: null };
    const lo = bins[0].exponent;
    const hi = bins[bins.length - 1].exponent;
    let vlo = lo - 2, vhi = hi + 3;
    for (const edge of [bands.flushBelow, bands.normal, bands.overflowAbove]) {
      if (edge < vlo && vlo - edge <= 12) vlo = edge - 2;
      if (edge > vhi && edge - vhi <= 12) vhi = edge + 2;
    }
    vlo = Math.floor(vlo);
    vhi = Math.ceil(vhi);
    // one bin per exponent over the whole view (empty ones too), so every bar is one unit wide
    const edges: number[] = [];
    const counts: number[] = [];
    for (let x = vlo; x < vhi; x++) {
      edges.push(x);
      counts.push(bins.find((b) => b.exponent === x)?.count ?? 0);
    }
    edges.push(vhi);
    return { h: { edges, counts, view: [vlo, vhi] } };
  });
  const hasSub = k.zeroedSubBlocks > 0 || ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_XS'].includes(t.type);
  const rows = analysed
    .map((c, i) => {
      const a = A(c);
      const n = a.counts;
      return `<tr><td class="name"><a href="#t${i}">${escapeHtml(c.name)}</a></td><td>${escapeHtml(c.dtype)}</td><td class="num">${escapeHtml(fmtShape(c.shape))}</td><td>${badge(a.verdict)}</td><td class="num">${n.blocks === 0 ? '—' : escapeHtml(fmtDb(a.error.sqnrDb))}</td><td class="num">${n.blocks === 0 ? '—' : escapeHtml(fmtRelError(a.error.relL2))}</td><td class="num">${n.blocks === 0 ? '—' : escapeHtml(fmtNum(a.error.maxAbsError))}</td><td class="num">${escapeHtml(fmtCountShare(n.lostBlocks, n.blocks))}</td>${hasSub ? `<td class="num">${escapeHtml(fmtCount(n.zeroedSubBlocks))}</td>` : ''}<td class="num">${escapeHtml(fmtCountShare(n.subnormalScaleBlocks, n.blocks))}</td><td class="num">${escapeHtml(fmtCountShare(n.coarseScaleBlocks, n.blocks))}</td><td class="num">${escapeHtml(fmtCountShare(n.infScaleBlocks, n.blocks))}</td></tr>`;
    })
    .join('\n');
  const cards = analysed
    .map((c, i) => {
      const a = A(c);
      const n = a.counts;
      const ex = a.examples.slice(0, 4).map((x) => `block ${fmtCount(x.block)} (values ${fmtCount(x.block * a.blockSize)}…): ${x.kind}, max |x| ${fmtNum(x.maxAbs, 3)}, d ${fmtNum(x.scale, 3)}`);
      return `<div class="card" id="t${i}"><h3>${escapeHtml(c.name)} ${badge(a.verdict)}</h3>
<div class="facts">${escapeHtml(c.dtype)} ${escapeHtml(fmtShape(c.shape))} · ${escapeHtml(fmtCount(n.total))} values in ${escapeHtml(fmtCount(n.blocks))} block${n.blocks === 1 ? '' : 's'} · SQNR ${escapeHtml(fmtDb(a.error.sqnrDb))} · rel L2 ${escapeHtml(fmtRelError(a.error.relL2))} · max |error| ${escapeHtml(fmtNum(a.error.maxAbsError))} · max |x| ${escapeHtml(fmtNum(a.range.maxAbs))} · lost ${escapeHtml(fmtCountShare(n.lostBlocks, n.blocks))} · subnormal d ${escapeHtml(fmtCountShare(n.subnormalScaleBlocks, n.blocks))} · coarse d ${escapeHtml(fmtCountShare(n.coarseScaleBlocks, n.blocks))} · inf d ${escapeHtml(fmtCountShare(n.infScaleBlocks, n.blocks))}</div>
<div class="facts">${escapeHtml(a.reasons.join(' '))}</div>${ex.length > 0 ? `<div class="facts">examples: ${escapeHtml(ex.join(' · '))}</div>` : ''}
<div class="chart" data-i="${i}" role="img" aria-label="histogram of log2 of the block scales of ${escapeHtml(c.name)}"></div></div>`;
    })
    .join('\n');
  const notStored = unsupported.map((c) => `<tr><td class="name">${escapeHtml(c.name)}</td><td>${escapeHtml(c.dtype)}</td><td class="num">${escapeHtml(fmtShape(c.shape))}</td><td>${escapeHtml(c.result.reason ?? '')}</td></tr>`).join('\n');
  const byVerdict = [...VERDICT_ORDER].reverse().filter((v) => s.byVerdict[v] > 0).map((v) => `${s.byVerdict[v]} ${badge(v)}`).join(' ');
  const legend = e8
    ? 'block scales 2^(e − 128) of E8M0 bytes e (ggml\'s MXFP4); a block whose byte wraps (max |x| below 2^-125) is lost'
    : `<span class="sw" style="background:var(--flush)"></span>d rounds to 0 (below 2^${bands.flushBelow}; zero scales drawn at 2^${zeroAt})<span class="sw" style="background:var(--sub)"></span>subnormal d (fewer significant bits)<span class="sw" style="background:var(--norm)"></span>normal (from 2^${bands.normal})<span class="sw" style="background:var(--over)"></span>overflow to inf (above ${escapeHtml(fmtNum(h.max, 5))}; inf scales drawn at 2^${infAt})`;
  const data = { target: t.type, bands, tensors: chartData, xLabel: 'log2 |d| (block scale)' };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lowp ${escapeHtml(report.lowpVersion)}">
<title>lowp check: ${escapeHtml(report.input.label)} → ${escapeHtml(t.type)}</title>
<style>${css}</style><style>${STYLE}</style></head>
<body>
<h1>lowp check: ${escapeHtml(report.input.label)} → ${escapeHtml(t.type)}</h1>
<div class="muted">${escapeHtml(fmtCount(s.tensors))} tensors · ${escapeHtml(fmtCount(k.total))} values quantized · ${escapeHtml(fmtBytes(s.bytes))} read · checked in ${escapeHtml(fmtSeconds(s.seconds))} · lowp ${escapeHtml(report.lowpVersion)}</div>
<div class="verdict ${VERDICT_CLASS[report.verdict]}"><b>${escapeHtml(report.verdict)}</b> for ${escapeHtml(t.type)}<ul class="reasons">${report.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></div>

<h2>Summary</h2>
<table>
<tr><th>${escapeHtml(t.type)}</th><td>${escapeHtml(describeGgmlTarget(t))}</td></tr>
<tr><th>tensors by verdict</th><td>${byVerdict || 'none'}${s.unsupported > 0 ? ` · ${escapeHtml(fmtCount(s.unsupported))} not storable as ${escapeHtml(t.type)}` : ''}</td></tr>
<tr><th>blocks</th><td>${escapeHtml(fmtCount(k.blocks))} of ${t.blockSize} values</td></tr>
<tr><th>lost (scale 0)</th><td>${escapeHtml(fmtCountShare(k.lostBlocks, k.blocks))} blocks, ${escapeHtml(fmtCount(k.lostValues))} nonzero values</td></tr>
${hasSub ? `<tr><th>sub-blocks zeroed</th><td>${escapeHtml(fmtCount(k.zeroedSubBlocks))}, ${escapeHtml(fmtCount(k.zeroedSubBlockValues))} nonzero values</td></tr>` : ''}
<tr><th>subnormal scale d</th><td>${escapeHtml(fmtCountShare(k.subnormalScaleBlocks, k.blocks))} blocks; coarse (fewer than ${t.multiplierBits} significant bits) ${escapeHtml(fmtCountShare(k.coarseScaleBlocks, k.blocks))}</td></tr>
<tr><th>scale overflows (inf)</th><td>${escapeHtml(fmtCountShare(k.infScaleBlocks, k.blocks))} blocks, ${escapeHtml(fmtCount(k.overflowValues))} values inf/NaN</td></tr>
<tr><th>SQNR</th><td>${escapeHtml(fmtDb(s.sqnrDb))} over all values · median tensor ${escapeHtml(fmtDb(s.medianSqnrDb))} · worst ${s.worstSqnr ? `${escapeHtml(fmtDb(s.worstSqnr.sqnrDb))} (${escapeHtml(s.worstSqnr.name)})` : '—'}</td></tr>
<tr><th>size</th><td>${escapeHtml(fmtCount(s.elements))} values in ${escapeHtml(fmtBytes(s.storedBytes))} (${t.bitsPerValue} bits per value)</td></tr>
</table>
${unsupported.length > 0 ? `
<h2>Not storable as ${escapeHtml(t.type)}</h2>
<div class="scroll"><table><tr><th>tensor</th><th>dtype</th><th class="num">shape</th><th>why</th></tr>
${notStored}
</table></div>` : ''}

<h2>Tensors, worst first</h2>
<div class="scroll"><table>
<tr><th>tensor</th><th>dtype</th><th class="num">shape</th><th>verdict</th><th class="num">SQNR</th><th class="num">rel L2</th><th class="num">max err</th><th class="num">lost blocks</th>${hasSub ? '<th class="num">zeroed sub-blocks</th>' : ''}<th class="num">subnormal d</th><th class="num">coarse d</th><th class="num">inf d</th></tr>
${rows}
</table></div>

<h2>Histograms of the block scales, log2 |d|</h2>
<div class="legend">${legend}</div>
<div class="grid">
${cards}
</div>
<script id="lowp-data" type="application/json">${scriptJson(data)}</script>
<script>${js}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
