// `lowp check` and `lowp quant-error` on GGUF files: the public GGUF (gguf-py's model.gguf) is analysed
// tensor by tensor on its dequantized values (ggml block types count as float tensors), with figures
// that match the oracle's dequantized values (gguf-expected.safetensors, read here independently);
// every broken file of tests/fixtures/gguf/make-broken.mjs exits with status 2 and one line naming the
// file, in-process and through the real process; worker threads give the single-thread analyses.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCastAnalyzer } from '../../src/diagnostics/analyzeCast.js';
import { toJsonSafe } from '../../src/diagnostics/report.js';
import { openGguf, writeGguf } from '../../src/io/index.js';
import { dequantizeGgml } from '../../src/quant/index.js';
import { rawTensors } from '../helpers/torch-vectors.js';
import { FIXTURES } from '../helpers/vectors.js';
import { brokenCases } from '../fixtures/gguf/make-broken.mjs';
import { CLI_BIN, expectOneLineError, runBuiltJson, runCli, spawnCli } from './helpers.js';

const MODEL = join(FIXTURES, 'gguf', 'model.gguf');
const tmp = mkdtempSync(join(tmpdir(), 'lowp-gguf-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** max |x| of each tensor of gguf-expected.safetensors (ggml's dequantized values), read without lowp. */
function oracleMaxAbs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, { bytes }] of rawTensors(join(FIXTURES, 'gguf', 'gguf-expected.safetensors'))) {
    out.set(k, new Float32Array(bytes.buffer).reduce((m, y) => Math.max(m, Math.abs(y)), 0));
  }
  return out;
}

describe('lowp check model.gguf', () => {
  it('--to fp16 analyses every tensor, quantized ones on their dequantized values (max |x| as ggml dequantizes)', async () => {
    const r = await runCli(['check', MODEL, '--to', 'fp16', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.check.input.skipped).toEqual([]);
    expect(report.summary.counts.total).toBe(8 * 64 + 4 * 32 + 2 * 64 + 7 * 6 * 256);
    const want = oracleMaxAbs();
    expect(report.tensors.map((t: { name: string }) => t.name).sort()).toEqual([...want.keys()].sort());
    for (const t of report.tensors) expect(t.range.maxAbs, t.name).toBe(want.get(t.name));
    expect(report.tensors.find((t: { name: string }) => t.name === 'blk.q4_k.weight').dtype).toBe('Q4_K');
  });

  it('the text report names the ggml types', async () => {
    const r = await runCli(['check', MODEL, '--to', 'bf16']);
    expect(r.code, r.stderr).toBe(0);
    for (const t of ['Q4_K', 'Q8_0', 'MXFP4', 'Q6_K', 'BF16']) expect(r.stdout).toContain(t);
  });

  it('quant-error measures the dequantized GGUF tensors too', async () => {
    const r = await runCli(['quant-error', MODEL, '--methods', 'int8-row', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('blk.q4_k.weight');
  });

  it.skipIf(!existsSync(CLI_BIN))('--threads 2 (worker threads opening the GGUF file) gives the analyses of --threads 1', () => {
    const one = runBuiltJson(['check', MODEL, '--to', 'fp16'], 1);
    const two = runBuiltJson(['check', MODEL, '--to', 'fp16'], 2);
    expect(two.check.options.threads).toBe(2);
    expect(two.tensors).toEqual(one.tensors);
  });
});

describe('lowp check on Q8_0 and Q4_K tensors (streamed as raw blocks into the fused analysis)', () => {
  /** Random blocks; fp16 scales of every kind in some blocks (zero, subnormal, inf, NaN, large). */
  function blocks(type: 'Q8_0' | 'Q4_K', nb: number, seed: number): Uint8Array {
    const ts = type === 'Q8_0' ? 34 : 144;
    const b = new Uint8Array(nb * ts);
    let s = seed;
    const r = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
    for (let i = 0; i < b.length; i++) b[i] = r() & 255;
    for (let j = 0; j < nb; j++) {
      for (const p of type === 'Q8_0' ? [j * ts] : [j * ts, j * ts + 2]) {
        const u = r();
        const h = u % 50 === 0 ? [0, 0x8000, 0x0001, 0x7c00, 0x7e00, 0x7bff, 0x03ff][u % 7] : ((3 + (u % 12)) << 10) | ((u >>> 8) & 0x3ff) | (u & 0x8000);
        b[p] = h & 255;
        b[p + 1] = h >> 8;
      }
    }
    return b;
  }

  it('the same tensor analyses as the dequantized values fed chunk by chunk to the analyzer (every figure), with --chunk and --threads', async () => {
    const path = join(tmp, 'q8-q4k.gguf');
    // rows of 4096 values; Q8_0: 40 rows (163,840 values), Q4_K: 24 rows, one short of a multiple of --chunk
    writeFileSync(path, writeGguf({
      metadata: { 'general.architecture': 'llama' },
      tensors: [
        { name: 'a.q8', type: 'Q8_0', shape: [40, 4096], data: blocks('Q8_0', 40 * 128, 11) },
        { name: 'b.q4k', type: 'Q4_K', shape: [24, 4096], data: blocks('Q4_K', 24 * 16, 12) },
        { name: 'c.q8small', type: 'Q8_0', shape: [1, 32], data: blocks('Q8_0', 1, 13) },
      ],
    }));
    const f = await openGguf(path);
    for (const to of ['fp16', 'bf16', 'fp8-e4m3fn']) {
      for (const chunk of [1 << 20, 40_000]) {
        const r = await runCli(['check', path, '--to', to, '--json', '--chunk', String(chunk)]);
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout);
        for (const t of f.tensors) {
          // what the CLI gave before the fused path: dequantized chunks of the same size, added in turn
          const an = createCastAnalyzer(to, { topK: 5 });
          const raw = (await f.tensor(t.name)).data as Uint8Array;
          const per = t.type === 'Q8_0' ? 32 : 256;
          const step = Math.max(per, chunk - (chunk % per));
          const ts = t.type === 'Q8_0' ? 34 : 144;
          for (let v = 0; v < t.elements; v += step) an.add(dequantizeGgml(raw.subarray((v / per) * ts, (Math.min(t.elements, v + step) / per) * ts), t.type));
          const want = toJsonSafe(an.finish()) as Record<string, unknown>;
          const got = report.tensors.find((x: { name: string }) => x.name === t.name);
          expect(Object.fromEntries(Object.keys(want).map((k) => [k, got[k]])), `${t.name} → ${to}, chunk ${chunk}`).toEqual(want);
        }
      }
    }
    await f.close();
    if (existsSync(CLI_BIN)) {
      const runBin = (threads: number) => runBuiltJson(['check', path, '--to', 'fp16'], threads);
      expect(runBin(2).tensors).toEqual(runBin(1).tensors);
      const one = await runCli(['check', path, '--to', 'fp16', '--json']);
      expect(runBin(1).tensors).toEqual(JSON.parse(one.stdout).tensors);
    }
  });
});

describe('lowp check on broken GGUF files: exit 2, one line', () => {
  const cases = brokenCases();
  it(`every broken file (${cases.length}), with check and quant-error`, async () => {
    for (const c of cases) {
      const path = join(tmp, c.name);
      writeFileSync(path, c.bytes);
      for (const cmd of [['check', path, '--to', 'fp16'], ['quant-error', path, '--methods', 'int8-row']]) {
        const r = await runCli(cmd);
        expectOneLineError(r, c.name, c.name);
      }
    }
  });

  it('through the real process: exit 2, one line, no stack trace, no hang', async () => {
    for (const c of cases.filter((x) => ['tensor-count-2p40.gguf', 'big-endian-version.gguf', 'nested-array.gguf', 'overlap.gguf', 'data-cut.gguf'].includes(x.name))) {
      const path = join(tmp, `real-${c.name}`);
      writeFileSync(path, c.bytes);
      const r = await spawnCli(['check', path, '--to', 'bf16'], { timeoutMs: 20_000 });
      expect(r.signal, c.name).toBeNull();
      expectOneLineError(r, c.name, c.name);
    }
  });
});
