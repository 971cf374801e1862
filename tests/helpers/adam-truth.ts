// The AdamW oracle of ../shared/vectors/torch-checkpoints/trainer/truth.{safetensors,json} (PyTorch 2.13,
// CPU): the full files when ../shared/vectors (or LOWP_SHARED_VECTORS, e.g. for a git worktree) holds
// them, else the subset in tests/fixtures made by scripts/make-adam-fixtures.mjs. Read without lowp's
// own readers: the oracle must not pass through the code under test.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, SHARED_VECTORS } from './vectors.js';

const fullDir = join(process.env.LOWP_SHARED_VECTORS ?? SHARED_VECTORS, 'torch-checkpoints', 'trainer');
export const ADAM_TRUTH_FULL = existsSync(join(fullDir, 'truth.safetensors'));
const dir = ADAM_TRUTH_FULL ? fullDir : join(FIXTURES, 'torch-checkpoints', 'trainer');

export interface TruthCounts { elements: number; unchanged: number; nonfinite: number }
export interface RunTruth {
  lr: number; betas: [number, number]; eps: number; step: number; weight_decay: Record<string, number>;
  param_order: string[]; sliced?: string[]; cases: Record<string, { tensors: Record<string, TruthCounts> }>;
}

export function loadAdamTruth() {
  const buf = readFileSync(join(dir, 'truth.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const get = (key: string): Float32Array | Uint16Array => {
    const info = header[key];
    if (!info) throw new Error(`truth: no key ${key}`);
    const [b, e] = info.data_offsets;
    const bytes = new Uint8Array(e - b);
    bytes.set(buf.subarray(8 + n + b, 8 + n + e));
    return info.dtype === 'F32' ? new Float32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
  };
  const json = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, RunTruth>;
  return { get, json, full: ADAM_TRUTH_FULL };
}
