// How the training section streams its parameters: each parameter's weight and both moments read in
// lockstep, chunk by chunk, through lowp/diagnostics' streamed training analysis, giving one part per
// parameter (report, lr-threshold histograms, √v̂ sample). On the calling thread, or on the CLI's pool of
// worker threads (worker-pool.ts; the CLI entry started with workerData.lowpWorker = 'training', like
// parallel.ts's check workers): each worker opens the checkpoint itself and takes the next parameter,
// largest first. A part depends only on the parameter and its position (the seed of its samples), so
// the parts, and the totals made from them in position order, are the same whatever the number of
// threads.
import { availableParallelism } from 'node:os';
import { streamTrainingPart, type TrainingPart, type TrainingReadinessOptions } from '../diagnostics/trainingReadiness.js';
import type { TensorReader } from '../io/reader.js';
import { CliError } from './io.js';
import { runInWorkers, serveWorker, type PoolFallback, type PoolPort } from './worker-pool.js';

/** One parameter to analyse: where its weight (null: moments only) and moments are, and its group's settings. */
export interface TrainingWork {
  /** Position in the analysis (the optimizer order): the seed of the parameter's samples. */
  position: number;
  /** The name reported. */
  name: string;
  /** The weight's tensor name in the weights reader, or null (moments only). */
  weight: string | null;
  /** exp_avg and exp_avg_sq tensor names in the moments reader. */
  m: string;
  v: string;
  elements: number;
  shape: number[];
  wd: number;
  lr: number;
  /** Bytes read for it (progress). */
  bytes: number;
}

/** Zips chunk streams of the same elements: yields views of equal length, whatever each stream's chunk sizes. */
async function* aligned(sources: AsyncGenerator<{ data: Float32Array }, void, undefined>[]): AsyncGenerator<Float32Array[], void, undefined> {
  const cur: (Float32Array | null)[] = sources.map(() => null);
  const off = sources.map(() => 0);
  for (;;) {
    for (let k = 0; k < sources.length; k++) {
      if (cur[k] === null || off[k] === (cur[k] as Float32Array).length) {
        const r = await sources[k].next();
        cur[k] = r.done ? null : r.value.data;
        off[k] = 0;
      }
    }
    if (cur.every((c) => c === null)) return;
    if (cur.some((c) => c === null)) throw new CliError('a weight and its optimizer state have different numbers of elements');
    const len = Math.min(...cur.map((c, k) => (c as Float32Array).length - off[k]));
    if (len === 0) continue;
    yield cur.map((c, k) => (c as Float32Array).subarray(off[k], off[k] + len));
    for (let k = 0; k < sources.length; k++) off[k] += len;
  }
}

/** Streams one parameter (weight and moments in lockstep) into its part. */
export async function streamWork(weights: TensorReader | undefined, moments: TensorReader, w: TrainingWork, options: TrainingReadinessOptions, chunk: number, onBytes?: (n: number) => void): Promise<TrainingPart> {
  const info = { name: w.name, elements: w.elements, shape: w.shape, weightDecay: w.wd, lr: w.lr };
  const stream = streamTrainingPart(options, info, w.position, w.weight === null);
  const opts = { as: 'float32' as const, elements: chunk, reuse: true };
  const sources = [moments.chunks(w.m, opts), moments.chunks(w.v, opts)];
  if (w.weight !== null) {
    if (weights === undefined) throw new CliError(`no weights to read '${w.weight}' from`);
    sources.unshift(weights.chunks(w.weight, opts));
  }
  for await (const parts of aligned(sources)) {
    if (parts.length === 3) stream.push(parts[0], parts[1], parts[2]);
    else stream.push(null, parts[0], parts[1]);
    onBytes?.(parts[0].length * 4 * parts.length);
  }
  return stream.end();
}

/** What a training worker needs: how to open the checkpoint, the analysis options, the chunk size. */
export interface TrainingWorkerJob {
  path: string;
  options: TrainingReadinessOptions;
  chunk: number;
}

/** The message that hands a worker a parameter. */
type ToWorker = { work: TrainingWork };

/** Opens the weights and moments readers of a checkpoint (training.ts's opener, passed in to avoid a cycle). */
export type TrainingOpener = (path: string) => Promise<{ weights: TensorReader | undefined; moments: TensorReader; close(): Promise<void> }>;

/**
 * The body of a training worker thread: opens the checkpoint, streams each parameter it is sent and
 * posts its part back, until told it is done.
 */
export async function trainingWorkerMain(job: TrainingWorkerJob, open: TrainingOpener, port: PoolPort<ToWorker, number, TrainingPart>): Promise<void> {
  await serveWorker(port, {
    open: () => open(job.path),
    key: (m) => m.work.position,
    run: (inputs, m) => streamWork(inputs.weights, inputs.moments, m.work, job.options, job.chunk),
    transfer: (part) => {
      const transfer = [part.sqrtV.buffer as ArrayBuffer];
      if (part.hist) transfer.push(part.hist.foreach.w.buffer as ArrayBuffer, part.hist.fused.w.buffer as ArrayBuffer);
      return transfer;
    },
    close: (inputs) => inputs.close(),
  });
}

/** Threads for the training section: like lowp check's (auto: up to 8 for 64 MiB or more), 1 without a JavaScript worker entry. */
export function trainingThreads(requested: number | 'auto' | undefined, items: number, bytes: number, entry: URL | undefined): number {
  if (entry === undefined || items <= 1 || !/\.[cm]?js$/.test(entry.pathname)) return 1;
  if (typeof requested === 'number') return Math.max(1, Math.min(requested, items));
  if (bytes < 64 * 2 ** 20) return 1;
  return Math.max(1, Math.min(availableParallelism(), 8, items));
}

/** What to do when a worker fails: warn, and stream the parameters no worker finished on this thread. */
export type TrainingFallback = PoolFallback<TrainingWork, TrainingPart>;

/**
 * Streams every parameter on `threads` worker threads, largest first; the parts in position order. On
 * the pool lowp check's workers run on ({@link runInWorkers}): workers start with an empty execArgv and without NODE_OPTIONS;
 * a worker that fails to start, throws or stops stops them all, and with `fallback` the parameters no
 * worker finished are streamed on the calling thread (with a warning); a parameter that cannot be read
 * rejects, as on one thread.
 */
export async function trainingInWorkers(entry: URL, job: TrainingWorkerJob, work: readonly TrainingWork[], threads: number, onDone: (w: TrainingWork) => void, fallback?: TrainingFallback): Promise<TrainingPart[]> {
  return runInWorkers<TrainingWork, number, TrainingPart>(entry, { lowpWorker: 'training', job }, work, threads, {
    size: (w) => w.bytes,
    key: (w) => w.position,
    message: (w) => ({ work: w }) satisfies ToWorker,
    onDone,
    words: { thread: 'training worker thread', input: 'the checkpoint', work: 'the analysis', item: 'parameter' },
    fallback,
  });
}
