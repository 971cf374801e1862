#!/usr/bin/env node
// npm run fuzz: long fuzz runs of lowp/io's readers, outside vitest, one guarded worker per target.
//
//   npm run fuzz                                  every target, scale 20 (20 × the CI run counts)
//   npm run fuzz -- --minutes 10                  every random property of every target for 10 min each
//   npm run fuzz -- --target npy --scale 100      one target
//   npm run fuzz -- --target safetensors --property mutations --seed 123 --path "45:2:1"   replay
//   npm run fuzz -- --collect                     also add the smallest input of each outcome not yet in
//                                                 tests/fixtures/corpus/<target>/ to that corpus
//
// Prints each property's seed, runs, time and outcome counts; on failure fast-check's report (seed,
// path, shrunk counterexample), the replay command and where the failing input was saved. Exit 1 on
// any failure.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchFuzz, randomSeed } from './launch.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--help')) {
  console.log('usage: npm run fuzz -- [--target NAME[,NAME]] [--property P[,P]] [--seed S] [--path P] [--scale K | --minutes M] [--case-timeout MS] [--collect]');
  process.exit(0);
}
// the readers import the generated WebAssembly kernels (src/wasm/kernels.generated.ts, built by npm run build):
// build them when missing or older than their source
const generated = join(HERE, '..', '..', 'src', 'wasm', 'kernels.generated.ts');
if (!existsSync(generated) || statSync(generated).mtimeMs < statSync(join(HERE, '..', '..', 'src', 'wasm', 'kernels.ts')).mtimeMs) {
  execFileSync(process.execPath, [join(HERE, '..', '..', 'scripts', 'build-wasm.mjs')], { stdio: 'inherit' });
}
const all = readdirSync(join(HERE, 'targets')).filter((f) => f.endsWith('.ts') && !f.startsWith('toy')).map((f) => f.slice(0, -3)).sort();
const targets = opt('target')?.split(',') ?? all;
const seed = opt('seed') !== undefined ? Number(opt('seed')) | 0 : randomSeed();
const minutes = opt('minutes') !== undefined ? Number(opt('minutes')) : undefined;
const scale = opt('scale') !== undefined ? Number(opt('scale')) : minutes !== undefined ? 1 : 20;
const only = opt('property')?.split(',');
const caseTimeoutMs = opt('case-timeout') !== undefined ? Number(opt('case-timeout')) : 10_000;

console.log(`lowp fuzz: node ${process.version}, seed ${seed}, ${minutes !== undefined ? `${minutes} min per random property` : `scale ${scale}`}, targets ${targets.join(', ')}`);
let failed = 0;
const t0 = Date.now();
for (const target of targets) {
  const report = await launchFuzz({
    target,
    seed,
    scale,
    only,
    path: opt('path'),
    timeLimitMs: minutes !== undefined ? minutes * 60_000 : undefined,
    caseTimeoutMs,
    collect: args.includes('--collect'),
    onResult(r) {
      const codes = Object.entries(r.stats.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
      const extra = r.stats.cases > 0 ? ` | ${codes} | slowest case ${r.stats.maxCaseMs.toFixed(1)} ms, reads ≤ ${r.stats.maxReadRatio.toFixed(1)}× the file, allocations ≤ ${r.stats.maxAlloc} B (file ${r.stats.maxAllocFileSize} B)` : '';
      console.log(`  ${r.target}/${r.property}: ${r.status} ${r.runs} runs in ${(r.ms / 1000).toFixed(1)} s${r.status === 'skipped' ? ` (${r.message})` : extra}`);
      if (r.status === 'failed') {
        failed++;
        console.log(r.message.split('\n').map((l) => `    ${l}`).join('\n'));
      }
    },
  });
  if (report.failure) {
    failed++;
    console.log(`  ${target}: ${report.failure.kind}: ${report.failure.message}`);
  }
}
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${failed === 0 ? 'no failures' : `${failed} failure(s)`} (seed ${seed})`);
process.exit(failed === 0 ? 0 : 1);
