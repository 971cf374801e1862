// `lowp bench`: a short benchmark of this machine (a few seconds), so a user can see what lowp does here:
// float32 → bf16/fp16 conversion throughput (encodeArray) and back (decodeArray), against a plain
// Float32Array copy (the memory-bandwidth ceiling) in the same run, and a 512×512×512 GEMM in GFLOP/s
// (float32, bf16 inputs, int8). Each figure is the best of several timed repetitions after a warm-up.
import { createRng } from '../../core/rng.js';
import { decodeArray, encodeArray } from '../../formats/index.js';
import { println, type CliIO } from '../io.js';
import { renderTable } from '../table.js';
import { packageVersion } from '../version.js';

/** Options of {@link benchCommand}. */
export interface BenchOptions {
  /** Print JSON instead of the table. */
  json?: boolean;
  /** Values per conversion run. Default 4,194,304. */
  size?: number;
  /** Time budget per measurement in milliseconds (`--budget`). Default 400. */
  budget?: number;
}

/** One measured figure. */
export interface BenchRow {
  /** What was measured. */
  name: string;
  /** Throughput: values per second (conversions) or FLOP per second (GEMM). */
  perSecond: number;
  /** Unit of `perSecond`: 'values/s' or 'FLOP/s'. */
  unit: 'values/s' | 'FLOP/s';
  /** Bytes read + written per second (conversions), or null. */
  bytesPerSecond: number | null;
  /** Best time of one repetition, in milliseconds. */
  bestMs: number;
  /** Repetitions timed. */
  reps: number;
  /** Throughput relative to the plain copy (conversions), or null. */
  vsCopy: number | null;
}

/** Times `fn` repeatedly within `budgetMs` (at least 3 runs after one warm-up); returns the best time in ms. */
function timeBest(fn: () => void, budgetMs: number): { bestMs: number; reps: number } {
  fn();
  let best = Infinity;
  let reps = 0;
  const start = performance.now();
  while (reps < 3 || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    if (dt < best) best = dt;
    reps++;
    if (reps >= 200) break;
  }
  return { bestMs: best, reps };
}

/**
 * Runs the benchmark and returns the figures (no printing).
 *
 * @param opts - size and time budget
 * @returns one row per measurement
 * @example
 * ```ts
 * const rows = await runBench({ size: 1 << 20, budget: 100 });
 * rows.find((r) => r.name.startsWith('f32 → bf16'))!.perSecond; // e.g. 9e8
 * ```
 */
export async function runBench(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const n = opts.size ?? 1 << 22;
  const budget = opts.budget ?? 400;
  const rand = createRng(1);
  const src = new Float32Array(n);
  for (let i = 0; i < n; i++) src[i] = (rand() - 0.5) * 8;
  const rows: BenchRow[] = [];

  const copyDst = new Float32Array(n);
  const copy = timeBest(() => copyDst.set(src), budget);
  const copyRate = n / (copy.bestMs / 1000);
  rows.push({ name: 'plain copy Float32Array.set (ceiling)', perSecond: copyRate, unit: 'values/s', bytesPerSecond: copyRate * 8, bestMs: copy.bestMs, reps: copy.reps, vsCopy: 1 });

  for (const fmt of ['bf16', 'fp16'] as const) {
    const codes = new Uint16Array(n);
    const enc = timeBest(() => encodeArray(src, fmt, { out: codes }), budget);
    const encRate = n / (enc.bestMs / 1000);
    rows.push({ name: `f32 → ${fmt} encodeArray`, perSecond: encRate, unit: 'values/s', bytesPerSecond: encRate * 6, bestMs: enc.bestMs, reps: enc.reps, vsCopy: encRate / copyRate });
    const back = new Float32Array(n);
    const dec = timeBest(() => decodeArray(codes, fmt, { out: back }), budget);
    const decRate = n / (dec.bestMs / 1000);
    rows.push({ name: `${fmt} → f32 decodeArray`, perSecond: decRate, unit: 'values/s', bytesPerSecond: decRate * 6, bestMs: dec.bestMs, reps: dec.reps, vsCopy: decRate / copyRate });
  }

  // loaded only here, so that the other commands never pay for lowp/matmul (its kernels, its threads)
  const { matmul, int8Matmul, shutdownThreads } = await import('../../matmul/index.js');
  const size = 512;
  const flop = 2 * size * size * size;
  const a = { rows: size, cols: size, data: new Float32Array(size * size).map(() => rand() - 0.5) };
  const b = { rows: size, cols: size, data: new Float32Array(size * size).map(() => rand() - 0.5) };
  const f32 = timeBest(() => void matmul(a, b), budget);
  rows.push({ name: `GEMM ${size}³ float32 (matmul)`, perSecond: flop / (f32.bestMs / 1000), unit: 'FLOP/s', bytesPerSecond: null, bestMs: f32.bestMs, reps: f32.reps, vsCopy: null });
  const bf = timeBest(() => void matmul(a, b, { inputs: 'bf16' }), budget);
  rows.push({ name: `GEMM ${size}³ bf16 inputs, fp32 accumulate`, perSecond: flop / (bf.bestMs / 1000), unit: 'FLOP/s', bytesPerSecond: null, bestMs: bf.bestMs, reps: bf.reps, vsCopy: null });
  const qa = { rows: size, cols: size, data: new Int8Array(size * size).map(() => Math.floor(rand() * 255) - 127) };
  const qb = { rows: size, cols: size, data: new Int8Array(size * size).map(() => Math.floor(rand() * 255) - 127) };
  const i8 = timeBest(() => void int8Matmul(qa, qb), budget);
  rows.push({ name: `GEMM ${size}³ int8 → int32 (int8Matmul)`, perSecond: flop / (i8.bestMs / 1000), unit: 'FLOP/s', bytesPerSecond: null, bestMs: i8.bestMs, reps: i8.reps, vsCopy: null });
  await shutdownThreads();
  return rows;
}

function fmtRate(r: BenchRow): string {
  if (r.unit === 'FLOP/s') return `${(r.perSecond / 1e9).toFixed(1)} GFLOP/s`;
  return `${(r.perSecond / 1e6).toFixed(0)} M values/s`;
}

/**
 * `lowp bench`: runs {@link runBench} and prints a table (or JSON).
 *
 * @example
 * ```ts
 * await benchCommand({}, { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function benchCommand(opts: BenchOptions, io: CliIO): Promise<number> {
  const rows = await runBench(opts);
  if (opts.json) {
    println(io.stdout, JSON.stringify({ lowpVersion: packageVersion(), node: process.version, platform: `${process.platform}-${process.arch}`, values: opts.size ?? 1 << 22, rows }, null, 2));
    return 0;
  }
  println(io.stdout, `lowp bench (lowp ${packageVersion()}, Node ${process.version}, ${process.platform}-${process.arch}; best of repeated runs)`);
  println(io.stdout);
  io.stdout.write(
    renderTable(
      [{ header: 'measurement' }, { header: 'throughput', align: 'right' }, { header: 'GB/s', align: 'right' }, { header: 'vs copy', align: 'right' }, { header: 'best', align: 'right' }],
      rows.map((r) => [
        r.name,
        fmtRate(r),
        r.bytesPerSecond === null ? '' : (r.bytesPerSecond / 1e9).toFixed(2),
        r.vsCopy === null ? '' : `${r.vsCopy.toFixed(2)}×`,
        `${r.bestMs.toFixed(2)} ms`,
      ]),
    ),
  );
  return 0;
}
