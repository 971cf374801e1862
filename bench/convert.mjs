#!/usr/bin/env node
// Bulk conversion benchmark (issue 2 item 8): float32 -> fp16, fp16 -> float32, float32 -> bf16 and
// bf16 -> float32 with lowp's encodeArray/decodeArray against, in one run:
//   - @petamoriken/float16 (`new Float16Array(float32)` and `new Float32Array(float16)`; the polyfill)
//   - @stdlib's scalar converters in a loop (number-float64-base-to-float16 / float16-base-to-float64:
//     they return rounded *values*, not codes, so their output is a Float32Array of fp16 values)
//   - a straightforward round-to-nearest-even bit-twiddling loop, and a table-driven fp16 decode
//   - a plain copy (Float32Array.prototype.set: the memory-bandwidth ceiling)
//   - the native Float16Array on Node 26, the active LTS (`npx -y -p node@26`, bench/convert-native.mjs,
//     or --native-node), which measures native and lowp in the same process, in interleaved rounds, so
//     that issue 5's four ratios (f32→fp16 and fp16→f32 ÷ native, f32→bf16 and bf16→f32 ÷ a plain copy)
//     are taken within one runtime and one round; their median and range over the rounds are printed.
// Every rate is the median of --reps timed runs (after one warm-up) in millions of values per second;
// ratios are lowp's rate divided by the peer's. Outputs are checked against lowp's (mismatch counts).
// Slow peers (@petamoriken, @stdlib) run on the first --slow-n values (the rate barely depends on size).
// Data (--data): normal (Gaussian), range (wide-range magnitudes 2^-20…2^20: fp16 subnormals and
// overflows), wide (random float32 bit patterns: every exponent, NaN); both = normal and range; all.
//
// Usage (after `npm run build`):  node bench/convert.mjs [--n 16777216] [--reps 5]
//                                  [--data normal|range|wide|both|all] [--slow-n 2097152] [--no-native]
//                                  [--native-node node@26] [--quick] [--json out.json] [--lib path] [--candidates]
//   --lib: the lowp ESM build to measure (default ../dist/index.js; LOWP_BENCH_LIB works too).
//   --candidates: also measure the faster formulations proposed in bench/convert-candidates.mjs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  fmt, fp16Table, isNanBf16, isNanF32Bits, isNanFp16, makeData, measure, mismatches, option, straightBf16ToF32,
  straightF16ToF32, straightF32ToBf16, straightF32ToF16, tableF16ToF32,
} from './convert-common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const n = Number(option(args, '--n', quick ? 2 ** 21 : 16 * 2 ** 20));
const reps = Number(option(args, '--reps', quick ? 3 : 5));
const slowN = Math.min(n, Number(option(args, '--slow-n', quick ? 2 ** 18 : 2 ** 21)));
const dataArg = option(args, '--data', 'normal');
const kinds = { both: ['normal', 'range'], all: ['normal', 'range', 'wide'] }[dataArg] ?? [dataArg];
const nativeNode = option(args, '--native-node', 'node@26');
const jsonOut = option(args, '--json', null);
const libArg = option(args, '--lib', process.env.LOWP_BENCH_LIB ?? resolve(here, '..', 'dist', 'index.js'));
const libPath = isAbsolute(libArg) ? libArg : resolve(process.cwd(), libArg);
const libUrl = pathToFileURL(libPath).href;

const lowp = await import(libUrl);
const withCandidates = args.includes('--candidates');
const cand = withCandidates ? await import('./convert-candidates.mjs') : null;
const { encodeArray, decodeArray } = lowp;
const { Float16Array: PolyFloat16Array } = await import('@petamoriken/float16');
const { default: stdlibToFloat16 } = await import('@stdlib/number-float64-base-to-float16');
const { default: stdlibFromFloat16 } = await import('@stdlib/number-float16-base-to-float64');

const report = { node: process.version, n, reps, slowN, lib: libPath, runs: [] };
const summary = [];
console.log(`# lowp bulk conversions — Node ${process.version}, ${n.toLocaleString('en-US')} values, median of ${reps} runs (M values/s)\n`);

for (const kind of kinds) {
  const src = makeData(n, kind);
  const src32 = new Uint32Array(src.buffer);
  const slow = src.subarray(0, slowN);
  const rows = [];
  const add = (direction, method, r, extra = {}) => rows.push({ direction, method, mps: r.mps, rates: r.rates, ...extra });

  // ---- f32 -> fp16
  const codes = new Uint16Array(n);
  add('f32->fp16', 'lowp encodeArray', measure(() => encodeArray(src, 'fp16', { out: codes }), n, reps));
  let poly;
  add('f32->fp16', '@petamoriken/float16 new Float16Array(f32)', measure(() => { poly = new PolyFloat16Array(slow); }, slowN, reps));
  {
    let bad = 0;
    const lowpVals = decodeArray(codes.subarray(0, slowN), 'fp16');
    for (let i = 0; i < slowN; i += 7) if (!Object.is(poly[i], lowpVals[i]) && !(Number.isNaN(poly[i]) && Number.isNaN(lowpVals[i]))) bad++;
    rows.at(-1).mismatches = bad;
    rows.at(-1).checked = Math.ceil(slowN / 7);
  }
  const stdVals = new Float32Array(slowN);
  add('f32->fp16', '@stdlib to-float16 loop (values)', measure(() => { for (let i = 0; i < slowN; i++) stdVals[i] = stdlibToFloat16(slow[i]); }, slowN, reps));
  rows.at(-1).mismatches = mismatches(new Uint32Array(stdVals.buffer), new Uint32Array(decodeArray(codes.subarray(0, slowN), 'fp16').buffer), isNanF32Bits);
  const straight = new Uint16Array(n);
  add('f32->fp16', 'straightforward RNE loop', measure(() => straightF32ToF16(src32, straight), n, reps));
  rows.at(-1).mismatches = mismatches(straight, codes, isNanFp16);
  if (cand) {
    const failures = cand.checkCandidates(lowp, src.subarray(0, Math.min(n, 2 ** 20)));
    if (failures.length) console.log(`candidate check FAILED: ${failures.join('; ')}\n`);
    const c16 = new Uint16Array(n);
    add('f32->fp16', 'candidate: pairs (2 codes per 32-bit store)', measure(() => cand.pairsF32ToFp16(src, c16), n, reps));
    rows.at(-1).mismatches = mismatches(c16, codes, isNanFp16);
  }

  // ---- fp16 -> f32
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  add('fp16->f32', 'lowp decodeArray', measure(() => decodeArray(codes, 'fp16', { out }), n, reps));
  const polySrc = new PolyFloat16Array(slow);
  let polyBack;
  add('fp16->f32', '@petamoriken/float16 new Float32Array(f16)', measure(() => { polyBack = new Float32Array(polySrc); }, slowN, reps));
  rows.at(-1).mismatches = mismatches(new Uint32Array(polyBack.buffer), outBits.subarray(0, slowN), isNanF32Bits);
  const fp16Vals = decodeArray(codes.subarray(0, slowN), 'fp16');
  const stdBack = new Float32Array(slowN);
  add('fp16->f32', '@stdlib float16-to-float64 loop (values)', measure(() => { for (let i = 0; i < slowN; i++) stdBack[i] = stdlibFromFloat16(fp16Vals[i]); }, slowN, reps));
  rows.at(-1).mismatches = mismatches(new Uint32Array(stdBack.buffer), outBits.subarray(0, slowN), isNanF32Bits);
  const straightBack = new Uint32Array(n);
  add('fp16->f32', 'straightforward loop', measure(() => straightF16ToF32(codes, straightBack), n, reps));
  rows.at(-1).mismatches = mismatches(straightBack, outBits, isNanF32Bits);
  const table = fp16Table();
  const tableBack = new Uint32Array(n);
  add('fp16->f32', 'table-driven loop (65,536 entries)', measure(() => tableF16ToF32(table, codes, tableBack), n, reps));
  rows.at(-1).mismatches = mismatches(tableBack, outBits, isNanF32Bits);
  if (cand) {
    const c32 = new Float32Array(n);
    add('fp16->f32', 'candidate: table + pairs', measure(() => cand.tablePairsFp16ToF32(codes, c32), n, reps));
    rows.at(-1).mismatches = mismatches(new Uint32Array(c32.buffer), outBits, isNanF32Bits);
  }

  // ---- f32 -> bf16 and back
  const bf = new Uint16Array(n);
  add('f32->bf16', 'lowp encodeArray', measure(() => encodeArray(src, 'bf16', { out: bf }), n, reps));
  const bfStraight = new Uint16Array(n);
  add('f32->bf16', 'straightforward RNE loop', measure(() => straightF32ToBf16(src32, bfStraight), n, reps));
  rows.at(-1).mismatches = mismatches(bfStraight, bf, isNanBf16);
  if (cand) {
    const c16 = new Uint16Array(n);
    add('f32->bf16', 'candidate: pairs (2 codes per 32-bit store)', measure(() => cand.pairsF32ToBf16(src, c16), n, reps));
    rows.at(-1).mismatches = mismatches(c16, bf, isNanBf16);
  }
  const bfBack = new Float32Array(n);
  add('bf16->f32', 'lowp decodeArray', measure(() => decodeArray(bf, 'bf16', { out: bfBack }), n, reps));
  const bfBackStraight = new Uint32Array(n);
  add('bf16->f32', 'straightforward loop', measure(() => straightBf16ToF32(bf, bfBackStraight), n, reps));
  rows.at(-1).mismatches = mismatches(bfBackStraight, new Uint32Array(bfBack.buffer), isNanF32Bits);
  if (cand) {
    const c32 = new Float32Array(n);
    add('bf16->f32', 'candidate: pairs (2 codes per 32-bit load)', measure(() => cand.pairsBf16ToF32(bf, c32), n, reps));
    rows.at(-1).mismatches = mismatches(new Uint32Array(c32.buffer), new Uint32Array(bfBack.buffer), isNanF32Bits);
  }

  // ---- ceiling
  const copy = new Float32Array(n);
  add('copy', 'Float32Array.prototype.set (plain copy)', measure(() => copy.set(src), n, reps));

  // ---- native Float16Array on Node 26, measured together with lowp in that process
  let native = null;
  if (!args.includes('--no-native')) {
    const child = spawnSync(
      'npx',
      ['-y', '-p', nativeNode, 'node', resolve(here, 'convert-native.mjs'), '--lib', libUrl, '--n', String(n), '--reps', String(reps), '--data', kind, ...(withCandidates ? ['--candidates'] : [])],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: { ...process.env, npm_config_yes: 'true', npm_config_update_notifier: 'false' } },
    );
    if (child.status === 0) {
      try {
        native = JSON.parse(child.stdout.trim().split('\n').at(-1));
      } catch {
        native = { error: `unreadable output: ${child.stdout.slice(-300)}` };
      }
    } else native = { error: `npx -p ${nativeNode} failed (exit ${child.status}): ${(child.stderr || '').trim().slice(-300)}` };
  }

  report.runs.push({ data: kind, rows, native });
  printRun(kind, rows, native);
}

// ---- element access on this runtime: lowp's get/set against typed-array indexing and the Proxy polyfill
if (typeof lowp.Fp16Array === 'function' && typeof lowp.BFloat16Array === 'function') {
  const m = Math.min(n, 2 ** 20);
  const src = makeData(m, 'normal');
  const f = new Float32Array(src), b = new lowp.BFloat16Array(src), h = new lowp.Fp16Array(src), p = new PolyFloat16Array(src);
  let sink = 0;
  const cases = [
    ['Float32Array f[i] read', () => { let acc = 0; for (let i = 0; i < m; i++) acc += f[i]; sink += acc; }],
    ['Float32Array f[i] = x', () => { for (let i = 0; i < m; i++) f[i] = src[i]; }],
    ['lowp BFloat16Array get(i)', () => { let acc = 0; for (let i = 0; i < m; i++) acc += b.get(i); sink += acc; }],
    ['lowp BFloat16Array set(i, x)', () => { for (let i = 0; i < m; i++) b.set(i, src[i]); }],
    ['lowp Fp16Array get(i)', () => { let acc = 0; for (let i = 0; i < m; i++) acc += h.get(i); sink += acc; }],
    ['lowp Fp16Array set(i, x)', () => { for (let i = 0; i < m; i++) h.set(i, src[i]); }],
    ['@petamoriken/float16 p[i] read (Proxy)', () => { let acc = 0; for (let i = 0; i < m; i++) acc += p[i]; sink += acc; }],
    ['@petamoriken/float16 p[i] = x (Proxy)', () => { for (let i = 0; i < m; i++) p[i] = src[i]; }],
  ];
  report.access = cases.map(([method, fn]) => ({ method, ...measure(fn, m, reps) }));
  globalThis.__sink = sink;
  console.log(`## element access (${m.toLocaleString('en-US')} values, Node ${process.version}; native Float16Array figures are in the ${nativeNode} section)\n`);
  console.log('| method | M elements/s |');
  console.log('| --- | ---: |');
  for (const a of report.access) console.log(`| ${a.method} | ${fmt(a.mps)} |`);
  console.log('');
}

if (summary.length) {
  console.log(`## issue 5's targets on ${summary[0].node} (lowp ÷ peer: median of the per-round ratios [min–max], then the ratio of the best rounds; n = ${n.toLocaleString('en-US')}, ${reps} rounds)\n`);
  console.log('| data | f32→fp16 ÷ native (≥ 2) | fp16→f32 ÷ native (≥ 2) | f32→bf16 ÷ copy (≥ 0.5) | bf16→f32 ÷ copy (≥ 0.5) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const { data, ratios } of summary) {
    const cell = (name, want) => { const r = ratios[name]; return `${r.median.toFixed(2)} [${r.min.toFixed(2)}–${r.max.toFixed(2)}]${r.median >= want ? '' : ' NOT met'}; best ${r.best.toFixed(2)}`; };
    console.log(`| ${data} | ${cell('f32->fp16 / native', 2)} | ${cell('fp16->f32 / native', 2)} | ${cell('f32->bf16 / copy', 0.5)} | ${cell('bf16->f32 / copy', 0.5)} |`);
  }
  console.log('');
  report.summary = summary;
}

if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  console.log(`\nwrote ${jsonOut}`);
}

function printRun(kind, rows, native) {
  const desc = { normal: 'Gaussian values (σ = 1)', range: 'wide-range magnitudes 2^-20…2^20 (fp16 subnormals and overflows)', wide: 'random float32 bit patterns (every exponent, NaN)' }[kind];
  console.log(`## data: ${kind} — ${desc}\n`);
  const copyRate = rows.find((r) => r.direction === 'copy').mps;
  for (const dir of ['f32->fp16', 'fp16->f32', 'f32->bf16', 'bf16->f32']) {
    const lowpRow = rows.find((r) => r.direction === dir && r.method.startsWith('lowp'));
    console.log(`### ${dir}\n`);
    console.log('| method | M values/s | lowp ÷ this | output vs lowp |');
    console.log('| --- | ---: | ---: | --- |');
    for (const r of rows.filter((x) => x.direction === dir)) {
      const ratio = r === lowpRow ? '1.00' : (lowpRow.mps / r.mps).toFixed(2);
      const size = r.method.startsWith('@') ? ` (first ${slowN.toLocaleString('en-US')})` : '';
      const check = r.mismatches === undefined ? '' : r.mismatches === 0 ? 'identical' : `${r.mismatches.toLocaleString('en-US')} differ${r.checked ? ` of ${r.checked.toLocaleString('en-US')} sampled` : ''}`;
      console.log(`| ${r.method}${size} | ${fmt(r.mps)} | ${ratio} | ${check} |`);
    }
    console.log(`| Float32Array.prototype.set (plain copy) | ${fmt(copyRate)} | ${(lowpRow.mps / copyRate).toFixed(2)} | |\n`);
  }

  const get = (dir, prefix, list = rows) => list.find((r) => r.direction === dir && r.method.startsWith(prefix))?.mps;
  const targets = [
    ['f32->fp16 >= 10x @petamoriken/float16', get('f32->fp16', 'lowp') / get('f32->fp16', '@petamoriken'), 10],
    ['f32->bf16 >= straightforward loop', get('f32->bf16', 'lowp') / get('f32->bf16', 'straight'), 1],
    ['bf16->f32 >= straightforward loop', get('bf16->f32', 'lowp') / get('bf16->f32', 'straight'), 1],
    [`f32->bf16 >= 0.5x plain copy (issue 5, Node ${process.version})`, get('f32->bf16', 'lowp') / copyRate, 0.5],
    [`bf16->f32 >= 0.5x plain copy (issue 5, Node ${process.version})`, get('bf16->f32', 'lowp') / copyRate, 0.5],
  ];
  if (native && !native.error) {
    console.log(`### native Float16Array, Node ${native.node} (same process as lowp there)\n`);
    if (native.candidateFailures?.length) console.log(`candidate check FAILED on Node ${native.node}: ${native.candidateFailures.join('; ')}\n`);
    console.log('| direction | method | M values/s | lowp ÷ this |');
    console.log('| --- | --- | ---: | ---: |');
    for (const r of native.rows) {
      const lowpRate = get(r.direction, 'lowp', native.rows);
      const diff = r.mismatchesVsNative === undefined ? '' : r.mismatchesVsNative === 0 ? ' (bits identical to native)' : ` (${r.mismatchesVsNative} differ from native)`;
      console.log(`| ${r.direction} | ${r.method}${diff} | ${fmt(r.mps)} | ${lowpRate && r.direction !== 'copy' ? (lowpRate / r.mps).toFixed(2) : ''} |`);
    }
    if (native.access?.length) {
      console.log(`\nElement access (${Math.min(2 ** 20, n).toLocaleString('en-US')} values, Node ${native.node}):\n`);
      console.log('| method | M elements/s |');
      console.log('| --- | ---: |');
      for (const a of native.access) console.log(`| ${a.method} | ${fmt(a.mps)} |`);
    }
    console.log('');
    // issue 5's four targets on the native runtime: ratios taken within each round (median, range)
    for (const [name, want] of [['f32->fp16 / native', 2], ['fp16->f32 / native', 2], ['f32->bf16 / copy', 0.5], ['bf16->f32 / copy', 0.5]]) {
      const r = native.ratios[name];
      targets.push([`${name.replace('native', 'native Float16Array set').replace('copy', 'plain copy')} >= ${want}x (issue 5, Node ${native.node}; median of ${r.rounds} rounds, range ${r.min.toFixed(2)}–${r.max.toFixed(2)})`, r.median, want]);
    }
    summary.push({ data: kind, node: native.node, ratios: native.ratios });
  } else if (native?.error) {
    console.log(`native Float16Array: not measured (${native.error})\n`);
  }
  console.log('### targets (issues 2 and 5), as ratios in this run\n');
  for (const [name, ratio, want] of targets) console.log(`- ${name}: ${ratio.toFixed(2)}× — ${ratio >= want ? 'met' : 'NOT met'}`);
  console.log('');
}
