// Number formatting for people: counts with thousands separators (lowp/diagnostics' fmtCount), percentages
// that never print a nonzero share as 0%, relative errors as percentages, bit headroom, byte sizes and throughputs.
import { fmtCount } from '../diagnostics/text.js';

/** 1234567 → '1,234,567': lowp/diagnostics' formatter (locale-independent, as in the reports' sentences). */
export { fmtCount };

/**
 * A share as a percentage with enough digits to be nonzero when the share is: 0 → '0%', 1/3 → '33.3%',
 * 2e-7 → '0.00002%', 1 → '100%'.
 */
export function fmtPercent(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  const p = (part / whole) * 100;
  if (p >= 100) return '100%';
  if (p >= 99.95) return '>99.9%';
  if (p >= 10) return `${p.toFixed(1)}%`;
  if (p >= 0.1) return `${p.toFixed(2)}%`;
  // keep two significant digits of a tiny share
  const digits = Math.min(12, 1 - Math.floor(Math.log10(p)));
  return `${p.toFixed(digits).replace(/0+$/, '')}%`;
}

/** '0' or 'count (share)'. */
export function fmtCountShare(part: number, whole: number): string {
  return part === 0 ? '0' : `${fmtCount(part)} (${fmtPercent(part, whole)})`;
}

/** A relative error as a percentage with 3 significant digits: 0.00390625 → '0.391%'. */
export function fmtRelError(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === Infinity) return '∞';
  if (x === 0) return '0';
  const p = x * 100;
  if (p >= 1000) return `${(p / 100).toPrecision(3)}×`;
  return `${Number(p.toPrecision(3))}%`;
}

/** A number in short scientific form for tables: 65504 → '6.55e+4', 0.5 → '0.5', 1e-8 → '1e-8'. */
export function fmtNum(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const a = Math.abs(x);
  // integers print exactly up to 10^7 (65536 stays 65536, not 6.55e4)
  if (Number.isInteger(x) && a < 1e7) return String(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(digits)));
  const [m, e] = x.toExponential(digits - 1).split('e');
  return `${String(Number(m))}e${Number(e)}`;
}

/** Headroom or footroom in bits: 3.25 → '3.3 bits', Infinity → '∞'. */
export function fmtBits(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  return `${x.toFixed(1)} bits`;
}

/** A signal-to-noise ratio in dB: 48.16 → '48.2 dB', Infinity → 'exact'. */
export function fmtDb(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === Infinity) return 'exact';
  if (x === -Infinity) return '-∞ dB';
  return `${x.toFixed(1)} dB`;
}

/** Bytes with binary units: 1536 → '1.5 KiB'. */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** Seconds for people: 0.0123 → '12 ms', 75 → '1m15s'. */
export function fmtSeconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** A shape as `[64, 8, 256]`; a scalar as `[]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Up to `n` names, then '+k more': `a, b, c +2 more`. */
export function someNames(names: readonly string[], n = 3): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')} +${names.length - n} more`;
}

/** What {@link fmtCheckHead} says: the input, the target, what was read and how long it took. */
export interface CheckHead {
  /** The input's label. */
  label: string;
  /** The target's name (a format, or a ggml type). */
  target: string;
  /** Tensors checked. */
  tensors: number;
  /** What was read, after the tensor count: e.g. '1,024 values (4.0 KiB)'. */
  read: string;
  /** Seconds taken. */
  seconds: number;
  /** The target described (shown in parentheses). */
  about: string;
  /** The non-float tensors left out. */
  skipped: readonly { name: string; dtype: string }[];
}

/**
 * The first lines of a `lowp check` text report, cast or ggml: the title (input → target: tensors, what
 * was read, time), the target described in parentheses, and the non-float tensors skipped, if any.
 */
export function fmtCheckHead(h: CheckHead): string[] {
  const lines = [`lowp check ${h.label} → ${h.target}: ${fmtCount(h.tensors)} tensor${h.tensors === 1 ? '' : 's'}, ${h.read} in ${fmtSeconds(h.seconds)}`, `(${h.about})`];
  if (h.skipped.length > 0) lines.push(`skipped ${h.skipped.length} non-float tensor${h.skipped.length > 1 ? 's' : ''}: ${someNames(h.skipped.map((x) => `${x.name} (${x.dtype})`))}`);
  return lines;
}
