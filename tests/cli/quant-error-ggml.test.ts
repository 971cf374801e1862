// `lowp quant-error --methods q4_k,nf4,ggml-mxfp4`: the ggml types beside NF4 and OCP MXFP4 on the same
// tensors with the same metrics; each cell equals lowp/quant's quantRoundTrip + compare with the tensor's
// rows along its innermost dimension (ggml's ne[0]); a tensor whose rows are not whole blocks gets an n/a
// cell with the reason (never padded, even when the whole tensor would be whole blocks); names in ggml's
// spelling work, 'MXFP4' in capitals is ambiguous (exit 2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleTensors } from '../../src/cli/sample/transformer.js';
import { writeSafetensorsFile } from '../../src/io/safetensors/writer.js';
import { quantRoundTrip, type QuantMethodName } from '../../src/quant/methods.js';
import { compare } from '../../src/quant/metrics.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lowp-qe-ggml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.731 + s) * 0.03));
const FILE = join(dir, 'odd.safetensors');
const odd = data(900, 1);
const cube = data(512, 2);
writeSafetensorsFile(FILE, {
  odd: { dtype: 'F32', shape: [3, 300], data: odd },
  cube: { dtype: 'F32', shape: [2, 4, 64], data: cube }, // 512 values, rows of 64
});

interface Cell { method: string; sqnrDb: number | string | null; relL2: number | null; maxAbsError: number | null; bitsPerValue: number | null; verdict: string | null; error?: string }

describe('lowp quant-error with the ggml types', () => {
  it('--methods q4_k,nf4,ggml-mxfp4,mxfp4: figures equal quantRoundTrip + compare, bits per value from the layouts', async () => {
    const r = await runCli(['quant-error', '--sample', '--only', '^model\\.layers\\.0\\.(self_attn\\.q_proj|mlp\\.down_proj)\\.weight$', '--methods', 'q4_k,nf4,ggml-mxfp4,mxfp4,Q8_0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.methods).toEqual(['q4_k', 'nf4', 'ggml-mxfp4', 'mxfp4', 'q8_0']);
    expect(out.tensors).toHaveLength(2);
    for (const t of out.tensors as { name: string; shape: number[]; results: Cell[] }[]) {
      const x = sampleTensors().find((s) => s.name === t.name)!;
      const [rows, cols] = t.shape;
      for (const cell of t.results) {
        const q = quantRoundTrip(x.data, cell.method as QuantMethodName, { rows, cols });
        const c = compare(x.data, q.values);
        expect(cell.sqnrDb, cell.method).toBe(c.sqnrDb);
        expect(cell.relL2, cell.method).toBe(c.relL2);
        expect(cell.maxAbsError, cell.method).toBe(c.maxAbsError);
        expect(cell.error).toBeUndefined();
      }
      const bits = Object.fromEntries(t.results.map((c) => [c.method, c.bitsPerValue]));
      expect(bits).toEqual({ q4_k: 4.5, nf4: 4.5, 'ggml-mxfp4': 4.25, mxfp4: 4.25, q8_0: 8.5 });
      const db = Object.fromEntries(t.results.map((c) => [c.method, c.sqnrDb as number]));
      // on a Gaussian-like weight at 4.5 bits, Q4_K's two-level scales beat NF4's absmax per 64
      expect(db.q4_k).toBeGreaterThan(db.nf4);
      expect(db.nf4).toBeGreaterThan(db['ggml-mxfp4']);
      expect(db.q8_0).toBeGreaterThan(db.q4_k + 15);
    }
  });

  it('rows that are not whole blocks: an n/a cell with the reason; rows are the innermost dimension', async () => {
    const r = await runCli(['quant-error', FILE, '--methods', 'q4_k,q8_0,nf4', '--json']);
    expect(r.code).toBe(0);
    const t = Object.fromEntries((JSON.parse(r.stdout).tensors as { name: string; results: Cell[] }[]).map((x) => [x.name, Object.fromEntries(x.results.map((c) => [c.method, c]))]));
    expect(t.odd.q4_k).toMatchObject({ sqnrDb: null, relL2: null, bitsPerValue: null, verdict: null });
    expect(t.odd.q4_k.error).toBe('quantRoundTrip: q4_k cannot store a 3 × 300 tensor: row length 300 is not a multiple of 256 (Q4_K stores whole blocks of 256 values per row; llama-quantize would store this tensor as F16 (its rows are not whole 32-value Q5_0 blocks either))');
    expect(t.odd.q8_0.error).toMatch(/row length 300 is not a multiple of 32/);
    expect(t.odd.nf4.error).toBeUndefined();
    // [2, 4, 64]: 512 values would be two 256-blocks, but ggml's rows are 64 long
    expect(t.cube.q4_k.error).toMatch(/q4_k cannot store a 8 × 64 tensor: row length 64 is not a multiple of 256 .*as Q5_0\)$/);
    expect(t.cube.q8_0.sqnrDb).toBe(compare(cube, quantRoundTrip(cube, 'q8_0', { rows: 8, cols: 64 }).values).sqnrDb);
    const text = await runCli(['quant-error', FILE, '--methods', 'q4_k,nf4']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^odd\s+\[3, 300\]\s+q4_k\s+n\/a\s+—\s+n\/a\s+n\/a$/m);
    expect(text.stdout).toMatch(/^n\/a: odd: quantRoundTrip: q4_k cannot store a 3 × 300 tensor: row length 300/m);
  });

  it('--methods: ggml spellings in any case; MXFP4 in capitals is ambiguous (exit 2, one line)', async () => {
    const ok = await runCli(['quant-error', FILE, '--only', 'cube', '--methods', 'Q8_0,IQ4_NL,ggml-MXFP4', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).methods).toEqual(['q8_0', 'iq4_nl', 'ggml-mxfp4']);
    const bad = await runCli(['quant-error', FILE, '--methods', 'q4_k,MXFP4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lowp: --methods: ambiguous quantization method the string 'MXFP4': 'mxfp4' is OCP MXFP4 .*'ggml-mxfp4' is llama.cpp's MXFP4\n$/);
  });
});
