// Benchmark of `lowp check` (the built CLI, dist/cli/main.js) against a plain sequential read of the same
// file. Writes a float32 safetensors file in os.tmpdir() (default 1 GiB of pseudo-random values with
// magnitudes spread over 2^-30 … 2^4, so every path of the analysis runs: normal, subnormal and flushed
// results in fp16, rounding everywhere; 8 tensors of equal size, like layers of a checkpoint), warms the
// page cache, then measures in one run:
//   - plain read: fs.readSync into one reused 4 MiB buffer, in this process (the baseline); the same
//     read plus a float sum of every value (a floor for any analysis: with a warm page cache the read is
//     a memory copy, and merely adding up the values takes several times as long);
//   - `lowp check <file> --to bf16 --json` and `--to fp16`, each a child process (wall time, Node start
//     included; the start-up of `lowp --version` is reported apart), with the default `--threads auto`
//     (one worker per core, up to 8) and with `--threads 1`.
//   - where the time goes, in this process: lowp/io's chunks() alone (dist/io), and chunks() feeding
//     lowp/diagnostics' createCastAnalyzer (dist/diagnostics), when those builds export them.
//   - the same values as an ONNX model (the 8 tensors as initializers in raw_data, and the same model
//     with its weights in one external data file): the plain read of that file and `lowp check`, so
//     ONNX's ratio to its own plain read sits beside safetensors' (with --format onnx or all).
// Prints MB/s (10^6 bytes per second) and the ratio of each to the plain read (target: within 2×).
// Then the same for a GGUF file of the same size written with lowp/io's writeGgufFile (half the tensors
// Q8_0, half Q4_K, random but valid blocks: fp16 scales between 2^-10 and 2^-1): plain read, `lowp
// check` (the ggml blocks dequantized as ggml does, then analysed), lowp/io chunks() alone (read and
// dequantize) and lowp/quant's dequantizeGgml on bytes in memory (M values/s), warm and evicted from
// the page cache, with the ratio of each repetition (a plain read and a check, alternately).
// Then the same values as a PyTorch pytorch_model.bin (a torch.save zip archive written by the test
// writer through bench/_torch-bin.ts, needs tsx): `lowp check` against a plain read of it, cold cache,
// each repetition paired with the safetensors file (evict, plain read; evict, lowp check), every ratio printed.
// The GGUF part also measures the cast analysis alone, one thread, on blocks in memory: the blocks
// themselves (CastAnalyzer.addGgml, the fused kernels) and their dequantized values (add), in M values/s;
// with --baseline <another build's dist/cli/main.js>, each cold repetition also runs that build's lowp
// check (paired: the same file, the same load), with its ratio.
// Usage: npm run build && node bench/cli.mjs [--mib 1024] [--reps 3] [--format safetensors,gguf,torch,onnx|all] [--baseline BIN] [--json]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxLayout } from './_onnx-model.mjs';
import { safetensorsHeader } from './_safetensors-header.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// LOWP_BIN: another build of the CLI (for a trial run without touching dist/)
const bin = process.env.LOWP_BIN ?? join(root, 'dist', 'cli', 'main.js');
const args = process.argv.slice(2);
const mib = Number(args.includes('--mib') ? args[args.indexOf('--mib') + 1] : 1024);
const asJson = args.includes('--json');
const reps = Number(args.includes('--reps') ? args[args.indexOf('--reps') + 1] : 3);
const FORMATS = ['safetensors', 'gguf', 'torch', 'onnx'];
const formatArg = args.includes('--format') ? args[args.indexOf('--format') + 1] : 'all';
const baselineBin = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1] : null;
if (baselineBin !== null && !existsSync(baselineBin)) {
  console.error(`bench/cli.mjs: --baseline ${baselineBin} not found`);
  process.exit(1);
}
const formats = formatArg === 'all' ? FORMATS : formatArg.split(',');
const withOnnx = formats.includes('onnx');
if (formats.some((f) => !FORMATS.includes(f))) {
  console.error(`bench/cli.mjs: --format expects a comma-separated list of ${FORMATS.join(', ')}, or all`);
  process.exit(1);
}
if (!existsSync(bin)) {
  console.error(`bench/cli.mjs: ${bin} not found; run \`npm run build\` first`);
  process.exit(1);
}
if (!(mib > 0)) {
  console.error('bench/cli.mjs: --mib expects a positive number');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'lowp-bench-cli-'));
const path = join(dir, 'random.safetensors');
const TENSORS = 8;
const total = Math.round(mib * 2 ** 20 / (4096 * TENSORS)) * 4096 * TENSORS;

/** Writes the file: header (TENSORS tensors of equal size, like a checkpoint's layers), then 4 MiB blocks of pseudo-random float32 values (xorshift32). */
function writeFile() {
  const per = total / TENSORS;
  const entries = Array.from({ length: TENSORS }, (_, i) => `"layers.${i}.weight":{"dtype":"F32","shape":[${per / 4 / 1024},1024],"data_offsets":[${i * per},${(i + 1) * per}]}`);
  const json = `{"__metadata__":{"what":"lowp bench/cli.mjs random float32"},${entries.join(',')}}`;
  const head = safetensorsHeader(json);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  const block = new Float32Array(2 ** 20);
  let s = 2463534242;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let done = 0; done < total; ) {
    for (let i = 0; i < block.length; i++) block[i] = (next() - 0.5) * 2 ** (4 - Math.floor(next() * 34));
    const n = Math.min(block.byteLength, total - done);
    writeSync(fd, new Uint8Array(block.buffer, 0, n));
    done += n;
  }
  closeSync(fd);
  return head.length;
}

/**
 * Reads the file sequentially into one reused 4 MiB buffer. With `sumValues`, also adds up every
 * value as float32: the least any analysis of the values must do (one thread, no process start-up).
 */
function plainRead(sumValues = false, file = path) {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(4 * 2 ** 20);
  let pos = 0;
  let sum = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    if (sumValues) {
      const f = new Float32Array(buf.buffer, 0, n >>> 2);
      for (let i = 0; i < f.length; i++) sum += f[i];
    } else sum += buf[0];
    pos += n;
  }
  closeSync(fd);
  return sum;
}

/**
 * Writes the safetensors file's tensors as an ONNX model at `to`: initializers in raw_data, or with
 * `external`, in that data file (next to the model) at the same offsets as in the safetensors data.
 */
function writeOnnx(to, headerBytes, external) {
  const per = total / TENSORS;
  const tensors = Array.from({ length: TENSORS }, (_, i) => ({ name: `layers.${i}.weight`, shape: [per / 4 / 1024, 1024], bytes: per, offset: i * per }));
  const src = openSync(path, 'r');
  const copy = (fd, from, n) => {
    const buf = new Uint8Array(4 * 2 ** 20);
    for (let done = 0; done < n; ) {
      const k = readSync(src, buf, 0, Math.min(buf.length, n - done), from + done);
      writeSync(fd, buf, 0, k);
      done += k;
    }
  };
  const fd = openSync(to, 'w');
  for (const part of onnxLayout(tensors, external)) {
    if (part instanceof Uint8Array) writeSync(fd, part);
    else copy(fd, headerBytes + tensors[part.data].offset, per);
  }
  closeSync(fd);
  if (external) {
    const dfd = openSync(join(dirname(to), external), 'w');
    copy(dfd, headerBytes, total);
    closeSync(dfd);
  }
}

function runBin(argv, which = bin) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [which, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`lowp ${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/**
 * Drops the file's pages from the page cache (Linux: dd with oflag=nocache, which asks the kernel to
 * forget them), so the next read comes from the disk, as a checkpoint that was not just written does.
 * Returns false where that is not possible (no dd, not Linux).
 */
function evict(file = path) {
  const r = spawnSync('dd', [`of=${file}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']);
  return r.status === 0;
}

/**
 * The best time of `reps` runs of `fn` (its own `ms` when it returns one, as runBin does), and its last
 * result. With `cold`, the file is evicted from the page cache before every repetition.
 */
function best(fn, { cold = false, file = path } = {}) {
  let ms = Infinity;
  let out;
  for (let i = 0; i < reps; i++) {
    if (cold) evict(file);
    const t0 = performance.now();
    out = fn();
    const dt = out && typeof out === 'object' && 'ms' in out ? out.ms : performance.now() - t0;
    if (dt < ms) ms = dt;
  }
  return { ms, out };
}

/** One line per result: MB/s, seconds, ratio to the plain read, verdict. */
function printRows(rows) {
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(52)} ${r.mbPerS.toFixed(0).padStart(6)} MB/s  ${(r.ms / 1000).toFixed(2).padStart(6)} s  ${r.ratioToPlain.toFixed(2).padStart(5)}× the plain read${r.verdict ? `  (${r.verdict})` : ''}`);
  }
}

/** The pytorch_model.bin rows: each paired cold run, then the spread of the ratios. */
function printTorch(t) {
  if (t === null) {
    console.log('\n(pytorch_model.bin rows skipped: the file could not be written or evicted from the page cache)');
    return;
  }
  console.log(`\nthe same values as a ${(t.bytes / 2 ** 20).toFixed(0)} MiB pytorch_model.bin (torch.save zip, written by the test writer), read from the disk, ${t.runs.length} paired runs`);
  for (const [i, r] of t.runs.entries()) {
    const stText = r.safetensors ? `; the safetensors file in the same run: ${r.safetensors.ratio.toFixed(2)}×` : '';
    console.log(`  run ${i + 1}: plain read ${(r.plainMs / 1000).toFixed(2)} s (${(t.bytes / 1e6 / (r.plainMs / 1000)).toFixed(0)} MB/s), lowp check --to bf16 ${(r.lowpMs / 1000).toFixed(2)} s (${(t.bytes / 1e6 / (r.lowpMs / 1000)).toFixed(0)} MB/s): ${r.ratio.toFixed(2)}×${stText}`);
  }
  console.log(`  ratio lowp check / plain read: median ${t.median.toFixed(2)}×, min ${t.min.toFixed(2)}×, max ${t.max.toFixed(2)}× (target: within 2×)`);
}

/**
 * The pytorch_model.bin case: the same values written as a torch.save archive, then `reps` paired cold
 * runs (evict, plain read; evict, lowp check --to bf16) with each run's ratio. Null when the file cannot
 * be written (tsx missing) or the page cache cannot be dropped.
 */
function torchCase() {
  const bin = join(dir, 'pytorch_model.bin');
  const w = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', '_torch-bin.ts'), bin, String(total), String(TENSORS)], { cwd: root, encoding: 'utf8' });
  if (w.status !== 0) {
    console.error(`bench/cli.mjs: could not write pytorch_model.bin (${(w.stderr || '').trim().split('\n').pop()})`);
    return null;
  }
  if (!evict(bin)) return null;
  const size = statSync(bin).size;
  // with the safetensors file of the first part still there, its cold runs are paired with these
  // (the same values, the same load on the machine): the fair comparison on a shared machine
  const st = existsSync(path) ? path : null;
  const cold = (file) => {
    evict(file);
    const t0 = performance.now();
    plainRead(false, file);
    const plainMs = performance.now() - t0;
    evict(file);
    const r = runBin(['check', file, '--to', 'bf16', '--json']);
    const report = JSON.parse(r.stdout);
    if (report.summary.counts.total !== total / 4) throw new Error(`lowp check counted ${report.summary.counts.total} values in ${file}, expected ${total / 4}`);
    return { plainMs, lowpMs: r.ms, ratio: r.ms / plainMs };
  };
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push({ ...cold(bin), safetensors: st ? cold(st) : undefined });
  const ratios = runs.map((x) => x.ratio).sort((a, b) => a - b);
  return { bytes: size, runs, median: ratios[Math.floor(ratios.length / 2)], min: ratios[0], max: ratios[ratios.length - 1] };
}


const lib = async (p) => { try { return await import(p); } catch { return null; } };
const bestAsync = async (fn) => { let ms = Infinity; for (let i = 0; i < reps; i++) { const t0 = performance.now(); await fn(); ms = Math.min(ms, performance.now() - t0); } return ms; };

/** The float32 safetensors file: rows warm, rows cold, start-up. */
async function benchSafetensors() {
  const headerBytes = writeFile();
  plainRead(); // warm the page cache
  const fileBytes = total + headerBytes;
  const results = [];
  const plain = best(() => plainRead());
  results.push({ label: 'plain sequential read (fs.readSync, 4 MiB buffer)', ms: plain.ms });
  results.push({ label: 'plain read + a float sum of the values (floor)', ms: best(() => plainRead(true)).ms });
  const startup = best(() => runBin(['--version']));
  for (const [to, threads] of [['bf16', 'auto'], ['fp16', 'auto'], ['bf16', '1'], ['fp16', '1']]) {
    const r = best(() => runBin(['check', path, '--to', to, '--json', '--threads', threads]));
    const report = JSON.parse(r.out.stdout);
    if (report.summary.counts.total !== total / 4) throw new Error(`lowp check counted ${report.summary.counts.total} values, expected ${total / 4}`);
    results.push({ label: `lowp check --to ${to} --threads ${threads} (${report.check.options.threads} used)`, ms: r.ms, verdict: report.check.verdict });
  }
  // breakdown, in-process (skipped when the library builds are absent)
  const io = await lib(process.env.LOWP_IO ?? join(root, 'dist', 'io', 'index.js'));
  const diag = await lib(process.env.LOWP_DIAG ?? join(root, 'dist', 'diagnostics', 'index.js'));
  if (io?.openSafetensors) {
    const st = await io.openSafetensors(path);
    const names = st.tensors.map((t) => t.name);
    results.push({ label: 'in-process: lowp/io chunks() only', ms: await bestAsync(async () => { for (const n of names) for await (const c of st.chunks(n, { as: 'float32', reuse: true })) void c; }) });
    if (diag?.createCastAnalyzer) {
      for (const to of ['bf16', 'fp16']) {
        results.push({
          label: `in-process: chunks() + createCastAnalyzer(${to})`,
          ms: await bestAsync(async () => { for (const n of names) { const a = diag.createCastAnalyzer(to, { topK: 5 }); for await (const c of st.chunks(n, { as: 'float32', reuse: true })) a.add(c.data); a.finish(); } }),
        });
      }
    }
    await st.close();
  }
  const base = results[0].ms;
  const rows = results.map((r) => ({ ...r, mbPerS: fileBytes / 1e6 / (r.ms / 1000), ratioToPlain: r.ms / base }));
  // the same tensors as ONNX models: each against the plain read of the file that holds the values
  const onnxRows = [];
  const embedded = join(dir, 'model.onnx');
  if (withOnnx) {
    const external = join(dir, 'external', 'model.onnx');
    spawnSync('mkdir', ['-p', join(dir, 'external')]);
    writeOnnx(embedded, headerBytes, undefined);
    writeOnnx(external, headerBytes, 'model.onnx.data');
    for (const [label, model, data] of [['raw_data', embedded, embedded], ['external data', external, join(dir, 'external', 'model.onnx.data')]]) {
      plainRead(false, data);
      const plainOnnx = best(() => plainRead(false, data));
      onnxRows.push({ label: `ONNX ${label}: plain sequential read of ${label === 'raw_data' ? 'model.onnx' : 'model.onnx.data'}`, ms: plainOnnx.ms, base: plainOnnx.ms });
      for (const [to, threads] of [['fp16', 'auto'], ['fp16', '1']]) {
        const r = best(() => runBin(['check', model, '--to', to, '--json', '--threads', threads]));
        const report = JSON.parse(r.out.stdout);
        if (report.summary.counts.total !== total / 4) throw new Error(`lowp check (ONNX ${label}) counted ${report.summary.counts.total} values, expected ${total / 4}`);
        onnxRows.push({ label: `ONNX ${label}: lowp check --to ${to} --threads ${threads}`, ms: r.ms, base: plainOnnx.ms, verdict: report.check.verdict });
      }
    }
  }
  const onnxOut = onnxRows.map((r) => ({ label: r.label, ms: r.ms, verdict: r.verdict, mbPerS: total / 1e6 / (r.ms / 1000), ratioToPlain: r.ms / r.base }));
  // cold page cache: the file is read from the disk each time (a checkpoint that is not in memory)
  const cold = [];
  if (evict()) {
    const plainCold = best(() => plainRead(), { cold: true });
    cold.push({ label: 'plain sequential read (fs.readSync, 4 MiB buffer)', ms: plainCold.ms });
    for (const to of ['bf16', 'fp16']) {
      const r = best(() => runBin(['check', path, '--to', to, '--json', '--threads', 'auto']), { cold: true });
      cold.push({ label: `lowp check --to ${to} --threads auto`, ms: r.ms, verdict: JSON.parse(r.out.stdout).check.verdict });
    }
    if (withOnnx) {
      // the same values as an ONNX model (raw_data), against the cold read of that file
      const plainOnnx = best(() => plainRead(false, embedded), { cold: true, file: embedded });
      cold.push({ label: 'ONNX raw_data: plain sequential read of model.onnx', ms: plainOnnx.ms, base: plainOnnx.ms });
      const r = best(() => runBin(['check', embedded, '--to', 'fp16', '--json', '--threads', 'auto']), { cold: true, file: embedded });
      cold.push({ label: 'ONNX raw_data: lowp check --to fp16 --threads auto', ms: r.ms, base: plainOnnx.ms, verdict: JSON.parse(r.out.stdout).check.verdict });
    }
  }
  const coldRows = cold.map((r) => ({ ...r, mbPerS: fileBytes / 1e6 / (r.ms / 1000), ratioToPlain: r.ms / cold[0].ms }));
  if (!formats.includes('torch')) rmSync(path, { force: true });
  if (!asJson) {
    console.log(`lowp check throughput, ${(total / 2 ** 20).toFixed(0)} MiB float32 file (random values, page cache warm), Node ${process.version}, best of ${reps}`);
    printRows(rows);
    console.log(`  (lowp --version start-up: ${startup.ms.toFixed(0)} ms, included in the lowp figures; target: within 2× of the plain read)`);
    if (onnxOut.length) {
      console.log(`\nthe same values as ONNX models (8 float32 initializers), each against the plain read of its own file`);
      printRows(onnxOut);
    }
    if (coldRows.length) {
      console.log(`\nthe same file read from the disk (evicted from the page cache before every run), best of ${reps}`);
      printRows(coldRows);
    } else {
      console.log('\n(cold-cache rows skipped: this system cannot evict a file from the page cache with dd oflag=nocache)');
    }
  }
  return { mib: total / 2 ** 20, node: process.version, startupMs: startup.ms, reps, results: rows, coldCache: coldRows };
}

const ggufPath = join(dir, 'random.gguf');

/** Random valid blocks of a type (xorshift32 bytes; fp16 scales 2^-10 .. 2^-1, so every value is finite). */
function randomBlocks(type, blocks, seed) {
  const size = type === 'Q8_0' ? 34 : 144;
  const out = new Uint8Array(blocks * size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s;
    out[i + 1] = s >>> 8;
    out[i + 2] = s >>> 16;
    out[i + 3] = s >>> 24;
  }
  const scale = (b) => (((5 + (b % 10)) << 10) | (b * 7 & 0x3ff)); // exponent field 5..14: 2^-10 .. 2^-1
  for (let b = 0; b < blocks; b++) {
    const at = b * size;
    const d = scale(out[at + 2]);
    out[at] = d & 255;
    out[at + 1] = d >> 8;
    if (type === 'Q4_K') {
      const m = scale(out[at + 3]);
      out[at + 2] = m & 255;
      out[at + 3] = m >> 8;
    }
  }
  return out;
}

/** The GGUF file (written with lowp/io's writeGgufFile), then its tensors' data regions refilled with fresh random blocks. */
async function writeGgufBench(io) {
  const ROW = 4096;
  const per = total / TENSORS;
  const tensors = [];
  const shared = {};
  for (let i = 0; i < TENSORS; i++) {
    const type = i % 2 === 0 ? 'Q8_0' : 'Q4_K';
    const rowBytes = type === 'Q8_0' ? (ROW / 32) * 34 : (ROW / 256) * 144;
    const rows = Math.floor(per / rowBytes);
    shared[type] ??= randomBlocks(type, (rows * rowBytes) / (type === 'Q8_0' ? 34 : 144), 7);
    tensors.push({ name: `blk.${i >> 1}.${type === 'Q8_0' ? 'attn_q' : 'ffn_up'}.weight`, type, shape: [rows, ROW], data: shared[type] });
  }
  io.writeGgufFile(ggufPath, { metadata: { 'general.architecture': 'llama', 'general.name': 'lowp bench/cli.mjs random Q8_0/Q4_K' }, tensors });
  // fresh blocks for every tensor (the shared buffer only sized the file)
  const h = await io.readGguf(ggufPath);
  const fd = openSync(ggufPath, 'r+');
  let seed = 11;
  for (const t of h.tensors) {
    const size = t.type === 'Q8_0' ? 34 : 144;
    const piece = Math.floor((4 << 20) / size);
    for (let b = 0; b < t.byteLength / size; b += piece) {
      const n = Math.min(piece, t.byteLength / size - b);
      writeSync(fd, randomBlocks(t.type, n, seed++), 0, n * size, t.byteOffset + b * size);
    }
  }
  closeSync(fd);
  const values = h.tensors.reduce((a, t) => a + t.elements, 0);
  return { fileBytes: statSync(ggufPath).size, values, header: h };
}

/** The GGUF file: rows warm and cold, per-repetition ratios, and dequantizer rates. */
async function benchGguf() {
  const io = await lib(process.env.LOWP_IO ?? join(root, 'dist', 'io', 'index.js'));
  const quant = await lib(process.env.LOWP_QUANT ?? join(root, 'dist', 'quant', 'index.js'));
  if (!io?.writeGgufFile) {
    console.error('bench/cli.mjs: the GGUF case needs dist/io with writeGgufFile (npm run build)');
    return null;
  }
  const { fileBytes, values, header } = await writeGgufBench(io);
  plainRead(false, ggufPath); // warm
  const results = [];
  results.push({ label: 'plain sequential read (fs.readSync, 4 MiB buffer)', ms: best(() => plainRead(false, ggufPath)).ms });
  for (const [to, threads] of [['fp16', 'auto'], ['bf16', 'auto'], ['fp16', '1']]) {
    const r = best(() => runBin(['check', ggufPath, '--to', to, '--json', '--threads', threads]));
    const report = JSON.parse(r.out.stdout);
    if (report.summary.counts.total !== values) throw new Error(`lowp check counted ${report.summary.counts.total} values, expected ${values}`);
    results.push({ label: `lowp check --to ${to} --threads ${threads} (${report.check.options.threads} used)`, ms: r.ms, verdict: report.check.verdict });
  }
  const f = await io.openGguf(ggufPath);
  results.push({ label: 'in-process: lowp/io chunks() only (read + dequantize)', ms: await bestAsync(async () => { for (const t of f.tensors) for await (const c of f.chunks(t.name, { reuse: true })) void c; }) });
  const diag = await lib(process.env.LOWP_DIAG ?? join(root, 'dist', 'diagnostics', 'index.js'));
  if (diag?.createCastAnalyzer) {
    results.push({
      label: 'in-process: chunks() + createCastAnalyzer(fp16)',
      ms: await bestAsync(async () => { for (const t of f.tensors) { const a = diag.createCastAnalyzer('fp16', { topK: 5 }); for await (const c of f.chunks(t.name, { reuse: true })) a.add(c.data); a.finish(); } }),
    });
    if (typeof diag.createCastAnalyzer('fp16').addGgml === 'function') {
      results.push({
        label: 'in-process: chunks({ raw }) + addGgml (fp16)',
        ms: await bestAsync(async () => { for (const t of f.tensors) { const a = diag.createCastAnalyzer('fp16', { topK: 5 }); for await (const c of f.chunks(t.name, { raw: true, reuse: true })) a.addGgml(c.data, t.type); a.finish(); } }),
      });
    }
  }
  await f.close();
  const base = results[0].ms;
  const rows = results.map((r) => ({ ...r, mbPerS: fileBytes / 1e6 / (r.ms / 1000), ratioToPlain: r.ms / base }));
  // dequantizer rates on bytes in memory (one thread)
  const rates = [];
  if (quant?.dequantizeGgml) {
    for (const type of ['Q8_0', 'Q4_K']) {
      const blocks = randomBlocks(type, type === 'Q8_0' ? 1 << 15 : 1 << 12, 3);
      const out = new Float32Array((blocks.length / (type === 'Q8_0' ? 34 : 144)) * (type === 'Q8_0' ? 32 : 256));
      let ms = Infinity;
      for (let i = 0; i < Math.max(reps, 5); i++) {
        const t0 = performance.now();
        for (let k = 0; k < 8; k++) quant.dequantizeGgml(blocks, type, { out });
        ms = Math.min(ms, (performance.now() - t0) / 8);
      }
      rates.push({ type, mValuesPerS: out.length / 1e6 / (ms / 1000) });
    }
  }
  // the cast analysis alone, one thread, blocks in memory (1M-value pieces, as lowp check's chunks):
  // of the blocks (addGgml) and of their dequantized values (add; the dequantization not timed)
  const analysisRates = [];
  if (diag?.createCastAnalyzer && typeof diag.createCastAnalyzer('fp16').addGgml === 'function' && quant?.dequantizeGgml) {
    const CH = 1 << 20;
    for (const type of ['Q8_0', 'Q4_K']) {
      const per = type === 'Q8_0' ? 32 : 256, size = type === 'Q8_0' ? 34 : 144;
      const blocks = randomBlocks(type, (16 * CH) / per, 5);
      const pieces = [];
      for (let v = 0; v < 16 * CH; v += CH) pieces.push(blocks.subarray((v / per) * size, ((v + CH) / per) * size));
      const floats = pieces.map((p) => quant.dequantizeGgml(p, type));
      for (const to of ['bf16', 'fp16']) {
        const best = { add: Infinity, addGgml: Infinity };
        for (let i = 0; i < Math.max(reps, 5); i++) {
          for (const how of ['add', 'addGgml']) {
            const t0 = performance.now();
            const a = diag.createCastAnalyzer(to, { topK: 5 });
            if (how === 'add') for (const x of floats) a.add(x);
            else for (const p of pieces) a.addGgml(p, type);
            a.finish();
            best[how] = Math.min(best[how], performance.now() - t0);
          }
        }
        analysisRates.push({ type, to, addMValuesPerS: (16 * CH) / 1e3 / best.add, addGgmlMValuesPerS: (16 * CH) / 1e3 / best.addGgml });
      }
    }
  }
  // cold: a plain read, lowp/io's chunks() (read + dequantize, in this process) and a check, in turn, each
  // after evicting the file; one ratio per repetition
  const coldRuns = [];
  if (evict(ggufPath)) {
    for (let i = 0; i < reps; i++) {
      evict(ggufPath);
      let t0 = performance.now();
      plainRead(false, ggufPath);
      const plainMs = performance.now() - t0;
      evict(ggufPath);
      t0 = performance.now();
      const g = await io.openGguf(ggufPath);
      for (const t of g.tensors) for await (const c of g.chunks(t.name, { reuse: true })) void c;
      await g.close();
      const chunksMs = performance.now() - t0;
      evict(ggufPath);
      const r = runBin(['check', ggufPath, '--to', 'fp16', '--json', '--threads', 'auto']);
      const run = { plainMs, chunksMs, checkMs: r.ms, chunksRatio: chunksMs / plainMs, ratio: r.ms / plainMs };
      if (baselineBin !== null) {
        evict(ggufPath);
        const b = runBin(['check', ggufPath, '--to', 'fp16', '--json', '--threads', 'auto'], baselineBin);
        if (JSON.stringify(JSON.parse(b.stdout).tensors) !== JSON.stringify(JSON.parse(r.stdout).tensors)) throw new Error('the baseline build analysed the tensors differently');
        run.baselineMs = b.ms;
        run.baselineRatio = b.ms / plainMs;
      }
      coldRuns.push(run);
    }
  }
  rmSync(ggufPath, { force: true });
  const types = [...new Set(header.tensors.map((t) => t.type))].join(' and ');
  if (!asJson) {
    console.log(`\nlowp check on a ${(fileBytes / 2 ** 20).toFixed(0)} MiB GGUF file (${header.tensors.length} tensors, ${types}: ${(values / 1e6).toFixed(0)} M values, ${(values / (fileBytes / 4)).toFixed(2)}× the values of a float32 file of that size), page cache warm, best of ${reps}`);
    printRows(rows);
    if (rates.length) console.log(`  lowp/quant dequantizeGgml in memory, one thread: ${rates.map((r) => `${r.type} ${r.mValuesPerS.toFixed(0)} M values/s`).join(', ')}`);
    for (const r of analysisRates) console.log(`  cast analysis alone, one thread, ${r.type} → ${r.to}: blocks (addGgml) ${r.addGgmlMValuesPerS.toFixed(0)} M values/s, dequantized values (add) ${r.addMValuesPerS.toFixed(0)} M values/s`);
    if (coldRuns.length) {
      console.log(`\nthe same GGUF file read from the disk (evicted before every run), ${reps} runs: lowp/io chunks() and lowp check --to fp16 --threads auto vs a plain read`);
      for (const [i, r] of coldRuns.entries()) {
        const base = r.baselineMs === undefined ? '' : `; baseline lowp check ${(r.baselineMs / 1000).toFixed(2)} s: ${r.baselineRatio.toFixed(2)}×`;
        console.log(`  run ${i + 1}: plain ${(r.plainMs / 1000).toFixed(2)} s (${(fileBytes / 1e6 / (r.plainMs / 1000)).toFixed(0)} MB/s); lowp/io chunks() ${(r.chunksMs / 1000).toFixed(2)} s: ${r.chunksRatio.toFixed(2)}×; lowp check ${(r.checkMs / 1000).toFixed(2)} s: ${r.ratio.toFixed(2)}× the plain read${base}`);
      }
      const spread = (xs) => {
        const v = [...xs].sort((a, b) => a - b);
        return `min ${v[0].toFixed(2)}×, median ${v[v.length >> 1].toFixed(2)}×, max ${v[v.length - 1].toFixed(2)}×`;
      };
      console.log(`  lowp check: ${spread(coldRuns.map((r) => r.ratio))} the plain read (target: within 2×)`);
      console.log(`  lowp/io chunks() (read + dequantize, no analysis): ${spread(coldRuns.map((r) => r.chunksRatio))}`);
      if (baselineBin !== null) console.log(`  baseline lowp check (${baselineBin}): ${spread(coldRuns.map((r) => r.baselineRatio))}`);
    } else {
      console.log('\n(cold-cache rows skipped: this system cannot evict a file from the page cache with dd oflag=nocache)');
    }
  }
  return { mib: fileBytes / 2 ** 20, types, values, results: rows, dequantizeMValuesPerS: rates, analysisAlone: analysisRates, coldRuns };
}

try {
  const st = formats.includes('safetensors') || withOnnx ? await benchSafetensors() : null;
  let torch = null;
  if (formats.includes('torch')) {
    if (!existsSync(path)) writeFile(); // the same values as safetensors, for the paired cold runs
    torch = torchCase();
    if (!asJson) printTorch(torch);
    rmSync(path, { force: true });
  }
  const gg = formats.includes('gguf') ? await benchGguf() : null;
  if (asJson) console.log(JSON.stringify({ ...(st ?? { node: process.version, reps }), torch, gguf: gg }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
