// The training analysis of one tensor, streamed: what analyzeTrainingTensor estimates (no gradient) from
// the weight and both moments, computed from chunks of them in order, so that a tensor of any size is read
// once, in bounded memory, with cheap work per element. The parts that look at every element (the cast of
// both moments to the precision: values that flush to 0 or become subnormal; the gradient model's
// James–Stein sums; the extremes of √v̂) run as one pass of integer comparisons and a few float64
// operations per element; the elements of the estimate's seeded samples (the same indices
// simulateAdamStep draws) are gathered on the way; at the end the estimate runs on that bounded sample
// for both implementations at once (each gradient node cast once, shared by the for-loop and fused
// kernels). The results equal the reference path (runAdamStep per implementation over the whole tensor)
// exactly: the same sums in the same order, the same kernels on the same values
// (tests/diagnostics/trainingStream.test.ts compares them).
import { powInt } from '../core/powInt.js';
import { createRng } from '../core/rng.js';
import { bulkBuffers, foreachBulk, fusedBulk, precisionOps, roundBitsInPlace } from './adamKernels.js';
import {
  resolveAdamOptions,
  sampleStdError,
  stepConstants,
  tallyChunk,
  zeroCounts,
  type AdamImplementation,
  type AdamStateCast,
  type AdamStepCounts,
  type AdamStepEstimate,
  type AdamStepOptions,
  type AdamStepScalars,
} from './adamStep.js';
import { emaNoiseRatio, meanShrink, normalNodes } from './gradientModel.js';

/** What the report of a tensor needs from one implementation's estimated step. @internal */
export interface StepSummary {
  mode: 'exact' | 'estimate';
  counts: AdamStepCounts;
  cast: AdamStateCast;
  scalars: AdamStepScalars;
  estimate?: AdamStepEstimate;
}

/** The √v̂ figures of a tensor: extremes over every element, and the sampled values. @internal */
export interface SqrtVFigures {
  /** Largest finite √v̂. */
  max: number;
  /** Smallest nonzero √v̂ (Infinity when none). */
  minNonzero: number;
  /** √v̂ of the sampled elements (at most 4,096). */
  sample: Float32Array;
}

/** Elements of the √v̂ sample. @internal */
export const SQRTV_SAMPLE = 4096;

/** Elements per chunk of the estimate's evaluation (the reference's chunk, so that sums agree). */
const CHUNK = 4096;

/**
 * Float32 magnitude bit patterns that rounding to a precision sends to 0 (1 ≤ |bits| ≤ flushMax) and to
 * a nonzero subnormal (flushMax < |bits| < normalMin). Rounding is monotone in the magnitude, so two
 * thresholds found by bisection on the rounding itself classify every value.
 */
function castThresholds(kind: number): { flushMax: number; normalMin: number } {
  const minNormal = precisionOps(kind === 0 ? 'bf16' : kind === 1 ? 'fp16' : 'fp32').minNormal;
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  const rounded = (bits: number): number => {
    u[0] = bits;
    roundBitsInPlace(kind, u, 1);
    return f[0];
  };
  // the largest bits that round to 0, and the smallest that round to at least minNormal
  let lo = 0, hi = 0x7f800000;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (rounded(mid) === 0) lo = mid; else hi = mid;
  }
  const flushMax = lo;
  lo = 0;
  hi = 0x7f800000;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (rounded(mid) < minNormal) lo = mid; else hi = mid;
  }
  return { flushMax, normalMin: hi };
}

const THRESHOLDS = [castThresholds(0), castThresholds(1), castThresholds(2)];

/** Options of a tensor's stream (resolved by the analyzer). @internal */
export interface StreamOptions {
  precision: 'bf16' | 'fp16';
  decoupled: boolean;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
  sample: number;
  nodes: number;
  /** Seed of the estimate's element sample (the analyzer's seed + the tensor's index). */
  seed: number;
  /** Seed of the √v̂ sample. */
  sqrtVSeed: number;
}

/** The result of a streamed tensor. @internal */
export interface StreamResult {
  elements: number;
  /** Per implementation (absent for a moments-only stream). */
  results?: Record<AdamImplementation, StepSummary>;
  /** What the cast of the state did (as the reference's castSource counts it; weightRounded is not counted: 0). */
  cast: AdamStateCast;
  sqrtV: SqrtVFigures;
}

/** Indices drawn as the reference draws them, with their positions sorted by index for gathering in order. */
function sampleIndices(n: number, count: number, seed: number): { index: Int32Array | null; order: Int32Array; sorted: Int32Array } {
  if (count >= n) {
    const order = new Int32Array(n);
    for (let j = 0; j < n; j++) order[j] = j;
    return { index: null, order, sorted: order };
  }
  const rng = createRng(seed);
  const index = new Int32Array(count);
  for (let j = 0; j < count; j++) index[j] = Math.floor(rng() * n);
  const order = new Int32Array(count);
  for (let j = 0; j < count; j++) order[j] = j;
  order.sort((a, b) => index[a] - index[b] || a - b);
  const sorted = new Int32Array(count);
  for (let j = 0; j < count; j++) sorted[j] = index[order[j]];
  return { index, order, sorted };
}

/**
 * A streamed tensor: push chunks of the weight (null for moments only) and both moments, in order, then
 * end(). The lr thresholds of the estimate go to `onThresholds` (per implementation, chunk and node, as the
 * reference's hook receives them).
 *
 * @internal
 */
export class TensorStream {
  private pos = 0;
  // cast counts
  private mFlushed = 0;
  private mSub = 0;
  private vFlushed = 0;
  private vSub = 0;
  // the gradient model's sums
  private sumMeanSq = 0;
  private sumVar = 0;
  private readonly bc1o: number;
  private readonly bc2o: number;
  // √v̂ extremes, as float32 magnitude bits
  private vMaxBits = -1;
  private vMinBits = 0x7f800000;
  // gathered samples
  private readonly est: ReturnType<typeof sampleIndices>;
  private readonly evaluated: number;
  private estPtr = 0;
  private readonly gw: Float32Array;
  private readonly gm: Float32Array;
  private readonly gv: Float32Array;
  private readonly sq: ReturnType<typeof sampleIndices>;
  private sqPtr = 0;
  private readonly gsq: Float32Array;
  private ended = false;

  constructor(
    readonly elements: number,
    private readonly o: StreamOptions,
    private readonly momentsOnly: boolean,
    private readonly onThresholds: ((impl: AdamImplementation, t: Float64Array, n: number, w: number) => void) | null,
    private readonly fn: string,
  ) {
    const n = elements;
    this.bc1o = 1 - powInt(o.beta1, o.step);
    this.bc2o = 1 - powInt(o.beta2, o.step);
    this.evaluated = momentsOnly ? 0 : Math.min(n, o.sample);
    this.est = momentsOnly ? { index: null, order: new Int32Array(0), sorted: new Int32Array(0) } : sampleIndices(n, o.sample, o.seed);
    this.gw = new Float32Array(this.evaluated);
    this.gm = new Float32Array(this.evaluated);
    this.gv = new Float32Array(this.evaluated);
    const take = Math.min(n, SQRTV_SAMPLE);
    this.sq = sampleIndices(n, take, o.sqrtVSeed);
    this.gsq = new Float32Array(take);
  }

  /** Adds the next elements: weight (null for a moments-only stream), exp_avg, exp_avg_sq of equal length. */
  push(weight: Float32Array | null, expAvg: Float32Array, expAvgSq: Float32Array): void {
    const fn = this.fn;
    if (this.ended) throw new RangeError(`${fn}: push after end`);
    if (!(expAvg instanceof Float32Array) || !(expAvgSq instanceof Float32Array) || (weight !== null && !(weight instanceof Float32Array))) {
      throw new TypeError(`${fn}: push expects Float32Array chunks (weight, expAvg, expAvgSq)`);
    }
    const len = expAvg.length;
    if (expAvgSq.length !== len || (weight !== null && weight.length !== len)) {
      throw new RangeError(`${fn}: push got chunks of ${weight?.length ?? '-'}, ${len} and ${expAvgSq.length} elements; expected equal lengths`);
    }
    if (weight === null && !this.momentsOnly) throw new TypeError(`${fn}: push needs the weight chunk (only a moments-only stream takes null)`);
    if (this.pos + len > this.elements) throw new RangeError(`${fn}: pushed ${this.pos + len} elements, the tensor has ${this.elements}`);
    this.pass(expAvg, expAvgSq, len);
    const end = this.pos + len;
    // gather the sampled elements in this chunk
    const { order, sorted } = this.est;
    let p = this.estPtr;
    while (p < sorted.length && sorted[p] < end) {
      const i = sorted[p] - this.pos, j = order[p];
      this.gw[j] = (weight as Float32Array)[i];
      this.gm[j] = expAvg[i];
      this.gv[j] = expAvgSq[i];
      p++;
    }
    this.estPtr = p;
    const sq = this.sq;
    let q = this.sqPtr;
    while (q < sq.sorted.length && sq.sorted[q] < end) {
      this.gsq[sq.order[q]] = expAvgSq[sq.sorted[q] - this.pos];
      q++;
    }
    this.sqPtr = q;
    this.pos = end;
  }

  /** The full pass over one chunk of both moments: cast counts, the James–Stein sums, the √v̂ extremes. */
  private pass(m: Float32Array, v: Float32Array, n: number): void {
    const mu = new Uint32Array(m.buffer, m.byteOffset, n);
    const vu = new Uint32Array(v.buffer, v.byteOffset, n);
    const kind = this.o.precision === 'bf16' ? 0 : 1;
    const { flushMax, normalMin } = THRESHOLDS[kind];
    const bc1o = this.bc1o, bc2o = this.bc2o;
    let mFlushed = this.mFlushed, mSub = this.mSub, vFlushed = this.vFlushed, vSub = this.vSub;
    let sumMeanSq = this.sumMeanSq, sumVar = this.sumVar;
    let vMax = this.vMaxBits, vMin = this.vMinBits;
    for (let i = 0; i < n; i++) {
      const am = mu[i] & 0x7fffffff, av = vu[i] & 0x7fffffff;
      if (am !== 0 && am <= flushMax) mFlushed++;
      else if (am > flushMax && am < normalMin) mSub++;
      if (av !== 0 && av <= flushMax) vFlushed++;
      else if (av > flushMax && av < normalMin) vSub++;
      if (av < 0x7f800000) {
        if (av > vMax) vMax = av;
        if (av !== 0 && av < vMin) vMin = av;
      }
      const mh = m[i] / bc1o, vh = v[i] / bc2o;
      if (mh - mh === 0 && vh - vh === 0) {
        const mm = mh * mh;
        sumMeanSq += mm;
        // max(d, 0), exactly (d is finite: (d + |d|)/2 is d or +0), without a branch the data can mispredict
        const d = vh - mm;
        sumVar += (d + Math.abs(d)) * 0.5;
      }
    }
    this.mFlushed = mFlushed; this.mSub = mSub; this.vFlushed = vFlushed; this.vSub = vSub;
    this.sumMeanSq = sumMeanSq; this.sumVar = sumVar;
    this.vMaxBits = vMax; this.vMinBits = vMin;
  }

  /** Completes the tensor: every element must have been pushed. */
  end(): StreamResult {
    const fn = this.fn;
    if (this.ended) throw new RangeError(`${fn}: end called twice`);
    if (this.pos !== this.elements) throw new RangeError(`${fn}: the tensor has ${this.elements} elements, ${this.pos} were pushed`);
    this.ended = true;
    const o = this.o;
    const n = this.elements;
    const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
    const fromBits = (b: number): number => { u32[0] = b; return f32[0]; };
    const bc2 = o.step > 0 ? 1 - powInt(o.beta2, o.step) : 1;
    const max = this.vMaxBits < 0 ? 0 : Math.sqrt(fromBits(this.vMaxBits) / bc2);
    const minNonzero = this.vMinBits === 0x7f800000 ? Infinity : Math.sqrt(fromBits(this.vMinBits) / bc2);
    const sample = new Float32Array(this.gsq.length);
    for (let j = 0; j < sample.length; j++) sample[j] = Math.sqrt(Math.abs(this.gsq[j]) / bc2);
    const cast: AdamStateCast = { weightRounded: 0, expAvgFlushed: this.mFlushed, expAvgSubnormal: this.mSub, expAvgSqFlushed: this.vFlushed, expAvgSqSubnormal: this.vSub };
    const out: StreamResult = { elements: n, cast, sqrtV: { max, minNonzero, sample } };
    if (!this.momentsOnly) out.results = this.estimate(cast);
    return out;
  }

  /** The estimate on the gathered sample, both implementations, exactly as runAdamStep computes it. */
  private estimate(cast: AdamStateCast): Record<AdamImplementation, StepSummary> {
    const o = this.o, n = this.elements, fn = this.fn;
    const opts = (implementation: AdamImplementation): AdamStepOptions => ({
      lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay, decoupled: o.decoupled, precision: o.precision, implementation,
      estimate: { sample: o.sample, nodes: o.nodes, seed: o.seed },
    });
    const ro = { foreach: resolveAdamOptions(opts('foreach'), fn), fused: resolveAdamOptions(opts('fused'), fn) };
    const sc = { foreach: stepConstants(ro.foreach, o.step), fused: stepConstants(ro.fused, o.step) };
    const kind = o.precision === 'bf16' ? 0 : 1;
    const shrink = meanShrink(this.sumMeanSq, this.sumVar, emaNoiseRatio(o.beta1, o.step));
    const nodes = normalNodes(o.nodes);
    const K = nodes.length;
    const kf = sc.foreach.k, ku = sc.fused.k;
    const l2 = kf.hasWd && !o.decoupled ? o.weightDecay : 0;
    const evaluated = this.evaluated;
    const wEach = evaluated > 0 ? n / evaluated / K : 0;
    const counts = { foreach: zeroCounts(n), fused: zeroCounts(n) };
    const b = bulkBuffers(CHUNK);
    const thr = this.onThresholds ? new Float64Array(CHUNK) : null;
    const pC = new Float32Array(CHUNK), mC = new Float32Array(CHUNK), vC = new Float32Array(CHUNK);
    const G = new Float32Array(CHUNK), GU = new Uint32Array(G.buffer);
    const mu = new Float64Array(CHUNK), sd = new Float64Array(CHUNK), l2p = new Float64Array(CHUNK);
    const res = new Uint8Array(CHUNK);
    const uC = { foreach: new Uint16Array(CHUNK), fused: new Uint16Array(CHUNK) };
    const sums = { foreach: [0, 0], fused: [0, 0] };
    const bc1o = this.bc1o, bc2o = this.bc2o;
    for (let s = 0; s < evaluated; s += CHUNK) {
      const e = Math.min(evaluated, s + CHUNK), len = e - s;
      pC.set(this.gw.subarray(s, e));
      mC.set(this.gm.subarray(s, e));
      vC.set(this.gv.subarray(s, e));
      roundBitsInPlace(kind, new Uint32Array(pC.buffer, 0, len), len);
      roundBitsInPlace(kind, new Uint32Array(mC.buffer, 0, len), len);
      roundBitsInPlace(kind, new Uint32Array(vC.buffer, 0, len), len);
      for (let j = 0; j < len; j++) {
        const m = (shrink * this.gm[s + j]) / bc1o;
        mu[j] = m;
        sd[j] = Math.sqrt(Math.max(this.gv[s + j] / bc2o - m * m, 0));
        l2p[j] = l2 * pC[j];
      }
      uC.foreach.fill(0);
      uC.fused.fill(0);
      const pc = pC.subarray(0, len), mc = mC.subarray(0, len), vc = vC.subarray(0, len), g = G.subarray(0, len);
      for (let q = 0; q < K; q++) {
        const z = nodes[q];
        for (let j = 0; j < len; j++) G[j] = mu[j] + sd[j] * z - l2p[j];
        roundBitsInPlace(kind, GU, len);
        for (const impl of ['foreach', 'fused'] as const) {
          const k = impl === 'foreach' ? kf : ku;
          (impl === 'foreach' ? foreachBulk : fusedBulk)(k, len, pc, mc, vc, null, g, b);
          tallyChunk(counts[impl], k, impl === 'foreach', len, pc, b, wEach, thr, res);
          if (thr && this.onThresholds) this.onThresholds(impl, thr, len, wEach);
          const u = uC[impl];
          for (let j = 0; j < len; j++) u[j] += res[j] & 1;
        }
      }
      for (const impl of ['foreach', 'fused'] as const) {
        const u = uC[impl], acc = sums[impl];
        for (let j = 0; j < len; j++) {
          const pu = u[j] / K;
          acc[0] += pu; acc[1] += pu * pu;
        }
      }
    }
    const all = o.sample >= n;
    const summary = (impl: AdamImplementation): StepSummary => {
      const [sumU, sumU2] = sums[impl];
      const se = all ? 0 : sampleStdError(sumU, sumU2, evaluated);
      return {
        mode: 'estimate', counts: counts[impl], cast, scalars: sc[impl].scalars,
        estimate: { model: 'normal', nodes: K, evaluated, meanShrink: shrink, unchangedFractionStdError: se },
      };
    };
    return { foreach: summary('foreach'), fused: summary('fused') };
  }
}
