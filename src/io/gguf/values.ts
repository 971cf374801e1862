// The 13 GGUF metadata value types (ggml/include/gguf.h `enum gguf_type`, gguf-py's `GGUFValueType`):
// their ids and sizes, how lowp represents each in JavaScript (numbers, bigint for the 64-bit integers,
// booleans, strings, typed arrays for numeric arrays), how a value's type is named and inferred, and the
// one text form of every value that `TensorReader.metadata` holds (integers in decimal, floats as the
// shortest decimal that reads back to the same float32 or float64, arrays as JSON).
import { describeValue } from '../../core/describe.js';
import { isWellFormedUtf16 } from '../unicode.js';

/**
 * A GGUF metadata value type other than an array, as gguf-py's `GGUFValueType` names it.
 *
 * @example
 * ```ts
 * const t: GgufScalarType = 'UINT32';
 * ```
 */
export type GgufScalarType =
  | 'UINT8' | 'INT8' | 'UINT16' | 'INT16' | 'UINT32' | 'INT32' | 'FLOAT32'
  | 'BOOL' | 'STRING' | 'UINT64' | 'INT64' | 'FLOAT64';

/**
 * The type of one GGUF metadata value: a scalar type, or an array of one (`'STRING[]'`, `'FLOAT32[]'`).
 * GGUF's 13th type, ARRAY, always comes with its element type, written here as the `[]` suffix; arrays
 * of arrays are refused (see docs/gguf.md).
 *
 * @example
 * ```ts
 * const types = new Map<string, GgufValueType>([['llama.block_count', 'UINT32'], ['tokenizer.ggml.tokens', 'STRING[]']]);
 * ```
 */
export type GgufValueType = GgufScalarType | `${GgufScalarType}[]`;

/**
 * A numeric GGUF array as lowp returns it: the typed array of its element type.
 *
 * @example
 * ```ts
 * const scores: GgufNumericArray = new Float32Array([0, -1.5, 2.25]); // a FLOAT32[] value
 * ```
 */
export type GgufNumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigUint64Array | BigInt64Array;

/**
 * A GGUF metadata value in JavaScript: `number` (UINT8 … INT32, FLOAT32, FLOAT64), `bigint` (UINT64,
 * INT64), `boolean` (BOOL), `string` (STRING), a typed array for a numeric array (`Uint8Array` for
 * UINT8[], `Float32Array` for FLOAT32[], `BigInt64Array` for INT64[]…), `boolean[]` and `string[]`.
 *
 * @example
 * ```ts
 * const v: GgufValue = header.metadata.get('llama.context_length')!; // 4096 (a UINT32)
 * ```
 */
export type GgufValue = number | bigint | boolean | string | GgufNumericArray | boolean[] | string[];

/**
 * A metadata value as the writer takes it: a {@link GgufValue}, or a plain array of numbers or bigints
 * (written as the type given in `metadataTypes`, or the one {@link inferGgufType} infers).
 *
 * @example
 * ```ts
 * const v: GgufValueInput = [1, 2, 3]; // INT32[] unless a type is given
 * ```
 */
export type GgufValueInput = GgufValue | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

/** Id of each type in a GGUF file (ARRAY = 9 is not a value type of its own here). */
export const GGUF_TYPE_IDS: Readonly<Record<GgufScalarType, number>> = Object.freeze({
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6,
  BOOL: 7, STRING: 8, UINT64: 10, INT64: 11, FLOAT64: 12,
});

/** The id of GGUF's array type. */
export const GGUF_ARRAY_ID = 9;

const BY_ID: readonly (GgufScalarType | undefined)[] = (() => {
  const a: (GgufScalarType | undefined)[] = [];
  for (const [name, id] of Object.entries(GGUF_TYPE_IDS)) a[id] = name as GgufScalarType;
  return a;
})();

/** The scalar type with this id, or undefined (9 = ARRAY and ids past 12 are not scalar types). */
export function scalarTypeById(id: number): GgufScalarType | undefined {
  return BY_ID[id];
}

/** Bytes per value of each fixed-size scalar type (STRING: its 8-byte length, the least it takes). */
export const GGUF_TYPE_SIZES: Readonly<Record<GgufScalarType, number>> = Object.freeze({
  UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, UINT32: 4, INT32: 4, FLOAT32: 4,
  BOOL: 1, STRING: 8, UINT64: 8, INT64: 8, FLOAT64: 8,
});

type NumericScalar = Exclude<GgufScalarType, 'BOOL' | 'STRING'>;

type TypedArrayCtor = {
  new (length: number): GgufNumericArray;
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): GgufNumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** The typed array class of each numeric element type. */
export const GGUF_ARRAY_CLASSES: Readonly<Record<NumericScalar, TypedArrayCtor>> = Object.freeze({
  UINT8: Uint8Array as TypedArrayCtor, INT8: Int8Array as TypedArrayCtor,
  UINT16: Uint16Array as TypedArrayCtor, INT16: Int16Array as TypedArrayCtor,
  UINT32: Uint32Array as TypedArrayCtor, INT32: Int32Array as TypedArrayCtor,
  FLOAT32: Float32Array as TypedArrayCtor, FLOAT64: Float64Array as TypedArrayCtor,
  UINT64: BigUint64Array as TypedArrayCtor, INT64: BigInt64Array as TypedArrayCtor,
});

/** Whether a type name is a GGUF value type ('UINT32', 'STRING[]'...). */
export function isGgufValueType(t: unknown): t is GgufValueType {
  if (typeof t !== 'string') return false;
  const base = t.endsWith('[]') ? t.slice(0, -2) : t;
  return Object.prototype.hasOwnProperty.call(GGUF_TYPE_IDS, base);
}

/** Splits 'FLOAT32[]' into its element type and whether it is an array. */
export function splitType(t: GgufValueType): { item: GgufScalarType; array: boolean } {
  return t.endsWith('[]') ? { item: t.slice(0, -2) as GgufScalarType, array: true } : { item: t as GgufScalarType, array: false };
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  UINT8: [0, 0xff], INT8: [-0x80, 0x7f], UINT16: [0, 0xffff], INT16: [-0x8000, 0x7fff],
  UINT32: [0, 0xffffffff], INT32: [-0x80000000, 0x7fffffff],
};

const BIG_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  UINT64: [0n, 2n ** 64n - 1n], INT64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Which typed array class stands for which element type. */
function typedArrayType(v: unknown): NumericScalar | undefined {
  if (v instanceof Uint8Array) return 'UINT8';
  if (v instanceof Int8Array) return 'INT8';
  if (v instanceof Uint16Array) return 'UINT16';
  if (v instanceof Int16Array) return 'INT16';
  if (v instanceof Uint32Array) return 'UINT32';
  if (v instanceof Int32Array) return 'INT32';
  if (v instanceof Float32Array) return 'FLOAT32';
  if (v instanceof Float64Array) return 'FLOAT64';
  if (v instanceof BigUint64Array) return 'UINT64';
  if (v instanceof BigInt64Array) return 'INT64';
  return undefined;
}

/**
 * The scalar type inferred for a number: INT32, then UINT32 for integers that fit, else FLOAT64 (which
 * holds every number exactly and reads back as a number; 64-bit integers are bigints).
 */
function numberType(x: number): NumericScalar {
  if (Number.isInteger(x) && !Object.is(x, -0)) {
    if (x >= -0x80000000 && x <= 0x7fffffff) return 'INT32';
    if (x >= 0 && x <= 0xffffffff) return 'UINT32';
  }
  return 'FLOAT64';
}

/**
 * The GGUF type lowp infers for a value given without one: its typed array's element type; `string` →
 * STRING, `boolean` → BOOL, `bigint` → INT64 (UINT64 past 2^63 - 1); a `number` → INT32 when it is an
 * integer that fits, UINT32 past that up to 2^32 - 1, FLOAT64 for any other number (exact, and read
 * back as a number; never a lossy FLOAT32: give the type for that); plain arrays by the same rules over
 * all their elements (one type for all). An empty plain array, a mixed one, a nested one and any other
 * value are a TypeError: give the type.
 *
 * @example
 * ```ts
 * inferGgufType(4096);                    // 'INT32'
 * inferGgufType(1e-5);                    // 'FLOAT64'
 * inferGgufType(new Float32Array(2));     // 'FLOAT32[]'
 * inferGgufType(['<s>', '</s>']);         // 'STRING[]'
 * ```
 */
export function inferGgufType(value: unknown): GgufValueType {
  const scalar = (v: unknown): GgufScalarType | undefined => {
    if (typeof v === 'string') return 'STRING';
    if (typeof v === 'boolean') return 'BOOL';
    if (typeof v === 'bigint') return v > BIG_RANGES.INT64[1] ? 'UINT64' : 'INT64';
    if (typeof v === 'number') return numberType(v);
    return undefined;
  };
  const s = scalar(value);
  if (s !== undefined) return s;
  const typed = typedArrayType(value);
  if (typed !== undefined) return `${typed}[]`;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new TypeError('expected a non-empty array or a type for it (e.g. STRING[]), got an empty array: its element type cannot be inferred');
    const kinds = new Set(value.map((v) => typeof v));
    if (kinds.size !== 1 || !['string', 'boolean', 'number', 'bigint'].includes(value.length > 0 ? typeof value[0] : '')) {
      throw new TypeError(`expected an array of strings, booleans, numbers or bigints (one kind), got ${describeValue(value)}`);
    }
    const k = typeof value[0];
    if (k === 'string') return 'STRING[]';
    if (k === 'boolean') return 'BOOL[]';
    if (k === 'bigint') return (value as bigint[]).some((v) => v > BIG_RANGES.INT64[1]) ? 'UINT64[]' : 'INT64[]';
    const xs = value as number[];
    if (xs.every((x) => numberType(x) === 'INT32')) return 'INT32[]';
    if (xs.every((x) => numberType(x) !== 'FLOAT64' && x >= 0)) return 'UINT32[]';
    return 'FLOAT64[]';
  }
  throw new TypeError(`expected a GGUF metadata value (number, bigint, boolean, string, typed array, or an array of one kind), got ${describeValue(value)}`);
}

/** Checks one scalar of type `t`; returns a reason when it cannot be stored as that type. */
function scalarProblem(t: GgufScalarType, v: unknown): string | undefined {
  switch (t) {
    case 'STRING':
      if (typeof v !== 'string') return 'a string';
      return isWellFormedUtf16(v) ? undefined : 'a string without lone surrogates (it must encode to valid UTF-8)';
    case 'BOOL':
      return typeof v === 'boolean' ? undefined : 'a boolean';
    case 'FLOAT32':
    case 'FLOAT64':
      if (typeof v !== 'number') return 'a number';
      if (t === 'FLOAT32' && Number.isFinite(v) && Math.fround(v) !== v) return 'a number that is exactly a float32 (round it with Math.fround)';
      return undefined;
    case 'UINT64':
    case 'INT64': {
      const [lo, hi] = BIG_RANGES[t];
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (b === undefined) return 'a bigint (or a safe integer number)';
      return b >= lo && b <= hi ? undefined : `an integer in [${lo}, ${hi}]`;
    }
    default: {
      const [lo, hi] = INT_RANGES[t];
      return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? undefined : `an integer in [${lo}, ${hi}]`;
    }
  }
}

/**
 * Checks that `value` can be stored as GGUF type `type` without loss (integers in range, FLOAT32 values
 * that are float32 numbers, strings that encode to valid UTF-8, arrays of the right element type: the
 * element type's typed array, or a plain array); a TypeError or RangeError naming `what` otherwise.
 */
export function checkGgufValue(type: GgufValueType, value: unknown, what: string): void {
  const { item, array } = splitType(type);
  if (!array) {
    const p = scalarProblem(item, value);
    if (p !== undefined) throw new TypeError(`${what}: expected ${type} as ${p}, got ${describeValue(value)}`);
    return;
  }
  const typed = typedArrayType(value);
  if (typed !== undefined) {
    if (typed !== item) throw new TypeError(`${what}: expected ${type} as ${item in GGUF_ARRAY_CLASSES ? `a ${GGUF_ARRAY_CLASSES[item as NumericScalar].name} or ` : ''}a plain array, got ${describeValue(value)}`);
    return;
  }
  if (!Array.isArray(value)) throw new TypeError(`${what}: expected ${type} as an array, got ${describeValue(value)}`);
  for (let i = 0; i < value.length; i++) {
    const p = scalarProblem(item, value[i]);
    if (p !== undefined) throw new TypeError(`${what}: expected element ${i} of ${type} as ${p}, got ${describeValue(value[i])}`);
  }
}

/** The shortest decimal that reads back (through Math.fround) to the float32 `v`. */
function float32Text(v: number): string {
  if (!Number.isFinite(v) || v === 0) return numberText(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return numberText(Number(s));
  }
  return numberText(v);
}

/** A float64 as text: JavaScript's shortest round-trip form, with '-0' for negative zero. */
function numberText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function scalarText(t: GgufScalarType, v: unknown, inArray: boolean): string {
  if (t === 'STRING') return inArray ? JSON.stringify(v) : (v as string);
  if (t === 'FLOAT32' || t === 'FLOAT64') {
    const x = v as number;
    const s = t === 'FLOAT32' ? float32Text(x) : numberText(x);
    // JSON has no NaN or infinities: inside arrays they are strings
    return inArray && !Number.isFinite(x) ? JSON.stringify(s) : s;
  }
  return String(v);
}

/**
 * The text form of a GGUF metadata value, as `TensorReader.metadata` holds it: strings as they are;
 * integers (64-bit ones included) in decimal; booleans `true`/`false`; FLOAT32 values as the shortest
 * decimal that reads back to the same float32 (`0.1`, not `0.10000000149011612`), FLOAT64 values as the
 * shortest decimal that reads back to the same double, `-0`, `NaN`, `Infinity`, `-Infinity` spelled
 * so; arrays as JSON text (`["<s>","</s>"]`, `[0,-1.5,2.25]`), with non-finite floats as the strings
 * `"NaN"`, `"Infinity"`, `"-Infinity"` and 64-bit integers as bare decimal numbers (exact in the text;
 * `JSON.parse` would round those past 2^53).
 *
 * @example
 * ```ts
 * ggufValueToString(0.1, 'FLOAT64');                           // '0.1'
 * ggufValueToString(Math.fround(0.1), 'FLOAT32');              // '0.1'
 * ggufValueToString(18446744073709551615n, 'UINT64');          // '18446744073709551615'
 * ggufValueToString(['<s>', '"q"'], 'STRING[]');               // '["<s>","\\"q\\""]'
 * ggufValueToString(new Float32Array([1, NaN]), 'FLOAT32[]');  // '[1,"NaN"]'
 * ```
 */
export function ggufValueToString(value: GgufValue, type: GgufValueType): string {
  const { item, array } = splitType(type);
  if (!array) return scalarText(item, value, false);
  const xs = value as ArrayLike<unknown>;
  const parts = new Array<string>(xs.length);
  for (let i = 0; i < xs.length; i++) parts[i] = scalarText(item, xs[i], true);
  return `[${parts.join(',')}]`;
}
