// Where the torch.save oracle files are: ../shared/vectors/torch-checkpoints when present (the full set),
// else the copies in tests/fixtures/torch (see its README). The expected tensors are read with a parser
// of their own, not with lowp's safetensors reader (the oracle must not go through code under test).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, SHARED_VECTORS } from './vectors.js';

/** ../shared/vectors/torch-checkpoints (LOWP_SHARED_VECTORS overrides ../shared/vectors, e.g. from a worktree). */
export const SHARED_TORCH = join(process.env.LOWP_SHARED_VECTORS ?? SHARED_VECTORS, 'torch-checkpoints');
export const HAVE_SHARED_TORCH = existsSync(join(SHARED_TORCH, 'reader', 'manifest.json'));

/** The folder holding `reader/`, `evil/` (shared when present, else the fixtures). */
export const TORCH_VECTORS = HAVE_SHARED_TORCH ? SHARED_TORCH : join(FIXTURES, 'torch');

/** The real HF Trainer checkpoint folders (only with ../shared). */
export const TRAINER_RUNS = HAVE_SHARED_TORCH
  ? [join(SHARED_TORCH, 'trainer', 'finetune', 'checkpoint-150'), join(SHARED_TORCH, 'trainer', 'pretrain', 'checkpoint-200')]
  : [];

/** The raw bytes of every tensor in a safetensors file, by name (a parser independent of lowp's). */
export function rawTensors(path: string): Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const [b, e] = v.data_offsets;
    out.set(k, { dtype: v.dtype, shape: v.shape, bytes: new Uint8Array(buf.subarray(8 + n + b, 8 + n + e)) });
  }
  return out;
}

/** torch dtype names (as in the manifests) to lowp's element types. */
export const LOWP_DTYPE: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8',
  uint8: 'U8', bool: 'BOOL', float8_e4m3fn: 'F8_E4M3', float8_e5m2: 'F8_E5M2', uint16: 'U16', uint32: 'U32', uint64: 'U64',
  float8_e4m3fnuz: 'F8_E4M3FNUZ', float8_e5m2fnuz: 'F8_E5M2FNUZ', float8_e8m0fnu: 'F8_E8M0',
};
