#!/usr/bin/env node
// Builds tests/fixtures/torch-checkpoints/trainer/truth.{safetensors,json}: a small subset of
// ../shared/vectors/torch-checkpoints/trainer/truth.* (PyTorch 2.13 CPU, torch.optim.AdamW's next step
// with weights and states in bf16/fp16, for-loop and fused; see ../shared/vectors/README.md), so that
// tests/diagnostics/adamStep.test.ts checks simulateAdamStep bit for bit on a fresh clone. The tests read
// the full files instead when ../shared/vectors exists.
//   usage: node scripts/make-adam-fixtures.mjs [path/to/shared/vectors]
// Kept per run: whole small tensors (LayerNorm weights, biases; some with fp16 inf/NaN) and the first
// SLICE elements of two large weights (every key of a tensor sliced alike). truth.json keeps the runs'
// hyper-parameters, and the per-tensor counts of the tensors kept whole (a sliced tensor's counts are
// not the file's: the test derives nothing from them).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, writeSafetensors } from './safetensors-lite.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(process.argv[2] ?? join(root, '..', 'shared', 'vectors'), 'torch-checkpoints', 'trainer');
const out = join(root, 'tests', 'fixtures', 'torch-checkpoints', 'trainer');
const WHOLE = ['blocks.0.ln1.weight', 'blocks.0.ln1.bias', 'blocks.0.attn.in_proj_bias', 'blocks.1.attn.in_proj_bias', 'blocks.1.fc1.bias'];
const SLICED = ['embed.weight', 'blocks.1.attn.in_proj_weight'];
const SLICE = 768;

const { header, data } = readSafetensors(join(src, 'truth.safetensors'));
const truth = JSON.parse(readFileSync(join(src, 'truth.json'), 'utf8'));

const tensors = [];
const json = {};
for (const run of Object.keys(truth)) {
  const t = truth[run];
  const keep = [...WHOLE, ...SLICED];
  json[run] = { ...t, param_order: keep, weight_decay: Object.fromEntries(keep.map((k) => [k, t.weight_decay[k]])), cases: {}, sliced: SLICED, slice: SLICE };
  for (const [c, v] of Object.entries(t.cases)) json[run].cases[c] = { tensors: Object.fromEntries(WHOLE.map((k) => [k, v.tensors[k]])) };
  for (const key of Object.keys(header)) {
    if (key === '__metadata__' || !key.startsWith(run + '/')) continue;
    const name = key.split('/').at(-1);
    if (!keep.includes(name)) continue;
    const info = header[key];
    const width = info.dtype === 'F32' ? 4 : 2;
    const [b, e] = info.data_offsets;
    const count = SLICED.includes(name) ? Math.min(SLICE, (e - b) / width) : (e - b) / width;
    tensors.push([key, { dtype: info.dtype, shape: [count], bytes: data.subarray(b, b + count * width) }]);
  }
}
mkdirSync(out, { recursive: true });
writeSafetensors(join(out, 'truth.safetensors'), tensors, { origin: 'subset of shared/vectors/torch-checkpoints/trainer/truth.safetensors (scripts/make-adam-fixtures.mjs)' });
writeFileSync(join(out, 'truth.json'), JSON.stringify(json, null, 1) + '\n');
console.log(`wrote ${tensors.length} tensors, ${tensors.reduce((s, [, t]) => s + t.bytes.length, 0)} bytes of data`);
