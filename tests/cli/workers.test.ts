// `lowp check`'s analysis workers when one fails: the built CLI (dist/cli/main.js, made by `npm run
// build`, which `npm test` runs first) checks a generated 8-tensor file with --threads 2 in a child
// process (bounded timeout), with a preload that sabotages the workers: the first worker handed a second
// tensor is terminated instead (a worker killed mid-check), the first worker is terminated right after
// its first tensor, every worker starts from a module that throws (workers that fail to load), or the
// first Worker constructor throws.
// The check must end with exit status 0 and exactly the tensors' analyses of --threads 1, and say on
// stderr, in one line, which worker failed. (The preload, given with --import, acts on the main thread
// only.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/io/safetensors/writer.js';
import { ROOT } from './helpers.js';

const bin = join(ROOT, 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'lowp-check-workers-'));
const file = join(work, 'eight.safetensors');
const killer = join(work, 'killer.mjs');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KILLER = `
import wt from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
const mode = process.env.LOWP_TEST_SABOTAGE;
if (wt.isMainThread && mode) {
  const Real = wt.Worker;
  let made = 0;
  let killed = false;
  wt.Worker = class extends Real {
    constructor(entry, opts) {
      const first = ++made === 1;
      if (first && mode === 'constructor-throws') throw new Error('test: no workers here');
      super(mode === 'fails-to-load' ? new URL('data:text/javascript,throw new Error("test: worker load failure")') : entry, opts);
      this.first = first;
      this.given = 0;
    }
    postMessage(m, transfer) {
      if (m && typeof m.name === 'string') {
        this.given++;
        // the first worker handed a second tensor (one exists: 8 tensors, 2 workers) dies instead
        if (mode === 'killed-on-second-tensor' && this.given === 2 && !killed) {
          killed = true;
          return void this.terminate();
        }
        super.postMessage(m, transfer);
        if (mode === 'killed-after-first-tensor' && this.first && this.given === 1) void this.terminate();
        return;
      }
      return super.postMessage(m, transfer);
    }
  };
  syncBuiltinESMExports();
}
`;

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is not built: run \`npm run build\` first (\`npm test\` does it)`);
  const tensors: Record<string, { dtype: 'F32' | 'BF16'; shape: number[]; data: Float32Array | Uint16Array }> = {};
  for (let i = 0; i < 8; i++) {
    const n = 1 << 18;
    tensors[`layer${i}.weight`] = i % 3 === 2
      ? { dtype: 'BF16', shape: [512, 512], data: Uint16Array.from({ length: n }, (_, j) => (j * 2654435761 + i) & 0x7f7f) }
      : { dtype: 'F32', shape: [512, 512], data: Float32Array.from({ length: n }, (_, j) => Math.sin(j * (i + 1)) * 10 ** ((j % 11) - 5)) };
  }
  writeSafetensorsFile(file, tensors);
  writeFileSync(killer, KILLER);
});

function check(threads: string, sabotage?: string) {
  const r = spawnSync(process.execPath, ['--import', killer, bin, 'check', file, '--to', 'fp16', '--json', '--threads', threads], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: 60_000,
    env: { ...process.env, LOWP_TEST_SABOTAGE: sabotage ?? '' },
  });
  return { ...r, json: r.status === 0 ? JSON.parse(r.stdout) : null };
}

describe('lowp check --threads 2 when a worker thread fails', () => {
  let reference: { tensors: unknown; summary: { counts: unknown } };
  beforeAll(() => {
    const r = check('1');
    expect(r.status, r.stderr).toBe(0);
    reference = r.json;
  });

  it('with no failure: the analyses of --threads 1, no warning', () => {
    const r = check('2');
    expect(r.signal).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.json.check.options.threads).toBe(2);
    expect(r.json.tensors).toEqual(reference.tensors);
  });

  it.each([
    ['killed-on-second-tensor', /^lowp: warning: worker thread [12] stopped \(exit code 1\) before the check was done; the remaining [1-7] tensors? (was|were) analysed on the main thread$/],
    ['fails-to-load', /^lowp: warning: worker thread [12] failed: test: worker load failure; the remaining 8 tensors were analysed on the main thread$/],
    ['constructor-throws', /^lowp: warning: worker thread 1 could not start: test: no workers here; the remaining 8 tensors were analysed on the main thread$/],
  ])('a worker %s: the same analyses, one warning line', (sabotage, warning) => {
    const r = check('2', sabotage);
    expect(r.signal, 'killed at the timeout: the check hung').toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.tensors).toEqual(reference.tensors);
    expect(r.json.summary.counts).toEqual(reference.summary.counts);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(warning);
  });

  it('a worker terminated while analysing its first tensor: the same analyses', () => {
    const r = check('2', 'killed-after-first-tensor');
    expect(r.signal).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.tensors).toEqual(reference.tensors);
    expect(r.stderr).toMatch(/^(|lowp: warning: worker thread 1 stopped \(exit code 1\) before the check was done; .*\n)$/);
  });
});
