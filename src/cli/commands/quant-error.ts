// `lowp quant-error`: what each quantization method does to each tensor. Every float tensor is read (one
// at a time), quantized and dequantized by each method of lowp/quant's registry, and compared with the
// original values by lowp/quant's metrics (SQNR, relative L2 error, max absolute error): a table per
// tensor and method, a per-method summary over the model, or JSON. The ggml types (q4_k, …) quantize
// along each tensor's innermost dimension, as llama.cpp does; a tensor whose rows are not whole blocks
// gets an n/a cell with the reason (lowp never pads).
import { getQuantMethod, parseQuantMethods, quantRoundTrip, type QuantMethodName } from '../../quant/methods.js';
import { compare, type Comparison } from '../../quant/metrics.js';
import { CliError, println, type CliIO } from '../io.js';
import { openInput, selectInputTensors } from '../open.js';
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

/** The metrics of one tensor under one method (null metrics and an `error` when the method cannot run on it). */
export interface QuantErrorCell {
  /** Method name (lowp/quant registry). */
  method: string;
  /** 10·log10(Σx² / Σ(x − q)²) in dB; Infinity when exact. */
  sqnrDb: number | null;
  /** ‖q − x‖₂ / ‖x‖₂. */
  relL2: number | null;
  /** max |q − x|. */
  maxAbsError: number | null;
  /** max |q − x| / |x| over x ≠ 0 (Infinity when a zero becomes nonzero). */
  maxRelError: number | null;
  /** Storage of the quantized tensor in bits per value (codes, scales, outliers). */
  bitsPerValue: number | null;
  /** compare()'s verdict: 'exact' | 'close' | 'lossy' | 'broken'. */
  verdict: Comparison['verdict'] | null;
  /** Why the method could not run (non-finite values, rows that are not whole blocks of a ggml type...), else absent. */
  error?: string;
}

/** One tensor's row: its metrics under every method. */
export interface QuantErrorRow {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  results: QuantErrorCell[];
}

/** The [rows, cols] a tensor is quantized as: [shape[0], product of the rest]; 1-D and scalars as one row. */
export function matrixShape(shape: readonly number[]): { rows: number; cols: number } {
  if (shape.length <= 1) return { rows: 1, cols: shape.length === 0 ? 1 : shape[0] };
  return { rows: shape[0], cols: shape.slice(1).reduce((a, b) => a * b, 1) };
}

/**
 * The [rows, cols] a ggml type quantizes a tensor as: rows along the innermost dimension (ggml's ne[0],
 * the last of a row-major shape), [product of the others, last]; 1-D and scalars as one row.
 */
export function ggmlRowShape(shape: readonly number[]): { rows: number; cols: number } {
  if (shape.length <= 1) return { rows: 1, cols: shape.length === 0 ? 1 : shape[0] };
  return { rows: shape.slice(0, -1).reduce((a, b) => a * b, 1), cols: shape[shape.length - 1] };
}

function parseMethods(text: string | undefined): QuantMethodName[] {
  try {
    return parseQuantMethods(text ?? DEFAULT_METHODS.join(','));
  } catch (e) {
    throw new CliError(`--methods: ${(e as Error).message}`);
  }
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
export async function runQuantError(path: string | undefined, opts: QuantErrorOptions, io: CliIO): Promise<{ rows: QuantErrorRow[]; methods: QuantMethodName[]; label: string; seconds: number }> {
  const methods = parseMethods(opts.methods);
  const input = await openInput(path, opts.sample, io.cwd ?? process.cwd());
  const t0 = performance.now();
  try {
    const { selected, totalBytes } = selectInputTensors(input, opts.only, 'measure');
    const progress = createProgress({ stream: io.stderr, total: totalBytes, enabled: opts.progress !== false && !opts.json });
    const rows: QuantErrorRow[] = [];
    try {
      for (const t of selected) {
        progress.label(t.name);
        // default type: exact (float32 for 16/8-bit floats and F32, float64 for F64)
        const values = await input.reader.readFloat(t.name);
        const results: QuantErrorCell[] = [];
        for (const method of methods) {
          // the ggml types quantize along the innermost dimension, the others per [shape[0], rest]
          const shape = getQuantMethod(method).ggmlType !== undefined ? ggmlRowShape(t.shape) : matrixShape(t.shape);
          try {
            const q = quantRoundTrip(values, method, shape);
            const c = compare(values, q.values);
            results.push({ method, sqnrDb: c.sqnrDb, relL2: c.relL2, maxAbsError: c.maxAbsError, maxRelError: c.maxRelError, bitsPerValue: q.bytesPerElement * 8, verdict: c.verdict });
          } catch (e) {
            if (!(e instanceof RangeError)) throw e;
            results.push({ method, sqnrDb: null, relL2: null, maxAbsError: null, maxRelError: null, bitsPerValue: null, verdict: null, error: e.message });
          }
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
  println(io.stdout, `lowp quant-error ${label}: ${rows.length} tensor${rows.length === 1 ? '' : 's'} × ${methods.length} method${methods.length === 1 ? '' : 's'} in ${fmtSeconds(seconds)}`);
  println(io.stdout, 'SQNR = 10·log10(Σx²/Σ(x−q)²), higher is better (6 dB ≈ 1 bit); rel L2 = ‖q−x‖/‖x‖; max err = max |q−x|;');
  println(io.stdout, 'bits/value: storage with scales and outliers; verdict: close (SQNR ≥ 40 dB), lossy (≥ 10 dB), broken (worse, or inf/NaN)');
  println(io.stdout);
  const table: string[][] = [];
  for (const r of rows) {
    r.results.forEach((c, i) => {
      table.push([
        i === 0 ? r.name : '',
        i === 0 ? fmtShape(r.shape) : '',
        c.method,
        c.bitsPerValue === null ? '' : c.bitsPerValue.toFixed(2),
        c.error !== undefined ? 'n/a' : fmtDb(c.sqnrDb),
        fmtRelError(c.relL2),
        c.error !== undefined ? 'n/a' : fmtNum(c.maxAbsError),
        c.verdict ?? 'n/a',
      ]);
    });
  }
  io.stdout.write(
    renderTable(
      [
        { header: 'tensor', maxWidth: 48 },
        { header: 'shape' },
        { header: 'method' },
        { header: 'bits/value', align: 'right' },
        { header: 'SQNR', align: 'right' },
        { header: 'rel L2', align: 'right' },
        { header: 'max err', align: 'right' },
        { header: 'verdict' },
      ],
      table,
    ),
  );
  const notes = new Map<string, string>();
  for (const r of rows) for (const c of r.results) if (c.error !== undefined && !notes.has(r.name)) notes.set(r.name, c.error);
  for (const [name, error] of notes) println(io.stdout, `n/a: ${name}: ${error}`);
  println(io.stdout);
  const summary = methods.map((m, i) => {
    const cells = rows.map((r) => ({ name: r.name, elements: r.elements, c: r.results[i] })).filter((x) => x.c.sqnrDb !== null);
    const sq = cells.map((x) => x.c.sqnrDb as number).sort((a, b) => a - b);
    const median = sq.length === 0 ? null : sq[Math.floor((sq.length - 1) / 2)];
    let worst = cells[0];
    for (const x of cells) if ((x.c.sqnrDb as number) < (worst.c.sqnrDb as number)) worst = x;
    const bits = cells.length === 0 ? null : cells.reduce((a, x) => a + (x.c.bitsPerValue ?? 0) * x.elements, 0) / cells.reduce((a, x) => a + x.elements, 0);
    return [m, bits === null ? '' : bits.toFixed(2), fmtDb(median), worst ? fmtDb(worst.c.sqnrDb) : '—', worst ? worst.name : ''];
  });
  println(io.stdout, 'Per method over all tensors:');
  io.stdout.write(
    renderTable(
      [{ header: 'method' }, { header: 'bits/value', align: 'right' }, { header: 'median SQNR', align: 'right' }, { header: 'worst SQNR', align: 'right' }, { header: 'worst tensor', maxWidth: 60 }],
      summary,
    ),
  );
  return 0;
}
