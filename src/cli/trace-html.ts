// The HTML report of `lowp trace --html`: one self-contained file (inline CSS, uPlot and data, no network
// at view time) with the findings, the per-output figures as charts along the graph's order (max |x| on
// a log scale against the target's max, smallest normal and smallest subnormal, overflowing and
// flushing outputs marked; with --emulate, the SQNR of each output, non-finite ones marked), and a table
// of every traced output. The run's conditions are stated: onnxruntime, graph optimisations off.
import { fmtSqnr } from '../onnx/findings.js';
import type { TraceReport } from '../onnx/trace.js';
import { chartAssets, escapeHtml, scriptJson, STYLE } from './report-html.js';
import { fmtCount, fmtNum, fmtSeconds, fmtShape } from './units.js';
import { packageVersion } from './version.js';

const CLIENT = String.raw`
(function () {
  var d = JSON.parse(document.getElementById('lowp-trace').textContent);
  function width(el) { return Math.max(320, el.clientWidth); }
  function pow10(u, vals) { return vals.map(function (v) { return v == null ? '' : (v >= 1e4 || v < 1e-2) ? v.toExponential(0).replace('e+', 'e') : String(+v.toPrecision(3)); }); }
  function tip(u) {
    var i = u.cursor.idx, el = document.getElementById('tip');
    if (i == null) return;
    var o = d.rows[i];
    el.textContent = '#' + o[0] + ' ' + o[1] + ' (' + o[2] + ') max |x| ' + o[3] + (o[4] ? ' · overflow ' + o[4] : '') + (o[5] ? ' · flushed ' + o[5] : '') + (o[6] !== '' ? ' · SQNR ' + o[6] : '');
  }
  var el = document.getElementById('chart-max');
  var flat = function (v) { return d.x.map(function () { return v; }); };
  new uPlot({
    width: width(el), height: 320, cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'output (graph order)', labelSize: 18 }, { label: 'max |x|', labelSize: 18, size: 64, values: pow10 }],
    series: [{},
      { label: 'max |x|', stroke: '#1f5fbf', width: 1.5, points: { show: true, size: 4 } },
      { label: 'overflows', stroke: '#d62728', width: 0, points: { show: true, size: 9, fill: '#d62728' } },
      { label: 'flushes to 0', stroke: '#ff9800', width: 0, points: { show: true, size: 9, fill: '#ff9800' } },
      { label: d.to + ' max', stroke: '#d62728', dash: [6, 4], width: 1, points: { show: false } },
      { label: 'smallest normal', stroke: '#2ca02c', dash: [6, 4], width: 1, points: { show: false } },
      { label: 'smallest subnormal', stroke: '#ff9800', dash: [2, 4], width: 1, points: { show: false } }],
    hooks: { setCursor: [tip] }
  }, [d.x, d.max, d.over, d.flush, flat(d.fmax), flat(d.normal), flat(d.subnormal)], el);
  var es = document.getElementById('chart-sqnr');
  if (es) {
    new uPlot({
      width: width(es), height: 260, cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: 'output (graph order)', labelSize: 18 }, { label: 'SQNR (dB)', labelSize: 18, size: 50 }],
      series: [{},
        { label: 'SQNR of the emulated run', stroke: '#1f5fbf', width: 1.5, points: { show: true, size: 4 } },
        { label: 'non-finite', stroke: '#d62728', width: 0, points: { show: true, size: 9, fill: '#d62728' } }],
      hooks: { setCursor: [tip] }
    }, [d.x, d.sqnr, d.bad], es);
  }
})();
`;

/** What a traced run was fed, in one line: `input_ids int64 [1, 24]; attention_mask int64 [1, 24] (ones)`. */
export function fmtTraceInputs(r: TraceReport): string {
  return r.inputs.map((i) => `${i.name} ${i.type} ${fmtShape(i.shape)}${i.source === 'given' ? '' : ` (${i.source})`}`).join('; ');
}

/**
 * Renders a trace report as one self-contained HTML document.
 *
 * @param r - the report of `traceActivations`
 * @returns the HTML text
 * @example
 * ```ts
 * writeFileSync('trace.html', renderTraceHtml(await traceActivations('model.onnx', {}, { to: 'fp16' })));
 * ```
 */
export function renderTraceHtml(r: TraceReport): string {
  const { js, css } = chartAssets();
  const emu = r.emulation !== null;
  const o = r.outputs;
  const numericSqnr = o.map((x) => (typeof x.emulatedSqnrDb === 'number' ? x.emulatedSqnrDb : null));
  const finiteSqnr = numericSqnr.filter((x): x is number => x !== null);
  const badLevel = finiteSqnr.length > 0 ? Math.min(...finiteSqnr) - 10 : 0;
  const data = {
    to: r.to,
    x: o.map((x) => x.index),
    max: o.map((x) => (x.maxAbs > 0 ? x.maxAbs : null)),
    over: o.map((x) => (x.overflowed > 0 && x.maxAbs > 0 ? x.maxAbs : null)),
    flush: o.map((x) => (x.flushedToZero > 0 && x.maxAbs > 0 ? x.maxAbs : null)),
    fmax: r.format.max,
    normal: r.format.smallestNormal,
    subnormal: r.format.smallestSubnormal,
    sqnr: numericSqnr,
    bad: o.map((x) => (x.emulatedSqnrDb === 'non-finite' ? badLevel : null)),
    rows: o.map((x) => [x.index, x.output, x.op, fmtNum(x.maxAbs), x.overflowed, x.flushedToZero, emu ? fmtSqnr(x.emulatedSqnrDb) : '']),
  };
  const cls = (x: (typeof o)[number]): string => (x.overflowKind === 'activation' || x.emulatedOrigin ? ' class="hot"' : x.overflowed + x.flushedToZero > 0 ? ' class="warm"' : '');
  const rows = o
    .map((x) => `<tr${cls(x)}><td class="num">${x.index}</td><td class="name">${escapeHtml(x.node)}</td><td>${escapeHtml(x.op)}</td><td class="name">${escapeHtml(x.output)}</td><td class="num">${escapeHtml(fmtShape(x.shape))}</td><td class="num">${escapeHtml(fmtNum(x.maxAbs))}</td><td class="num">${escapeHtml(fmtCount(x.overflowed))}</td><td>${escapeHtml(x.overflowKind ?? '')}</td><td class="num">${escapeHtml(fmtCount(x.flushedToZero))}</td><td class="num">${escapeHtml(fmtCount(x.subnormal))}</td>${emu ? `<td class="num">${escapeHtml(fmtSqnr(x.emulatedSqnrDb))}</td>` : ''}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lowp ${escapeHtml(packageVersion())}">
<title>lowp trace: ${escapeHtml(r.model.name)} → ${escapeHtml(r.to)}</title>
<style>${css}</style><style>${STYLE}
tr.hot td { background: #fdeaea; } tr.warm td { background: #fff4e0; } #tip { font: 12.5px ui-monospace, monospace; min-height: 1.4em; color: var(--muted); }
</style></head>
<body>
<h1>lowp trace: ${escapeHtml(r.model.name)} → ${escapeHtml(r.to)}</h1>
<div class="muted">${escapeHtml(fmtCount(o.length))} float outputs of ${escapeHtml(fmtCount(r.model.nodes))} nodes · ${escapeHtml(r.model.producer)} · opset ${r.model.opset} · ${escapeHtml(r.runtime.name)} ${escapeHtml(r.runtime.version ?? '')} with graph optimisations <b>off</b> (the graph as written: no fusion hides an output or changes a value) · ${r.passes.count} run${r.passes.count === 1 ? '' : 's'} · ${escapeHtml(fmtSeconds(r.seconds.total))} · lowp ${escapeHtml(packageVersion())}</div>
<div class="muted">inputs: ${escapeHtml(fmtTraceInputs(r))}</div>
<div class="verdict ${r.firstActivationOverflow !== null || r.emulation?.breaksAt ? 'v-over' : r.firstOverflow !== null || r.firstFlush !== null ? 'v-under' : 'v-safe'}"><ul class="reasons">${r.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul></div>

<h2>max |x| of each output, along the graph</h2>
<div class="legend">Outputs in the graph's order. Red: values beyond ${escapeHtml(r.to)}'s max ${escapeHtml(fmtNum(r.format.max))}; orange: values that flush to zero (below half the smallest subnormal ${escapeHtml(fmtNum(r.format.smallestSubnormal))}). Drag to zoom, double-click to reset.</div>
<div id="chart-max" class="chart" style="height:auto"></div>
${emu ? `<h2>SQNR of the emulated run (every float output rounded to ${escapeHtml(r.to)})</h2>
<div class="legend">10·log10(Σx² / Σ(x − x̃)²) of each output of the emulated graph against the fp32 run (${escapeHtml(r.emulation?.method === 'cast' ? 'Cast pairs' : 'rounding subgraph')}); red: inf or NaN in the emulated run. Exact outputs are not drawn.</div>
<div id="chart-sqnr" class="chart" style="height:auto"></div>` : ''}
<div id="tip"></div>

<h2>Every traced output</h2>
<div class="scroll"><table>
<tr><th class="num">#</th><th>node</th><th>op</th><th>output</th><th class="num">shape</th><th class="num">max |x|</th><th class="num">overflow</th><th>why</th><th class="num">flushed to 0</th><th class="num">subnormal</th>${emu ? '<th class="num">SQNR</th>' : ''}</tr>
${rows}
</table></div>
<script id="lowp-trace" type="application/json">${scriptJson(data)}</script>
<script>${js}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
