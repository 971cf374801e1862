// `lowp check`: can this checkpoint move to a lower-precision format? Streams every float tensor chunk by
// chunk through lowp/diagnostics' cast analyzer (bounded memory whatever the file size), then prints
// per-tensor figures (flushed to zero, subnormal, overflow, max relative error, headroom), a summary over
// the model, the well-known constants check and a one-line verdict; or the JSON report (schema
// `lowp.cast-report/1` plus the `check` block, see docs/cli.md); optionally a self-contained HTML report.
// `--to q4_k` (any ggml type) quantizes instead of casting: see check-ggml.ts.
import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { finfo, getFormat, type FormatInfo } from '../../formats/index.js';
import type { CastAnalysis, CastCounts } from '../../diagnostics/analyzeCast.js';
import type { ConstantCheck } from '../../diagnostics/constants.js';
import { createCastReport, summarizeAnalyses, toJsonSafe, type CastReport } from '../../diagnostics/report.js';
import type { TensorInfo } from '../../io/reader.js';
import {
  castFigures,
  checkWellKnownConstants,
  verdictRank,
  VERDICT_ORDER,
  type CastFigures,
  type CastVerdict,
  type ConstantFigures,
} from '../analysis.js';
import { CliError, EXIT_OK, EXIT_RISK, println, type CliIO } from '../io.js';
import { openInput, selectInputTensors } from '../open.js';
import { analyzeInWorkers, analyzeTensor, analyzeTensorGgml, type CheckWorkerJob, type GgmlTensorResult, type TensorResult } from '../parallel.js';
import { createProgress } from '../progress.js';
import { renderHtmlReport } from '../report-html.js';
import { renderTrainingText, runTrainingSection, trainingJson, type TrainingOptions, type TrainingSection } from '../training.js';
import { resolveStorageType } from '../../quant/ggml/analyze.js';
import { GGML_STORAGE_TYPES, type GgmlStorageType } from '../../quant/ggml/scales.js';
import {
  ggmlCheckReportJson, ggmlOverallVerdict, ggmlTargetInfo, renderGgmlCheckText, summarizeGgml, type GgmlCheckReport, type GgmlTensorCheck,
} from './check-ggml.js';
import { packageVersion } from '../version.js';
import { CHECK_TENSOR_COLUMNS, renderTable } from '../table.js';
import { fmtBits, fmtBytes, fmtCheckHead, fmtCount, fmtCountShare, fmtNum, fmtPercent, fmtRelError, fmtShape, someNames } from '../units.js';

/** Kinds accepted by `--fail-on`. */
export const FAIL_ON_KINDS = ['overflow', 'underflow', 'lossy', 'constants', 'unsupported', 'any'] as const;
/** One `--fail-on` kind. */
export type FailOnKind = (typeof FAIL_ON_KINDS)[number];

/**
 * Version of the `check` block that `lowp check --json` adds to lowp/diagnostics' cast report (schema
 * 'lowp.cast-report/1') and to the ggml report (schema 'lowp.ggml-check/1'): the CLI's verdict line,
 * `--fail-on` outcome, options and skipped tensors. Version 2 added `targetKind` ('format' or 'ggml'):
 * `targetInfo` is a format's finfo or a ggml type's facts; `--fail-on` gained 'unsupported'. Version 3
 * added the top-level `training` block (schema 'lowp.training/1': training checkpoints, --to bf16/fp16).
 */
export const CHECK_BLOCK_VERSION = 3;

/** Options of {@link checkCommand} (the command-line flags; the training section's in {@link TrainingOptions}). */
export interface CheckOptions extends TrainingOptions {
  /** Target format (default 'bf16'). */
  to?: string;
  /** Check the built-in sample instead of a path. */
  sample?: boolean;
  /** Print the JSON report instead of the table. */
  json?: boolean;
  /** Also write the HTML report to this file. */
  html?: string;
  /** Regular expression: only tensors whose name matches. */
  only?: string;
  /** Comma-separated {@link FailOnKind}s. */
  failOn?: string;
  /** Tensors listed in the table, worst first; 0 = all. Default 20. */
  top?: number;
  /** Elements per chunk. Default 1,048,576. */
  chunk?: number;
  /** false: never show a progress bar. */
  progress?: boolean;
  /** Worker threads: a number, or 'auto' (default: up to 8 for inputs of 64 MiB or more, else 1). */
  threads?: number | 'auto';
}

/** Inputs smaller than this are checked on the calling thread (starting workers costs more). */
export const PARALLEL_MIN_BYTES = 64 * 2 ** 20;

/**
 * The number of threads for a check: 1 without a JavaScript worker entry (in-process use, or sources
 * run by tsx) or for one tensor;
 * `--threads n` as given (capped at the tensor count); 'auto': min(available cores, 8, tensors) for
 * inputs of at least {@link PARALLEL_MIN_BYTES}, else 1.
 */
export function chooseThreads(requested: number | 'auto' | undefined, tensors: readonly TensorInfo[], bytes: number, entry: URL | undefined): number {
  // workers start from the built CLI (dist/cli/main.js); from TypeScript sources (tsx) they cannot load
  if (entry === undefined || tensors.length <= 1 || !/\.[cm]?js$/.test(entry.pathname)) return 1;
  if (typeof requested === 'number') return Math.max(1, Math.min(requested, tensors.length));
  if (bytes < PARALLEL_MIN_BYTES) return 1;
  return Math.max(1, Math.min(availableParallelism(), 8, tensors.length));
}

/** A copy of the bytes in shared memory (handed to the workers without further copies). */
function toShared(bytes: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

/** One checked tensor. */
export interface TensorCheck {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  /** lowp/diagnostics' analysis of the whole tensor (what `analyzeCast` returns for it). */
  analysis: CastAnalysis;
  /** The figures shown in the table and report. */
  figures: CastFigures;
}

/** Totals over the checked tensors: the analyzer's counts summed (`total` is the number of values), and the rest. */
export interface CheckSummary extends CastCounts {
  tensors: number;
  bytes: number;
  byVerdict: Record<CastVerdict, number>;
  /** Largest max relative error over the tensors (null when no value was nonzero). */
  maxRelError: number | null;
  /** Smallest headroom over the tensors, in bits (null when every value is zero). */
  minHeadroomBits: number | null;
  /** Names of the tensors, worst first. */
  worst: string[];
  seconds: number;
}

/** Everything `lowp check --to <format>` found (printed as text, as the JSON cast report, or as HTML). */
export interface CheckReport {
  /** Tells this report from the ggml report of `--to q4_k` ({@link GgmlCheckReport}). */
  targetKind: 'format';
  lowpVersion: string;
  input: { kind: 'sample' | 'path'; label: string; path: string | null; tensors: number; skipped: { name: string; dtype: string; reason: string }[] };
  target: FormatInfo;
  options: { only: string | null; failOn: FailOnKind[]; chunkElements: number; threads: number };
  tensors: TensorCheck[];
  summary: CheckSummary;
  constants: { result: ConstantCheck[]; rows: ConstantFigures[] };
  verdict: CastVerdict;
  reasons: string[];
  failOn: { kinds: FailOnKind[]; triggered: FailOnKind[] };
  exitCode: number;
  /** The training section (training checkpoints only: src/cli/training.ts). */
  training?: TrainingSection | null;
}

/** What `lowp check` returns: the cast report of a format target, or the ggml report of a ggml type. */
export type AnyCheckReport = CheckReport | GgmlCheckReport;

/** A `--to` target: a lowp format (a cast) or one of llama.cpp's ggml types (a quantization). */
export type CheckTarget = { kind: 'format'; info: FormatInfo } | { kind: 'ggml'; type: GgmlStorageType };

/**
 * Resolves `--to`: a format of `lowp formats` (names and aliases), else a ggml type lowp quantizes (any
 * case: q4_k, Q8_0, iq4_nl; `mxfp4` and `ggml-mxfp4` are ggml's MXFP4 here), else a CliError naming both.
 */
export function resolveCheckTarget(name: string): CheckTarget {
  try {
    return { kind: 'format', info: finfo(getFormat(name)) };
  } catch (e) {
    try {
      return { kind: 'ggml', type: resolveStorageType(name, '--to') };
    } catch (g) {
      const known = /^(q\d|iq\d|tq\d|mxfp|ggml-)/i.test(name);
      throw new CliError(`--to: ${known ? (g as Error).message.replace(/^--to: /, '') : `${(e as Error).message}; or a ggml type (${GGML_STORAGE_TYPES.join(', ')}; any case)`}`);
    }
  }
}

/** Parses `--fail-on overflow,underflow`; throws CliError on an unknown kind. */
export function parseFailOn(text: string | undefined): FailOnKind[] {
  if (text === undefined || text.trim() === '' || text.trim() === 'none') return [];
  const kinds = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of kinds) {
    if (!(FAIL_ON_KINDS as readonly string[]).includes(k)) {
      throw new CliError(`--fail-on expects a comma-separated list of ${FAIL_ON_KINDS.join(', ')}, got '${k}'`);
    }
  }
  const set = new Set(kinds as FailOnKind[]);
  if (set.has('any')) return ['overflow', 'underflow', 'lossy', 'constants', 'unsupported'];
  return [...set];
}

/** Constant kinds that `--fail-on constants` counts: the value is lost or becomes infinite. */
const BAD_CONSTANT_KINDS = new Set(['flush-to-zero', 'overflow']);

/**
 * Which `--fail-on` kinds the report triggers. `unsupported` counts the tensors a ggml target cannot
 * store (0 for a format target); `constants` only applies to format targets (none are checked for a
 * ggml type).
 */
export function triggeredFailOn(kinds: readonly FailOnKind[], byVerdict: Record<CastVerdict, number>, constants: readonly ConstantFigures[], unsupported = 0): FailOnKind[] {
  const out: FailOnKind[] = [];
  for (const k of kinds) {
    if (k === 'overflow' && byVerdict['overflow-risk'] > 0) out.push(k);
    else if (k === 'underflow' && byVerdict['underflow-risk'] > 0) out.push(k);
    else if (k === 'lossy' && byVerdict.lossy + byVerdict['underflow-risk'] + byVerdict['overflow-risk'] > 0) out.push(k);
    else if (k === 'constants' && constants.some((c) => BAD_CONSTANT_KINDS.has(c.kind))) out.push(k);
    else if (k === 'unsupported' && unsupported > 0) out.push(k);
  }
  return out;
}

/** Share of a tensor's values hurt badly (flushed to zero or overflowed), for sorting. */
function damage(f: CastFigures): number {
  return f.total > 0 ? (f.flushedToZero + f.overflowed) / f.total : 0;
}

/** Orders tensors worst first: verdict, then share flushed/overflowed, then subnormal share, then max relative error. */
export function worstFirst(a: TensorCheck, b: TensorCheck): number {
  const fa = a.figures;
  const fb = b.figures;
  return (
    verdictRank(fb.verdict) - verdictRank(fa.verdict) ||
    damage(fb) - damage(fa) ||
    fb.becameSubnormal / Math.max(1, fb.total) - fa.becameSubnormal / Math.max(1, fa.total) ||
    (fb.maxRelError ?? 0) - (fa.maxRelError ?? 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The summary of a non-empty list of checks (runCheck refuses an input without float tensors). */
function summarize(checks: TensorCheck[], bytes: number, seconds: number): CheckSummary {
  // the counts and verdict tallies exactly as lowp/diagnostics' report sums them
  const totals = summarizeAnalyses(checks);
  let maxRelError: number | null = null;
  let minHeadroomBits: number | null = null;
  for (const { figures: f } of checks) {
    if (f.maxRelError !== null && Number.isFinite(f.maxRelError) && (maxRelError === null || f.maxRelError > maxRelError)) maxRelError = f.maxRelError;
    if (f.headroomBits !== null && (minHeadroomBits === null || f.headroomBits < minHeadroomBits)) minHeadroomBits = f.headroomBits;
  }
  return {
    tensors: checks.length, bytes, maxRelError, minHeadroomBits,
    worst: [...checks].sort(worstFirst).map((c) => c.name), seconds,
    ...totals.counts,
    byVerdict: totals.verdicts,
  };
}

/** The overall verdict (the worst tensor's) and the reasons, as sentences with numbers. */
export function overallVerdict(checks: TensorCheck[], summary: CheckSummary, constants: ConstantFigures[], target: FormatInfo): { verdict: CastVerdict; reasons: string[] } {
  let verdict: CastVerdict = 'safe';
  for (const c of checks) if (verdictRank(c.figures.verdict) > verdictRank(verdict)) verdict = c.figures.verdict;
  const reasons: string[] = [];
  const sorted = [...checks].sort(worstFirst);
  const tensors = (n: number): string => `${n} tensor${n === 1 ? '' : 's'}`;
  const over = sorted.filter((c) => c.figures.verdict === 'overflow-risk');
  if (over.length > 0) {
    const n = over.reduce((a, c) => a + c.figures.overflowed, 0);
    reasons.push(`${tensors(over.length)} ${over.length === 1 ? 'has' : 'have'} ${fmtCount(n)} value${n === 1 ? '' : 's'} beyond ${target.name}'s max ${fmtNum(target.max, 5)} (${someNames(over.map((c) => c.name), 2)})`);
  }
  const under = sorted.filter((c) => c.figures.verdict === 'underflow-risk');
  if (under.length > 0) {
    const flushed = under.reduce((a, c) => a + c.figures.flushedToZero, 0);
    const sub = under.reduce((a, c) => a + c.figures.becameSubnormal, 0);
    const total = under.reduce((a, c) => a + c.figures.total, 0);
    const one = under.length === 1;
    reasons.push(
      `${tensors(under.length)} underflow${one ? 's' : ''}: ${fmtCount(flushed)} of ${one ? 'its' : 'their'} ${fmtCount(total)} values (${fmtPercent(flushed, total)}) flush to zero and ${fmtCount(sub)} (${fmtPercent(sub, total)}) become subnormal (${someNames(under.map((c) => c.name), 2)})`,
    );
  }
  const lossy = sorted.filter((c) => c.figures.verdict === 'lossy');
  if (lossy.length > 0) {
    reasons.push(`${tensors(lossy.length)} ${lossy.length === 1 ? 'loses' : 'lose'} more than the SQNR threshold to rounding (${someNames(lossy.map((c) => c.name), 2)})`);
  }
  if (over.length === 0 && under.length === 0) {
    const sq = checks.map((c) => c.figures.sqnrDb).filter((x): x is number => x !== null);
    const minSq = sq.length > 0 ? Math.min(...sq) : null;
    reasons.push(
      `nothing overflows${summary.flushedToZero === 0 ? ' or flushes to zero' : `, ${fmtCount(summary.flushedToZero)} values flush to zero (within the tolerance)`}; rounding to ${target.mantissaBits + 1} significant bit${target.mantissaBits === 0 ? '' : 's'} changes ${fmtPercent(summary.rounded, summary.total)} of the values, max relative error ${fmtRelError(summary.maxRelError)}` +
        (minSq !== null && Number.isFinite(minSq) ? `, worst SQNR ${minSq.toFixed(1)} dB` : ''),
    );
  }
  const badConst = constants.filter((c) => BAD_CONSTANT_KINDS.has(c.kind));
  if (badConst.length > 0) {
    const zero = badConst.filter((c) => c.kind === 'flush-to-zero').length;
    const inf = badConst.length - zero;
    const parts = [zero > 0 ? `${zero} flush to zero` : '', inf > 0 ? `${inf} overflow` : ''].filter((x) => x !== '');
    reasons.push(`of the well-known constants, ${parts.join(' and ')} in ${target.name} (e.g. ${badConst[0].name} ${fmtNum(badConst[0].value)} → ${fmtNum(badConst[0].castsTo)})`);
  }
  return { verdict, reasons };
}

/**
 * Runs the whole check (open, stream, analyse, summarise) and returns the report, printing nothing: the
 * cast report for a format target, the ggml report for a ggml type (`--to q4_k`).
 *
 * @param path - file, folder or index path (undefined with `--sample`)
 * @param opts - the command-line options
 * @param io - streams (stderr for the progress bar) and cwd
 * @returns the report
 * @example
 * ```ts
 * const report = await runCheck(undefined, { sample: true, to: 'fp16' }, io);
 * report.verdict; // 'overflow-risk'
 * ```
 */
export async function runCheck(path: string | undefined, opts: CheckOptions, io: CliIO): Promise<AnyCheckReport> {
  const target = resolveCheckTarget(opts.to ?? 'bf16');
  const failOn = parseFailOn(opts.failOn);
  const chunk = opts.chunk ?? 1 << 20;
  const input = await openInput(path, opts.sample, io.cwd ?? process.cwd());
  const t0 = performance.now();
  try {
    const { selected, skipped, totalBytes } = selectInputTensors(input, opts.only, 'check');
    const progress = createProgress({ stream: io.stderr, total: totalBytes, enabled: opts.progress !== false && !opts.json });
    const threads = chooseThreads(opts.threads, selected, totalBytes, io.workerEntry);
    const ggml = target.kind === 'ggml' ? target.type : undefined;
    let results: TensorResult[];
    const warnings: string[] = [];
    // one tensor on the calling thread: the whole path, and the workers' fallback
    const analyzeHere = (t: TensorInfo, onBytes?: (n: number) => void): Promise<TensorResult> =>
      ggml !== undefined ? analyzeTensorGgml(input.reader, t, ggml, chunk, onBytes) : analyzeTensor(input.reader, t, (target as { info: FormatInfo }).info.name, chunk, onBytes);
    try {
      if (threads > 1) {
        const job: CheckWorkerJob = {
          input: input.bytes !== null ? { kind: 'bytes', bytes: toShared(input.bytes), label: input.label } : { kind: 'path', path: input.resolved as string, label: input.label },
          to: target.kind === 'format' ? target.info.name : target.type,
          ggml,
          chunk,
        };
        progress.label(`${threads} threads`);
        results = await analyzeInWorkers<TensorResult>(io.workerEntry as URL, job, selected, threads, (t) => progress.tick(t.byteLength), {
          analyze: (t) => analyzeHere(t),
          warn: (message) => warnings.push(message),
        });
      } else {
        results = [];
        for (const t of selected) {
          progress.label(t.name);
          results.push(await analyzeHere(t, (n) => progress.tick(n)));
        }
      }
    } finally {
      progress.stop();
      for (const w of warnings) println(io.stderr, `lowp: warning: ${w}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const inputInfo = { kind: input.kind, label: input.label, path: input.resolved, tensors: input.reader.tensors.length, skipped };
    const options = { only: opts.only ?? null, failOn, chunkElements: chunk, threads };
    if (target.kind === 'ggml') {
      const checks: GgmlTensorCheck[] = selected.map((t, i) => ({
        name: t.name, dtype: t.dtype, shape: [...t.shape], elements: t.elements, byteLength: t.byteLength, result: results[i] as GgmlTensorResult,
      }));
      const info = ggmlTargetInfo(target.type);
      const summary = summarizeGgml(checks, totalBytes, seconds);
      const { verdict, reasons } = ggmlOverallVerdict(checks, summary, info);
      const triggered = triggeredFailOn(failOn, summary.byVerdict, [], summary.unsupported);
      return {
        targetKind: 'ggml', lowpVersion: packageVersion(), input: inputInfo, target: info, options, tensors: checks, summary, verdict, reasons,
        failOn: { kinds: failOn, triggered }, exitCode: triggered.length > 0 ? EXIT_RISK : EXIT_OK,
      };
    }
    const analyses = results as CastAnalysis[];
    const checks: TensorCheck[] = selected.map((t, i) => ({
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      elements: t.elements,
      analysis: analyses[i],
      figures: castFigures(analyses[i]),
    }));
    const summary = summarize(checks, totalBytes, seconds);
    const constants = checkWellKnownConstants(target.info.name);
    const { verdict, reasons } = overallVerdict(checks, summary, constants.rows, target.info);
    const triggered = triggeredFailOn(failOn, summary.byVerdict, constants.rows);
    const training = await runTrainingSection(path, opts.sample === true, target.info.name, opts, io, input.bytes);
    return {
      targetKind: 'format',
      training,
      lowpVersion: packageVersion(),
      input: inputInfo,
      target: target.info,
      options,
      tensors: checks,
      summary,
      constants,
      verdict,
      reasons,
      failOn: { kinds: failOn, triggered },
      exitCode: triggered.length > 0 ? EXIT_RISK : EXIT_OK,
    };
  } finally {
    await input.reader.close();
  }
}

/** The JSON document of `lowp check --json`: lowp/diagnostics' cast report plus the `check` block. */
export type CheckJson = CastReport & {
  /** The training section (training checkpoints only; schema 'lowp.training/1'). */
  training?: Record<string, unknown>;
  /** What the command adds (version {@link CHECK_BLOCK_VERSION}); non-finite numbers as strings. */
  check: {
    version: number;
    targetKind: 'format';
    verdict: CastVerdict;
    reasons: string[];
    failOn: { kinds: FailOnKind[]; triggered: FailOnKind[] };
    exitCode: number;
    options: { only: string | null; chunkElements: number; threads: number };
    input: { kind: 'sample' | 'path'; label: string; path: string | null; tensors: number; skipped: { name: string; dtype: string; reason: string }[] };
    targetInfo: unknown;
    bytes: number;
    seconds: number;
  };
};

/**
 * The report as the JSON document of `lowp check --json`: the versioned cast report of lowp/diagnostics
 * (`createCastReport`, schema 'lowp.cast-report/1': per-tensor analyses with the tensor's `dtype` and
 * `elements` added, summary, constants), plus a `check` block with the command's verdict, reasons and
 * `--fail-on` outcome. ±Infinity and NaN are written as strings.
 *
 * @param report - the result of {@link runCheck}
 * @returns a JSON-safe object
 * @example
 * ```ts
 * JSON.stringify(checkReportJson(await runCheck(undefined, { sample: true }, io)), null, 2);
 * ```
 */
export function checkReportJson(report: CheckReport): CheckJson {
  const cast = createCastReport({
    tensors: report.tensors.map((t) => ({ name: t.name, shape: t.shape, analysis: t.analysis })),
    constants: report.constants.result,
    input: report.input.label,
    version: report.lowpVersion,
  });
  cast.tensors.forEach((t, i) => Object.assign(t, { dtype: report.tensors[i].dtype, elements: report.tensors[i].elements }));
  return {
    ...cast,
    check: {
      version: CHECK_BLOCK_VERSION,
      targetKind: 'format',
      verdict: report.verdict,
      reasons: report.reasons,
      failOn: report.failOn,
      exitCode: report.exitCode,
      options: { only: report.options.only, chunkElements: report.options.chunkElements, threads: report.options.threads },
      input: report.input,
      targetInfo: toJsonSafe(report.target),
      bytes: report.summary.bytes,
      seconds: report.summary.seconds,
    },
    ...(report.training ? { training: trainingJson(report.training) } : {}),
  };
}

/** Short description of the target for the header line. */
function describeTarget(t: FormatInfo): string {
  const parts = [`max ${fmtNum(t.max, 5)}`, `smallest normal ${fmtNum(t.smallestNormal)}`];
  if (t.smallestSubnormal < t.smallestNormal) parts.push(`smallest subnormal ${fmtNum(t.smallestSubnormal)}`);
  parts.push(`${t.mantissaBits + 1} significant bits`);
  return `${t.name}: ${parts.join(', ')}`;
}

/**
 * Renders the report as text for the terminal: header, worst tensors table, summary, constants,
 * verdict line.
 *
 * @param report - the result of {@link runCheck}
 * @param top - tensors listed (0: all)
 * @returns the text
 * @example
 * ```ts
 * process.stdout.write(renderCheckText(await runCheck(undefined, { sample: true }, io), 20));
 * ```
 */
export function renderCheckText(report: CheckReport, top: number): string {
  const s = report.summary;
  const t = report.target;
  const read = `${fmtCount(s.total)} values (${fmtBytes(s.bytes)})`;
  const lines = fmtCheckHead({ label: report.input.label, target: t.name, tensors: s.tensors, read, seconds: s.seconds, about: describeTarget(t), skipped: report.input.skipped });
  lines.push('');
  const sorted = [...report.tensors].sort(worstFirst);
  const shown = top > 0 ? sorted.slice(0, top) : sorted;
  lines.push(
    renderTable(
      [
        ...CHECK_TENSOR_COLUMNS,
        { header: 'flushed to 0', align: 'right' },
        { header: 'subnormal', align: 'right' },
        { header: 'overflow', align: 'right' },
        { header: 'max |x|', align: 'right' },
        { header: 'headroom', align: 'right' },
        { header: 'max rel err', align: 'right' },
      ],
      shown.map((c) => {
        const f = c.figures;
        return [
          c.name,
          c.dtype,
          fmtShape(c.shape),
          f.verdict,
          fmtCountShare(f.flushedToZero, f.total),
          fmtCountShare(f.becameSubnormal, f.total),
          fmtCountShare(f.overflowed, f.total),
          fmtNum(f.maxAbs),
          fmtBits(f.headroomBits),
          fmtRelError(f.maxRelError),
        ];
      }),
    ).trimEnd(),
  );
  if (shown.length < sorted.length) lines.push(`(the ${shown.length} worst of ${sorted.length} tensors; --top 0 lists all)`);
  lines.push('');
  const v = s.byVerdict;
  lines.push(`Tensors by verdict: ${VERDICT_ORDER.slice().reverse().filter((k) => v[k] > 0).map((k) => `${v[k]} ${k}`).join(', ') || 'none'}`);
  lines.push(
    `Values: ${fmtCount(s.total)}; zero ${fmtCountShare(s.zeros, s.total)}; exact ${fmtCountShare(s.exact, s.total)}; rounded ${fmtCountShare(s.rounded, s.total)}`,
  );
  lines.push(
    `        flushed to zero ${fmtCountShare(s.flushedToZero, s.total)}; became subnormal ${fmtCountShare(s.becameSubnormal, s.total)}; overflowed ${fmtCountShare(s.overflowed, s.total)}`,
  );
  const nonFinite =
    (s.nanInputs + s.infInputs > 0 ? `; non-finite inputs ${fmtCount(s.nanInputs)} NaN, ${fmtCount(s.infInputs)} inf` : '') +
    (s.invalid > 0 ? `; negative values that ${t.name} cannot hold (→ NaN) ${fmtCountShare(s.invalid, s.total)}` : '');
  lines.push(`        max relative error ${fmtRelError(s.maxRelError)}; smallest headroom ${fmtBits(s.minHeadroomBits)}${nonFinite}`);
  lines.push('');
  lines.push(`Well-known constants in ${t.name}:`);
  lines.push(
    renderTable(
      [{ header: 'constant' }, { header: 'value', align: 'right' }, { header: 'becomes', align: 'right' }, { header: 'kind' }],
      report.constants.rows.map((c) => [c.name, fmtNum(c.value, 4), fmtNum(c.castsTo, 4), c.kind]),
    ).trimEnd(),
  );
  // one note per kind of problem (and role), naming the constants it concerns
  const groups = new Map<string, { rows: ConstantFigures[]; role: string }>();
  for (const [i, c] of report.constants.rows.entries()) {
    if (c.kind === 'exact' || c.kind === 'rounded' || !c.suggestion) continue;
    const role = report.constants.result[i]?.role ?? 'other';
    const key = `${c.kind}/${role}`;
    const g = groups.get(key) ?? { rows: [], role };
    g.rows.push(c);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const first = g.rows[0];
    lines.push(`  ${first.kind} (${g.rows.map((c) => c.name).join(', ')}):`);
    lines.push(`    ${g.rows.length > 1 ? `e.g. ${first.name}: ` : ''}${first.suggestion}`);
  }
  lines.push('');
  lines.push(`Verdict for ${t.name}: ${report.verdict}: ${report.reasons.join('; ')}.`);
  if (report.failOn.kinds.length > 0) {
    lines.push(
      report.failOn.triggered.length > 0
        ? `--fail-on ${report.failOn.kinds.join(',')}: found ${report.failOn.triggered.join(', ')} (exit status 1)`
        : `--fail-on ${report.failOn.kinds.join(',')}: nothing found (exit status 0)`,
    );
  }
  return lines.join('\n') + '\n' + (report.training ? renderTrainingText(report.training, top) : '');
}

/**
 * The absolute path `--html` writes to, refused when it is the checkpoint being read: the input file
 * itself, or a *.safetensors / *.safetensors.index.json file of an input folder or index (writing the
 * report there would destroy the model). Checked before the analysis, so a bad path fails at once.
 */
function htmlTarget(html: string, path: string | undefined, cwd: string): string {
  const out = isAbsolute(html) ? html : resolve(cwd, html);
  if (path === undefined) return out;
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const input = real(isAbsolute(path) ? path : resolve(cwd, path));
  const target = real(out);
  let folder: string | null = null;
  try {
    folder = statSync(input).isDirectory() ? input : /\.json$/i.test(input) ? dirname(input) : null;
  } catch {
    folder = null; // openInput reports a missing input
  }
  const checkpointFile = /\.safetensors$|\.safetensors\.index\.json$/i.test(target);
  if (target === input || (folder !== null && dirname(target) === folder && checkpointFile)) {
    throw new CliError(`--html: expected a report path other than the checkpoint being read, got ${html} (it would overwrite the model)`);
  }
  return out;
}

/**
 * `lowp check`: runs the check, prints the table or JSON, writes the HTML report when asked, and returns
 * the exit status (0, or 1 when a `--fail-on` kind was found).
 *
 * @example
 * ```ts
 * const code = await checkCommand(undefined, { sample: true, to: 'fp16', failOn: 'underflow' }, io); // 1
 * ```
 */
export async function checkCommand(path: string | undefined, opts: CheckOptions, io: CliIO): Promise<number> {
  const out = opts.html === undefined ? undefined : htmlTarget(opts.html, path, io.cwd ?? process.cwd());
  const report = await runCheck(path, opts, io);
  if (out !== undefined) {
    try {
      writeFileSync(out, renderHtmlReport(report));
    } catch (e) {
      throw new CliError(`--html: cannot write ${opts.html} (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
    println(io.stderr, `lowp: HTML report written to ${opts.html}`);
  }
  if (report.targetKind === 'ggml') {
    if (opts.json) io.stdout.write(JSON.stringify(ggmlCheckReportJson(report, CHECK_BLOCK_VERSION), null, 2) + '\n');
    else io.stdout.write(renderGgmlCheckText(report, opts.top ?? 20));
  } else if (opts.json) io.stdout.write(JSON.stringify(checkReportJson(report), null, 2) + '\n');
  else io.stdout.write(renderCheckText(report, opts.top ?? 20));
  return report.exitCode;
}
