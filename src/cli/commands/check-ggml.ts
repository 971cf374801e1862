// `lowp check FILE --to q4_k` (any ggml type lowp quantizes): what storing each tensor in one of
// llama.cpp's types would do. Each tensor is streamed (whole rows per chunk, or whole blocks for rows
// longer than a chunk) through lowp/quant's ggml analyzer, which quantizes with ggml's reference
// quantizer, dequantizes, and measures the error (SQNR, relative L2, max error: the figures of
// `lowp quant-error`) and the blocks whose fp16 scale is lost (0), coarse (a subnormal with fewer bits
// than the integers it scales) or infinite, and the K-quant sub-blocks zeroed by their 6-bit scales. A
// tensor whose rows are not whole blocks of the type is reported as such (llama-quantize would store it
// in another type), never padded. The report: per-tensor verdicts (safe, lossy, underflow-risk,
// overflow-risk, as for casts), a summary, an overall verdict with reasons; text, JSON (schema
// `lowp.ggml-check/1`, see docs/cli.md) and the HTML report.
import type { CastVerdict } from '../../diagnostics/verdict.js';
import { toJsonSafe, type Jsonified } from '../../diagnostics/report.js';
import { sqnrFromEnergies } from '../../quant/error-stream.js';
import type { GgmlAnalysis, GgmlCounts } from '../../quant/ggml/analyze.js';
import { MULTIPLIER_BITS, SCALE_LAYOUTS, ggmlScaleLimits, type GgmlScaleLimits, type GgmlStorageType } from '../../quant/ggml/scales.js';
import { GGML_TYPES } from '../../quant/ggml/types.js';
import { verdictRank, VERDICT_ORDER } from '../analysis.js';
import type { GgmlTensorResult } from '../parallel.js';
import { CHECK_TENSOR_COLUMNS, renderTable } from '../table.js';
import { fmtBytes, fmtCheckHead, fmtCount, fmtCountShare, fmtDb, fmtNum, fmtRelError, fmtShape, someNames } from '../units.js';

/** What `lowp check --to <ggml type>` says of the type. */
export interface GgmlTargetInfo {
  /** The type (upper case, as gguf-py spells it). */
  type: GgmlStorageType;
  /** Values per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  /** typeSize · 8 / blockSize (Q4_K: 4.5). */
  bitsPerValue: number;
  /** The block's scales in words. */
  scales: string;
  /** Bits of the largest integer the fp16 scale d multiplies: a subnormal d with fewer bits is "coarse". */
  multiplierBits: number;
  /** Where the scale fails, on a block's max |x| (types whose scale depends on it alone), else null. */
  limits: GgmlScaleLimits | null;
}

/** The facts of a ggml type for reports. */
export function ggmlTargetInfo(type: GgmlStorageType): GgmlTargetInfo {
  const { blockSize, typeSize } = GGML_TYPES[type];
  return {
    type, blockSize, typeSize, bitsPerValue: (typeSize * 8) / blockSize, scales: SCALE_LAYOUTS[type].description,
    multiplierBits: MULTIPLIER_BITS[type], limits: ggmlScaleLimits(type),
  };
}

/** One tensor of a ggml check. */
export interface GgmlTensorCheck {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  /** Bytes of the tensor in the input. */
  byteLength: number;
  /** The analysis, or why the type cannot store the tensor. */
  result: GgmlTensorResult;
}

/** Totals over a ggml check. */
export interface GgmlCheckSummary {
  /** Tensors checked (quantized + unsupported). */
  tensors: number;
  /** Tensors the type can store (analysed). */
  quantized: number;
  /** Tensors whose rows are not whole blocks of the type. */
  unsupported: number;
  /** Bytes of the checked tensors in the input. */
  bytes: number;
  /** Values of the quantized tensors. */
  elements: number;
  /** Bytes the quantized tensors take in the type. */
  storedBytes: number;
  /** The analyzers' counts summed over the quantized tensors. */
  counts: GgmlCounts;
  /** SQNR over every quantized value (10·log10 of summed signal over summed noise), or null. */
  sqnrDb: number | null;
  /** Median of the tensors' SQNRs, or null. */
  medianSqnrDb: number | null;
  /** Worst tensor SQNR and its name, or null. */
  worstSqnr: { name: string; sqnrDb: number } | null;
  /** Quantized tensors by verdict. */
  byVerdict: Record<CastVerdict, number>;
  /** Names of the quantized tensors, worst first. */
  worst: string[];
  seconds: number;
}

/** Everything `lowp check --to <ggml type>` found. */
export interface GgmlCheckReport {
  /** Tells this report from the cast report of a format target. */
  targetKind: 'ggml';
  lowpVersion: string;
  input: { kind: 'sample' | 'path'; label: string; path: string | null; tensors: number; skipped: { name: string; dtype: string; reason: string }[] };
  target: GgmlTargetInfo;
  options: { only: string | null; failOn: string[]; chunkElements: number; threads: number };
  tensors: GgmlTensorCheck[];
  summary: GgmlCheckSummary;
  verdict: CastVerdict;
  reasons: string[];
  failOn: { kinds: string[]; triggered: string[] };
  exitCode: number;
}

const COUNT_KEYS: readonly (keyof GgmlCounts)[] = [
  'blocks', 'lostBlocks', 'lostValues', 'zeroedSubBlocks', 'zeroedSubBlockValues', 'subnormalScaleBlocks', 'subnormalScaleValues',
  'coarseScaleBlocks', 'coarseScaleValues', 'infScaleBlocks', 'overflowValues', 'total', 'zeros', 'nonzeroFinite', 'nonFiniteInputs', 'nonFiniteBlocks',
];

/** Share of a tensor's nonzero values hurt by lost or zeroed scales. */
function lostShare(a: GgmlAnalysis): number {
  return a.counts.nonzeroFinite > 0 ? (a.counts.lostValues + a.counts.zeroedSubBlockValues) / a.counts.nonzeroFinite : 0;
}

/** Orders analysed tensors worst first: verdict, share of values lost, share in coarse blocks, SQNR, name. */
export function ggmlWorstFirst(a: GgmlTensorCheck, b: GgmlTensorCheck): number {
  const x = a.result.analysis, y = b.result.analysis;
  if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return (
    verdictRank(y.verdict) - verdictRank(x.verdict) ||
    lostShare(y) - lostShare(x) ||
    y.counts.coarseScaleValues / Math.max(1, y.counts.nonzeroFinite) - x.counts.coarseScaleValues / Math.max(1, x.counts.nonzeroFinite) ||
    x.error.sqnrDb - y.error.sqnrDb ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The summary of a ggml check. */
export function summarizeGgml(checks: readonly GgmlTensorCheck[], bytes: number, seconds: number): GgmlCheckSummary {
  const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as unknown as GgmlCounts;
  const byVerdict = Object.fromEntries(VERDICT_ORDER.map((v) => [v, 0])) as Record<CastVerdict, number>;
  let signal = 0, noise = 0, elements = 0, storedBytes = 0;
  const sq: { name: string; sqnrDb: number }[] = [];
  const analysed = checks.filter((c) => c.result.analysis !== null);
  for (const c of analysed) {
    const a = c.result.analysis as GgmlAnalysis;
    for (const k of COUNT_KEYS) counts[k] += a.counts[k];
    byVerdict[a.verdict]++;
    signal += a.error.signalEnergy;
    noise += a.error.noiseEnergy;
    elements += c.elements;
    storedBytes += a.bytes;
    if (a.counts.nonzeroFinite > 0) sq.push({ name: c.name, sqnrDb: a.error.sqnrDb });
  }
  sq.sort((p, q) => p.sqnrDb - q.sqnrDb || (p.name < q.name ? -1 : 1));
  return {
    tensors: checks.length, quantized: analysed.length, unsupported: checks.length - analysed.length, bytes, elements, storedBytes, counts,
    sqnrDb: analysed.length === 0 || signal === 0 ? null : sqnrFromEnergies(signal, noise),
    medianSqnrDb: sq.length === 0 ? null : sq[Math.floor((sq.length - 1) / 2)].sqnrDb,
    worstSqnr: sq.length === 0 ? null : sq[0],
    byVerdict,
    worst: [...analysed].sort(ggmlWorstFirst).map((c) => c.name),
    seconds,
  };
}

/** The overall verdict (the worst analysed tensor's) and its reasons. */
export function ggmlOverallVerdict(checks: readonly GgmlTensorCheck[], s: GgmlCheckSummary, t: GgmlTargetInfo): { verdict: CastVerdict; reasons: string[] } {
  const analysed = checks.filter((c) => c.result.analysis !== null).sort(ggmlWorstFirst);
  const A = (c: GgmlTensorCheck): GgmlAnalysis => c.result.analysis as GgmlAnalysis;
  let verdict: CastVerdict = 'safe';
  for (const c of analysed) if (verdictRank(A(c).verdict) > verdictRank(verdict)) verdict = A(c).verdict;
  const tensors = (n: number): string => `${fmtCount(n)} tensor${n === 1 ? '' : 's'}`;
  const sum = (cs: GgmlTensorCheck[], k: keyof GgmlCounts): number => cs.reduce((a, c) => a + A(c).counts[k], 0);
  const reasons: string[] = [];
  const over = analysed.filter((c) => A(c).verdict === 'overflow-risk');
  if (over.length > 0) {
    const inf = over.filter((c) => A(c).counts.infScaleBlocks > 0 || A(c).counts.overflowValues > 0);
    if (inf.length > 0) {
      const nb = sum(inf, 'infScaleBlocks'), nv = sum(inf, 'overflowValues');
      reasons.push(`${tensors(inf.length)} ${inf.length === 1 ? 'has' : 'have'} blocks whose fp16 scale overflows to inf (${fmtCount(nb)} block${nb === 1 ? '' : 's'}; ${fmtCount(nv)} value${nv === 1 ? ' becomes' : 's become'} inf or NaN) (${someNames(inf.map((c) => c.name), 2)})`);
    }
  }
  const under = analysed.filter((c) => A(c).verdict === 'underflow-risk');
  if (under.length > 0) {
    const parts: string[] = [];
    const lost = sum(under, 'lostBlocks'), zeroed = sum(under, 'zeroedSubBlocks'), coarse = sum(under, 'coarseScaleBlocks');
    const n = (x: number, one: string, many: string): string => `${fmtCount(x)} ${x === 1 ? one : many}`;
    if (lost > 0) parts.push(`${n(lost, 'block', 'blocks')} lost to a zero scale`);
    if (zeroed > 0) parts.push(`${n(zeroed, `sub-block of ${SCALE_LAYOUTS[t.type].sub?.size} values`, `sub-blocks of ${SCALE_LAYOUTS[t.type].sub?.size} values`)} zeroed by ${zeroed === 1 ? 'its' : 'their'} scale`);
    if (coarse > 0) parts.push(`${n(coarse, 'block', 'blocks')} with a coarse subnormal scale`);
    const vals = sum(under, 'lostValues') + sum(under, 'zeroedSubBlockValues');
    const nz = sum(under, 'nonzeroFinite');
    reasons.push(`${tensors(under.length)} ${under.length === 1 ? 'loses values to its' : 'lose values to their'} block scales: ${parts.join(', ')}; ${fmtCountShare(vals, nz)} of ${under.length === 1 ? 'its' : 'their'} nonzero values become 0 or an offset (${someNames(under.map((c) => c.name), 2)})`);
  }
  const lossy = analysed.filter((c) => A(c).verdict === 'lossy');
  if (lossy.length > 0) {
    reasons.push(`${tensors(lossy.length)} ${lossy.length === 1 ? 'has' : 'have'} an SQNR below the ${A(lossy[0]).thresholds.minSqnrDb} dB threshold (${someNames(lossy.map((c) => c.name), 2)})`);
  }
  if (analysed.length > 0 && over.length === 0 && under.length === 0) {
    const w = s.worstSqnr;
    reasons.push(
      `no block scale is lost, coarse or infinite; SQNR ${fmtDb(s.sqnrDb)} over all ${fmtCount(s.elements)} values` +
        (w !== null ? `, median tensor ${fmtDb(s.medianSqnrDb)}, worst ${fmtDb(w.sqnrDb)} (${w.name})` : '') +
        `, at ${t.bitsPerValue} bits per value`,
    );
  }
  const unsupported = checks.filter((c) => c.result.status === 'unsupported');
  if (unsupported.length > 0) {
    reasons.push(`${tensors(unsupported.length)} cannot be stored as ${t.type}: ${unsupported.length === 1 ? 'its rows are' : 'their rows are'} not whole blocks of ${t.blockSize} values (${someNames(unsupported.map((c) => `${c.name} ${fmtShape(c.shape)}`), 2)})`);
  }
  if (analysed.length === 0) reasons.push(`no tensor was quantized to ${t.type}`);
  const nonFinite = analysed.filter((c) => A(c).counts.nonFiniteInputs > 0);
  if (nonFinite.length > 0) {
    const nb = sum(nonFinite, 'nonFiniteBlocks');
    reasons.push(`${tensors(nonFinite.length)} ${nonFinite.length === 1 ? 'holds' : 'hold'} NaN or ±inf values: ggml's quantizers are undefined for them, so the ${fmtCount(nb)} block${nb === 1 ? '' : 's'} holding them cannot be trusted (left out of the figures: ${someNames(nonFinite.map((c) => c.name), 2)})`);
  }
  return { verdict, reasons };
}

/** The header's description of the type and where its scale fails. */
export function describeGgmlTarget(t: GgmlTargetInfo): string {
  let s = `${t.type}: blocks of ${t.blockSize} values in ${t.typeSize} bytes, ${t.bitsPerValue} bits per value; ${t.scales}`;
  const l = t.limits;
  if (l !== null) {
    const basis = l.basis === 'max|x|' ? 'max |x|' : 'max − min';
    const parts: string[] = [];
    if (l.zeroAtOrBelow !== null) parts.push(`its values are lost for a block ${basis} ≤ ${fmtNum(l.zeroAtOrBelow)}`);
    if (l.subnormalBelow !== null) parts.push(`d is subnormal below ${fmtNum(l.subnormalBelow)}`);
    if (l.coarseBelow !== null) parts.push(`coarse (fewer than ${t.multiplierBits} significant bits) below ${fmtNum(l.coarseBelow)}`);
    if (l.overflowAtOrAbove !== null) parts.push(`inf from ${fmtNum(l.overflowAtOrAbove)}`);
    s += `; ${parts.join(', ')}`;
  } else {
    s += '; its scales come out of a search over each block: the blocks whose scales fail are counted from the quantized blocks';
  }
  return s;
}

/**
 * The text report of a ggml check: header, the worst tensors, the tensors the type cannot store,
 * totals and the verdict line.
 *
 * @param r - the report
 * @param top - tensors listed (0: all)
 * @returns the text
 */
export function renderGgmlCheckText(r: GgmlCheckReport, top: number): string {
  const s = r.summary;
  const t = r.target;
  const read = `${fmtCount(s.counts.total)} values quantized (${fmtBytes(s.bytes)} read)`;
  const lines = fmtCheckHead({ label: r.input.label, target: t.type, tensors: s.tensors, read, seconds: s.seconds, about: describeGgmlTarget(t), skipped: r.input.skipped });
  lines.push('');
  const sorted = r.tensors.filter((c) => c.result.analysis !== null).sort(ggmlWorstFirst);
  const shown = top > 0 ? sorted.slice(0, top) : sorted;
  const hasSub = SCALE_LAYOUTS[t.type].sub !== null;
  if (sorted.length > 0) {
    lines.push(
      renderTable(
        [
          ...CHECK_TENSOR_COLUMNS,
          { header: 'SQNR', align: 'right' },
          { header: 'rel L2', align: 'right' },
          { header: 'max err', align: 'right' },
          { header: 'lost blocks', align: 'right' },
          ...(hasSub ? [{ header: 'zeroed sub-blocks', align: 'right' as const }] : []),
          { header: 'subnormal d', align: 'right' },
          { header: 'coarse d', align: 'right' },
          { header: 'inf d', align: 'right' },
        ],
        shown.map((c) => {
          const a = c.result.analysis as GgmlAnalysis;
          const k = a.counts;
          return [
            c.name, c.dtype, fmtShape(c.shape), a.verdict,
            ...(k.blocks === 0 ? ['—', '—', '—'] : [fmtDb(a.error.sqnrDb), fmtRelError(a.error.relL2), fmtNum(a.error.maxAbsError)]),
            fmtCountShare(k.lostBlocks, k.blocks),
            ...(hasSub ? [fmtCount(k.zeroedSubBlocks)] : []),
            fmtCountShare(k.subnormalScaleBlocks, k.blocks), fmtCountShare(k.coarseScaleBlocks, k.blocks), fmtCountShare(k.infScaleBlocks, k.blocks),
          ];
        }),
      ).trimEnd(),
    );
    if (shown.length < sorted.length) lines.push(`(the ${shown.length} worst of ${sorted.length} tensors; --top 0 lists all)`);
  }
  const unsupported = r.tensors.filter((c) => c.result.status === 'unsupported');
  if (unsupported.length > 0) {
    lines.push('');
    lines.push(`Not storable as ${t.type} (${unsupported.length} tensor${unsupported.length === 1 ? '' : 's'}; never padded):`);
    const list = top > 0 ? unsupported.slice(0, Math.max(top, 5)) : unsupported;
    for (const c of list) lines.push(`  ${c.name} ${fmtShape(c.shape)}: ${c.result.reason}`);
    if (list.length < unsupported.length) lines.push(`  … +${unsupported.length - list.length} more (--top 0 lists all)`);
  }
  lines.push('');
  const v = s.byVerdict;
  lines.push(
    `Tensors by verdict: ${[...VERDICT_ORDER].reverse().filter((k) => v[k] > 0).map((k) => `${v[k]} ${k}`).join(', ') || 'none'}` +
      (s.unsupported > 0 ? `; ${s.unsupported} not storable as ${t.type}` : ''),
  );
  const k = s.counts;
  lines.push(
    `Blocks: ${fmtCount(k.blocks)} of ${t.blockSize} values; lost (scale 0) ${fmtCountShare(k.lostBlocks, k.blocks)}` +
      (hasSub ? `; sub-blocks zeroed ${fmtCount(k.zeroedSubBlocks)}` : '') +
      `; subnormal d ${fmtCountShare(k.subnormalScaleBlocks, k.blocks)} (coarse ${fmtCountShare(k.coarseScaleBlocks, k.blocks)}); inf d ${fmtCountShare(k.infScaleBlocks, k.blocks)}` +
      (k.nonFiniteBlocks > 0 ? `; holding NaN/inf (left out) ${fmtCount(k.nonFiniteBlocks)}` : ''),
  );
  lines.push(
    `Error: SQNR ${fmtDb(s.sqnrDb)} over all values; median tensor ${fmtDb(s.medianSqnrDb)}; worst ${s.worstSqnr === null ? '—' : `${fmtDb(s.worstSqnr.sqnrDb)} (${s.worstSqnr.name})`}`,
  );
  lines.push(`Size: ${fmtCount(s.elements)} values in ${fmtBytes(s.storedBytes)} as ${t.type} (${t.bitsPerValue} bits per value)`);
  lines.push('');
  lines.push(`Verdict for ${t.type}: ${r.verdict}: ${r.reasons.join('; ')}.`);
  if (r.failOn.kinds.length > 0) {
    lines.push(
      r.failOn.triggered.length > 0
        ? `--fail-on ${r.failOn.kinds.join(',')}: found ${r.failOn.triggered.join(', ')} (exit status 1)`
        : `--fail-on ${r.failOn.kinds.join(',')}: nothing found (exit status 0)`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Version of the `lowp.ggml-check` schema. */
export const GGML_CHECK_SCHEMA = 'lowp.ggml-check/1';

/** One tensor of the JSON document. */
export interface GgmlCheckJsonTensor {
  name: string;
  shape: number[];
  dtype: string;
  elements: number;
  rowLength: number;
  status: 'quantized' | 'unsupported';
  reason: string | null;
  verdict: CastVerdict | null;
  reasons: string[];
  bytes: number | null;
  counts: Jsonified<GgmlCounts> | null;
  range: Jsonified<GgmlAnalysis['range']> | null;
  error: Jsonified<GgmlAnalysis['error']> | null;
  scales: Jsonified<GgmlAnalysis['scales']> | null;
  examples: Jsonified<GgmlAnalysis['examples']>;
  thresholds: Jsonified<GgmlAnalysis['thresholds']> | null;
}

/** The JSON document of `lowp check --to <ggml type> --json` (see docs/cli.md). */
export interface GgmlCheckJson {
  schema: typeof GGML_CHECK_SCHEMA;
  generator: { name: 'lowp'; version: string };
  input: string;
  target: Jsonified<GgmlTargetInfo>;
  summary: Jsonified<Omit<GgmlCheckSummary, 'seconds' | 'worst'>> & { verdict: CastVerdict; worstTensors: string[]; reasons: string[] };
  tensors: GgmlCheckJsonTensor[];
  check: {
    version: number;
    targetKind: 'ggml';
    verdict: CastVerdict;
    reasons: string[];
    failOn: { kinds: string[]; triggered: string[] };
    exitCode: number;
    options: { only: string | null; chunkElements: number; threads: number };
    input: GgmlCheckReport['input'];
    targetInfo: Jsonified<GgmlTargetInfo>;
    bytes: number;
    seconds: number;
  };
}

/**
 * The report as the JSON document of `lowp check --to <ggml type> --json` (schema 'lowp.ggml-check/1'),
 * with the same `check` block as the cast report (`checkVersion`). ±Infinity and NaN are strings.
 *
 * @param r - the report
 * @param checkVersion - the version of the `check` block
 * @returns a JSON-safe object
 */
export function ggmlCheckReportJson(r: GgmlCheckReport, checkVersion: number): GgmlCheckJson {
  const { seconds, worst, ...rest } = r.summary;
  const target = toJsonSafe(r.target);
  return {
    schema: GGML_CHECK_SCHEMA,
    generator: { name: 'lowp', version: r.lowpVersion },
    input: r.input.label,
    target,
    summary: { ...toJsonSafe(rest), verdict: r.verdict, worstTensors: worst, reasons: r.reasons },
    tensors: r.tensors.map((c) => {
      const a = c.result.analysis;
      return {
        name: c.name, shape: c.shape, dtype: c.dtype, elements: c.elements, rowLength: c.result.rowLength, status: c.result.status, reason: c.result.reason,
        verdict: a?.verdict ?? null, reasons: a?.reasons ?? [], bytes: a?.bytes ?? null,
        counts: a ? toJsonSafe(a.counts) : null, range: a ? toJsonSafe(a.range) : null, error: a ? toJsonSafe(a.error) : null,
        scales: a ? toJsonSafe(a.scales) : null, examples: a ? toJsonSafe(a.examples) : [], thresholds: a ? toJsonSafe(a.thresholds) : null,
      };
    }),
    check: {
      version: checkVersion,
      targetKind: 'ggml',
      verdict: r.verdict,
      reasons: r.reasons,
      failOn: r.failOn,
      exitCode: r.exitCode,
      options: { only: r.options.only, chunkElements: r.options.chunkElements, threads: r.options.threads },
      input: r.input,
      targetInfo: target,
      bytes: r.summary.bytes,
      seconds,
    },
  };
}
