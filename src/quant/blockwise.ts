// bitsandbytes' blockwise 8-bit quantization (`bitsandbytes.functional.quantize_blockwise` /
// `dequantize_blockwise`, Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization"),
// reproducing the arithmetic of its reference ("default", pure PyTorch) backend bit for bit:
// the input is flattened and rounded to float32; blocks of `blocksize` values share one float32 absmax;
// a full block is scaled by x · fl32(1/absmax) (PyTorch's `1.0 / t` is a reciprocal then a multiply), the
// trailing partial block by the true quotient x / absmax; the scaled value is clamped to [−1, 1] and
// mapped to the nearest entry of a sorted code table — torch.bucketize against the float32 midpoints of
// neighbouring entries, so a value exactly on a midpoint goes to the LOWER entry. A zero block never
// divides by zero: the divisor is clamped to fl32(1e-38) (the stored absmax of a full zero block stays 0;
// a partial block stores the clamped value, as bitsandbytes does). Dequantization is
// fl32(code[q] · absmax). Nested ("double") quantization stores the absmax values themselves
// blockwise-quantized, after subtracting their mean. Tested against tests/fixtures
// `blockwise-bitsandbytes` (bitsandbytes 0.50 output).
import { describeValue } from '../core/describe.js';
import { dynamicTable } from './codebooks.js';
import { rejectSharedOut } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

const f32 = Math.fround;
/** fl32(1e-38): the clamp bitsandbytes applies to a block's absmax before dividing by it. */
const MIN_ABSMAX = /* @__PURE__ */ Math.fround(1e-38);

/**
 * Blocksizes bitsandbytes accepts for 8-bit blockwise quantization.
 *
 * @example
 * ```ts
 * BLOCKWISE_8BIT_BLOCKSIZES.includes(4096); // true
 * ```
 */
export const BLOCKWISE_8BIT_BLOCKSIZES: readonly number[] = Object.freeze([64, 128, 256, 512, 1024, 2048, 4096]);

/**
 * The absmax values of a nested (double-quantized) state: stored as 8-bit dynamic codes, blockwise
 * quantized themselves after subtracting their mean (`offset`). A block's absmax is recovered as
 * fl32(dequantized + offset).
 *
 * @example
 * ```ts
 * const q = quantizeBlockwise(x, { blocksize: 256, nested: true });
 * q.nested!.offset; // mean of the block absmax values
 * blockwiseAbsmax(q); // recovered absmax per block
 * ```
 */
export interface NestedAbsmax {
  /** The float32 mean of the absmax values, subtracted before quantizing them. */
  offset: number;
  /** Blocksize of the second-level quantization. */
  blocksize: number;
  /** One dynamic-map code per first-level block. */
  codes: Uint8Array;
  /** The float32 absmax of each second-level block. */
  absmax: Float32Array;
}

/**
 * Result of {@link quantizeBlockwise}: plain data (typed arrays aside), JSON-friendly.
 *
 * @example
 * ```ts
 * const q: BlockwiseQuantized = quantizeBlockwise(new Float32Array(5000), { blocksize: 256 });
 * q.codes.length;  // 5000
 * q.absmax!.length; // 20
 * ```
 */
export interface BlockwiseQuantized {
  /** Always `'bnb-blockwise-8bit'`. */
  scheme: 'bnb-blockwise-8bit';
  /** Number of quantized values. */
  length: number;
  /** Values per block (the last block may be shorter). */
  blocksize: number;
  /** One code (an index into `code`) per value. */
  codes: Uint8Array;
  /** The float32 absmax of each block, or undefined when `nested` holds them. */
  absmax?: Float32Array;
  /** The double-quantized absmax values, when quantized with `nested: true`. */
  nested?: NestedAbsmax;
  /** The sorted code table the codes index (the 256-entry dynamic map by default). */
  code: Float32Array;
}

/**
 * Options of {@link quantizeBlockwise}.
 *
 * @example
 * ```ts
 * quantizeBlockwise(x, { blocksize: 256, nested: true });
 * ```
 */
export interface BlockwiseOptions {
  /** Values per block: 64, 128, 256, 512, 1024, 2048 or 4096; default 4096 (bitsandbytes' default). */
  blocksize?: number;
  /**
   * The code table: ascending, finite, at most 256 entries (a code is an index into it). Default: the
   * signed dynamic map (`createDynamicMap()`).
   */
  code?: Float32Array | readonly number[];
  /** Also quantize the absmax values (bitsandbytes' `nested=True`); default false. */
  nested?: boolean;
}

/**
 * Accepted value sources of the blockwise quantizers.
 *
 * @example
 * ```ts
 * quantizeBlockwise([0.5, -1, 2], { blocksize: 64 }); // number[] works too
 * ```
 */
export type BlockwiseSource = Float32Array | Float64Array | readonly number[];

/**
 * @internal checks the source and returns its values rounded to float32 (PyTorch's `.float()`): a
 * Float32Array source itself (read only: the quantizers never write to it), else a new Float32Array.
 */
export function toFloat32Source(x: unknown, fn: string): Float32Array {
  if (!(x instanceof Float32Array) && !(x instanceof Float64Array) && !Array.isArray(x)) {
    throw new TypeError(`${fn}: expected a Float32Array, Float64Array or number[] of values, got ${describeValue(x)}`);
  }
  const n = x.length;
  let out: Float32Array;
  if (x instanceof Float32Array) out = x;
  else if (x instanceof Float64Array) out = Float32Array.from(x);
  else {
    for (let i = 0; i < n; i++) {
      if (typeof x[i] !== 'number') throw new TypeError(`${fn}: element ${i} must be a number, got ${describeValue(x[i])}`);
    }
    out = Float32Array.from(x as readonly number[]);
  }
  for (let i = 0; i < n; i++) {
    const r = out[i];
    if (r - r !== 0) {
      const v = (x as ArrayLike<number>)[i];
      throw new RangeError(`${fn}: element ${i} is ${v}${Number.isFinite(v) ? ' (beyond the float32 range)' : ''}; blockwise quantization needs finite float32 values (its code tables have no NaN or infinity)`);
    }
  }
  return out;
}

/** @internal validates a blocksize against an allowed list. */
export function checkBlocksize(b: unknown, allowed: readonly number[], fn: string): number {
  if (typeof b !== 'number' || !allowed.includes(b)) {
    throw new RangeError(`${fn}: blocksize must be one of ${allowed.join(', ')} (as bitsandbytes allows), got ${describeValue(b)}`);
  }
  return b;
}

/** @internal the float32 midpoints bitsandbytes compares against: fl32(fl32(a + b) / 2). */
export function midpoints(sorted: Float32Array): Float32Array {
  const b = new Float32Array(Math.max(0, sorted.length - 1));
  for (let i = 0; i < b.length; i++) b[i] = f32(f32(sorted[i] + sorted[i + 1]) / 2);
  return b;
}

/** @internal torch.bucketize(x, bounds) (right=False): the number of bounds strictly below x. */
export function bucketize(x: number, bounds: Float32Array): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @internal The blockwise core shared by the 8-bit and 4-bit quantizers: computes each block's absmax
 * and calls `emit(i, scaled)` with every value scaled into [−1, 1] exactly as bitsandbytes' default
 * backend does. Returns the per-block absmax as bitsandbytes stores it.
 */
export function scaleBlocks(x: Float32Array, blocksize: number, emit: (i: number, scaled: number) => void): Float32Array {
  const n = x.length;
  const nblocks = Math.ceil(n / blocksize);
  const full = Math.floor(n / blocksize);
  const absmax = new Float32Array(nblocks);
  for (let b = 0; b < nblocks; b++) {
    const start = b * blocksize;
    const end = Math.min(n, start + blocksize);
    let am = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(x[i]);
      if (a > am) am = a;
    }
    const clamped = am < MIN_ABSMAX ? MIN_ABSMAX : am;
    if (b < full) {
      const r = f32(1 / clamped);
      for (let i = start; i < end; i++) {
        let s = f32(x[i] * r);
        if (s > 1) s = 1;
        else if (s < -1) s = -1;
        emit(i, s);
      }
      absmax[b] = am;
    } else {
      for (let i = start; i < end; i++) {
        let s = f32(x[i] / clamped);
        if (s > 1) s = 1;
        else if (s < -1) s = -1;
        emit(i, s);
      }
      absmax[b] = clamped;
    }
  }
  return absmax;
}

function checkCodeTable(code: unknown, fn: string): Float32Array {
  if (!(code instanceof Float32Array) && !(code instanceof Float64Array) && !Array.isArray(code)) {
    throw new TypeError(`${fn}: code must be a Float32Array or number[] of sorted values, got ${describeValue(code)}`);
  }
  const n = code.length;
  if (n < 2 || n > 256) throw new RangeError(`${fn}: code must have 2 to 256 entries (codes are bytes), got ${n}`);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = (code as ArrayLike<unknown>)[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${fn}: code[${i}] must be a finite number, got ${describeValue(v)}`);
    t[i] = f32(v);
    if (i > 0 && t[i] < t[i - 1]) throw new RangeError(`${fn}: code must be sorted ascending (bitsandbytes assumes it), but code[${i}] = ${t[i]} < code[${i - 1}] = ${t[i - 1]}`);
  }
  return t;
}

/** float32 mean of float32 values (accumulated in float64, rounded once). */
function meanF32(a: Float32Array): number {
  if (a.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return f32(s / a.length);
}

/** @internal quantizes absmax values the nested way: (absmax − mean) blockwise with the dynamic map. */
export function nestAbsmax(absmax: Float32Array, blocksize: number): NestedAbsmax {
  const offset = meanF32(absmax);
  const centred = new Float32Array(absmax.length);
  for (let i = 0; i < absmax.length; i++) centred[i] = f32(absmax[i] - offset);
  const table = dynamicTable();
  const bounds = midpoints(table);
  const codes = new Uint8Array(centred.length);
  const am = scaleBlocks(centred, blocksize, (i, s) => { codes[i] = bucketize(s, bounds); });
  return { offset, blocksize, codes, absmax: am };
}

function checkFloat32Array(a: unknown, len: number, what: string, fn: string): Float32Array {
  if (!(a instanceof Float32Array)) throw new TypeError(`${fn}: ${what} must be a Float32Array, got ${describeValue(a)}`);
  if (a.length !== len) throw new RangeError(`${fn}: ${what} must have ${len} entries, got ${a.length}`);
  return a;
}

function checkScales(a: Float32Array, what: string, fn: string, allowNegative: boolean): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isFinite(v) || (!allowNegative && v < 0)) {
      throw new RangeError(`${fn}: ${what}[${i}] is ${v}; block scales must be finite${allowNegative ? '' : ' and non-negative'}`);
    }
  }
}

/** Validates a nested absmax record and returns the recovered float32 absmax values. */
function unnestAbsmax(nested: unknown, nblocks: number, fn: string): Float32Array {
  if (nested === null || typeof nested !== 'object') throw new TypeError(`${fn}: nested must be an object, got ${describeValue(nested)}`);
  const ns = nested as NestedAbsmax;
  if (typeof ns.offset !== 'number' || !Number.isFinite(ns.offset)) throw new RangeError(`${fn}: nested.offset must be a finite number, got ${describeValue(ns.offset)}`);
  if (typeof ns.blocksize !== 'number' || !Number.isInteger(ns.blocksize) || ns.blocksize < 1) {
    throw new RangeError(`${fn}: nested.blocksize must be a positive integer, got ${describeValue(ns.blocksize)}`);
  }
  if (!(ns.codes instanceof Uint8Array)) throw new TypeError(`${fn}: nested.codes must be a Uint8Array, got ${describeValue(ns.codes)}`);
  if (ns.codes.length !== nblocks) throw new RangeError(`${fn}: nested.codes must have one code per block (${nblocks}), got ${ns.codes.length}`);
  const inner = Math.ceil(nblocks / ns.blocksize);
  checkFloat32Array(ns.absmax, inner, 'nested.absmax', fn);
  checkScales(ns.absmax, 'nested.absmax', fn, false);
  const table = dynamicTable();
  const out = new Float32Array(nblocks);
  for (let i = 0; i < nblocks; i++) {
    out[i] = f32(f32(table[ns.codes[i]] * ns.absmax[Math.floor(i / ns.blocksize)]) + ns.offset);
  }
  checkScales(out, 'recovered absmax', fn, true);
  return out;
}

/**
 * The validated block absmax values of a state: recovered from `nested` when there is one (a new
 * array), else `absmax` itself (finite, non-negative, one per block).
 */
function stateAbsmax(absmax: unknown, nested: unknown, nblocks: number, fn: string): Float32Array {
  if (nested !== undefined) return unnestAbsmax(nested, nblocks, fn);
  const a = checkFloat32Array(absmax, nblocks, 'absmax', fn);
  checkScales(a, 'absmax', fn, false);
  return a;
}

/**
 * Quantizes values blockwise to 8-bit codes of a sorted code table (by default bitsandbytes' dynamic
 * map), bit-compatible with `bitsandbytes.functional.quantize_blockwise(A, blocksize=...)`.
 *
 * Inputs are rounded to float32 first (bitsandbytes computes in float32); NaN or ±Infinity is a
 * `RangeError` (the tables have no such codes). The input is never modified. With `nested: true` the
 * absmax values are themselves quantized (their mean subtracted, then 8-bit blockwise with the same
 * blocksize, as bitsandbytes' `nested=True`); the offset is the float32 mean computed in float64,
 * which may differ from PyTorch's float32 accumulation in its last bit.
 *
 * @param x - the values (any length; the last block may be partial and gets its own absmax).
 * @example
 * ```ts
 * const q = quantizeBlockwise(new Float32Array([0.5, -1, 0.25, 0]), { blocksize: 64 });
 * q.absmax;                 // Float32Array [1]
 * dequantizeBlockwise(q);   // Float32Array [0.50078..., -0.99296..., 0.24765..., 0]
 * ```
 */
export function quantizeBlockwise(x: BlockwiseSource, opts: BlockwiseOptions = {}): BlockwiseQuantized {
  const fn = 'quantizeBlockwise';
  checkOptionsObject(opts, fn);
  const blocksize = checkBlocksize(opts.blocksize ?? 4096, BLOCKWISE_8BIT_BLOCKSIZES, fn);
  const nested = opts.nested ?? false;
  if (typeof nested !== 'boolean') throw new TypeError(`${fn}: nested must be a boolean, got ${describeValue(nested)}`);
  const code = opts.code === undefined ? dynamicTable().slice() : checkCodeTable(opts.code, fn);
  const v = toFloat32Source(x, fn);
  const bounds = midpoints(code);
  const codes = new Uint8Array(v.length);
  const absmax = scaleBlocks(v, blocksize, (i, s) => { codes[i] = bucketize(s, bounds); });
  const q: BlockwiseQuantized = { scheme: 'bnb-blockwise-8bit', length: v.length, blocksize, codes, code };
  if (nested) q.nested = nestAbsmax(absmax, blocksize);
  else q.absmax = absmax;
  return q;
}

/**
 * The float32 absmax of every block of a blockwise-quantized state (8-bit or 4-bit), recovering them
 * from the nested quantization when there is one.
 *
 * @example
 * ```ts
 * const q = quantizeBlockwise(new Float32Array(300).fill(2), { blocksize: 256, nested: true });
 * blockwiseAbsmax(q); // Float32Array [2, 2] (recovered from the nested codes)
 * ```
 */
export function blockwiseAbsmax(q: { length: number; blocksize: number; absmax?: Float32Array; nested?: NestedAbsmax }): Float32Array {
  const fn = 'blockwiseAbsmax';
  if (q === null || typeof q !== 'object') throw new TypeError(`${fn}: expected a quantized state, got ${describeValue(q)}`);
  const a = stateAbsmax(q.absmax, q.nested, Math.ceil(q.length / q.blocksize), fn);
  return q.nested !== undefined ? a : a.slice();
}

/** @internal common header checks of a quantized state. */
export function checkState(q: unknown, scheme: string, allowed: readonly number[], fn: string): { length: number; blocksize: number; absmax: Float32Array } {
  if (q === null || typeof q !== 'object') throw new TypeError(`${fn}: expected the result of the matching quantize function, got ${describeValue(q)}`);
  const s = q as { scheme?: unknown; length?: unknown; blocksize?: unknown; absmax?: unknown; nested?: unknown };
  if (s.scheme !== scheme) throw new TypeError(`${fn}: expected a state with scheme '${scheme}', got ${describeValue(s.scheme)}`);
  if (typeof s.length !== 'number' || !Number.isSafeInteger(s.length) || s.length < 0) {
    throw new RangeError(`${fn}: length must be a non-negative integer, got ${describeValue(s.length)}`);
  }
  const blocksize = checkBlocksize(s.blocksize, allowed, fn);
  if (s.nested !== undefined && s.absmax !== undefined) throw new TypeError(`${fn}: a state has either absmax or nested, not both`);
  return { length: s.length, blocksize, absmax: stateAbsmax(s.absmax, s.nested, Math.ceil(s.length / blocksize), fn) };
}

/**
 * Options of the dequantize functions.
 *
 * @example
 * ```ts
 * const out = new Float32Array(q.length);
 * dequantizeBlockwise(q, { out }); // fills out
 * ```
 */
export interface DequantizeOptions {
  /** Destination of exactly `q.length` values, sharing no memory with the state's arrays; default a new Float32Array. */
  out?: Float32Array;
}

/** @internal validates or allocates the output array. */
export function outArray(out: unknown, n: number, fn: string): Float32Array {
  if (out === undefined) return new Float32Array(n);
  if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: out must be a Float32Array, got ${describeValue(out)}`);
  if (out.length !== n) throw new RangeError(`${fn}: out must have ${n} elements, got ${out.length}`);
  return out;
}

/**
 * Dequantizes the result of {@link quantizeBlockwise}: value i = fl32(code[codes[i]] · absmax[block]),
 * bit-identical to `bitsandbytes.functional.dequantize_blockwise` in float32. A malformed state (wrong
 * lengths, NaN/negative/infinite absmax, codes beyond the table) is a TypeError/RangeError.
 *
 * @example
 * ```ts
 * const x = new Float32Array([3, -1.5, 0.75]);
 * dequantizeBlockwise(quantizeBlockwise(x, { blocksize: 64 })); // Float32Array [3, -1.50234..., 0.74296...]
 * ```
 */
export function dequantizeBlockwise(q: BlockwiseQuantized, opts: DequantizeOptions = {}): Float32Array {
  const fn = 'dequantizeBlockwise';
  checkOptionsObject(opts, fn, '{ out }');
  const { length, blocksize, absmax } = checkState(q, 'bnb-blockwise-8bit', BLOCKWISE_8BIT_BLOCKSIZES, fn);
  const code = q.code;
  if (!(code instanceof Float32Array) || code.length < 2 || code.length > 256) {
    throw new TypeError(`${fn}: code must be a Float32Array of 2 to 256 entries, got ${describeValue(code)}`);
  }
  if (!(q.codes instanceof Uint8Array)) throw new TypeError(`${fn}: codes must be a Uint8Array, got ${describeValue(q.codes)}`);
  if (q.codes.length !== length) throw new RangeError(`${fn}: codes must have length ${length}, got ${q.codes.length}`);
  const out = outArray(opts?.out, length, fn);
  rejectSharedOut(out, fn, { 'q.codes': q.codes, 'q.code': code, absmax });
  const codes = q.codes;
  for (let i = 0; i < length; i++) {
    const c = codes[i];
    if (c >= code.length) throw new RangeError(`${fn}: codes[${i}] = ${c} is beyond the ${code.length}-entry code table`);
    out[i] = f32(code[c] * absmax[Math.floor(i / blocksize)]);
  }
  return out;
}
