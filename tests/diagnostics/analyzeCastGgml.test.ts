// CastAnalyzer.addGgml (ggml blocks as input) against its definition, `add(dequantizeGgml(blocks))`:
// for Q8_0 and Q4_K the fused WebAssembly kernels (src/wasm/kernels-analyze-ggml.ts, driver
// analyzeGgmlWasm in src/wasm/analyze.ts) must give the very same analysis, bit for bit — every count,
// histogram bin, maximum, error sum (so mean errors and SQNR), worst element and verdict — as the
// float32 kernel on the dequantized values, chunk by chunk; every other type and every other path
// (short inputs, targets or options off the kernel, WebAssembly turned off) dequantizes and adds.
// Data: random blocks with fp16 scales of every kind (normal, subnormal, zero, ±0, ±inf, NaN, huge,
// tiny: values that flush, turn subnormal or overflow in fp16 and fp8), codes random, constant, or
// every code value; random chunkings at block boundaries; several kernel calls (32768 values each)
// and partial groups. Also the driver itself against analyzeF32Wasm (totals, histogram, rescanned
// groups), the TypeScript twin (up to summation order, as for float32 input) and argument errors.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createCastAnalyzer, type CastAnalysis, type CastAnalysisOptions } from '../../src/diagnostics/analyzeCast.js';
import { HIST_OFFSET, HIST_SIZE } from '../../src/diagnostics/histogram.js';
import { getFormat } from '../../src/formats/registry.js';
import { dequantizeGgml, GGML_TYPES } from '../../src/quant/index.js';
import { ANALYZE_CHUNK, analyzeF32Wasm, analyzeGgmlWasm } from '../../src/wasm/analyze.js';
import { getKernels, setWasmEnabled } from '../../src/wasm/loader.js';
import { referenceCounts } from './reference.js';
import { expectEqualUpToSumOrder } from './sumOrder.js';

afterEach(() => { setWasmEnabled(true); });

type Fused = 'Q8_0' | 'Q4_K';
const SIZE: Record<Fused, { bs: number; ts: number }> = { Q8_0: { bs: 32, ts: 34 }, Q4_K: { bs: 256, ts: 144 } };

/** xorshift32 bytes from a seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

// fp16 scale kinds: normal in [2^-10, 2^-1), any bit pattern, the corner cases, tiny (subnormal and
// the smallest normals: Q8_0 values below fp16's and fp8's normal range), large (fp16 overflow)
const SCALE_KINDS = ['normal', 'any', 'corner', 'tiny', 'large'] as const;
type ScaleKind = (typeof SCALE_KINDS)[number];
const CORNERS = [0, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00, 0x3c00, 0x5bff, 0x5c00, 0x1c00, 0x2400];

function scale(kind: ScaleKind, r: () => number): number {
  const u = r();
  switch (kind) {
    case 'normal': return ((5 + (u % 10)) << 10) | ((u >>> 8) & 0x3ff) | (u & 0x8000);
    case 'any': return u & 0xffff;
    case 'corner': return CORNERS[u % CORNERS.length];
    case 'tiny': return ((u % 12) << 8) | ((u >>> 8) & 0xff) | (u & 0x8000);
    case 'large': return ((20 + (u % 11)) << 10) | ((u >>> 8) & 0x3ff) | (u & 0x8000);
  }
}

const CODE_KINDS = ['random', 'constant', 'every', 'extremes'] as const;
type CodeKind = (typeof CODE_KINDS)[number];

/** nb blocks of `type`: scales of `kinds` (one per block, cycling), codes of kind `codes`. */
function blocksOf(type: Fused, nb: number, kinds: readonly ScaleKind[], codes: CodeKind, seed: number): Uint8Array {
  const { ts } = SIZE[type];
  const r = rng(seed);
  const b = new Uint8Array(nb * ts);
  for (let i = 0; i < b.length; i++) b[i] = r() & 255;
  for (let j = 0; j < nb; j++) {
    const at = j * ts;
    const kind = kinds[j % kinds.length];
    const scales = type === 'Q8_0' ? [at] : [at, at + 2];
    for (const p of scales) {
      const h = scale(kind, r);
      b[p] = h & 255;
      b[p + 1] = h >> 8;
    }
    const q0 = type === 'Q8_0' ? at + 2 : at + 16; // codes: 32 int8, or 128 bytes of nibbles
    const nq = type === 'Q8_0' ? 32 : 128;
    const c = r() & 255;
    for (let k = 0; k < nq; k++) {
      if (codes === 'constant') b[q0 + k] = c;
      // Q8_0: every int8 over 8 blocks (−128 … 127); Q4_K: every nibble, in both halves of each byte
      else if (codes === 'every') b[q0 + k] = type === 'Q8_0' ? ((j * 32 + k) & 255) : ((k & 15) | ((15 - (k & 15)) << 4));
      else if (codes === 'extremes') b[q0 + k] = [0, 0x7f, 0x80, 0x81, 0xff, 0xf0, 0x0f][r() % 7];
    }
    if (type === 'Q4_K' && codes === 'every') {
      // scales and mins of the sub-blocks (6 bits): 0, 63 and in between; dmin·m equal to d·sc·q for
      // some q in places (values exactly zero)
      for (let k = 4; k < 16; k++) b[at + k] = [0, 63, 0xff, 1, 0x3f, 0xc0][(r() + k) % 6];
    }
  }
  return b;
}

/** The analysis of `parts` streamed: as ggml blocks (addGgml) or as their dequantized values (add). */
function stream(parts: readonly Uint8Array[], type: string, to: string, opts: CastAnalysisOptions, ggml: boolean): CastAnalysis {
  const an = createCastAnalyzer(to, opts);
  for (const p of parts) {
    if (ggml) an.addGgml(p, type);
    else an.add(dequantizeGgml(p, type));
  }
  return an.finish();
}

/** Splits `b` at block boundaries given by `cuts` (indices of blocks). */
function split(b: Uint8Array, ts: number, cuts: readonly number[]): Uint8Array[] {
  const nb = b.length / ts;
  const points = [...new Set(cuts.map((c) => c % (nb + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, nb]) { out.push(b.subarray(prev * ts, p * ts)); prev = p; }
  return out;
}

const TARGETS = ['bf16', 'fp16', 'fp8-e4m3fn', 'fp8-e5m2', 'fp6-e2m3fn', 'fp4-e2m1fn'];
const POLICIES: Record<string, (undefined | 'inf' | 'nan' | 'saturate')[]> = {
  bf16: ['inf', 'nan', 'saturate'], fp16: ['inf', 'nan', 'saturate'], 'fp8-e5m2': ['inf', 'nan', 'saturate'],
};
const configArb = fc.constantFrom(...TARGETS).chain((to) => fc.constantFrom(...(POLICIES[to] ?? [undefined, 'saturate' as const])).map((overflow) => ({ to, overflow })));
const kindsArb = fc.array(fc.constantFrom(...SCALE_KINDS), { minLength: 1, maxLength: 4 });

describe('CastAnalyzer.addGgml: Q8_0 and Q4_K blocks analysed by the fused kernels', () => {
  it('the kernels run here (else the comparisons below would be vacuous)', () => {
    expect(getKernels()).not.toBeNull();
    const b = blocksOf('Q8_0', 8, ['normal'], 'random', 1);
    const hist = new Float64Array(HIST_SIZE);
    expect(analyzeGgmlWasm(b, 'Q8_0', 10, -14, 0x477ff000, hist, HIST_OFFSET, () => 0, () => {})).not.toBeNull();
  });

  it('random blocks, scales of every kind, random chunking: the same analysis as add(dequantizeGgml(...)), bit for bit', () => {
    fc.assert(fc.property(
      fc.constantFrom<Fused>('Q8_0', 'Q4_K'), fc.integer({ min: 1, max: 40 }), kindsArb, fc.constantFrom(...CODE_KINDS),
      fc.array(fc.nat(64), { maxLength: 4 }), configArb, fc.integer({ min: 0, max: 30 }), fc.integer(),
      (type, nb0, kinds, codes, cuts, { to, overflow }, topK, seed) => {
        const nb = type === 'Q8_0' ? nb0 * 3 : nb0;
        const b = blocksOf(type, nb, kinds, codes, seed);
        const copy = b.slice();
        const parts = split(b, SIZE[type].ts, cuts);
        const opts = { topK, overflow };
        expect(stream(parts, type, to, opts, true), `${type} ${kinds} ${codes} ${to} ${overflow}`).toEqual(stream(parts, type, to, opts, false));
        expect(b).toEqual(copy);
      }), { numRuns: 250 });
  });

  it('every code value under scales of every kind (zero, ±0, subnormal, inf, NaN, fp16 overflow edge) and every target', () => {
    for (const type of ['Q8_0', 'Q4_K'] as const) {
      for (const kind of SCALE_KINDS) {
        for (const seed of [1, 2, 3]) {
          const b = blocksOf(type, type === 'Q8_0' ? 64 : 8, [kind], 'every', seed);
          for (const { to, overflow } of TARGETS.flatMap((t) => (POLICIES[t] ?? [undefined, 'saturate']).map((o) => ({ to: t, overflow: o })))) {
            const opts = { topK: 12, overflow };
            expect(stream([b], type, to, opts, true), `${type} ${kind} ${to} ${overflow}`).toEqual(stream([b], type, to, opts, false));
          }
        }
      }
    }
  });

  it('Q8_0 scales at the edges of fp16 and fp8: 128·|d| at the overflow threshold, |d| at the smallest normal', () => {
    // fp16: 128·d overflows from d = 65520/128 = 511.875 (0x5FFF is 511.75, 0x6000 is 512);
    // smallest normal 2^-14 (0x0400) and the largest subnormal (0x03FF); fp8-e4m3fn: 448/128 = 3.5
    for (const h of [0x5ffe, 0x5fff, 0x6000, 0x0400, 0x03ff, 0x4300, 0x4301, 0x42ff, 0x0001, 0x1c00]) {
      const b = blocksOf('Q8_0', 16, ['normal'], 'every', h);
      for (let j = 0; j < 16; j++) { b[j * 34] = h & 255; b[j * 34 + 1] = h >> 8; }
      for (const to of ['fp16', 'fp8-e4m3fn', 'bf16']) {
        for (const overflow of [undefined, 'saturate' as const]) {
          expect(stream([b], 'Q8_0', to, { overflow, topK: 40 }, true), `${h.toString(16)} ${to}`).toEqual(stream([b], 'Q8_0', to, { overflow, topK: 40 }, false));
        }
      }
    }
  });

  it('several kernel calls (32768 values each), partial last group and call, groups that all enter the worst list', () => {
    for (const type of ['Q8_0', 'Q4_K'] as const) {
      const { bs, ts } = SIZE[type];
      const nb = Math.ceil((3 * ANALYZE_CHUNK) / bs) + (type === 'Q8_0' ? 5 : 1); // 3 calls and a bit
      const b = blocksOf(type, nb, ['normal', 'normal', 'normal', 'corner', 'tiny'], 'random', 77);
      for (const to of ['bf16', 'fp16', 'fp8-e5m2']) {
        for (const topK of [0, 1, 10, 2000]) {
          const parts = [b, ...split(b, ts, [nb >> 1, 7, nb - 3])];
          for (const p of parts) expect(stream([p], type, to, { topK }, true), `${type} ${to} k=${topK}`).toEqual(stream([p], type, to, { topK }, false));
        }
      }
    }
  });

  it('analyzeGgmlWasm against analyzeF32Wasm on the dequantized values: totals, histogram and the groups it rescans', () => {
    fc.assert(fc.property(fc.constantFrom<Fused>('Q8_0', 'Q4_K'), fc.integer({ min: 1, max: 300 }), kindsArb, fc.constantFrom(...CODE_KINDS),
      fc.constantFrom(...TARGETS), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.integer(),
      (type, nb, kinds, codes, to, thr, seed) => {
        const b = blocksOf(type, nb, kinds, codes, seed);
        const x = dequantizeGgml(b, type);
        const f = getFormat(to);
        const ov = f.name === 'bf16' ? 0x7f7f8000 : new Uint32Array(new Float32Array([f.max * (1 + 2 ** -(f.mantissaBits + 1))]).buffer)[0];
        const run = (ggml: boolean) => {
          const hist = new Float64Array(HIST_SIZE);
          const groups: number[][] = [];
          // a threshold that rises with each rescan, as a worst list's does
          let t = thr;
          const totals = ggml
            ? analyzeGgmlWasm(b, type, f.mantissaBits, f.minNormalExponent, ov, hist, HIST_OFFSET, () => t, (s, e) => { groups.push([s, e]); t *= 1.01; })
            : analyzeF32Wasm(x, f.mantissaBits, f.minNormalExponent, ov, hist, HIST_OFFSET, () => t, (s, e) => { groups.push([s, e]); t *= 1.01; });
          return { totals, hist, groups };
        };
        const a = run(true), w = run(false);
        expect(a.totals).not.toBeNull();
        expect(a).toEqual(w);
      }), { numRuns: 120 });
  });

  it('Q8_0 blocks read without dequantizing (q8Range): fp16 scales drawn per block (zero, ±0, subnormal, inf, NaN, tiny, huge), codes drawn per byte (−128, 0, ±1, ±127 or any): the same analysis and kernel totals as the dequantized values, bit for bit', () => {
    // a group of 8 blocks takes q8Range when every scale is finite, nonzero and 128·|d| below the
    // overflow threshold; mixing special scales in some groups sends those to the general kernel
    const scaleArb = fc.oneof(
      fc.constantFrom(0, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x5fff, 0x6000, 0x4300, 0x1c00),
      fc.integer({ min: 0x0400, max: 0x3bff }).chain((h) => fc.constantFrom(h, h | 0x8000)),
      fc.integer({ min: 0, max: 0xffff }),
    );
    const codeArb = fc.oneof(fc.constantFrom(0x80, 0, 1, 0xff, 0x7f, 0x81), fc.integer({ min: 0, max: 255 }));
    const blockArb = fc.tuple(scaleArb, fc.array(codeArb, { minLength: 32, maxLength: 32 }));
    fc.assert(fc.property(fc.array(blockArb, { minLength: 1, maxLength: 40 }), configArb, fc.integer({ min: 0, max: 12 }),
      (blocks, { to, overflow }, topK) => {
        const b = new Uint8Array(blocks.length * 34);
        blocks.forEach(([h, codes], j) => { b[j * 34] = h & 255; b[j * 34 + 1] = h >> 8; b.set(codes, j * 34 + 2); });
        const opts = { topK, overflow };
        expect(stream([b], 'Q8_0', to, opts, true), `${to} ${overflow}`).toEqual(stream([b], 'Q8_0', to, opts, false));
        const f = getFormat(to);
        const ov = f.name === 'bf16' ? 0x7f7f8000 : new Uint32Array(new Float32Array([f.max * (1 + 2 ** -(f.mantissaBits + 1))]).buffer)[0];
        const run = (ggml: boolean) => {
          const hist = new Float64Array(HIST_SIZE);
          const groups: number[][] = [];
          const totals = ggml
            ? analyzeGgmlWasm(b, 'Q8_0', f.mantissaBits, f.minNormalExponent, ov, hist, HIST_OFFSET, () => 0, (s, e) => { groups.push([s, e]); })
            : analyzeF32Wasm(dequantizeGgml(b, 'Q8_0'), f.mantissaBits, f.minNormalExponent, ov, hist, HIST_OFFSET, () => 0, (s, e) => { groups.push([s, e]); });
          return { totals, hist, groups };
        };
        expect(run(true)).toEqual(run(false));
      }), { numRuns: 300 });
  });

  it('against the TypeScript twin (WebAssembly off): equal up to the summation order of the error sums; counts as the per-element reference', () => {
    fc.assert(fc.property(fc.constantFrom<Fused>('Q8_0', 'Q4_K'), fc.integer({ min: 2, max: 30 }), kindsArb, fc.constantFrom(...CODE_KINDS), configArb, fc.integer(),
      (type, nb, kinds, codes, { to, overflow }, seed) => {
        const b = blocksOf(type, nb, kinds, codes, seed);
        const x = dequantizeGgml(b, type);
        const fast = stream([b], type, to, { overflow, topK: 6 }, true);
        setWasmEnabled(false);
        const ts = stream([b], type, to, { overflow, topK: 6 }, false);
        setWasmEnabled(true);
        expectEqualUpToSumOrder(fast, ts, x.length, `${type} ${to}`);
        const { nonzeroFinite: _n, ...counts } = fast.counts;
        expect(counts).toEqual(referenceCounts(x, to, { overflow }));
      }), { numRuns: 100 });
  });
});

describe('CastAnalyzer.addGgml: the other paths dequantize and add', () => {
  it('WebAssembly off, a short input (one Q8_0 block: 32 values, below the kernel threshold), options off the kernel', () => {
    const b = blocksOf('Q8_0', 40, ['normal', 'corner'], 'random', 5);
    const one = b.subarray(0, 34);
    for (const [parts, opts] of [[[one], {}], [[b], { rounding: 'toward-zero' as const }], [[b], { flushSubnormals: true }], [[one, b], { topK: 3 }]] as const) {
      expect(stream(parts, 'Q8_0', 'fp16', opts, true)).toEqual(stream(parts, 'Q8_0', 'fp16', opts, false));
    }
    setWasmEnabled(false);
    expect(stream([b], 'Q8_0', 'bf16', {}, true)).toEqual(stream([b], 'Q8_0', 'bf16', {}, false));
  });

  it('every other ggml type: add(dequantizeGgml(blocks)) itself (names case-insensitive, GGUF ids, type infos)', () => {
    const r = rng(9);
    for (const name of ['Q4_0', 'Q5_1', 'Q6_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'F16', 'BF16'] as const) {
      const t = GGML_TYPES[name];
      const b = new Uint8Array(t.typeSize * (t.blockSize === 1 ? 300 : Math.ceil(600 / t.blockSize)));
      for (let i = 0; i < b.length; i++) b[i] = r() & 255;
      for (const type of [name, name.toLowerCase(), t.id, t]) {
        const an = createCastAnalyzer('fp16').addGgml(b, type);
        expect(an.finish(), name).toEqual(createCastAnalyzer('fp16').add(dequantizeGgml(b, name)).finish());
      }
    }
  });

  it('the source follows add(): fp32, and mixed after other sources; the worst list indexes the stream', () => {
    const b = blocksOf('Q4_K', 2, ['normal'], 'random', 3);
    const a = createCastAnalyzer('fp16', { topK: 4 }).add(new Float64Array([1e-9, 3])).addGgml(b, 'Q4_K').finish();
    const r = createCastAnalyzer('fp16', { topK: 4 }).add(new Float64Array([1e-9, 3])).add(dequantizeGgml(b, 'Q4_K')).finish();
    expect(a).toEqual(r);
    expect(a.source).toBe('mixed');
    expect(createCastAnalyzer('bf16').addGgml(b, 'Q4_K').finish().source).toBe('fp32');
  });

  it('bad arguments: blocks that are not a Uint8Array, partial blocks, an unknown type', () => {
    const an = createCastAnalyzer('fp16');
    expect(() => an.addGgml(new Float32Array(34) as never, 'Q8_0')).toThrow(TypeError);
    expect(() => an.addGgml(new Uint8Array(35), 'Q8_0')).toThrow(/whole Q8_0 blocks/);
    expect(() => an.addGgml(new Uint8Array(34), 'Q9_9')).toThrow(TypeError);
    expect(() => an.addGgml(new Uint8Array(34), 4)).toThrow(TypeError); // a removed GGUF id
    expect(an.count).toBe(0);
    expect(an.addGgml(new Uint8Array(0), 'Q8_0').count).toBe(0);
  });
});
