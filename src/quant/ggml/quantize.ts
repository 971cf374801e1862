// quantizeGgml: llama.cpp's quantization types, bit for bit what ggml's C reference quantizers
// (`quantize_row_<type>_ref`, ggml-org/ggml d99724f2 src/ggml-quants.c) write, row by row. This file
// checks the arguments, rounds float64 inputs to float32 (ggml quantizes float32) and runs the type's
// WebAssembly SIMD kernel (quantize-wasm.ts, src/wasm/ggml-quant.ts) or, for short inputs and where
// WebAssembly SIMD is unavailable, its reference twin (reference.ts). docs/ggml.md has the rules.
import { describeValue } from '../../core/describe.js';
import { checkOptionsObject } from '../../core/options.js';
import { GGML_TYPES, resolveTypeIn } from './types.js';
import { REFERENCE_QUANTIZERS } from './reference.js';
import { quantizeWasm, WASM_UNAVAILABLE } from './quantize-wasm.js';

/**
 * The ggml types {@link quantizeGgml} writes.
 *
 * @example
 * ```ts
 * const t: GgmlQuantType = 'Q4_K';
 * ```
 */
export type GgmlQuantType =
  | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q8_1'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K'
  | 'MXFP4' | 'IQ4_NL' | 'IQ4_XS' | 'TQ1_0' | 'TQ2_0';

/**
 * Every type {@link quantizeGgml} accepts, in ggml's id order.
 *
 * @example
 * ```ts
 * import { GGML_QUANT_TYPES } from 'lowp/quant';
 * GGML_QUANT_TYPES.includes('Q6_K'); // true
 * ```
 */
export const GGML_QUANT_TYPES: readonly GgmlQuantType[] = Object.freeze([
  'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q8_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K',
  'IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4',
] as const);

/**
 * Options of {@link quantizeGgml}.
 *
 * @example
 * ```ts
 * quantizeGgml(weights, 'Q4_K', { rowLength: 4096 }); // a [rows, 4096] matrix, row by row
 * ```
 */
export interface QuantizeGgmlOptions {
  /**
   * Values per row; default: all values are one row. Rows are quantized independently (as ggml does
   * for each row of a tensor) and must be whole blocks: a multiple of 32 for Q4_0…Q8_1, MXFP4 and
   * IQ4_NL, of 256 for the K-quants, IQ4_XS and TQ1_0/TQ2_0. `values.length` must be a multiple of it.
   */
  rowLength?: number;
}

const FN = 'quantizeGgml';

/**
 * Below this many values the TypeScript row quantizers run: the WebAssembly path's setup and copies
 * cost more than its kernels save on a block or two.
 */
const WASM_MIN_VALUES = 256;

/**
 * Resolves a type name (case-insensitive) to a supported type, or throws saying which are.
 *
 * @internal
 */
export function resolveQuantType(type: unknown, fn: string): GgmlQuantType {
  return resolveTypeIn(type, GGML_QUANT_TYPES, fn, (t) =>
    `cannot quantize to ${t.name}: ${
      t.quantized ? 'lowp has no quantizer for it yet (the IQ1/IQ2/IQ3 grid types and NVFP4, Q1_0, Q2_0 are not implemented)' : 'it is a plain, unquantized type'
    }`,
  );
}

/**
 * The values as float32, checked finite: a Float32Array as it is (never written), a Float64Array or an
 * array of numbers rounded to float32 (nearest, ties to even: what a C caller's `(float)` cast does).
 *
 * @internal
 */
export function toFloat32Values(values: unknown, fn: string): Float32Array {
  if (values instanceof Float32Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v !== 0) throw nonFinite(fn, i, v);
    }
    return values;
  }
  const isF64 = values instanceof Float64Array;
  if (!isF64 && !Array.isArray(values)) {
    throw new TypeError(`${fn}: values must be a Float32Array, a Float64Array or an array of numbers, got ${describeValue(values)}`);
  }
  const src = values as ArrayLike<unknown>;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (typeof v !== 'number') throw new TypeError(`${fn}: values must hold numbers, got ${describeValue(v)} at index ${i}`);
    if (v - v !== 0) throw nonFinite(fn, i, v);
    const r = Math.fround(v);
    if (r - r !== 0) {
      throw new RangeError(`${fn}: values[${i}] = ${v} overflows float32 (ggml quantizes float32 values; its largest finite is 3.4028234663852886e38)`);
    }
    out[i] = r;
  }
  return out;
}

function nonFinite(fn: string, i: number, v: number): RangeError {
  return new RangeError(`${fn}: values[${i}] is ${v}; expected finite values (ggml's quantizers are undefined for NaN and infinity)`);
}

/**
 * Checks rowLength against the type's block size and the length; returns the row length.
 *
 * @internal
 */
export function resolveRowLength(options: QuantizeGgmlOptions | undefined, length: number, type: GgmlQuantType, fn: string): number {
  const block = GGML_TYPES[type].blockSize;
  const given = options?.rowLength;
  const row = given ?? length;
  if (given !== undefined && (typeof given !== 'number' || !Number.isSafeInteger(given) || given < 1)) {
    throw new RangeError(`${fn}: rowLength must be a positive integer, got ${describeValue(given)}`);
  }
  if (row % block !== 0) {
    throw new RangeError(
      `${fn}: ${type} quantizes whole blocks of ${block} values, so a row must hold a multiple of ${block} values; ` +
        `got a row of ${row} values${given === undefined ? ' (all values as one row: pass rowLength for a matrix)' : ''}. lowp never pads a row`,
    );
  }
  if (given !== undefined && length % given !== 0) {
    throw new RangeError(`${fn}: values.length (${length}) must be a multiple of rowLength (${given})`);
  }
  return row;
}

/**
 * Quantizes float values to one of llama.cpp's ggml types, bit for bit what ggml's C reference
 * quantizer `quantize_row_<type>_ref` writes (ggml-org/ggml d99724f2), row by row: the K-quants' scale
 * searches included, each type's own rounding, fp16 block scales rounded to nearest even. The result
 * is the blocks of every row, rows concatenated: the bytes a GGUF tensor of that type holds.
 *
 * - `values`: a Float32Array is quantized as it is; a Float64Array or an array of numbers is rounded
 *   to float32 first (nearest, ties to even), exactly as a C caller's `(float)` cast would, since ggml
 *   quantizes float32. Inputs are never written.
 * - `type`: a ggml type name, any case: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K,
 *   Q6_K, Q8_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4 ({@link GGML_QUANT_TYPES}).
 * - `options.rowLength`: values per row (default: one row of everything); rows must be whole blocks
 *   (a `RangeError` otherwise, never padding).
 *
 * NaN and ±infinity (undefined behaviour in ggml's C) are refused with a `RangeError` naming the
 * index. The importance-matrix (imatrix) variants are not implemented. Without an imatrix,
 * `llama-quantize` writes these very bytes for every type here except IQ4_NL, whose
 * `quantize_iq4_nl` searches 15 scales where `quantize_row_iq4_nl_ref` makes one pass (docs/ggml.md).
 *
 * @example
 * ```ts
 * import { quantizeGgml } from 'lowp/quant';
 * const w = new Float32Array(512).map((_, i) => Math.sin(i));
 * quantizeGgml(w, 'Q8_0').length;                      // 544 (16 blocks of 34 bytes)
 * quantizeGgml(w, 'q4_k', { rowLength: 256 }).length;  // 288 (2 rows of one 144-byte block)
 * ```
 */
export function quantizeGgml(values: Float32Array | Float64Array | readonly number[], type: string, options?: QuantizeGgmlOptions): Uint8Array {
  const t = resolveQuantType(type, FN);
  checkOptionsObject(options, FN, '{ rowLength: 4096 }');
  if (!(values instanceof Float32Array || values instanceof Float64Array || Array.isArray(values))) {
    throw new TypeError(`${FN}: values must be a Float32Array, a Float64Array or an array of numbers, got ${describeValue(values)}`);
  }
  const length = values.length;
  const row = resolveRowLength(options, length, t, FN);
  const info = GGML_TYPES[t];
  const rowBytes = (row / info.blockSize) * info.typeSize;
  const rows = row === 0 ? 0 : length / row;
  const y = new Uint8Array(rows * rowBytes);
  // a Float32Array goes to the kernels as it is (they check finiteness on the way); other inputs are
  // rounded to float32 (and checked) first
  const x = values instanceof Float32Array ? values : toFloat32Values(values, FN);
  if (x.length >= WASM_MIN_VALUES) {
    const r = quantizeWasm(t, x, y, row);
    if (r >= 0) throw nonFinite(FN, r, x[r]);
    if (r !== WASM_UNAVAILABLE) return y;
  }
  if (x === values) toFloat32Values(x, FN);
  const q = REFERENCE_QUANTIZERS[t];
  for (let r = 0; r < rows; r++) q(x, r * row, y, r * rowBytes, row);
  return y;
}
