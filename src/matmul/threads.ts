// Worker-thread pool for the WebAssembly kernels (Node only). The kernels' memory is a shared
// WebAssembly.Memory; each worker instantiates the same compiled module on it, so a product's operands
// are laid out once and every thread computes its own row panel (or column-panel range) of C in place.
// A synchronous call posts one job per worker, runs its own share on the calling thread, then blocks in
// Atomics.wait until the workers are done (allowed on Node's main thread). Workers start lazily, are
// unref'd (an idle pool never keeps a process alive) and can be stopped with shutdownThreads().
// worker_threads is reached through process.getBuiltinModule (no static import: the core bundles for
// browsers, where everything runs on the calling thread).
import { resetKernels, type Kernels } from '../wasm/loader.js';

interface NodeWorker {
  postMessage(v: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
  on(ev: string, fn: (...args: unknown[]) => void): void;
}
interface WorkerThreadsModule {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => NodeWorker;
  isMainThread: boolean;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, ctl } = workerData;
const done = new Int32Array(ctl);
const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('lowp wasm abort'); } } });
const ex = inst.exports;
parentPort.on('message', (m) => {
  try {
    for (const [op, args] of m.jobs) ex[op](...args);
  } catch (e) {
    Atomics.store(done, 1, 1);
  }
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

interface Pool {
  kernels: Kernels;
  workers: NodeWorker[];
  ctl: Int32Array;
  wt: WorkerThreadsModule;
}

let pool: Pool | null = null;
let cores: number | undefined;

function getProcess(): { getBuiltinModule?: (id: string) => unknown } | undefined {
  return (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
}

/**
 * Number of hardware threads available to this process (Node: `os.availableParallelism()`; browsers:
 * `navigator.hardwareConcurrency`; else 1).
 *
 * @example
 * ```ts
 * availableThreads(); // e.g. 8
 * ```
 */
export function availableThreads(): number {
  if (cores !== undefined) return cores;
  let n = 1;
  try {
    const os = getProcess()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
    if (os) n = os.availableParallelism?.() ?? os.cpus?.().length ?? 1;
    else {
      const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
      n = nav?.hardwareConcurrency ?? 1;
    }
  } catch {
    n = 1;
  }
  cores = Math.max(1, n | 0);
  return cores;
}

/** Whether products can be split across worker threads here (Node with worker_threads and shared memory). */
export function threadsSupported(k: Kernels | null): boolean {
  return !!k && k.shared && !!getProcess()?.getBuiltinModule?.('node:worker_threads');
}

function getPool(k: Kernels, need: number): Pool | null {
  if (!threadsSupported(k)) return null;
  try {
    return growPool(k, need);
  } catch {
    return null; // no workers here after all (e.g. a runtime without eval workers): run on this thread
  }
}

function growPool(k: Kernels, need: number): Pool {
  if (!pool || pool.kernels !== k) {
    const wt = getProcess()!.getBuiltinModule!('node:worker_threads') as WorkerThreadsModule;
    pool = { kernels: k, workers: [], ctl: new Int32Array(new SharedArrayBuffer(8)), wt };
  }
  while (pool.workers.length < need) {
    const w = new pool.wt.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: k.module, memory: k.memory, ctl: pool.ctl.buffer },
    });
    w.unref();
    w.on('error', () => {
      /* reported through the control word; the worker is replaced on next use */
    });
    pool.workers.push(w);
  }
  return pool;
}

/** Splits `units` into at most `t` non-empty contiguous ranges [lo, hi), one per thread, in order. */
export function ranges(units: number, t: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < t; s++) {
    const lo = Math.floor((units * s) / t);
    const hi = Math.floor((units * (s + 1)) / t);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}

/** A job: a kernel export name and its arguments. */
export type Job = [op: string, args: number[]];

/**
 * Runs `shares[0]` on the calling thread and `shares[1..]` on pool workers, returning when all are
 * done. Falls back to running everything here when no pool is available.
 */
export function runShares(k: Kernels, shares: Job[][]): void {
  const ex = k.exports as unknown as Record<string, (...a: number[]) => void>;
  const p = shares.length > 1 ? getPool(k, shares.length - 1) : null;
  if (!p) {
    for (const share of shares) for (const [op, args] of share) ex[op](...args);
    return;
  }
  const ctl = p.ctl;
  Atomics.store(ctl, 0, 0);
  Atomics.store(ctl, 1, 0);
  for (let t = 1; t < shares.length; t++) p.workers[t - 1].postMessage({ jobs: shares[t] });
  let err: unknown = null;
  try {
    for (const [op, args] of shares[0]) ex[op](...args);
  } catch (e) {
    err = e;
  }
  const want = shares.length - 1;
  for (;;) {
    const v = Atomics.load(ctl, 0);
    if (v >= want) break;
    Atomics.wait(ctl, 0, v, 1000);
  }
  if (err) throw err;
  if (Atomics.load(ctl, 1) !== 0) throw new Error('lowp: a matmul worker thread failed');
}

/**
 * Stops the worker threads of lowp's matmul pool (they are unref'd, so a process exits without this;
 * call it to free the threads early) and releases the kernels' WebAssembly memory, which otherwise
 * stays at the size of the largest product so far. Both come back on the next product.
 *
 * @example
 * ```ts
 * await shutdownThreads();
 * ```
 */
export async function shutdownThreads(): Promise<void> {
  const p = pool;
  pool = null;
  resetKernels();
  if (p) await Promise.all(p.workers.map((w) => w.terminate()));
}

/**
 * Threads to use for a product of `work` multiply-adds: the requested count, or (default) all cores
 * when the product is large enough to repay the dispatch (≥ 2^23 multiply-adds), else 1.
 */
export function chooseThreads(requested: number | undefined, work: number, units: number): number {
  const t = requested ?? (work >= 2 ** 23 ? availableThreads() : 1);
  return Math.max(1, Math.min(t, units, 64));
}
