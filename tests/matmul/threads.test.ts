// The worker pool never keeps a process alive: a child process that ran threaded products (and one
// that called shutdownThreads) exits by itself with status 0 (within the children's 60 s timeout). Also
// checks threaded results against the single-thread ones inside the child, for a product large enough
// to use the default pool.
// Then the pool's failures, each in a child process with a bounded timeout (a hang would be killed and
// fail the test): a worker whose kernel throws, that calls process.exit, that runs out of its heap limit
// (all mid-product), that fails to load, a keeper that fails to start, and a Worker constructor that
// throws. Each product must equal the single-thread result, the failure must be reported by one
// LOWP_THREADS warning, later products must use worker threads again (pool replaced), and the child must
// exit by itself. The sabotage is code run at the start of the pool's threads through the test-only
// setPoolTestHook (src/matmul/threads.ts; the package does not export it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { availableThreads } from '../../src/matmul/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = pathToFileURL(join(root, 'src', 'matmul', 'index.ts')).href;
const threadsEntry = pathToFileURL(join(root, 'src', 'matmul', 'threads.ts')).href;

function runChild(body: string, head = ''): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lowp-threads-'));
  const file = join(dir, 'child.mts');
  writeFileSync(file, `${head}\nimport * as lowp from '${entry}';\nimport { setPoolTestHook } from '${threadsEntry}';\n${body}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('worker pool lifecycle', () => {
  it('availableThreads() is a positive integer', () => {
    expect(Number.isInteger(availableThreads()) && availableThreads() >= 1).toBe(true);
  });

  it('a process that used the pool exits by itself (unref’d workers), with correct results', () => {
    const r = runChild(`
const n = 160;
const a = { rows: n, cols: 300, data: Float32Array.from({ length: n * 300 }, (_, i) => Math.sin(i)) };
const b = { rows: 300, cols: n, data: Float32Array.from({ length: 300 * n }, (_, i) => Math.cos(i)) };
const one = lowp.matmul(a, b, { threads: 1 }).data;
const two = lowp.matmul(a, b, { threads: 2 }).data;
const dflt = lowp.matmul(a, b).data;
const q = { rows: n, cols: 300, data: Int8Array.from({ length: n * 300 }, (_, i) => (i * 37) % 255 - 127) };
const i1 = lowp.int8Matmul(q, q, { transB: true, threads: 1 }).data;
const i3 = lowp.int8Matmul(q, q, { transB: true, threads: 3 }).data;
const same = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
console.log(JSON.stringify({ ok: same(one, two) && same(one, dflt) && same(i1, i3) }));
`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ ok: true });
    expect(r.signal, 'killed at the 60 s timeout').toBe(null);
  });

  it('shutdownThreads() stops the pool; the next threaded product restarts it', () => {
    const r = runChild(`
const a = { rows: 64, cols: 64, data: new Float32Array(64 * 64).fill(1) };
lowp.matmul(a, a, { threads: 2 });
await lowp.shutdownThreads();
const c = lowp.matmul(a, a, { threads: 2 }).data;
await lowp.shutdownThreads();
console.log(c[0], c[4095]);
`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('64 64');
  });
});

/**
 * Worker-side sabotage: wraps the kernel exports of every pool worker so that each call counts in
 * probe[0], and the first call made by worker 1 in the whole process (probe[1]) runs `action`
 * (every call of worker 1 when `always`).
 */
function kernelSabotage(action: string, always = false): string {
  return `{
  const wd = process.getBuiltinModule('node:worker_threads').workerData;
  const probe = new Int32Array(wd.testData);
  const Real = WebAssembly.Instance;
  WebAssembly.Instance = function (m, imports) {
    const inner = new Real(m, imports).exports;
    const exports = { ...inner };
    for (const op of ['sgemm', 'sgemvT', 'dgemm', 'igemm', 'igemvT']) {
      exports[op] = (...args) => {
        Atomics.add(probe, 0, 1);
        if (wd.index === 0 && (${always} || Atomics.add(probe, 1, 1) === 0)) { ${action}; }
        return inner[op](...args);
      };
    }
    return { exports };
  };
}
`;
}

/**
 * A child that installs `hook` (its testData: a shared probe), then runs threaded float and int8
 * products, 20 ms apart, until a LOWP_THREADS warning came, then more until a worker computed a share
 * again (a new pool; at most `after`: the workers of a new pool take a moment to start); each is
 * compared with the single-thread product. Prints the counts as JSON.
 */
function sabotaged(hook: string, opts: { head?: string; after?: number; tries?: number; end?: string } = {}) {
  const r = runChild(
    `
const probe = new Int32Array(new SharedArrayBuffer(8));
const warnings = [];
process.on('warning', (w) => { if (w.code === 'LOWP_THREADS') warnings.push(w.message); });
setPoolTestHook(${hook});
const n = 256;
const a = { rows: n, cols: n, data: Float32Array.from({ length: n * n }, (_, i) => Math.sin(i) * 3) };
const q = { rows: n, cols: n, data: Int8Array.from({ length: n * n }, (_, i) => ((i * 37) % 255) - 127) };
const ref = lowp.matmul(a, a, { threads: 1 }).data;
const iref = lowp.int8Matmul(q, q, { transB: true, threads: 1 }).data;
const same = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
let products = 0, wrong = 0;
const product = () => {
  products += 2;
  if (!same(lowp.matmul(a, a, { threads: 2 }).data, ref)) wrong++;
  if (!same(lowp.int8Matmul(q, q, { transB: true, threads: 2 }).data, iref)) wrong++;
};
for (let i = 0; i < ${opts.tries ?? 300} && warnings.length === 0; i++) { product(); await sleep(20); }
const failedAt = products;
const callsAtFailure = Atomics.load(probe, 0);
for (let i = 0; i < ${opts.after ?? 300} && Atomics.load(probe, 0) === callsAtFailure; i++) { product(); await sleep(20); }
for (let i = 0; i < 5; i++) product();
${opts.end ?? ''}
console.log(JSON.stringify({ products, failedAt, wrong, warnings, callsAtFailure, calls: Atomics.load(probe, 0), sabotaged: Atomics.load(probe, 1) }));
`,
    opts.head,
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let out: { products: number; failedAt: number; wrong: number; warnings: string[]; callsAtFailure: number; calls: number; sabotaged: number } | null = null;
  try {
    out = JSON.parse(last);
  } catch {
    /* reported below */
  }
  return { ...r, out };
}

describe('worker pool failures: the caller finishes the product, warns once, and the pool comes back', () => {
  const once = (action: string, extra = '') => `{ testData: probe.buffer, workerPrelude: ${JSON.stringify(kernelSabotage(action))}${extra} }`;

  it.each([
    ['throws in a kernel', once("throw new Error('test: kernel failure')"), /worker 1 threw Error: test: kernel failure/],
    ['calls process.exit mid-product', once('process.exit(3)'), /worker 1 stopped \(exit code 3\)/],
    [
      'runs out of its heap limit mid-product (ERR_WORKER_OUT_OF_MEMORY)',
      once('const junk = []; for (;;) junk.push(new Array(1e4).fill(0.5))', ', resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 }'),
      /ERR_WORKER_OUT_OF_MEMORY/,
    ],
  ])('a worker that %s', (_, hook, why) => {
    const r = sabotaged(hook);
    expect(r.status, r.stderr).toBe(0);
    const out = r.out!;
    expect(out.sabotaged).toBeGreaterThan(0); // the sabotage did run in a worker
    expect(out.wrong).toBe(0);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(why);
    expect(out.warnings[0]).toMatch(/work was done on the calling thread/);
    expect(out.calls).toBeGreaterThan(out.callsAtFailure); // a new pool's workers computed shares again
  });

  it('a worker that fails to load, then a new pool', () => {
    const prelude = `{ const wd = process.getBuiltinModule('node:worker_threads').workerData; if (Atomics.add(new Int32Array(wd.testData), 1, 1) === 0) throw new Error('test: worker load failure'); }\n${kernelSabotage('', false)}`;
    const r = sabotaged(`{ testData: probe.buffer, workerPrelude: ${JSON.stringify(prelude)} }`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.wrong).toBe(0);
    expect(r.out!.warnings).toEqual([expect.stringMatching(/worker 1 failed: Error: test: worker load failure/)]);
    expect(r.out!.calls).toBeGreaterThan(r.out!.callsAtFailure);
  });

  it('a keeper thread that fails to start, then a new pool', () => {
    const keeper = `{ const wd = process.getBuiltinModule('node:worker_threads').workerData; if (Atomics.add(new Int32Array(wd.testData), 1, 1) === 0) throw new Error('test: keeper failure'); }\n`;
    const r = sabotaged(`{ testData: probe.buffer, keeperPrelude: ${JSON.stringify(keeper)}, workerPrelude: ${JSON.stringify(kernelSabotage(''))} }`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.wrong).toBe(0);
    expect(r.out!.warnings).toEqual([expect.stringMatching(/keeper thread failed: test: keeper failure/)]);
    expect(r.out!.calls).toBeGreaterThan(r.out!.callsAtFailure);
  });

  it('threads turn off after three failed pools in a row; shutdownThreads() allows them again', () => {
    const r = sabotaged(`{ testData: probe.buffer, workerPrelude: ${JSON.stringify(kernelSabotage("throw new Error('test: always')", true))} }`, {
      after: 0,
      end: `
// each new pool's worker fails at its first share: products until the third failure turned threads off
for (let i = 0; i < 600 && warnings.length < 2; i++) { product(); await sleep(20); }
const offWarnings = warnings.length;
const callsWhenOff = Atomics.load(probe, 0);
product(); // threads are off: this product runs on the calling thread alone
const callsOff = Atomics.load(probe, 0) - callsWhenOff;
setPoolTestHook({ testData: probe.buffer, workerPrelude: ${JSON.stringify(kernelSabotage(''))} });
await lowp.shutdownThreads();
const before = Atomics.load(probe, 0);
for (let i = 0; i < 300 && Atomics.load(probe, 0) === before; i++) { product(); await sleep(20); }
console.log(JSON.stringify({ offWarnings, callsOff, resumed: Atomics.load(probe, 0) - before }));
`,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const end = JSON.parse(lines[lines.length - 2]);
    expect(r.out!.wrong).toBe(0);
    expect(r.out!.warnings).toEqual([expect.stringMatching(/thread failed \(worker 1 threw Error: test: always\)/), expect.stringMatching(/failed 3 times in a row .* products now run on the calling thread/)]);
    expect(end.offWarnings).toBe(2);
    expect(end.callsOff).toBe(0);
    expect(end.resumed).toBeGreaterThan(0);
  });

  it('a Worker constructor that throws (a runtime without eval workers): products run on the calling thread', () => {
    const r = sabotaged(`null`, {
      head: `process.getBuiltinModule('node:worker_threads').Worker = class { constructor() { throw new Error('test: no eval workers'); } };`,
      after: 10,
      tries: 10,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.wrong).toBe(0);
    expect(r.out!.warnings).toEqual([expect.stringMatching(/cannot start worker threads: test: no eval workers; products run on the calling thread/)]);
  });
});

describe('worker pool under a server-like load', () => {
  it('concurrent products from async tasks all equal the single-thread ones, and the process exits by itself', () => {
    const r = runChild(`
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const warnings = [];
process.on('warning', (w) => warnings.push(w.message));
async function task(seed) {
  let wrong = 0;
  for (let i = 0; i < 6; i++) {
    const m = 64 + ((seed * 37 + i * 11) % 5) * 48, k = 96 + (seed % 3) * 40, n = 80 + i * 24;
    const a = { rows: m, cols: k, data: Float32Array.from({ length: m * k }, (_, j) => Math.sin(j + seed)) };
    const b = { rows: k, cols: n, data: Float32Array.from({ length: k * n }, (_, j) => Math.cos(j * seed)) };
    await sleep((seed * 7 + i * 3) % 11);
    const one = lowp.matmul(a, b, { threads: 1 }).data;
    const many = lowp.matmul(a, b, { threads: 2 + (seed % 3) }).data;
    if (!one.every((v, j) => Object.is(v, many[j]))) wrong++;
  }
  return wrong;
}
const wrong = (await Promise.all(Array.from({ length: 8 }, (_, s) => task(s + 1)))).reduce((x, y) => x + y, 0);
console.log(JSON.stringify({ wrong, warnings }));
`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ wrong: 0, warnings: [] });
  });
});
