#!/usr/bin/env node
// Builds tests/fixtures/ggml/glibc-log2f.json: the float32 values at which glibc's `floorf(log2f(x))`
// (where ggml's MXFP4 quantizer takes its E8M0 scale exponent from) steps to the next integer before
// the power of two (log2f rounds to float32 before the floor). A 20-line C program (below; it calls
// glibc only, no ggml code) is compiled with gcc in a temporary folder and scans every positive float32
// (about 15 s). tests/quant/ggml-quantize-vectors.test.ts checks lowp's floorLog2f against the result.
//   usage: node scripts/make-glibc-log2f.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'tests', 'fixtures', 'ggml');

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

mkdirSync(out, { recursive: true });
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
    made_by: `scripts/make-glibc-log2f.mjs (gcc -O2 -std=c11, ${glibc}, x86-64)`,
    steps,
  }, null, 0) + '\n');
  console.log(`glibc-log2f: ${steps.length} steps, ${lines.length} float32 values`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
