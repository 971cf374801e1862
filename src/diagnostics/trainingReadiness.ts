// Training readiness: what pure bf16/fp16 weights and Adam states would do to the next optimizer step of
// a checkpoint, per tensor and overall, for PyTorch's for-loop ('foreach') and fused CPU AdamW/Adam, with
// the sentences that lead to a decision. Each tensor goes through analyzeTrainingTensor (or a
// TrainingAnalyzer's add, which also keeps the bounded summaries the totals need), so a checkpoint is
// analysed tensor by tensor in bounded memory. The step itself is simulateAdamStep (exact with a
// gradient, an estimate from the saved moments without); the bounds and the estimate's assumptions are
// derived in docs/training.md.
import { describeValue } from '../core/describe.js';
import { checkOptionsObject } from '../core/options.js';
import { powInt } from '../core/powInt.js';
import { createRng } from '../core/rng.js';
import { checkEstimateStep, resolveAdamOptions, runAdamStep, type AdamImplementation, type AdamStepOptions, type AdamStepResult } from './adamStep.js';
import { resolveValues, readValue, type ValuesInput } from './input.js';
import { recommendLossScale } from './lossScale.js';
import { fmtCount, fmtLog2, fmtPercent, fmtPrecise, fmtValue } from './text.js';
import { SQRTV_SAMPLE, TensorStream, type SqrtVFigures, type StepSummary, type StreamOptions } from './trainingStream.js';

/**
 * The optimizer of a checkpoint: Adam (L2 term in the gradient) or AdamW (decoupled decay). The two
 * are indistinguishable in `optimizer.pt`, so it is an option (default `'adamw'`).
 *
 * @example
 * ```ts
 * const kind: OptimizerKind = 'adamw';
 * ```
 */
export type OptimizerKind = 'adam' | 'adamw';

/**
 * One parameter tensor with its optimizer state (float32 arrays as `optimizer.pt` holds them).
 *
 * @example
 * ```ts
 * analyzer.add({ name: 'blocks.0.fc1.weight', weight, expAvg, expAvgSq, weightDecay: 0.1 });
 * ```
 */
export interface TrainingTensorInput {
  /** Parameter name. */
  name: string;
  /** The parameter. */
  weight: ValuesInput;
  /** `exp_avg`. */
  expAvg: ValuesInput;
  /** `exp_avg_sq`. */
  expAvgSq: ValuesInput;
  /** The next step's gradient, when known (the step is then exact instead of estimated). */
  grad?: ValuesInput;
  /** This parameter's group weight decay; default the options' `weightDecay`. */
  weightDecay?: number;
  /** This parameter's group lr; default the options' `lr`. */
  lr?: number;
  /** Shape, carried into the report. */
  shape?: number[];
}

/**
 * Options of the training analysis.
 *
 * @example
 * ```ts
 * const opts: TrainingReadinessOptions = { precision: 'bf16', lr: 1.1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 150, weightDecay: 0.01 };
 * ```
 */
export interface TrainingReadinessOptions {
  /** The dtype the weights and both moments would be kept in. */
  precision: 'bf16' | 'fp16';
  /** 'adamw' (default) or 'adam'. */
  optimizer?: OptimizerKind;
  /** The lr of the next step (the saved group lr). */
  lr: number;
  /** [β1, β2]. */
  betas: readonly [number, number];
  /** eps. */
  eps: number;
  /** The state's step (steps taken so far). */
  step: number;
  /** Weight decay of tensors that do not give their own; default 0. */
  weightDecay?: number;
  /** Elements per tensor the estimate is evaluated on (a seeded random sample); default 16384. */
  sample?: number;
  /** Gradient nodes per element of the estimate; default 16. */
  nodes?: number;
  /** Seed of the element samples; default 0. */
  seed?: number;
}

/**
 * The step's figures for one implementation.
 *
 * @example
 * ```ts
 * report.implementations.foreach.unchangedFraction; // 0.99
 * ```
 */
export interface TrainingImplementationFigures {
  /** Elements. */
  elements: number;
  /** Weights the next step leaves unchanged (expected count for an estimate). */
  unchanged: number;
  /** unchanged / elements. */
  unchangedFraction: number;
  /** Weights that become ±inf/NaN. */
  nonFinite: number;
  /** Fraction of weights that would move if the new weight were stored with stochastic rounding. */
  stochasticMovedFraction: number;
  /** Denominators that are 0 (division by zero). */
  zeroDenominator: number;
  /** Standard error of `unchangedFraction` from sampling the elements (0 when every element was evaluated, or exact). */
  unchangedFractionStdError: number;
}

/**
 * Decoupled weight decay of a tensor.
 *
 * @example
 * ```ts
 * analyzeTrainingTensor(input, opts).decay.noop; // true: lr·wd <= 2^-(p+1)
 * ```
 */
export interface TrainingDecayFigures {
  /** lr·wd. */
  lrTimesWd: number;
  /** Decay does nothing to any weight (1 − float32(1 − lr·wd) ≤ 2^-(p+1)). */
  noop: boolean;
  /** Fraction of the weights the decay alone leaves unchanged (for-loop path; nonzero finite weights counted). */
  noopFraction: number;
}

/**
 * The moments of a tensor cast to the precision, and their decay.
 *
 * @example
 * ```ts
 * analyzeTrainingTensor(input, { ...opts, precision: 'fp16' }).moments.expAvgSqFlushed;
 * ```
 */
export interface TrainingMomentFigures {
  /** Nonzero exp_avg values that become 0. */
  expAvgFlushed: number;
  /** exp_avg values that become subnormal. */
  expAvgSubnormal: number;
  /** Nonzero exp_avg_sq values that become 0. */
  expAvgSqFlushed: number;
  /** exp_avg_sq values that become subnormal. */
  expAvgSqSubnormal: number;
  /** Fraction of the elements whose nonzero exp_avg_sq mul_(β2) leaves unchanged (for-loop path). */
  expAvgSqDecayAbsorbedFraction: number;
}

/**
 * eps in a tensor's denominators.
 *
 * @example
 * ```ts
 * analyzeTrainingTensor(input, { ...opts, precision: 'fp16' }).eps.inPrecision; // 0 for eps 1e-8
 * ```
 */
export interface TrainingEpsFigures {
  /** eps rounded to the precision (what the for-loop path adds). */
  inPrecision: number;
  /** Fraction of elements whose positive denominator eps does not change (for-loop path). */
  absorbedFraction: number;
  /** Fraction of elements where eps exceeds √v̂ (for-loop path). */
  dominantFraction: number;
}

/**
 * The gradient magnitudes a tensor's √v̂ implies, and the fp16 loss scale they would need.
 *
 * @example
 * ```ts
 * analyzeTrainingTensor(input, opts).gradients.fp16LossScale;
 * ```
 */
export interface TrainingGradientFigures {
  /** Median √v̂ (of the sampled elements). */
  median: number;
  /** Largest √v̂. */
  max: number;
  /** Smallest nonzero √v̂. */
  minNonzero: number;
  /** Of these magnitudes cast to fp16: fraction that flush to zero at scale 1. */
  flushedFp16Fraction: number;
  /** The fp16 loss scale (a power of two, at least 1) that recommendLossScale gives for them. */
  fp16LossScale: number;
}

/**
 * Per tensor figures of {@link analyzeTrainingTensor}.
 *
 * @example
 * ```ts
 * const t = analyzeTrainingTensor(input, opts);
 * t.implementations.fused.nonFinite; t.reasons;
 * ```
 */
export interface TrainingTensorReport {
  /** Name. */
  name: string;
  /** Shape, when given. */
  shape?: number[];
  /** Elements. */
  elements: number;
  /** 'exact' (a gradient was given) or 'estimate'. */
  mode: 'exact' | 'estimate';
  /** The lr used. */
  lr: number;
  /** The weight decay used. */
  weightDecay: number;
  /** Figures per implementation. */
  implementations: Record<AdamImplementation, TrainingImplementationFigures>;
  /** Decoupled weight decay (AdamW). */
  decay: TrainingDecayFigures;
  /** The state cast to the precision and the moment decay. */
  moments: TrainingMomentFigures;
  /** eps in the denominator. */
  eps: TrainingEpsFigures;
  /** Gradient magnitudes implied by √v̂ = √(v / (1 − β2^t)). */
  gradients: TrainingGradientFigures;
  /** Sentences. */
  reasons: string[];
}

/**
 * An lr schedule: the lr of each remaining step (index 0 = the next step), or a function of the step
 * number with the last step.
 *
 * @example
 * ```ts
 * const s: LrSchedule = { lrAt: hfLrSchedule({ kind: 'cosine', peakLr: 3e-3, warmupSteps: 20, maxSteps: 400 }), maxSteps: 400 };
 * ```
 */
export type LrSchedule = LrList | LrFunction;

/**
 * The lr of each remaining step.
 *
 * @example
 * ```ts
 * const s: LrList = { lrs: [1e-5, 9e-6, 8e-6] };
 * ```
 */
export interface LrList {
  /** lrs[0] is the lr of the next step (state step + 1), lrs[1] of the one after, ... */
  lrs: readonly number[];
}

/**
 * The lr as a function of the step number.
 *
 * @example
 * ```ts
 * const s: LrFunction = { lrAt: (t) => 1e-4 * (1 - t / 1000), maxSteps: 1000 };
 * ```
 */
export interface LrFunction {
  /** lr of the update made at scheduler step `step` (the state's step before it, as HF's LambdaLR counts). */
  lrAt: (step: number) => number;
  /** The last step (exclusive): steps state.step ... maxSteps − 1 remain. */
  maxSteps: number;
}

/**
 * The fp16 loss scale for the gradient magnitudes √v̂ of all tensors.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, opts).lossScale.log2Scale;
 * ```
 */
export interface TrainingLossScale {
  /** The recommended scale (a power of two). */
  scale: number;
  /** Its log2. */
  log2Scale: number;
  /** Fraction of the nonzero magnitudes that flush to 0 in fp16 at scale 1. */
  flushedBefore: number;
  /** The same at the recommended scale. */
  flushedAfter: number;
  /** recommendLossScale's sentence. */
  reason: string;
}

/**
 * A point of the absorption curve.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, opts).absorption.curve[0]; // { lr, foreach, fused }
 * ```
 */
export interface AbsorptionPoint {
  /** The lr. */
  lr: number;
  /** Unchanged fraction at that lr, for-loop. */
  foreach: number;
  /** Unchanged fraction at that lr, fused. */
  fused: number;
}

/**
 * The largest lr at which the unchanged fraction reaches a level.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, opts).absorption.levels; // [{ level: 0.5, foreach: 3e-4, fused: 2.9e-4 }, ...]
 * ```
 */
export interface AbsorptionLevel {
  /** The level (fraction of weights unchanged). */
  level: number;
  /** The lr, for-loop (null: not within 2^-40 of the current lr). */
  foreach: number | null;
  /** The lr, fused. */
  fused: number | null;
}

/**
 * Unchanged fraction as a function of the lr, the moments held as they are.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, opts).absorption.levels[0].foreach;
 * ```
 */
export interface TrainingAbsorption {
  /** Points from 4× the current lr down to 1/1024 of it, lr descending. */
  curve: AbsorptionPoint[];
  /** Per level. */
  levels: AbsorptionLevel[];
}

/**
 * A step of an lr schedule and the unchanged fractions at its lr.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, { ...opts, schedule }).schedule?.points[0]; // { step, lr, foreach, fused }
 * ```
 */
export interface SchedulePoint {
  /** Step number of the update. */
  step: number;
  /** Its lr. */
  lr: number;
  /** Unchanged fraction, for-loop. */
  foreach: number;
  /** Unchanged fraction, fused. */
  fused: number;
}

/**
 * Where a step and its lr reach a level.
 *
 * @example
 * ```ts
 * const p: StepAndLr = { step: 312, lr: 2.2e-4 };
 * ```
 */
export interface StepAndLr {
  /** Step number of the update. */
  step: number;
  /** Its lr. */
  lr: number;
}

/**
 * The first step of a schedule at which the unchanged fraction reaches a level.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, { ...opts, schedule }).schedule?.reach[0].foreach?.step;
 * ```
 */
export interface ScheduleLevel {
  /** The level. */
  level: number;
  /** For-loop (null: never within the schedule). */
  foreach: StepAndLr | null;
  /** Fused. */
  fused: StepAndLr | null;
}

/**
 * Absorption along an lr schedule.
 *
 * @example
 * ```ts
 * trainingReadiness(tensors, { ...opts, schedule: { lrs } }).schedule?.reach;
 * ```
 */
export interface TrainingSchedule {
  /** Steps covered. */
  steps: number;
  /** At most about 20 points of the schedule. */
  points: SchedulePoint[];
  /** Per level. */
  reach: ScheduleLevel[];
}

/**
 * Options of {@link TrainingAnalyzer.finish}.
 *
 * @example
 * ```ts
 * analyzer.finish({ schedule: { lrs }, levels: [0.5, 0.9] });
 * ```
 */
export interface TrainingFinishOptions {
  /** The remaining lrs: adds `schedule` to the result and its sentences. */
  schedule?: LrSchedule;
  /** Absorption levels (fractions of weights unchanged); default [0.5, 0.9, 0.99]. */
  levels?: readonly number[];
}

/**
 * A Hugging Face scheduler (see {@link hfLrSchedule}).
 *
 * @example
 * ```ts
 * const s: HfScheduleSpec = { kind: 'cosine', peakLr: 3e-4, warmupSteps: 100, maxSteps: 10000 };
 * ```
 */
export interface HfScheduleSpec {
  /** linear (`get_linear_schedule_with_warmup`), cosine (half a cycle), or constant after warmup. */
  kind: 'linear' | 'cosine' | 'constant';
  /** The lr after warmup. */
  peakLr: number;
  /** Warmup steps (linear from 0). */
  warmupSteps: number;
  /** Total steps (the lr is 0 there for linear and cosine). */
  maxSteps: number;
}

/**
 * The totals of a training analysis ({@link TrainingAnalyzer.finish}).
 *
 * @example
 * ```ts
 * const r = trainingReadiness(tensors, opts);
 * r.implementations.foreach.unchangedFraction; r.reasons;
 * ```
 */
export interface TrainingReadiness {
  /** The optimizer assumed. */
  optimizer: OptimizerKind;
  /** Precision. */
  precision: 'bf16' | 'fp16';
  /** lr of the next step. */
  lr: number;
  /** The state's step. */
  step: number;
  /** betas. */
  betas: [number, number];
  /** eps. */
  eps: number;
  /** 'exact' when every tensor had a gradient, 'estimate' when none had, else 'mixed'. */
  mode: 'exact' | 'estimate' | 'mixed';
  /** Totals per implementation. */
  implementations: Record<AdamImplementation, TrainingImplementationFigures>;
  /** Per tensor. */
  tensors: TrainingTensorReport[];
  /** Tensors whose moments alone were analysed ({@link TrainingAnalyzer.beginMomentsOnly}); not in the totals. */
  momentsOnly: TrainingMomentsReport[];
  /** 2^-(p+1): decay by a factor 1 − δ, δ ≤ this, leaves every value unchanged. */
  absorptionBound: number;
  /** The fp16 loss scale recommended for the gradient magnitudes √v̂ of all tensors (sampled). */
  lossScale: TrainingLossScale;
  /** Unchanged fraction as a function of the lr (moments held as they are), per implementation. */
  absorption: TrainingAbsorption;
  /** With a schedule: where absorption reaches the levels as the lr decays. */
  schedule?: TrainingSchedule;
  /** Sentences that lead to a decision. */
  reasons: string[];
}

// ---------------------------------------------------------------------------------------------------

const BINS_PER_OCTAVE = 8;
const LOG2_LO = -64; // thresholds below 2^-64 count as "moves at any lr"
const LOG2_HI = 16;
const NBINS = (LOG2_HI - LOG2_LO) * BINS_PER_OCTAVE + 2; // + never-unchanged bin 0, always-unchanged last

/** Weighted histogram of per-element lr thresholds (the weight stays unchanged for lr below it). */
class ThresholdHistogram {
  readonly w = new Float64Array(NBINS);
  total = 0;
  add(lrCrit: number, weight: number): void {
    this.total += weight;
    let j: number;
    if (!(lrCrit > 0)) j = 0;
    else if (lrCrit === Infinity) j = NBINS - 1;
    else {
      const b = Math.floor((Math.log2(lrCrit) - LOG2_LO) * BINS_PER_OCTAVE);
      j = b < 0 ? 0 : b >= NBINS - 2 ? NBINS - 1 : b + 1;
    }
    this.w[j] += weight;
  }
  /** Adds bin weights and a total (a histogram's state, e.g. from another thread). */
  mergeState(o: { w: Float64Array; total: number }): void {
    if (o.w.length !== NBINS) throw new RangeError(`a threshold histogram has ${NBINS} bins, got ${o.w.length}`);
    for (let j = 0; j < NBINS; j++) this.w[j] += o.w[j];
    this.total += o.total;
  }
  /** A copy of the bin weights and total. */
  state(): { w: Float64Array; total: number } {
    return { w: this.w.slice(), total: this.total };
  }
  /** Fraction of weight with threshold above lr (bins counted by their geometric centre). */
  unchangedAt(lr: number): number {
    if (this.total === 0) return 0;
    if (!(lr > 0)) return 1 - this.w[0] / this.total;
    let s = this.w[NBINS - 1];
    const x = (Math.log2(lr) - LOG2_LO) * BINS_PER_OCTAVE;
    for (let j = NBINS - 2; j >= 1; j--) {
      if (j - 1 + 0.5 > x) s += this.w[j]; else break;
    }
    return s / this.total;
  }
}

interface Resolved {
  precision: 'bf16' | 'fp16'; optimizer: OptimizerKind; lr: number; beta1: number; beta2: number; eps: number; step: number;
  weightDecay: number; sample: number; nodes: number; seed: number;
}

function resolveOptions(options: unknown, fn: string): Resolved {
  if (options === undefined) throw new TypeError(`${fn}: options are required: { precision, lr, betas, eps, step }`);
  checkOptionsObject(options, fn, "{ precision: 'bf16', lr: 1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 100 }");
  const o = options as TrainingReadinessOptions;
  if (o.precision !== 'bf16' && o.precision !== 'fp16') throw new RangeError(`${fn}: precision must be 'bf16' or 'fp16', got ${describeValue(o.precision)}`);
  const optimizer = o.optimizer === undefined ? 'adamw' : o.optimizer;
  if (optimizer !== 'adam' && optimizer !== 'adamw') throw new RangeError(`${fn}: optimizer must be 'adam' or 'adamw', got ${describeValue(optimizer)}`);
  const step = o.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new RangeError(`${fn}: step must be an integer >= 0 (the steps the optimizer has taken), got ${describeValue(step)}`);
  const int = (v: unknown, name: string, dflt: number, max: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${describeValue(v)}`);
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${fn}: ${name} must be an integer in [1, ${max}], got ${v}`);
    return v;
  };
  const sample = int(o.sample, 'sample', 16384, Number.MAX_SAFE_INTEGER);
  const nodes = int(o.nodes, 'nodes', 16, 4096);
  const seed = o.seed === undefined ? 0 : o.seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`${fn}: seed must be a finite number, got ${describeValue(seed)}`);
  // the hyper-parameters, checked up front as simulateAdamStep checks them: a moments-only tensor never
  // reaches the step, and an analyzer with no tensor yet must not hold options the step would refuse
  const a = resolveAdamOptions({
    lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay === undefined ? 0 : o.weightDecay, precision: o.precision, implementation: 'foreach',
    estimate: { nodes, sample, seed },
  }, fn);
  return {
    precision: o.precision, optimizer, lr: a.lr, beta1: a.beta1, beta2: a.beta2, eps: a.eps, step, weightDecay: a.weightDecay, sample, nodes, seed,
  };
}

/** Throws unless a tensor's own lr and weight decay are absent or finite numbers >= 0 (named after the tensor). */
function checkTensorHyper(t: { name: string; lr?: unknown; weightDecay?: unknown }, fn: string): void {
  for (const key of ['lr', 'weightDecay'] as const) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new TypeError(`${fn}: ${t.name}: ${key} must be a number, got ${describeValue(v)}`);
    if (!(v >= 0) || v === Infinity) throw new RangeError(`${fn}: ${t.name}: ${key} must be a finite number >= 0, got ${v}`);
  }
}

/** Throws unless a tensor's shape is absent or an array of non-negative integers. */
function checkShape(shape: unknown, fn: string): void {
  if (shape === undefined) return;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${fn}: shape must be an array of non-negative integers, got ${describeValue(shape)}`);
  }
}

/** The part of a tensor whose step was analysed. */
type FullPart = TrainingPart & { kind: 'full'; report: TrainingTensorReport };

function figures(r: StepSummary, stdError: number): TrainingImplementationFigures {
  const c = r.counts;
  return {
    elements: c.elements, unchanged: c.unchanged, unchangedFraction: c.elements ? c.unchanged / c.elements : 0,
    nonFinite: c.nonFinite, stochasticMovedFraction: c.elements ? c.movedStochastic / c.elements : 0, zeroDenominator: c.zeroDenominator,
    unchangedFractionStdError: stdError,
  };
}

const impls: readonly AdamImplementation[] = ['foreach', 'fused'];

/** The options of a tensor's step, as runAdamStep receives them (validated there with the same messages). */
function stepOptions(o: Resolved, lr: number, wd: number, index: number, implementation: AdamImplementation): AdamStepOptions {
  return {
    lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: wd, decoupled: o.optimizer === 'adamw', precision: o.precision, implementation,
    estimate: { sample: o.sample, nodes: o.nodes, seed: o.seed + index },
  };
}

/** The options of a streamed tensor. */
function streamOptions(o: Resolved, lr: number, wd: number, index: number): StreamOptions {
  return {
    precision: o.precision, decoupled: o.optimizer === 'adamw', lr, weightDecay: wd, beta1: o.beta1, beta2: o.beta2, eps: o.eps, step: o.step,
    sample: o.sample, nodes: o.nodes, seed: o.seed + index, sqrtVSeed: o.seed + 7919 * (index + 1),
  };
}

/** Checks what runAdamStep would check before a streamed estimate, with its messages. */
function checkStreamable(o: Resolved, lr: number, wd: number, index: number): void {
  resolveAdamOptions(stepOptions(o, lr, wd, index, 'foreach'), 'simulateAdamStep');
  checkEstimateStep(o.step, 'simulateAdamStep');
}

function checkInput(input: TrainingTensorInput, fn: string): void {
  if (input === null || typeof input !== 'object') throw new TypeError(`${fn}: a tensor must be { name, weight, expAvg, expAvgSq, grad?, weightDecay? }, got ${describeValue(input)}`);
  if (typeof input.name !== 'string') throw new TypeError(`${fn}: tensor name must be a string, got ${describeValue(input.name)}`);
  checkShape(input.shape, fn);
  checkTensorHyper(input, fn);
}

/**
 * One tensor: the streamed estimate when the inputs are float32 arrays and there is no gradient (one
 * cheap pass over every element, the estimate on its bounded sample), else (or with `reference`) the
 * reference path, runAdamStep per implementation over the whole tensor. Both give the same report.
 */
function analyzeOne(input: TrainingTensorInput, o: Resolved, fn: string, index: number, reference = false): FullPart {
  checkInput(input, fn);
  const wd = input.weightDecay ?? o.weightDecay;
  const lr = input.lr ?? o.lr;
  const { weight, expAvg, expAvgSq } = input;
  if (!reference && input.grad === undefined && weight instanceof Float32Array && expAvg instanceof Float32Array && expAvgSq instanceof Float32Array) {
    const n = weight.length;
    const stream = partStream(o, { name: input.name, elements: n, shape: input.shape, lr, weightDecay: wd }, index, false, fn);
    for (const [x, name] of [[expAvg, 'expAvg'], [expAvgSq, 'expAvgSq']] as const) {
      if (x.length !== n) throw new RangeError(`simulateAdamStep: ${name} has ${x.length} elements, weight has ${n}; expected the same length`);
    }
    stream.push(weight, expAvg, expAvgSq);
    return stream.end() as FullPart;
  }
  const hist = { foreach: new ThresholdHistogram(), fused: new ThresholdHistogram() };
  const results = {} as Record<AdamImplementation, AdamStepResult>;
  for (const impl of impls) {
    const h = hist[impl];
    results[impl] = runAdamStep(
      { weight: input.weight, expAvg: input.expAvg, expAvgSq: input.expAvgSq, grad: input.grad, step: o.step },
      stepOptions(o, lr, wd, index, impl),
      { lrThresholds: (t, n, w) => { for (let i = 0; i < n; i++) h.add(t[i], w); }, countsOnly: true },
    );
  }
  const n = results.foreach.counts.elements;
  // gradient magnitudes implied by √v̂ (sampled, with the extremes kept exactly)
  const vsrc = resolveValues(input.expAvgSq, fn, `${input.name}.expAvgSq`);
  const bc2 = o.step > 0 ? 1 - powInt(o.beta2, o.step) : 1;
  const take = Math.min(n, SQRTV_SAMPLE);
  const sample = new Float32Array(take);
  let max = 0, minNz = Infinity;
  for (let i = 0; i < n; i++) {
    const x = Math.sqrt(Math.abs(readValue(vsrc, i, fn)) / bc2);
    if (x > max && x < Infinity) max = x;
    if (x > 0 && x < minNz) minNz = x;
  }
  const rng = createRng(o.seed + 7919 * (index + 1));
  for (let j = 0; j < take; j++) {
    const i = take === n ? j : Math.floor(rng() * n);
    sample[j] = Math.sqrt(Math.abs(readValue(vsrc, i, fn)) / bc2);
  }
  return buildPart({ name: input.name, shape: input.shape, lr, wd }, o, results, { max, minNonzero: minNz, sample }, hist);
}

/** The √v̂ figures of a tensor: the sample and its extremes as recommendLossScale gets them, the median, the loss scale. */
function gradientFigures(sq: SqrtVFigures): { figures: TrainingGradientFigures; sqrtV: Float32Array } {
  const take = sq.sample.length;
  const sqrtV = new Float32Array(take + 2);
  sqrtV.set(sq.sample);
  const minNz = sq.minNonzero === Infinity ? 0 : sq.minNonzero;
  sqrtV[take] = sq.max;
  sqrtV[take + 1] = minNz;
  const sorted = sq.sample.filter((x) => Number.isFinite(x)).sort();
  const median = sorted.length ? sorted[sorted.length >> 1] : 0;
  const ls = recommendLossScale(sqrtV, 'fp16', { minLog2Scale: 0 });
  return {
    figures: { median, max: sq.max, minNonzero: minNz, flushedFp16Fraction: ls.nonzero ? ls.before.flushedToZero / ls.nonzero : 0, fp16LossScale: ls.scale },
    sqrtV,
  };
}

function buildPart(
  meta: { name: string; shape?: readonly number[]; lr: number; wd: number }, o: Resolved, results: Record<AdamImplementation, StepSummary>, sq: SqrtVFigures,
  hist: Record<AdamImplementation, ThresholdHistogram>,
): FullPart {
  const fe = results.foreach;
  const n = fe.counts.elements;
  const { lr, wd } = meta;
  const { figures: gradients, sqrtV } = gradientFigures(sq);
  const decay = {
    lrTimesWd: lr * wd,
    noop: o.optimizer !== 'adamw' || wd === 0 || fe.scalars.decayIsNoop,
    noopFraction: o.optimizer === 'adamw' && wd !== 0 ? fe.counts.decayNoop / Math.max(n, 1) : 1,
  };
  const se = (r: StepSummary) => r.estimate?.unchangedFractionStdError ?? 0;
  const report: TrainingTensorReport = {
    name: meta.name, elements: n, mode: fe.mode, lr, weightDecay: wd,
    implementations: { foreach: figures(fe, se(fe)), fused: figures(results.fused, se(results.fused)) },
    decay,
    moments: {
      expAvgFlushed: fe.cast.expAvgFlushed, expAvgSubnormal: fe.cast.expAvgSubnormal,
      expAvgSqFlushed: fe.cast.expAvgSqFlushed, expAvgSqSubnormal: fe.cast.expAvgSqSubnormal,
      expAvgSqDecayAbsorbedFraction: n ? fe.counts.expAvgSqDecayAbsorbed / n : 0,
    },
    eps: { inPrecision: fe.scalars.epsUsed, absorbedFraction: n ? fe.counts.epsAbsorbed / n : 0, dominantFraction: n ? fe.counts.epsDominant / n : 0 },
    gradients,
    reasons: [],
  };
  if (meta.shape !== undefined) report.shape = meta.shape.slice();
  report.reasons = tensorReasons(report, o);
  return { kind: 'full', report, hist: { foreach: hist.foreach.state(), fused: hist.fused.state() }, sqrtV };
}

function tensorReasons(t: TrainingTensorReport, o: Resolved): string[] {
  const r: string[] = [];
  const p = o.precision;
  const f = t.implementations.foreach, u = t.implementations.fused;
  const est = t.mode === 'estimate' ? 'an estimated ' : '';
  r.push(`pure ${p}: the next step leaves ${est}${fmtPercent(f.unchangedFraction)} of ${t.name}'s ${fmtCount(t.elements)} weights unchanged (for-loop; fused ${fmtPercent(u.unchangedFraction)}).`);
  if (f.nonFinite > 0.5 || u.nonFinite > 0.5) r.push(`${fmtCount(f.nonFinite)} weights become inf/NaN (for-loop; fused ${fmtCount(u.nonFinite)}).`);
  if (t.moments.expAvgSqFlushed > 0) r.push(`${fmtCount(t.moments.expAvgSqFlushed)} exp_avg_sq values (${fmtPercent(t.moments.expAvgSqFlushed / t.elements)}) flush to 0 in ${p}.`);
  return r;
}

/**
 * Analyses one parameter tensor: what the next Adam/AdamW step would do with its weights and both
 * moments kept in `precision`, for the for-loop and fused implementations (exact with `grad`, estimated
 * without), plus weight decay, moment flushes and decay, eps, and the gradient magnitudes implied by
 * √v̂. Inputs are never modified.
 *
 * @param input - `{ name, weight, expAvg, expAvgSq, grad?, weightDecay?, lr?, shape? }`.
 * @param options - `{ precision, lr, betas, eps, step, optimizer?, weightDecay?, sample?, nodes?, seed? }`.
 * @example
 * ```ts
 * const t = analyzeTrainingTensor(
 *   { name: 'w', weight: new Float32Array([0.5, -0.25]), expAvg: new Float32Array([1e-4, 1e-4]), expAvgSq: new Float32Array([1e-8, 1e-8]) },
 *   { precision: 'bf16', lr: 1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 100, weightDecay: 0.01 },
 * );
 * t.implementations.foreach.unchangedFraction; // 1: updates of ~1e-5 are below half a bf16 ulp
 * t.decay.noop; // true
 * ```
 */
export function analyzeTrainingTensor(input: TrainingTensorInput, options: TrainingReadinessOptions): TrainingTensorReport {
  const o = resolveOptions(options, 'analyzeTrainingTensor');
  return analyzeOne(input, o, 'analyzeTrainingTensor', 0).report;
}

/**
 * The reference twin of {@link analyzeTrainingTensor}: runAdamStep per implementation over the whole
 * tensor, with every element read through the generic value reader (what the streamed path must equal).
 *
 * @internal
 */
export function analyzeTrainingTensorReference(input: TrainingTensorInput, options: TrainingReadinessOptions, index = 0): TrainingTensorReport {
  const o = resolveOptions(options, 'analyzeTrainingTensor');
  return analyzeOne(input, o, 'analyzeTrainingTensor', index, true).report;
}

/**
 * What {@link TrainingAnalyzer.begin} needs to know of a tensor before its chunks arrive.
 *
 * @example
 * ```ts
 * const t = analyzer.begin({ name: 'blocks.0.fc1.weight', elements: 16384, shape: [256, 64], weightDecay: 0.1 });
 * ```
 */
export interface TrainingTensorInfo {
  /** Parameter name. */
  name: string;
  /** Elements of the tensor (the chunks pushed must add up to it). */
  elements: number;
  /** Shape, carried into the report. */
  shape?: number[];
  /** This parameter's group weight decay; default the options' `weightDecay`. */
  weightDecay?: number;
  /** This parameter's group lr; default the options' `lr`. */
  lr?: number;
}

/**
 * A tensor fed chunk by chunk ({@link TrainingAnalyzer.begin}): `push` consecutive chunks of the weight and
 * both moments (float32, the same elements in each), then `end`.
 *
 * @example
 * ```ts
 * const t = analyzer.begin({ name: 'w', elements: n });
 * for (const [w, m, v] of chunks) t.push(w, m, v);
 * const report = t.end();
 * ```
 */
export interface TrainingTensorStream<R> {
  /** Adds the next elements (chunks of equal length; weight null for a moments-only tensor). */
  push(weight: Float32Array | null, expAvg: Float32Array, expAvgSq: Float32Array): void;
  /** Completes the tensor (every element pushed) and returns its report. */
  end(): R;
}

/**
 * The moments of a tensor analysed without its weight ({@link TrainingAnalyzer.beginMomentsOnly}: e.g.
 * a parameter whose weight could not be identified with certainty): what the cast does to both moments,
 * and the gradient magnitudes √v̂ implies. Nothing of the step (it needs the weight).
 *
 * @example
 * ```ts
 * report.momentsOnly[0].moments.expAvgSqFlushed;
 * ```
 */
export interface TrainingMomentsReport {
  /** Name. */
  name: string;
  /** Shape, when given. */
  shape?: number[];
  /** Elements. */
  elements: number;
  /** The moments cast to the precision. */
  moments: Omit<TrainingMomentFigures, 'expAvgSqDecayAbsorbedFraction'>;
  /** Gradient magnitudes implied by √v̂. */
  gradients: TrainingGradientFigures;
  /** Sentences. */
  reasons: string[];
}

/**
 * The per-tensor analysis plus the totals: `add` each tensor as it is read, or feed it chunk by chunk
 * with `begin` (a tensor of any size in bounded memory: the weight and moments are never held whole),
 * then `finish`. The analyzer keeps only bounded summaries per tensor. A tensor's estimate is seeded by
 * its position (the order of `add`/`begin` calls), so the same calls give the same figures.
 *
 * @example
 * ```ts
 * const a = createTrainingAnalyzer({ precision: 'bf16', lr: 1.1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 150 });
 * for (const t of tensors) a.add(t);
 * const report = a.finish();
 * ```
 */
export interface TrainingAnalyzer {
  /** Analyses one tensor and returns its report. */
  add(input: TrainingTensorInput): TrainingTensorReport;
  /**
   * Starts a tensor fed in chunks (float32, no gradient: the step is estimated): the same report as
   * `add` of the whole arrays, computed in one pass over the chunks plus the estimate on its bounded sample.
   */
  begin(info: TrainingTensorInfo): TrainingTensorStream<TrainingTensorReport>;
  /**
   * Starts a tensor whose weight is not known (chunks pushed with weight null): only its moments are
   * analysed (casts, gradient magnitudes); it counts in the loss scale, not in the step's totals.
   */
  beginMomentsOnly(info: TrainingTensorInfo): TrainingTensorStream<TrainingMomentsReport>;
  /** The totals, absorption curve and reasons (with `schedule`: where absorption goes as the lr decays). */
  finish(opts?: TrainingFinishOptions): TrainingReadiness;
}

function checkInfo(info: TrainingTensorInfo, fn: string): void {
  if (info === null || typeof info !== 'object') throw new TypeError(`${fn}: begin expects { name, elements, shape?, weightDecay?, lr? }, got ${describeValue(info)}`);
  if (typeof info.name !== 'string') throw new TypeError(`${fn}: tensor name must be a string, got ${describeValue(info.name)}`);
  if (!Number.isSafeInteger(info.elements) || info.elements < 0) throw new RangeError(`${fn}: elements must be a non-negative integer, got ${describeValue(info.elements)}`);
  checkShape(info.shape, fn);
  checkTensorHyper(info, fn);
}

/**
 * Creates a {@link TrainingAnalyzer}.
 *
 * @param options - as {@link analyzeTrainingTensor}.
 * @example
 * ```ts
 * const a = createTrainingAnalyzer({ precision: 'fp16', lr: 1.1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 150, weightDecay: 0.01 });
 * const n = 1000;
 * a.add({ name: 'w', weight: new Float32Array(n).fill(0.02), expAvg: new Float32Array(n).fill(1e-6), expAvgSq: new Float32Array(n).fill(1e-12) });
 * a.finish().reasons[1]; // "pure fp16: 1,000 weights become inf/NaN on the next step (...): exp_avg_sq flushes to 0 in fp16 ..."
 * ```
 */
export function createTrainingAnalyzer(options: TrainingReadinessOptions): TrainingAnalyzer {
  const fn = 'createTrainingAnalyzer';
  const o = resolveOptions(options, fn);
  // per position (add/begin order): the tensor's part once ended; histograms are merged in position order
  const slots: Array<TrainingPart | null> = [];
  let finished = false;
  const open = (what: string): number => {
    if (finished) throw new RangeError(`${fn}: ${what} after finish; create a new analyzer`);
    slots.push(null);
    return slots.length - 1;
  };
  // a streamed tensor takes the next position once its info is valid; its part fills the slot at end
  const streamAt = (info: TrainingTensorInfo, momentsOnly: boolean): TrainingTensorStream<TrainingPart['report']> => {
    const index = slots.length;
    const stream = partStream(o, info, index, momentsOnly, fn);
    open(momentsOnly ? 'beginMomentsOnly' : 'begin');
    return {
      push: (w, m, v) => stream.push(w, m, v),
      end: () => {
        const part = stream.end();
        slots[index] = part;
        return part.report;
      },
    };
  };
  return {
    add(input) {
      const index = open('add');
      try {
        const part = analyzeOne(input, o, fn, index);
        slots[index] = part;
        return part.report;
      } catch (e) {
        slots.pop();
        throw e;
      }
    },
    begin: (info) => streamAt(info, false) as TrainingTensorStream<TrainingTensorReport>,
    beginMomentsOnly: (info) => streamAt(info, true) as TrainingTensorStream<TrainingMomentsReport>,
    finish(fo) {
      checkOptionsObject(fo, `${fn}: finish`, '{ schedule: { lrs }, levels: [0.5, 0.9] }');
      if (slots.length === 0) throw new RangeError(`${fn}: no tensors were added; expected at least one`);
      const pending = slots.findIndex((x) => x === null);
      if (pending >= 0) throw new RangeError(`${fn}: tensor #${pending} was begun but not ended; end every stream before finish`);
      finished = true;
      return finishParts(o, slots as TrainingPart[], fo?.levels ?? [0.5, 0.9, 0.99], fo?.schedule, fn);
    },
  };
}

/**
 * What one tensor contributes to a training analysis, in a form that crosses threads (plain objects and
 * typed arrays): its report, its lr-threshold histograms and its √v̂ sample.
 *
 * @internal
 */
export interface TrainingPart {
  /** 'full' (the step analysed) or 'moments' (moments only). */
  kind: 'full' | 'moments';
  report: TrainingTensorReport | TrainingMomentsReport;
  /** Per implementation: bin weights and their total (full parts only). */
  hist?: Record<AdamImplementation, { w: Float64Array; total: number }>;
  /** The √v̂ sample and extremes, as recommendLossScale receives them. */
  sqrtV: Float32Array;
}

/**
 * A tensor streamed into a {@link TrainingPart} at a given position (the seed of its samples), outside any
 * analyzer: what worker threads compute; {@link finishTrainingParts} puts the parts together.
 *
 * @internal
 */
export function streamTrainingPart(options: TrainingReadinessOptions, info: TrainingTensorInfo, position: number, momentsOnly: boolean): TrainingTensorStream<TrainingPart> {
  const fn = 'createTrainingAnalyzer';
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`${fn}: position must be a non-negative integer, got ${describeValue(position)}`);
  return partStream(resolveOptions(options, fn), info, position, momentsOnly, fn);
}

/**
 * The totals of parts computed apart (in position order: parts[i] at position i), as the analyzer's
 * finish computes them.
 *
 * @internal
 */
export function finishTrainingParts(options: TrainingReadinessOptions, parts: readonly TrainingPart[], fo?: TrainingFinishOptions): TrainingReadiness {
  const fn = 'createTrainingAnalyzer';
  const o = resolveOptions(options, fn);
  if (parts.length === 0) throw new RangeError(`${fn}: no tensors were added; expected at least one`);
  const levels = fo?.levels ?? [0.5, 0.9, 0.99];
  return finishParts(o, parts, levels, fo?.schedule, fn);
}

function partStream(o: Resolved, info: TrainingTensorInfo, index: number, momentsOnly: boolean, fn: string): TrainingTensorStream<TrainingPart> {
  checkInfo(info, fn);
  const wd = info.weightDecay ?? o.weightDecay;
  const lr = info.lr ?? o.lr;
  if (!momentsOnly) checkStreamable(o, lr, wd, index);
  const h = { foreach: new ThresholdHistogram(), fused: new ThresholdHistogram() };
  const stream = new TensorStream(info.elements, streamOptions(o, lr, wd, index), momentsOnly, momentsOnly ? null : (impl, t, len, w) => { const x = h[impl]; for (let i = 0; i < len; i++) x.add(t[i], w); }, fn);
  return {
    push: (w, m, v) => stream.push(momentsOnly ? null : w, m, v),
    end: () => {
      const r = stream.end();
      if (!momentsOnly) return buildPart({ name: info.name, shape: info.shape, lr, wd }, o, r.results as Record<AdamImplementation, StepSummary>, r.sqrtV, h);
      const { figures: gradients, sqrtV } = gradientFigures(r.sqrtV);
      const moments = {
        expAvgFlushed: r.cast.expAvgFlushed, expAvgSubnormal: r.cast.expAvgSubnormal, expAvgSqFlushed: r.cast.expAvgSqFlushed, expAvgSqSubnormal: r.cast.expAvgSqSubnormal,
      };
      const report: TrainingMomentsReport = { name: info.name, elements: info.elements, moments, gradients, reasons: [] };
      if (info.shape !== undefined) report.shape = info.shape.slice();
      if (moments.expAvgSqFlushed > 0) report.reasons.push(`${fmtCount(moments.expAvgSqFlushed)} exp_avg_sq values (${fmtPercent(moments.expAvgSqFlushed / Math.max(info.elements, 1))}) flush to 0 in ${o.precision}.`);
      return { kind: 'moments', report, sqrtV };
    },
  };
}

/** The totals of the parts, in position order. */
function finishParts(o: Resolved, parts: readonly TrainingPart[], levels: readonly number[], schedule: LrSchedule | undefined, fn: string): TrainingReadiness {
  if (!Array.isArray(levels)) throw new TypeError(`${fn}: levels must be an array of fractions in (0, 1], got ${describeValue(levels)}`);
  for (const l of levels) if (typeof l !== 'number' || !(l > 0 && l <= 1)) throw new RangeError(`${fn}: levels must be fractions in (0, 1], got ${describeValue(l)}`);
  const hist = { foreach: new ThresholdHistogram(), fused: new ThresholdHistogram() };
  for (const p of parts) {
    if (p.hist) {
      hist.foreach.mergeState(p.hist.foreach);
      hist.fused.mergeState(p.hist.fused);
    }
  }
  const tensors = parts.flatMap((p) => (p.kind === 'full' ? [p.report as TrainingTensorReport] : []));
  const momentsOnly = parts.flatMap((p) => (p.kind === 'moments' ? [p.report as TrainingMomentsReport] : []));
  return finishReport(o, tensors, momentsOnly, hist, parts.map((p) => p.sqrtV), levels, schedule, fn);
}

/**
 * Analyses every tensor and returns the totals ({@link createTrainingAnalyzer} in one call).
 *
 * @param tensors - the parameter tensors with their states (any iterable: a generator reading tensor by tensor keeps memory bounded).
 * @param options - as {@link analyzeTrainingTensor}, plus `schedule` and `levels` as {@link TrainingAnalyzer.finish}.
 * @example
 * ```ts
 * const n = 1000;
 * const weight = Float32Array.from({ length: n }, (_, i) => 0.02 * Math.sin(i + 1));
 * const expAvg = Float32Array.from({ length: n }, (_, i) => 1e-4 * Math.cos(3 * i));
 * const expAvgSq = new Float32Array(n).fill(1e-8);
 * const r = trainingReadiness([{ name: 'w', weight, expAvg, expAvgSq, weightDecay: 0.1 }], { precision: 'bf16', lr: 1.1e-5, betas: [0.9, 0.999], eps: 1e-8, step: 200 });
 * r.reasons[0]; // "pure bf16 would leave 94.6% of the weights unchanged on the next step at lr 1.1e-5 (...): keep fp32 master weights ..."
 * ```
 */
export function trainingReadiness(
  tensors: Iterable<TrainingTensorInput>,
  options: TrainingReadinessOptions & TrainingFinishOptions,
): TrainingReadiness {
  const a = createTrainingAnalyzer(options);
  if (tensors === null || typeof (tensors as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`trainingReadiness: tensors must be an iterable of { name, weight, expAvg, expAvgSq }, got ${describeValue(tensors)}`);
  }
  for (const t of tensors) a.add(t);
  return a.finish({ schedule: options.schedule, levels: options.levels });
}

/**
 * The lr of Hugging Face's schedulers at a step (`get_linear_schedule_with_warmup`,
 * `get_cosine_schedule_with_warmup` with half a cycle, constant with warmup): linear warmup from 0 to
 * `peakLr` over `warmupSteps`, then linear or cosine decay to 0 at `maxSteps`. Past `maxSteps` the
 * formulas go on as Hugging Face's do (linear stays at 0, cosine rises again). The returned function
 * throws a TypeError/RangeError for a step that is not a finite number >= 0.
 *
 * @example
 * ```ts
 * const lrAt = hfLrSchedule({ kind: 'linear', peakLr: 1e-4, warmupSteps: 0, maxSteps: 100 });
 * lrAt(50); // 5e-5
 * ```
 */
export function hfLrSchedule(s: HfScheduleSpec): (step: number) => number {
  const fn = 'hfLrSchedule';
  if (s === null || typeof s !== 'object') throw new TypeError(`${fn}: expected { kind, peakLr, warmupSteps, maxSteps }, got ${describeValue(s)}`);
  if (s.kind !== 'linear' && s.kind !== 'cosine' && s.kind !== 'constant') throw new RangeError(`${fn}: kind must be 'linear', 'cosine' or 'constant', got ${describeValue(s.kind)}`);
  if (typeof s.peakLr !== 'number' || !(s.peakLr >= 0) || !Number.isFinite(s.peakLr)) throw new RangeError(`${fn}: peakLr must be a finite number >= 0, got ${describeValue(s.peakLr)}`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0 || !Number.isInteger(s.maxSteps) || s.maxSteps < s.warmupSteps) {
    throw new RangeError(`${fn}: warmupSteps and maxSteps must be integers with 0 <= warmupSteps <= maxSteps, got ${describeValue(s.warmupSteps)}, ${describeValue(s.maxSteps)}`);
  }
  const { kind, peakLr, warmupSteps: w, maxSteps: T } = s;
  return (step: number) => {
    if (typeof step !== 'number') throw new TypeError(`${fn}: step must be a number, got ${describeValue(step)}`);
    if (!(step >= 0) || step === Infinity) throw new RangeError(`${fn}: step must be a finite number >= 0, got ${step}`);
    if (step < w) return (peakLr * step) / Math.max(1, w);
    if (kind === 'constant') return peakLr;
    const progress = (step - w) / Math.max(1, T - w);
    if (kind === 'linear') return peakLr * Math.max(0, (T - step) / Math.max(1, T - w));
    return peakLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}

function levelLr(h: ThresholdHistogram, level: number, lr: number): number | null {
  // the largest lr (on a 1/8-octave grid below the current lr·2^4) where the unchanged fraction >= level
  for (let k = 4 * BINS_PER_OCTAVE; k >= -40 * BINS_PER_OCTAVE; k--) {
    const x = lr * 2 ** (k / BINS_PER_OCTAVE);
    if (h.unchangedAt(x) >= level) return x;
  }
  return null;
}

function finishReport(
  o: Resolved, tensors: TrainingTensorReport[], momentsOnly: TrainingMomentsReport[], hist: Record<AdamImplementation, ThresholdHistogram>, sqrtVs: Float32Array[],
  levels: readonly number[], schedule: LrSchedule | undefined, fn: string,
): TrainingReadiness {
  const p = o.precision;
  const sig = p === 'bf16' ? 8 : 11;
  const bound = 2 ** -(sig + 1);
  const tot = (impl: AdamImplementation): TrainingImplementationFigures => {
    let elements = 0, unchanged = 0, nonFinite = 0, moved = 0, zeroDen = 0, var2 = 0;
    for (const t of tensors) {
      const f = t.implementations[impl];
      elements += f.elements; unchanged += f.unchanged; nonFinite += f.nonFinite; moved += f.stochasticMovedFraction * f.elements; zeroDen += f.zeroDenominator;
      var2 += (f.unchangedFractionStdError * f.elements) ** 2;
    }
    return {
      elements, unchanged, unchangedFraction: elements ? unchanged / elements : 0, nonFinite, stochasticMovedFraction: elements ? moved / elements : 0, zeroDenominator: zeroDen,
      unchangedFractionStdError: elements ? Math.sqrt(var2) / elements : 0,
    };
  };
  const implementations = { foreach: tot('foreach'), fused: tot('fused') };
  const modes = new Set(tensors.map((t) => t.mode));
  const mode = modes.size === 1 ? [...modes][0] : modes.size === 0 ? 'estimate' : 'mixed';
  const ls = recommendLossScale(sqrtVs, 'fp16', { minLog2Scale: 0 });
  const lossScale = { scale: ls.scale, log2Scale: ls.log2Scale, flushedBefore: ls.nonzero ? ls.before.flushedToZero / ls.nonzero : 0, flushedAfter: ls.nonzero ? ls.after.flushedToZero / ls.nonzero : 0, reason: ls.reason };
  const curve: AbsorptionPoint[] = [];
  for (let k = 2; k >= -10; k--) {
    const x = o.lr * 2 ** k;
    curve.push({ lr: x, foreach: hist.foreach.unchangedAt(x), fused: hist.fused.unchangedAt(x) });
  }
  const absorption = {
    curve,
    levels: levels.map((level) => ({ level, foreach: levelLr(hist.foreach, level, o.lr), fused: levelLr(hist.fused, level, o.lr) })),
  };
  const report: TrainingReadiness = {
    optimizer: o.optimizer, precision: p, lr: o.lr, step: o.step, betas: [o.beta1, o.beta2], eps: o.eps, mode,
    implementations, tensors, momentsOnly, absorptionBound: bound, lossScale, absorption, reasons: [],
  };
  if (schedule !== undefined) report.schedule = scheduleReport(schedule, o, hist, levels, fn);
  report.reasons = overallReasons(report, o);
  return report;
}

function scheduleReport(s: LrSchedule, o: Resolved, hist: Record<AdamImplementation, ThresholdHistogram>, levels: readonly number[], fn: string): TrainingSchedule {
  let lrs: number[];
  if (s !== null && typeof s === 'object' && 'lrs' in s && Array.isArray(s.lrs)) lrs = s.lrs.slice();
  else if (s !== null && typeof s === 'object' && 'lrAt' in s && typeof s.lrAt === 'function') {
    if (!Number.isInteger(s.maxSteps) || s.maxSteps < o.step) throw new RangeError(`${fn}: schedule.maxSteps must be an integer >= step (${o.step}), got ${describeValue(s.maxSteps)}`);
    if (s.maxSteps - o.step > 10_000_000) throw new RangeError(`${fn}: schedule covers ${s.maxSteps - o.step} steps; at most 10,000,000`);
    lrs = [];
    for (let st = o.step; st < s.maxSteps; st++) lrs.push(s.lrAt(st));
  } else throw new TypeError(`${fn}: schedule must be { lrs } or { lrAt, maxSteps }, got ${describeValue(s)}`);
  lrs.forEach((x, i) => { if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw new RangeError(`${fn}: schedule lr #${i} must be a finite number >= 0, got ${describeValue(x)}`); });
  const points: SchedulePoint[] = [];
  const stride = Math.max(1, Math.ceil(lrs.length / 20));
  for (let i = 0; i < lrs.length; i += stride) points.push({ step: o.step + i + 1, lr: lrs[i], foreach: hist.foreach.unchangedAt(lrs[i]), fused: hist.fused.unchangedAt(lrs[i]) });
  if (lrs.length > 0 && (lrs.length - 1) % stride !== 0) {
    const i = lrs.length - 1;
    points.push({ step: o.step + i + 1, lr: lrs[i], foreach: hist.foreach.unchangedAt(lrs[i]), fused: hist.fused.unchangedAt(lrs[i]) });
  }
  const reach = levels.map((level) => {
    const first = (h: ThresholdHistogram) => {
      for (let i = 0; i < lrs.length; i++) if (h.unchangedAt(lrs[i]) >= level) return { step: o.step + i + 1, lr: lrs[i] };
      return null;
    };
    return { level, foreach: first(hist.foreach), fused: first(hist.fused) };
  });
  return { steps: lrs.length, points, reach };
}

/** Sentences about the tensors whose moments alone were analysed. */
function momentsOnlyReasons(r: TrainingReadiness): string[] {
  const m = r.momentsOnly;
  if (m.length === 0) return [];
  const elements = m.reduce((a, t) => a + t.elements, 0);
  const zeroSq = m.reduce((a, t) => a + t.moments.expAvgSqFlushed, 0);
  const what = `${fmtCount(m.length)} parameter${m.length === 1 ? '' : 's'} (${fmtCount(elements)} elements) analysed without the step (their moments only)`;
  return [zeroSq > 0
    ? `${what}: ${fmtCount(zeroSq)} of their exp_avg_sq values (${fmtPercent(zeroSq / Math.max(elements, 1))}) flush to 0 in ${r.precision}.`
    : `${what}: none of their exp_avg_sq values flush to 0 in ${r.precision}.`];
}

function overallReasons(r: TrainingReadiness, o: Resolved): string[] {
  if (r.tensors.length === 0) {
    const ls = r.lossScale;
    return [
      ...momentsOnlyReasons(r),
      ls.flushedBefore > 0
        ? `the gradients implied by √v̂ would flush to 0 in fp16 for ${fmtPercent(ls.flushedBefore)} of the elements without loss scaling; a loss scale of 2^${ls.log2Scale} leaves ${fmtPercent(ls.flushedAfter)}.`
        : `the gradients implied by √v̂ fit fp16 without loss scaling; recommended scale 2^${ls.log2Scale}.`,
    ];
  }
  const out: string[] = [];
  const p = r.precision;
  const fe = r.implementations.foreach, fu = r.implementations.fused;
  const est = r.mode === 'exact' ? '' : r.mode === 'mixed' ? '; partly estimated from the saved moments' : '; estimated from the saved moments';
  const lr = fmtValue(r.lr);
  const opt = r.optimizer === 'adamw' ? 'AdamW' : 'Adam';
  // 1. absorption
  const uf = fe.unchangedFraction;
  if (uf >= 0.5) {
    out.push(`pure ${p} would leave ${fmtPercent(uf)} of the weights unchanged on the next step at lr ${lr} (${opt}, for-loop; fused ${fmtPercent(fu.unchangedFraction)}${est}): keep fp32 master weights (${p} autocast), or use stochastic rounding or Kahan summation.`);
  } else if (uf >= 0.05) {
    out.push(`pure ${p} would leave ${fmtPercent(uf)} of the weights unchanged on the next step at lr ${lr} (${opt}, for-loop; fused ${fmtPercent(fu.unchangedFraction)}${est}): those updates are below half a ${p} ulp of their weight and are lost; fp32 master weights keep them.`);
  } else if (fe.nonFinite > 0.5 * (1 - uf) * fe.elements) {
    out.push(`pure ${p} leaves ${fmtPercent(uf)} of the weights unchanged on the next step at lr ${lr} (${opt}, for-loop; fused ${fmtPercent(fu.unchangedFraction)}${est}), but most of the others become inf/NaN (below).`);
  } else {
    out.push(`pure ${p} moves nearly every weight on the next step at lr ${lr}: ${fmtPercent(uf)} stay unchanged (${opt}, for-loop; fused ${fmtPercent(fu.unchangedFraction)}${est}).`);
  }
  // 2. non-finite
  const zeroSq = r.tensors.reduce((s, t) => s + t.moments.expAvgSqFlushed, 0);
  const elements = fe.elements;
  if (fe.nonFinite >= 0.5 || fu.nonFinite >= 0.5) {
    const epsP = r.tensors[0]?.eps.inPrecision ?? 0;
    let why = '';
    if (fe.zeroDenominator >= 0.5 && zeroSq > 0) {
      why = `: exp_avg_sq flushes to 0 in ${p} (${fmtCount(zeroSq)} values, ${fmtPercent(zeroSq / elements)})` + (epsP === 0 && r.eps > 0 ? ` and eps ${fmtPrecise(r.eps)} flushes with it` : '') + ', so the update divides by 0';
    } else if (fe.zeroDenominator >= 0.5) {
      why = `: ${fmtCount(fe.zeroDenominator)} denominators √v̂ + eps are 0 in ${p}`;
    }
    out.push(`pure ${p}: ${fmtCount(fe.nonFinite)} weights become inf/NaN on the next step (for-loop${est})${why}; the fused kernel${fu.nonFinite >= 0.5 ? ` gives ${fmtCount(fu.nonFinite)}` : `, which adds eps in float32, gives none`}.`);
  } else if (zeroSq > 0) {
    out.push(`${fmtCount(zeroSq)} exp_avg_sq values (${fmtPercent(zeroSq / elements)}) flush to 0 when cast to ${p}; the next step still gives no inf/NaN (for-loop and fused${est}).`);
  }
  out.push(...momentsOnlyReasons(r));
  // 3. stochastic rounding
  // (rounding cannot rescue a path whose weights turn inf/NaN: then only the fused kernel's figure means something)
  if (fe.nonFinite >= 0.5 * elements) {
    out.push(`stochastic rounding cannot help the for-loop path, whose weights become inf/NaN; with the fused kernel and stochastic rounding of the new weights (lowp's rounding: 'stochastic'), an expected ${fmtPercent(fu.stochasticMovedFraction)} of the weights would move on the next step instead of ${fmtPercent(1 - fu.unchangedFraction)}.`);
  } else {
    out.push(`with stochastic rounding of the new weights (lowp's rounding: 'stochastic'), an expected ${fmtPercent(fe.stochasticMovedFraction)} of the weights would move on the next step (for-loop; fused ${fmtPercent(fu.stochasticMovedFraction)}) instead of ${fmtPercent(1 - uf)}: updates below half an ulp survive in expectation.`);
  }
  // 4. weight decay
  if (r.optimizer === 'adamw') {
    const decaying = r.tensors.filter((t) => t.weightDecay > 0);
    if (decaying.length > 0) {
      const noop = decaying.filter((t) => t.decay.noop);
      const lw = Math.max(...decaying.map((t) => t.decay.lrTimesWd));
      if (noop.length === decaying.length) {
        out.push(`decoupled weight decay does nothing in ${p}: lr·wd = ${fmtValue(lw)} is at most 2^-${o.precision === 'bf16' ? 9 : 12} = ${fmtValue(r.absorptionBound)}, so p·(1 − lr·wd) rounds back to p for every weight.`);
      } else if (noop.length > 0) {
        out.push(`decoupled weight decay does nothing in ${p} for ${noop.length} of ${decaying.length} decayed tensors (lr·wd at most 2^-${o.precision === 'bf16' ? 9 : 12}).`);
      } else {
        const nf = decaying.reduce((s, t) => s + t.decay.noopFraction * t.elements, 0) / decaying.reduce((s, t) => s + t.elements, 0);
        out.push(`decoupled weight decay (lr·wd = ${fmtValue(lw)}, above 2^-${o.precision === 'bf16' ? 9 : 12}) still acts in ${p}, though it alone leaves ${fmtPercent(nf)} of the decayed weights unchanged.`);
      }
    }
  }
  // 5. moment decay
  const b2 = r.betas[1];
  if (1 - Math.fround(b2) <= r.absorptionBound) {
    out.push(`exp_avg_sq never decays in ${p}: 1 − β2 = ${fmtValue(1 - b2)} is below 2^-${o.precision === 'bf16' ? 9 : 12}, so mul_(${b2}) leaves every normal value unchanged (the for-loop path) and the second moment can only grow.`);
  } else {
    const abs = r.tensors.reduce((s, t) => s + t.moments.expAvgSqDecayAbsorbedFraction * t.elements, 0) / Math.max(elements, 1);
    if (abs > 0.01) out.push(`${fmtPercent(abs)} of the exp_avg_sq values do not decay in ${p} (subnormal values whose decay is below half their ulp).`);
  }
  // 6. eps
  const epsP = r.tensors[0]?.eps.inPrecision ?? r.eps;
  if (r.eps > 0 && epsP === 0) out.push(`eps ${fmtPrecise(r.eps)} is 0 in ${p}: the for-loop path adds it in ${p}, so it protects nothing; use eps >= ${fmtValue(p === 'fp16' ? 2 ** -14 : 2 ** -126)} or the fused kernel.`);
  else {
    const dom = r.tensors.reduce((s, t) => s + t.eps.dominantFraction * t.elements, 0) / Math.max(elements, 1);
    if (dom > 0.01) out.push(`eps ${fmtPrecise(r.eps)} exceeds √v̂ for ${fmtPercent(dom)} of the weights: their steps are lr·m̂/eps, not Adam's normalised step.`);
  }
  // 7. gradients and the loss scale
  const allMed = r.tensors.map((t) => t.gradients.median).sort((a, b) => a - b);
  const med = allMed[allMed.length >> 1] ?? 0;
  if (r.lossScale.flushedBefore > 0) {
    out.push(`the gradients implied by √v̂ (median over tensors ${fmtValue(med)}, ${fmtLog2(med)}) would flush to 0 in fp16 for ${fmtPercent(r.lossScale.flushedBefore)} of the elements without loss scaling; a loss scale of 2^${r.lossScale.log2Scale} leaves ${fmtPercent(r.lossScale.flushedAfter)}.`);
  } else {
    out.push(`the gradients implied by √v̂ (median over tensors ${fmtValue(med)}) fit fp16 without loss scaling; recommended scale 2^${r.lossScale.log2Scale}.`);
  }
  // 8. schedule
  if (r.schedule) {
    for (const l of r.schedule.reach) {
      const x = l.foreach;
      if (x && l.level > uf) out.push(`as the lr decays, pure ${p} leaves ${fmtPercent(l.level)} of the weights unchanged from step ${fmtCount(x.step)} on (lr ${fmtValue(x.lr)}, for-loop${l.fused ? `; fused from step ${fmtCount(l.fused.step)}` : ''}).`);
    }
  } else {
    for (const l of r.absorption.levels) {
      if (l.foreach !== null && l.foreach < r.lr && uf < l.level) out.push(`absorption reaches ${fmtPercent(l.level)} of the weights once the lr falls to ${fmtValue(l.foreach)} (for-loop, moments as now).`);
    }
  }
  return out;
}
