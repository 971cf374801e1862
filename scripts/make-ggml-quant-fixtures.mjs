#!/usr/bin/env node
// Builds the fixtures of the ggml quantizer tests (tests/quant/ggml-quantize*.test.ts), so they run on
// a fresh clone without ../shared (they read the full shared file when it exists):
//   - tests/fixtures/ggml/ggml-quants-quantize.safetensors: for each type of
//     ../shared/vectors/ggml/ggml-quants.safetensors (what ggml-org/ggml d99724f2's C
//     `quantize_row_<type>_ref` wrote, gcc 12.2 -O2 -std=c11 -ffp-contract=off), rows 0-21 of
//     `<TYPE>.input_f32` and `<TYPE>.blocks_u8`: two rows of each of the 11 input kinds, which repeat
//     with period 11 (LLM-like, unit, Student-t, outliers, tiny, 3e-8, zeros, constants, exact halves,
//     a single nonzero, mixed scales).
//   - with --log2f: tests/fixtures/ggml/glibc-log2f.json, the float32 values at which glibc's
//     `floorf(log2f(x))` (what ggml's MXFP4 quantizer takes its scale exponent from) steps to the next
//     integer before the power of two: a 20-line C program (below; it calls glibc only, no ggml code)
//     is compiled with gcc in a temporary folder and scans every positive float32 (about 15 s).
//   usage: node scripts/make-ggml-quant-fixtures.mjs [path/to/shared/vectors/ggml] [--log2f]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const src = args.find((a) => !a.startsWith('--')) ?? join(root, '..', 'shared', 'vectors', 'ggml');
const out = join(root, 'tests', 'fixtures', 'ggml');
const ROWS = 22;

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
  if (!/\.(input_f32|blocks_u8)$/.test(key)) continue;
  const [b] = info.data_offsets;
  const rowBytes = info.shape[1] * (info.dtype === 'F32' ? 4 : 1);
  kept.push([key, { dtype: info.dtype, shape: [ROWS, info.shape[1]], bytes: Buffer.from(data.subarray(b, b + ROWS * rowBytes)) }]);
}
write(join(out, 'ggml-quants-quantize.safetensors'), kept, {
  ...(header.__metadata__ ?? {}),
  lowp_subset_of: 'shared/vectors/ggml/ggml-quants.safetensors',
  lowp_subset: `rows 0-${ROWS - 1} (two of each input kind) of every <TYPE>.input_f32 and <TYPE>.blocks_u8`,
});
console.log(`ggml-quants-quantize: kept ${kept.length} tensors of ${ROWS} rows`);

const SCAN_C = `
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* every positive finite float32 x whose floorf(log2f(x)) differs from floor(log2(x)) (exponent) */
int main(void) {
  for (uint32_t u = 1; u < 0x7f800000u; u++) {
    float x; memcpy(&x, &u, 4);
    int fl = (int)floorf(log2f(x)), ex;
    frexpf(x, &ex);
    if (fl != ex - 1) printf("%u %d\\n", u, fl);
  }
  return 0;
}
`;

if (args.includes('--log2f')) {
  const tmp = mkdtempSync(join(tmpdir(), 'lowp-log2f-'));
  try {
    writeFileSync(join(tmp, 'scan.c'), SCAN_C);
    execFileSync('gcc', ['-O2', '-std=c11', '-o', join(tmp, 'scan'), join(tmp, 'scan.c'), '-lm']);
    const lines = execFileSync(join(tmp, 'scan'), { maxBuffer: 1 << 26 }).toString().trim().split('\n');
    // per integer k: the run of float32 just below 2^k whose floorf(log2f) is already k
    const runs = new Map();
    for (const l of lines) {
      const [u, k] = l.split(' ').map(Number);
      const r = runs.get(k) ?? { first: u, last: u, count: 0 };
      r.first = Math.min(r.first, u);
      r.last = Math.max(r.last, u);
      r.count++;
      runs.set(k, r);
    }
    const steps = [...runs].sort((a, b) => a[0] - b[0]).map(([k, r]) => {
      if (r.last - r.first + 1 !== r.count) throw new Error(`log2f: the run below 2^${k} is not contiguous`);
      return [k, r.first, r.count];
    });
    const glibc = execFileSync('ldd', ['--version']).toString().split('\n')[0];
    writeFileSync(join(out, 'glibc-log2f.json'), JSON.stringify({
      what: 'for each integer k, [k, bits of the smallest float32 x < 2^k with floorf(log2f(x)) == k, how many such x]; every other positive float32 has floorf(log2f(x)) == floor(log2(x))',
      made_by: `scripts/make-ggml-quant-fixtures.mjs --log2f (gcc -O2 -std=c11, ${glibc}, x86-64)`,
      steps,
    }, null, 0) + '\n');
    console.log(`glibc-log2f: ${steps.length} steps, ${lines.length} float32 values`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
