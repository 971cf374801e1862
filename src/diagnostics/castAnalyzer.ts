// The cast analyzer (analyzeCast, createCastAnalyzer): what casting an array to a lower-precision format does to it, in one pass over the data
// with no copy and no allocation per element — counts (exact, rounded, flushed to zero, subnormal,
// overflowed), range (max/min magnitude, headroom, footroom), error statistics (the definitions of
// src/quant/metrics.ts: relative error against |x|, ulps of the target format at x, SQNR
// 10·log10(Σx²/Σ(x−r)²)), a log2-magnitude histogram with the format's bands, the k worst elements
// and a verdict with reasons. Streaming: createCastAnalyzer(...).add(chunk)... .finish().
//
// Reference: every result equals the element-wise `round(x, to, opts)` of lowp/formats (the generic
// codec, an exact rounding of the value). Float32 data cast with nearest-even rounding and subnormals
// kept (any overflow policy, any signed target with subnormals: bf16, fp16, fp8, fp6, fp4) runs a fast
// path: a WebAssembly SIMD kernel (src/wasm/analyze.ts; counts, histogram, maxima and worst list equal
// to the TypeScript loop's, error sums equal up to summation order) where WebAssembly SIMD exists, else
// the TypeScript loop `loopF32` — exact float64 rounding on the target's grid with quantum tables
// indexed by the float32 exponent field, integer tests on the bit patterns for the rare cases.
// Everything else (Float64Array, number[], codes, toward-zero/stochastic rounding, flushed subnormals)
// runs the generic codec. Tests compare all three with an independent per-element computation through
// `round`, and with each other. ggml blocks (addGgml) are the values dequantizeGgml gives: Q8_0 and Q4_K
// blocks on the float32 WebAssembly path run the fused kernels of src/wasm/kernels-analyze-ggml.ts,
// which give what the float32 kernel gives on the dequantized values, bit for bit (tests compare the
// two); every other case dequantizes and adds the values.
import { describeValue } from '../core/describe.js';
import { checkOptionsObject } from '../core/options.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { resolveCastOptions, type ResolvedCastOptions } from '../formats/options.js';
import { exponentOf, pow2 } from '../formats/pow2.js';
import { FP32, getFormat, type FormatLike } from '../formats/registry.js';
import type { FloatFormat } from '../formats/spec.js';
import { dequantizeGgml, type GgmlTypeLike } from '../quant/ggml/dequantize.js';
import { analyzeF32Wasm, analyzeGgmlWasm, analyzeKernelSupports, ANALYZE_GROUP, type F32CastTotals } from '../wasm/analyze.js';
import type { CastAnalysis, CastAnalysisOptions, CastAnalyzer, CastCounts, CastErrorStats, CastOptionsUsed, CastRange, VerdictThresholds } from './castTypes.js';
import { groupReader, resolveGgmlBlocks, type GgmlBlocks } from './castGgml.js';
import { buildHistogram, HIST_OFFSET, HIST_SIZE } from './histogram.js';
import { badCode, resolveValues, type ValueSource, type ValuesInput } from './input.js';
import { overflowThreshold } from './overflow.js';
import { computeVerdict, resolveThresholds } from './verdict.js';
import { WorstHeap } from './worst.js';

const TWO52 = 4503599627370496;
/** Elements per call of a fast loop (see `addSource`). */
const BLOCK = 65536;
/** Below this length the float32 fast path stays in TypeScript (no kernel call). */
const WASM_MIN = 64;

function checkTopK(k: unknown, fn: string): number {
  if (k === undefined) return 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > 10000) {
    throw new RangeError(`${fn}: topK must be an integer in [0, 10000], got ${describeValue(k)}`);
  }
  return k;
}

/** The streaming cast analysis behind analyzeCast and createCastAnalyzer (see the header). */
export class Analyzer implements CastAnalyzer {
  readonly format: string;
  count = 0;
  private readonly f: FloatFormat;
  private readonly o: ResolvedCastOptions;
  // float32 fast path (nearest-even, no subnormal flushing, a signed format with subnormals): quantum
  // tables by float32 exponent field, and the value an overflow produces
  private readonly fast: boolean;
  private readonly q: Float64Array | null = null;
  private readonly qi: Float64Array | null = null;
  private readonly ovResult: number = Infinity;
  private readonly fp32Fast: boolean;
  // WebAssembly SIMD path (src/wasm/analyze.ts) for the targets of the fast path the kernel handles
  // (all of lowp's signed formats with subnormals), and the smallest float32 |x| bit pattern that overflows
  private readonly wasm: boolean = false;
  private readonly ovBits: number = 0x7f800000;
  private readonly heap: WorstHeap;
  private readonly thresholds: Required<VerdictThresholds>;
  private readonly hist = new Float64Array(HIST_SIZE);
  private decodeTable: Float64Array | null = null;
  private readonly scratchU = new Uint32Array(1);
  private readonly scratchF = new Float32Array(this.scratchU.buffer);
  private source: string | null = null;
  // overflow threshold for saturated results
  private readonly ovT: number;
  private readonly ovInclusive: boolean;
  private readonly smallestNormal: number;
  // counts
  private zeros = 0; private rounded = 0; private flushed = 0; private sub = 0; private over = 0;
  private invalid = 0; private nan = 0; private inf = 0;
  // range
  private maxAbs = 0; private minAbs = Infinity;
  // error sums; squares are kept as Σ(x·2^-sqExp)², rescaled when larger values come
  private sumAbs = 0; private sumRel = 0; private maxErr = 0; private maxRel = 0; private maxUlp = 0;
  private sqExp = 0; private sqSet = false; private sumSqX = 0; private sumSqE = 0;

  constructor(to: FormatLike, opts: CastAnalysisOptions | undefined, fn: string) {
    this.f = getFormat(to);
    this.format = this.f.name;
    checkOptionsObject(opts, fn);
    this.o = resolveCastOptions(this.f, opts);
    this.heap = new WorstHeap(checkTopK(opts?.topK, fn));
    this.thresholds = resolveThresholds(opts?.thresholds, fn);
    const def = this.o.rounding === 'nearest-even' && this.o.overflow === 'inf' && !this.o.flushSubnormals;
    this.fp32Fast = def && this.f === FP32;
    const f = this.f;
    this.fast = this.o.rounding === 'nearest-even' && !this.o.flushSubnormals && f.subnormals && f.signed;
    if (this.fast) {
      const q = new Float64Array(256), qi = new Float64Array(256);
      for (let E = 0; E < 256; E++) {
        const e = Math.max(E, 1) - 127; // exponent of the binade (float32 subnormals: −126, their quantum is finer than any target's)
        const qe = Math.max(e, f.minNormalExponent) - f.mantissaBits;
        q[E] = pow2(qe);
        qi[E] = pow2(-qe);
      }
      this.q = q;
      this.qi = qi;
      this.ovResult = this.o.overflow === 'inf' ? Infinity : this.o.overflow === 'nan' ? NaN : f.max;
    }
    const ov = overflowThreshold(f, this.o.rounding);
    this.ovT = ov.threshold;
    this.ovInclusive = ov.inclusive;
    this.smallestNormal = pow2(f.minNormalExponent);
    if (this.fast && analyzeKernelSupports(f.mantissaBits, f.minNormalExponent)) {
      this.wasm = true;
      this.ovBits = this.overflowBits();
    }
  }

  /** The smallest float32 |x| bit pattern at or beyond the overflow threshold (0x7f800000: none finite). */
  private overflowBits(): number {
    const T = this.ovT, inc = this.ovInclusive;
    const isOv = (b: number): boolean => { const v = this.fromBits(b); return inc ? v >= T : v > T; };
    this.scratchF[0] = T; // nearest float32, then step to the first overflowing pattern
    let b = Math.min(this.scratchU[0], 0x7f800000);
    while (b > 0 && isOv(b - 1)) b--;
    while (b < 0x7f800000 && !isOv(b)) b++;
    return b;
  }

  private fromBits(u: number): number {
    this.scratchU[0] = u;
    return this.scratchF[0];
  }

  private ensureSqScale(ax: number): void {
    // keep every scaled value below 2^256 so that squares and their sums stay finite
    if (!this.sqSet) {
      this.sqSet = true;
      this.sqExp = ax > 0 && ax !== Infinity ? Math.min(0, exponentOf(ax)) : 0;
      if (ax <= pow2(this.sqExp + 256)) return;
    }
    if (ax > pow2(this.sqExp + 256)) {
      const ne = exponentOf(ax);
      const factor = pow2(2 * (this.sqExp - ne));
      this.sumSqX *= factor;
      this.sumSqE *= factor;
      this.sqExp = ne;
    }
  }

  add(chunk: ValuesInput): CastAnalyzer {
    return this.addSource(resolveValues(chunk, 'CastAnalyzer.add', 'chunk'));
  }

  addGgml(blocks: Uint8Array, type: GgmlTypeLike): CastAnalyzer {
    const fn = 'CastAnalyzer.addGgml';
    const g = resolveGgmlBlocks(blocks, type, fn);
    // the fused kernel where add() of the dequantized values would run the float32 kernel
    if (g.fused !== null && this.wasm && g.count >= WASM_MIN) {
      const source = this.source === null || this.source === 'fp32' ? 'fp32' : 'mixed';
      if (this.addGgmlWasm(blocks, g)) {
        this.source = source;
        this.count += g.count;
        return this;
      }
    }
    return this.addSource(resolveValues(dequantizeGgml(blocks, g.info), fn, 'blocks'));
  }

  /** Adds an already validated source. */
  addSource(src: ValueSource): CastAnalyzer {
    this.source = this.source === null || this.source === src.sourceName ? src.sourceName : 'mixed';
    const base = this.count;
    if (src.kind === 'f32' && this.wasm && src.length >= WASM_MIN && this.addF32Wasm(src.f32, base)) {
      // done by the WebAssembly SIMD kernel
    } else if (src.kind === 'f32' && this.fast) {
      // the bit patterns as int32 (V8 keeps them in integer registers; uint32 values >= 2^31 would be
      // doubles), processed in blocks so that the JIT sees the whole loop function early and optimizes
      // it with complete feedback instead of running one huge call in on-stack-replaced code
      const i32 = new Int32Array(src.f32.buffer, src.f32.byteOffset, src.length);
      // (a short first block runs the code after the loop early, so that the optimizing compiler sees
      // its type feedback and does not deoptimize on leaving the loop)
      for (let start = 0; start < src.length;) {
        const end = Math.min(start + (start === 0 ? 256 : BLOCK), src.length);
        this.loopF32(src.f32, i32, base, start, end);
        start = end;
      }
    } else {
      this.loopGeneric(src, base);
    }
    this.count += src.length;
    return this;
  }

  /**
   * The float32 fast path on the WebAssembly SIMD kernel (src/wasm/analyze.ts), whose twin is
   * `loopF32`: counts, histogram and maxima are the same; sums differ only in summation order. Groups
   * of values that may enter the worst list are rescanned by `rescanF32`. False without the kernels.
   */
  private addF32Wasm(f32: Float32Array, base: number): boolean {
    const heap = this.heap;
    const i32 = new Int32Array(f32.buffer, f32.byteOffset, f32.length);
    const t = analyzeF32Wasm(f32, this.f.mantissaBits, this.f.minNormalExponent, this.ovBits, this.hist, HIST_OFFSET,
      () => heap.threshold(), (start, end) => this.rescanF32(f32, i32, base, start, end));
    if (t === null) return false;
    this.addTotals(t, f32.length);
    return true;
  }

  /**
   * The WebAssembly path of `addGgml` for the types with a fused kernel: the same totals and worst-list
   * groups as addF32Wasm over the dequantized values (src/wasm/analyze.ts analyzeGgmlWasm); a group is
   * rescanned from its dequantized values. False, having changed nothing, without the kernels.
   */
  private addGgmlWasm(blocks: Uint8Array, g: GgmlBlocks): boolean {
    const heap = this.heap, base = this.count;
    const values = groupReader(blocks, g.info, ANALYZE_GROUP);
    const t = analyzeGgmlWasm(blocks, g.fused!, this.f.mantissaBits, this.f.minNormalExponent, this.ovBits, this.hist, HIST_OFFSET,
      () => heap.threshold(), (start, end) => {
        const v = values(start, end);
        this.rescanF32(v, new Int32Array(v.buffer, v.byteOffset, v.length), base + start, 0, v.length);
      });
    if (t === null) return false;
    this.addTotals(t, g.count);
    return true;
  }

  /** Adds the totals of `length` float32 values from a kernel (counts, maxima, sums in their order). */
  private addTotals(t: F32CastTotals, length: number): void {
    const nonzero = length - t.zeros - t.nan - t.inf;
    this.zeros += t.zeros; this.nan += t.nan; this.inf += t.inf; this.flushed += t.flushed;
    this.rounded += nonzero - t.exact - t.flushed - t.over;
    this.sub += t.sub; this.over += t.over;
    this.sumAbs += t.sumAbs; this.sumRel += t.sumRel;
    if (t.maxErr > this.maxErr) this.maxErr = t.maxErr;
    if (t.maxRel > this.maxRel) this.maxRel = t.maxRel;
    if (t.maxUlp > this.maxUlp) this.maxUlp = t.maxUlp;
    const st = this.beginF32();
    this.endF32(st.direct, st.sumSqX + t.sumSqX, st.sumSqE + t.sumSqE, t.maxAbsBits, t.minAbsBits);
  }

  /** The worst-list part of `loopF32` alone (same keys, same order of offers), over [start, end). */
  private rescanF32(f32: Float32Array, u32: Int32Array, base: number, start: number, end: number): void {
    const heap = this.heap, Q = this.q as Float64Array, QI = this.qi as Float64Array;
    const T = this.ovT, ovInc = this.ovInclusive, ovResult = this.ovResult;
    let wmin = heap.threshold();
    for (let i = start; i < end; i++) {
      const a = u32[i] & 0x7fffffff;
      if (a === 0 || a >= 0x7f800000) continue;
      const E = a >>> 23;
      const x = f32[i];
      const ax = Math.abs(x);
      if (ovInc ? ax >= T : ax > T) {
        if (Infinity > wmin) { heap.push(Infinity, base + i, x, x < 0 ? -ovResult : ovResult); wmin = heap.threshold(); }
        continue;
      }
      const r = ((ax * QI[E] + TWO52) - TWO52) * Q[E];
      const rel = Math.abs(ax - r) / ax;
      if (rel > wmin) { heap.push(rel, base + i, x, x < 0 ? -r : r); wmin = heap.threshold(); }
    }
  }

  /** Starts a float32 fast loop: the running sums to continue (summation order as in one pass). */
  private beginF32(): { direct: boolean; sumSqX: number; sumSqE: number } {
    if (!this.sqSet) { this.sqSet = true; this.sqExp = 0; }
    const direct = this.sqExp === 0;
    return { direct, sumSqX: direct ? this.sumSqX : 0, sumSqE: direct ? this.sumSqE : 0 };
  }

  private endF32(direct: boolean, sumSqX: number, sumSqE: number, maxAbsBits: number, minAbsBits: number): void {
    if (maxAbsBits > 0) {
      const mx = this.fromBits(maxAbsBits), mn = this.fromBits(minAbsBits);
      if (mx > this.maxAbs) this.maxAbs = mx;
      if (mn < this.minAbs) this.minAbs = mn;
      if (!direct) this.ensureSqScale(mx);
    }
    if (direct) { this.sumSqX = sumSqX; this.sumSqE = sumSqE; return; }
    const k = pow2(-2 * this.sqExp);
    this.sumSqX += sumSqX * k;
    this.sumSqE += sumSqE * k;
  }

  // float32 source, nearest-even, subnormals kept (any overflow policy): round |x| on the target's grid
  // with float64 arithmetic, n = (|x|/q + 2^52) − 2^52 and r = n·q, where the quantum q = 2^(max(e, emin)
  // − m) comes from a table indexed by the float32 exponent field. Both steps are exact (|x|/q is a
  // power-of-two scaling, n < 2^(m+2) is an integer and n·q has at most m + 2 bits), so r is the
  // correctly rounded result below the overflow threshold; nothing else branches on the data except
  // rare cases (zero, NaN/inf, overflow, float32 subnormals), which keeps mixed data free of branch
  // mispredictions.
  private loopF32(f32: Float32Array, u32: Int32Array, base: number, start: number, end: number): void {
    const hist = this.hist, heap = this.heap, Q = this.q as Float64Array, QI = this.qi as Float64Array;
    const T = this.ovT, ovInc = this.ovInclusive, SN = this.smallestNormal, ovResult = this.ovResult;
    let zeros = 0, nan = 0, inf = 0, exact = 0, flushed = 0, sub = 0, over = 0;
    let maxA = 0, minA = 0x7f800000, maxUlp = this.maxUlp;
    const st = this.beginF32();
    let sumAbs = this.sumAbs, sumRel = this.sumRel, sumSqX = st.sumSqX, sumSqE = st.sumSqE, maxErr = this.maxErr, maxRel = this.maxRel;
    let wmin = heap.threshold();
    for (let i = start; i < end; i++) {
      const a = u32[i] & 0x7fffffff;
      if (a === 0) { zeros++; continue; }
      if (a >= 0x7f800000) { if (a === 0x7f800000) inf++; else nan++; continue; }
      if (a > maxA) maxA = a;
      if (a < minA) minA = a;
      const E = a >>> 23;
      hist[E === 0 ? 956 - Math.clz32(a) : E + 947]++;
      const x = f32[i];
      const ax = Math.abs(x);
      if (ovInc ? ax >= T : ax > T) {
        over++;
        if (Infinity > wmin) { heap.push(Infinity, base + i, x, x < 0 ? -ovResult : ovResult); wmin = heap.threshold(); }
        continue;
      }
      sumSqX += x * x;
      const n = (ax * QI[E] + TWO52) - TWO52;
      const r = n * Q[E];
      const err = Math.abs(ax - r);
      // branch-free counting (unary plus on comparisons): on mixed data these outcomes are random,
      // and mispredicted branches cost more than the rest of the loop (measured 3×)
      const z = +(r === 0);
      exact += +(err === 0);
      flushed += z;
      sub += +(r < SN) - z;
      const rel = err / ax;
      const ue = err * QI[E];
      sumAbs += err; sumRel += rel; sumSqE += err * err;
      if (err > maxErr) maxErr = err;
      if (rel > maxRel) maxRel = rel;
      if (ue > maxUlp) maxUlp = ue;
      if (rel > wmin) { heap.push(rel, base + i, x, x < 0 ? -r : r); wmin = heap.threshold(); }
    }
    const nonzero = end - start - zeros - nan - inf;
    this.zeros += zeros; this.nan += nan; this.inf += inf; this.flushed += flushed;
    this.rounded += nonzero - exact - flushed - over;
    this.sub += sub; this.over += over;
    this.sumAbs = sumAbs; this.sumRel = sumRel; this.maxErr = maxErr; this.maxRel = maxRel; this.maxUlp = maxUlp;
    this.endF32(st.direct, sumSqX, sumSqE, maxA, minA);
  }

  // any source, any format, any options: the generic codec per element
  private loopGeneric(src: ValueSource, base: number): void {
    const f = this.f, o = this.o, heap = this.heap, hist = this.hist;
    const m = f.mantissaBits, emin = f.minNormalExponent, fmax = f.max;
    if (this.decodeTable === null && f.bits <= 16) {
      const t = new Float64Array(2 ** f.bits);
      for (let c = 0; c < t.length; c++) t[c] = decodeGeneric(c, f);
      this.decodeTable = t;
    }
    const dec = this.decodeTable;
    const fp32Fast = this.fp32Fast;
    const unsigned = !f.signed;
    const ovT = this.ovT, ovInc = this.ovInclusive, sn = this.smallestNormal, hasSub = f.subnormals;
    let arr: ArrayLike<number>;
    let table: Float64Array | null = null;
    let codesFmt: FloatFormat | null = null;
    switch (src.kind) {
      case 'f32': arr = src.f32; break;
      case 'f64': arr = src.data; break;
      case 'array': arr = src.data; break;
      case 'table': arr = src.codes; table = src.table; break;
      case 'codes': arr = src.codes; codesFmt = src.format; break;
    }
    const codeLimit = codesFmt === null ? 0 : 2 ** codesFmt.bits;
    let sqLimit = this.sqSet ? pow2(this.sqExp + 256) : 0;
    let sqInv = pow2(-this.sqExp);
    let wmin = heap.threshold();
    const n = src.length;
    for (let i = 0; i < n; i++) {
      let x: number;
      if (table !== null) {
        x = table[arr[i]];
        if (x === undefined) badCode('CastAnalyzer.add', base + i, arr[i], src.sourceName);
      } else if (codesFmt !== null) {
        const c = arr[i];
        if (c >= codeLimit) badCode('CastAnalyzer.add', base + i, c, src.sourceName);
        x = decodeGeneric(c, codesFmt);
      } else {
        x = arr[i];
      }
      if (x !== x) { this.nan++; continue; }
      if (x === 0) { this.zeros++; continue; }
      const ax = x < 0 ? -x : x;
      if (ax === Infinity) { this.inf++; continue; }
      const e = exponentOf(ax);
      hist[e + HIST_OFFSET]++;
      if (ax > this.maxAbs) this.maxAbs = ax;
      if (ax < this.minAbs) this.minAbs = ax;
      let r: number;
      if (fp32Fast) r = Math.fround(x);
      else {
        const code = encodeGeneric(x, f, o);
        r = dec !== null ? dec[code] : decodeGeneric(code, f);
      }
      const ar = r < 0 ? -r : r;
      if (r !== r || ar === Infinity || (ar === fmax && ax > fmax && (ax > ovT || (ovInc && ax === ovT)))) {
        if (r !== r && unsigned && x < 0) this.invalid++;
        else this.over++;
        if (Infinity > wmin) { heap.push(Infinity, base + i, x, r); wmin = heap.threshold(); }
        continue;
      }
      if (ax > sqLimit) {
        this.ensureSqScale(ax);
        sqLimit = pow2(this.sqExp + 256);
        sqInv = pow2(-this.sqExp);
      }
      const xs = x * sqInv;
      this.sumSqX += xs * xs;
      if (r === 0) this.flushed++;
      else {
        if (hasSub && ar < sn) this.sub++;
        if (r === x) continue;
        this.rounded++;
      }
      const err = r === 0 ? ax : Math.abs(x - r);
      const rel = r === 0 ? 1 : err / ax;
      const ue = err * pow2(m - (e > emin ? e : emin));
      const es = err * sqInv;
      this.sumAbs += err; this.sumRel += rel; this.sumSqE += es * es;
      if (err > this.maxErr) this.maxErr = err;
      if (rel > this.maxRel) this.maxRel = rel;
      if (ue > this.maxUlp) this.maxUlp = ue;
      if (rel > wmin) { heap.push(rel, base + i, x, r); wmin = heap.threshold(); }
    }
  }

  finish(): CastAnalysis {
    const f = this.f;
    const total = this.count;
    const nonzeroFinite = total - this.zeros - this.nan - this.inf;
    const exact = nonzeroFinite - this.rounded - this.flushed - this.over - this.invalid;
    const counts: CastCounts = {
      total, zeros: this.zeros, nonzeroFinite, exact, rounded: this.rounded, flushedToZero: this.flushed,
      becameSubnormal: this.sub, overflowed: this.over, invalid: this.invalid, nanInputs: this.nan, infInputs: this.inf,
    };
    const hasNz = nonzeroFinite > 0;
    const range: CastRange = {
      maxAbs: this.maxAbs,
      minAbsNonzero: this.minAbs,
      headroomBits: hasNz ? Math.log2(f.max) - Math.log2(this.maxAbs) : Infinity,
      footroomBits: hasNz ? Math.log2(this.minAbs) - f.minNormalExponent : Infinity,
    };
    const measured = total - this.nan - this.inf - this.over - this.invalid;
    const measuredNz = measured - this.zeros;
    const error: CastErrorStats = {
      measured,
      maxAbsError: this.maxErr,
      meanAbsError: measured > 0 ? this.sumAbs / measured : 0,
      maxRelError: this.maxRel,
      meanRelError: measuredNz > 0 ? this.sumRel / measuredNz : 0,
      maxUlpError: this.maxUlp,
      sqnrDb: this.sumSqE === 0 ? Infinity : this.sumSqX === 0 ? -Infinity : 10 * Math.log10(this.sumSqX / this.sumSqE),
    };
    const options: CastOptionsUsed = { rounding: this.o.rounding, overflow: this.o.overflow, flushSubnormals: this.o.flushSubnormals };
    const { verdict, reasons } = computeVerdict({ counts, range, error, options }, f, this.thresholds);
    return {
      format: f.name,
      source: this.source ?? 'fp32',
      options,
      counts,
      range,
      error,
      histogram: buildHistogram(this.hist, this.zeros, this.nan, this.inf, f),
      worst: this.heap.sorted(),
      verdict,
      reasons,
      thresholds: { ...this.thresholds },
    };
  }
}

