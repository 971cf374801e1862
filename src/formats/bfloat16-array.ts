// BFloat16Array: an array of bfloat16 values (1 sign, 8 exponent, 7 mantissa bits: float32's range with
// 8 bits of precision, as in PyTorch's torch.bfloat16 and ml_dtypes.bfloat16) stored as 16-bit codes in
// a plain Uint16Array. Writes round to nearest, ties to even (the formats module's default policy);
// reads are exact. See typed-array-base.ts for the shared interface and docs/typed-arrays.md.
import { f32BitsToBf16, roundToOddF32Bits } from './fast16.js';
import { BF16 } from './registry.js';
import type { FloatFormat } from './spec.js';
import { Lowp16Array, throwIndexError, throwValueError } from './typed-array-base.js';

/** All 65,536 bf16 values, built when the first BFloat16Array is made (256 KiB): a lookup is faster
 * than reinterpreting the bits through a scratch Float32Array on every get. */
let TABLE: Float32Array | undefined;

function buildTable(): Float32Array {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let c = 0; c < 65536; c++) bits[c] = c << 16;
  TABLE = table;
  return table;
}

/**
 * Encodes a number into a bf16 code, rounding its exact (float64) value once to nearest, ties to even
 * (equal to `encode(v, 'bf16')`, faster). NaN gives the canonical quiet NaN 0x7FC0, as `encode` does
 * (a number's NaN sign is not read: see codec.ts).
 */
function encodeBf16Number(v: number): number {
  return v !== v ? BF16.nanCode : f32BitsToBf16(roundToOddF32Bits(v));
}

/**
 * An array of bfloat16 values stored as 16-bit codes in a plain `Uint16Array` ({@link BFloat16Array.bits}).
 * Element access is `get(i)` / `set(i, v)` (no `arr[i]`: see {@link Lowp16Array}); `set` rounds to
 * nearest, ties to even, like PyTorch, numpy/ml_dtypes and `encode(v, 'bf16')`. Construct it from a
 * length, values (copied and rounded), a Uint16Array of codes or an ArrayBuffer (shared, no copy).
 *
 * @example
 * ```ts
 * import { BFloat16Array } from 'lowp';
 *
 * const w = new BFloat16Array(new Float32Array([0.1, -2, 3e38])); // rounded once each
 * w.get(0);         // 0.10009765625
 * w.set(1, 1 / 3);  // stored as 0.333984375
 * w.bits;           // Uint16Array [0x3dcd, 0x3eab, 0x7f62]: same memory
 * w.toFloat32Array(); // Float32Array [0.10009765625, 0.333984375, 3.0013...e38]
 * const view = new BFloat16Array(w.buffer, 2, 1); // element 1, no copy
 * ```
 */
export class BFloat16Array extends Lowp16Array {
  /** The bfloat16 format descriptor (`getFormat('bf16')`). */
  static readonly format: FloatFormat = BF16;

  /** The bfloat16 format descriptor (`getFormat('bf16')`). */
  get format(): FloatFormat {
    return BF16;
  }

  /** `'BFloat16Array'`. */
  get [Symbol.toStringTag](): string {
    return 'BFloat16Array';
  }

  /**
   * Reads element `i` (exact).
   *
   * @throws RangeError when `i` is not in `[0, length)`; TypeError when `i` is not an integer (the index
   *   is converted with `Number()` first, as `Array.prototype.at` does: `'2'` reads element 2).
   * @example
   * ```ts
   * BFloat16Array.of(1.5).get(0); // 1.5
   * ```
   */
  get(i: number): number {
    // `+i`: the index converted once, as Array.prototype.at does; a typed array gives undefined for
    // any number that is not a valid index (checking `typeof i` as well costs 6x on Node 24)
    const h = this.bits[+i];
    if (h === undefined) throwIndexError(this, 'get', i);
    return this.table[h];
  }

  /**
   * Writes `value` at `i`, rounded to nearest, ties to even (a float64 rounded once, directly).
   *
   * @throws RangeError when `i` is not in `[0, length)`; TypeError when `i` is not an integer number
   *   or `value` is not a number (no silent NaN).
   * @example
   * ```ts
   * const a = new BFloat16Array(1);
   * a.set(0, 1 + 2 ** -8); // a tie: to even
   * a.get(0);              // 1
   * ```
   */
  set(i: number, value: number): void {
    const bits = this.bits;
    // strict here (a number index): set(array, offset) is a likely slip for setFrom, and the check
    // costs nothing measurable next to the rounding
    if (typeof i !== 'number' || bits[i] === undefined) throwIndexError(this, 'set', i);
    if (typeof value !== 'number') throwValueError(this, 'set', value);
    bits[i] = encodeBf16Number(value);
  }

  /** @internal */
  protected decodeTable(): Float32Array {
    return TABLE ?? buildTable();
  }

  /** @internal */
  protected encodeNumber(v: number): number {
    return encodeBf16Number(v);
  }
}
