// Dynamic loss scaling, step for step as PyTorch's GradScaler and DeepSpeed's DynamicLossScaler do it.
//
// 'torch' follows torch/amp/grad_scaler.py and the `_amp_update_scale_` kernel
// (aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp, cuda/AmpKernels.cu): the scale is a float32
// tensor; on inf/NaN it becomes float32(scale · backoffFactor) and the growth tracker resets (the
// scale can halve through float32's subnormals down to 0: no minimum, no hysteresis); otherwise the
// tracker counts successful steps and, when it reaches growthInterval, the scale becomes
// float32(scale · growthFactor) only if that is finite (else it stays) and the tracker resets.
// Unscaling multiplies by float32(1 / scale) (`scale.double().reciprocal().float()`).
//
// 'deepspeed' follows deepspeed/runtime/fp16/loss_scaler.py (DynamicLossScaler.update_scale, DeepSpeed
// >= 0.17.1) with the fp16 config defaults of deepspeed/runtime/constants.py (initial_scale_power 16,
// loss_scale_window 1000, hysteresis 2, consecutive_hysteresis false, min_loss_scale 1); the scale is a
// Python float (float64). On overflow: if hysteresis is 1 (or the delayed shift is 1) the scale becomes
// max(scale / 2, minScale) — raising an error when it already is at minScale — else the hysteresis
// counter drops by one; last_overflow_iter = cur_iter. Without overflow: consecutive hysteresis
// refills the counter; the scale doubles (refilling the counter) when stable_interval =
// cur_iter − last_overflow_iter − 1 is a positive multiple of scaleWindow. cur_iter += 1 after either.
// 'deepspeed-legacy' is the rule before 0.17.1: growth when (cur_iter − last_overflow_iter) is a
// multiple of scaleWindow (one step earlier).
import { describeValue } from '../core/describe.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * The scaler presets (see the class documentation).
 *
 * @example
 * ```ts
 * new DynamicLossScaler({ preset: 'deepspeed-legacy' });
 * ```
 */
export type LossScalerPreset = 'torch' | 'deepspeed' | 'deepspeed-legacy';

/**
 * Parameters of {@link DynamicLossScaler}; unset ones take the preset's values.
 *
 * @example
 * ```ts
 * new DynamicLossScaler({ preset: 'torch', growthInterval: 100 });
 * new DynamicLossScaler({ preset: 'deepspeed', hysteresis: 1, minScale: 2 ** -4 });
 * ```
 */
export interface DynamicLossScalerOptions {
  /** Which library's rules to follow; default `'torch'`. */
  preset?: LossScalerPreset;
  /** Initial scale; default 65536 (2^16) for every preset (torch stores it as float32). */
  initScale?: number;
  /** torch: factor on growth (> 1), default 2. deepspeed: `scaleFactor` is used instead. */
  growthFactor?: number;
  /** torch: factor on inf/NaN (in (0, 1)), default 0.5. */
  backoffFactor?: number;
  /** torch: successful steps between growths, default 2000. */
  growthInterval?: number;
  /** deepspeed: growth and backoff factor, default 2. */
  scaleFactor?: number;
  /** deepspeed: steps without overflow before growing, default 1000. */
  scaleWindow?: number;
  /** deepspeed: the smallest scale, default 1. */
  minScale?: number;
  /** deepspeed: overflows tolerated before the scale drops ("delayed shift"), default 2. */
  hysteresis?: number;
  /** deepspeed: refill the hysteresis on every step without overflow, default false. */
  consecutiveHysteresis?: boolean;
  /**
   * deepspeed: throw {@link LossScaleMinimumError} on an overflow at minScale when the scale is due to
   * drop, as DeepSpeed does (its default); default true.
   */
  raiseErrorAtMinScale?: boolean;
}

/**
 * What happened in one update.
 *
 * @example
 * ```ts
 * new DynamicLossScaler().update(true)?.action; // 'backoff'
 * ```
 */
export type LossScaleAction = 'backoff' | 'growth' | 'growth-refused' | 'hysteresis' | 'at-minimum';

/**
 * One entry of the event log: every update with an overflow, and every growth (or refused growth).
 *
 * @example
 * ```ts
 * const s = new DynamicLossScaler({ preset: 'deepspeed' });
 * s.update(true); // { step: 0, scaleBefore: 65536, scaleAfter: 65536, foundInf: true, action: 'hysteresis', ... }
 * ```
 */
export interface LossScaleEvent {
  /** The step (0-based count of update calls). */
  step: number;
  /** Scale before the update. */
  scaleBefore: number;
  /** Scale after it. */
  scaleAfter: number;
  /** Whether this step had inf/NaN gradients (and was skipped). */
  foundInf: boolean;
  /** What the scaler did. */
  action: LossScaleAction;
  /** A sentence. */
  reason: string;
}

/**
 * Result of {@link DynamicLossScaler.unscale}.
 *
 * @example
 * ```ts
 * const { grads, foundInf } = new DynamicLossScaler().unscale(new Float32Array([65536]));
 * // grads: Float32Array [1], foundInf: false
 * ```
 */
export interface UnscaleResult<T> {
  /** New arrays (the inputs are not modified): gradients × float32(1 / scale). */
  grads: T;
  /** Whether any input element is inf or NaN (the step must be skipped). */
  foundInf: boolean;
  /** How many input elements are inf or NaN. */
  nonFinite: number;
}

/**
 * Thrown by the 'deepspeed' presets on an overflow at the minimum scale (as DeepSpeed raises).
 *
 * @example
 * ```ts
 * try { scaler.update(true); } catch (e) { if (e instanceof LossScaleMinimumError) console.log(e.step); }
 * ```
 */
export class LossScaleMinimumError extends Error {
  /** The step of the overflow. */
  readonly step: number;
  constructor(step: number, scale: number) {
    super(`Current loss scale already at minimum (${scale}) - cannot decrease scale anymore (step ${step}); DeepSpeed would exit the run here`);
    this.name = 'LossScaleMinimumError';
    this.step = step;
  }
}

const fround = Math.fround;

function num(v: unknown, name: string, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`DynamicLossScaler: ${name} must be ${what}, got ${describeValue(v)}`);
  return v;
}

/**
 * A gradient array: {@link DynamicLossScaler.scale} and `unscale` keep its element type.
 *
 * @example
 * ```ts
 * new DynamicLossScaler().scale(new Float32Array([1e-3])); // Float32Array [65.536003...]
 * ```
 */
export type GradientArray = Float32Array | Float64Array;

/**
 * The internal counters of a {@link DynamicLossScaler}.
 *
 * @example
 * ```ts
 * new DynamicLossScaler({ preset: 'torch' }).state.growthTracker; // 0
 * ```
 */
export interface LossScalerState {
  /** torch: successful steps since the last growth or backoff. */
  growthTracker: number;
  /** deepspeed: overflows still tolerated before the scale drops. */
  curHysteresis: number;
  /** deepspeed: the step of the last overflow (−1 before any). */
  lastOverflowIter: number;
  /** Number of updates so far. */
  curIter: number;
}

type Grad = GradientArray;

/**
 * A dynamic loss scaler with the exact update rules of PyTorch's GradScaler (`preset: 'torch'`) or
 * DeepSpeed's DynamicLossScaler (`'deepspeed'`, `'deepspeed-legacy'`). Call {@link DynamicLossScaler.update}
 * once per step with whether the gradients had inf/NaN; read {@link DynamicLossScaler.lossScale}.
 *
 * @example
 * ```ts
 * const s = new DynamicLossScaler({ preset: 'torch' });
 * s.lossScale;       // 65536
 * s.update(true);    // inf found: 32768
 * const { grads, foundInf } = s.unscale(new Float32Array([32768, 16384]));
 * grads;             // Float32Array [1, 0.5]
 * ```
 */
export class DynamicLossScaler {
  /** The preset in use. */
  readonly preset: LossScalerPreset;
  /** The resolved parameters. */
  readonly params: Readonly<Required<Omit<DynamicLossScalerOptions, 'preset'>>>;
  private scaleValue: number;
  private tracker = 0;
  private curIter = 0;
  private lastOverflow = -1;
  private curHysteresis: number;
  private skipped = 0;
  private readonly log: LossScaleEvent[] = [];

  constructor(opts: DynamicLossScalerOptions = {}) {
    checkOptionsObject(opts, 'DynamicLossScaler');
    const preset = opts.preset ?? 'torch';
    if (preset !== 'torch' && preset !== 'deepspeed' && preset !== 'deepspeed-legacy') {
      throw new RangeError(`DynamicLossScaler: preset must be 'torch', 'deepspeed' or 'deepspeed-legacy', got ${describeValue(preset)}`);
    }
    this.preset = preset;
    const pos = (x: number) => x > 0 && x < Infinity;
    const posInt = (x: number) => Number.isInteger(x) && x > 0;
    const initScale = num(opts.initScale ?? 65536, 'initScale', pos, 'a positive finite number');
    const p = {
      initScale,
      growthFactor: num(opts.growthFactor ?? 2, 'growthFactor', (x) => x > 1 && x < Infinity, 'a number > 1'),
      backoffFactor: num(opts.backoffFactor ?? 0.5, 'backoffFactor', (x) => x > 0 && x < 1, 'a number in (0, 1)'),
      growthInterval: num(opts.growthInterval ?? 2000, 'growthInterval', posInt, 'a positive integer'),
      scaleFactor: num(opts.scaleFactor ?? 2, 'scaleFactor', (x) => x > 1 && x < Infinity, 'a number > 1'),
      scaleWindow: num(opts.scaleWindow ?? 1000, 'scaleWindow', posInt, 'a positive integer'),
      minScale: num(opts.minScale ?? 1, 'minScale', pos, 'a positive finite number'),
      hysteresis: num(opts.hysteresis ?? 2, 'hysteresis', posInt, 'a positive integer'),
      consecutiveHysteresis: opts.consecutiveHysteresis ?? false,
      raiseErrorAtMinScale: opts.raiseErrorAtMinScale ?? true,
    };
    if (typeof p.consecutiveHysteresis !== 'boolean') throw new TypeError(`DynamicLossScaler: consecutiveHysteresis must be a boolean, got ${describeValue(p.consecutiveHysteresis)}`);
    if (typeof p.raiseErrorAtMinScale !== 'boolean') throw new TypeError(`DynamicLossScaler: raiseErrorAtMinScale must be a boolean, got ${describeValue(p.raiseErrorAtMinScale)}`);
    this.params = Object.freeze(p);
    this.scaleValue = preset === 'torch' ? fround(initScale) : initScale;
    if (this.scaleValue === Infinity) throw new RangeError(`DynamicLossScaler: initScale ${initScale} overflows float32`);
    this.curHysteresis = p.hysteresis;
  }

  /** The current loss scale (torch: a float32 value; deepspeed: a float64 value). */
  get lossScale(): number {
    return this.scaleValue;
  }

  /** Number of update calls so far. */
  get steps(): number {
    return this.curIter;
  }

  /** Number of steps with inf/NaN (skipped by the optimizer). */
  get skippedSteps(): number {
    return this.skipped;
  }

  /** Internal counters: torch's growth tracker, deepspeed's hysteresis and last overflow step. */
  get state(): LossScalerState {
    return { growthTracker: this.tracker, curHysteresis: this.curHysteresis, lastOverflowIter: this.lastOverflow, curIter: this.curIter };
  }

  /** The event log (a copy): every step with an overflow, and every growth or refused growth. */
  get events(): LossScaleEvent[] {
    return this.log.slice();
  }

  /**
   * Multiplies by the loss scale: a number gives a number (float64 product); a Float32Array gives a new
   * Float32Array rounded to float32 (as a float32 tensor times the float32 scale); a Float64Array a new
   * Float64Array.
   *
   * @example
   * ```ts
   * new DynamicLossScaler().scale(0.5); // 32768
   * ```
   */
  scale(x: number): number;
  scale<T extends Grad>(x: T): T;
  scale(x: number | Grad): number | Grad {
    const s = this.scaleValue;
    if (typeof x === 'number') return x * s;
    if (x instanceof Float32Array) { const out = new Float32Array(x.length); for (let i = 0; i < x.length; i++) out[i] = fround(x[i] * s); return out; }
    if (x instanceof Float64Array) { const out = new Float64Array(x.length); for (let i = 0; i < x.length; i++) out[i] = x[i] * s; return out; }
    throw new TypeError(`DynamicLossScaler.scale: expected a number, Float32Array or Float64Array, got ${describeValue(x)}`);
  }

  /**
   * Unscales gradients: each element times float32(1 / scale) (float32 product for Float32Array, as
   * PyTorch's `_amp_foreach_non_finite_check_and_unscale_`; DeepSpeed multiplies by 1/scale the same
   * way). Returns new arrays and whether any input element is inf/NaN. Inputs are never modified.
   * (DeepSpeed detects overflow from the float32 sum of each gradient, which also flags finite
   * gradients whose sum overflows; `foundInf` here is the per-element test.)
   *
   * @example
   * ```ts
   * const s = new DynamicLossScaler({ initScale: 1024 });
   * s.unscale([new Float32Array([2048, Infinity])]).foundInf; // true
   * ```
   */
  unscale<T extends Grad | readonly Grad[]>(grads: T): UnscaleResult<T> {
    const inv = fround(1 / this.scaleValue);
    let nonFinite = 0;
    const one = (g: Grad, name: string): Grad => {
      if (g instanceof Float32Array) {
        const out = new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) { const v = g[i]; if (v - v !== 0) nonFinite++; out[i] = fround(v * inv); }
        return out;
      }
      if (g instanceof Float64Array) {
        const out = new Float64Array(g.length);
        for (let i = 0; i < g.length; i++) { const v = g[i]; if (v - v !== 0) nonFinite++; out[i] = v * inv; }
        return out;
      }
      throw new TypeError(`DynamicLossScaler.unscale: ${name} must be a Float32Array or Float64Array, got ${describeValue(g)}`);
    };
    const out = Array.isArray(grads) ? (grads as readonly Grad[]).map((g, i) => one(g, `grads[${i}]`)) : one(grads as Grad, 'grads');
    return { grads: out as unknown as T, foundInf: nonFinite > 0, nonFinite };
  }

  /**
   * Updates the scale after a step: `foundInf` says whether the (scaled) gradients had inf/NaN. Returns
   * the event of this step, or null when nothing happened but counting.
   *
   * @throws LossScaleMinimumError for the deepspeed presets with `raiseErrorAtMinScale` on an overflow at the minimum.
   * @example
   * ```ts
   * const s = new DynamicLossScaler({ preset: 'deepspeed' });
   * s.update(true);  // hysteresis 2 → 1, scale stays 65536
   * s.update(true);  // scale 32768
   * ```
   */
  update(foundInf: boolean): LossScaleEvent | null {
    if (typeof foundInf !== 'boolean') throw new TypeError(`DynamicLossScaler.update: foundInf must be a boolean, got ${describeValue(foundInf)}`);
    const step = this.curIter;
    const before = this.scaleValue;
    let ev: LossScaleEvent | null = null;
    if (foundInf) this.skipped++;
    if (this.preset === 'torch') {
      const p = this.params;
      if (foundInf) {
        this.scaleValue = fround(before * p.backoffFactor);
        this.tracker = 0;
        ev = { step, scaleBefore: before, scaleAfter: this.scaleValue, foundInf, action: 'backoff', reason: `inf/NaN gradients: step skipped, scale ${before} × ${p.backoffFactor} = ${this.scaleValue}` };
      } else {
        const successful = this.tracker + 1;
        if (successful === p.growthInterval) {
          const ns = fround(before * p.growthFactor);
          if (ns < Infinity) {
            this.scaleValue = ns;
            ev = { step, scaleBefore: before, scaleAfter: ns, foundInf, action: 'growth', reason: `${p.growthInterval} successful steps: scale ${before} × ${p.growthFactor} = ${ns}` };
          } else {
            ev = { step, scaleBefore: before, scaleAfter: before, foundInf, action: 'growth-refused', reason: `${p.growthInterval} successful steps, but ${before} × ${p.growthFactor} overflows float32: scale stays` };
          }
          this.tracker = 0;
        } else {
          this.tracker = successful;
        }
      }
    } else {
      const p = this.params;
      if (foundInf) {
        if (p.hysteresis === 1 || this.curHysteresis === 1) {
          if (before === p.minScale && p.raiseErrorAtMinScale) {
            // DeepSpeed raises before touching its counters
            this.skipped--;
            throw new LossScaleMinimumError(step, before);
          }
          const next = Math.max(before / p.scaleFactor, p.minScale);
          this.scaleValue = next;
          ev = before === p.minScale
            ? { step, scaleBefore: before, scaleAfter: next, foundInf, action: 'at-minimum', reason: `overflow at the minimum scale ${p.minScale}: step skipped, scale cannot drop` }
            : { step, scaleBefore: before, scaleAfter: next, foundInf, action: 'backoff', reason: `overflow: step skipped, scale ${before} → ${next}` };
        } else {
          ev = { step, scaleBefore: before, scaleAfter: before, foundInf, action: 'hysteresis', reason: `overflow: step skipped, hysteresis ${this.curHysteresis} → ${this.curHysteresis - 1}, scale stays` };
          this.curHysteresis -= 1;
        }
        this.lastOverflow = step;
      } else {
        if (p.consecutiveHysteresis) this.curHysteresis = p.hysteresis;
        let grow: boolean;
        if (this.preset === 'deepspeed') {
          const stable = step - this.lastOverflow - 1;
          grow = stable > 0 && stable % p.scaleWindow === 0;
        } else {
          grow = (step - this.lastOverflow) % p.scaleWindow === 0;
        }
        if (grow) {
          if (!p.consecutiveHysteresis) this.curHysteresis = p.hysteresis;
          this.scaleValue = before * p.scaleFactor;
          ev = { step, scaleBefore: before, scaleAfter: this.scaleValue, foundInf, action: 'growth', reason: `${p.scaleWindow} steps without overflow: scale ${before} → ${this.scaleValue}` };
        }
      }
    }
    this.curIter++;
    if (ev !== null) this.log.push(ev);
    return ev;
  }
}
