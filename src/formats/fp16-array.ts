// Fp16Array: an array of IEEE 754 binary16 ("half", fp16: 1 sign, 5 exponent, 10 mantissa bits) values
// stored as 16-bit codes in a plain Uint16Array. Named Fp16Array, not Float16Array, because the platform
// now has a global Float16Array (ES2025; Node >= 24, Chrome 135, Firefox 129, Safari 18.2) with
// `arr[i]` indexing, and @petamoriken/float16 exports a polyfill of that name: a lowp class of the same
// name would shadow or be confused with either. Where the native one exists, toFloat16Array and
// fromFloat16Array convert without copying. Writes round to nearest, ties to even; reads are exact.
import { decodeArray } from './bulk.js';
import { f32BitsToFp16, roundToOddF32Bits } from './fast16.js';
import { FP16 } from './registry.js';
import type { FloatFormat } from './spec.js';
import { describeValue } from '../core/describe.js';
import {
  isNativeFloat16Array, Lowp16Array, nativeFloat16ArrayConstructor, throwIndexError, throwValueError, type NativeFloat16Array,
} from './typed-array-base.js';

/**
 * Encodes a number into an fp16 code, rounding its exact (float64) value once to nearest, ties to even
 * (equal to `encode(v, 'fp16')`, faster). NaN gives the canonical quiet NaN 0x7E00, as `encode` does
 * (a number's NaN sign is not read: see codec.ts).
 */
function encodeFp16Number(v: number): number {
  return v !== v ? FP16.nanCode : f32BitsToFp16(roundToOddF32Bits(v));
}

/** All 65,536 fp16 values, built when the first Fp16Array is made (256 KiB, about a millisecond): a
 * lookup is about three times as fast as decoding the bits on every get. */
let TABLE: Float32Array | undefined;

function buildTable(): Float32Array {
  const codes = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) codes[c] = c;
  const table = new Float32Array(65536);
  decodeArray(codes, FP16, { out: table });
  TABLE = table;
  return table;
}

const NO_NATIVE =
  "this runtime has no native Float16Array (it needs Node >= 24, Chrome/Edge 135, Firefox 129 or Safari 18.2); use toFloat32Array() or the bits instead";

/**
 * An array of IEEE 754 half-precision (fp16, binary16) values stored as 16-bit codes in a plain
 * `Uint16Array` ({@link Fp16Array.bits}). Element access is `get(i)` / `set(i, v)` (no `arr[i]`: see
 * {@link Lowp16Array}); `set` rounds to nearest, ties to even, like PyTorch, numpy and
 * `encode(v, 'fp16')`; overflow past 65504 gives ±Infinity.
 *
 * Why not `Float16Array`: that is now a built-in global (Node >= 24 and current browsers) and the name of
 * @petamoriken/float16's polyfill; lowp's class has a different interface (get/set, rounding options,
 * bf16 sibling) and works on every runtime, so it has its own name. Where the native class exists,
 * {@link Fp16Array.toFloat16Array} and {@link Fp16Array.fromFloat16Array} share memory with it.
 *
 * @example
 * ```ts
 * import { Fp16Array } from 'lowp';
 *
 * const h = Fp16Array.from([0.1, 65504, 1e5, 2 ** -25]);
 * h.toArray();       // [0.0999755859375, 65504, Infinity, 0]
 * h.bits[0];         // 0x2e66
 * h.set(3, 2 ** -24); // the smallest subnormal
 * if (Fp16Array.hasNativeFloat16Array()) {
 *   const native = h.toFloat16Array(); // same memory, native arr[i] indexing
 *   native[0];                         // 0.0999755859375
 * }
 * ```
 */
export class Fp16Array extends Lowp16Array {
  /** The fp16 format descriptor (`getFormat('fp16')`). */
  static readonly format: FloatFormat = FP16;

  /** The fp16 format descriptor (`getFormat('fp16')`). */
  get format(): FloatFormat {
    return FP16;
  }

  /** `'Fp16Array'`. */
  get [Symbol.toStringTag](): string {
    return 'Fp16Array';
  }

  /**
   * Reads element `i` (exact).
   *
   * @throws RangeError when `i` is not in `[0, length)`; TypeError when `i` is not an integer (the index
   *   is converted with `Number()` first, as `Array.prototype.at` does: `'2'` reads element 2).
   * @example
   * ```ts
   * Fp16Array.of(0.1).get(0); // 0.0999755859375
   * ```
   */
  get(i: number): number {
    // `+i`: the index converted once, as Array.prototype.at does; a typed array gives undefined for
    // any number that is not a valid index (checking `typeof i` as well costs 6x on Node 24)
    const h = this.bits[+i];
    if (h === undefined) throwIndexError(this, 'get', i);
    return this.table[h];
  }

  /** @internal */
  protected decodeTable(): Float32Array {
    return TABLE ?? buildTable();
  }

  /**
   * Writes `value` at `i`, rounded to nearest, ties to even (a float64 rounded once, directly);
   * beyond ±65520 (max + half an ulp) it becomes ±Infinity.
   *
   * @throws RangeError when `i` is not in `[0, length)`; TypeError when `i` is not an integer number
   *   or `value` is not a number (no silent NaN).
   * @example
   * ```ts
   * const a = new Fp16Array(1);
   * a.set(0, 2049); // a tie between 2048 and 2050: to even
   * a.get(0);       // 2048
   * ```
   */
  set(i: number, value: number): void {
    const bits = this.bits;
    // strict here (a number index): set(array, offset) is a likely slip for setFrom, and the check
    // costs nothing measurable next to the rounding
    if (typeof i !== 'number' || bits[i] === undefined) throwIndexError(this, 'set', i);
    if (typeof value !== 'number') throwValueError(this, 'set', value);
    bits[i] = encodeFp16Number(value);
  }

  /**
   * Whether this runtime has the native `Float16Array` (then {@link Fp16Array.toFloat16Array} and
   * {@link Fp16Array.fromFloat16Array} work).
   *
   * @example
   * ```ts
   * Fp16Array.hasNativeFloat16Array(); // true on Node >= 24, false on Node 20
   * ```
   */
  static hasNativeFloat16Array(): boolean {
    return nativeFloat16ArrayConstructor() !== undefined;
  }

  /**
   * A native `Float16Array` over the same memory (no copy: writes through either are seen by both).
   *
   * @throws TypeError when the runtime has no native `Float16Array` (Node < 24, older browsers).
   * @example
   * ```ts
   * const h = Fp16Array.of(1, 2);
   * const native = h.toFloat16Array(); // Float16Array [1, 2]
   * native[1] = 3;
   * h.get(1); // 3
   * ```
   */
  toFloat16Array(): NativeFloat16Array {
    const C = nativeFloat16ArrayConstructor();
    if (C === undefined) throw new TypeError(`Fp16Array.toFloat16Array: ${NO_NATIVE}`);
    return new C(this.bits.buffer, this.bits.byteOffset, this.bits.length);
  }

  /**
   * An Fp16Array over the memory of a native `Float16Array` (no copy). To copy instead, use
   * `new Fp16Array(f16)` or `Fp16Array.from(f16)`.
   *
   * @throws TypeError when `f16` is not a native `Float16Array` or the runtime has none.
   * @example
   * ```ts
   * const native = new Float16Array([0.5, 1]); // Node >= 24
   * const h = Fp16Array.fromFloat16Array(native);
   * h.set(0, 4);
   * native[0]; // 4
   * ```
   */
  static fromFloat16Array(f16: NativeFloat16Array): Fp16Array {
    if (nativeFloat16ArrayConstructor() === undefined) throw new TypeError(`Fp16Array.fromFloat16Array: ${NO_NATIVE}`);
    if (!isNativeFloat16Array(f16)) {
      throw new TypeError(`Fp16Array.fromFloat16Array: expected a native Float16Array, got ${describeValue(f16)}`);
    }
    return new Fp16Array(new Uint16Array(f16.buffer, f16.byteOffset, f16.length));
  }

  /** @internal */
  protected encodeNumber(v: number): number {
    return encodeFp16Number(v);
  }
}
