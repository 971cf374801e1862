// The sentences of a trace report: what overflows and what flushes in the target format, told apart by
// where it comes from (a literal such as a -1e9 mask, which becomes -inf and is usually harmless in a
// softmax; an activation that carries such a literal; an activation that outgrows the format by itself,
// which is fatal), and, for an emulated run, where it first becomes non-finite and where the format
// breaks the model. Plain text, numbers included, for the table and the JSON report alike.
import { fmtCount } from '../diagnostics/text.js';
import type { OverflowPolicy } from '../formats/spec.js';
import type { SqnrDb } from './summarize.js';
import type { TraceOutput, TraceReport } from './trace.js';

/** A number for sentences: integers below 10^7 exactly, else 3 significant digits (65504, 0.5, 9.35e-8). */
export function fmtNum(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e7) return String(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(3)));
  const [m, e] = x.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** The operators of the nodes that read a value. */
export type Origin = (output: string) => string[];

/** Operators that make a masked -inf harmless (its weight or its choice is well defined). */
const MASK_SAFE = new Set(['Softmax', 'LogSoftmax', 'ReduceMax', 'ReduceMin', 'Max', 'Min', 'Where', 'ArgMax', 'ArgMin', 'TopK']);

function where(o: TraceOutput): string {
  return `${o.output} (node ${o.node}, ${o.op})`;
}

function some(list: TraceOutput[], n = 3): string {
  const names = list.slice(0, n).map((o) => o.output);
  return list.length <= n ? names.join(', ') : `${names.join(', ')} and ${list.length - n} more`;
}

/** What an overflowing value becomes under the trace's overflow policy. */
function becomes(value: number | null, r: TraceReport, policy: OverflowPolicy): string {
  const neg = value !== null && value < 0;
  if (policy === 'nan') return 'NaN';
  if (policy === 'saturate') return `${neg ? '-' : ''}${fmtNum(r.format.max)}`;
  return neg ? '-inf' : 'inf';
}

/** A number of dB for sentences. */
export function fmtSqnr(s: SqnrDb | undefined): string {
  if (s === undefined) return '';
  return typeof s === 'number' ? `${s.toFixed(1)} dB` : s;
}

/**
 * The findings of a trace, as sentences.
 *
 * @param r - the report (outputs in graph order)
 * @param readers - the operators that read each value
 * @param overflow - the overflow policy the counts (and the emulated casts) follow
 */
export function traceFindings(r: TraceReport, readers: Origin, overflow: OverflowPolicy): string[] {
  const out: string[] = [];
  const to = r.to;
  const skipped: string[] = [];
  if (r.skipped.nonFloat + r.skipped.nonTensor > 0) skipped.push(`${fmtCount(r.skipped.nonFloat + r.skipped.nonTensor)} non-float outputs`);
  if (r.skipped.subgraphNodes > 0) skipped.push(`the ${fmtCount(r.skipped.subgraphNodes)} nodes inside If/Loop/Scan bodies`);
  out.push(
    `Traced ${fmtCount(r.outputs.length)} float outputs of ${fmtCount(r.model.nodes)} nodes, the graph as written (onnxruntime graph optimisations off), against ${to} (max ${fmtNum(r.format.max)}, smallest normal ${fmtNum(r.format.smallestNormal)}, smallest subnormal ${fmtNum(r.format.smallestSubnormal)})` +
      (skipped.length > 0 ? `; not traced: ${skipped.join(', ')}.` : '.'),
  );

  for (const i of r.model.inlinedIfs) {
    out.push(`If node ${i.node} was inlined: ${i.condition} is ${i.branch === 'then_branch' ? 'true' : 'false'} in this run, so the nodes of its ${i.branch} ran in the main graph and are traced.`);
  }
  const over = r.outputs.filter((o) => o.overflowed > 0);
  if (over.length === 0) {
    const big = r.outputs.reduce((a, o) => (o.maxAbs > a.maxAbs ? o : a), r.outputs[0]);
    out.push(`Nothing overflows ${to}: the largest |x| is ${fmtNum(big.maxAbs)}, at ${where(big)}.`);
  } else {
    const first = over[0];
    out.push(`The first output that overflows ${to} is ${where(first)}: ${fmtCount(first.overflowed)} of ${fmtCount(first.elements)} values beyond ${fmtNum(r.format.max)}.`);
    const literals = over.filter((o) => o.overflowKind === 'literal');
    if (literals.length > 0) {
      const l = literals[0];
      out.push(
        `${literals.length === 1 ? 'It is a literal' : `${literals.length} overflowing outputs are literals (${some(literals)})`}, computed from constants alone: ${l.worstValue !== null ? `${fmtNum(l.worstValue)} becomes ${becomes(l.worstValue, r, overflow)} in ${to}` : `it becomes ${becomes(null, r, overflow)} in ${to}`}. ` +
          `A mask value like -1e9 turning into -inf is usually harmless where a softmax reads it (exp(-inf) = 0), unless a whole row is masked.`,
      );
    }
    const masks = over.filter((o) => o.overflowKind === 'mask');
    if (masks.length > 0) {
      const safe = masks.filter((o) => readers(o.output).some((op) => MASK_SAFE.has(op)));
      const readBy = [...new Set(masks.flatMap((o) => readers(o.output)))].join(', ');
      out.push(
        `${fmtCount(masks.length)} activations overflow only where they carry an overflowing literal (${some(masks)}; read by ${readBy || 'nothing'})` +
          (safe.length === masks.length ? ': a masked score, harmless in the softmax that reads it.' : `: harmless only where a softmax or a min/max reads them (${safe.length} of ${masks.length} are).`),
      );
    }
    const own = over.filter((o) => o.overflowKind === 'activation');
    if (own.length > 0) {
      const a = own[0];
      const carried = over.filter((o) => o.overflowKind === 'propagated');
      out.push(
        `The first activation that overflows ${to} by itself is ${where(a)}: ${fmtCount(a.overflowed)} of ${fmtCount(a.elements)} values beyond ${fmtNum(r.format.max)}, largest |x| ${fmtNum(a.maxAbs)}. ` +
          `This is fatal in ${to}: it becomes ${becomes(a.worstValue, r, overflow)}, and what reads it turns inf or NaN` +
          (carried.length > 0 ? ` (${fmtCount(carried.length)} later outputs carry the overflow: ${some(carried)}).` : '.') +
          (own.length > 1 ? ` ${fmtCount(own.length - 1)} more activations overflow by themselves (${some(own.slice(1))}).` : ''),
      );
    } else if (over.every((o) => o.overflowKind === 'literal' || o.overflowKind === 'mask')) {
      out.push(`No activation overflows ${to} by itself: only literals and the activations that carry them.`);
    }
  }

  const flush = r.outputs.filter((o) => o.flushedToZero > 0 && !o.literal);
  const flushLit = r.outputs.filter((o) => o.flushedToZero > 0 && o.literal);
  if (flush.length > 0) {
    const f = flush[0];
    const all = f.maxAbs < r.format.smallestNormal;
    out.push(
      `${fmtCount(flush.length)} activations lose values to zero in ${to}; the first is ${where(f)}: ${fmtCount(f.flushedToZero)} of ${fmtCount(f.elements)} values flush to zero` +
        (f.subnormal > 0 ? ` and ${fmtCount(f.subnormal)} become subnormal` : '') +
        ` (largest |x| ${fmtNum(f.maxAbs)}${all ? `: the whole output lies below ${to}'s smallest normal ${fmtNum(r.format.smallestNormal)}` : ''}).`,
    );
  } else {
    out.push(`No activation flushes to zero in ${to}.`);
  }
  if (flushLit.length > 0) out.push(`${fmtCount(flushLit.length)} literals lose values to zero (${some(flushLit)}).`);
  const sub = r.outputs.filter((o) => o.subnormal > 0 && o.flushedToZero === 0);
  if (sub.length > 0) out.push(`${fmtCount(sub.length)} more outputs have values that become subnormal (reduced precision), e.g. ${some(sub)}.`);
  const bad = r.outputs.filter((o) => o.nan + o.inf > 0);
  if (bad.length > 0) out.push(`The fp32 run itself has non-finite values in ${fmtCount(bad.length)} outputs, first at ${where(bad[0])}.`);

  const e = r.emulation;
  if (e !== null) {
    const how = e.method === 'cast' ? `Cast pairs to ${to} and back` : `a rounding subgraph (round to nearest even, overflow gives ${e.overflow === 'inf' ? '±inf' : e.overflow === 'nan' ? 'NaN' : '±max'})`;
    const byName = new Map(r.outputs.map((o) => [o.output, o]));
    if (e.firstNonFinite === null) {
      const numeric = r.outputs.filter((o) => typeof o.emulatedSqnrDb === 'number');
      const worst = numeric.reduce<TraceOutput | undefined>((a, o) => (a === undefined || (o.emulatedSqnrDb as number) < (a.emulatedSqnrDb as number) ? o : a), undefined);
      out.push(
        `Emulated with every float output rounded to ${to} (${how}), the run stays finite` +
          (worst !== undefined ? `; the lowest SQNR is ${fmtSqnr(worst.emulatedSqnrDb)} at ${where(worst)}` : '') + '.',
      );
    } else {
      const first = byName.get(e.firstNonFinite.output) as TraceOutput;
      let s = `Emulated with every float output rounded to ${to} (${how}), the run first becomes non-finite at ${first.output} (${first.literal ? 'a literal, ' : ''}node ${first.node}, ${first.op})`;
      if (e.breaksAt !== null) {
        const b = byName.get(e.breaksAt.output) as TraceOutput;
        const later = r.outputs.filter((o) => o.index > b.index && (o.emulatedNan ?? 0) + (o.emulatedInf ?? 0) > 0).length;
        const turns = (b.emulatedNan ?? 0) > 0 ? 'NaN' : 'inf';
        s += b.literal
          ? `; ${to} breaks the model at the literal ${where(b)}: it turns ${turns}` + (turns === 'NaN' ? ` (${to} has no inf to give, and no softmax absorbs a NaN)` : '')
          : `; ${to} breaks the model at ${where(b)}, the first activation that turns ${turns} by itself`;
        s += later > 0 ? `, and ${fmtCount(later)} later outputs are non-finite` : '';
      } else s += '; the model\'s outputs stay finite';
      out.push(s + '.');
    }
    if (e.graphOutputs.length > 0) out.push(`Model outputs in the emulated run: ${e.graphOutputs.map((g) => `${g.output} ${fmtSqnr(g.sqnrDb)}`).join(', ')}.`);
  }
  return out;
}
