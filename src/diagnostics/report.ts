// The cast report: a versioned, JSON-safe document that gathers the analyses of many tensors (a
// checkpoint), a summary, constant checks and a loss-scale recommendation — what `lowp check --json`
// prints. Schema id 'lowp.cast-report/1'; the TypeScript type is CastReport and the JSON Schema is
// CAST_REPORT_JSON_SCHEMA. Numbers that JSON cannot hold (±Infinity, NaN) are written as the strings
// "Infinity", "-Infinity", "NaN" (JSON.stringify would silently turn them into null).
import { describeValue } from '../core/describe.js';
import type { CastAnalysis, CastCounts, CastOptionsUsed } from './analyzeCast.js';
import type { ConstantCheck } from './constants.js';
import type { LossScaleRecommendation } from './lossScale.js';
import { fmtCount, fmtPercent, plural } from './text.js';
import { VERDICT_ORDER, type CastVerdict } from './verdict.js';

/**
 * The schema identifier of {@link CastReport}; the number after the slash changes on breaking changes.
 *
 * @example
 * ```ts
 * createCastReport({ tensors }).schema === CAST_REPORT_SCHEMA; // true
 * ```
 */
export const CAST_REPORT_SCHEMA = 'lowp.cast-report/1';

/**
 * A number in a JSON report: finite numbers as numbers, the others as strings.
 *
 * @example
 * ```ts
 * fromJsonNumber('-Infinity'); // -Infinity
 * ```
 */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

/**
 * T with every number replaced by {@link JsonNumber} (typed arrays become number arrays).
 *
 * @example
 * ```ts
 * const j: Jsonified<{ a: number }> = { a: 'Infinity' };
 * ```
 */
export type Jsonified<T> = T extends number
  ? JsonNumber
  : T extends Float64Array | Float32Array
    ? JsonNumber[]
    : T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
      ? number[]
    : T extends readonly (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/**
 * One tensor of a report: its name, optional shape, and its analysis.
 *
 * @example
 * ```ts
 * createCastReport({ tensors: [{ name: 'w', shape: [2, 3], analysis }] }).tensors[0].name; // 'w'
 * ```
 */
export interface CastReportTensor extends Jsonified<CastAnalysis> {
  /** Tensor name (e.g. 'grad.head.weight'). */
  name: string;
  /** Tensor shape, when known. */
  shape?: number[];
}

/**
 * Totals over all tensors of a report.
 *
 * @example
 * ```ts
 * createCastReport({ tensors }).summary.verdict; // the worst verdict
 * ```
 */
export interface CastReportSummary {
  /** Number of tensors. */
  tensors: number;
  /** Summed counts. */
  counts: CastCounts;
  /** How many tensors got each verdict. */
  verdicts: Record<CastVerdict, number>;
  /** The worst verdict of any tensor. */
  verdict: CastVerdict;
  /** Names of the tensors with the worst verdict (at most 20). */
  worstTensors: string[];
  /** Sentences. */
  reasons: string[];
}

/**
 * The program that wrote a report.
 *
 * @example
 * ```ts
 * createCastReport({ tensors, version: '0.1.0' }).generator; // { name: 'lowp', version: '0.1.0' }
 * ```
 */
export interface ReportGenerator {
  /** Always 'lowp'. */
  name: 'lowp';
  /** lowp's version. */
  version: string;
}

/**
 * The target of a report.
 *
 * @example
 * ```ts
 * createCastReport({ tensors }).target.format; // 'fp16'
 * ```
 */
export interface ReportTarget {
  /** Target format name. */
  format: string;
  /** Cast options. */
  options: CastOptionsUsed;
}

/**
 * The versioned JSON report (schema {@link CAST_REPORT_SCHEMA}).
 *
 * @example
 * ```ts
 * const json = JSON.stringify(createCastReport({ tensors, constants: checkConstants(WELL_KNOWN_CONSTANTS, 'fp16') }));
 * ```
 */
export interface CastReport {
  /** Always 'lowp.cast-report/1'. */
  schema: typeof CAST_REPORT_SCHEMA;
  /** Who wrote it. */
  generator: ReportGenerator;
  /** ISO 8601 creation time (omitted when not given, for reproducible output). */
  createdAt?: string;
  /** What the report analyses (file name(s)), free text. */
  input?: string;
  /** Target format and cast options. */
  target: ReportTarget;
  /** Totals. */
  summary: CastReportSummary;
  /** Per tensor. */
  tensors: CastReportTensor[];
  /** Constant checks, when made. */
  constants?: Jsonified<ConstantCheck>[];
  /** Loss-scale recommendation, when made. */
  lossScale?: Jsonified<LossScaleRecommendation>;
}

/**
 * Converts a value into its JSON-safe form: ±Infinity and NaN become strings, typed arrays (float and
 * integer) become arrays, objects are copied (never modified). A circular reference is a `TypeError`
 * (as in `JSON.stringify`).
 *
 * @example
 * ```ts
 * toJsonSafe({ a: Infinity, b: [1, NaN] }); // { a: 'Infinity', b: [1, 'NaN'] }
 * toJsonSafe({ cols: new Int32Array([3, 7]) }); // { cols: [3, 7] }
 * ```
 */
export function toJsonSafe<T>(value: T): Jsonified<T> {
  const open = new Set<object>(); // objects being converted: meeting one again is a cycle
  const conv = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>, conv);
    if (open.has(v)) throw new TypeError(`toJsonSafe: expected a tree of values, got a circular reference to ${describeValue(v)}`);
    open.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(conv);
    else {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v)) o[k] = conv((v as Record<string, unknown>)[k]);
      out = o;
    }
    open.delete(v);
    return out;
  };
  return conv(value) as Jsonified<T>;
}

/**
 * Reads a {@link JsonNumber} back into a number.
 *
 * @example
 * ```ts
 * fromJsonNumber('Infinity'); // Infinity
 * fromJsonNumber(2.5);        // 2.5
 * ```
 */
export function fromJsonNumber(v: JsonNumber): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  throw new TypeError(`fromJsonNumber: expected a number or 'Infinity', '-Infinity', 'NaN', got ${describeValue(v)}`);
}

// every count (the type makes sure none is missing), in the order of the report
const ZERO_COUNTS: Readonly<CastCounts> = Object.freeze({ total: 0, zeros: 0, nonzeroFinite: 0, exact: 0, rounded: 0, flushedToZero: 0, becameSubnormal: 0, overflowed: 0, invalid: 0, nanInputs: 0, infInputs: 0 });
const COUNT_KEYS = Object.keys(ZERO_COUNTS) as (keyof CastCounts)[];

function checkTensorInputs(items: unknown, fn: string): asserts items is readonly CastReportTensorInput[] {
  if (!Array.isArray(items)) throw new TypeError(`${fn}: expected a non-empty list of { name, analysis }, got ${describeValue(items)}`);
  if (items.length === 0) throw new RangeError(`${fn}: expected a non-empty list of { name, analysis }, got ${describeValue(items)}`);
  for (const t of items as unknown[]) {
    const a = (t as CastReportTensorInput | null)?.analysis;
    if (t === null || typeof t !== 'object' || typeof (t as CastReportTensorInput).name !== 'string' || a === null || typeof a !== 'object' || !a.counts || !VERDICT_ORDER.includes(a.verdict)) {
      throw new TypeError(`${fn}: each tensor must be { name: string, analysis: CastAnalysis }, got ${describeValue(t)}`);
    }
  }
}

/**
 * Sums the analyses of several tensors: totals, verdict counts, the worst verdict and which tensors
 * have it.
 *
 * @example
 * ```ts
 * summarizeAnalyses([{ name: 'w', analysis: analyzeCast(w, 'fp16') }]).verdict;
 * ```
 */
export function summarizeAnalyses(items: readonly CastReportTensorInput[]): CastReportSummary {
  checkTensorInputs(items, 'summarizeAnalyses');
  const counts: CastCounts = { ...ZERO_COUNTS };
  const verdicts = Object.fromEntries(VERDICT_ORDER.map((v) => [v, 0])) as Record<CastVerdict, number>;
  let worst = 0;
  for (const { analysis: a } of items) {
    for (const k of COUNT_KEYS) counts[k] += a.counts[k];
    verdicts[a.verdict]++;
    worst = Math.max(worst, VERDICT_ORDER.indexOf(a.verdict));
  }
  const verdict = VERDICT_ORDER[worst];
  const worstTensors = items.filter((t) => t.analysis.verdict === verdict).slice(0, 20).map((t) => t.name);
  const format = items[0].analysis.format;
  const reasons: string[] = [];
  const nz = counts.nonzeroFinite;
  reasons.push(`${plural(items.length, 'tensor')}, ${fmtCount(counts.total)} values: ${verdicts.safe} safe, ${verdicts.lossy} lossy, ${verdicts['underflow-risk']} underflow-risk, ${verdicts['overflow-risk']} overflow-risk in ${format}.`);
  if (counts.overflowed > 0) reasons.push(`${fmtCount(counts.overflowed)} values (${fmtPercent(counts.overflowed / Math.max(1, nz))} of nonzero) overflow.`);
  if (counts.flushedToZero > 0) reasons.push(`${fmtCount(counts.flushedToZero)} nonzero values (${fmtPercent(counts.flushedToZero / Math.max(1, nz))}) flush to zero.`);
  if (counts.becameSubnormal > 0) reasons.push(`${fmtCount(counts.becameSubnormal)} values (${fmtPercent(counts.becameSubnormal / Math.max(1, nz))}) become subnormal.`);
  return { tensors: items.length, counts, verdicts, verdict, worstTensors, reasons };
}

/**
 * One tensor given to {@link createCastReport}.
 *
 * @example
 * ```ts
 * const t: CastReportTensorInput = { name: 'grad.w', shape: [64, 64], analysis: analyzeCast(g, 'fp16') };
 * ```
 */
export interface CastReportTensorInput {
  /** Tensor name. */
  name: string;
  /** Tensor shape, when known. */
  shape?: readonly number[];
  /** Its analysis. */
  analysis: CastAnalysis;
}

/**
 * Input of {@link createCastReport}.
 *
 * @example
 * ```ts
 * createCastReport({ tensors, input: 'model.safetensors', createdAt: new Date(), version: '0.1.0' });
 * ```
 */
export interface CastReportInput {
  /** The analysed tensors (all with the same target format). */
  tensors: readonly CastReportTensorInput[];
  /** Constant checks to include. */
  constants?: readonly ConstantCheck[];
  /** Loss-scale recommendation to include. */
  lossScale?: LossScaleRecommendation;
  /** What was analysed (file names), free text. */
  input?: string;
  /** Creation time to record (e.g. `new Date()`); omitted by default so that output is reproducible. */
  createdAt?: Date;
  /** lowp's version to record; default '0.0.0-unknown'. */
  version?: string;
}

/**
 * Builds the versioned, JSON-safe report of a set of analyses (schema {@link CAST_REPORT_SCHEMA});
 * `JSON.stringify(report)` loses nothing.
 *
 * @example
 * ```ts
 * const report = createCastReport({ tensors: [{ name: 'grad.w', analysis: analyzeCast(g, 'fp16') }] });
 * report.schema;                 // 'lowp.cast-report/1'
 * JSON.stringify(report, null, 2);
 * ```
 */
export function createCastReport(input: CastReportInput): CastReport {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.tensors) || input.tensors.length === 0) {
    throw new TypeError(`createCastReport: expected { tensors: [{ name, analysis }, ...] } with at least one tensor, got ${describeValue(input)}`);
  }
  checkTensorInputs(input.tensors, 'createCastReport');
  const first = input.tensors[0].analysis;
  for (const t of input.tensors) {
    if (t.analysis.format !== first.format) throw new RangeError(`createCastReport: tensor '${t.name}' targets ${t.analysis.format}, the first targets ${first.format}; one report holds one target format`);
  }
  const report: CastReport = {
    schema: CAST_REPORT_SCHEMA,
    generator: { name: 'lowp', version: input.version ?? '0.0.0-unknown' },
    target: { format: first.format, options: { ...first.options } },
    summary: summarizeAnalyses(input.tensors),
    tensors: input.tensors.map((t) => {
      const out = { name: t.name, ...toJsonSafe(t.analysis) } as CastReportTensor;
      if (t.shape !== undefined) out.shape = [...t.shape];
      return out;
    }),
  };
  if (input.createdAt !== undefined) report.createdAt = input.createdAt.toISOString();
  if (input.input !== undefined) report.input = input.input;
  if (input.constants !== undefined) report.constants = toJsonSafe(input.constants.slice());
  if (input.lossScale !== undefined) report.lossScale = toJsonSafe(input.lossScale);
  return report;
}

const jsonNumber = { oneOf: [{ type: 'number' }, { enum: ['Infinity', '-Infinity', 'NaN'] }] };
const count = { type: 'integer', minimum: 0 };
const countsSchema = { type: 'object', required: [...COUNT_KEYS], properties: Object.fromEntries(COUNT_KEYS.map((k) => [k, count])) };
const verdictSchema = { enum: [...VERDICT_ORDER] };

/**
 * A JSON Schema node: keywords to values (see https://json-schema.org).
 *
 * @example
 * ```ts
 * const node: JsonSchemaNode = { type: 'integer', minimum: 0 };
 * ```
 */
export interface JsonSchemaNode {
  /** Any JSON Schema keyword. */
  readonly [keyword: string]: unknown;
}

/**
 * The shape of {@link CAST_REPORT_JSON_SCHEMA}.
 *
 * @example
 * ```ts
 * CAST_REPORT_JSON_SCHEMA.required; // ['schema', 'generator', 'target', 'summary', 'tensors']
 * ```
 */
export interface CastReportJsonSchema extends JsonSchemaNode {
  /** The JSON Schema dialect. */
  readonly $schema: string;
  /** The schema's identifier. */
  readonly $id: string;
  /** Properties every report has. */
  readonly required: readonly string[];
  /** The schema of each top-level property. */
  readonly properties: { readonly [name: string]: JsonSchemaNode };
}

/**
 * The JSON Schema (draft 2020-12) of {@link CastReport}, for validating `lowp check --json` output in
 * other tools.
 *
 * @example
 * ```ts
 * CAST_REPORT_JSON_SCHEMA.$id; // 'https://lowp.dev/schema/lowp.cast-report/1.json'
 * ```
 */
export const CAST_REPORT_JSON_SCHEMA: CastReportJsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://lowp.dev/schema/lowp.cast-report/1.json',
  title: 'lowp cast report',
  description: 'What casting tensors to a low-precision format does to them (lowp analyzeCast), per tensor and in total. Non-finite numbers are the strings "Infinity", "-Infinity", "NaN".',
  type: 'object',
  required: ['schema', 'generator', 'target', 'summary', 'tensors'],
  $defs: { jsonNumber, counts: countsSchema, verdict: verdictSchema },
  properties: {
    schema: { const: CAST_REPORT_SCHEMA },
    generator: { type: 'object', required: ['name', 'version'], properties: { name: { const: 'lowp' }, version: { type: 'string' } } },
    createdAt: { type: 'string', format: 'date-time' },
    input: { type: 'string' },
    target: {
      type: 'object', required: ['format', 'options'],
      properties: {
        format: { type: 'string' },
        options: { type: 'object', required: ['rounding', 'overflow', 'flushSubnormals'], properties: { rounding: { enum: ['nearest-even', 'toward-zero', 'stochastic'] }, overflow: { enum: ['inf', 'nan', 'saturate'] }, flushSubnormals: { type: 'boolean' } } },
      },
    },
    summary: {
      type: 'object', required: ['tensors', 'counts', 'verdicts', 'verdict', 'worstTensors', 'reasons'],
      properties: {
        tensors: count,
        counts: { $ref: '#/$defs/counts' },
        verdicts: { type: 'object', properties: { safe: count, lossy: count, 'underflow-risk': count, 'overflow-risk': count } },
        verdict: { $ref: '#/$defs/verdict' },
        worstTensors: { type: 'array', items: { type: 'string' } },
        reasons: { type: 'array', items: { type: 'string' } },
      },
    },
    tensors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'format', 'source', 'options', 'counts', 'range', 'error', 'histogram', 'worst', 'verdict', 'reasons', 'thresholds'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: count },
          format: { type: 'string' },
          source: { type: 'string' },
          options: { type: 'object' },
          counts: { $ref: '#/$defs/counts' },
          range: { type: 'object', required: ['maxAbs', 'minAbsNonzero', 'headroomBits', 'footroomBits'], properties: { maxAbs: { $ref: '#/$defs/jsonNumber' }, minAbsNonzero: { $ref: '#/$defs/jsonNumber' }, headroomBits: { $ref: '#/$defs/jsonNumber' }, footroomBits: { $ref: '#/$defs/jsonNumber' } } },
          error: {
            type: 'object', required: ['measured', 'maxAbsError', 'meanAbsError', 'maxRelError', 'meanRelError', 'maxUlpError', 'sqnrDb'],
            properties: { measured: count, maxAbsError: { $ref: '#/$defs/jsonNumber' }, meanAbsError: { $ref: '#/$defs/jsonNumber' }, maxRelError: { $ref: '#/$defs/jsonNumber' }, meanRelError: { $ref: '#/$defs/jsonNumber' }, maxUlpError: { $ref: '#/$defs/jsonNumber' }, sqnrDb: { $ref: '#/$defs/jsonNumber' } },
          },
          histogram: {
            type: 'object', required: ['bins', 'zeros', 'nan', 'inf', 'total', 'bands'],
            properties: {
              bins: { type: 'array', items: { type: 'object', required: ['exponent', 'count', 'band'], properties: { exponent: { type: 'integer' }, count, band: { enum: ['underflow', 'subnormal', 'normal', 'overflow'] } } } },
              zeros: count, nan: count, inf: count, total: count,
              bands: { type: 'object', required: ['underflowBelow', 'normalFrom', 'maxNormalExponent', 'flushThreshold', 'smallestNormal', 'max'] },
            },
          },
          worst: { type: 'array', items: { type: 'object', required: ['index', 'value', 'result', 'absError', 'relError'], properties: { index: count, value: { $ref: '#/$defs/jsonNumber' }, result: { $ref: '#/$defs/jsonNumber' }, absError: { $ref: '#/$defs/jsonNumber' }, relError: { $ref: '#/$defs/jsonNumber' } } } },
          verdict: { $ref: '#/$defs/verdict' },
          reasons: { type: 'array', items: { type: 'string' } },
          thresholds: { type: 'object' },
        },
      },
    },
    constants: {
      type: 'array',
      items: { type: 'object', required: ['name', 'value', 'castsTo', 'kind', 'relError', 'suggestion', 'role'], properties: { name: { type: 'string' }, value: { $ref: '#/$defs/jsonNumber' }, castsTo: { $ref: '#/$defs/jsonNumber' }, kind: { enum: ['exact', 'rounded', 'flush-to-zero', 'subnormal', 'overflow', 'absorbed'] }, relError: { $ref: '#/$defs/jsonNumber' }, suggestion: { type: 'string' }, role: { type: 'string' }, source: { type: 'string' } } },
    },
    lossScale: { type: 'object', required: ['format', 'scale', 'log2Scale', 'before', 'after', 'reason'] },
  },
});
