// simulateAdamStep: one step of PyTorch's torch.optim.Adam / AdamW (CPU, PyTorch 2.13) with the weights
// and both moments kept in bf16, fp16 or fp32, bit for bit.
//
// 'foreach' is the for-loop / foreach path (_single_tensor_adam, _multi_tensor_adam: on CPU the foreach
// ops fall back to the per-tensor ops): every in-place op is computed in float32 from operands already
// rounded to the precision, then rounded again. 'fused' is the fused CPU kernel (FusedAdamKernel.cpp):
// it loads the rounded tensors, computes everything in float32 and rounds each stored tensor once. The
// Python scalars (1 − lr·wd, 1 − β1, β2, 1 − β2, √(1 − β2^t), eps, lr / (1 − β1^t)) are float64 values
// cast to float32 where the kernel meets them. Where the CPU kernels fuse a multiply and an add (lerp_'s
// explicit vec::fmadd; the compiler's contraction of `v·β2 + (1−β2)·g·g`) the emulation uses a
// correctly rounded float32 FMA. The kernels are in adamKernels.ts; docs/training.md lists every op and
// its rounding; the oracle is ../shared/vectors/torch-checkpoints/trainer/truth.*
// (tests/diagnostics/adamStep.test.ts).
//
// Without a gradient the step is estimated: the next gradient is modelled per element from the
// checkpoint's own float32 moments (gradientModel.ts) and every count is its expectation under that
// model.
import { describeValue } from '../core/describe.js';
import { powInt } from '../core/powInt.js';
import { encodeBf16Bulk, encodeFp16Bulk } from '../formats/fast16.js';
import { checkOptionsObject } from '../core/options.js';
import { createRng } from '../core/rng.js';
import { bulkBuffers, foreachBulk, fusedBulk, halfGapFast, precisionOps, roundBitsInPlace, srMoveBulk, type BulkBuffers, type PrecisionOps, type StepConstants } from './adamKernels.js';
import { emaNoiseRatio, meanShrink, normalNodes } from './gradientModel.js';
import { readValue, resolveValues, type ValueSource, type ValuesInput } from './input.js';

/**
 * The dtype the weights and both moments are kept in.
 *
 * @example
 * ```ts
 * const p: AdamPrecision = 'bf16';
 * ```
 */
export type AdamPrecision = 'bf16' | 'fp16' | 'fp32';

/**
 * Which PyTorch CPU implementation: `'foreach'` (the for-loop and foreach paths, which round after every
 * in-place op) or `'fused'` (`fused=True`: float32 math, one rounding per stored tensor).
 *
 * @example
 * ```ts
 * const impl: AdamImplementation = 'fused';
 * ```
 */
export type AdamImplementation = 'foreach' | 'fused';

/**
 * The optimizer state of one parameter tensor, as a checkpoint holds it (`optimizer.pt`'s
 * `state[i]`), with the parameter itself. Values are float arrays (a float32 checkpoint: each value is
 * rounded to the precision as `load_state_dict` casts the state to the parameter's dtype) or
 * `{ codes, format }` (e.g. bf16 codes). All arrays have the same length.
 *
 * @example
 * ```ts
 * const state: AdamStepState = { weight, expAvg, expAvgSq, step: 200, grad };
 * ```
 */
export interface AdamStepState {
  /** The parameter. */
  weight: ValuesInput;
  /** `exp_avg`, the first moment. */
  expAvg: ValuesInput;
  /** `exp_avg_sq`, the second moment. */
  expAvgSq: ValuesInput;
  /** `max_exp_avg_sq`: required with `amsgrad`, ignored without. */
  maxExpAvgSq?: ValuesInput;
  /**
   * The state's `step`: how many steps the optimizer has taken (HF Trainer's `global_step`). The
   * simulated step is step + 1, the bias corrections use step + 1. A non-negative integer; the
   * estimate (no `grad`) needs at least 1.
   */
  step: number;
  /** The gradient of the next step (float32 in a real run; cast to the precision like `p.grad`). Omit it to estimate. */
  grad?: ValuesInput;
}

/**
 * How the step is estimated when the state has no gradient.
 *
 * @example
 * ```ts
 * simulateAdamStep(state, { ...opts, estimate: { nodes: 8, sample: 65536, seed: 1 } });
 * ```
 */
export interface AdamEstimateOptions {
  /** Gradient values per element the expectation is taken over (normal strata, see docs/training.md); default 16. */
  nodes?: number;
  /** Evaluate the expectation on at most this many elements, chosen at random (seeded); default: all. */
  sample?: number;
  /** Seed of the element sample; default 0. */
  seed?: number;
  /** Shrink the gradient's mean m̂ by the tensor's James–Stein factor (docs/training.md); default true. */
  shrinkMean?: boolean;
}

/**
 * Options of {@link simulateAdamStep}: the parameter group's hyper-parameters and where the step runs.
 *
 * @example
 * ```ts
 * const opts: AdamStepOptions = { lr: 1.1e-5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, precision: 'bf16', implementation: 'foreach' };
 * ```
 */
export interface AdamStepOptions {
  /** Learning rate the step uses (the group's `lr` after the scheduler), >= 0. */
  lr: number;
  /** [β1, β2], each in [0, 1). */
  betas: readonly [number, number];
  /** eps, >= 0. */
  eps: number;
  /** Weight decay, >= 0. */
  weightDecay: number;
  /** true (default): AdamW's decoupled decay p·(1 − lr·wd); false: Adam's L2 term g + wd·p. */
  decoupled?: boolean;
  /** The dtype of the weights and both moments. */
  precision: AdamPrecision;
  /** The PyTorch CPU implementation. */
  implementation: AdamImplementation;
  /** Maximize the objective (the gradient's sign flipped); default false. */
  maximize?: boolean;
  /** AMSGrad (needs `state.maxExpAvgSq`); default false. */
  amsgrad?: boolean;
  /** Without `grad`: how the step is estimated. */
  estimate?: AdamEstimateOptions;
  /** Without `grad`: also return the per-element probabilities (the whole tensor is evaluated, `sample` is ignored). Default false. */
  probabilities?: boolean;
}

/**
 * What the step does, element by element. With a gradient every count is exact (an integer); without,
 * each is the expected count under the gradient model (a real number).
 *
 * @example
 * ```ts
 * const { counts } = simulateAdamStep(state, opts);
 * counts.unchanged / counts.elements; // fraction of weights the step leaves bit for bit unchanged
 * ```
 */
export interface AdamStepCounts {
  /** Number of elements. */
  elements: number;
  /** Weights whose bits are the same before and after the step. */
  unchanged: number;
  /** Weights that are ±inf or NaN after the step. */
  nonFinite: number;
  /** Weights that would change if the new weight (computed in float32) were stored with stochastic rounding instead (expected count; see docs/training.md). */
  movedStochastic: number;
  /** Nonzero finite weights that decoupled weight decay alone, p·(1 − lr·wd) rounded, leaves unchanged (0 without decoupled decay). */
  decayNoop: number;
  /** Nonzero second moments that the decay v·β2 leaves unchanged (the op's precision: the kind's for 'foreach', float32 for 'fused'). */
  expAvgSqDecayAbsorbed: number;
  /** First moments that are ±0 after the step. */
  expAvgZero: number;
  /** First moments that are nonzero subnormals after the step. */
  expAvgSubnormal: number;
  /** Second moments that are 0 after the step. */
  expAvgSqZero: number;
  /** Second moments that are nonzero subnormals after the step. */
  expAvgSqSubnormal: number;
  /** Denominators √v̂ + eps that are 0 (the division gives ±inf or NaN). */
  zeroDenominator: number;
  /** Positive denominators to which adding eps changes nothing (eps vanished). */
  epsAbsorbed: number;
  /** Denominators in which eps exceeds √v̂ (eps dominates the step's scale). */
  epsDominant: number;
}

/**
 * What casting the state to the precision (as `load_state_dict` does) did to float inputs.
 *
 * @example
 * ```ts
 * simulateAdamStep(state, { ...opts, precision: 'fp16' }).cast.expAvgSqFlushed; // second moments that became 0
 * ```
 */
export interface AdamStateCast {
  /** Weights whose value changed. */
  weightRounded: number;
  /** Nonzero first moments that became ±0. */
  expAvgFlushed: number;
  /** Nonzero first moments that became subnormal. */
  expAvgSubnormal: number;
  /** Nonzero second moments that became 0. */
  expAvgSqFlushed: number;
  /** Nonzero second moments that became subnormal. */
  expAvgSqSubnormal: number;
}

/**
 * The scalars of the step, as the kernels see them.
 *
 * @example
 * ```ts
 * simulateAdamStep(state, opts).scalars.decayIsNoop; // true: lr·wd is below 2^-(p+1), decay does nothing
 * ```
 */
export interface AdamStepScalars {
  /** The step number of this update (state.step + 1). */
  step: number;
  /** 1 − β1^step (float64). */
  biasCorrection1: number;
  /** 1 − β2^step (float64). */
  biasCorrection2: number;
  /** lr / (1 − β1^step) (float64; the kernels use its float32 value). */
  stepSize: number;
  /** float32(1 − lr·wd): the decoupled decay factor (1 when there is none). */
  decayFactor: number;
  /** eps as the denominator receives it: rounded to the precision for 'foreach' (fp16: 1e-8 → 0), float32 for 'fused'. */
  epsUsed: number;
  /** Significand bits p of the precision (bf16 8, fp16 11, fp32 24). */
  significandBits: number;
  /** Decoupled decay is a no-op for every weight: 1 − decayFactor ≤ 2^-(p+1) (docs/training.md). */
  decayIsNoop: boolean;
  /** The decay v·β2 leaves every normal second moment unchanged ('foreach': 1 − float32(β2) ≤ 2^-(p+1)). */
  beta2DecayIsNoop: boolean;
}

/**
 * How an estimate was made (present when the state has no gradient).
 *
 * @example
 * ```ts
 * simulateAdamStep({ weight, expAvg, expAvgSq, step: 150 }, opts).estimate?.meanShrink;
 * ```
 */
export interface AdamStepEstimate {
  /** The gradient model: per element g ~ Normal(s·m̂, v̂ − (s·m̂)²). */
  model: 'normal';
  /** Nodes per element. */
  nodes: number;
  /** Elements evaluated (all, or the sample). */
  evaluated: number;
  /** The James–Stein factor s applied to m̂ (1 when `shrinkMean` is false). */
  meanShrink: number;
  /** Standard error of `counts.unchanged / elements` due to element sampling (0 when every element is evaluated). */
  unchangedFractionStdError: number;
}

/**
 * The 16-bit codes of a step's results (bf16 or fp16 bit patterns).
 *
 * @example
 * ```ts
 * simulateAdamStep(state, { ...opts, precision: 'bf16' }).codes?.weight; // Uint16Array of bf16 codes
 * ```
 */
export interface AdamStepCodes {
  /** Weights. */
  weight: Uint16Array;
  /** exp_avg. */
  expAvg: Uint16Array;
  /** exp_avg_sq. */
  expAvgSq: Uint16Array;
  /** max_exp_avg_sq (amsgrad only). */
  maxExpAvgSq?: Uint16Array;
}

/**
 * The result of {@link simulateAdamStep}. The arrays hold values exactly representable in the
 * precision; `codes` holds their 16-bit codes for bf16 and fp16. Without a gradient they are the step
 * under the mean gradient s·m̂ of the model, and the counts are expectations.
 *
 * @example
 * ```ts
 * const r = simulateAdamStep(state, opts);
 * r.counts.unchanged; r.weight; r.codes?.weight;
 * ```
 */
export interface AdamStepResult {
  /** The precision. */
  precision: AdamPrecision;
  /** The implementation. */
  implementation: AdamImplementation;
  /** 'exact' with a gradient, 'estimate' without. */
  mode: 'exact' | 'estimate';
  /** The weights after the step. */
  weight: Float32Array;
  /** exp_avg after the step. */
  expAvg: Float32Array;
  /** exp_avg_sq after the step. */
  expAvgSq: Float32Array;
  /** max_exp_avg_sq after the step (amsgrad only). */
  maxExpAvgSq?: Float32Array;
  /** The codes of the same values (bf16 and fp16 only). */
  codes?: AdamStepCodes;
  /** Counts (expected counts for an estimate). */
  counts: AdamStepCounts;
  /** What the cast of the state to the precision did. */
  cast: AdamStateCast;
  /** The step's scalars. */
  scalars: AdamStepScalars;
  /** How the estimate was made (estimate only). */
  estimate?: AdamStepEstimate;
  /** Per element: probability that the weight stays unchanged (estimate with `probabilities` only). */
  unchangedProbability?: Float32Array;
  /** Per element: probability that the weight becomes ±inf/NaN (estimate with `probabilities` only). */
  nonFiniteProbability?: Float32Array;
}

// ---------------------------------------------------------------------------------------------------
// validation

function checkNumber(v: unknown, name: string, fn: string, lo: number, loInclusive: boolean, hi = Infinity, hiInclusive = false): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${describeValue(v)}`);
  const okLo = loInclusive ? v >= lo : v > lo;
  const okHi = hiInclusive ? v <= hi : v < hi;
  if (!(okLo && okHi)) {
    throw new RangeError(`${fn}: ${name} must be in ${loInclusive ? '[' : '('}${lo}, ${hi === Infinity ? 'inf' : hi}${hiInclusive ? ']' : ')'}, got ${v}`);
  }
  return v;
}

function checkBool(v: unknown, name: string, fn: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean, got ${describeValue(v)}`);
  return v;
}

function checkInt(v: unknown, name: string, fn: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${describeValue(v)}`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

const f = Math.fround;

/** Elements per chunk of the bulk kernels. */
const CHUNK = 4096;

/** Validated hyper-parameters. @internal */
export interface ResolvedAdamOptions {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean;
  precision: AdamPrecision; implementation: AdamImplementation; maximize: boolean; amsgrad: boolean;
  nodes: number; sample: number; seed: number; shrinkMean: boolean; probabilities: boolean;
}

/** Validates the options of simulateAdamStep. @internal */
export function resolveAdamOptions(options: unknown, fn: string): ResolvedAdamOptions {
  if (options === undefined) throw new TypeError(`${fn}: options are required: { lr, betas, eps, weightDecay, precision, implementation }`);
  checkOptionsObject(options, fn, "{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, precision: 'bf16', implementation: 'foreach' }");
  const o = options as AdamStepOptions;
  const lr = checkNumber(o.lr, 'lr', fn, 0, true);
  const betas = o.betas as unknown;
  if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${fn}: betas must be [beta1, beta2], got ${describeValue(betas)}`);
  const beta1 = checkNumber(betas[0], 'betas[0]', fn, 0, true, 1, false);
  const beta2 = checkNumber(betas[1], 'betas[1]', fn, 0, true, 1, false);
  const eps = checkNumber(o.eps, 'eps', fn, 0, true);
  const weightDecay = checkNumber(o.weightDecay, 'weightDecay', fn, 0, true);
  if (!Number.isFinite(lr) || !Number.isFinite(eps) || !Number.isFinite(weightDecay)) {
    throw new RangeError(`${fn}: lr, eps and weightDecay must be finite, got ${lr}, ${eps}, ${weightDecay}`);
  }
  const decoupled = checkBool(o.decoupled, 'decoupled', fn, true);
  if (o.precision !== 'bf16' && o.precision !== 'fp16' && o.precision !== 'fp32') {
    throw new RangeError(`${fn}: precision must be 'bf16', 'fp16' or 'fp32', got ${describeValue(o.precision)}`);
  }
  if (o.implementation !== 'foreach' && o.implementation !== 'fused') {
    throw new RangeError(`${fn}: implementation must be 'foreach' or 'fused', got ${describeValue(o.implementation)}`);
  }
  const maximize = checkBool(o.maximize, 'maximize', fn, false);
  const amsgrad = checkBool(o.amsgrad, 'amsgrad', fn, false);
  const probabilities = checkBool(o.probabilities, 'probabilities', fn, false);
  const e = o.estimate;
  if (e !== undefined) checkOptionsObject(e, `${fn}: estimate`, '{ nodes: 16, sample: 65536, seed: 0 }');
  const nodes = checkInt(e?.nodes, 'estimate.nodes', fn, 1, 16);
  if (nodes > 4096) throw new RangeError(`${fn}: estimate.nodes must be at most 4096, got ${nodes}`);
  const sample = checkInt(e?.sample, 'estimate.sample', fn, 1, Number.MAX_SAFE_INTEGER);
  const seed = e?.seed === undefined ? 0 : e.seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`${fn}: estimate.seed must be a finite number, got ${describeValue(seed)}`);
  const shrinkMean = checkBool(e?.shrinkMean, 'estimate.shrinkMean', fn, true);
  return { lr, beta1, beta2, eps, weightDecay, decoupled, precision: o.precision, implementation: o.implementation, maximize, amsgrad, nodes, sample, seed, shrinkMean, probabilities };
}

/** The kernel constants for a step. @internal */
export function stepConstants(o: ResolvedAdamOptions, step: number): { k: StepConstants; scalars: AdamStepScalars } {
  const ops = precisionOps(o.precision);
  const t = step + 1;
  const bc1 = 1 - powInt(o.beta1, t); // Python's beta**step and C's std::pow: float64 pow, correctly rounded here
  const bc2 = 1 - powInt(o.beta2, t);
  const stepSize = o.lr / bc1;
  const hasWd = o.weightDecay !== 0;
  const decay = hasWd && o.decoupled ? f(1 - o.lr * o.weightDecay) : 1;
  const w = f(1 - o.beta1);
  const beta2 = f(o.beta2);
  const eps = f(o.eps);
  const epsP = ops.round(eps);
  const half = 2 ** -(ops.p + 1);
  const k: StepConstants = {
    ops, kind: o.precision === 'bf16' ? 0 : o.precision === 'fp16' ? 1 : 2, hasWd, decoupled: o.decoupled, wdF: f(o.weightDecay), wd: o.weightDecay, decay,
    lerpSmall: Math.abs(w) < 0.5, w, wc: f(w - 1), beta2, c2: f(1 - o.beta2), bc2sqrt: f(Math.sqrt(bc2)),
    eps: o.implementation === 'foreach' ? epsP : eps, negStep: f(-stepSize), bc1, maximize: o.maximize, amsgrad: o.amsgrad,
  };
  const scalars: AdamStepScalars = {
    step: t, biasCorrection1: bc1, biasCorrection2: bc2, stepSize, decayFactor: decay,
    epsUsed: k.eps, significandBits: ops.p,
    decayIsNoop: !(hasWd && o.decoupled) || 1 - decay <= half,
    beta2DecayIsNoop: 1 - beta2 <= (o.implementation === 'foreach' ? half : 2 ** -25),
  };
  return { k, scalars };
}

// ---------------------------------------------------------------------------------------------------
// loading the state

interface CastCounts { rounded: number; flushed: number; subnormal: number }

/**
 * Casts every value of a source to the precision (as load_state_dict casts a float32 state), counting
 * values that change, nonzero values that flush to 0 and results that are subnormal; stores the cast
 * values in `out` when given.
 */
function castSource(src: ValueSource, ops: PrecisionOps, kind: number, fn: string, out: Float32Array | null): CastCounts {
  const len = src.length;
  let flushed = 0, subnormal = 0, rounded = 0;
  const minN = ops.minNormal;
  if (src.kind === 'f32') {
    // float32: copy a chunk, round its bit patterns in place, compare
    const x = src.f32;
    const scratch = out ? null : new Float32Array(Math.min(len, CHUNK));
    for (let s = 0; s < len; s += CHUNK) {
      const e = Math.min(len, s + CHUNK);
      const dst = out ? out.subarray(s, e) : (scratch as Float32Array).subarray(0, e - s);
      dst.set(x.subarray(s, e));
      roundBitsInPlace(kind, new Uint32Array(dst.buffer, dst.byteOffset, e - s), e - s);
      for (let i = s; i < e; i++) {
        const a = x[i], r = dst[i - s];
        if (r !== a && a === a) {
          rounded++;
          if (r === 0) flushed++;
        }
        if (r !== 0 && r < minN && r > -minN) subnormal++;
      }
    }
  } else {
    for (let i = 0; i < len; i++) {
      const a = readValue(src, i, fn);
      const r = ops.cast(a);
      if (out) out[i] = r;
      if (r !== a && a === a) {
        rounded++;
        if (r === 0) flushed++;
      }
      if (r !== 0 && r < minN && r > -minN) subnormal++;
    }
  }
  return { flushed, subnormal, rounded };
}

// ---------------------------------------------------------------------------------------------------
// the step

/** Counts of n elements, all zero. @internal */
export function zeroCounts(n: number): AdamStepCounts {
  return {
    elements: n, unchanged: 0, nonFinite: 0, movedStochastic: 0, decayNoop: 0, expAvgSqDecayAbsorbed: 0,
    expAvgZero: 0, expAvgSubnormal: 0, expAvgSqZero: 0, expAvgSqSubnormal: 0, zeroDenominator: 0, epsAbsorbed: 0, epsDominant: 0,
  };
}

/**
 * Standard error of the mean of `evaluated` values drawn with replacement (no finite-population
 * correction), from their sum and sum of squares; 0 for fewer than two.
 *
 * @internal
 */
export function sampleStdError(sum: number, sumSq: number, evaluated: number): number {
  if (evaluated < 2) return 0;
  const mean = sum / evaluated;
  return Math.sqrt(Math.max(sumSq / evaluated - mean * mean, 0) / (evaluated - 1));
}

/**
 * Adds the outcomes of a bulk step over n elements to the counts, weight w each; per element 1
 * (unchanged) | 2 (non-finite) into `res` when given; the lr thresholds into `thr` when given.
 *
 * @internal
 */
export function tallyChunk(c: AdamStepCounts, k: StepConstants, foreach: boolean, n: number, p0: Float32Array, b: BulkBuffers, w: number, thr: Float64Array | null, res: Uint8Array | null): void {
  const minN = k.ops.minNormal, eps = k.eps, kind = k.kind;
  const { P, M, V, D, Q, Y, A, flags } = b;
  const decayThr = foreach && k.hasWd && k.decoupled;
  const sr = b.SR;
  srMoveBulk(kind, n, Y, p0, sr);
  let unchanged = 0, nonFinite = 0, moved = 0, decayNoop = 0, vAbs = 0, mZero = 0, mSub = 0, vZero = 0, vSub = 0, dZero = 0, epsAbs = 0, epsDom = 0;
  for (let i = 0; i < n; i++) {
    const x = p0[i], pn = P[i];
    let fl = 0;
    // bits equal: equal values with the same sign of zero, or both NaN (a NaN result is the canonical NaN)
    if ((pn === x && (x !== 0 || 1 / pn === 1 / x)) || (pn !== pn && x !== x)) { unchanged++; fl = 1; }
    if (pn - pn !== 0) { nonFinite++; fl |= 2; }
    moved += sr[i];
    const fg = flags[i];
    if ((fg & 1) !== 0) decayNoop++;
    if ((fg & 2) !== 0) vAbs++;
    const mm = M[i], vv = V[i], d = D[i], q = Q[i];
    if (mm === 0) mZero++;
    else if (mm < minN && mm > -minN) mSub++;
    if (vv === 0) vZero++;
    else if (vv < minN && vv > -minN) vSub++;
    if (d === 0) dZero++;
    else if (d > 0 && d === q && eps > 0) epsAbs++;
    if (eps > 0 && eps > q) epsDom++;
    if (thr) {
      // the lr below which x stays unchanged (0: it moves or breaks at any lr > 0)
      const a = A[i];
      let t = 0;
      if (pn - pn === 0 && a - a === 0 && d !== 0) {
        t = a === 0 ? Infinity : halfGapFast(kind, x, a > 0 ? -1 : 1) / Math.abs(a);
        // the for-loop path rounds the decay on its own: it moves x once lr·wd·|x| passes half a gap
        if (decayThr && x !== 0 && x - x === 0) {
          const td = halfGapFast(kind, x, x > 0 ? -1 : 1) / (Math.abs(x) * k.wd);
          if (td < t) t = td;
        }
      }
      thr[i] = t;
    }
    if (res) res[i] = fl;
  }
  c.unchanged += w * unchanged; c.nonFinite += w * nonFinite; c.movedStochastic += w * moved;
  c.decayNoop += w * decayNoop; c.expAvgSqDecayAbsorbed += w * vAbs; c.expAvgZero += w * mZero; c.expAvgSubnormal += w * mSub;
  c.expAvgSqZero += w * vZero; c.expAvgSqSubnormal += w * vSub; c.zeroDenominator += w * dZero; c.epsAbsorbed += w * epsAbs; c.epsDominant += w * epsDom;
}

/** Optional hook for the training analysis: receives, per evaluated element and gradient node, the lr thresholds. @internal */
export interface StepHooks {
  /** Per chunk: thresholds[0..n) (each element stays unchanged for lr below its threshold; 0: never, Infinity: always), each of weight `weight`. */
  lrThresholds?: (thresholds: Float64Array, n: number, weight: number) => void;
  /** Estimate only: skip the returned arrays and the full cast copies (the arrays of the result are empty). */
  countsOnly?: boolean;
}

/** Throws unless an estimated step (no gradient) has moments to estimate from: state.step >= 1. @internal */
export function checkEstimateStep(step: number, fn: string): void {
  if (step < 1) throw new RangeError(`${fn}: without a gradient the step is estimated from the saved moments, which needs state.step >= 1, got ${step}`);
}

/** The engine behind simulateAdamStep (with internal hooks). @internal */
export function runAdamStep(state: AdamStepState, options: AdamStepOptions, hooks?: StepHooks): AdamStepResult {
  const fn = 'simulateAdamStep';
  if (state === null || typeof state !== 'object' || Array.isArray(state) || ArrayBuffer.isView(state)) {
    throw new TypeError(`${fn}: state must be { weight, expAvg, expAvgSq, step, grad? }, got ${describeValue(state)}`);
  }
  const o = resolveAdamOptions(options, fn);
  const step = state.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new RangeError(`${fn}: state.step must be a non-negative integer (the steps taken so far), got ${describeValue(step)}`);
  const ops = precisionOps(o.precision);
  const estimate = state.grad === undefined;
  if (estimate) checkEstimateStep(step, fn);
  const srcW = resolveValues(state.weight, fn, 'weight');
  const n = srcW.length;
  const source = (input: unknown, name: string): ValueSource => {
    const src = resolveValues(input, fn, name);
    if (src.length !== n) throw new RangeError(`${fn}: ${name} has ${src.length} elements, weight has ${n}; expected the same length`);
    return src;
  };
  const srcM = source(state.expAvg, 'expAvg');
  const srcV = source(state.expAvgSq, 'expAvgSq');
  let srcVM: ValueSource | null = null;
  if (o.amsgrad) {
    if (state.maxExpAvgSq === undefined) throw new TypeError(`${fn}: amsgrad needs state.maxExpAvgSq (the max_exp_avg_sq state), got undefined`);
    srcVM = source(state.maxExpAvgSq, 'maxExpAvgSq');
  }
  const srcG = estimate ? null : source(state.grad, 'grad');
  const { k, scalars } = stepConstants(o, step);
  const kind = k.kind;
  // the training analysis only needs the counts of an estimate: no full cast copies, no returned arrays
  const arrays = !(estimate && hooks?.countsOnly === true && !o.probabilities);
  const full = (src: ValueSource | null): Float32Array | null => (src && arrays ? new Float32Array(n) : null);
  const p = full(srcW), m = full(srcM), v = full(srcV), vm = full(srcVM), g = full(srcG);
  const cW = castSource(srcW, ops, kind, fn, p);
  const cM = castSource(srcM, ops, kind, fn, m);
  const cV = castSource(srcV, ops, kind, fn, v);
  if (srcVM) castSource(srcVM, ops, kind, fn, vm);
  if (srcG) castSource(srcG, ops, kind, fn, g);
  const fused = o.implementation === 'fused';
  const kernel = fused ? fusedBulk : foreachBulk;
  const len = arrays ? n : 0;
  const pOut = new Float32Array(len), mOut = new Float32Array(len), vOut = new Float32Array(len);
  const vmOut = srcVM ? new Float32Array(len) : null;
  const counts = zeroCounts(n);
  const hook = hooks?.lrThresholds;
  const thr = hook ? new Float64Array(CHUNK) : null;
  const b = bulkBuffers(CHUNK);
  const result: AdamStepResult = {
    precision: o.precision, implementation: o.implementation, mode: estimate ? 'estimate' : 'exact',
    weight: pOut, expAvg: mOut, expAvgSq: vOut, counts,
    cast: { weightRounded: cW.rounded, expAvgFlushed: cM.flushed, expAvgSubnormal: cM.subnormal, expAvgSqFlushed: cV.flushed, expAvgSqSubnormal: cV.subnormal },
    scalars,
  };
  const keep = (s: number, e: number) => {
    pOut.set(b.P.subarray(0, e - s), s); mOut.set(b.M.subarray(0, e - s), s); vOut.set(b.V.subarray(0, e - s), s);
    if (vmOut) vmOut.set(b.VM.subarray(0, e - s), s);
  };
  if (!estimate) {
    const pa = p as Float32Array, ma = m as Float32Array, va = v as Float32Array, ga = g as Float32Array;
    for (let s = 0; s < n; s += CHUNK) {
      const e = Math.min(n, s + CHUNK);
      kernel(k, e - s, pa.subarray(s, e), ma.subarray(s, e), va.subarray(s, e), vm ? vm.subarray(s, e) : null, ga.subarray(s, e), b);
      keep(s, e);
      tallyChunk(counts, k, !fused, e - s, pa.subarray(s, e), b, 1, thr, null);
      if (hook && thr) hook(thr, e - s, 1);
    }
  } else {
    // the gradient model: h (what enters the moments) ~ Normal(s·m̂, v̂ − (s·m̂)²) per element, from the
    // moments as given (float32 in a checkpoint: before their cast, which may have flushed them)
    const t = step;
    const bc1o = 1 - powInt(o.beta1, t), bc2o = 1 - powInt(o.beta2, t);
    let sumMeanSq = 0, sumVar = 0;
    for (let i = 0; i < n; i++) {
      const mh = readValue(srcM, i, fn) / bc1o, vh = readValue(srcV, i, fn) / bc2o;
      if (!Number.isFinite(mh) || !Number.isFinite(vh)) continue;
      sumMeanSq += mh * mh;
      sumVar += Math.max(vh - mh * mh, 0);
    }
    const shrink = o.shrinkMean ? meanShrink(sumMeanSq, sumVar, emaNoiseRatio(o.beta1, t)) : 1;
    const nodes = normalNodes(o.nodes);
    const K = nodes.length;
    const sign = o.maximize ? -1 : 1;
    const l2 = k.hasWd && !o.decoupled ? o.weightDecay : 0;
    // the float32 gradients of node z for elements [0, len) of the given arrays, cast to the precision as p.grad is
    const G = new Float32Array(CHUNK);
    const grads = (len: number, mRaw: Float64Array, vRaw: Float64Array, p0: Float32Array, z: number): Float32Array => {
      for (let i = 0; i < len; i++) {
        const mu = (shrink * mRaw[i]) / bc1o;
        const sd = Math.sqrt(Math.max(vRaw[i] / bc2o - mu * mu, 0));
        G[i] = sign * (mu + sd * z - l2 * p0[i]);
      }
      roundBitsInPlace(kind, new Uint32Array(G.buffer, 0, len), len);
      return G.subarray(0, len);
    };
    const mRawC = new Float64Array(CHUNK), vRawC = new Float64Array(CHUNK);
    const raw = (s: number, e: number, index: Int32Array | null) => {
      for (let j = s; j < e; j++) {
        const i = index ? index[j] : j;
        mRawC[j - s] = readValue(srcM, i, fn);
        vRawC[j - s] = readValue(srcV, i, fn);
      }
    };
    if (arrays) {
      // the returned arrays: the step under the model's mean gradient
      const pa = p as Float32Array, ma = m as Float32Array, va = v as Float32Array;
      for (let s = 0; s < n; s += CHUNK) {
        const e = Math.min(n, s + CHUNK);
        raw(s, e, null);
        const pc = pa.subarray(s, e);
        kernel(k, e - s, pc, ma.subarray(s, e), va.subarray(s, e), vm ? vm.subarray(s, e) : null, grads(e - s, mRawC, vRawC, pc, 0), b);
        keep(s, e);
      }
    }
    const all = o.probabilities || o.sample >= n;
    const evaluated = all ? n : o.sample;
    let index: Int32Array | null = null;
    if (!all) {
      const rng = createRng(o.seed);
      index = new Int32Array(evaluated);
      for (let j = 0; j < evaluated; j++) index[j] = Math.floor(rng() * n);
    }
    const wEach = evaluated > 0 ? n / evaluated / K : 0;
    const probU = o.probabilities ? new Float32Array(n) : null;
    const probN = o.probabilities ? new Float32Array(n) : null;
    const pC = new Float32Array(CHUNK), mC = new Float32Array(CHUNK), vC = new Float32Array(CHUNK), vmC = srcVM ? new Float32Array(CHUNK) : null;
    const res = new Uint8Array(CHUNK), uC = new Uint16Array(CHUNK), nfC = new Uint16Array(CHUNK);
    const at = (arr: Float32Array | null, src: ValueSource, i: number): number => (arr ? arr[i] : ops.cast(readValue(src, i, fn)));
    let sumU = 0, sumU2 = 0;
    for (let s = 0; s < evaluated; s += CHUNK) {
      const e = Math.min(evaluated, s + CHUNK), len = e - s;
      for (let j = s; j < e; j++) {
        const i = index ? index[j] : j;
        pC[j - s] = at(p, srcW, i); mC[j - s] = at(m, srcM, i); vC[j - s] = at(v, srcV, i);
        if (vmC && srcVM) vmC[j - s] = at(vm, srcVM, i);
      }
      raw(s, e, index);
      uC.fill(0); nfC.fill(0);
      const pc = pC.subarray(0, len), mc = mC.subarray(0, len), vc = vC.subarray(0, len), vmc = vmC ? vmC.subarray(0, len) : null;
      for (let q = 0; q < K; q++) {
        kernel(k, len, pc, mc, vc, vmc, grads(len, mRawC, vRawC, pc, nodes[q]), b);
        tallyChunk(counts, k, !fused, len, pc, b, wEach, thr, res);
        if (hook && thr) hook(thr, len, wEach);
        for (let j = 0; j < len; j++) { uC[j] += res[j] & 1; nfC[j] += res[j] >> 1; }
      }
      for (let j = 0; j < len; j++) {
        const pu = uC[j] / K;
        sumU += pu; sumU2 += pu * pu;
        if (probU && probN) { probU[s + j] = pu; probN[s + j] = nfC[j] / K; }
      }
    }
    const se = all ? 0 : sampleStdError(sumU, sumU2, evaluated);
    result.estimate = { model: 'normal', nodes: K, evaluated, meanShrink: shrink, unchangedFractionStdError: se };
    if (probU && probN) { result.unchangedProbability = probU; result.nonFiniteProbability = probN; }
  }
  if (vmOut) result.maxExpAvgSq = vmOut;
  if (o.precision !== 'fp32') {
    // the values are exact in the precision: encoding them only repacks the bits
    const enc = (a: Float32Array) => {
      const c = new Uint16Array(a.length);
      (o.precision === 'bf16' ? encodeBf16Bulk : encodeFp16Bulk)(new Int32Array(a.buffer, a.byteOffset, a.length), c);
      return c;
    };
    result.codes = { weight: enc(pOut), expAvg: enc(mOut), expAvgSq: enc(vOut) };
    if (vmOut) result.codes.maxExpAvgSq = enc(vmOut);
  }
  return result;
}

/**
 * One Adam/AdamW step as PyTorch 2.13 computes it on the CPU with the weights and both moments kept in
 * `precision` (bf16, fp16 or fp32), for the `'foreach'` (for-loop) or `'fused'` implementation.
 *
 * With `state.grad` the step is exact: the weights and moments equal PyTorch's bit for bit (checked on
 * every element of the public trainer runs) and the counts are exact. Without it, the step is
 * estimated from the checkpoint alone: the next gradient is modelled per element as a normal variable
 * with the mean and second moment the saved float32 moments imply (the mean shrunk toward 0 by how
 * much of it is noise), the returned arrays are the step under the mean gradient, and the counts are
 * expectations (docs/training.md states the assumptions and the measured accuracy).
 *
 * Inputs are never modified. `state.step` is the state's step before this update (the update is step
 * + 1).
 *
 * @param state - `{ weight, expAvg, expAvgSq, step, grad?, maxExpAvgSq? }` (float arrays or `{ codes, format }`).
 * @param options - `{ lr, betas, eps, weightDecay, decoupled?, precision, implementation, maximize?, amsgrad?, estimate?, probabilities? }`.
 * @example
 * ```ts
 * const r = simulateAdamStep(
 *   { weight: new Float32Array([1, 0.5]), expAvg: new Float32Array([1e-4, -1e-4]), expAvgSq: new Float32Array([1e-8, 1e-8]), step: 100,
 *     grad: new Float32Array([1e-4, -1e-4]) },
 *   { lr: 1e-5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, precision: 'bf16', implementation: 'foreach' },
 * );
 * r.counts.unchanged; // 2: both updates (about 1e-5) are below half a bf16 ulp of the weights
 * r.scalars.decayIsNoop; // true: lr·wd = 1e-7 < 2^-9
 * ```
 */
export function simulateAdamStep(state: AdamStepState, options: AdamStepOptions): AdamStepResult {
  return runAdamStep(state, options);
}
