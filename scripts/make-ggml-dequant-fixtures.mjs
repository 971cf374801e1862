#!/usr/bin/env node
// Builds the fixtures of the ggml dequantizer tests from ../shared/vectors/ggml (outputs of ggml's C
// reference, ggml-org/ggml d99724f2, gcc 12.2 -O2 -std=c11 -ffp-contract=off; see the README there), so
// the tests run on a fresh clone without ../shared (they read the full files when ../shared exists):
//   - tests/fixtures/ggml/ggml-quants-dequant.safetensors: for each type of ggml-quants.safetensors,
//     rows 0-10 of `<TYPE>.blocks_u8` and `<TYPE>.dequant_f32` (one row of each of the 11 input kinds,
//     which repeat with period 11: LLM-like, unit, Student-t, outliers, tiny, 3e-8, zeros, constants,
//     exact halves, a single nonzero, mixed scales);
//   - tests/fixtures/ggml/model.gguf and gguf-expected.safetensors: copies of the shared files (11 KB and
//     47 KB: a GGUF of F32, F16, BF16, Q4_0, Q8_0, Q2_K, Q4_K, Q5_K, Q6_K, MXFP4 tensors and their
//     dequantized values).
// tests/fixtures/ggml/dequant-c.safetensors is not made here: see tests/fixtures/ggml/README.md.
//   usage: node scripts/make-ggml-dequant-fixtures.mjs [path/to/shared/vectors/ggml]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? join(root, '..', 'shared', 'vectors', 'ggml');
const out = join(root, 'tests', 'fixtures', 'ggml');
const ROWS = 11;

function read(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}

function write(path, tensors, metadata) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(path, Buffer.concat([len, Buffer.from(json, 'utf8'), ...tensors.map(([, t]) => t.bytes)]));
}

mkdirSync(out, { recursive: true });
const { header, data } = read(join(src, 'ggml-quants.safetensors'));
const kept = [];
for (const [key, info] of Object.entries(header)) {
  if (!/\.(blocks_u8|dequant_f32)$/.test(key)) continue;
  const [b] = info.data_offsets;
  const rowBytes = info.shape[1] * (info.dtype === 'F32' ? 4 : 1);
  kept.push([key, { dtype: info.dtype, shape: [ROWS, info.shape[1]], bytes: Buffer.from(data.subarray(b, b + ROWS * rowBytes)) }]);
}
write(join(out, 'ggml-quants-dequant.safetensors'), kept, {
  ...(header.__metadata__ ?? {}),
  lowp_subset_of: 'shared/vectors/ggml/ggml-quants.safetensors',
  lowp_subset: `rows 0-${ROWS - 1} of every <TYPE>.blocks_u8 and <TYPE>.dequant_f32`,
});
console.log(`ggml-quants-dequant: kept ${kept.length} tensors of ${ROWS} rows`);
for (const f of ['model.gguf', 'gguf-expected.safetensors']) {
  copyFileSync(join(src, f), join(out, f));
  console.log(`copied ${f}`);
}
