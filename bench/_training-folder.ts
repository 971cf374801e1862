// Writes an HF Trainer checkpoint folder for bench/training.mjs: a Llama-like decoder in float32 (vocab
// 32,000, d 2,048, SwiGLU FFN 5,632, RMSNorms, untied output head; layers chosen so the weights come to
// about the asked size: 4 layers ≈ 1.1 GB), as model.safetensors in named_parameters() order (as the
// public runs' files are), an optimizer.pt written by the test writer (tests/helpers/torch-writer.ts: a
// torch.save zip of AdamW's state dict, HF's two param groups, 0-dim step tensors), and a
// trainer_state.json (linear schedule). Values from xorshift32: weights ~ 0.02·u (norms ~ 1), moments at
// gradient scales 1e-6 … 1e-3, so that in bf16 some weights move and some do not. Streamed to disk, never
// held whole. Run through tsx: node --import tsx bench/_training-folder.ts OUT_DIR [MiB]
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { F, T, torchSaveTo, Tuple, type PyW, type StorageSpec } from '../tests/helpers/torch-writer.js';
import { safetensorsHeader } from './_safetensors-header.mjs';

const [out, mibArg] = process.argv.slice(2);
if (!out) throw new Error('usage: _training-folder.ts OUT_DIR [MiB of weights, default 1024]');
const mib = Number(mibArg ?? 1024);
const vocab = 32000, d = 2048, ffn = 5632;
const perLayer = 4 * d * d + 3 * d * ffn + 2 * d;
const layers = Math.max(1, Math.round((mib * 2 ** 20 / 4 - 2 * vocab * d - d) / perLayer));

interface Param { name: string; shape: number[]; kind: 'matrix' | 'norm' | 'embed' }
const params: Param[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, d], kind: 'embed' }];
for (let l = 0; l < layers; l++) {
  const p = `model.layers.${l}`;
  for (const x of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) params.push({ name: `${p}.self_attn.${x}.weight`, shape: [d, d], kind: 'matrix' });
  params.push({ name: `${p}.mlp.gate_proj.weight`, shape: [ffn, d], kind: 'matrix' });
  params.push({ name: `${p}.mlp.up_proj.weight`, shape: [ffn, d], kind: 'matrix' });
  params.push({ name: `${p}.mlp.down_proj.weight`, shape: [d, ffn], kind: 'matrix' });
  params.push({ name: `${p}.input_layernorm.weight`, shape: [d], kind: 'norm' });
  params.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d], kind: 'norm' });
}
params.push({ name: 'model.norm.weight', shape: [d], kind: 'norm' });
params.push({ name: 'lm_head.weight', shape: [vocab, d], kind: 'matrix' });
const count = (p: Param): number => p.shape.reduce((a, b) => a * b, 1);

/** A xorshift32 stream from `seed`: uniform values in [0, 1). */
function xorshift32(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
const next = xorshift32(2463534242);
const block = new Float32Array(1 << 20);
/**
 * Values of one tensor in 4 MiB chunks: 'w' weights, 'm' exp_avg, 'v' exp_avg_sq. The moments of an
 * element share its gradient scale g (log-uniform 1e-6 … 1e-3, from a stream seeded per tensor, so m and v
 * are generated apart and still agree): v = g²(0.5 … 1.5), m = 0.3·g·(−1 … 1), as Adam's moments are
 * (m² below v).
 */
function* values(p: Param, what: 'w' | 'm' | 'v'): Iterable<Uint8Array> {
  const n = count(p);
  const scale = xorshift32((2463534242 ^ p.name.length * 2654435761 ^ p.shape[0] * 40503) >>> 0 || 1);
  for (let done = 0; done < n; ) {
    const k = Math.min(block.length, n - done);
    for (let i = 0; i < k; i++) {
      const u = next() - 0.5;
      if (what === 'w') block[i] = p.kind === 'norm' ? 1 + 0.2 * u : 0.04 * u;
      else {
        const g = 10 ** (-6 + 3 * scale());
        block[i] = what === 'v' ? g * g * (1 + u) : 0.3 * g * 2 * u;
      }
    }
    yield new Uint8Array(block.buffer, 0, k * 4);
    done += k;
  }
}

mkdirSync(out, { recursive: true });
// model.safetensors, in named_parameters() order
{
  const entries: string[] = [];
  let off = 0;
  for (const p of params) {
    entries.push(`${JSON.stringify(p.name)}:{"dtype":"F32","shape":${JSON.stringify(p.shape)},"data_offsets":[${off},${off + 4 * count(p)}]}`);
    off += 4 * count(p);
  }
  const fd = openSync(join(out, 'model.safetensors'), 'w');
  writeSync(fd, safetensorsHeader(`{"__metadata__":{"format":"pt"},${entries.join(',')}}`));
  for (const p of params) for (const c of values(p, 'w')) writeSync(fd, c);
  closeSync(fd);
}
// optimizer.pt: HF's groups (decay: matrices and the embedding; no decay: norms), each in model order
const order = [...params.filter((p) => p.kind !== 'norm'), ...params.filter((p) => p.kind === 'norm')];
const step = 1000, maxSteps = 4000, peak = 3e-4;
const lr = (t: number): number => peak * (maxSteps - t) / maxSteps;
{
  const storages = new Map<string, StorageSpec>();
  const state = new Map<PyW, PyW>();
  let key = 0;
  order.forEach((p, i) => {
    const stepKey = String(key++);
    storages.set(stepKey, { dtype: 'float32', bytes: new Uint8Array(new Float32Array([step]).buffer) });
    const entry = new Map<PyW, PyW>([['step', new T({ storage: stepKey, dtype: 'float32', shape: [] })]]);
    for (const [k, what] of [['exp_avg', 'm'], ['exp_avg_sq', 'v']] as const) {
      const sk = String(key++);
      storages.set(sk, { dtype: 'float32', bytes: { size: 4 * count(p), chunks: () => values(p, what) } });
      entry.set(k, new T({ storage: sk, dtype: 'float32', shape: p.shape }));
    }
    state.set(i, entry);
  });
  const nd = order.filter((p) => p.kind !== 'norm').length;
  const group = (wd: number, ids: number[]): Map<PyW, PyW> => new Map<PyW, PyW>([
    ['weight_decay', new F(wd)], ['lr', lr(step)], ['betas', new Tuple([0.9, 0.95])], ['eps', 1e-8], ['amsgrad', false], ['maximize', false],
    ['foreach', null], ['capturable', false], ['differentiable', false], ['fused', null], ['decoupled_weight_decay', true], ['initial_lr', peak], ['params', ids],
  ]);
  const fd = openSync(join(out, 'optimizer.pt'), 'w');
  torchSaveTo(new Map<PyW, PyW>([['state', state], ['param_groups', [group(0.1, order.slice(0, nd).map((_, i) => i)), group(0, order.slice(nd).map((_, i) => nd + i))]]]), storages, (c) => writeSync(fd, c), { folder: 'optimizer' });
  closeSync(fd);
}
const log = [];
for (let t = 100; t <= step; t += 100) log.push({ loss: 2, learning_rate: lr(t), step: t });
writeFileSync(join(out, 'trainer_state.json'), JSON.stringify({ global_step: step, max_steps: maxSteps, epoch: 0.25, log_history: log }, null, 2));
console.log(JSON.stringify({ layers, tensors: params.length, weights: params.reduce((a, p) => a + count(p), 0) }));
