// Packing of 4-bit codes two per byte (fp4 e2m1 codes, NF4/bnb-fp4 codes, int4). Two layouts exist in
// the wild: OCP MX, ml_dtypes and PyTorch's float4_e2m1fn_x2 put element 0 in the LOW nibble
// ('low-first', lowp's default); bitsandbytes puts the first value in the HIGH nibble ('high-first').
import { describeValue } from '../core/describe.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Which nibble of a byte holds the even-indexed (first) element.
 *
 * @example
 * ```ts
 * pack4([1, 2], { order: 'high-first' }); // Uint8Array [0x12]
 * ```
 */
export type NibbleOrder = 'low-first' | 'high-first';

/**
 * Options of {@link pack4}.
 *
 * @example
 * ```ts
 * pack4([1, 2, 3], { pad: 7, order: 'high-first' }); // Uint8Array [0x12, 0x37]
 * ```
 */
export interface Pack4Options {
  /**
   * `'low-first'` (default: OCP MX, ml_dtypes `float4_e2m1fn` packing, PyTorch `float4_e2m1fn_x2`):
   * element 2k in bits 0–3, element 2k+1 in bits 4–7. `'high-first'` (bitsandbytes): element 2k in
   * bits 4–7.
   */
  order?: NibbleOrder;
  /**
   * What to do with an odd number of codes: `false` (default) throws a RangeError; `true` pads with
   * code 0; a number pads with that code (e.g. 7, the NF4 code of 0).
   */
  pad?: boolean | number;
  /** Destination of exactly ceil(n / 2) bytes; default a new Uint8Array. */
  out?: Uint8Array;
}

/**
 * Options of {@link unpack4}.
 *
 * @example
 * ```ts
 * unpack4(new Uint8Array([0x12, 0x37]), { order: 'high-first', length: 3 }); // Uint8Array [1, 2, 3]
 * ```
 */
export interface Unpack4Options {
  /** Nibble order, as in {@link pack4}; default `'low-first'`. */
  order?: NibbleOrder;
  /** Number of codes to unpack: 2·bytes (default) or 2·bytes − 1 (drops a pad nibble). */
  length?: number;
  /** Destination of exactly `length` codes; default a new Uint8Array. */
  out?: Uint8Array;
}

/** Whether `x` is a 4-bit code, an integer 0–15. */
function isNibble(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 15;
}

function checkOrder(order: unknown, fn: string): NibbleOrder {
  if (order === undefined) return 'low-first';
  if (order !== 'low-first' && order !== 'high-first') {
    throw new RangeError(`${fn}: order must be 'low-first' (OCP MX / ml_dtypes) or 'high-first' (bitsandbytes), got ${describeValue(order)}`);
  }
  return order;
}

/**
 * Packs 4-bit codes (each 0–15) two per byte. An odd count is a RangeError unless `pad` is given.
 * The input is never modified.
 *
 * @example
 * ```ts
 * pack4(new Uint8Array([1, 2, 3, 4]));                          // Uint8Array [0x21, 0x43]
 * pack4(new Uint8Array([1, 2, 3, 4]), { order: 'high-first' }); // Uint8Array [0x12, 0x34]
 * pack4(new Uint8Array([1, 2, 3]), { pad: true });              // Uint8Array [0x21, 0x03]
 * ```
 */
export function pack4(codes: Uint8Array | readonly number[], opts: Pack4Options = {}): Uint8Array {
  const fn = 'pack4';
  if (!(codes instanceof Uint8Array) && !Array.isArray(codes)) {
    throw new TypeError(`${fn}: expected a Uint8Array or number[] of 4-bit codes, got ${describeValue(codes)}`);
  }
  checkOptionsObject(opts, fn);
  const order = checkOrder(opts.order, fn);
  const n = codes.length;
  // with an odd count, a null or absent pad means false (the odd-count error below)
  const pad = n % 2 === 1 ? opts.pad ?? false : opts.pad;
  if (pad !== undefined && typeof pad !== 'boolean' && !isNibble(pad)) {
    throw new RangeError(`${fn}: pad must be a boolean or a 4-bit code 0–15, got ${describeValue(pad)}`);
  }
  if (n % 2 === 1 && pad === false) {
    throw new RangeError(`${fn}: ${n} codes is an odd count; pass { pad: true } (pads with code 0) or { pad: <code> } to pack it`);
  }
  const padCode = pad === true ? 0 : typeof pad === 'number' ? pad : -1; // used only for an odd count
  const bytes = Math.ceil(n / 2);
  let out = opts.out;
  if (out === undefined) out = new Uint8Array(bytes);
  else {
    if (!(out instanceof Uint8Array)) throw new TypeError(`${fn}: out must be a Uint8Array, got ${describeValue(out)}`);
    if (out.length !== bytes) throw new RangeError(`${fn}: out must have ceil(${n} / 2) = ${bytes} bytes, got ${out.length}`);
  }
  const highFirst = order === 'high-first';
  for (let k = 0; k < bytes; k++) {
    const a = codes[2 * k];
    const b = 2 * k + 1 < n ? codes[2 * k + 1] : padCode;
    if (!isNibble(a)) throw new RangeError(`${fn}: codes[${2 * k}] must be a 4-bit code 0–15, got ${describeValue(a)}`);
    if (!isNibble(b)) throw new RangeError(`${fn}: codes[${2 * k + 1}] must be a 4-bit code 0–15, got ${describeValue(b)}`);
    out[k] = highFirst ? (a << 4) | b : (b << 4) | a;
  }
  return out;
}

/**
 * Unpacks bytes holding two 4-bit codes each into one code per byte (the inverse of {@link pack4}).
 *
 * @example
 * ```ts
 * unpack4(new Uint8Array([0x21, 0x43]));                          // Uint8Array [1, 2, 3, 4]
 * unpack4(new Uint8Array([0x12, 0x30]), { order: 'high-first', length: 3 }); // Uint8Array [1, 2, 3]
 * ```
 */
export function unpack4(packed: Uint8Array, opts: Unpack4Options = {}): Uint8Array {
  const fn = 'unpack4';
  if (!(packed instanceof Uint8Array)) throw new TypeError(`${fn}: expected a Uint8Array of packed codes, got ${describeValue(packed)}`);
  checkOptionsObject(opts, fn);
  const order = checkOrder(opts.order, fn);
  const max = 2 * packed.length;
  const n = opts.length ?? max;
  if (typeof n !== 'number' || !Number.isInteger(n) || n > max || n < Math.max(0, max - 1)) {
    throw new RangeError(`${fn}: length must be ${max} or ${Math.max(0, max - 1)} for ${packed.length} bytes, got ${describeValue(n)}`);
  }
  let out = opts.out;
  if (out === undefined) out = new Uint8Array(n);
  else {
    if (!(out instanceof Uint8Array)) throw new TypeError(`${fn}: out must be a Uint8Array, got ${describeValue(out)}`);
    if (out.length !== n) throw new RangeError(`${fn}: out must have ${n} elements, got ${out.length}`);
  }
  const highFirst = order === 'high-first';
  for (let i = 0; i < n; i++) {
    const byte = packed[i >> 1];
    const first = (i & 1) === 0;
    out[i] = first === highFirst ? byte >> 4 : byte & 15;
  }
  return out;
}
