// The worker pool never keeps a process alive: a child process that ran threaded products (and one
// that called shutdownThreads) exits by itself with status 0, quickly. Also checks threaded results
// against the single-thread ones inside the child, for a product large enough to use the default pool.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { availableThreads } from '../../src/matmul/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = pathToFileURL(join(root, 'src', 'matmul', 'index.ts')).href;

function runChild(body: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), 'lowp-threads-'));
  const file = join(dir, 'child.mts');
  writeFileSync(file, `import * as lowp from '${entry}';\n${body}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
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
    expect(r.ms).toBeLessThan(30_000);
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
