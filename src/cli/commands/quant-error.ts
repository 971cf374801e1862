// `lowp quant-error`: what each quantization method does to each tensor. Every float tensor is read (one
// at a time), quantized and dequantized by each method of lowp/quant's registry, and compared with the
// original values by lowp/quant's metrics (SQNR, relative L2 error, max absolute error): a table per
// tensor and method, a per-method summary over the model, or JSON.
import * as quantModule from '../../quant/index.js';
import { compare, type Comparison } from '../../quant/metrics.js';
import { CliError, println, type CliIO } from '../io.js';
import { openInput, readTypeFor, selectTensors } from '../open.js';
import { createProgress } from '../progress.js';
import { renderTable } from '../table.js';
import { fmtDb, fmtNum, fmtRelError, fmtSeconds, fmtShape } from '../units.js';
import { packageVersion } from '../version.js';

/** The methods `lowp quant-error` runs by default. */
export const DEFAULT_METHODS: readonly string[] = ['int8-tensor', 'int8-row', 'llm-int8', 'fp16', 'bf16', 'fp8-e4m3fn', 'nf4'];

/** Options of {@link quantErrorCommand}. */
export interface QuantErrorOptions {
  /** Use the built-in sample. */
  sample?: boolean;
  /** Comma-separated method names. */
  methods?: string;
  /** Regular expression on tensor names. */
  only?: string;
  /** Print JSON. */
  json?: boolean;
  /** false: never show a progress bar. */
  progress?: boolean;
}

/** The metrics of one tensor under one method. */
export interface QuantErrorCell {
  method: string;
  sqnrDb: number;
  relL2: number;
  maxAbsError: number;
  maxRelError: number;
  verdict: Comparison['verdict'];
}

/** One tensor's row: its metrics under every method. */
export interface QuantErrorRow {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  results: QuantErrorCell[];
}

/** A quantize→dequantize round trip over a whole tensor. */
type RoundTrip = (values: Float32Array | Float64Array, shape: readonly number[]) => Float32Array | Float64Array;

function resolveMethod(name: string): RoundTrip {
  void quantModule;
  throw new CliError(`quantization method '${name}' (src/quant/methods.ts) is not available yet in this build`);
}

/**
 * Runs the methods over the tensors and returns the rows (no printing).
 *
 * @param path - file, folder or index (undefined with `sample`)
 * @param opts - options
 * @param io - streams (progress bar) and cwd
 * @returns rows, methods and timing
 * @example
 * ```ts
 * const { rows } = await runQuantError(undefined, { sample: true, methods: 'int8-row,nf4' }, io);
 * ```
 */
export async function runQuantError(path: string | undefined, opts: QuantErrorOptions, io: CliIO): Promise<{ rows: QuantErrorRow[]; methods: string[]; label: string; seconds: number }> {
  const methods = (opts.methods ?? DEFAULT_METHODS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (methods.length === 0) throw new CliError('--methods expects a comma-separated list of methods, got an empty one');
  const fns = methods.map((m) => resolveMethod(m));
  const input = await openInput(path, opts.sample, io.cwd ?? process.cwd());
  const t0 = performance.now();
  try {
    const { selected } = selectTensors(input.reader.tensors, opts.only);
    const totalBytes = selected.reduce((a, t) => a + t.byteLength, 0);
    const progress = createProgress({ stream: io.stderr, total: totalBytes, enabled: opts.progress !== false && !opts.json });
    const rows: QuantErrorRow[] = [];
    try {
      for (const t of selected) {
        progress.label(t.name);
        const values = await input.reader.readFloat(t.name, { as: readTypeFor(t.dtype) });
        const results: QuantErrorCell[] = [];
        for (let i = 0; i < methods.length; i++) {
          const q = fns[i](values, t.shape);
          const c = compare(values, q);
          results.push({ method: methods[i], sqnrDb: c.sqnrDb, relL2: c.relL2, maxAbsError: c.maxAbsError, maxRelError: c.maxRelError, verdict: c.verdict });
        }
        rows.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], elements: t.elements, results });
        progress.tick(t.byteLength);
      }
    } finally {
      progress.stop();
    }
    return { rows, methods, label: input.label, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await input.reader.close();
  }
}

/**
 * `lowp quant-error`: prints, per tensor and method, SQNR, relative L2 error and max error, then the
 * per-method median SQNR and worst tensor; or JSON.
 *
 * @example
 * ```ts
 * await quantErrorCommand(undefined, { sample: true, methods: 'int8-row,nf4' }, io);
 * ```
 */
export async function quantErrorCommand(path: string | undefined, opts: QuantErrorOptions, io: CliIO): Promise<number> {
  const { rows, methods, label, seconds } = await runQuantError(path, opts, io);
  if (opts.json) {
    const json = JSON.stringify({ schema: 'lowp.quant-error', schemaVersion: 1, lowpVersion: packageVersion(), input: label, methods, tensors: rows }, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity') : v, 2);
    println(io.stdout, json);
    return 0;
  }
  println(io.stdout, `lowp quant-error ${label}: ${rows.length} tensors × ${methods.length} methods in ${fmtSeconds(seconds)}`);
  println(io.stdout, 'SQNR = 10·log10(Σx²/Σ(x−q)²), higher is better (6 dB ≈ 1 bit); rel L2 = ‖q−x‖/‖x‖; max err = max |q−x|');
  println(io.stdout);
  const table: string[][] = [];
  for (const r of rows) {
    r.results.forEach((c, i) => {
      table.push([i === 0 ? r.name : '', i === 0 ? fmtShape(r.shape) : '', c.method, fmtDb(c.sqnrDb), fmtRelError(c.relL2), fmtNum(c.maxAbsError)]);
    });
  }
  io.stdout.write(
    renderTable(
      [{ header: 'tensor', maxWidth: 48 }, { header: 'shape' }, { header: 'method' }, { header: 'SQNR', align: 'right' }, { header: 'rel L2', align: 'right' }, { header: 'max err', align: 'right' }],
      table,
    ),
  );
  println(io.stdout);
  const summary = methods.map((m, i) => {
    const sq = rows.map((r) => r.results[i].sqnrDb).sort((a, b) => a - b);
    const median = sq.length === 0 ? NaN : sq[Math.floor((sq.length - 1) / 2)];
    let worst = '';
    let worstDb = Infinity;
    for (const r of rows) if (r.results[i].sqnrDb < worstDb) { worstDb = r.results[i].sqnrDb; worst = r.name; }
    return [m, fmtDb(median), fmtDb(worstDb === Infinity && rows.length === 0 ? NaN : worstDb), worst];
  });
  println(io.stdout, 'Per method over all tensors:');
  io.stdout.write(renderTable([{ header: 'method' }, { header: 'median SQNR', align: 'right' }, { header: 'worst SQNR', align: 'right' }, { header: 'worst tensor', maxWidth: 60 }], summary));
  return 0;
}
