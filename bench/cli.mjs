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
//     ONNX's ratio to its own plain read sits beside safetensors' (skip with --no-onnx).
// Prints MB/s (10^6 bytes per second) and the ratio of each to the plain read (target: within 2×).
// Usage: npm run build && node bench/cli.mjs [--mib 1024] [--json]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
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
const withOnnx = !args.includes('--no-onnx');
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

function runBin(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
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

try {
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
  const lib = async (p) => { try { return await import(p); } catch { return null; } };
  const io = await lib(process.env.LOWP_IO ?? join(root, 'dist', 'io', 'index.js'));
  const diag = await lib(process.env.LOWP_DIAG ?? join(root, 'dist', 'diagnostics', 'index.js'));
  if (io?.openSafetensors) {
    const st = await io.openSafetensors(path);
    const bestAsync = async (fn) => { let ms = Infinity; for (let i = 0; i < reps; i++) { const t0 = performance.now(); await fn(); ms = Math.min(ms, performance.now() - t0); } return ms; };
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
  const coldRows = cold.map((r) => ({ label: r.label, ms: r.ms, verdict: r.verdict, mbPerS: fileBytes / 1e6 / (r.ms / 1000), ratioToPlain: r.ms / (r.base ?? cold[0].ms) }));
  if (asJson) {
    console.log(JSON.stringify({ mib: total / 2 ** 20, node: process.version, startupMs: startup.ms, reps, results: rows, onnx: onnxOut, coldCache: coldRows }, null, 2));
  } else {
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
} finally {
  rmSync(dir, { recursive: true, force: true });
}
