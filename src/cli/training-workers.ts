// How the training section streams its parameters: each parameter's weight and both moments read in
// lockstep, chunk by chunk, through lowp/diagnostics' streamed training analysis, giving one part per
// parameter (report, lr-threshold histograms, √v̂ sample). On the calling thread, or on a pool of worker
// threads (the CLI entry started with workerData.lowpWorker = 'training', like parallel.ts's check
// workers): each worker opens the checkpoint itself and takes the next parameter, largest first. A part
// depends only on the parameter and its position (the seed of its samples), so the parts, and the totals
// made from them in position order, are the same whatever the number of threads.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { streamTrainingPart, type TrainingPart, type TrainingReadinessOptions } from '../diagnostics/trainingReadiness.js';
import type { TensorReader } from '../io/reader.js';
import { cleanWorkerOptions } from '../core/workers.js';
import { CliError } from './io.js';

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

type ToWorker = { work: TrainingWork } | { done: true };
type FromWorker = { position: number; part: TrainingPart } | { position: number; error: string } | { ready: true } | { fatal: string };

/** Opens the weights and moments readers of a checkpoint (training.ts's opener, passed in to avoid a cycle). */
export type TrainingOpener = (path: string) => Promise<{ weights: TensorReader | undefined; moments: TensorReader; close(): Promise<void> }>;

/**
 * The body of a training worker thread: opens the checkpoint, streams each parameter it is sent and
 * posts its part back, until told it is done.
 */
export async function trainingWorkerMain(job: TrainingWorkerJob, open: TrainingOpener, port: { postMessage(m: FromWorker, transfer?: ArrayBuffer[]): void; on(e: 'message', f: (m: ToWorker) => void): void; close(): void }): Promise<void> {
  let inputs: Awaited<ReturnType<TrainingOpener>>;
  try {
    inputs = await open(job.path);
  } catch (e) {
    port.postMessage({ fatal: (e as Error).message });
    port.close();
    return;
  }
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(async () => {
      if ('done' in m) {
        await inputs.close();
        port.close();
        return;
      }
      try {
        const part = await streamWork(inputs.weights, inputs.moments, m.work, job.options, job.chunk);
        const transfer = [part.sqrtV.buffer as ArrayBuffer];
        if (part.hist) transfer.push(part.hist.foreach.w.buffer as ArrayBuffer, part.hist.fused.w.buffer as ArrayBuffer);
        port.postMessage({ position: m.work.position, part }, transfer);
      } catch (e) {
        port.postMessage({ position: m.work.position, error: (e as Error).message });
      }
    });
  });
  port.postMessage({ ready: true });
}

/** Threads for the training section: like lowp check's (auto: up to 8 for 64 MiB or more), 1 without a JavaScript worker entry. */
export function trainingThreads(requested: number | 'auto' | undefined, items: number, bytes: number, entry: URL | undefined): number {
  if (entry === undefined || items <= 1 || !/\.[cm]?js$/.test(entry.pathname)) return 1;
  if (typeof requested === 'number') return Math.max(1, Math.min(requested, items));
  if (bytes < 64 * 2 ** 20) return 1;
  return Math.max(1, Math.min(availableParallelism(), 8, items));
}

/** What to do when a worker fails: warn, and stream the parameters no worker finished on this thread. */
export interface TrainingFallback {
  warn(message: string): void;
  run(w: TrainingWork): Promise<TrainingPart>;
}

function oneLineError(e: unknown): string {
  const err = e as { code?: string; message?: string } | null;
  const text = err && typeof err === 'object' && typeof err.message === 'string' ? err.message : String(e);
  return (err?.code ? `${err.code}: ` : '') + text.split('\n')[0];
}

/**
 * Streams every parameter on `threads` worker threads, largest first; the parts in position order. As
 * lowp check's cast workers (parallel.ts): workers start with an empty execArgv and without NODE_OPTIONS;
 * a worker that fails to start, throws or stops stops them all, and with `fallback` the parameters no
 * worker finished are streamed on the calling thread (with a warning); a parameter that cannot be read
 * rejects, as on one thread.
 */
export async function trainingInWorkers(entry: URL, job: TrainingWorkerJob, work: readonly TrainingWork[], threads: number, onDone: (w: TrainingWork) => void, fallback?: TrainingFallback): Promise<TrainingPart[]> {
  const order = [...work].sort((a, b) => b.bytes - a.bytes);
  const parts = new Map<number, TrainingPart>();
  const byPosition = new Map(work.map((w) => [w.position, w]));
  const workers: Worker[] = [];
  let lost: string | null = null;
  try {
    lost = await new Promise<string | null>((resolve, reject) => {
      let next = 0;
      let settled = false;
      const finish = (why: string | null): void => {
        if (!settled) (settled = true), resolve(why);
      };
      const fail = (e: Error): void => {
        if (!settled) (settled = true), reject(e);
      };
      const retired = new Set<Worker>();
      const give = (w: Worker): void => {
        if (settled) return;
        if (next < order.length) w.postMessage({ work: order[next++] } satisfies ToWorker);
        else {
          retired.add(w);
          w.postMessage({ done: true } satisfies ToWorker);
        }
      };
      for (let i = 0; i < Math.max(1, Math.min(threads, order.length)) && !settled; i++) {
        const id = i + 1;
        let w: Worker;
        try {
          w = new Worker(entry, { ...cleanWorkerOptions(), workerData: { lowpWorker: 'training', job } });
        } catch (e) {
          finish(`training worker thread ${id} could not start: ${oneLineError(e)}`);
          break;
        }
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          if ('ready' in m) return give(w);
          if ('fatal' in m) return finish(`training worker thread ${id} could not open the checkpoint: ${m.fatal}`);
          if ('error' in m) return fail(new CliError(m.error));
          parts.set(m.position, m.part);
          onDone(byPosition.get(m.position) as TrainingWork);
          if (parts.size === order.length) finish(null);
          else give(w);
        });
        w.on('error', (e) => finish(`training worker thread ${id} failed: ${oneLineError(e)}`));
        w.on('exit', (code) => {
          if (!retired.has(w)) finish(`training worker thread ${id} stopped (exit code ${code}) before the analysis was done`);
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (lost !== null) {
    if (!fallback) throw new CliError(lost);
    const left = work.filter((w) => !parts.has(w.position));
    fallback.warn(`${lost}; the remaining ${left.length} parameter${left.length === 1 ? '' : 's'} ${left.length === 1 ? 'was' : 'were'} analysed on the main thread`);
    for (const w of left) {
      parts.set(w.position, await fallback.run(w));
      onDone(w);
    }
  }
  return work.map((w) => parts.get(w.position) as TrainingPart);
}
