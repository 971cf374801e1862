// Worker-thread pool for the WebAssembly kernels (Node only). The kernels' memory is a shared
// WebAssembly.Memory; each worker instantiates the same compiled module on it, so a product's operands
// are laid out once and every thread computes its own share (a row panel or column-panel range) of C in
// place. A synchronous product cannot return to the event loop, so the pool is built so that the caller
// never waits for a thread that is not known to be working, and learns of a thread's death while it waits:
//
// - Shares are claimed, not assigned. Each share has a status word in shared memory (epoch-tagged: free,
//   claimed by worker w, done, failed), claimed with compareExchange. The caller posts the product to the
//   workers, then claims and runs shares itself, starting with share 0, until none is left; a worker that
//   is still starting (or never starts) simply claims nothing, and its share runs on the calling thread.
// - The caller then waits (Atomics.wait on a signal word) only for shares a worker has claimed. A worker
//   bumps the signal when it finishes a share, or marks the share failed if a kernel threw.
// - Workers are started and watched by a keeper thread, not by the caller: the keeper's event loop is
//   free while the caller is blocked in Atomics.wait, so it receives a worker's 'error' and 'exit' events
//   (failed start, uncaught exception, process.exit, out of memory, terminate) and marks the worker dead
//   in shared memory. The caller then re-runs that worker's share itself (shares start by overwriting
//   their part of C, so a re-run is exact), warns once (process.emitWarning, code LOWP_THREADS), and
//   replaces the pool on the next product; after three pools in a row fail, threads are turned off.
// - Workers and keeper start from eval'd source that works as CommonJS and as an ES module, with an
//   empty execArgv and the environment without NODE_OPTIONS, so the parent's --input-type, --eval,
//   --require/--import hooks and --experimental-* flags do not reach them.
// Workers start lazily, the keeper is unref'd (an idle pool never keeps a process alive) and
// shutdownThreads() stops them all. worker_threads is reached through process.getBuiltinModule (no
// static import: the core bundles for browsers, where everything runs on the calling thread).
import { cleanWorkerOptions, type CleanWorkerOptions } from '../core/workers.js';
import { resetKernels, type Kernels } from '../wasm/loader.js';

interface NodePort {
  postMessage(v: unknown, transfer?: unknown[]): void;
  unref?(): void;
  close(): void;
}
interface NodeWorker {
  postMessage(v: unknown, transfer?: unknown[]): void;
  unref(): void;
  terminate(): Promise<number>;
  on(ev: string, fn: (...args: unknown[]) => void): void;
}
/** Worker resource limits (Node's `resourceLimits` option). */
interface WorkerResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}
interface WorkerOptions extends CleanWorkerOptions {
  eval: true;
  name: string;
  workerData: unknown;
  transferList: unknown[];
}
interface WorkerThreadsModule {
  Worker: new (src: string, opts: WorkerOptions) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
}
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  emitWarning?: (msg: string, opts: { code: string; type?: string }) => void;
}

// ------------------------------------------------------------------ shared control words

/** Most worker threads a pool holds (a product has at most 64 shares, one of them the caller's). */
const MAX_WORKERS = 63;
/** Bumped (and notified) whenever a share is finished or a worker is found dead. */
const SIGNAL = 0;
/** A lock, then the length, of the first failure's text (ERR_TEXT); written once per pool. */
const ERR_LOCK = 1;
const ERR_LEN = 2;
/** dead[w]: nonzero once worker w has stopped (written by the keeper). */
const DEAD = 8;
/** status[s] of share s: (epoch << 8) | state. */
const STATUS = DEAD + 64;
/** The failure text, one UTF-16 unit per word. */
const ERR_TEXT = STATUS + 64;
const ERR_MAX = 400;
const CTL_WORDS = ERR_TEXT + ERR_MAX;

/** Share states (the low byte of a status word); 1…63 mean "claimed by worker state − 1". */
const FREE = 0;
const CALLER = 0xf0;
const DONE = 0xf1;
const FAILED = 0xf2;
/** Epochs are 23 bits, so that a tagged status word stays a positive int32. */
const EPOCH_MASK = 0x7fffff;

/** How long the caller sleeps between re-checks of the status words (it is woken earlier by every signal). */
const WAIT_SLICE_MS = 1000;
/** Pools that may fail one after another before threads are turned off for the process. */
const MAX_FAILED_POOLS = 3;

// Shared by the two eval'd sources below: record the first failure's text and wake the caller.
const REPORT_SOURCE = `
function lowpReport(ctl, text) {
  if (Atomics.compareExchange(ctl, ${ERR_LOCK}, 0, 1) === 0) {
    const s = String(text).slice(0, ${ERR_MAX});
    for (let i = 0; i < s.length; i++) ctl[${ERR_TEXT} + i] = s.charCodeAt(i);
    Atomics.store(ctl, ${ERR_LEN}, s.length);
  }
}
function lowpSignal(ctl) {
  Atomics.add(ctl, ${SIGNAL}, 1);
  Atomics.notify(ctl, ${SIGNAL});
}
function lowpWhy(e) {
  return e && typeof e === 'object' ? (e.code ? e.code + ': ' : '') + (e.name || 'Error') + ': ' + String(e.message).split('\\n')[0] : String(e);
}
`;

// A compute worker: instantiates the kernels on the shared memory, then for each product it is sent
// claims free shares (starting after its own index, so that workers spread out) and runs them.
// process.getBuiltinModule, not require: the source must load whether eval'd as CommonJS or as a module.
const WORKER_SOURCE = `${REPORT_SOURCE}
const { module: kernelModule, memory, ctl: ctlBuffer, index, port } = process.getBuiltinModule('node:worker_threads').workerData;
const ctl = new Int32Array(ctlBuffer);
const ex = new WebAssembly.Instance(kernelModule, { env: { memory, abort() { throw new Error('lowp wasm abort'); } } }).exports;
const me = index + 1;
port.on('message', (m) => {
  const tag = m.epoch << 8;
  const n = m.shares.length;
  for (let i = 0; i < n; i++) {
    const s = (i + me) % n;
    if (Atomics.compareExchange(ctl, ${STATUS} + s, tag | ${FREE}, tag | me) !== (tag | ${FREE})) continue;
    let state = ${DONE};
    try {
      for (const [op, args] of m.shares[s]) ex[op](...args);
    } catch (e) {
      state = ${FAILED};
      lowpReport(ctl, 'worker ' + me + ' threw ' + lowpWhy(e));
    }
    Atomics.store(ctl, ${STATUS} + s, tag | state);
    lowpSignal(ctl);
    if (state === ${FAILED}) break;
  }
});
`;

// The keeper: starts the compute workers (and more when asked) and marks each one dead in shared memory
// as soon as it stops, waking the caller.
const KEEPER_SOURCE = `${REPORT_SOURCE}
const wt = process.getBuiltinModule('node:worker_threads');
const { ctl: ctlBuffer, source, resourceLimits } = wt.workerData;
const ctl = new Int32Array(ctlBuffer);
const env = { ...process.env };
delete env.NODE_OPTIONS;
function dead(i, why) {
  try { lowpReport(ctl, 'worker ' + (i + 1) + ' ' + why); } catch {}
  Atomics.store(ctl, ${DEAD} + i, 1);
  lowpSignal(ctl);
}
function start(i, port) {
  try {
    const w = new wt.Worker(source, {
      eval: true, name: 'lowp matmul ' + (i + 1), execArgv: [], env, stdin: false,
      workerData: { ...wt.workerData.kernels, ctl: ctlBuffer, index: i, port, testData: wt.workerData.testData }, transferList: [port],
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    w.on('error', (e) => dead(i, 'failed: ' + lowpWhy(e)));
    w.on('exit', (code) => dead(i, 'stopped (exit code ' + code + ')'));
  } catch (e) {
    dead(i, 'could not start: ' + lowpWhy(e));
  }
}
wt.workerData.ports.forEach((port, i) => start(i, port));
wt.parentPort.on('message', (m) => start(m.index, m.port));
`;

// ------------------------------------------------------------------ the pool

interface Pool {
  kernels: Kernels;
  ctl: Int32Array;
  keeper: NodeWorker;
  wt: WorkerThreadsModule;
  /** The caller's end of each worker's message channel. */
  ports: NodePort[];
  epoch: number;
  /** Why the pool is known to be unusable (set from the keeper's own 'error'/'exit' events). */
  broken: string | null;
}

/** Test-only settings (set through {@link setPoolTestHook}, which the package does not export). */
interface PoolTestHook {
  /** Source run at the start of each compute worker (before the kernels load). */
  workerPrelude?: string;
  /** Source run at the start of the keeper. */
  keeperPrelude?: string;
  /** The compute workers' resource limits. */
  resourceLimits?: WorkerResourceLimits;
  /** Given to the keeper and each worker as `workerData.testData` (e.g. a SharedArrayBuffer to count in). */
  testData?: unknown;
}

let pool: Pool | null = null;
let cores: number | undefined;
let failedPools = 0;
let threadsOff: string | null = null;
let testHook: PoolTestHook | null = null;
const warned = new Set<string>();

function getProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
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
  return !!k && k.shared && threadsOff === null && !!getProcess()?.getBuiltinModule?.('node:worker_threads');
}

/** Emits a Node warning (code LOWP_THREADS) once per distinct kind. */
function warnOnce(kind: string, message: string): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  try {
    getProcess()?.emitWarning?.(message, { code: 'LOWP_THREADS' });
  } catch {
    /* a warning must never break a product */
  }
}

function failureText(ctl: Int32Array): string | null {
  const n = Atomics.load(ctl, ERR_LEN);
  if (n === 0) return null;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(ctl[ERR_TEXT + i]);
  return s;
}

/**
 * Counts a pool failure: drops the pool (its threads are stopped in the background), warns once, and
 * after MAX_FAILED_POOLS failures in a row turns threads off for the process.
 */
function poolFailed(p: Pool, why: string): void {
  if (pool === p) pool = null;
  p.keeper.terminate().catch(() => {});
  for (const port of p.ports) port.close();
  failedPools++;
  warnOnce('failed', `lowp: a matmul worker thread failed (${why}); its work was done on the calling thread, and the thread pool is restarted for the next product`);
  if (failedPools >= MAX_FAILED_POOLS) {
    threadsOff = why;
    warnOnce('off', `lowp: matmul worker threads failed ${failedPools} times in a row (last: ${why}); products now run on the calling thread (shutdownThreads() allows threads again)`);
  }
}

function startPool(k: Kernels): Pool | null {
  const wt = getProcess()!.getBuiltinModule!('node:worker_threads') as WorkerThreadsModule;
  const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  const source = (testHook?.workerPrelude ?? '') + WORKER_SOURCE;
  let keeper: NodeWorker;
  try {
    keeper = new wt.Worker((testHook?.keeperPrelude ?? '') + KEEPER_SOURCE, {
      eval: true,
      name: 'lowp matmul keeper',
      ...cleanWorkerOptions(),
      workerData: { ctl: ctl.buffer, source, resourceLimits: testHook?.resourceLimits, testData: testHook?.testData, kernels: { module: k.module, memory: k.memory }, ports: [] },
      transferList: [],
    });
  } catch (e) {
    // no workers here (e.g. a runtime without eval workers, or a permission model that denies them)
    failedPools++;
    const why = `cannot start worker threads: ${(e as Error)?.message ?? String(e)}`;
    warnOnce('start', `lowp: ${why}; products run on the calling thread`);
    if (failedPools >= MAX_FAILED_POOLS) threadsOff = why;
    return null;
  }
  keeper.unref();
  const p: Pool = { kernels: k, ctl, keeper, wt, ports: [], epoch: 0, broken: null };
  keeper.on('error', (e) => {
    p.broken ??= `the keeper thread failed: ${(e as Error)?.message ?? String(e)}`;
  });
  keeper.on('exit', (code) => {
    p.broken ??= `the keeper thread stopped (exit code ${String(code)})`;
  });
  return p;
}

function anyDead(p: Pool): boolean {
  for (let w = 0; w < p.ports.length; w++) if (Atomics.load(p.ctl, DEAD + w) !== 0) return true;
  return false;
}

/** The pool for `k` with at least `need` workers started (or starting), or null to run on this thread. */
function getPool(k: Kernels, need: number): Pool | null {
  if (!threadsSupported(k)) return null;
  if (pool && pool.kernels !== k) {
    const old = pool;
    pool = null;
    old.keeper.terminate().catch(() => {});
  }
  if (pool && (pool.broken !== null || anyDead(pool))) poolFailed(pool, pool.broken ?? failureText(pool.ctl) ?? 'a worker thread stopped');
  if (threadsOff !== null) return null;
  if (!pool) pool = startPool(k);
  const p = pool;
  if (!p) return null;
  try {
    while (p.ports.length < Math.min(need, MAX_WORKERS)) {
      const { port1, port2 } = new p.wt.MessageChannel();
      port1.unref?.();
      p.keeper.postMessage({ index: p.ports.length, port: port2 }, [port2]);
      p.ports.push(port1);
    }
  } catch (e) {
    poolFailed(p, `cannot reach the keeper thread: ${(e as Error)?.message ?? String(e)}`);
    return null;
  }
  return p;
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
 * Runs every share (a list of jobs) once, on pool workers and on the calling thread, returning when all
 * are done. Falls back to running everything here when no pool is available; a worker that fails or
 * stops has its share re-run here. Each share must write its own part of the output, starting by
 * overwriting it, so that running it again gives the same result. Rethrows a kernel's exception on the
 * calling thread (after every share has stopped).
 */
export function runShares(k: Kernels, shares: Job[][]): void {
  const ex = k.exports as unknown as Record<string, (...a: number[]) => void>;
  const n = shares.length;
  const p = n > 1 ? getPool(k, n - 1) : null;
  if (!p) {
    for (const share of shares) for (const [op, args] of share) ex[op](...args);
    return;
  }
  const ctl = p.ctl;
  p.epoch = (p.epoch + 1) & EPOCH_MASK || 1;
  const tag = p.epoch << 8;
  for (let s = 0; s < n; s++) Atomics.store(ctl, STATUS + s, tag | FREE);
  const msg = { epoch: p.epoch, shares };
  for (let w = 0; w < n - 1; w++) if (Atomics.load(ctl, DEAD + w) === 0) p.ports[w].postMessage(msg);

  let err: unknown = null;
  let failure: string | null = null;
  let workerDone = false;
  const mine = new Uint8Array(n);
  const run = (s: number): void => {
    mine[s] = 1;
    if (err === null) {
      try {
        for (const [op, args] of shares[s]) ex[op](...args);
      } catch (e) {
        err = e; // the remaining shares are claimed but not run: the product fails
      }
    }
    Atomics.store(ctl, STATUS + s, tag | DONE);
  };
  // claim and run shares until none is free (share 0 first; workers start after their own index)
  for (let s = 0; s < n; s++) if (Atomics.compareExchange(ctl, STATUS + s, tag | FREE, tag | CALLER) === (tag | FREE)) run(s);
  // wait for the shares workers claimed; take back those whose worker failed or stopped
  for (;;) {
    const sig = Atomics.load(ctl, SIGNAL);
    let pending = false;
    for (let s = 0; s < n; s++) {
      const v = Atomics.load(ctl, STATUS + s);
      const state = v & 0xff;
      if (state === DONE || state === CALLER) {
        if (mine[s] === 0) workerDone = true;
        continue;
      }
      if (state === FREE) {
        // not reached (the caller claimed every free share above), but a free share is never waited for
        if (Atomics.compareExchange(ctl, STATUS + s, v, tag | CALLER) === v) run(s);
        else pending = true;
        continue;
      }
      const lost = state === FAILED || (state > FREE && state < CALLER && Atomics.load(ctl, DEAD + state - 1) !== 0);
      if (!lost) {
        pending = true;
        continue;
      }
      if (Atomics.compareExchange(ctl, STATUS + s, v, tag | CALLER) !== v) {
        pending = true;
        continue;
      }
      failure ??= failureText(ctl) ?? `worker ${state === FAILED ? '' : state + ' '}failed`;
      run(s);
    }
    if (!pending) break;
    Atomics.wait(ctl, SIGNAL, sig, WAIT_SLICE_MS);
  }
  if (workerDone && failure === null) failedPools = 0;
  if (failure !== null) poolFailed(p, failure);
  if (err !== null) throw err;
}

/**
 * Stops the worker threads of lowp's matmul pool (they are unref'd, so a process exits without this;
 * call it to free the threads early) and releases the kernels' WebAssembly memory, which otherwise
 * stays at the size of the largest product so far. Both come back on the next product; threads that
 * were turned off after repeated failures are allowed again.
 *
 * @example
 * ```ts
 * await shutdownThreads();
 * ```
 */
export async function shutdownThreads(): Promise<void> {
  const p = pool;
  pool = null;
  failedPools = 0;
  threadsOff = null;
  resetKernels();
  if (p) {
    for (const port of p.ports) port.close();
    await p.keeper.terminate();
  }
}

/**
 * Test-only: code to run at the start of the pool's threads and the workers' resource limits, for the
 * next pool started (null: none). Not exported by the package.
 */
export function setPoolTestHook(hook: PoolTestHook | null): void {
  testHook = hook;
}

/**
 * Threads to use for a product of `work` multiply-adds: the requested count, or (default) all cores
 * when the product is large enough to repay the dispatch (≥ 2^23 multiply-adds), else 1.
 */
export function chooseThreads(requested: number | undefined, work: number, units: number): number {
  const t = requested ?? (work >= 2 ** 23 ? availableThreads() : 1);
  return Math.max(1, Math.min(t, units, 64));
}
