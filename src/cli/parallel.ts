// Parallel `lowp check`: the tensors of a checkpoint are analysed by a pool of worker threads, one whole
// tensor per task (largest first, each worker takes the next tensor when it is done), each worker
// streaming its tensor chunk by chunk like the single-threaded path; the results are the same objects
// in the same order, whatever the number of threads. The worker code is the CLI entry itself
// (src/cli/main.ts, built to dist/cli/main.js), started with `workerData.lowpWorker` set.
import { Worker } from 'node:worker_threads';
import type { CastAnalysis } from '../diagnostics/analyzeCast.js';
import { LowpIoError } from '../io/errors.js';
import { elementCodec } from '../io/elements.js';
import { openSafetensors } from '../io/safetensors/reader.js';
import type { TensorInfo, TensorReader } from '../io/reader.js';
import { openCheckpoint } from '../io/open.js';
import { createCliCastAnalyzer } from './analysis.js';
import { CliError } from './io.js';

/** What every worker needs to open the input and analyse tensors. */
export interface CheckWorkerJob {
  /** A path (file, folder, index), or the sample's bytes in shared memory. */
  input: { kind: 'path'; path: string; label: string } | { kind: 'bytes'; bytes: SharedArrayBuffer; label: string };
  /** Target format. */
  to: string;
  /** Elements per chunk. */
  chunk: number;
}

type ToWorker = { name: string } | { done: true };
type FromWorker = { name: string; result: CastAnalysis } | { name: string; error: string; code?: string } | { ready: true } | { fatal: string };

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
export async function checkWorkerMain(job: CheckWorkerJob, port: { postMessage(m: FromWorker): void; on(e: 'message', f: (m: ToWorker) => void): void; close(): void }): Promise<void> {
  let reader: TensorReader;
  try {
    reader = await openJobInput(job);
  } catch (e) {
    port.postMessage({ fatal: (e as Error).message });
    port.close();
    return;
  }
  const infos = new Map(reader.tensors.map((t) => [t.name, t]));
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(async () => {
      if ('done' in m) {
        await reader.close();
        port.close();
        return;
      }
      const t = infos.get(m.name);
      try {
        if (t === undefined) throw new CliError(`worker: no tensor '${m.name}'`);
        port.postMessage({ name: m.name, result: await analyzeTensor(reader, t, job.to, job.chunk) });
      } catch (e) {
        port.postMessage({ name: m.name, error: (e as Error).message, code: e instanceof LowpIoError ? e.code : undefined });
      }
    });
  });
  port.postMessage({ ready: true });
}

/**
 * Analyses `tensors` on `threads` worker threads started from `entry` (the CLI's main module), largest
 * tensor first. Resolves with one analysis per tensor, in the order of `tensors`.
 *
 * @param entry - URL of the module that runs {@link checkWorkerMain} when started as a worker
 * @param job - how to open the input, target, chunk size
 * @param tensors - the tensors to analyse
 * @param threads - number of workers (at least 1)
 * @param onTensorDone - called with each finished tensor's byte length (progress)
 * @returns the analyses, in the order of `tensors`
 */
export async function analyzeInWorkers(
  entry: URL,
  job: CheckWorkerJob,
  tensors: readonly TensorInfo[],
  threads: number,
  onTensorDone: (t: TensorInfo) => void,
): Promise<CastAnalysis[]> {
  const order = [...tensors].sort((a, b) => b.byteLength - a.byteLength);
  const results = new Map<string, CastAnalysis>();
  const workers: Worker[] = [];
  let next = 0;
  let failure: Error | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const fail = (e: Error): void => {
        if (failure === null) failure = e;
        reject(e);
      };
      const retired = new Set<Worker>();
      const give = (w: Worker): void => {
        if (next < order.length) w.postMessage({ name: order[next++].name } satisfies ToWorker);
        else {
          retired.add(w);
          w.postMessage({ done: true } satisfies ToWorker);
        }
      };
      const n = Math.max(1, Math.min(threads, order.length));
      for (let i = 0; i < n; i++) {
        const w = new Worker(entry, { workerData: { lowpWorker: 'check', job } });
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          if ('ready' in m) return give(w);
          if ('fatal' in m) return fail(new CliError(m.fatal));
          if ('error' in m) return fail(new CliError(m.error));
          results.set(m.name, m.result);
          onTensorDone(tensors.find((t) => t.name === m.name)!);
          finished++;
          if (finished === order.length) resolve();
          else give(w);
        });
        w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
        w.on('exit', (code) => {
          if (!retired.has(w) && finished < order.length && failure === null) fail(new CliError(`a worker thread stopped (exit code ${code}) before the check was done`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return tensors.map((t) => results.get(t.name)!);
}
