// Slow, obviously correct twins of the diagnostics' counts: one `round(x, to, opts)` per element (the
// exact reference rounding of lowp/formats) and a plain classification of the result. The overflow
// rule for saturated results rounds |x| on the top binade's grid with an unbounded exponent.
import { finfo } from '../../src/formats/finfo.js';
import type { CastOptions } from '../../src/formats/options.js';
import { exponentOf, pow2 } from '../../src/formats/pow2.js';
import { getFormat, type FormatLike } from '../../src/formats/registry.js';
import { round } from '../../src/formats/scalar.js';

export interface RefCounts {
  total: number; zeros: number; exact: number; rounded: number; flushedToZero: number; becameSubnormal: number;
  overflowed: number; invalid: number; nanInputs: number; infInputs: number;
}

/** Does |x| overflow when rounded with an unbounded exponent (nearest-even or toward-zero)? */
export function unboundedOverflow(ax: number, to: FormatLike, rounding: 'nearest-even' | 'toward-zero'): boolean {
  const f = getFormat(to);
  if (ax <= f.max) return false;
  if (ax >= pow2(f.maxNormalExponent + 1)) return true;
  const q = pow2(f.maxNormalExponent - f.mantissaBits);
  const k = ax / q; // exact: division by a power of two
  let n = Math.floor(k);
  if (rounding === 'nearest-even') {
    const frac = k - n;
    if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n += 1;
  }
  return n * q > f.max;
}

export function referenceCounts(values: ArrayLike<number>, to: FormatLike, opts?: CastOptions): RefCounts {
  const f = getFormat(to);
  const sn = finfo(f).smallestNormal;
  const c: RefCounts = { total: 0, zeros: 0, exact: 0, rounded: 0, flushedToZero: 0, becameSubnormal: 0, overflowed: 0, invalid: 0, nanInputs: 0, infInputs: 0 };
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    c.total++;
    if (Number.isNaN(x)) { c.nanInputs++; continue; }
    if (!Number.isFinite(x)) { c.infInputs++; continue; }
    if (x === 0) { c.zeros++; continue; }
    const r = round(x, f, opts);
    if (Number.isNaN(r) && !f.signed && x < 0) { c.invalid++; continue; }
    if (!Number.isFinite(r) || (Math.abs(r) === f.max && unboundedOverflow(Math.abs(x), f, opts?.rounding === 'toward-zero' ? 'toward-zero' : 'nearest-even'))) {
      c.overflowed++;
      continue;
    }
    if (r === 0) { c.flushedToZero++; continue; }
    if (f.subnormals && Math.abs(r) < sn) c.becameSubnormal++;
    if (r === x) c.exact++;
    else c.rounded++;
  }
  return c;
}

/** Reference histogram: count per exponent of finite nonzero |x|. */
export function referenceHistogram(values: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === 0 || !Number.isFinite(x)) continue;
    const e = exponentOf(Math.abs(x));
    m.set(e, (m.get(e) ?? 0) + 1);
  }
  return m;
}

/** The float32 values of the given bit patterns (NaN payloads and signed zeros kept). */
export function f32FromBits(bits: ArrayLike<number>): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}
