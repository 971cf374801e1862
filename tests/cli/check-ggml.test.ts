// `lowp check FILE --to q4_k` (any ggml type): on a planted safetensors file whose blocks are chosen to
// fail (tiny blocks whose fp16 scale rounds to 0, a huge one whose scale overflows, rows that are not
// whole blocks), the per-tensor block counts equal an independent count made from quantizeGgml's bytes
// (the fp16 d of every block read directly) and the block-scale limits; the JSON document has the
// documented schema; text, HTML, --fail-on exit statuses, usage errors; chunks of any size (whole rows
// or whole blocks) give the same analysis; the worker threads give the same analysis as one thread
// (built CLI); the built-in sample, the real digits-transformer weights, and a GGUF file's dequantized
// tensors (model.gguf of the shared vectors: the analysis of each tensor equals analyzeGgml of gguf-py's
// own dequantized values, gguf-expected.safetensors, read here without lowp's readers).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/io/safetensors/writer.js';
import { GGML_TYPES, quantizeGgml } from '../../src/quant/index.js';
import { ggmlScaleLimits } from '../../src/quant/ggml/scales.js';
import { rawTensors } from '../helpers/torch-vectors.js';
import { FIXTURES, SHARED_VECTORS, vectorsPath } from '../helpers/vectors.js';
import { analyzeGgml } from '../../src/quant/ggml/analyze.js';
import { CLI_BIN, ROOT, runBuiltJson, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lowp-check-ggml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded Gaussian values (std s). */
function gaussian(n: number, seed: number, s: number): Float32Array {
  let z = seed;
  const r = () => ((z = (z * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Float32Array.from({ length: n }, () => Math.fround(Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * s));
}

// w.tiny: 4 rows of 256; in rows 1-3, 32-value blocks at 1e-6 (below Q8_0's 3.78e-6: d rounds to 0),
// 2e-4 (a coarse subnormal Q8_0 scale) and 1e-3 (subnormal but fine), and row 3 wholly at 1e-9
const tiny = gaussian(1024, 2, 0.02);
const TINY_BLOCKS = [9, 10, 13, 17, 22]; // 32-value blocks at 1e-6
for (const b of TINY_BLOCKS) tiny.set(gaussian(32, b, 1e-6 / 3).map((v) => Math.max(-1e-6, Math.min(1e-6, v))), b * 32);
tiny.set(gaussian(32, 5, 2e-4 / 3).map((v) => Math.max(-2e-4, Math.min(2e-4, v))), 11 * 32);
tiny.set(gaussian(32, 6, 1e-3 / 3), 12 * 32);
tiny.set(gaussian(256, 7, 1e-9), 768);
const huge = gaussian(256, 3, 1);
huge[5] = 1e7; // Q8_0's d = 1e7/127 overflows fp16
const planted = {
  'w.normal': { dtype: 'F32' as const, shape: [8, 256], data: gaussian(2048, 1, 0.02) },
  'w.tiny': { dtype: 'F32' as const, shape: [4, 256], data: tiny },
  'w.huge': { dtype: 'F32' as const, shape: [1, 256], data: huge },
  'w.odd': { dtype: 'F32' as const, shape: [3, 300], data: gaussian(900, 4, 0.02) },
  'w.3d': { dtype: 'F32' as const, shape: [2, 4, 64], data: gaussian(512, 8, 0.02) }, // rows of 64: 512 values, but not whole 256-blocks
  'b.bias': { dtype: 'F32' as const, shape: [64], data: gaussian(64, 9, 0.1) },
  'ids': { dtype: 'I32' as const, shape: [4], data: new Int32Array([1, 2, 3, 4]) },
};
const FILE = join(dir, 'planted.safetensors');
writeSafetensorsFile(FILE, planted);

/** Independent count of a type's blocks whose fp16 d (read from quantizeGgml's bytes) is 0 / subnormal / inf. */
function dCounts(x: Float32Array, type: 'Q8_0' | 'Q4_K', dOffset: number): { zero: number; zeroNonzero: number; subnormal: number; inf: number } {
  const { blockSize: B, typeSize: T } = GGML_TYPES[type];
  const y = quantizeGgml(x, type);
  const c = { zero: 0, zeroNonzero: 0, subnormal: 0, inf: 0 };
  for (let b = 0; b < x.length / B; b++) {
    const h = (y[b * T + dOffset] | (y[b * T + dOffset + 1] << 8)) & 0x7fff;
    if (h === 0) {
      c.zero++;
      if (x.subarray(b * B, (b + 1) * B).some((v) => v !== 0)) c.zeroNonzero++;
    } else if (h < 0x400) c.subnormal++;
    else if (h >= 0x7c00) c.inf++;
  }
  return c;
}

const json = async (args: string[]) => {
  const r = await runCli([...args, '--json']);
  return { code: r.code, stderr: r.stderr, doc: JSON.parse(r.stdout) };
};
type JsonTensor = { name: string; status: string; verdict: string | null; reason: string | null; counts: Record<string, number> | null; error: Record<string, number | string> | null; rowLength: number; examples: { kind: string; block: number }[] };
const byName = (doc: { tensors: JsonTensor[] }) => Object.fromEntries(doc.tensors.map((t) => [t.name, t]));

describe('lowp check --to <ggml type> on a planted file', () => {
  it('Q8_0: block counts equal an independent count from the quantized bytes; verdicts per tensor', async () => {
    const { code, doc } = await json(['check', FILE, '--to', 'q8_0']);
    expect(code).toBe(0);
    const t = byName(doc);
    const ind = dCounts(tiny, 'Q8_0', 0);
    const lim = ggmlScaleLimits('Q8_0')!;
    // every planted 1e-6 block and the 8 blocks of the 1e-9 row: max |x| at or below the limit
    let below = 0;
    for (let b = 0; b < tiny.length / 32; b++) {
      const m = Math.max(...tiny.subarray(b * 32, (b + 1) * 32).map(Math.abs));
      if (m > 0 && m <= lim.zeroAtOrBelow!) below++;
    }
    expect(below).toBe(TINY_BLOCKS.length + 8);
    expect(t['w.tiny'].counts!.lostBlocks).toBe(ind.zeroNonzero);
    expect(t['w.tiny'].counts!.lostBlocks).toBe(below);
    expect(t['w.tiny'].counts!.subnormalScaleBlocks).toBe(ind.subnormal);
    expect(t['w.tiny'].counts!.coarseScaleBlocks).toBe(1); // the 2e-4 block: d ≈ 1.6e-6 keeps 5 bits < 7
    expect(t['w.tiny'].counts!.lostValues).toBe(32 * below);
    expect(t['w.tiny'].verdict).toBe('underflow-risk');
    expect(t['w.tiny'].examples.filter((e) => e.kind === 'lost').map((e) => e.block)).toEqual([9, 10, 13]);
    expect(t['w.huge'].counts!.infScaleBlocks).toBe(dCounts(huge, 'Q8_0', 0).inf);
    expect(t['w.huge'].counts!.infScaleBlocks).toBe(1);
    expect(t['w.huge'].verdict).toBe('overflow-risk');
    expect(t['w.huge'].error!.sqnrDb).toBe('-Infinity');
    expect(t['w.normal'].verdict).toBe('safe');
    expect(t['b.bias'].status).toBe('quantized');
    expect(t['w.3d'].status).toBe('quantized');
    expect(t['w.3d'].rowLength).toBe(64);
    expect(t['w.odd'].status).toBe('unsupported');
    expect(t['w.odd'].reason).toMatch(/^row length 300 is not a multiple of 32 \(Q8_0 stores whole blocks of 32 values per row; llama-quantize refuses such a tensor\)$/);
    expect(t['w.odd'].verdict).toBeNull();
    expect(doc.summary.verdict).toBe('overflow-risk');
    expect(doc.summary.unsupported).toBe(1);
    expect(doc.summary.counts.lostBlocks).toBe(below);
    expect(doc.check.input.skipped.map((s: { name: string }) => s.name)).toEqual(['ids']);
  });

  it('Q4_K: whole 256-value super-blocks; rows that are not whole blocks are reported, not padded', async () => {
    const { doc } = await json(['check', FILE, '--to', 'Q4_K']);
    const t = byName(doc);
    const ind = dCounts(tiny, 'Q4_K', 0);
    expect(t['w.tiny'].counts!.lostBlocks).toBe(ind.zeroNonzero);
    expect(t['w.tiny'].counts!.lostBlocks).toBe(1); // the 1e-9 row
    expect(t['w.tiny'].counts!.zeroedSubBlocks).toBeGreaterThan(0); // 1e-6 sub-blocks beside 0.02 ones
    expect(t['w.tiny'].verdict).toBe('underflow-risk');
    for (const [name, rowLength, instead] of [['w.odd', 300, 'F16'], ['w.3d', 64, 'Q5_0'], ['b.bias', 64, 'Q5_0']] as const) {
      expect(t[name].status).toBe('unsupported');
      expect(t[name].rowLength).toBe(rowLength);
      expect(t[name].reason).toContain(`row length ${rowLength} is not a multiple of 256`);
      expect(t[name].reason).toContain(`as ${instead}`);
      expect(t[name].counts).toBeNull();
    }
    expect(t['w.normal'].verdict).toBe('lossy'); // 4.5 bits: about 22 dB
    expect(Number(t['w.normal'].error!.sqnrDb)).toBeGreaterThan(20);
    expect(doc.target).toMatchObject({ type: 'Q4_K', blockSize: 256, typeSize: 144, bitsPerValue: 4.5, limits: null });
    expect(doc.summary.storedBytes).toBe((2048 + 1024 + 256) / 256 * 144);
  });

  it('the JSON document: schema lowp.ggml-check/1, check block version 3, no null lost to JSON', async () => {
    const { doc } = await json(['check', FILE, '--to', 'q4_0']);
    expect(doc.schema).toBe('lowp.ggml-check/1');
    expect(doc.generator).toEqual({ name: 'lowp', version: expect.any(String) });
    expect(doc.check.version).toBe(3);
    expect(doc.check.targetKind).toBe('ggml');
    expect(doc.check.targetInfo.type).toBe('Q4_0');
    expect(doc.target.limits.zeroAtOrBelow).toBeCloseTo(8 * 2 ** -25, 20); // d = max/−8
    for (const key of ['verdict', 'reasons', 'failOn', 'exitCode', 'options', 'input', 'bytes', 'seconds']) expect(doc.check).toHaveProperty(key);
    for (const key of ['tensors', 'quantized', 'unsupported', 'elements', 'storedBytes', 'counts', 'sqnrDb', 'medianSqnrDb', 'worstSqnr', 'byVerdict', 'verdict', 'worstTensors', 'reasons']) expect(doc.summary).toHaveProperty(key);
    for (const t of doc.tensors as JsonTensor[]) {
      if (t.status === 'quantized') {
        expect(t.counts!.total).toBe((planted as Record<string, { data: ArrayLike<number> }>)[t.name].data.length);
        expect(JSON.stringify({ ...t, reason: 0 })).not.toContain('null'); // reason is null by design; no number became null
      }
    }
    expect(doc.summary.counts.total).toBe(doc.summary.elements);
  });

  it('--fail-on: underflow, overflow, unsupported, lossy; usage errors exit 2 with one line', async () => {
    expect((await runCli(['check', FILE, '--to', 'q8_0', '--fail-on', 'underflow'])).code).toBe(1);
    expect((await runCli(['check', FILE, '--to', 'q8_0', '--fail-on', 'overflow'])).code).toBe(1);
    expect((await runCli(['check', FILE, '--to', 'q8_0', '--only', 'normal', '--fail-on', 'overflow,underflow,lossy,unsupported'])).code).toBe(0);
    const u = await runCli(['check', FILE, '--to', 'q4_k', '--only', 'odd|normal', '--fail-on', 'unsupported']);
    expect(u.code).toBe(1);
    expect(u.stdout).toMatch(/--fail-on unsupported: found unsupported \(exit status 1\)/);
    expect((await runCli(['check', FILE, '--to', 'q4_k', '--only', 'normal', '--fail-on', 'lossy'])).code).toBe(1);
    expect((await runCli(['check', FILE, '--to', 'q4_k', '--only', 'normal', '--fail-on', 'constants'])).code).toBe(0); // no constants for a ggml type
    expect((await runCli(['check', FILE, '--to', 'q4_k'])).code).toBe(0);
    for (const [to, msg] of [
      ['q4_x', /^lowp: --to: unknown ggml type; expected one of Q4_0, .*got the string 'q4_x'\n$/],
      ['q8_1', /^lowp: --to: Q8_1 is an intermediate type of ggml's dot products/],
      ['iq2_xxs', /^lowp: --to: lowp has no quantizer for IQ2_XXS yet/],
      ['fp12', /^lowp: --to: unknown format 'fp12'.*; or a ggml type \(Q4_0, /],
    ] as const) {
      const r = await runCli(['check', FILE, '--to', to]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('the text report: header with the type\'s limits, worst tensors, the tensors not stored, the verdict line', async () => {
    const { stdout } = await runCli(['check', FILE, '--to', 'Q8_0']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^lowp check .*planted\.safetensors → Q8_0: 6 tensors, 3,904 values quantized/);
    expect(lines[1]).toMatch(/its values are lost for a block max \|x\| ≤ 3\.78e-6, d is subnormal below 0\.00775, coarse \(fewer than 7 significant bits\) below 4\.81e-4, inf from 8321040\)$/);
    const header = lines.findIndex((l) => l.startsWith('tensor'));
    expect(lines[header + 2]).toMatch(/^w\.huge\s+F32\s+\[1, 256\]\s+overflow-risk/);
    expect(lines[header + 3]).toMatch(/^w\.tiny\s+F32\s+\[4, 256\]\s+underflow-risk .* 13 \(40\.6%\)/);
    expect(stdout).toMatch(/Not storable as Q8_0 \(1 tensor; never padded\):\n {2}w\.odd \[3, 300\]: row length 300 is not a multiple of 32/);
    expect(stdout).toMatch(/^Blocks: 122 of 32 values; lost \(scale 0\) 13 \(10\.7%\); subnormal d 2 \(1\.64%\) \(coarse 1 \(0\.82%\)\); inf d 1 \(0\.82%\)$/m);
    expect(lines[lines.length - 1]).toMatch(/^Verdict for Q8_0: overflow-risk: 1 tensor has blocks whose fp16 scale overflows to inf \(1 block; 32 values become inf or NaN\) \(w\.huge\); 1 tensor loses values to its block scales: 13 blocks lost to a zero scale, 1 block with a coarse subnormal scale; .*; 1 tensor cannot be stored as Q8_0/);
  });

  it('empty tensors, a scalar, and a tensor holding NaN/inf (its blocks left out, an overflow-risk)', async () => {
    const x = gaussian(768, 12, 0.1);
    x[3] = NaN;
    x[600] = -Infinity;
    const path = join(dir, 'edge.safetensors');
    writeSafetensorsFile(path, {
      empty: { dtype: 'F32', shape: [0, 256], data: new Float32Array(0) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([1]) },
      nan: { dtype: 'F32', shape: [3, 256], data: x },
    });
    const { code, doc } = await json(['check', path, '--to', 'q4_k', '--fail-on', 'overflow']);
    expect(code).toBe(1);
    const t = byName(doc);
    expect(t.empty).toMatchObject({ status: 'quantized', verdict: 'safe' });
    expect(t.empty.counts!.blocks).toBe(0);
    expect(t.scalar).toMatchObject({ status: 'unsupported', rowLength: 1 });
    expect(t.nan.verdict).toBe('overflow-risk');
    expect(t.nan.counts).toMatchObject({ blocks: 1, nonFiniteBlocks: 2, nonFiniteInputs: 2 });
    expect(doc.summary.reasons.join(' ')).toMatch(/1 tensor holds NaN or ±inf values: ggml's quantizers are undefined for them, so the 2 blocks holding them cannot be trusted/);
    const text = await runCli(['check', path, '--to', 'q4_k']);
    expect(text.stdout).toMatch(/^empty\s+F32\s+\[0, 256\]\s+safe\s+—\s+—\s+—/m);
  });

  it('the same analysis whatever the chunk: whole rows, or whole blocks when a row is longer than a chunk', async () => {
    const strip = (d: { tensors: unknown[]; summary: Record<string, unknown> }) => ({ tensors: d.tensors, counts: d.summary.counts, sqnr: d.summary.sqnrDb });
    for (const to of ['q8_0', 'q4_k', 'ggml-mxfp4']) {
      const ref = strip((await json(['check', FILE, '--to', to])).doc);
      for (const chunk of ['32', '256', '700']) expect(strip((await json(['check', FILE, '--to', to, '--chunk', chunk])).doc), `${to} --chunk ${chunk}`).toEqual(ref);
    }
  });

  it('the HTML report: self-contained, one histogram of block scales per quantized tensor, names escaped', async () => {
    const path = join(dir, 'q4k.html');
    const r = await runCli(['check', FILE, '--to', 'q4_k', '--html', path]);
    expect(r.code).toBe(0);
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain('<title>lowp check: ');
    expect(html).toContain('→ Q4_K</title>');
    expect(html.match(/class="chart"/g)?.length).toBe(3); // w.normal, w.tiny, w.huge
    expect(html).toContain('Not storable as Q4_K');
    expect(html).toContain('row length 300 is not a multiple of 256');
    expect(html).toContain('log2 |d| (block scale)');
    const { renderHtmlReport } = await import('../../src/cli/report-html.js');
    const { runCheck } = await import('../../src/cli/commands/check.js');
    const report = await runCheck(FILE, { to: 'q4_k', only: 'normal|odd' }, { stdout: { write: () => true }, stderr: { write: () => true }, cwd: ROOT });
    report.tensors[0].name = '<img src=x onerror=alert(1)></script>';
    report.tensors[1].name = '<b>odd</b>';
    const h = renderHtmlReport(report);
    expect(h).not.toContain('<img src=x');
    expect(h).not.toContain('<b>odd');
    expect(h.split('</script>').length - 1).toBe(3);
  });
});

describe('lowp check --to q4_k on the built-in sample and on the real model', () => {
  it('the sample: Adam second moments are lost (fp16 scales round to 0), weights are lossy (about 21 dB at 4.5 bits)', async () => {
    const { code, doc } = await json(['check', '--sample', '--to', 'q4_k']);
    expect(code).toBe(0);
    for (const t of doc.tensors as JsonTensor[]) {
      expect(t.status).toBe('quantized'); // every row of the sample is 256 or 1,024 values
      if (t.name.startsWith('optimizer.exp_avg_sq.')) {
        expect(t.verdict).toBe('underflow-risk');
        expect(t.counts!.lostBlocks).toBe(t.counts!.blocks);
      }
      if (/^model\..*(proj|embed_tokens)\.weight$/.test(t.name)) {
        expect(t.verdict).toBe('lossy');
        expect(t.counts!.lostBlocks + t.counts!.zeroedSubBlocks + t.counts!.coarseScaleBlocks + t.counts!.infScaleBlocks).toBe(0);
        expect(Number(t.error!.sqnrDb)).toBeGreaterThan(20);
        expect(Number(t.error!.sqnrDb)).toBeLessThan(24);
      }
    }
    expect(doc.summary.verdict).toBe('underflow-risk');
  }, 60_000);

  it(`digits-transformer weights (${vectorsPath('digits-transformer').source}): rows of 64 cannot be K-quants; Q8_0 is safe`, async () => {
    const path = vectorsPath('digits-transformer').path;
    const k = await json(['check', path, '--to', 'q4_k', '--only', '^weight\\.']);
    const t = byName(k.doc);
    expect(t['weight.enc.layers.0.linear1.weight'].status).toBe('unsupported'); // [256, 64]
    expect(t['weight.enc.layers.0.linear2.weight'].status).toBe('quantized'); // [64, 256]
    const q8 = await json(['check', path, '--to', 'q8_0', '--only', '^weight\\..*weight$']);
    for (const x of q8.doc.tensors as JsonTensor[]) if (x.status === 'quantized') expect(x.verdict).toBe('safe');
  });
});

describe('lowp check model.gguf --to <ggml type>: the dequantized tensors of a GGUF file', () => {
  const oracle = (file: string): string => (existsSync(join(SHARED_VECTORS, 'ggml', file)) ? join(SHARED_VECTORS, 'ggml', file) : join(FIXTURES, 'gguf', file));
  /** gguf-py's dequantized float32 tensors, parsed here. */
  function expected(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, { bytes }] of rawTensors(oracle('gguf-expected.safetensors'))) out.set(k, new Float32Array(bytes.buffer));
    return out;
  }

  for (const to of ['q4_k', 'q8_0', 'iq4_nl']) {
    it(`--to ${to}: each tensor's figures are analyzeGgml of gguf-py's dequantized values`, async () => {
      const { code, doc } = await json(['check', oracle('model.gguf'), '--to', to]);
      expect(code).toBe(0);
      const want = expected();
      const dtypes = new Set<string>();
      for (const t of doc.tensors as (JsonTensor & { dtype: string; shape: number[] })[]) {
        dtypes.add(t.dtype);
        const x = want.get(t.name)!;
        expect(x, t.name).toBeDefined();
        const rowLength = t.shape[t.shape.length - 1];
        if (t.status === 'unsupported') {
          expect(() => analyzeGgml(x, to, { rowLength })).toThrow(`row length ${rowLength} is not a multiple of`);
          continue;
        }
        const a = analyzeGgml(x, to, { rowLength });
        expect(t.counts, t.name).toEqual(a.counts);
        expect(t.verdict, t.name).toBe(a.verdict);
        expect(t.error!.sqnrDb, t.name).toBe(Number.isFinite(a.error.sqnrDb) ? a.error.sqnrDb : String(a.error.sqnrDb));
        expect(t.error!.maxAbsError, t.name).toBe(a.error.maxAbsError);
      }
      // the file's tensors are of many ggml types, all read dequantized
      for (const d of ['Q4_0', 'Q8_0', 'Q2_K', 'Q4_K', 'Q6_K', 'MXFP4', 'F16', 'BF16']) expect(dtypes).toContain(d);
    });
  }
});

describe('parallel ggml check (worker threads, built CLI)', () => {
  const haveBin = existsSync(CLI_BIN);
  if (!haveBin) console.warn(`tests/cli: ${CLI_BIN} not built; the worker-thread test is skipped`);
  it.skipIf(!haveBin)('--threads 2 gives exactly the analyses of --threads 1', () => {
    const one = runBuiltJson(['check', FILE, '--to', 'q4_k'], 1);
    const two = runBuiltJson(['check', FILE, '--to', 'q4_k'], 2);
    expect(two.check.options.threads).toBe(2);
    expect(two.tensors).toEqual(one.tensors);
    expect(two.summary).toEqual(one.summary);
  }, 60_000);
});
