// Parallel `lowp check`: the tensors of a checkpoint are analysed on the CLI's pool of worker threads
// (worker-pool.ts), one whole tensor per task (most values first, each worker takes the next tensor when it
// is done), each worker streaming its tensor chunk by chunk like the single-threaded path; the results
// are the same objects in the same order, whatever the number of threads. The worker code is the CLI
// entry itself (src/cli/main.ts, built to dist/cli/main.js), started with `workerData.lowpWorker` set. A
// worker either casts (lowp/diagnostics' cast analyzer) or, for `--to q4_k` and the other ggml types,
// quantizes each tensor with lowp/quant's ggml analyzer.
import type { CastAnalysis } from '../diagnostics/analyzeCast.js';
import { elementCodec } from '../io/elements.js';
import { openSafetensors } from '../io/safetensors/reader.js';
import type { TensorInfo, TensorReader } from '../io/reader.js';
import { openCheckpoint } from '../io/open.js';
import { createCliCastAnalyzer } from './analysis.js';
import { createGgmlAnalyzer, type GgmlAnalysis } from '../quant/ggml/analyze.js';
import { ggmlRowProblem } from '../quant/ggml/rows.js';
import type { GgmlStorageType } from '../quant/ggml/scales.js';
import { GGML_TYPES } from '../quant/ggml/types.js';
import { CliError } from './io.js';
import { runInWorkers, serveWorker, type PoolPort } from './worker-pool.js';

/** What every worker needs to open the input and analyse tensors. */
export interface CheckWorkerJob {
  /** A path (file, folder, index), or the sample's bytes in shared memory. */
  input: { kind: 'path'; path: string; label: string } | { kind: 'bytes'; bytes: SharedArrayBuffer; label: string };
  /** Target format (a cast), or, with `ggml`, the ggml type's name. */
  to: string;
  /** Set when the target is a ggml type: the worker quantizes instead of casting. */
  ggml?: GgmlStorageType;
  /** Elements per chunk. */
  chunk: number;
}

/** What one tensor's analysis gives: a cast analysis, or a ggml result. */
export type TensorResult = CastAnalysis | GgmlTensorResult;

/** The message that hands a worker a tensor. */
type ToWorker = { name: string };

/**
 * Streams one tensor through a cast analyzer (the single-threaded path, also what each worker runs).
 *
 * @param reader - the opened checkpoint
 * @param t - the tensor
 * @param to - target format
 * @param chunk - elements per chunk
 * @param onBytes - called with the bytes of each chunk once analysed (progress)
 * @returns the diagnostics' analysis of the whole tensor
 */
export async function analyzeTensor(reader: TensorReader, t: TensorInfo, to: string, chunk: number, onBytes?: (n: number) => void): Promise<CastAnalysis> {
  const analyzer = createCliCastAnalyzer(to);
  const bytesPerElement = t.elements > 0 ? t.byteLength / t.elements : 0;
  // reuse: chunks are views into two recycled buffers; the analyzer keeps no reference to them
  if (RAW_GGML.has(t.dtype)) {
    // ggml blocks with a fused kernel: the blocks themselves, the same result as their dequantized values
    for await (const c of reader.chunks(t.name, { elements: chunk, raw: true, reuse: true })) {
      analyzer.addGgml(c.data, t.dtype);
      onBytes?.(c.data.length);
    }
    return analyzer.finish();
  }
  for await (const c of reader.chunks(t.name, { elements: chunk, as: elementCodec(t.dtype).exact, reuse: true })) {
    analyzer.add(c.data);
    onBytes?.(c.data.length * bytesPerElement);
  }
  return analyzer.finish();
}

/**
 * What storing one tensor in a ggml type does: the analysis, or why the type cannot store it (rows
 * that are not whole blocks; never padded).
 */
export interface GgmlTensorResult {
  /** 'quantized': analysed; 'unsupported': the type cannot store the tensor (see `reason`). */
  status: 'quantized' | 'unsupported';
  /** Values per row: the innermost dimension (ggml's ne[0]); 1 for a scalar. */
  rowLength: number;
  /** Why the type cannot store the tensor, or null. */
  reason: string | null;
  /** lowp/quant's analysis of the tensor (null when unsupported). */
  analysis: GgmlAnalysis | null;
}

/** The row length ggml quantizes a tensor of this shape with: its innermost dimension (1 for a scalar). */
export function ggmlRowLength(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1];
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Streams one tensor through lowp/quant's ggml analyzer (the single-threaded path, also what each worker
 * runs). Chunks hold whole rows when a row fits in `chunk` elements, else whole blocks (ggml quantizes
 * every block independently, so both give the same analysis), in whole storage units of the source.
 *
 * @param reader - the opened checkpoint
 * @param t - the tensor
 * @param type - the ggml type
 * @param chunk - elements per chunk (upper bound, unless one block is larger)
 * @param onBytes - called with the bytes of each chunk once analysed (progress)
 * @returns the analysis, or why the type cannot store the tensor
 */
export async function analyzeTensorGgml(reader: TensorReader, t: TensorInfo, type: GgmlStorageType, chunk: number, onBytes?: (n: number) => void): Promise<GgmlTensorResult> {
  const rowLength = ggmlRowLength(t.shape);
  const reason = ggmlRowProblem(type, rowLength);
  if (reason !== null) {
    onBytes?.(t.byteLength);
    return { status: 'unsupported', rowLength, reason, analysis: null };
  }
  const codec = elementCodec(t.dtype);
  const block = GGML_TYPES[type].blockSize;
  const unit = (block / gcd(block, codec.granule)) * codec.granule; // whole target blocks and whole source units
  const elements = rowLength > 0 && rowLength <= chunk && rowLength % unit === 0 ? Math.floor(chunk / rowLength) * rowLength : Math.max(unit, Math.floor(chunk / unit) * unit);
  const analyzer = createGgmlAnalyzer(type, { rowLength: rowLength === 0 ? undefined : rowLength });
  const bytesPerElement = t.elements > 0 ? t.byteLength / t.elements : 0;
  for await (const c of reader.chunks(t.name, { elements, as: 'float32', reuse: true })) {
    analyzer.add(c.data);
    onBytes?.(c.data.length * bytesPerElement);
  }
  return { status: 'quantized', rowLength, reason: null, analysis: analyzer.finish() };
}

/** Tensor dtypes (ggml block types of GGUF files) streamed as raw blocks into CastAnalyzer.addGgml. */
const RAW_GGML: ReadonlySet<string> = new Set(['Q8_0', 'Q4_K']);

async function openJobInput(job: CheckWorkerJob): Promise<TensorReader> {
  if (job.input.kind === 'bytes') return openSafetensors(new Uint8Array(job.input.bytes), { name: job.input.label });
  return openCheckpoint(job.input.path, { name: job.input.label });
}

/**
 * The body of a worker thread: opens the input, then analyses each tensor it is sent and posts the
 * result back, until told it is done.
 *
 * @param job - the job from `workerData`
 * @param port - the worker's `parentPort`
 */
export async function checkWorkerMain(job: CheckWorkerJob, port: PoolPort<ToWorker, string, TensorResult>): Promise<void> {
  await serveWorker(port, {
    open: async () => {
      const reader = await openJobInput(job);
      return { reader, infos: new Map(reader.tensors.map((t) => [t.name, t])) };
    },
    key: (m) => m.name,
    run: async ({ reader, infos }, m): Promise<TensorResult> => {
      const t = infos.get(m.name);
      if (t === undefined) throw new CliError(`worker: no tensor '${m.name}'`);
      return job.ggml !== undefined ? analyzeTensorGgml(reader, t, job.ggml, job.chunk) : analyzeTensor(reader, t, job.to, job.chunk);
    },
    close: ({ reader }) => reader.close(),
  });
}

/** What {@link analyzeInWorkers} does when a worker thread fails (fails to start, throws, or stops). */
export interface WorkerFallback<T extends TensorResult = CastAnalysis> {
  /** Analyses a tensor on the calling thread (the tensors that no worker finished). */
  analyze(t: TensorInfo): Promise<T>;
  /** Told once, with one line saying which worker failed and how. */
  warn(message: string): void;
}

/**
 * Analyses `tensors` on `threads` worker threads started from `entry` (the CLI's main module), the
 * tensor with the most values first, with {@link runInWorkers}. Resolves with one analysis per tensor, in the order of `tensors`.
 *
 * Workers start with an empty execArgv and without NODE_OPTIONS, so the flags the CLI was started with
 * (--require/--import hooks, --input-type, --experimental-*) do not reach them. A worker that fails to
 * start, throws or stops before the check is done stops all of them: with `fallback`, the tensors no
 * worker finished are then analysed on the calling thread (and `fallback.warn` is told why); without
 * it, the promise rejects with a CliError naming the cause. A tensor that cannot be read rejects either
 * way, as it does on one thread.
 *
 * @param entry - URL of the module that runs {@link checkWorkerMain} when started as a worker
 * @param job - how to open the input, target, chunk size
 * @param tensors - the tensors to analyse
 * @param threads - number of workers (at least 1)
 * @param onTensorDone - called with each finished tensor's byte length (progress)
 * @param fallback - what to do when a worker fails (default: reject)
 * @returns the analyses, in the order of `tensors`
 */
export async function analyzeInWorkers<T extends TensorResult = CastAnalysis>(
  entry: URL,
  job: CheckWorkerJob,
  tensors: readonly TensorInfo[],
  threads: number,
  onTensorDone: (t: TensorInfo) => void,
  fallback?: WorkerFallback<T>,
): Promise<T[]> {
  return runInWorkers<TensorInfo, string, T>(entry, { lowpWorker: 'check', job }, tensors, threads, {
    size: (t) => t.elements, // the analysis costs per value: a Q4_K tensor holds 1.9× the values of a Q8_0 one of its size
    key: (t) => t.name,
    message: (t) => ({ name: t.name }) satisfies ToWorker,
    onDone: onTensorDone,
    words: { thread: 'worker thread', input: 'the input', work: 'the check', item: 'tensor' },
    fallback: fallback && { warn: (message) => fallback.warn(message), run: (t) => fallback.analyze(t) },
  });
}
