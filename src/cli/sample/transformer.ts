// The built-in sample of `lowp check --sample`: a deterministic, model-like checkpoint generated in
// code (seeded), serialised as safetensors bytes in memory so that the real path (safetensors reader →
// cast analyzer → report) runs on it. It models one training step of a small Llama-style decoder
// (2 layers, d_model 256, SwiGLU FFN 1024, vocabulary 2048, tied embeddings) saved in float32:
//
// - weights with the usual initialisation scales (std 0.02, residual projections 0.02/√(2·layers),
//   GPT-2 / Llama practice) plus a slightly heavy tail, RMSNorm weights spread around 1;
// - gradients of one batch at realistic magnitudes (log-normal around 1e-7 to 1e-5 per tensor, as
//   measured on trained transformers without loss scaling; the embedding gradient is exactly zero
//   outside the rows of the tokens in the batch), where fp16 flushes a share to zero and turns most of
//   the rest subnormal: the reason mixed-precision training needs loss scaling;
// - Adam second moments (exp_avg_sq ≈ EMA of g², about 1e-13 to 1e-7): far below fp16's smallest
//   subnormal 2^-24 ≈ 6e-8;
// - activations of 256 tokens: a RMSNorm output with a few outlier feature columns (the emergent
//   features of LLM.int8(), Dettmers et al. 2022), a SiLU output, and an FFN output whose outlier columns
//   reach ~1e5 on a few tokens, as T5's FFN outputs do (the reason transformers' T5 clamps fp16
//   activations at 65504 − 1000): fp16 overflows there.
//
// Values are drawn from lowp's seeded generator (src/core/rng.ts), one independent stream per tensor
// (seeded from its name), so the bytes are identical on every machine and every run.
import { createRng, type RandomSource } from '../../core/rng.js';
import { writeSafetensors, type TensorInput } from '../../io/safetensors/writer.js';

/** Size parameters of the sample model. */
export interface SampleConfig {
  /** Vocabulary size (rows of the embedding). Default 2048. */
  vocab: number;
  /** Model width. Default 256. */
  dModel: number;
  /** FFN width (SwiGLU). Default 1024. */
  dFfn: number;
  /** Decoder layers. Default 2. */
  layers: number;
  /** Tokens in the batch the activations and gradients come from. Default 256. */
  tokens: number;
  /** Seed of the whole sample. Default 2024. */
  seed: number;
}

/** Defaults of {@link SampleConfig}: about 6.6 M float32 values (26 MB). */
export const DEFAULT_SAMPLE_CONFIG: Readonly<SampleConfig> = Object.freeze({
  vocab: 2048,
  dModel: 256,
  dFfn: 1024,
  layers: 2,
  tokens: 256,
  seed: 2024,
});

/** One tensor of the sample: its name, shape, float32 values and what it stands for. */
export interface SampleTensor {
  /** Tensor name, in Hugging Face style (`model.layers.0.mlp.down_proj.weight`, `grad.…`, `optimizer.exp_avg_sq.…`, `act.…`). */
  name: string;
  /** Shape, outermost first. */
  shape: number[];
  /** The values. */
  data: Float32Array;
  /** What the tensor models (one sentence). */
  role: string;
}

/** FNV-1a hash of a string, to seed one generator per tensor (also the sample's optimizer state's). @internal */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Standard normal variates from a uniform source (Box–Muller, both outputs used). */
function normals(rand: RandomSource): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = rand();
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

interface Gen {
  rand: RandomSource;
  normal: () => number;
}

function gen(seed: number, name: string): Gen {
  const rand = createRng((seed ^ hash(name)) >>> 0);
  return { rand, normal: normals(rand) };
}

/** Trained-weight-like values: normal with std `std` and a mild heavy tail (5% of values ×3 wider). */
function weight(g: Gen, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.normal() * std * (g.rand() < 0.05 ? 3 : 1);
  return out;
}

/** RMSNorm weights: around 1, spread 0.15, never negative. */
function normWeight(g: Gen, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0.05, 1 + 0.15 * g.normal());
  return out;
}

/** Gradient-like values: random sign, log-normal magnitude with median `median` and log-std `sigma` (natural log). */
function logNormal(g: Gen, n: number, median: number, sigma: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (g.rand() < 0.5 ? -1 : 1) * median * Math.exp(sigma * g.normal());
  return out;
}

/**
 * The sample model's parameters in its own order (its `named_parameters()`), with their shapes and
 * initialisation scales ('norm' for RMSNorm weights); no values are generated.
 *
 * @param config - sizes; defaults {@link DEFAULT_SAMPLE_CONFIG}
 * @returns the parameters, embedding first
 * @example
 * ```ts
 * sampleParams()[0].name; // 'model.embed_tokens.weight'
 * ```
 */
export function sampleParams(config: Partial<SampleConfig> = {}): { name: string; shape: number[]; std: number | 'norm' }[] {
  const { vocab, dModel: d, dFfn: f, layers: L } = { ...DEFAULT_SAMPLE_CONFIG, ...config };
  const residStd = 0.02 / Math.sqrt(2 * L);
  const params: { name: string; shape: number[]; std: number | 'norm' }[] = [];
  params.push({ name: 'model.embed_tokens.weight', shape: [vocab, d], std: 0.02 });
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    params.push({ name: `${p}.input_layernorm.weight`, shape: [d], std: 'norm' });
    for (const proj of ['q_proj', 'k_proj', 'v_proj']) params.push({ name: `${p}.self_attn.${proj}.weight`, shape: [d, d], std: 0.02 });
    params.push({ name: `${p}.self_attn.o_proj.weight`, shape: [d, d], std: residStd });
    params.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d], std: 'norm' });
    params.push({ name: `${p}.mlp.gate_proj.weight`, shape: [f, d], std: 0.02 });
    params.push({ name: `${p}.mlp.up_proj.weight`, shape: [f, d], std: 0.02 });
    params.push({ name: `${p}.mlp.down_proj.weight`, shape: [d, f], std: residStd });
  }
  params.push({ name: 'model.norm.weight', shape: [d], std: 'norm' });
  return params;
}

/**
 * The tensors of the built-in sample (see the header of this file for what each group models).
 * Deterministic: the same config gives the same values on every machine.
 *
 * @param config - sizes and seed; defaults {@link DEFAULT_SAMPLE_CONFIG}
 * @returns the tensors, grouped: weights, gradients, Adam second moments, activations
 * @example
 * ```ts
 * const tensors = sampleTensors();
 * tensors.find((t) => t.name === 'model.norm.weight')!.data.length; // 256
 * ```
 */
export function sampleTensors(config: Partial<SampleConfig> = {}): SampleTensor[] {
  const c: SampleConfig = { ...DEFAULT_SAMPLE_CONFIG, ...config };
  const { vocab, dModel: d, dFfn: f, layers: L, tokens: T, seed } = c;
  const out: SampleTensor[] = [];
  const add = (name: string, shape: number[], role: string, make: (g: Gen, n: number) => Float32Array): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    out.push({ name, shape, data: make(gen(seed, name), n), role });
  };
  const residStd = 0.02 / Math.sqrt(2 * L);

  // weights
  const params = sampleParams(c);
  for (const p of params) {
    const std = p.std;
    add(p.name, p.shape, std === 'norm' ? 'RMSNorm weight (around 1)' : `weight, init std ${Number(std.toPrecision(3))}`, (g, n) =>
      std === 'norm' ? normWeight(g, n) : weight(g, n, std),
    );
  }

  // gradients and Adam second moments of a subset of the parameters
  const tokenRows = new Uint8Array(vocab);
  {
    const g = gen(seed, 'batch.tokens');
    for (let i = 0; i < T; i++) tokenRows[Math.floor(g.rand() * vocab)] = 1;
  }
  const gradded: { name: string; shape: number[]; median: number }[] = [
    { name: 'model.embed_tokens.weight', shape: [vocab, d], median: 3e-7 },
    { name: 'model.norm.weight', shape: [d], median: 2e-5 },
  ];
  for (let l = 0; l < L; l++) {
    // deeper layers see larger gradients here (closer to the loss); smaller in the first layer
    const s = l === L - 1 ? 1 : 0.3;
    gradded.push({ name: `model.layers.${l}.input_layernorm.weight`, shape: [d], median: 1e-5 * s });
    gradded.push({ name: `model.layers.${l}.self_attn.q_proj.weight`, shape: [d, d], median: 1e-6 * s });
    gradded.push({ name: `model.layers.${l}.self_attn.o_proj.weight`, shape: [d, d], median: 2e-6 * s });
    gradded.push({ name: `model.layers.${l}.mlp.down_proj.weight`, shape: [d, f], median: 1.5e-6 * s });
  }
  for (const p of gradded) {
    const isEmbed = p.name === 'model.embed_tokens.weight';
    add(`grad.${p.name}`, p.shape, isEmbed ? 'embedding gradient (zero outside the batch tokens)' : `gradient, median |g| ${p.median.toExponential(0)}`, (g, n) => {
      const v = logNormal(g, n, p.median, 1.6);
      if (isEmbed) for (let r = 0; r < vocab; r++) if (!tokenRows[r]) v.fill(0, r * d, (r + 1) * d);
      return v;
    });
    add(`optimizer.exp_avg_sq.${p.name}`, p.shape, 'Adam second moment (EMA of g²)', (g, n) => {
      // EMA of g² over past steps: the square of a gradient-like magnitude, somewhat smoother than one step
      const v = new Float32Array(n);
      const m = p.median * 10;
      for (let i = 0; i < n; i++) {
        const a = m * Math.exp(0.9 * g.normal());
        v[i] = a * a;
      }
      if (isEmbed) for (let r = 0; r < vocab; r++) if (!tokenRows[r]) for (let k = r * d; k < (r + 1) * d; k++) v[k] *= 0.01;
      return v;
    });
  }

  // activations of T tokens
  const outlierCols = [17, 133, 201].filter((x) => x < d);
  add('act.model.layers.0.input_layernorm', [T, d], 'RMSNorm output with outlier feature columns', (g, n) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = g.normal();
    for (let t = 0; t < T; t++) for (const col of outlierCols) v[t * d + col] = (g.rand() < 0.5 ? -1 : 1) * (20 + 40 * g.rand());
    return v;
  });
  add('act.model.layers.0.mlp.act_fn', [T, f], 'SiLU(gate) output', (g, n) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = 2 * g.normal();
      v[i] = x / (1 + Math.exp(-x));
    }
    return v;
  });
  add(`act.model.layers.${L - 1}.mlp.down_proj`, [T, d], 'FFN output with outliers reaching ~1e5 on a few tokens (T5-like)', (g, n) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 2 * g.normal();
    for (let t = 0; t < T; t++) {
      for (const col of outlierCols) {
        // outlier columns grow to a few thousand; on ~3% of tokens they pass fp16's 65504
        const big = g.rand() < 0.03 ? 7e4 + 5e4 * g.rand() : 500 + 4000 * g.rand();
        v[t * d + col] = (g.rand() < 0.5 ? -1 : 1) * big;
      }
    }
    return v;
  });
  return out;
}

/**
 * The built-in sample as the bytes of a safetensors file (float32 tensors, metadata describing the
 * sample), ready for `openSafetensors(bytes)`.
 *
 * @param config - sizes and seed; defaults {@link DEFAULT_SAMPLE_CONFIG}
 * @returns the file's bytes
 * @example
 * ```ts
 * import { openSafetensors } from '../../io/safetensors/reader.js';
 * const st = await openSafetensors(sampleSafetensors(), { name: 'sample' });
 * st.tensors.length; // 43
 * ```
 */
export function sampleSafetensors(config: Partial<SampleConfig> = {}): Uint8Array {
  const c: SampleConfig = { ...DEFAULT_SAMPLE_CONFIG, ...config };
  const tensors: Record<string, TensorInput> = Object.create(null);
  for (const t of sampleTensors(c)) tensors[t.name] = { dtype: 'F32', shape: t.shape, data: t.data };
  return writeSafetensors(tensors, {
    format: 'pt',
    lowp_sample: `one training step of a small Llama-style decoder (${c.layers} layers, d_model ${c.dModel}, ffn ${c.dFfn}, vocab ${c.vocab}): weights, gradients, Adam second moments, activations of ${c.tokens} tokens`,
    seed: String(c.seed),
  });
}
