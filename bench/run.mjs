#!/usr/bin/env node
// Runs lowp's benchmarks one after another (`npm run bench` builds first, then runs this).
//
// Which files are benchmarks — the convention:
//   - every `bench/*.mjs` is a benchmark, except this runner and helpers;
//   - a *helper* is a file that another bench file names (imports it, `import('./x.mjs')`, or spawns it,
//     `resolve(here, 'x.mjs')`): convert-common.mjs, convert-native.mjs and convert-candidates.mjs are
//     helpers of convert.mjs, matmul-onnx.mjs of matmul.mjs. Files whose name starts with `_` and files
//     that say `@bench-helper` in their first lines are helpers too (for a helper nobody names yet).
//   - a file that says `@bench-manual` in its first lines (a long exhaustive check, say) is a benchmark
//     run only when named: `node bench/run.mjs convert-wasm-exhaustive`.
//   So adding a benchmark needs no registration, and a helper is never run on its own.
// The runner prints what it runs and what it skips as a helper, so nothing is left out silently.
//
// Usage: node bench/run.mjs [name ...] [--list] [options passed to every benchmark, e.g. --quick]
//   name: run only these benchmarks (e.g. `convert matmul`); default: all.
//   Every other argument (options and their values, e.g. `--n 1000000`) goes to each benchmark.
//   --list: print the benchmarks and helpers, run nothing.
// Exit status: non-zero when any benchmark failed (all are still run).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));

/**
 * Splits bench/*.mjs into benchmarks and helpers, by the convention above. `read(file)` returns a
 * file's text.
 */
export function classify(files, read) {
  const mjs = files.filter((f) => f.endsWith('.mjs') && f !== self).sort();
  const text = new Map(mjs.map((f) => [f, read(f)]));
  const benches = [];
  const helpers = [];
  const manual = [];
  for (const f of mjs) {
    const head = text.get(f).split('\n', 12).join('\n');
    if (/@bench-manual\b/.test(head)) manual.push(f);
    if (f.startsWith('_') || /@bench-helper\b/.test(head)) {
      helpers.push({ file: f, of: null });
      continue;
    }
    const quoted = new RegExp(`['"\`/]${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
    const users = mjs.filter((g) => g !== f && quoted.test(text.get(g)));
    if (users.length) helpers.push({ file: f, of: users.join(', ') });
    else benches.push(f);
  }
  return { benches, helpers, manual };
}

const argv = process.argv.slice(2);
const { benches, helpers, manual } = classify(readdirSync(here), (f) => readFileSync(join(here, f), 'utf8'));
const known = new Set(benches.map((f) => f.slice(0, -4)));
// a bare word that names a benchmark selects it; everything else (options and their values) is passed on
const selected = [];
const passThrough = [];
for (const a of argv) {
  const name = a.replace(/\.mjs$/, '');
  if (!a.startsWith('-') && known.has(name)) selected.push(name);
  else if (a !== '--list') passThrough.push(a);
}
const unknownBare = passThrough.filter((a, i) => !a.startsWith('-') && (i === 0 || !passThrough[i - 1].startsWith('-')));
if (unknownBare.length) {
  console.error(`bench/run.mjs: no benchmark named ${unknownBare.join(', ')}; benchmarks: ${[...known].join(', ')}`);
  process.exit(2);
}
const toRun = selected.length ? benches.filter((f) => selected.includes(f.slice(0, -4))) : benches.filter((f) => !manual.includes(f));

console.log(`benchmarks: ${toRun.join(', ') || '(none)'}`);
const manualLeft = manual.filter((f) => !toRun.includes(f));
if (manualLeft.length) console.log(`run only when named (@bench-manual): ${manualLeft.join(', ')}`);
if (helpers.length) console.log(`helpers (not run on their own): ${helpers.map((h) => (h.of ? `${h.file} (of ${h.of})` : h.file)).join(', ')}`);
if (argv.includes('--list')) process.exit(0);

const failed = [];
for (const f of toRun) {
  console.log(`\n==================== bench/${f} ${passThrough.join(' ')}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, f), ...passThrough], { stdio: 'inherit' });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(f);
    console.log(`\nbench/${f} FAILED (exit ${r.status ?? r.signal}) after ${secs} s`);
  } else console.log(`\nbench/${f}: done in ${secs} s`);
}
if (failed.length) {
  console.log(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
