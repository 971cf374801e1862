// Starts the fuzz worker (worker.mjs) for one target and watches it: the worker bumps a shared case
// counter before each case and clears a busy flag after it; a case that stays busy longer than
// `caseTimeoutMs` is a hang, so the worker is terminated (which interrupts even a synchronous loop) and
// the input it was working on, copied into shared memory before the case began, is saved. A worker that
// dies (heap limit, crash) or stops mid-case (an await that never settles) is reported the same way.
// Used by tests/fuzz/suite.ts (vitest) and tests/fuzz/run.mjs (npm run fuzz).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Bytes of a case's input kept for the watchdog (fuzz inputs are a few KB; longer ones are cut). */
const MAX_INPUT = 1 << 20;
export const PROPERTIES = ['seeds', 'payload', 'mutations', 'records', 'structured', 'random', 'corpus'];

/** Fuzz options from the environment: FUZZ_SEED, FUZZ_SCALE, FUZZ_RUNS (alias of scale), FUZZ_PATH, FUZZ_PROPERTY, FUZZ_MINUTES. */
export function fuzzOptionsFromEnv(env) {
  const num = (v) => (v === undefined || v === '' ? undefined : Number(v));
  const o = {};
  if (num(env.FUZZ_SEED) !== undefined) o.seed = num(env.FUZZ_SEED) | 0;
  const scale = num(env.FUZZ_SCALE) ?? num(env.FUZZ_RUNS);
  if (scale !== undefined) o.scale = scale;
  if (env.FUZZ_PATH) o.path = env.FUZZ_PATH;
  if (env.FUZZ_PROPERTY) o.only = env.FUZZ_PROPERTY.split(',');
  if (num(env.FUZZ_MINUTES) !== undefined) o.timeLimitMs = num(env.FUZZ_MINUTES) * 60_000;
  return o;
}

/** A fresh random seed (fast-check takes 32-bit integers). */
export function randomSeed() {
  return (Math.random() * 2 ** 31) | 0;
}

/**
 * Runs one target's properties in a guarded worker. Resolves (never rejects for a target failure) to
 * { seed, results, failure }, where failure (hang, crash, exit mid-case) names the property and case and
 * the saved input.
 */
export function launchFuzz(opts) {
  const seed = opts.seed ?? randomSeed();
  const module = opts.module ?? pathToFileURL(join(HERE, 'targets', `${opts.target}.ts`)).href;
  const file = module.split('/').pop().replace(/\.[cm]?[jt]s$/, '');
  const name = opts.target ?? (opts.exportName && opts.exportName !== 'default' ? `${file}-${opts.exportName}` : file);
  const caseTimeoutMs = opts.caseTimeoutMs ?? 10_000;
  const saveDir = opts.saveDir ?? join(tmpdir(), 'lowp-fuzz');
  const progress = new SharedArrayBuffer(16 + MAX_INPUT);
  const p32 = new Int32Array(progress, 0, 4);
  const options = { seed, scale: opts.scale, only: opts.only, path: opts.path, timeLimitMs: opts.timeLimitMs, saveDir, collect: opts.collect };
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { module, exportName: opts.exportName, options, progress },
    // a clean worker: none of the parent's flags (vitest's, --input-type, ...), a bounded heap
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: opts.heapMb ?? 512 },
  });
  const results = [];
  return new Promise((resolve) => {
    let settled = false;
    let done = false;
    let last = -1;
    let since = Date.now();
    const current = () => {
      const n = Math.min(Atomics.load(p32, 2), MAX_INPUT);
      const bytes = new Uint8Array(progress, 16, n).slice();
      const property = PROPERTIES[Atomics.load(p32, 3)] ?? '?';
      const caseNumber = Atomics.load(p32, 0);
      mkdirSync(saveDir, { recursive: true });
      const file = join(saveDir, `${name}-${property}-case${caseNumber}-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.bin`);
      writeFileSync(file, bytes);
      return { property, caseNumber, saved: file, size: Atomics.load(p32, 2) };
    };
    const finish = (failure) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve({ target: name, seed, results, failure });
    };
    const timer = setInterval(() => {
      const counter = Atomics.load(p32, 0);
      if (counter !== last) {
        last = counter;
        since = Date.now();
        return;
      }
      if (Atomics.load(p32, 1) === 1 && Date.now() - since > caseTimeoutMs) {
        const c = current();
        void worker.terminate();
        finish({ kind: 'hang', ...c, message: `case ${c.caseNumber} of property '${c.property}' (seed ${seed}) ran for more than ${caseTimeoutMs} ms on a ${c.size}-byte input, saved to ${c.saved}` });
      }
    }, 100);
    timer.unref?.();
    worker.on('message', (m) => {
      if (m.type === 'result') {
        results.push(m.result);
        opts.onResult?.(m.result);
      } else if (m.type === 'done') done = true;
    });
    worker.on('error', (e) => {
      const busy = Atomics.load(p32, 1) === 1;
      const c = busy ? current() : undefined;
      const kind = e && e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap' : 'crash';
      finish({ kind, ...c, message: `the fuzz worker died (${e && e.code ? e.code + ': ' : ''}${e && e.message}) ${c ? `in case ${c.caseNumber} of property '${c.property}' (seed ${seed}), input saved to ${c.saved}` : 'outside a case'}` });
    });
    worker.on('exit', (code) => {
      if (done) return finish(undefined);
      const busy = Atomics.load(p32, 1) === 1;
      const c = busy ? current() : undefined;
      finish({ kind: 'exit', ...c, message: `the fuzz worker exited (code ${code}) before finishing${c ? `, in case ${c.caseNumber} of property '${c.property}' (seed ${seed}: an await that never settles?), input saved to ${c.saved}` : ''}` });
    });
  });
}
