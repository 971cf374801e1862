// `lowp formats`: the finfo table of every registered format (src/formats/finfo.ts), aligned for the
// terminal or as JSON.
import { FORMATS, finfo, type FormatInfo } from '../../formats/index.js';
import { println, type CliIO } from '../io.js';
import { renderTable } from '../table.js';
import { fmtNum } from '../units.js';

/** Options of {@link formatsCommand}. */
export interface FormatsOptions {
  /** Print JSON (an array of finfo objects plus aliases) instead of the table. */
  json?: boolean;
}

/** One row of `lowp formats --json`: the format's finfo plus its aliases and overflow/NaN policy. */
export interface FormatRow extends FormatInfo {
  /** Other names the format is known by (`'bfloat16'` for bf16). */
  aliases: string[];
  /** What a too-large value becomes by default: `'inf'`, `'nan'` or `'saturate'`. */
  defaultOverflow: string;
  /** How NaN is encoded: `'ieee'`, `'all-ones'`, `'negative-zero'` or `'none'`. */
  nanEncoding: string;
  /** Whether the format has subnormal numbers. */
  subnormals: boolean;
}

/**
 * The rows of `lowp formats`: every registered format's {@link finfo} with aliases and policies.
 *
 * @example
 * ```ts
 * formatRows().find((r) => r.name === 'fp16')!.max; // 65504
 * ```
 */
export function formatRows(): FormatRow[] {
  return FORMATS.map((f) => ({
    ...finfo(f),
    aliases: [...f.aliases],
    defaultOverflow: f.defaultOverflow,
    nanEncoding: f.nan,
    subnormals: f.subnormals,
  }));
}

/** Exact powers of two print as 2^k, other values in short scientific form. */
function pow2OrNum(x: number): string {
  if (x > 0 && Number.isFinite(x)) {
    const k = Math.log2(x);
    if (Number.isInteger(k) && Math.abs(k) >= 7) return `2^${k}`;
  }
  return fmtNum(x, 5);
}

/**
 * Runs `lowp formats`: prints the table (or JSON) to stdout.
 *
 * @example
 * ```ts
 * formatsCommand({ json: false }, { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export function formatsCommand(opts: FormatsOptions, io: CliIO): number {
  const rows = formatRows();
  if (opts.json) {
    println(io.stdout, JSON.stringify(rows, null, 2));
    return 0;
  }
  const table = renderTable(
    [
      { header: 'format' },
      { header: 'bits', align: 'right' },
      { header: 'e', align: 'right' },
      { header: 'm', align: 'right' },
      { header: 'bias', align: 'right' },
      { header: 'max', align: 'right' },
      { header: 'smallest normal', align: 'right' },
      { header: 'smallest subnormal', align: 'right' },
      { header: 'eps', align: 'right' },
      { header: 'digits', align: 'right' },
      { header: 'exact ints', align: 'right' },
      { header: 'inf', align: 'right' },
      { header: 'nan', align: 'right' },
      { header: 'overflow', align: 'right' },
      { header: 'aliases' },
    ],
    rows.map((r) => [
      r.name,
      String(r.bits),
      String(r.exponentBits),
      String(r.mantissaBits),
      String(r.bias),
      fmtNum(r.max, 5),
      pow2OrNum(r.smallestNormal),
      r.subnormals ? pow2OrNum(r.smallestSubnormal) : 'none',
      pow2OrNum(r.eps),
      String(r.precision),
      String(r.maxExactInteger),
      r.hasInfinity ? 'yes' : 'no',
      r.nanEncoding === 'none' ? 'no' : r.nanEncoding,
      r.defaultOverflow,
      r.aliases.slice(0, 2).join(', '),
    ]),
  );
  io.stdout.write(table);
  println(io.stdout);
  println(io.stdout, 'e/m: exponent/mantissa bits; digits: decimal digits of precision; exact ints: every integer up to it is representable;');
  println(io.stdout, 'overflow: what a too-large value becomes by default (inf, nan, or saturate to ±max).');
  return 0;
}
