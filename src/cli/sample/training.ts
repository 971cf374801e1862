// The built-in sample as a training checkpoint: the optimizer state that HF Trainer would save beside the
// sample's weights (src/cli/sample/transformer.ts) after 2,000 steps of AdamW pre-training — lr 3e-4
// peak, cosine decay after 200 warmup steps over 10,000 steps (so the next step's lr is 2.76e-4),
// betas 0.9/0.95, eps 1e-8, weight decay 0.1 on the matrices and 0 on the RMSNorm weights (HF's two
// param groups, each in the sample's parameter order). Per parameter: exp_avg_sq, an EMA of squared
// gradients at the magnitudes the sample's gradients have (the sample's own `optimizer.exp_avg_sq.*`
// tensors where it has them, the same generator elsewhere), and exp_avg, a noisy EMA of gradients
// (a third of √v on average, random signs). Embedding rows that no recent batch touched have
// near-zero moments. Generated in memory (seeded, like the sample), held as safetensors bytes that the
// training section reads exactly as it reads optimizer.pt's tensors.
import { createRng } from '../../core/rng.js';
import { writeSafetensors, type TensorInput } from '../../io/safetensors/writer.js';
import { hfLrSchedule } from '../../diagnostics/trainingReadiness.js';
import { DEFAULT_SAMPLE_CONFIG, hash, sampleParams, sampleTensors, type SampleConfig } from './transformer.js';

/** The sample's training run: what optimizer.pt and trainer_state.json would say. */
export interface SampleTraining {
  /** exp_avg and exp_avg_sq of every parameter, as `state.<index>.exp_avg` / `state.<index>.exp_avg_sq` (float32). */
  stateBytes: Uint8Array;
  /** The parameters in the model's order (the sample's weights file lists them in this order). */
  params: { name: string; shape: number[] }[];
  /** HF's two param groups: optimizer indices, lr, betas, eps, weight decay, peak lr. */
  groups: { index: number; params: number[]; lr: number; betas: [number, number]; eps: number; weightDecay: number; initialLr: number }[];
  /** Steps taken. */
  step: number;
  /** Steps of the run. */
  maxSteps: number;
  /** The lr logged every 100 steps (step, lr), as trainer_state.json's log_history. */
  logged: [number, number][];
}

/**
 * The sample's optimizer state and run facts (deterministic).
 *
 * @param config - the sample's sizes and seed; defaults {@link DEFAULT_SAMPLE_CONFIG}
 * @param ownExpAvgSq - the sample's `optimizer.exp_avg_sq.<name>` tensors, when already at hand (else they are generated)
 * @example
 * ```ts
 * const t = sampleTraining();
 * t.groups[0].lr; // 2.76e-4: the lr of step 2,001
 * ```
 */
export function sampleTraining(config: Partial<SampleConfig> = {}, ownExpAvgSq?: (name: string) => Float32Array | undefined): SampleTraining {
  const c: SampleConfig = { ...DEFAULT_SAMPLE_CONFIG, ...config };
  const own = ownExpAvgSq ?? ((): ((name: string) => Float32Array | undefined) => {
    const byName = new Map(sampleTensors(c).map((t) => [t.name, t.data]));
    return (name) => byName.get(`optimizer.exp_avg_sq.${name}`);
  })();
  const params = sampleParams(c).map((p) => ({ name: p.name, shape: p.shape }));
  const peak = 3e-4, warmup = 200, maxSteps = 10_000, step = 2000;
  // the run's schedule: HF's get_cosine_schedule_with_warmup
  const lrAt = hfLrSchedule({ kind: 'cosine', peakLr: peak, warmupSteps: warmup, maxSteps });
  const lr = lrAt(step);
  const isNorm = (name: string) => /norm\.weight$/.test(name);
  const decay = params.filter((p) => !isNorm(p.name));
  const noDecay = params.filter((p) => isNorm(p.name));
  const order = [...decay, ...noDecay];
  const state: Record<string, TensorInput> = Object.create(null);
  order.forEach((p, index) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const rand = createRng((c.seed ^ hash(`adam.${p.name}`)) >>> 0);
    const normal = (): number => {
      let u = rand();
      while (u === 0) u = rand();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    };
    // the second moment: the sample's own tensor where it has one, else the same kind of values
    const given = own(p.name);
    let v: Float32Array;
    if (given) v = given;
    else {
      const median = isNorm(p.name) ? 1e-5 : /mlp/.test(p.name) ? 1.5e-6 : 1e-6;
      v = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const a = median * 10 * Math.exp(0.9 * normal());
        v[i] = a * a;
      }
    }
    // the first moment: a noisy EMA of gradients, a third of √v on average
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) m[i] = Math.sqrt(v[i]) * (0.35 * normal());
    state[`state.${index}.exp_avg`] = { dtype: 'F32', shape: p.shape, data: m };
    state[`state.${index}.exp_avg_sq`] = { dtype: 'F32', shape: p.shape, data: v };
  });
  const group = (ps: typeof params, first: number, weightDecay: number) => ({
    index: first === 0 ? 0 : 1, params: ps.map((_, k) => first + k), lr, betas: [0.9, 0.95] as [number, number], eps: 1e-8, weightDecay, initialLr: peak,
  });
  const logged: [number, number][] = [];
  for (let s = 100; s <= step; s += 100) logged.push([s, lrAt(s)]);
  return {
    stateBytes: writeSafetensors(state, { lowp_sample: 'the built-in sample\'s AdamW state after 2,000 steps' }),
    params,
    groups: [group(decay, 0, 0.1), group(noDecay, decay.length, 0)],
    step,
    maxSteps,
    logged,
  };
}
