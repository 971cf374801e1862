// OCP Microscaling (MX v1.0) block quantization: blocks of `blockSize` (32) consecutive values share one
// E8M0 scale X = 2^(floor(log2(amax)) − emax_elem), where emax_elem is the exponent of the element
// format's largest normal (e4m3fn 8, e5m2 15, e2m3 2, e3m2 4, e2m1 2); each element is x / X rounded
// to the element format (nearest, ties to even) with saturation at ±max. Special cases follow the
// spec's reference code (microsoft/microxcaling): a block whose scale exponent would exceed 127, or
// that holds NaN or ±Infinity, gets the NaN scale 0xFF (then, by the spec, every element of the block
// reads as NaN); exponents below −127 are clamped to −127; an all-zero block gets scale 2^−127 and
// zero elements. Reference twin: tests/quant/mx.test.ts (brute-force nearest over all element values).
import { describeValue } from '../core/describe.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { resolveCastOptions, type RoundingMode } from '../formats/options.js';
import { exponentOf, pow2 } from '../formats/pow2.js';
import { getFormat } from '../formats/registry.js';
import { checkValues, resolveShape, type FloatValues } from './scaled-fp8.js';
import { rejectSharedOut } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

const f32 = Math.fround;

/**
 * Element formats of the OCP MX block formats (MXFP8, MXFP6, MXFP4).
 *
 * @example
 * ```ts
 * quantizeMx(x, { format: 'fp6-e3m2fn' }); // MXFP6
 * ```
 */
export type MxElementFormat = 'fp8-e4m3fn' | 'fp8-e5m2' | 'fp6-e2m3fn' | 'fp6-e3m2fn' | 'fp4-e2m1fn';

const MX_FORMATS: readonly MxElementFormat[] = ['fp8-e4m3fn', 'fp8-e5m2', 'fp6-e2m3fn', 'fp6-e3m2fn', 'fp4-e2m1fn'];

/**
 * The E8M0 code of the NaN scale.
 *
 * @example
 * ```ts
 * quantizeMx(new Float32Array([NaN, 1])).scales[0] === MX_NAN_SCALE; // true
 * ```
 */
export const MX_NAN_SCALE = 0xff;

/**
 * Options of {@link quantizeMx}.
 *
 * @example
 * ```ts
 * quantizeMx(w, { format: 'fp4-e2m1fn', blockSize: 32, rows: 64, cols: 256 });
 * ```
 */
export interface MxOptions {
  /** Element format; default `'fp8-e4m3fn'` (MXFP8). MXFP4 is `'fp4-e2m1fn'`. */
  format?: MxElementFormat;
  /** Values per shared scale; default 32 (the OCP MX block size). Any positive integer is accepted. */
  blockSize?: number;
  /**
   * Rows of row-major data: blocks then run along each row of `cols` values and never straddle two
   * rows (a row's last block may be partial). Default: one row holding everything.
   */
  rows?: number;
  /** Columns of row-major data (see `rows`). */
  cols?: number;
  /** Rounding of the elements: `'nearest-even'` (default, as the spec says), `'toward-zero'`, `'stochastic'`. */
  rounding?: RoundingMode;
  /** Random source for stochastic rounding. */
  random?: () => number;
  /** Seed of the default stochastic-rounding generator. */
  seed?: number;
}

/**
 * Result of {@link quantizeMx}: plain data (typed arrays aside), JSON-friendly.
 *
 * @example
 * ```ts
 * const q: MxQuantized = quantizeMx(new Float32Array(64));
 * q.scales.length; // 2 (one per 32 values)
 * ```
 */
export interface MxQuantized {
  /** Always `'mx'`. */
  scheme: 'mx';
  /** Element format. */
  format: MxElementFormat;
  /** Values per scale. */
  blockSize: number;
  /** Rows (1 for flat data). */
  rows: number;
  /** Columns (the length for flat data). */
  cols: number;
  /** One element code per value (one per byte; pack fp4 codes with `pack4`). */
  codes: Uint8Array;
  /** One E8M0 code per block (value 2^(code − 127); 0xFF = NaN), rows × ceil(cols / blockSize). */
  scales: Uint8Array;
}

function checkMxFormat(format: unknown, fn: string): MxElementFormat {
  const name = format ?? 'fp8-e4m3fn';
  if (!MX_FORMATS.includes(name as MxElementFormat)) {
    throw new RangeError(`${fn}: format must be one of ${MX_FORMATS.join(', ')}, got ${describeValue(format)}`);
  }
  return name as MxElementFormat;
}

function checkBlockSize(b: unknown, fn: string): number {
  if (typeof b !== 'number' || !Number.isSafeInteger(b) || b < 1) {
    throw new RangeError(`${fn}: blockSize must be a positive integer (OCP MX uses 32), got ${describeValue(b)}`);
  }
  return b;
}

/**
 * The E8M0 scale code of a block with largest magnitude `amax` (non-negative, possibly non-finite) for
 * an element format whose largest normal has exponent `emaxElem`.
 *
 * @example
 * ```ts
 * mxScaleCode(6, 2);    // 127 (X = 2^0: 6 fits fp4 e2m1 exactly)
 * mxScaleCode(448, 8);  // 127
 * mxScaleCode(0, 8);    // 0   (all-zero block: 2^-127)
 * mxScaleCode(NaN, 8);  // 255 (NaN scale)
 * ```
 */
export function mxScaleCode(amax: number, emaxElem: number): number {
  if (!(amax >= 0) || amax === Infinity) return MX_NAN_SCALE;
  if (amax === 0) return 0;
  let e = exponentOf(amax) - emaxElem;
  if (e > 127) return MX_NAN_SCALE;
  if (e < -127) e = -127;
  return e + 127;
}

/**
 * Quantizes values to an OCP MX block format (MXFP8 e4m3/e5m2, MXFP6 e2m3/e3m2, MXFP4 e2m1): every
 * block of `blockSize` values shares the E8M0 scale X = 2^(floor(log2(amax)) − emax_elem) and each
 * value is stored as the element code of x / X (nearest, ties to even, saturating at ±max; x / X is
 * exact, so this is the one correctly rounded result). A trailing partial block gets its own scale.
 * See the file header for NaN/Inf/zero blocks. The input is never modified.
 *
 * @example
 * ```ts
 * const q = quantizeMx(new Float32Array([0.5, 1, -3, 6]), { format: 'fp4-e2m1fn' });
 * q.scales;        // Uint8Array [127] (X = 1)
 * q.codes;         // Uint8Array [0x1, 0x2, 0xd, 0x7]
 * dequantizeMx(q); // Float32Array [0.5, 1, -3, 6]
 * ```
 */
export function quantizeMx(x: FloatValues, opts: MxOptions = {}): MxQuantized {
  const fn = 'quantizeMx';
  checkOptionsObject(opts, fn);
  const v = checkValues(x, fn);
  const format = checkMxFormat(opts.format, fn);
  const blockSize = checkBlockSize(opts.blockSize ?? 32, fn);
  const n = v.length;
  const { rows, cols } = resolveShape(n, opts.rows, opts.cols, false, fn);
  const f = getFormat(format);
  const o = resolveCastOptions(f, { rounding: opts.rounding, random: opts.random, seed: opts.seed, overflow: 'saturate' });
  const perRow = Math.ceil(cols / blockSize);
  const scales = new Uint8Array(rows * perRow);
  const codes = new Uint8Array(n);
  const emax = f.maxNormalExponent;
  // no blocks when cols = 0: skip the rows (there may be 2^53 of them)
  for (let r = 0; perRow > 0 && r < rows; r++) {
    for (let b = 0; b < perRow; b++) {
      const start = r * cols + b * blockSize;
      const end = r * cols + Math.min(cols, (b + 1) * blockSize);
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(v[i]);
        if (a > amax) amax = a;
        else if (a !== a) { amax = NaN; break; } // NaN: the whole block gets the NaN scale
      }
      const sc = mxScaleCode(amax, emax);
      scales[r * perRow + b] = sc;
      if (sc === MX_NAN_SCALE) continue; // elements stay 0: the NaN scale makes them all NaN
      const inv = pow2(127 - sc); // 1 / X, exact
      for (let i = start; i < end; i++) codes[i] = encodeGeneric(v[i] * inv, f, o);
    }
  }
  return { scheme: 'mx', format, blockSize, rows, cols, codes, scales };
}

/**
 * Dequantizes the result of {@link quantizeMx}: value = fl32(element · 2^(scale − 127)); a block with
 * the NaN scale (0xFF) reads as NaN throughout, as the OCP MX spec prescribes. A malformed state (wrong
 * lengths, element codes wider than the format), or an `opts.out` that is not a Float32Array of the
 * right length or shares memory with `q.codes`/`q.scales`, is a TypeError/RangeError.
 *
 * @example
 * ```ts
 * const x = new Float32Array(64).map((_, i) => Math.cos(i) * 10);
 * const y = dequantizeMx(quantizeMx(x, { format: 'fp8-e4m3fn' })); // relative error <= 2^-4 per value
 * ```
 */
export function dequantizeMx(q: MxQuantized, opts: { out?: Float32Array } = {}): Float32Array {
  const fn = 'dequantizeMx';
  checkOptionsObject(opts, fn, '{ out }');
  if (q === null || typeof q !== 'object' || q.scheme !== 'mx') throw new TypeError(`${fn}: expected the result of quantizeMx, got ${describeValue(q)}`);
  const format = checkMxFormat(q.format, fn);
  const blockSize = checkBlockSize(q.blockSize, fn);
  if (!(q.codes instanceof Uint8Array)) throw new TypeError(`${fn}: codes must be a Uint8Array, got ${describeValue(q.codes)}`);
  if (!(q.scales instanceof Uint8Array)) throw new TypeError(`${fn}: scales must be a Uint8Array of E8M0 codes, got ${describeValue(q.scales)}`);
  const n = q.codes.length;
  const { rows, cols } = resolveShape(n, q.rows, q.cols, false, fn);
  const perRow = Math.ceil(cols / blockSize);
  if (q.scales.length !== rows * perRow) throw new RangeError(`${fn}: scales must have rows × ceil(cols / blockSize) = ${rows * perRow} entries, got ${q.scales.length}`);
  const f = getFormat(format);
  const size = 2 ** f.bits;
  const table = new Float64Array(size);
  for (let c = 0; c < size; c++) table[c] = decodeGeneric(c, f);
  let out = opts?.out;
  if (out === undefined) out = new Float32Array(n);
  else if (!(out instanceof Float32Array) || out.length !== n) throw new RangeError(`${fn}: out must be a Float32Array of ${n} elements, got ${describeValue(out)}`);
  else rejectSharedOut(out, fn, { 'q.codes': q.codes, 'q.scales': q.scales });
  // no blocks when cols = 0: skip the rows (there may be 2^53 of them)
  for (let r = 0; perRow > 0 && r < rows; r++) {
    for (let b = 0; b < perRow; b++) {
      const sc = q.scales[r * perRow + b];
      const X = sc === MX_NAN_SCALE ? NaN : pow2(sc - 127);
      const start = r * cols + b * blockSize;
      const end = r * cols + Math.min(cols, (b + 1) * blockSize);
      for (let i = start; i < end; i++) {
        const c = q.codes[i];
        if (c >= size) throw new RangeError(`${fn}: codes[${i}] = ${c} is not a ${f.name} code (${f.bits} bits)`);
        out[i] = f32(table[c] * X);
      }
    }
  }
  return out;
}
