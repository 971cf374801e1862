// The common machinery of lowp's 16-bit float arrays (BFloat16Array, Fp16Array): a plain Uint16Array of
// codes (no Proxy, so no `arr[i]` indexing), element access through get/set, bulk conversion through the
// formats module's fast paths, and the parts of the platform's TypedArray interface that make sense for
// a value type with 16-bit storage (from/of, subarray/slice, fill, iteration, inspect).
//
// Scalar writes round the exact value of a JavaScript number (a float64) once, to nearest, ties to even
// (the formats module's default policy), through the round-to-odd fast path of fast16.ts
// (roundToOddF32Bits); tests compare it with the generic codec (codec.ts). Reads look the code up in a
// shared table of all 65,536 values.
import { describeValue } from '../core/describe.js';
import { decodeArray, encodeArray } from './bulk.js';
import { type CastOptions } from './options.js';
import { FP16 } from './registry.js';
import type { FloatFormat } from './spec.js';

/** The platform's view types a 16-bit array converts element by element (not BigInt arrays, not DataView). */
type NumericView =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array;

/**
 * What a lowp 16-bit array can be built from or copied from element by element: any array-like or
 * iterable of numbers (plain arrays, typed arrays, a native `Float16Array`, another lowp 16-bit array).
 */
export type Float16Source = Iterable<number> | ArrayLike<number>;

/**
 * The minimal shape of the platform's native `Float16Array` (Node >= 24, Chrome/Edge 135, Firefox 129,
 * Safari 18.2), declared structurally so lowp's types do not require the `esnext` TypeScript library.
 */
export interface NativeFloat16Array {
  /** The underlying buffer. */
  readonly buffer: ArrayBufferLike;
  /** Offset of the first element in bytes. */
  readonly byteOffset: number;
  /** Length in bytes. */
  readonly byteLength: number;
  /** Number of elements. */
  readonly length: number;
  /** Always 2. */
  readonly BYTES_PER_ELEMENT: number;
  /** Element access: the fp16 value as a number. */
  [index: number]: number;
}

/** A constructor of a lowp 16-bit array class that wraps a Uint16Array of codes without copying. */
export type Lowp16ArrayConstructor<T extends Lowp16Array> = new (bits: Uint16Array) => T;

const INSPECT = /* @__PURE__ */ Symbol.for('nodejs.util.inspect.custom');

function isArrayBufferLike(x: unknown): x is ArrayBufferLike {
  if (x instanceof ArrayBuffer) return true;
  const SAB = (globalThis as { SharedArrayBuffer?: typeof SharedArrayBuffer }).SharedArrayBuffer;
  return SAB !== undefined && x instanceof SAB;
}

function checkIndex(i: unknown, length: number, what: string): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) {
    throw new TypeError(`${what}: expected an integer index, got ${describeValue(i)}`);
  }
  if (i < 0 || i >= length) throw new RangeError(`${what}: index ${i} is out of range for length ${length} (valid: 0..${length - 1})`);
  return i;
}

/**
 * Throws the error for a bad index of get/set (never returns): TypeError when `Number(i)` is not an
 * integer, RangeError when it is out of range. @internal
 */
export function throwIndexError(arr: Lowp16Array, method: string, i: unknown): never {
  const what = `${arr.constructor.name}.${method}`;
  if (method === 'set' && typeof i !== 'number') {
    const hint = typeof i === 'object' && i !== null ? ' (to write many values, use setFrom(values, offset))' : '';
    throw new TypeError(`${what}: expected an integer index, got ${describeValue(i)}${hint}`);
  }
  const k = typeof i === 'number' ? i : typeof i === 'symbol' || typeof i === 'bigint' ? NaN : Number(i);
  if (!Number.isInteger(k)) throw new TypeError(`${what}: expected an integer index, got ${describeValue(i)}`);
  checkIndex(k, arr.length, what);
  throw new RangeError(`${what}: index ${String(i)} is out of range for length ${arr.length}`);
}

/** Throws the error for a non-number value (never returns). @internal */
export function throwValueError(arr: Lowp16Array, method: string, v: unknown): never {
  throw new TypeError(`${arr.constructor.name}.${method}: expected a number value, got ${describeValue(v)}`);
}

/** Validates an optional non-negative integer argument. */
function checkCount(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
    throw new RangeError(`${what}: expected a non-negative integer, got ${describeValue(x)}`);
  }
  return x;
}

/**
 * The abstract base of lowp's 16-bit float arrays, {@link BFloat16Array} and {@link Fp16Array}: values
 * stored as 16-bit codes in a plain `Uint16Array` ({@link Lowp16Array.bits}), read with
 * {@link Lowp16Array.get} and written with {@link Lowp16Array.set} (rounded to nearest, ties to even).
 * Use it as a type for code that accepts either array, or with `instanceof`.
 *
 * There is no `arr[i]` indexing: it would need a `Proxy`, which costs one to two orders of magnitude
 * per access. Use `get`/`set`, or convert in bulk with {@link Lowp16Array.toFloat32Array} and
 * {@link Lowp16Array.setFrom}.
 *
 * @example
 * ```ts
 * function mean(a: Lowp16Array): number {
 *   let s = 0;
 *   for (const v of a) s += v;
 *   return s / a.length;
 * }
 * mean(BFloat16Array.of(1, 2, 3)); // 2
 * mean(Fp16Array.of(1, 2, 4));     // 2.3333333333333335
 * ```
 */
export abstract class Lowp16Array implements Iterable<number> {
  /** Bytes per element: 2. */
  static readonly BYTES_PER_ELEMENT = 2;

  /**
   * The codes, one 16-bit pattern per element, in the same memory as this array: writing
   * `arr.bits[i] = 0x3f80` sets element i of a BFloat16Array to 1, and `arr.bits` can be handed to any
   * API that takes raw codes (safetensors, WebGPU, `encodeArray({ out })`).
   */
  // (`declare`: no class-field initialiser is emitted, so the property is created holding the
  // Uint16Array and V8 keeps its type exact: element access is several times faster than with a field
  // that starts as undefined)
  declare readonly bits: Uint16Array;

  /** An empty array. */
  constructor();
  /** `length` elements, all +0. */
  constructor(length: number);
  /**
   * A view of existing codes: **shares** `bits`' memory, no copy. (A Uint16Array is taken as codes,
   * not values; use `from(uint16)` to convert its elements as numbers.)
   */
  constructor(bits: Uint16Array);
  /** A view of `length` codes (default: to the end) at `byteOffset` (default 0, even) of a buffer, no copy. */
  constructor(buffer: ArrayBufferLike, byteOffset?: number, length?: number);
  /**
   * The values of an array-like or iterable of numbers, each rounded to nearest, ties to even; copied.
   * Another lowp 16-bit array of the same format is copied code for code (NaN payloads kept).
   */
  constructor(values: Float16Source);
  constructor(source?: number | Uint16Array | ArrayBufferLike | Float16Source, byteOffset?: number, length?: number) {
    // (`format` and `decodeTable` are prototype members of the subclass: available in this constructor)
    const self: Lowp16Array = this;
    const init = initialBits(source, byteOffset, length, this.constructor.name, self.format);
    // Both properties are created here holding their final objects (no class-field initialisers):
    // V8 then knows their types exactly and element access is several times faster.
    this.bits = init.bits;
    this.table = self.decodeTable();
    if (init.values !== undefined) this.setFrom(init.values);
  }

  /**
   * The shared table of all 65,536 decoded values of this format, referenced from each instance (an
   * instance field of fixed type reads faster than a module variable: about 5x in a get loop on
   * Node 24). @internal
   */
  declare protected readonly table: Float32Array;

  /** Returns the (lazily built, shared) decode table of this format. @internal */
  protected abstract decodeTable(): Float32Array;

  /** The format of the elements (BF16 or FP16 from the formats registry). */
  abstract get format(): FloatFormat;

  /** Encodes a number into this array's format (round to nearest, ties to even). @internal */
  protected abstract encodeNumber(v: number): number;

  /**
   * Reads element `i` as a number (exact: every bf16/fp16 value is a float32 and a float64).
   *
   * @throws RangeError when `i` is not in `[0, length)` — unlike a native typed array's `arr[i]`, which
   *   returns `undefined`; use {@link Lowp16Array.at} for that behaviour. TypeError when `i` is not an
   *   integer (the index is converted with `Number()` first, as `Array.prototype.at` does).
   * @example
   * ```ts
   * BFloat16Array.of(0.1).get(0); // 0.10009765625
   * ```
   */
  abstract get(i: number): number;

  /**
   * Writes `value` at index `i`, rounded to nearest, ties to even (a float64 is rounded once,
   * directly; overflow gives ±Infinity; NaN is stored as the canonical quiet NaN, as `encode` does).
   *
   * @throws RangeError when `i` is not in `[0, length)` (a native typed array silently ignores the
   *   write); TypeError when `i` is not an integer number (unlike `get`, no conversion: `set(array, 0)`
   *   is a slip for {@link Lowp16Array.setFrom}) or `value` is not a number (no silent NaN).
   * @example
   * ```ts
   * const a = new Fp16Array(2);
   * a.set(0, 70000); // overflow
   * a.get(0);        // Infinity
   * ```
   */
  abstract set(i: number, value: number): void;

  /** Number of elements. */
  get length(): number {
    return this.bits.length;
  }

  /** The underlying buffer (shared with {@link Lowp16Array.bits}). */
  get buffer(): ArrayBufferLike {
    return this.bits.buffer;
  }

  /** Offset of the first element in the buffer, in bytes. */
  get byteOffset(): number {
    return this.bits.byteOffset;
  }

  /** Length in bytes (2 per element). */
  get byteLength(): number {
    return this.bits.byteLength;
  }

  /** Bytes per element: 2. */
  get BYTES_PER_ELEMENT(): number {
    return 2;
  }

  /**
   * Element `i` counted from the start, or from the end when negative (`at(-1)` is the last), like
   * `Array.prototype.at`: `undefined` when out of range (no error, unlike {@link Lowp16Array.get}).
   *
   * @example
   * ```ts
   * BFloat16Array.of(1, 2, 3).at(-1); // 3
   * BFloat16Array.of(1, 2, 3).at(5);  // undefined
   * ```
   */
  at(i: number): number | undefined {
    const n = this.bits.length;
    let k = Math.trunc(Number(i));
    if (k !== k) k = 0;
    if (k < 0) k += n;
    if (k < 0 || k >= n) return undefined;
    return this.table[this.bits[k]];
  }

  /**
   * Writes many values starting at element `offset` (default 0): from a Float32Array through the bulk
   * fast path (`encodeArray`), from a Float64Array or other array-like rounding each float64 once, and
   * from another lowp 16-bit array of the same format by copying codes. Overlapping memory is handled
   * (the source is read before it is overwritten). With `opts`, the values are rounded per those cast
   * options (e.g. `{ rounding: 'stochastic', seed: 1 }` or `{ overflow: 'saturate' }`) through
   * `encodeArray`. The source is never modified.
   *
   * @param source - the values.
   * @param offset - the first element written; default 0.
   * @param opts - cast options; default round to nearest, ties to even, overflow to ±Infinity.
   * @returns this array.
   * @throws RangeError when the source does not fit (`offset + source.length > length`) or offset is not
   *   a non-negative integer; TypeError for a source that is not an array-like of numbers.
   * @example
   * ```ts
   * const a = new BFloat16Array(4);
   * a.setFrom(new Float32Array([1.5, 2.5]), 2); // a: [0, 0, 1.5, 2.5]
   * a.setFrom([1e-3], 0, { rounding: 'toward-zero' });
   * ```
   */
  setFrom(source: Float16Source | Lowp16Array, offset = 0, opts?: CastOptions): this {
    const name = `${this.constructor.name}.setFrom`;
    checkCount(offset, `${name}: offset`);
    const bits = this.bits;
    let src: ArrayLike<number> | Lowp16Array = source as ArrayLike<number> | Lowp16Array;
    if (!(src instanceof Lowp16Array) && !isArrayLikeObject(src)) src = collectValues(source, name);
    const n = src.length;
    if (offset + n > bits.length) {
      throw new RangeError(`${name}: ${n} values at offset ${offset} do not fit in length ${bits.length}`);
    }
    if (src instanceof Lowp16Array) {
      if (src.format === this.format && opts === undefined) {
        bits.set(src.bits, offset); // handles overlap like TypedArray.prototype.set
        return this;
      }
      src = src.toFloat32Array(); // exact, and a copy: no overlap left
    }
    if (opts === undefined && this.format === FP16 && isNativeFloat16Array(src)) {
      bits.set(new Uint16Array(src.buffer, src.byteOffset, n), offset); // fp16 codes as they are
      return this;
    }
    const dest = offset === 0 && n === bits.length ? bits : bits.subarray(offset, offset + n);
    if (ArrayBuffer.isView(src) && (src as NumericView).buffer === bits.buffer) {
      src = (src as NumericView).slice(); // same memory: read everything before writing
    }
    if (opts !== undefined) {
      const f = this.format;
      if (src instanceof Float32Array || src instanceof Float64Array) encodeArray(src, f, { ...opts, out: dest });
      else encodeArray(toFloat64(src as ArrayLike<number>, name), f, { ...opts, out: dest });
      return this;
    }
    if (src instanceof Float32Array) {
      encodeArray(src, this.format, { out: dest });
      return this;
    }
    if (src instanceof Float64Array) {
      for (let i = 0; i < n; i++) dest[i] = this.encodeNumber(src[i]);
      return this;
    }
    const a = src as ArrayLike<number>;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      if (typeof v !== 'number') throw new TypeError(`${name}: source[${i}] must be a number, got ${describeValue(v)}`);
      dest[i] = this.encodeNumber(v);
    }
    return this;
  }

  /**
   * A new Float32Array of the values (exact), through the bulk fast path.
   *
   * @example
   * ```ts
   * BFloat16Array.of(1, 0.1).toFloat32Array(); // Float32Array [1, 0.10009765625]
   * ```
   */
  toFloat32Array(): Float32Array {
    return decodeArray(this.bits, this.format);
  }

  /**
   * A new Float64Array of the values (exact).
   *
   * @example
   * ```ts
   * Fp16Array.of(0.1).toFloat64Array(); // Float64Array [0.0999755859375]
   * ```
   */
  toFloat64Array(): Float64Array {
    return new Float64Array(this.toFloat32Array());
  }

  /**
   * The values as a plain array of numbers.
   *
   * @example
   * ```ts
   * BFloat16Array.of(1, 2).toArray(); // [1, 2]
   * ```
   */
  toArray(): number[] {
    return Array.from(this.toFloat32Array());
  }

  /**
   * The values as a plain array, so `JSON.stringify` writes `[1,2,3]` (as JSON does for any number,
   * NaN and ±Infinity become `null`).
   *
   * @example
   * ```ts
   * JSON.stringify({ w: BFloat16Array.of(1, 2) }); // '{"w":[1,2]}'
   * ```
   */
  toJSON(): number[] {
    return this.toArray();
  }

  /**
   * A new array of the same class over elements `begin` (default 0) to `end` (default length, not
   * included) that **shares** this array's memory; negative indices count from the end, as
   * `TypedArray.prototype.subarray`.
   *
   * @example
   * ```ts
   * const a = Fp16Array.of(1, 2, 3, 4);
   * const mid = a.subarray(1, 3); // Fp16Array(2) [2, 3]
   * mid.set(0, 10);               // a is now [1, 10, 3, 4]
   * ```
   */
  subarray(begin?: number, end?: number): this {
    return this.wrap(this.bits.subarray(begin, end));
  }

  /**
   * A copy of elements `begin` (default 0) to `end` (default length, not included), like
   * `TypedArray.prototype.slice`.
   *
   * @example
   * ```ts
   * BFloat16Array.of(1, 2, 3).slice(-2).toArray(); // [2, 3]
   * ```
   */
  slice(begin?: number, end?: number): this {
    return this.wrap(this.bits.slice(begin, end));
  }

  /**
   * Sets elements `start` (default 0) to `end` (default length, not included) to `value`, rounded
   * once; negative indices count from the end, as `TypedArray.prototype.fill`.
   *
   * @returns this array.
   * @throws TypeError when `value` is not a number.
   * @example
   * ```ts
   * new BFloat16Array(3).fill(0.1).toArray(); // [0.10009765625, 0.10009765625, 0.10009765625]
   * ```
   */
  fill(value: number, start?: number, end?: number): this {
    if (typeof value !== 'number') throw new TypeError(`${this.constructor.name}.fill: expected a number, got ${describeValue(value)}`);
    this.bits.fill(this.encodeNumber(value), start, end);
    return this;
  }

  /**
   * The values in order.
   *
   * @example
   * ```ts
   * for (const v of BFloat16Array.of(1, 2)) console.log(v); // 1, 2
   * [...Fp16Array.of(0.5)]; // [0.5]
   * ```
   */
  values(): IterableIterator<number> {
    return new ValuesIterator(this);
  }

  /**
   * The indices 0 … length − 1.
   *
   * @example
   * ```ts
   * [...BFloat16Array.of(5, 6).keys()]; // [0, 1]
   * ```
   */
  keys(): IterableIterator<number> {
    return this.bits.keys();
  }

  /**
   * `[index, value]` pairs in order.
   *
   * @example
   * ```ts
   * [...BFloat16Array.of(5, 6).entries()]; // [[0, 5], [1, 6]]
   * ```
   */
  *entries(): IterableIterator<[number, number]> {
    const bits = this.bits;
    for (let i = 0; i < bits.length; i++) yield [i, this.table[bits[i]]];
  }

  /**
   * The values in order (same as {@link Lowp16Array.values}), so arrays work with `for … of`, spread
   * and `Array.from`.
   *
   * @example
   * ```ts
   * Math.max(...BFloat16Array.of(1, 3, 2)); // 3
   * ```
   */
  [Symbol.iterator](): IterableIterator<number> {
    return this.values();
  }

  /** The class name, so `Object.prototype.toString.call(arr)` gives `[object BFloat16Array]`. */
  abstract get [Symbol.toStringTag](): string;

  /**
   * The values separated by commas, like `TypedArray.prototype.toString`.
   *
   * @example
   * ```ts
   * String(Fp16Array.of(1, 0.5)); // '1,0.5'
   * ```
   */
  toString(): string {
    return this.toArray().join(',');
  }

  /**
   * How Node's `util.inspect` and `console.log` show the array: like a native typed array,
   * `BFloat16Array(3) [ 1, 2, 3 ]`, honouring `maxArrayLength` and colours. (A symbol-keyed method:
   * lowp imports nothing from Node.)
   * @internal
   */
  [INSPECT](depth: number, options: InspectOptionsLike | undefined, inspect?: (value: unknown, options?: unknown) => string): string {
    const tag = this[Symbol.toStringTag];
    const n = this.bits.length;
    if (typeof depth === 'number' && depth < 0) {
      return options?.stylize ? options.stylize(`[${tag}]`, 'special') : `[${tag}]`;
    }
    const rawMax = options?.maxArrayLength;
    const max = rawMax === null || rawMax === Infinity ? n : typeof rawMax === 'number' && rawMax >= 0 ? Math.floor(rawMax) : 100;
    const shown = Math.min(n, max);
    // a native Float32Array of the shown values (plus one to provoke the "more items" line) gets Node's
    // own layout; every bf16/fp16 value is a float32, so the digits printed are the exact values
    const view = this.bits.subarray(0, n > max ? shown + 1 : shown);
    const vals = new Float32Array(view.length);
    for (let i = 0; i < view.length; i++) vals[i] = this.table[view[i]];
    const more = n - shown;
    if (typeof inspect === 'function') {
      let s = inspect(vals, options);
      s = s.replace(/^Float32Array\(\d+\)/, `${tag}(${n})`);
      if (more > 0) s = s.replace(/\.\.\. 1 more item/, `... ${more} more item${more === 1 ? '' : 's'}`);
      return s;
    }
    const items = Array.from(vals.subarray(0, shown), String);
    if (more > 0) items.push(`... ${more} more item${more === 1 ? '' : 's'}`);
    return items.length === 0 ? `${tag}(0) []` : `${tag}(${n}) [ ${items.join(', ')} ]`;
  }

  /** A new array of this class over `bits` (no copy). */
  private wrap(bits: Uint16Array): this {
    return new (this.constructor as Lowp16ArrayConstructor<this>)(bits);
  }

  /**
   * A new array of the values of an iterable or array-like, optionally mapped by `mapFn(value, index)`
   * first, each rounded to nearest, ties to even; always a copy (a Uint16Array's elements are taken
   * as numbers here, unlike the constructor, which wraps a Uint16Array as codes).
   *
   * @example
   * ```ts
   * BFloat16Array.from([1, 2, 3], (x) => x / 10).toArray(); // [0.10009765625, 0.2001953125, 0.30078125]
   * Fp16Array.from(new Set([1, 2])).length; // 2
   * ```
   */
  static from<T extends Lowp16Array>(
    this: Lowp16ArrayConstructor<T>,
    source: Float16Source,
    mapFn?: (value: number, index: number) => number,
    thisArg?: unknown,
  ): T {
    const name = `${this.name}.from`;
    if (mapFn !== undefined && typeof mapFn !== 'function') {
      throw new TypeError(`${name}: mapFn must be a function, got ${describeValue(mapFn)}`);
    }
    let values: ArrayLike<number>;
    if (mapFn === undefined) {
      values = source instanceof Lowp16Array ? source.toFloat32Array() : (collectValues(source, name) as ArrayLike<number>);
    } else {
      const raw = collectRaw(source, name);
      const mapped = new Array<number>(raw.length);
      for (let i = 0; i < raw.length; i++) mapped[i] = mapFn.call(thisArg, raw[i] as number, i);
      values = mapped;
    }
    const out = new this(new Uint16Array(values.length));
    out.setFrom(values);
    return out;
  }

  /**
   * A new array of the given values, each rounded to nearest, ties to even.
   *
   * @example
   * ```ts
   * Fp16Array.of(1, 65504, 65520).toArray(); // [1, 65504, Infinity]
   * ```
   */
  static of<T extends Lowp16Array>(this: Lowp16ArrayConstructor<T>, ...values: number[]): T {
    const out = new this(new Uint16Array(values.length));
    out.setFrom(values);
    return out;
  }

  /**
   * An array over existing codes, sharing their memory (the same as the constructor with a
   * Uint16Array, spelled out).
   *
   * @throws TypeError when `bits` is not a Uint16Array.
   * @example
   * ```ts
   * const codes = new Uint16Array([0x3f80, 0x4000]);
   * BFloat16Array.fromBits(codes).toArray(); // [1, 2]
   * ```
   */
  static fromBits<T extends Lowp16Array>(this: Lowp16ArrayConstructor<T>, bits: Uint16Array): T {
    if (!(bits instanceof Uint16Array)) throw new TypeError(`${this.name}.fromBits: expected a Uint16Array of codes, got ${describeValue(bits)}`);
    return new this(bits);
  }
}

/** Iterator of the values (a plain class: faster than a generator in V8). */
class ValuesIterator implements IterableIterator<number> {
  private i = 0;
  constructor(private readonly a: Lowp16Array) {}
  next(): IteratorResult<number, undefined> {
    const i = this.i;
    const a = this.a;
    if (i < a.length) {
      this.i = i + 1;
      return { value: a.get(i), done: false };
    }
    this.i = Infinity;
    return { value: undefined, done: true };
  }
  [Symbol.iterator](): IterableIterator<number> {
    return this;
  }
}

/** The storage a constructor call describes, and the values to write into it (when copying values). */
function initialBits(
  source: unknown,
  byteOffset: number | undefined,
  length: number | undefined,
  name: string,
  format: FloatFormat,
): { bits: Uint16Array; values?: ArrayLike<number> | Lowp16Array } {
  if (source instanceof Uint16Array) {
    if (byteOffset !== undefined || length !== undefined) {
      throw new TypeError(`${name}: byteOffset and length apply to an ArrayBuffer, not to a Uint16Array (use bits.subarray(begin, end))`);
    }
    return { bits: source };
  }
  if (source === undefined) return { bits: new Uint16Array(0) };
  if (typeof source === 'number') {
    if (!Number.isInteger(source) || source < 0) {
      throw new RangeError(`${name}: expected a length (a non-negative integer), got ${describeValue(source)}`);
    }
    return { bits: new Uint16Array(source) };
  }
  if (isArrayBufferLike(source)) {
    const off = byteOffset === undefined ? 0 : checkCount(byteOffset, `${name}: byteOffset`);
    if (off % 2 !== 0) throw new RangeError(`${name}: byteOffset must be a multiple of 2, got ${off}`);
    if (off > source.byteLength) throw new RangeError(`${name}: byteOffset ${off} is beyond the buffer's ${source.byteLength} bytes`);
    let n: number;
    if (length === undefined) {
      if ((source.byteLength - off) % 2 !== 0) {
        throw new RangeError(`${name}: the buffer's ${source.byteLength - off} bytes after byteOffset ${off} are not a whole number of 2-byte elements; pass a length`);
      }
      n = (source.byteLength - off) / 2;
    } else {
      n = checkCount(length, `${name}: length`);
      if (off + 2 * n > source.byteLength) {
        throw new RangeError(`${name}: ${n} elements at byteOffset ${off} need ${off + 2 * n} bytes, the buffer has ${source.byteLength}`);
      }
    }
    return { bits: new Uint16Array(source, off, n) };
  }
  if (byteOffset !== undefined || length !== undefined) {
    throw new TypeError(`${name}: byteOffset and length apply to an ArrayBuffer, got ${describeValue(source)}`);
  }
  if (source instanceof Lowp16Array) {
    // same format: copy the codes (NaN payloads kept); the other format: convert the values
    if (source.format === format) return { bits: source.bits.slice() };
    return { bits: new Uint16Array(source.length), values: source };
  }
  const values = collectValues(source, name);
  return { bits: new Uint16Array(values.length), values };
}

/** The part of Node's inspect options that {@link Lowp16Array} reads. @internal */
export interface InspectOptionsLike {
  /** Elements shown before "... n more items". */
  maxArrayLength?: number | null;
  /** Colouring function Node passes. */
  stylize?: (text: string, styleType: string) => string;
}

/** The platform's native `Float16Array` constructor, or undefined where the runtime has none. @internal */
export function nativeFloat16ArrayConstructor(): (new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => NativeFloat16Array) | undefined {
  const C = (globalThis as { Float16Array?: unknown }).Float16Array;
  return typeof C === 'function' ? (C as new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => NativeFloat16Array) : undefined;
}

/** Whether `x` is a native `Float16Array` (false where the runtime has none). @internal */
export function isNativeFloat16Array(x: unknown): x is NativeFloat16Array {
  const C = nativeFloat16ArrayConstructor();
  return C !== undefined && x instanceof C;
}

function isArrayLikeObject(x: unknown): x is ArrayLike<number> {
  if (Array.isArray(x)) return true;
  if (ArrayBuffer.isView(x)) return !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array);
  return false;
}

/** The elements of an iterable or array-like, unvalidated (for `from` with a map function). */
function collectRaw(source: unknown, name: string): ArrayLike<unknown> {
  if (source === null || source === undefined || (typeof source !== 'object' && typeof source !== 'string')) {
    throw new TypeError(`${name}: expected an iterable or array-like of numbers, got ${describeValue(source)}`);
  }
  if (typeof source === 'string') throw new TypeError(`${name}: expected an iterable or array-like of numbers, got ${describeValue(source)}`);
  if (source instanceof DataView || source instanceof BigInt64Array || source instanceof BigUint64Array) {
    throw new TypeError(`${name}: expected numbers, got ${describeValue(source)} (convert BigInts or read the DataView first)`);
  }
  if (Array.isArray(source) || ArrayBuffer.isView(source)) return source as ArrayLike<unknown>;
  if (typeof (source as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    return Array.from(source as Iterable<unknown>);
  }
  const len = (source as { length?: unknown }).length;
  if (typeof len === 'number' && Number.isInteger(len) && len >= 0) return source as ArrayLike<unknown>;
  throw new TypeError(`${name}: expected an iterable or array-like of numbers, got ${describeValue(source)}`);
}

/** The values of an iterable or array-like, every one checked to be a number. */
function collectValues(source: unknown, name: string): ArrayLike<number> {
  const raw = collectRaw(source, name);
  if (ArrayBuffer.isView(raw)) return raw as unknown as ArrayLike<number>;
  for (let i = 0; i < raw.length; i++) {
    if (typeof raw[i] !== 'number') throw new TypeError(`${name}: element ${i} must be a number, got ${describeValue(raw[i])}`);
  }
  return raw as ArrayLike<number>;
}

function toFloat64(a: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number') throw new TypeError(`${name}: source[${i}] must be a number, got ${describeValue(v)}`);
    out[i] = v;
  }
  return out;
}
