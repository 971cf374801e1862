// traceActivations: run an ONNX model once with onnxruntime (graph optimisations off, so every node of
// the graph as written runs and keeps its output) with every float node output exposed, and summarise
// each output against a target format as it arrives, without keeping the activations. onnxruntime
// returns all the outputs of a run at once, and computes every node whatever it is asked to return, so
// memory is bounded by running the model in passes, each returning the outputs of the next stretch of
// the graph whose estimated size fits `maxActivationBytes` (sizes from the session's output metadata,
// refined by the sizes seen): one pass when the activations fit, P passes (P runs) when they do not.
// With `emulate`, the same session also computes a copy of the graph whose every float output is
// rounded to the target (rewrite.ts), and each pass compares the two.
import { describeValue } from '../core/describe.js';
import { checkOptionsObject } from '../core/options.js';
import type { CastOptions } from '../formats/options.js';
import { getFormat } from '../formats/registry.js';
import type { FloatFormat, OverflowPolicy } from '../formats/spec.js';
import { decodeModelBytes, ONNX_DATA_TYPES as T, type OnnxModel } from '../io/onnx/model.js';
import { OnnxError } from '../io/errors.js';
import { requireNodePath } from '../io/node-fs.js';
import { isBlob, readExact, toByteSource } from '../io/source.js';
import { emulationPlan, overflowPolicy, type EmulationMethod } from './emulate.js';
import { TraceError } from './errors.js';
import { traceFindings, type Origin } from './findings.js';
import { graphFacts, isOnnxDomain, vocabularyOf, type GraphFacts, type TracedValue } from './graph.js';
import { inlineIfs, type InlinedIf } from './inline.js';
import { buildFeeds, fileInputMetadata, type TraceInput, type TraceInputInfo } from './inputs.js';
import { withEmulation, withOutputs } from './rewrite.js';
import { loadRuntime, type OrtModuleLike, type OrtSessionLike, type OrtTensorLike, type OrtValueMetadata } from './runtime.js';
import { compareEmulated, summarizeValues, type SqnrDb } from './summarize.js';

/**
 * Why an output overflows the target format:
 *
 * - `'literal'`: the output is computed from constants alone (a Constant, an initializer, what
 *   deterministic nodes make of them), e.g. a -1e9 attention mask: it becomes ±inf in fp16, usually
 *   harmless where a softmax or a min/max reads it;
 * - `'mask'`: an activation that overflows only where an overflowing literal input does (scores plus
 *   a -1e9 mask);
 * - `'propagated'`: an input that is itself an overflowing activation (the residual stream after the
 *   first overflow);
 * - `'activation'`: none of its traced inputs overflows: the activation itself outgrows the format
 *   (a massive residual channel at 7.5e4 in fp16): fatal in that format.
 *
 * @example
 * ```ts
 * const k: OverflowKind = 'activation';
 * ```
 */
export type OverflowKind = 'literal' | 'mask' | 'propagated' | 'activation';

/**
 * One traced output: the node that makes it and its figures against the target format.
 *
 * @example
 * ```ts
 * for (const o of report.outputs) if (o.overflowed > 0) console.log(o.node, o.output, o.overflowKind);
 * ```
 */
export interface TraceOutput {
  /** Position among the graph's node outputs, in graph order (gaps where non-float outputs were skipped). */
  index: number;
  /** The node's name (or `<op_type>#<index>`). */
  node: string;
  /** The node's operator. */
  op: string;
  /** The output's name. */
  output: string;
  /** Element type ('float32', 'float16', 'float64'). */
  dtype: string;
  /** Dimensions in this run. */
  shape: number[];
  /** Elements. */
  elements: number;
  /** Largest finite |x| of the fp32 values. */
  maxAbs: number;
  /** fp32 values that would overflow the target (as lowp/diagnostics' analyzeCast counts them). */
  overflowed: number;
  /** fp32 values that would flush to zero. */
  flushedToZero: number;
  /** fp32 values that would become subnormal. */
  subnormal: number;
  /** NaN values in the fp32 run. */
  nan: number;
  /** ±inf values in the fp32 run. */
  inf: number;
  /** Whether the output is computed from constants alone. */
  literal: boolean;
  /** Why it overflows (null when nothing overflows). */
  overflowKind: OverflowKind | null;
  /** The value whose cast is worst (the overflowing value of a literal, e.g. -1e9), or null. */
  worstValue: number | null;
  /** With `emulate`: SQNR of the emulated output against the fp32 one. */
  emulatedSqnrDb?: SqnrDb;
  /** With `emulate`: NaN values in the emulated output. */
  emulatedNan?: number;
  /** With `emulate`: ±inf values in the emulated output. */
  emulatedInf?: number;
  /** With `emulate`: whether the emulated run becomes non-finite here while every input is finite. */
  emulatedOrigin?: boolean;
}

/**
 * A node output named in a report.
 *
 * @example
 * ```ts
 * report.firstOverflow; // { node: '/Constant_1', output: '/Constant_1_output_0' }
 * ```
 */
export interface TraceRef {
  /** The node. */
  node: string;
  /** The output. */
  output: string;
}

/**
 * The traced model, as a report names it.
 *
 * @example
 * ```ts
 * report.model; // { name: 'model.onnx', producer: 'pytorch 2.13.0', opset: 17, nodes: 99, subgraphNodes: 0, inlinedIfs: [] }
 * ```
 */
export interface TraceModelInfo {
  /** The model's path or name. */
  name: string;
  /** `producer_name` and `producer_version`. */
  producer: string;
  /** Version of the default ONNX opset. */
  opset: number;
  /** Nodes of the main graph. */
  nodes: number;
  /** Nodes inside If/Loop/Scan bodies (not traced), after inlining the If nodes whose branch is known. */
  subgraphNodes: number;
  /** If nodes replaced by the branch their condition (a fed bool input) selects, whose nodes are traced. */
  inlinedIfs: InlinedIf[];
}

/**
 * The runtime a trace ran on.
 *
 * @example
 * ```ts
 * report.runtime; // { name: 'onnxruntime-node', version: '1.30.0', graphOptimizationLevel: 'disabled' }
 * ```
 */
export interface TraceRuntimeInfo {
  /** 'onnxruntime-node', 'onnxruntime-web', or 'given'. */
  name: string;
  /** Its version, when known. */
  version: string | undefined;
  /** Always 'disabled': the graph runs as written, no fusion hides an output or changes a value. */
  graphOptimizationLevel: 'disabled';
}

/**
 * The target format's range, as a report states it.
 *
 * @example
 * ```ts
 * report.format; // { max: 65504, smallestNormal: 6.103515625e-5, smallestSubnormal: 5.960464477539063e-8, mantissaBits: 10 }
 * ```
 */
export interface TraceFormatInfo {
  /** Largest finite value. */
  max: number;
  /** Smallest positive normal value. */
  smallestNormal: number;
  /** Smallest positive subnormal value. */
  smallestSubnormal: number;
  /** Stored mantissa bits. */
  mantissaBits: number;
}

/**
 * Node outputs a trace did not measure.
 *
 * @example
 * ```ts
 * report.skipped; // { nonFloat: 9, nonTensor: 0, subgraphNodes: 0 }
 * ```
 */
export interface TraceSkipped {
  /** Outputs of integer, bool or string type (shapes, indices, masks). */
  nonFloat: number;
  /** Outputs that are not tensors (sequences, maps, optionals). */
  nonTensor: number;
  /** Nodes inside If/Loop/Scan bodies, whose outputs cannot be exposed. */
  subgraphNodes: number;
}

/**
 * The SQNR of one of the model's own outputs in the emulated run.
 *
 * @example
 * ```ts
 * const g: TraceGraphOutput = { output: 'logits', sqnrDb: 'non-finite' };
 * ```
 */
export interface TraceGraphOutput {
  /** The graph output. */
  output: string;
  /** Its emulated SQNR. */
  sqnrDb: SqnrDb;
}

/**
 * How a trace emulated the target format, and where the emulated run breaks.
 *
 * @example
 * ```ts
 * report.emulation?.breaksAt; // { node: '/blocks.0/down/Add', output: '/blocks.0/down/Add_output_0' }
 * ```
 */
export interface TraceEmulation {
  /** 'cast' (Cast pairs) or 'arithmetic' (the rounding subgraph). */
  method: EmulationMethod;
  /** The overflow policy of the emulated casts. */
  overflow: OverflowPolicy;
  /** The first output that is non-finite in the emulated run. */
  firstNonFinite: TraceRef | null;
  /**
   * Where the format breaks the model: the output that the first non-finite model output traces
   * back to (through non-finite inputs, an activation's cause before a literal's), or null when the
   * model's outputs stay finite.
   */
  breaksAt: TraceRef | null;
  /** The graph's own outputs and their emulated SQNR. */
  graphOutputs: TraceGraphOutput[];
}

/**
 * The runs of a trace: passes over stretches of the graph, each returning at most about
 * `maxActivationBytes` of outputs.
 *
 * @example
 * ```ts
 * report.passes; // { count: 1, maxActivationBytes: 536870912, largestBytes: 1475648 }
 * ```
 */
export interface TracePasses {
  /** Runs of the model. */
  count: number;
  /** The memory bound per run. */
  maxActivationBytes: number;
  /** Bytes of the largest run's returned outputs. */
  largestBytes: number;
}

/**
 * Where a trace's time went, in seconds.
 *
 * @example
 * ```ts
 * report.seconds.total; // 0.87
 * ```
 */
export interface TraceSeconds {
  /** Reading and decoding the model, preparing it. */
  load: number;
  /** Creating onnxruntime sessions. */
  session: number;
  /** Running the model (every pass). */
  run: number;
  /** Summarising the outputs. */
  analysis: number;
  /** Everything. */
  total: number;
}

/**
 * What {@link traceActivations} returns (and `lowp trace --json` prints, schema `lowp.trace/1`).
 *
 * @example
 * ```ts
 * const r = await traceActivations('model.onnx', { input_ids: ids }, { to: 'fp16' });
 * console.log(r.firstOverflow, r.findings.join('\n'));
 * ```
 */
export interface TraceReport {
  /** Schema name and version. */
  schema: 'lowp.trace/1';
  /** The model. */
  model: TraceModelInfo;
  /** The runtime. */
  runtime: TraceRuntimeInfo;
  /** The target format. */
  to: string;
  /** The target's range. */
  format: TraceFormatInfo;
  /** What the run was fed. */
  inputs: TraceInputInfo[];
  /** Every traced output in the graph's order. */
  outputs: TraceOutput[];
  /** Node outputs not traced. */
  skipped: TraceSkipped;
  /** The first output (graph order) that overflows the target, or null. */
  firstOverflow: TraceRef | null;
  /** The first output whose overflow is the activation's own (kind 'activation'), or null. */
  firstActivationOverflow: TraceRef | null;
  /** The first output with values that flush to zero, or null. */
  firstFlush: TraceRef | null;
  /** With `emulate`: how the run was emulated and where it breaks; null without. */
  emulation: TraceEmulation | null;
  /** The runs. */
  passes: TracePasses;
  /** Sentences: what overflows or flushes, literals told from activations, where the emulated run breaks. */
  findings: string[];
  /** Where the time went. */
  seconds: TraceSeconds;
}

/**
 * Options of {@link traceActivations}.
 *
 * @example
 * ```ts
 * await traceActivations('model.onnx', {}, { to: 'bf16', emulate: true, maxActivationBytes: 256 * 2 ** 20 });
 * ```
 */
export interface TraceOptions {
  /** Target format (default 'fp16'): fp16, bf16, fp8-e4m3fn, fp8-e5m2, ... (see `lowp formats`). */
  to?: string;
  /** Also run the graph with every float output rounded to `to` and compare (SQNR, where it breaks). */
  emulate?: boolean;
  /** Overflow policy of the emulated casts and the analysis (default: the format's). */
  overflow?: OverflowPolicy;
  /** Bytes of activations one run may return (default 512 MiB; with `emulate` both runs' outputs count). */
  maxActivationBytes?: number;
  /** The onnxruntime module (default: onnxruntime-node in Node, onnxruntime-web elsewhere, imported now). */
  runtime?: OrtModuleLike;
  /** Where the external data of a model given as bytes is: a folder (Node). Default for a path: the model's folder. */
  externalDataFolder?: string;
  /** Extra onnxruntime session options (execution providers, threads); the optimisation level stays 'disabled'. */
  sessionOptions?: Record<string, unknown>;
  /** Seed of random token ids (default 0). */
  seed?: number;
  /** Vocabulary size for random token ids (default: the embedding table's rows). */
  vocab?: number;
  /** Batch size of generated inputs when no input fixes it (default 1). */
  batch?: number;
  /** Tokens of generated inputs when no input fixes it (default 16). */
  sequenceLength?: number;
  /** Called with each output's figures as it is summarised (graph order). */
  onOutput?: (o: TraceOutput) => void;
}

/**
 * Default {@link TraceOptions.maxActivationBytes}: 512 MiB.
 *
 * @example
 * ```ts
 * await traceActivations('model.onnx', {}, { maxActivationBytes: DEFAULT_MAX_ACTIVATION_BYTES / 4 });
 * ```
 */
export const DEFAULT_MAX_ACTIVATION_BYTES = 512 * 2 ** 20;

/** The ONNX data type of each float type onnxruntime names. */
const FLOAT_TYPES: Record<string, number> = { float32: T.FLOAT, float16: T.FLOAT16, float64: T.DOUBLE };
const BYTES: Record<string, number> = { float32: 4, float16: 2, float64: 8 };

/** The model's bytes, its name and the folder of its external data. */
async function loadModel(model: unknown, options: TraceOptions): Promise<{ bytes: Uint8Array; name: string; folder: string | undefined }> {
  if (typeof model === 'string') {
    const { source } = toByteSource(model, model, OnnxError);
    try {
      const bytes = await readExact(source, 0, source.size, OnnxError);
      const folder = options.externalDataFolder ?? requireNodePath((m) => new OnnxError('NO_FS', m, model)).dirname(model);
      return { bytes, name: model, folder };
    } finally {
      await source.close?.();
    }
  }
  if (model instanceof Uint8Array) return { bytes: model, name: 'model', folder: options.externalDataFolder };
  if (model instanceof ArrayBuffer) return { bytes: new Uint8Array(model), name: 'model', folder: options.externalDataFolder };
  if (isBlob(model)) {
    const n = (model as { name?: unknown }).name;
    return { bytes: new Uint8Array(await model.arrayBuffer()), name: typeof n === 'string' ? n : 'model', folder: options.externalDataFolder };
  }
  throw new TypeError(`expected the model as a path, a Uint8Array, an ArrayBuffer or a Blob, got ${describeValue(model)}`);
}

function checkOptions(o: TraceOptions): void {
  checkOptionsObject(o, 'traceActivations', "{ to: 'fp16', emulate: true }");
  for (const k of ['maxActivationBytes', 'vocab', 'batch', 'sequenceLength'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)) throw new RangeError(`expected ${k} to be a positive integer, got ${describeValue(v)}`);
  }
  if (o.seed !== undefined) {
    if (typeof o.seed !== 'number') throw new TypeError(`expected seed to be an integer, got ${describeValue(o.seed)}`);
    if (!Number.isSafeInteger(o.seed)) throw new RangeError(`expected seed to be an integer, got ${describeValue(o.seed)}`);
  }
  if (o.onOutput !== undefined && typeof o.onOutput !== 'function') throw new TypeError(`expected onOutput to be a function, got ${describeValue(o.onOutput)}`);
}

function opsetOf(m: OnnxModel): number {
  const o = m.opsetImports.find((x) => isOnnxDomain(x.domain));
  return o?.version ?? 0;
}

/** Creates a session, turning onnxruntime's failure into a TraceError. */
async function createSession(ort: OrtModuleLike, bytes: Uint8Array, folder: string | undefined, extra: Record<string, unknown> | undefined): Promise<OrtSessionLike> {
  const options: Record<string, unknown> = { logSeverityLevel: 3, ...extra, graphOptimizationLevel: 'disabled' };
  if (folder !== undefined) {
    const given = (extra?.extra ?? {}) as Record<string, Record<string, unknown>>;
    options.extra = { ...given, session: { ...(given.session ?? {}), model_external_initializers_file_folder_path: folder } };
  }
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    throw new TraceError('RUNTIME', `expected onnxruntime to load the model, got: ${(e as Error).message ?? String(e)}`);
  }
}

/** Estimated bytes of each output from the session's metadata (symbolic dimensions from the feeds), or -1. */
function estimates(meta: Map<string, OrtValueMetadata>, inputs: readonly OrtValueMetadata[], feeds: Record<string, OrtTensorLike>): (name: string) => number {
  const symbols = new Map<string, number>();
  for (const m of inputs) {
    const f = feeds[m.name];
    m.shape?.forEach((d, i) => {
      if (typeof d === 'string' && f !== undefined && f.dims[i] !== undefined) symbols.set(d, f.dims[i]);
    });
  }
  return (name) => {
    const m = meta.get(name);
    if (m?.shape === undefined || m.type === undefined) return -1;
    let n = BYTES[m.type] ?? 4;
    for (const d of m.shape) {
      const v = typeof d === 'number' && d >= 0 ? d : symbols.get(String(d));
      if (v === undefined) return -1;
      n *= v;
    }
    return n;
  };
}

/**
 * Runs an ONNX model once with onnxruntime and measures every float node output against a target
 * format: how many of its fp32 values would overflow, flush to zero or become subnormal (lowp's cast
 * analysis), the first node that overflows, and whether each overflow is a literal (a -1e9 mask),
 * inherited from one, or an activation's own (fatal). With `emulate`, the graph also runs with every
 * float output rounded to the target, and each output gets its SQNR against the fp32 run; the report
 * says where the emulated run first becomes non-finite. The graph runs as written (onnxruntime's graph
 * optimisations off). Activations are summarised as they arrive and dropped; memory stays near what
 * the model needs plus `maxActivationBytes`. onnxruntime is an optional peer dependency, imported now.
 *
 * @param model - the model: a path (Node), bytes or a Blob
 * @param inputs - inputs by name (arrays, onnxruntime tensors, or `{ random: shape }` token ids);
 *   missing token ids, attention masks, positions and KV-cache inputs are made as a first decoding step makes them
 * @param options - target format, emulation, memory bound, runtime
 * @example
 * ```ts
 * import { traceActivations } from 'lowp/onnx';
 * import { readNpyFile } from 'lowp/io';
 * const report = await traceActivations('model.onnx', { input_ids: readNpyFile('input_ids.npy') }, { to: 'fp16', emulate: true });
 * console.log(report.firstOverflow);            // { node: '/Constant_1', output: '/Constant_1_output_0' }
 * console.log(report.firstActivationOverflow);  // { node: '/blocks.0/down/Add', ... }
 * console.log(report.findings.join('\n'));
 * ```
 */
export async function traceActivations(model: string | Uint8Array | ArrayBuffer | Blob, inputs: Readonly<Record<string, TraceInput>> = {}, options: TraceOptions = {}): Promise<TraceReport> {
  checkOptions(options);
  if (typeof inputs !== 'object' || inputs === null) throw new TypeError(`expected inputs as an object by input name, got ${describeValue(inputs)}`);
  const t0 = performance.now();
  let format: FloatFormat;
  try {
    format = getFormat(options.to ?? 'fp16');
  } catch (e) {
    throw new TraceError('FORMAT', (e as Error).message);
  }
  const overflow = overflowPolicy(format, options.overflow);
  const { ort, name: runtimeName, version } = await loadRuntime(options.runtime);
  const { name, folder, bytes: file } = await loadModel(model, options);
  const original = decodeModelBytes(file, { name });
  if (!original.hasGraph) throw new OnnxError('MODEL', 'expected a ModelProto with a graph, got none', name);
  // the feeds first (from the model's declared inputs): they decide which branch of an If runs
  const inputMeta = fileInputMetadata(original.graph);
  const { feeds, info } = buildFeeds(ort, inputMeta, inputs, (input) => vocabularyOf(original.graph, input), options);
  const fed = (input: string): boolean | undefined => {
    const f = feeds[input];
    return f !== undefined && f.type === 'bool' && f.size >= 1 ? (f.data as Uint8Array)[0] !== 0 : undefined;
  };
  const inlining = inlineIfs(file, original, fed);
  // the bytes every pass builds its model from (the file's, with the decided Ifs inlined): kept in
  // memory until the trace ends, beside the copy each onnxruntime session holds
  const bytes = inlining.bytes;
  const decoded = inlining.model;
  const facts = graphFacts(decoded.graph);
  const opset = opsetOf(decoded);
  const plan = options.emulate ? emulationPlan(format, opset, options.overflow) : undefined;
  const cast: CastOptions = { overflow };
  const tLoad = performance.now();

  // a session that exposes every node output: onnxruntime infers their types (and shapes)
  const graphOutputs = new Set(decoded.graph.outputs.map((o) => o.name));
  let session = await createSession(ort, withOutputs(bytes, facts.values.map((v) => v.output).filter((o) => !graphOutputs.has(o))), folder, options.sessionOptions);
  let tSession = performance.now() - tLoad;
  const meta = new Map((session.outputMetadata ?? []).map((m) => [m.name, m]));
  if (meta.size === 0) throw new TraceError('RUNTIME', 'expected onnxruntime to give output metadata (onnxruntime 1.21 or later), got none');
  const traced: TracedValue[] = [];
  const floatTypes = new Map<string, number>();
  let nonFloat = 0;
  let nonTensor = 0;
  for (const v of facts.values) {
    const m = meta.get(v.output);
    if (m === undefined || !m.isTensor) {
      nonTensor++;
      continue;
    }
    const t = FLOAT_TYPES[m.type ?? ''];
    if (t === undefined) {
      nonFloat++;
      continue;
    }
    traced.push(v);
    floatTypes.set(v.output, t);
  }
  if (traced.length === 0) throw new TraceError('MODEL', `expected float node outputs to trace, got none (${facts.values.length} node outputs)`);

  const estimate = estimates(meta, inputMeta, feeds);

  if (plan !== undefined) {
    for (const m of inputMeta) {
      const t = FLOAT_TYPES[m.type ?? ''];
      if (t !== undefined) floatTypes.set(m.name, t);
    }
  }

  // Passes over stretches of the graph, in order, each with a session that exposes only that stretch's
  // outputs: onnxruntime keeps every output a model exposes until the run ends, fetched or not, so the
  // memory of a run is bounded by what its model exposes. A stretch takes outputs while their estimated
  // bytes (sizes from the metadata; unknown ones as the largest size known or seen, at least 4 MiB)
  // fit the bound. When everything fits one run without emulation, the probe session itself runs.
  const budget = options.maxActivationBytes ?? DEFAULT_MAX_ACTIVATION_BYTES;
  const factor = plan !== undefined ? 2 : 1;
  let seenMax = 0;
  let knownMax = 0;
  for (const v of traced) knownMax = Math.max(knownMax, estimate(v.output));
  const outputs: TraceOutput[] = [];
  const overflowOf = new Map<string, number>();
  const causeOf = new Map<string, string>();
  let passes = 0;
  let largest = 0;
  let tRun = 0;
  let tAnalysis = 0;
  const nodes = decoded.graph.nodes;
  let probe: OrtSessionLike | undefined = session;
  try {
    for (let start = 0; start < traced.length; ) {
      let end = start;
      let sum = 0;
      while (end < traced.length) {
        const e = estimate(traced[end].output);
        const guess = (e >= 0 ? e : Math.max(seenMax, knownMax, 1 << 22)) * factor;
        if (end > start && sum + guess > budget) break;
        sum += guess;
        end++;
      }
      const stretch = traced.slice(start, end);
      const names = stretch.map((v) => v.output);
      let twin: Map<string, string> | undefined;
      const s0 = performance.now();
      if (plan === undefined && start === 0 && end === traced.length) session = probe as OrtSessionLike;
      else {
        if (probe !== undefined) {
          await probe.release();
          probe = undefined;
        }
        if (plan !== undefined) {
          const emu = withEmulation(bytes, decoded, facts, floatTypes, plan, names);
          twin = emu.twin;
          session = await createSession(ort, emu.bytes, folder, options.sessionOptions);
        } else session = await createSession(ort, withOutputs(bytes, names.filter((o) => !graphOutputs.has(o))), folder, options.sessionOptions);
        tSession += performance.now() - s0;
      }
      const fetches = [...names];
      if (twin !== undefined) for (const v of stretch) fetches.push(twin.get(v.output) as string);
      const r0 = performance.now();
      let result: Record<string, OrtTensorLike>;
      try {
        result = await session.run(feeds, fetches);
      } catch (e) {
        throw new TraceError('RUNTIME', `expected onnxruntime to run the model, got: ${(e as Error).message ?? String(e)}`);
      } finally {
        if (session !== probe) await session.release();
      }
      const a0 = performance.now();
      tRun += a0 - r0;
      passes++;
      let passBytes = 0;
      for (const v of stretch) {
        const t = result[v.output];
        const { worstValue, ...s } = summarizeValues(t, format, cast);
        const size = s.elements * (BYTES[t.type] ?? 4);
        passBytes += size * factor;
        seenMax = Math.max(seenMax, size);
        const node = nodes[v.nodeIndex];
        const literal = facts.literals.has(v.output);
        overflowOf.set(v.output, s.overflowed);
        const o: TraceOutput = {
          index: v.index, node: v.node, op: v.op, output: v.output, ...s,
          literal, overflowKind: s.overflowed > 0 ? overflowKind(node.inputs, literal, facts, overflowOf) : null, worstValue,
        };
        if (twin !== undefined) {
          const e = compareEmulated(t, result[twin.get(v.output) as string]);
          o.emulatedSqnrDb = e.sqnrDb;
          o.emulatedNan = e.nan;
          o.emulatedInf = e.inf;
          // where a non-finite value comes from: itself when every input is finite, else the cause of a
          // non-finite input (an activation's cause before a literal's: a -inf mask is expected)
          let cause: string | undefined;
          if (e.nan + e.inf > 0) {
            let literalCause: string | undefined;
            for (const x of node.inputs) {
              const c = causeOf.get(x);
              if (c === undefined) continue;
              if (!facts.literals.has(c)) {
                cause = c;
                break;
              }
              literalCause ??= c;
            }
            cause ??= literalCause;
            o.emulatedOrigin = cause === undefined;
            causeOf.set(v.output, cause ?? v.output);
          } else o.emulatedOrigin = false;
        }
        // the values are not kept: drop this output (and its twin) before summarising the next
        delete result[v.output];
        if (twin !== undefined) delete result[twin.get(v.output) as string];
        outputs.push(o);
        options.onOutput?.(o);
      }
      largest = Math.max(largest, passBytes);
      tAnalysis += performance.now() - a0;
      start = end;
    }
  } finally {
    if (probe !== undefined) await probe.release();
  }
  const firstRef = (f: (o: TraceOutput) => boolean): TraceRef | null => {
    const o = outputs.find(f);
    return o === undefined ? null : { node: o.node, output: o.output };
  };
  const report: TraceReport = {
    schema: 'lowp.trace/1',
    model: { name, producer: `${decoded.producerName}${decoded.producerVersion ? ' ' + decoded.producerVersion : ''}`, opset, nodes: nodes.length, subgraphNodes: facts.subgraphNodes, inlinedIfs: inlining.inlined },
    runtime: { name: runtimeName, version, graphOptimizationLevel: 'disabled' },
    to: format.name,
    format: { max: format.max, smallestNormal: 2 ** format.minNormalExponent, smallestSubnormal: 2 ** (format.minNormalExponent - format.mantissaBits), mantissaBits: format.mantissaBits },
    inputs: info,
    outputs,
    skipped: { nonFloat, nonTensor, subgraphNodes: facts.subgraphNodes },
    firstOverflow: firstRef((o) => o.overflowed > 0),
    firstActivationOverflow: firstRef((o) => o.overflowKind === 'activation'),
    firstFlush: firstRef((o) => o.flushedToZero > 0),
    emulation: plan === undefined ? null : {
      method: plan.method,
      overflow: plan.overflow,
      firstNonFinite: firstRef((o) => (o.emulatedNan ?? 0) + (o.emulatedInf ?? 0) > 0),
      breaksAt: breakingPoint(outputs, graphOutputs, causeOf),
      graphOutputs: outputs.filter((o) => graphOutputs.has(o.output)).map((o) => ({ output: o.output, sqnrDb: o.emulatedSqnrDb as SqnrDb })),
    },
    passes: { count: passes, maxActivationBytes: budget, largestBytes: largest },
    findings: [],
    seconds: { load: (tLoad - t0) / 1000, session: tSession / 1000, run: tRun / 1000, analysis: tAnalysis / 1000, total: (performance.now() - t0) / 1000 },
  };
  report.findings = traceFindings(report, consumersOf(facts, nodes.map((n) => n.opType)), overflow);
  return report;
}

/** The output the first non-finite graph output traces back to, or null. */
function breakingPoint(outputs: readonly TraceOutput[], graphOutputs: ReadonlySet<string>, causeOf: ReadonlyMap<string, string>): TraceRef | null {
  const bad = outputs.find((o) => graphOutputs.has(o.output) && (o.emulatedNan ?? 0) + (o.emulatedInf ?? 0) > 0);
  if (bad === undefined) return null;
  const cause = causeOf.get(bad.output) ?? bad.output;
  const o = outputs.find((x) => x.output === cause) ?? bad;
  return { node: o.node, output: o.output };
}

/** Why an output of a node with `inputs` overflows, from the overflow counts of the traced inputs. */
function overflowKind(inputs: readonly string[], literal: boolean, facts: GraphFacts, overflowOf: ReadonlyMap<string, number>): OverflowKind {
  if (literal) return 'literal';
  let literalOver = false;
  let activationOver = false;
  for (const x of inputs) {
    if ((overflowOf.get(x) ?? 0) === 0) continue;
    if (facts.literals.has(x)) literalOver = true;
    else activationOver = true;
  }
  if (activationOver) return 'propagated';
  if (literalOver) return 'mask';
  return 'activation';
}

/** For each value, the operators of the nodes that read it. */
function consumersOf(facts: GraphFacts, ops: readonly string[]): Origin {
  return (output) => (facts.consumers.get(output) ?? []).map((i) => ops[i]);
}
