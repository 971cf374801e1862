#!/usr/bin/env node
// Builds tests/fixtures/*.safetensors: small subsets of ../shared/vectors (the oracle outputs of
// PyTorch, ml_dtypes, numpy, bitsandbytes, cuBLAS, ggml's C and an exact rational rounding oracle),
// and copies tests/fixtures/onnx/ (the ONNX vector model) and the GGUF oracle files of
// tests/fixtures/ggml/ unchanged, so the conformance tests run on a fresh clone without ../shared.
// When ../shared/vectors exists the tests read the full files instead (tests/helpers/vectors.ts).
// (tests/fixtures/ggml/dequant-c.safetensors and glibc-log2f.json are not cut from ../shared: see
// tests/fixtures/ggml/README.md.)
//   usage: node scripts/make-fixtures.mjs [path/to/shared/vectors]
// Each entry: which keys to keep (regex) and, for files whose 1-D arrays are aligned test cases, a
// stride that keeps every k-th element of every kept key (the same elements in each key), or, for
// files whose 2-D arrays are rows of test cases, the number of leading rows kept of every kept key.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors as read, writeSafetensors as write } from './safetensors-lite.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? join(root, '..', 'shared', 'vectors');
const out = join(root, 'tests', 'fixtures');

const SPECS = {
  'from-f32': { keep: /.*/, stride: 4 },
  'from-f64': { keep: /.*/ },
  'decode-tables': { keep: /.*/ },
  'blockwise-bitsandbytes': { keep: /.*/ },
  'llm-int8-bitsandbytes': { keep: /^(?!big_thr6\.)/ },
  'gemm-cublas': { keep: /^s1\./ },
  'gemm-fp8-h200': { keep: /^f1\./ },
  // ggml's C quantizers and dequantizers (ggml-org/ggml d99724f2): rows 0-21 of every type, two of
  // each of the 11 input kinds, which repeat with period 11
  'ggml/ggml-quants': { keep: /\.(input_f32|blocks_u8|dequant_f32)$/, rows: 22 },
  'digits-transformer': {
    keep: /^(weight\.(enc\.layers\.0\.|emb|head)|grad\.(enc\.layers\.0\.|emb|head)|adam\.exp_avg_sq\.(\d)$|act\.(emb|enc\.layers\.0\.norm1|head))/,
  },
};

const ELEM = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

mkdirSync(out, { recursive: true });
for (const [name, spec] of Object.entries(SPECS)) {
  const { header, data } = read(join(src, `${name}.safetensors`));
  const meta = header.__metadata__;
  const kept = [];
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__' || !spec.keep.test(key)) continue;
    const [b, e] = info.data_offsets;
    let bytes = Buffer.from(data.subarray(b, e));
    let shape = info.shape;
    if (spec.stride && shape.length === 1) {
      const size = ELEM[info.dtype];
      const n = Math.ceil(shape[0] / spec.stride);
      const sub = Buffer.alloc(n * size);
      for (let i = 0; i < n; i++) bytes.copy(sub, i * size, i * spec.stride * size, (i * spec.stride + 1) * size);
      bytes = sub;
      shape = [n];
    }
    if (spec.rows && shape.length === 2 && shape[0] > spec.rows) {
      bytes = bytes.subarray(0, (bytes.length / shape[0]) * spec.rows);
      shape = [spec.rows, shape[1]];
    }
    kept.push([key, { dtype: info.dtype, shape, bytes }]);
  }
  const metadata = { ...(meta ?? {}), lowp_subset_of: `shared/vectors/${name}.safetensors`, lowp_subset: String(spec.keep) + (spec.stride ? ` stride ${spec.stride}` : '') + (spec.rows ? ` rows 0-${spec.rows - 1}` : '') };
  write(join(out, `${name}.safetensors`), kept, metadata);
  console.log(`${name}: kept ${kept.length} tensors`);
}

// ONNX (lowp/io's reader, lowp trace): the vector model, its external-data twin, its input and
// activations.json, copied unchanged (about 1 MB; tests/fixtures/onnx/README.md)
for (const file of ['model.onnx', 'input_ids.npy', 'activations.json', 'external/model.onnx', 'external/model.onnx.data']) {
  mkdirSync(dirname(join(out, 'onnx', file)), { recursive: true });
  writeFileSync(join(out, 'onnx', file), readFileSync(join(src, 'onnx', file)));
}
console.log('onnx: copied 5 files');

// GGUF (ggml's dequantizers, lowp/io's reader): the public GGUF written by gguf-py and its tensors
// dequantized by ggml (11 KB and 47 KB), copied unchanged
for (const file of ['model.gguf', 'gguf-expected.safetensors']) writeFileSync(join(out, 'ggml', file), readFileSync(join(src, 'ggml', file)));
console.log('ggml: copied 2 files');
