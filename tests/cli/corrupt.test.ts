// Corrupt and hostile files (the corpus of tests/fixtures/corrupt, with the expected SafetensorsError
// code of each): `lowp check` and `lowp quant-error` exit with status 2 and print exactly one line on
// stderr, `lowp: <file>: <what was expected, what came>`, with no stack trace and no hang; the same
// through the real process. Plus a fast-check fuzz: random byte edits of a valid file give exit status
// 0 or 2 with at most one line on stderr, never an exception out of run().
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/io/safetensors/writer.js';
import { FIXTURES } from '../helpers/vectors.js';
import { expectOneLineError, runCli, spawnCli } from './helpers.js';

const CORRUPT = join(FIXTURES, 'corrupt');
const expected = JSON.parse(readFileSync(join(CORRUPT, 'expected.json'), 'utf8')) as Record<string, { code: string; what: string }>;
const files = Object.keys(expected);
const tmp = mkdtempSync(join(tmpdir(), 'lowp-corrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The shared one-line check, and no error class name ('…Error:') in the line. */
function expectOneLineRefusal(r: { code: number; stderr: string; stdout: string }, file: string): void {
  expect(expectOneLineError(r, file)).not.toMatch(/Error:/);
}

describe('corrupt safetensors files (tests/fixtures/corrupt)', () => {
  it(`the corpus is there (${files.length} files)`, () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of files) {
    it(`${file} (${expected[file].what}): exit 2, one line naming the file`, async () => {
      const path = join(CORRUPT, file);
      for (const cmd of [['check', path, '--to', 'fp16'], ['quant-error', path, '--methods', 'int8-row']]) {
        const r = await runCli(cmd);
        expectOneLineRefusal(r, file);
        expect(r.stderr).toContain(file);
      }
    });
  }

  it('through the real process: exit 2, one line, no stack trace, no hang', async () => {
    for (const file of ['header-length-2p63.safetensors', 'overlapping-offsets.safetensors', 'proto-key-nested.safetensors', 'truncated.safetensors']) {
      const r = await spawnCli(['check', join(CORRUPT, file), '--to', 'bf16'], { timeoutMs: 20_000 });
      expect(r.signal, file).toBeNull();
      expectOneLineRefusal(r, file);
    }
  });

  it('LOWP_DEBUG=1 adds the stack trace', async () => {
    const r = await runCli(['check', join(CORRUPT, 'not-json.safetensors')], { env: { LOWP_DEBUG: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a missing file, a folder without safetensors files and a non-file are one-line errors', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    for (const p of [join(tmp, 'nope.safetensors'), empty]) {
      const r = await runCli(['check', p]);
      expectOneLineRefusal(r, p);
    }
  });

  it('--html never overwrites the checkpoint being read (it replaced the model with the report)', async () => {
    const model = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 1e-9]) } });
    const dir = mkdtempSync(join(tmp, 'html-'));
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, model);
    const index = join(dir, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: { w: 'model.safetensors' } }));
    for (const [input, html] of [[file, file], [dir, file], [index, file], [index, index], [dir, index]]) {
      const r = await runCli(['check', input, '--to', 'fp16', '--html', html]);
      expectOneLineRefusal(r, html);
      expect(r.stderr).toMatch(/--html: expected a report path other than the checkpoint being read/);
      expect(readFileSync(file)).toEqual(Buffer.from(model));
    }
    // a report next to the model is fine
    const ok = await runCli(['check', file, '--to', 'fp16', '--html', join(dir, 'report.html')]);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('a file without float tensors: check and quant-error both exit 2 with one line (quant-error printed an empty table, exit 0)', async () => {
    const cases: Array<[string, Uint8Array]> = [
      ['no-tensors.safetensors', writeSafetensors({})],
      ['ints-only.safetensors', writeSafetensors({ n: { dtype: 'I32', shape: [2], data: new Int32Array([1, 2]) } })],
    ];
    for (const [name, bytes] of cases) {
      const p = join(tmp, name);
      writeFileSync(p, bytes);
      for (const cmd of [['check', p], ['quant-error', p], ['quant-error', p, '--json']]) {
        const r = await runCli(cmd);
        expectOneLineRefusal(r, name);
        expect(r.stderr).toContain(`${p}: no floating-point tensor to ${cmd[0] === 'check' ? 'check' : 'measure'} (`);
      }
    }
  });
});

describe('fuzz: random edits of a valid file', () => {
  const valid = writeSafetensors(
    {
      a: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3e-9, 70000, 0, 0.5]) },
      b: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x0001]) },
      c: { dtype: 'I32', shape: [1], data: new Int32Array([7]) },
    },
    { note: 'fuzz' },
  );

  it('exit status 0 or 2, at most one line on stderr, never a throw', async () => {
    const path = join(tmp, 'fuzz.safetensors');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
        async (edits, cut) => {
          const bytes = valid.slice(0, cut ?? valid.length);
          for (const [i, v] of edits) if (i < bytes.length) bytes[i] = v;
          writeFileSync(path, bytes);
          const r = await runCli(['check', path, '--to', 'fp16', '--json']);
          expect([0, 2]).toContain(r.code);
          if (r.code === 2) {
            expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
            expect(r.stdout).toBe('');
          } else {
            expect(JSON.parse(r.stdout).schema).toBe('lowp.cast-report/1');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
