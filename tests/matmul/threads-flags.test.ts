// Issue 13's repro: a threaded product from code given to Node on standard input or with -e/--eval as
// an ES module hung forever (the pool's eval'd workers inherited --input-type=module, failed to load,
// and the caller waited in Atomics.wait). Each mode runs as a child process with a bounded timeout and
// must print 512: code from stdin or -e/--eval runs in this repository, where `import('lowp')` resolves
// to the package itself (dist/, built by `npm run build`, which `npm test` runs first); the file runs
// in a temporary project whose node_modules/lowp links to this repository.
// The longer script runs products 100 ms apart, so that a worker that failed to load would be noticed
// (its pool is reported broken at the next product, with a LOWP_THREADS warning): no warning may come,
// also when NODE_OPTIONS and --import carry preloads that throw in any worker thread (workers start
// with an empty execArgv and without NODE_OPTIONS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'lowp-flags-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const REPRO = `const L = await import('lowp');
const n = 512, a = { rows: n, cols: n, data: new Float32Array(n * n).fill(1) };
console.log(L.matmul(a, a, { threads: 2 }).data[0]);
`;

const LONGER = `const L = await import('lowp');
process.on('warning', (w) => console.log('WARNING ' + w.code + ' ' + w.message));
const n = 512, a = { rows: n, cols: n, data: new Float32Array(n * n).fill(1) };
const b = { rows: 300, cols: 200, data: Int8Array.from({ length: 60000 }, (_, i) => (i % 255) - 127) };
for (let i = 0; i < 6; i++) {
  L.matmul(a, a, { threads: 2 });
  L.int8Matmul(b, b, { transB: true, threads: 2 });
  await new Promise((r) => setTimeout(r, 100));
}
console.log(L.matmul(a, a, { threads: 2 }).data[0]);
`;

// preloads that make any worker thread that runs them fail at once
const THROW_IN_WORKERS_CJS = `if (!require('node:worker_threads').isMainThread) throw new Error('test: a preload reached a worker');\n`;
const THROW_IN_WORKERS_MJS = `import { isMainThread } from 'node:worker_threads';\nif (!isMainThread) throw new Error('test: a preload reached a worker');\n`;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is not built: run `npm run build` first (`npm test` does it)');
  writeFileSync(join(work, 'mm.mjs'), REPRO);
  writeFileSync(join(work, 'longer.mjs'), LONGER);
  writeFileSync(join(work, 'throw-in-workers.cjs'), THROW_IN_WORKERS_CJS);
  writeFileSync(join(work, 'throw-in-workers.mjs'), THROW_IN_WORKERS_MJS);
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(root, join(work, 'node_modules', 'lowp'), 'dir');
});

/** Runs node with `args` in the repository root (where 'lowp' is the package itself), 60 s at most. */
function node(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, args, { cwd: opts.cwd ?? root, input: opts.input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...opts.env } });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const script = (name: string) => join(work, name);
const source = (name: string) => readFileSync(script(name), 'utf8');

describe("issue 13's repro: a threaded product from stdin, -e, --eval and a file", () => {
  const modes: [string, (name: string) => ReturnType<typeof node>][] = [
    ['a file in a project that depends on lowp', (name) => node([script(name)], { cwd: work })],
    ['stdin (--input-type=module -)', (name) => node(['--input-type=module', '-'], { input: source(name) })],
    ['-e (--input-type=module)', (name) => node(['--input-type=module', '-e', source(name)])],
    ['--eval (--input-type=module)', (name) => node(['--input-type=module', '--eval', source(name)])],
    ['stdin, --input-type=module in NODE_OPTIONS', (name) => node(['-'], { input: source(name), env: { NODE_OPTIONS: '--input-type=module' } })],
  ];

  it.each(modes)('%s prints 512', (_, run) => {
    const r = run('mm.mjs');
    expect(r.signal, 'killed at the timeout: the product hung').toBe(null);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('512\n');
  });

  it.each(modes)('%s: products 100 ms apart, no worker failure', (_, run) => {
    const r = run('longer.mjs');
    expect(r.signal).toBe(null);
    expect(r.stdout).toBe('512\n');
    expect(r.status).toBe(0);
  });

  it('--require and --import preloads (in NODE_OPTIONS and on the command line) do not reach the workers', () => {
    const r = node(['--import', script('throw-in-workers.mjs'), '--input-type=module', '-'], {
      input: source('longer.mjs'),
      env: { NODE_OPTIONS: `--require ${script('throw-in-workers.cjs')}` },
    });
    expect(r.signal).toBe(null);
    expect(r.stdout).toBe('512\n');
    expect(r.status).toBe(0);
  });

  it('the preloads do break workers that take them (so the test above can fail)', () => {
    // a plain eval worker started with the default options inherits NODE_OPTIONS' --require
    const r = node(['-e', "const { Worker } = require('node:worker_threads'); new Worker('1', { eval: true }).on('error', (e) => console.log(e.message));"], {
      env: { NODE_OPTIONS: `--require ${script('throw-in-workers.cjs')}` },
    });
    expect(r.stdout).toContain('test: a preload reached a worker');
  });
});
