// analyzeCast's WebAssembly SIMD path (src/wasm/analyze.ts, kernel analyzeF32 in src/wasm/kernels.ts:
// float32 data to bf16, fp16 and the signed fp8/fp6/fp4 formats, nearest-even, subnormals kept)
// against its reference twin, the TypeScript float32 loop of analyzeCast (run with the kernels turned
// off by setWasmEnabled(false)), and against the exact per-element reference `round()` for the counts.
// Property: counts, histogram, range, maxima, worst list and verdict are equal; the error sums (means,
// SQNR) differ at most by their summation order (bound in tests/diagnostics/sumOrder.ts). Data: random
// bit patterns rich in NaN, ±inf, zeros, float32 subnormals, values that overflow fp16, exact ties of
// bf16 and fp16 (normal and subnormal), a sweep over the whole float32 range, and the real model of
// ../shared/vectors/digits-transformer.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeCast, createCastAnalyzer, type CastAnalysisOptions } from '../../src/diagnostics/analyzeCast.js';
import { HIST_OFFSET, HIST_SIZE } from '../../src/diagnostics/histogram.js';
import { getFormat } from '../../src/formats/registry.js';
import { defineFormat } from '../../src/formats/spec.js';
import { analyzeF32Wasm, analyzeKernelSupports, ANALYZE_CHUNK } from '../../src/wasm/analyze.js';
import { getKernels, setWasmEnabled } from '../../src/wasm/loader.js';
import { loadVectors } from '../helpers/vectors.js';
import { f32FromBits, referenceCounts } from './reference.js';
import { expectEqualUpToSumOrder } from './sumOrder.js';

afterEach(() => { setWasmEnabled(true); });

function twin(x: Float32Array, to: string, opts?: CastAnalysisOptions) {
  setWasmEnabled(true);
  const wasm = analyzeCast(x, to, opts);
  setWasmEnabled(false);
  const ts = analyzeCast(x, to, opts);
  setWasmEnabled(true);
  return { wasm, ts };
}

function expectTwins(x: Float32Array, to: string, opts?: CastAnalysisOptions, label = ''): void {
  const { wasm, ts } = twin(x, to, opts);
  expect(wasm.counts, label).toEqual(ts.counts);
  expect(wasm.histogram, label).toEqual(ts.histogram);
  expect(wasm.worst, label).toEqual(ts.worst);
  expectEqualUpToSumOrder(wasm, ts, x.length, label);
}

// bit patterns (sign included) of the interesting kinds
const special = fc.oneof(
  fc.constantFrom(0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x7f7fffff, 0x00000001, 0x007fffff, 0x00800000),
  // fp16: around its overflow threshold 65520 (0x477ff000), max 65504, and the smallest subnormal
  fc.integer({ min: 0x477fe000, max: 0x47800100 }),
  fc.integer({ min: 0x33000000 - 4, max: 0x33800000 + 4 }),
  // bf16: around its overflow threshold (0x7f7f8000)
  fc.integer({ min: 0x7f7f7ff0, max: 0x7f7f8010 }),
);
const tie = fc.oneof(
  // bf16 ties: the 16 dropped bits are exactly 0x8000
  fc.integer({ min: 0, max: 0x7f7e }).map((h) => (h << 16) | 0x8000),
  // fp16 normal ties: 13 dropped bits exactly 0x1000, over fp16's normal exponents
  fc.integer({ min: 0x38800000 >>> 13, max: 0x477fe000 >>> 13 }).map((h) => (h << 13) | 0x1000),
  // fp16 subnormal ties: (k + 1/2)·2^-24
  fc.integer({ min: 0, max: 1023 }).map((k) => new Uint32Array(new Float32Array([(k + 0.5) * 2 ** -24]).buffer)[0]),
);
const anyBits = fc.integer({ min: 0, max: 0xffffffff });
// magnitudes spread over fp16's range, normal and subnormal (gradient-like)
const smallish = fc.integer({ min: 0x30000000, max: 0x47000000 });
const bitsArb = fc.array(fc.oneof(anyBits, special, tie, smallish).chain((b) => fc.boolean().map((neg) => (neg ? (b ^ 0x80000000) >>> 0 : b))),
  { minLength: 64, maxLength: 2000 });

// every target of the kernel, with the overflow policies it accepts
const TARGETS = ['bf16', 'fp16', 'fp8-e4m3fn', 'fp8-e5m2', 'fp8-e4m3fnuz', 'fp8-e5m2fnuz', 'fp6-e2m3fn', 'fp6-e3m2fn', 'fp4-e2m1fn'];
const POLICIES: Record<string, (undefined | 'inf' | 'nan' | 'saturate')[]> = {
  bf16: ['inf', 'nan', 'saturate'], fp16: ['inf', 'nan', 'saturate'], 'fp8-e5m2': ['inf', 'nan', 'saturate'],
};
const configArb = fc.constantFrom(...TARGETS).chain((to) => fc.constantFrom(...(POLICIES[to] ?? [undefined, 'saturate' as const])).map((overflow) => ({ to, overflow })));

describe('analyzeCast float32 → bf16/fp16/fp8/fp6/fp4: WebAssembly SIMD kernel vs the TypeScript twin', () => {
  it('the kernels are available on this runtime and handle every signed target with subnormals (else the comparisons below would be vacuous)', () => {
    expect(getKernels()).not.toBeNull();
    for (const to of TARGETS) {
      const f = getFormat(to);
      expect(analyzeKernelSupports(f.mantissaBits, f.minNormalExponent), to).toBe(true);
    }
  });

  it('random bit patterns with NaN, ±inf, zeros, float32 subnormals, fp16 overflow and ties: equal up to sum order (every overflow policy)', () => {
    fc.assert(fc.property(bitsArb, configArb, fc.integer({ min: 0, max: 25 }),
      (bits, { to, overflow }, topK) => {
        const x = f32FromBits(bits);
        const copy = x.slice();
        expectTwins(x, to, { overflow, topK }, `${to} ${overflow} k=${topK}`);
        expect(x).toEqual(copy);
      }), { numRuns: 300 });
  });

  it('counts equal the exact per-element round() reference on the kernel path', () => {
    fc.assert(fc.property(bitsArb, configArb, (bits, { to, overflow }) => {
      const x = f32FromBits(bits);
      const { nonzeroFinite: _n, ...counts } = analyzeCast(x, to, { overflow }).counts;
      expect(counts).toEqual(referenceCounts(x, to, { overflow }));
    }), { numRuns: 150 });
  });

  it('a sweep over the whole float32 range (every 4099th bit pattern, 1M values over several chunks)', () => {
    const n = Math.floor(2 ** 32 / 4099);
    const u = new Uint32Array(n);
    for (let i = 0; i < n; i++) u[i] = (i * 4099) >>> 0;
    const x = new Float32Array(u.buffer);
    expect(n).toBeGreaterThan(2 * ANALYZE_CHUNK);
    for (const to of TARGETS) expectTwins(x, to, { topK: 30 }, `sweep → ${to}`);
  });

  it('chunk boundaries, a length that is not a multiple of 4, and a worst list that changes in every group', () => {
    // relative errors that grow along the array: every group of the kernel can enter the worst list
    const n = 3 * ANALYZE_CHUNK + 7;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (1 + (i / n) * 2 ** -8) * (i % 2 ? -1 : 1) * 2 ** ((i % 40) - 20);
    x[n - 1] = 1e6; // overflows fp16 at the very end
    x[5] = 0; x[ANALYZE_CHUNK] = NaN; x[ANALYZE_CHUNK + 1] = -Infinity; x[2 * ANALYZE_CHUNK - 1] = 1e-45;
    for (const to of TARGETS) {
      for (const topK of [0, 1, 10, 500]) expectTwins(x, to, { topK }, `${to} k=${topK}`);
    }
  });

  it('streaming with chunks below and above the kernel threshold equals the one-shot TypeScript result (up to sum order)', () => {
    fc.assert(fc.property(bitsArb, fc.array(fc.nat(2000), { maxLength: 5 }), fc.constantFrom(...TARGETS), (bits, cuts, to) => {
      const x = f32FromBits(bits);
      setWasmEnabled(false);
      const one = analyzeCast(x, to, { topK: 8 });
      setWasmEnabled(true);
      const an = createCastAnalyzer(to, { topK: 8 });
      const points = [...new Set(cuts.map((c) => c % (x.length + 1)))].sort((p, q) => p - q);
      let prev = 0;
      for (const p of [...points, x.length]) { an.add(x.subarray(prev, p)); prev = p; }
      expectEqualUpToSumOrder(an.finish(), one, x.length);
    }), { numRuns: 100 });
  });

  it('the digits-transformer model, every tensor: kernel equals the twin (counts, histogram, worst exact; sums up to order)', () => {
    const model = loadVectors('digits-transformer');
    let kernelTensors = 0;
    for (const key of model.keys) {
      const data = model.get(key).data as Float32Array;
      if (data.length >= 64) kernelTensors++;
      for (const to of TARGETS) expectTwins(data, to, { topK: 20 }, `${key} → ${to}`);
    }
    expect(kernelTensors).toBeGreaterThan(5);
  });

  it('groups of 256 that switch between values in the normal range only and values that flush or turn subnormal (the kernel counts those per vector or per group): equal to the twin', () => {
    // kinds of group: 0 normal-range only, 1 a few values below 2^emin, 2 many, 3 a few NaN/overflow
    const groupArb = fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(fc.property(fc.array(groupArb, { minLength: 2, maxLength: 12 }), fc.constantFrom('fp16', 'fp8-e4m3fn', 'fp8-e5m2', 'fp4-e2m1fn'), (groups, to) => {
      const f = getFormat(to);
      const bits: number[] = [];
      for (const [kind, seed] of groups) {
        let st = seed | 1;
        const rnd = () => { st ^= st << 13; st ^= st >>> 17; st ^= st << 5; return st >>> 0; };
        for (let j = 0; j < 256; j++) {
          const u = rnd();
          // normal range of the target (exponents emin … emin + 3), mantissa and sign random
          let b = ((u & 0x80000000) | ((127 + f.minNormalExponent + (u % 4)) << 23) | (rnd() >>> 9)) >>> 0;
          const pick = rnd() % 64;
          if ((kind === 1 && pick < 2) || (kind === 2 && pick < 32)) {
            b = ((u & 0x80000000) | ((127 + f.minNormalExponent - 1 - (u % (f.mantissaBits + 3))) << 23) | (rnd() >>> 9)) >>> 0;
          } else if (kind === 3 && pick < 2) {
            b = pick === 0 ? 0x7fc00000 : 0x7f000000;
          }
          bits.push(b);
        }
      }
      expectTwins(f32FromBits(bits), to, { topK: 5 }, to);
    }), { numRuns: 80 });
  });

  it('custom formats at the kernel\'s range limit: overflow threshold 2^(105 + m) on the kernel, beyond it the TypeScript loop; equal to the twin', () => {
    // bias 20: emin = −19; 7 exponent bits reach 2^107·(2 − 2^-3) (threshold 2^108 = 2^(105 + m), the last
    // range the kernel takes), 8 bits reach 2^235 (past float32: the kernel declines and the loop runs)
    const near = defineFormat({ name: 'e7m3-b20', exponentBits: 7, mantissaBits: 3, bias: 20, infinity: false, nan: 'none', defaultOverflow: 'saturate' });
    const far = defineFormat({ name: 'e8m3-b20', exponentBits: 8, mantissaBits: 3, bias: 20, infinity: false, nan: 'none', defaultOverflow: 'saturate' });
    const hist = new Float64Array(HIST_SIZE);
    const one = new Float32Array([1, 2, 3, 4]);
    expect(analyzeF32Wasm(one, 3, -19, 0x75800000, hist, HIST_OFFSET, () => 0, () => {})).not.toBeNull();
    expect(analyzeF32Wasm(one, 3, -19, 0x75800001, hist, HIST_OFFSET, () => 0, () => {})).toBeNull();
    const wide = fc.integer({ min: 0x2a000000, max: 0x7f7fffff });
    fc.assert(fc.property(fc.array(fc.oneof(anyBits, special, wide), { minLength: 64, maxLength: 600 }), fc.constantFrom(near, far), (bits, f) => {
      expectTwins(f32FromBits(bits), f as never, { topK: 8 }, f.name);
    }), { numRuns: 60 });
  });

  it('analyzeF32Wasm itself: totals partition the input and the histogram counts every finite nonzero value', () => {
    fc.assert(fc.property(bitsArb, fc.constantFrom(0, 1), (bits, target) => {
      const x = f32FromBits(bits);
      const hist = new Float64Array(HIST_SIZE);
      const groups: [number, number][] = [];
      // bf16 (overflow from 0x7f7f8000 = max + ulp/2) and fp16 (from 65520 = 0x477ff000)
      const t = target === 0
        ? analyzeF32Wasm(x, 7, -126, 0x7f7f8000, hist, HIST_OFFSET, () => 0.25, (s, e) => { groups.push([s, e]); })
        : analyzeF32Wasm(x, 10, -14, 0x477ff000, hist, HIST_OFFSET, () => 0.25, (s, e) => { groups.push([s, e]); });
      expect(t).not.toBeNull();
      const ref = referenceCounts(x, target === 0 ? 'bf16' : 'fp16');
      expect([t!.zeros, t!.nan, t!.inf, t!.exact, t!.flushed, t!.sub, t!.over])
        .toEqual([ref.zeros, ref.nanInputs, ref.infInputs, ref.exact, ref.flushedToZero, ref.becameSubnormal, ref.overflowed]);
      expect(hist.reduce((s, c) => s + c, 0)).toBe(x.length - ref.zeros - ref.nanInputs - ref.infInputs);
      // every group handed back for a rescan really holds a relative error above the threshold or an overflow
      for (const [s, e] of groups) {
        let worst = 0;
        for (let i = s; i < e; i++) {
          const r = analyzeCast(x.subarray(i, i + 1), target === 0 ? 'bf16' : 'fp16', { topK: 1 }).worst[0];
          if (r && r.relError > worst) worst = r.relError;
        }
        expect(worst).toBeGreaterThan(0.25);
      }
    }), { numRuns: 60 });
  });
});
