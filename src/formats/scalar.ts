// Scalar casts: round (nearest representable value, like Math.fround), encode (the code), decode.
import { describeValue } from '../core/describe.js';
import { decodeGeneric, encodeGeneric } from './codec.js';
import { resolveCastOptions, type CastOptions } from './options.js';
import { getFormat, type FormatLike } from './registry.js';

function checkNumber(x: unknown, fn: string): asserts x is number {
  if (typeof x !== 'number') throw new TypeError(`${fn}: expected a number, got ${describeValue(x)}`);
}

/**
 * Encodes a number into the code of `format` (a bf16 code is a 16-bit integer, an fp8 code an 8-bit
 * one). The number's exact value is rounded once per `opts` (default: nearest, ties to even).
 *
 * @example
 * ```ts
 * encode(1, 'bf16');        // 0x3f80
 * encode(65520, 'fp16');    // 0x7c00 (+infinity: overflow)
 * encode(500, 'fp8-e4m3fn', { overflow: 'saturate' }); // 0x7e (448)
 * ```
 */
export function encode(x: number, format: FormatLike, opts?: CastOptions): number {
  checkNumber(x, 'encode');
  const f = getFormat(format);
  return encodeGeneric(x, f, resolveCastOptions(f, opts));
}

/**
 * Decodes a code of `format` into its exact value (every value of a format up to 32 bits is a float64,
 * and every value of a 16-bit-or-narrower format is also a float32).
 *
 * @example
 * ```ts
 * decode(0x3f80, 'bf16'); // 1
 * decode(0x7e, 'fp8-e4m3fn'); // 448
 * ```
 */
export function decode(code: number, format: FormatLike): number {
  const f = getFormat(format);
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code >= 2 ** f.bits) {
    throw new RangeError(`decode: expected a ${f.name} code, an integer in [0, ${2 ** f.bits - 1}], got ${describeValue(code)}`);
  }
  return decodeGeneric(code, f);
}

/**
 * Rounds a number to the nearest value representable in `format` (per `opts`), like `Math.fround`
 * does for float32: `round(x, 'fp32') === Math.fround(x)`.
 *
 * @example
 * ```ts
 * round(1 + 2 ** -8, 'bf16');  // 1 (a tie, to even)
 * round(0.1, 'fp16');          // 0.0999755859375
 * round(1e-8, 'fp16');         // 0 (flushed: below half the smallest subnormal)
 * ```
 */
export function round(x: number, format: FormatLike, opts?: CastOptions): number {
  checkNumber(x, 'round');
  const f = getFormat(format);
  return decodeGeneric(encodeGeneric(x, f, resolveCastOptions(f, opts)), f);
}
