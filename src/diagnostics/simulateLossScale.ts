// simulateLossScale: replays a series of per-step gradient magnitudes (the largest |g| of each step,
// unscaled) through a DynamicLossScaler and explains what it does: overflowing steps (skipped), growth,
// backoff, hysteresis, hits of the minimum scale, the scale reaching 0 or the float32 limit — and
// whether loss scaling can fix the overflow at all (it cannot when the unscaled gradients themselves
// are beyond the format's range).
import { describeValue } from '../core/describe.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { DynamicLossScaler, type DynamicLossScalerOptions, type LossScaleEvent, type LossScalerPreset } from './dynamicLossScaler.js';
import { unboundedOverflowOf } from './overflow.js';
import { fmtCount, fmtLog2, fmtPercent, fmtValue, plural } from './text.js';

/**
 * Options of {@link simulateLossScale}.
 *
 * @example
 * ```ts
 * simulateLossScale(series, 'torch', { format: 'fp8-e5m2', maxEvents: 50 });
 * ```
 */
export interface SimulateLossScaleOptions {
  /** The format the scaled gradients are computed in; default `'fp16'`. */
  format?: FormatLike;
  /** Keep at most this many events in the result; default 1000. */
  maxEvents?: number;
}

/**
 * The result of {@link simulateLossScale}.
 *
 * @example
 * ```ts
 * const sim = simulateLossScale(series, 'deepspeed');
 * console.log(sim.explanation.join('\n'));
 * ```
 */
export interface LossScaleSimulation {
  /** The preset simulated. */
  preset: LossScalerPreset;
  /** Format of the scaled gradients. */
  format: string;
  /** Number of steps. */
  steps: number;
  /** The scale used at each step (before its update). */
  scales: Float64Array;
  /** Scale after the last update. */
  finalScale: number;
  /** Steps whose scaled gradients overflowed (skipped by the optimizer). */
  overflowSteps: number;
  /** Growth events. */
  growths: number;
  /** Growths refused because the scale would overflow float32 (torch). */
  growthsRefused: number;
  /** Scale reductions. */
  backoffs: number;
  /** Overflows absorbed by hysteresis (deepspeed). */
  hysteresisAbsorbed: number;
  /** Overflows while the scale was at its minimum and due to drop (deepspeed; DeepSpeed raises on the first one by default). */
  minScaleHits: number;
  /** First step at which DeepSpeed (raise_error_at_min_scale) would stop the run, or null. */
  wouldRaiseAtStep: number | null;
  /** First step after which the scale is 0 (torch), or null. */
  scaleReachedZeroAtStep: number | null;
  /** Steps whose unscaled gradient magnitude is itself inf/NaN or beyond the format's range at the smallest possible scale: no loss scale fixes them. */
  unfixableSteps: number;
  /** The first events (see {@link LossScaleEvent}). */
  events: LossScaleEvent[];
  /** Sentences explaining what happened. */
  explanation: string[];
}

/**
 * Simulates a dynamic loss scaler over a series of per-step gradient magnitudes: at step i the scaled
 * gradients overflow when `gradAbsMax[i] · scale` overflows the format (or is inf/NaN), and the scaler
 * updates as its preset prescribes (see {@link DynamicLossScaler}). The explanation says how often steps
 * were skipped and why (e.g. "scale reached its minimum 12 times: the unscaled gradients themselves
 * exceed fp16's range; loss scaling cannot fix this").
 *
 * @param gradAbsMaxSeries - max |gradient| of each step, unscaled (numbers ≥ 0; inf/NaN for broken steps).
 * @param scaler - a preset name or {@link DynamicLossScalerOptions}.
 * @param opts - `format` (default 'fp16'), `maxEvents` (default 1000).
 * @example
 * ```ts
 * const sim = simulateLossScale(new Float64Array(5000).fill(0.01), 'torch');
 * sim.overflowSteps; // 0 (0.01 · 262144 still fits fp16)
 * sim.finalScale;    // 262144 (two growths, after 2000 and 4000 steps)
 * simulateLossScale(new Array(40).fill(1e6), 'deepspeed').explanation[1];
 * // 'The scale reached its minimum (1) 23 times: the unscaled gradients themselves exceed fp16's range ...'
 * ```
 */
export function simulateLossScale(
  gradAbsMaxSeries: ArrayLike<number>,
  scaler: LossScalerPreset | DynamicLossScalerOptions = 'torch',
  opts?: SimulateLossScaleOptions,
): LossScaleSimulation {
  const fn = 'simulateLossScale';
  if (!(gradAbsMaxSeries instanceof Float32Array || gradAbsMaxSeries instanceof Float64Array || Array.isArray(gradAbsMaxSeries))) {
    throw new TypeError(`${fn}: gradAbsMaxSeries must be a Float32Array, Float64Array or number[], got ${describeValue(gradAbsMaxSeries)}`);
  }
  const n = gradAbsMaxSeries.length;
  if (n === 0) throw new RangeError(`${fn}: gradAbsMaxSeries is empty; expected at least one step`);
  const sopts: DynamicLossScalerOptions = typeof scaler === 'string' ? { preset: scaler } : scaler;
  if (sopts === null || typeof sopts !== 'object') throw new TypeError(`${fn}: scaler must be a preset name or options, got ${describeValue(scaler)}`);
  const f = getFormat(opts?.format ?? 'fp16');
  const maxEvents = opts?.maxEvents ?? 1000;
  if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0) throw new RangeError(`${fn}: maxEvents must be a non-negative integer, got ${describeValue(maxEvents)}`);
  const s = new DynamicLossScaler({ ...sopts, raiseErrorAtMinScale: false });
  const raises = s.preset !== 'torch' && (sopts.raiseErrorAtMinScale ?? true);
  const minScale = s.preset === 'torch' ? 0 : s.params.minScale;
  const scales = new Float64Array(n);
  let overflowSteps = 0, growths = 0, refused = 0, backoffs = 0, hyst = 0, minHits = 0, unfixable = 0;
  let wouldRaise: number | null = null, zeroAt: number | null = null;
  const events: LossScaleEvent[] = [];
  for (let i = 0; i < n; i++) {
    const g = gradAbsMaxSeries[i];
    if (typeof g !== 'number' || g < 0) throw new RangeError(`${fn}: gradAbsMaxSeries[${i}] must be a number >= 0 (or NaN/Infinity), got ${describeValue(g)}`);
    const scale = s.lossScale;
    scales[i] = scale;
    const scaled = g * scale;
    const overflow = !(g < Infinity) || !(scaled < Infinity) || unboundedOverflowOf(scaled, f, 'nearest-even');
    // unfixable: no allowed scale makes it fit (torch can go below 1, down to the smallest float32)
    const floorScale = s.preset === 'torch' ? 1.401298464324817e-45 : minScale;
    if (!(g < Infinity) || unboundedOverflowOf(g * floorScale, f, 'nearest-even')) unfixable++;
    const ev = s.update(overflow);
    if (overflow) overflowSteps++;
    if (ev) {
      if (events.length < maxEvents) events.push(ev);
      switch (ev.action) {
        case 'growth': growths++; break;
        case 'growth-refused': refused++; break;
        case 'backoff': backoffs++; break;
        case 'hysteresis': hyst++; break;
        case 'at-minimum': minHits++; if (raises && wouldRaise === null) wouldRaise = i; break;
      }
    }
    if (zeroAt === null && s.lossScale === 0) zeroAt = i;
  }
  const explanation: string[] = [];
  explanation.push(`${fmtCount(overflowSteps)} of ${fmtCount(n)} steps (${fmtPercent(overflowSteps / n)}) overflowed ${f.name} and were skipped; the scale went from ${fmtValue(scales[0])} to ${fmtValue(s.lossScale)} (${plural(growths, 'growth')}, ${plural(backoffs, 'reduction')}${hyst > 0 ? `, ${plural(hyst, 'overflow')} absorbed by hysteresis` : ''}).`);
  if (minHits > 0) {
    explanation.push(`The scale reached its minimum (${fmtValue(minScale)}) ${plural(minHits, 'time')}: the unscaled gradients themselves exceed ${f.name}'s range (max ${fmtValue(f.max)}); loss scaling cannot fix this.` +
      (wouldRaise !== null ? ` DeepSpeed (raise_error_at_min_scale) would stop the run at step ${fmtCount(wouldRaise)}.` : ''));
  }
  if (zeroAt !== null) {
    explanation.push(`The scale underflowed to 0 at step ${fmtCount(zeroAt)} after repeated halvings: the gradients are inf/NaN at every scale (a broken step, not a range problem); PyTorch's GradScaler has no minimum and keeps skipping.`);
  } else if (s.preset === 'torch' && unfixable > 0) {
    explanation.push(`${fmtCount(unfixable)} steps have inf/NaN gradients before any scaling: no loss scale fixes them.`);
  } else if (minHits === 0 && unfixable > 0) {
    explanation.push(`${fmtCount(unfixable)} steps have gradients beyond ${f.name}'s range even at the minimum scale ${fmtValue(minScale)}.`);
  }
  if (refused > 0) explanation.push(`Growth was refused ${fmtCount(refused)} times because the scale ${fmtValue(s.lossScale)} (${fmtLog2(s.lossScale)}) times the growth factor would overflow float32.`);
  if (overflowSteps === 0) explanation.push(`No step overflowed: the largest scaled gradient stayed below ${fmtValue(f.max)}.`);
  return {
    preset: s.preset, format: f.name, steps: n, scales, finalScale: s.lossScale, overflowSteps, growths, growthsRefused: refused,
    backoffs, hysteresisAbsorbed: hyst, minScaleHits: minHits, wouldRaiseAtStep: wouldRaise, scaleReachedZeroAtStep: zeroAt,
    unfixableSteps: unfixable, events, explanation,
  };
}
