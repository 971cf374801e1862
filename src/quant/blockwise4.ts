// bitsandbytes' 4-bit blockwise quantization (`bitsandbytes.functional.quantize_4bit` /
// `dequantize_4bit`, QLoRA: Dettmers et al. 2023), NF4 and bitsandbytes' own FP4 (called 'bnb-fp4'
// here: it is not OCP E2M1), reproducing its reference ("default" backend) arithmetic bit for bit:
// the same float32 block scaling as the 8-bit quantizer (src/quant/blockwise.ts), then the nearest of 16
// table entries — torch.bucketize against float32 midpoints of the SORTED table (a value on a midpoint
// goes to the lower entry), mapped back to the code's index in the table (FP4's table is in bit-pattern
// order; ties between its two zero entries resolve like PyTorch's stable argsort). Codes are packed two
// per byte, the FIRST value in the HIGH nibble; an odd count is padded with the code of 0.
// Dequantization is fl32(table[code] · absmax). Nested ("compress_statistics") quantization stores the
// absmax values 8-bit blockwise (blocksize 256) after subtracting their mean. Tested against
// tests/fixtures `blockwise-bitsandbytes` (bitsandbytes 0.50 output).
import { describeValue } from '../core/describe.js';
import {
  bucketize, checkBlocksize, checkState, midpoints, nestAbsmax, outArray, scaleBlocks, toFloat32Source,
  type BlockwiseSource, type DequantizeOptions, type NestedAbsmax,
} from './blockwise.js';
import { bnbFp4Table, nf4Table } from './codebooks.js';
import { rejectSharedOut } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

const f32 = Math.fround;

/**
 * Blocksizes bitsandbytes accepts for 4-bit quantization.
 *
 * @example
 * ```ts
 * BLOCKWISE_4BIT_BLOCKSIZES[0]; // 32
 * ```
 */
export const BLOCKWISE_4BIT_BLOCKSIZES: readonly number[] = Object.freeze([32, 64, 128, 256, 512, 1024, 2048, 4096]);

/**
 * The 4-bit code tables: NF4 (normal quantiles) and bitsandbytes' FP4 (not OCP E2M1).
 *
 * @example
 * ```ts
 * quantize4bit(x, { quantType: 'bnb-fp4' });
 * ```
 */
export type QuantType4bit = 'nf4' | 'bnb-fp4';

/**
 * Result of {@link quantize4bit}: plain data (typed arrays aside), JSON-friendly.
 *
 * @example
 * ```ts
 * const q: Blockwise4bitQuantized = quantize4bit(new Float32Array(6144));
 * q.packed.length;  // 3072
 * q.absmax!.length; // 96 (blocksize 64)
 * ```
 */
export interface Blockwise4bitQuantized {
  /** Always `'bnb-4bit'`. */
  scheme: 'bnb-4bit';
  /** The code table used. */
  quantType: QuantType4bit;
  /** Number of quantized values. */
  length: number;
  /** Values per block (the last block may be shorter). */
  blocksize: number;
  /** ceil(length / 2) bytes, two codes each, the first value in the high nibble (bitsandbytes' layout). */
  packed: Uint8Array;
  /** The float32 absmax of each block, or undefined when `nested` holds them. */
  absmax?: Float32Array;
  /** The double-quantized absmax values (blocksize 256), when quantized with `nested: true`. */
  nested?: NestedAbsmax;
  /** The 16-entry table: code k decodes to code[k] · absmax. */
  code: Float32Array;
}

/**
 * Options of {@link quantize4bit}.
 *
 * @example
 * ```ts
 * quantize4bit(x, { quantType: 'nf4', blocksize: 128, nested: true });
 * ```
 */
export interface Quantize4bitOptions {
  /** `'nf4'` (default) or `'bnb-fp4'`. */
  quantType?: QuantType4bit;
  /** Values per block: 32, 64, …, 4096 (powers of two); default 64. */
  blocksize?: number;
  /** Also quantize the absmax values (bitsandbytes' `compress_statistics=True`); default false. */
  nested?: boolean;
}

interface Table4 {
  code: Float32Array;
  bounds: Float32Array;
  /** sorted position → code */
  order: Uint8Array;
}

const TABLES = new Map<QuantType4bit, Table4>();

function table4(t: QuantType4bit): Table4 {
  let hit = TABLES.get(t);
  if (!hit) {
    const code = t === 'nf4' ? nf4Table() : bnbFp4Table();
    // stable argsort (equal values keep index order, like PyTorch's CPU sort)
    const idx = Array.from({ length: code.length }, (_, i) => i).sort((a, b) => code[a] - code[b] || a - b);
    const sorted = Float32Array.from(idx, (i) => code[i]);
    hit = { code, bounds: midpoints(sorted), order: Uint8Array.from(idx) };
    TABLES.set(t, hit);
  }
  return hit;
}

function checkQuantType(t: unknown, fn: string): QuantType4bit {
  if (t === 'nf4' || t === 'bnb-fp4') return t;
  if (t === 'fp4') {
    throw new RangeError(`${fn}: quantType 'fp4' is ambiguous: bitsandbytes' FP4 is 'bnb-fp4' (not OCP E2M1; for OCP fp4 use quantizeMx with format 'fp4-e2m1fn')`);
  }
  throw new RangeError(`${fn}: quantType must be 'nf4' or 'bnb-fp4', got ${describeValue(t)}`);
}

/**
 * Quantizes values to 4-bit NF4 or bitsandbytes-FP4 codes in blocks sharing a float32 absmax,
 * bit-compatible with `bitsandbytes.functional.quantize_4bit(A, blocksize, quant_type=...)`:
 * same codes (packed two per byte, first value in the high nibble), same absmax.
 *
 * Inputs are rounded to float32 first; NaN or ±Infinity is a `RangeError`. The input is never
 * modified. `nested: true` is bitsandbytes' `compress_statistics`: absmax − mean(absmax) is quantized
 * 8-bit blockwise with blocksize 256 (the mean is computed in float64 and rounded to float32, which may
 * differ from PyTorch's float32 accumulation in its last bit).
 *
 * @example
 * ```ts
 * const q = quantize4bit(new Float32Array([1, -0.5, 0.25]), { blocksize: 64 });
 * q.packed;          // Uint8Array [0xf2, 0xa7]: codes 15, 2, 10 and a pad nibble 7 (NF4 zero)
 * dequantize4bit(q); // Float32Array [1, -0.5250730514526367, 0.24611230194568634]
 * ```
 */
export function quantize4bit(x: BlockwiseSource, opts: Quantize4bitOptions = {}): Blockwise4bitQuantized {
  const fn = 'quantize4bit';
  checkOptionsObject(opts, fn);
  const quantType = checkQuantType(opts.quantType ?? 'nf4', fn);
  const blocksize = checkBlocksize(opts.blocksize ?? 64, BLOCKWISE_4BIT_BLOCKSIZES, fn);
  const nested = opts.nested ?? false;
  if (typeof nested !== 'boolean') throw new TypeError(`${fn}: nested must be a boolean, got ${describeValue(nested)}`);
  const v = toFloat32Source(x, fn);
  const { code, bounds, order } = table4(quantType);
  const n = v.length;
  const packed = new Uint8Array(Math.ceil(n / 2));
  const absmax = scaleBlocks(v, blocksize, (i, s) => {
    const c = order[bucketize(s, bounds)];
    if ((i & 1) === 0) packed[i >> 1] = c << 4;
    else packed[i >> 1] |= c;
  });
  if (n & 1) packed[n >> 1] |= order[bucketize(0, bounds)]; // bitsandbytes pads the scaled values with 0
  const q: Blockwise4bitQuantized = { scheme: 'bnb-4bit', quantType, length: n, blocksize, packed, code: code.slice() };
  if (nested) q.nested = nestAbsmax(absmax, 256);
  else q.absmax = absmax;
  return q;
}

/**
 * Dequantizes the result of {@link quantize4bit}: value i = fl32(code[nibble i] · absmax[block]),
 * bit-identical to bitsandbytes' `dequantize_4bit` in float32 (cast the result to fp16/bf16 as
 * bitsandbytes does for such dtypes with `encodeArray`). A malformed state (wrong lengths, NaN,
 * negative or infinite absmax, a wrong table) is a TypeError/RangeError.
 *
 * @example
 * ```ts
 * const x = new Float32Array(64).map((_, i) => Math.sin(i));
 * const y = dequantize4bit(quantize4bit(x)); // NF4 round trip, error <= half a code gap
 * ```
 */
export function dequantize4bit(q: Blockwise4bitQuantized, opts: DequantizeOptions = {}): Float32Array {
  const fn = 'dequantize4bit';
  checkOptionsObject(opts, fn, '{ out }');
  const { length, blocksize, absmax } = checkState(q, 'bnb-4bit', BLOCKWISE_4BIT_BLOCKSIZES, fn);
  checkQuantType(q.quantType, fn);
  const code = q.code;
  if (!(code instanceof Float32Array) || code.length !== 16) throw new TypeError(`${fn}: code must be a 16-entry Float32Array, got ${describeValue(code)}`);
  for (let k = 0; k < 16; k++) if (!Number.isFinite(code[k])) throw new RangeError(`${fn}: code[${k}] is ${code[k]}; the table must be finite`);
  const packed = q.packed;
  if (!(packed instanceof Uint8Array)) throw new TypeError(`${fn}: packed must be a Uint8Array, got ${describeValue(packed)}`);
  if (packed.length !== Math.ceil(length / 2)) {
    throw new RangeError(`${fn}: packed must hold ceil(${length} / 2) = ${Math.ceil(length / 2)} bytes (two 4-bit codes each), got ${packed.length}`);
  }
  const out = outArray(opts?.out, length, fn);
  rejectSharedOut(out, fn, { 'q.packed': packed, 'q.code': code, absmax });
  for (let i = 0; i < length; i++) {
    const byte = packed[i >> 1];
    const c = (i & 1) === 0 ? byte >> 4 : byte & 15;
    out[i] = f32(code[c] * absmax[Math.floor(i / blocksize)]);
  }
  return out;
}
