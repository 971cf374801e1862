// Input handling shared by the diagnostics: what a "values" argument may be (a Float32Array, a
// Float64Array, a number array, or the codes of another format) and how each is read without copying
// the caller's data. Nothing here writes to the caller's arrays.
import { describeValue } from '../core/describe.js';
import { codeArrayType } from '../formats/bulk.js';
import { decodeGeneric } from '../formats/codec.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import type { FloatFormat } from '../formats/spec.js';

/**
 * The codes of a format, as produced by `encodeArray` (a Uint16Array of bf16 codes, a Uint8Array of
 * fp8 codes, a Uint32Array of float32 bit patterns...). Each code is decoded exactly before analysis.
 *
 * @example
 * ```ts
 * const input: CodesInput = { codes: encodeArray(new Float32Array([1, 2]), 'bf16'), format: 'bf16' };
 * analyzeCast(input, 'fp8-e4m3fn').counts.exact; // 2
 * ```
 */
export interface CodesInput {
  /**
   * The codes, one per element, in the array type of `format`'s width (Uint8Array up to 8 bits,
   * Uint16Array up to 16, Uint32Array for fp32; see `codeArrayType`); another type is a TypeError.
   */
  codes: Uint8Array | Uint16Array | Uint32Array;
  /** The format the codes belong to. */
  format: FormatLike;
}

/**
 * What the diagnostics accept as values: a Float32Array, a Float64Array, a plain number array, or
 * {@link CodesInput}. The data is read in place, never copied or modified.
 *
 * @example
 * ```ts
 * const a: ValuesInput = new Float32Array([1e-8, 0.5]);
 * const b: ValuesInput = [1e-8, 0.5];
 * const c: ValuesInput = { codes: new Uint16Array([0x3c00]), format: 'fp16' };
 * ```
 */
export type ValuesInput = Float32Array | Float64Array | readonly number[] | CodesInput;

/** A validated source of values: the kind of storage and how to read it. */
export type ValueSource =
  | { kind: 'f32'; length: number; f32: Float32Array; u32: Uint32Array; sourceName: string }
  | { kind: 'f64'; length: number; data: Float64Array; sourceName: string }
  | { kind: 'array'; length: number; data: readonly number[]; sourceName: string }
  | { kind: 'table'; length: number; codes: Uint8Array | Uint16Array | Uint32Array; table: Float64Array; sourceName: string }
  | { kind: 'codes'; length: number; codes: Uint8Array | Uint16Array | Uint32Array; format: FloatFormat; sourceName: string };

/** Whether a format is IEEE binary32 (its codes can be viewed as a Float32Array). */
function isBinary32(f: FloatFormat): boolean {
  return f.exponentBits === 8 && f.mantissaBits === 23 && f.bias === 127 && f.signed && f.infinity && f.nan === 'ieee';
}

/**
 * Validates a {@link ValuesInput} and returns a {@link ValueSource}. Codes of formats up to 16 bits are
 * decoded through a table of all their values (built here, 2^bits entries); binary32 codes are viewed
 * as a Float32Array (no copy).
 */
export function resolveValues(values: unknown, fn: string, name = 'values'): ValueSource {
  if (values instanceof Float32Array) {
    return { kind: 'f32', length: values.length, f32: values, u32: new Uint32Array(values.buffer, values.byteOffset, values.length), sourceName: 'fp32' };
  }
  if (values instanceof Float64Array) return { kind: 'f64', length: values.length, data: values, sourceName: 'fp64' };
  if (Array.isArray(values)) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number') {
        throw new TypeError(`${fn}: ${name}[${i}] must be a number, got ${describeValue(values[i])}`);
      }
    }
    return { kind: 'array', length: values.length, data: values as readonly number[], sourceName: 'fp64' };
  }
  if (values !== null && typeof values === 'object' && !ArrayBuffer.isView(values) && 'codes' in values && 'format' in values) {
    const { codes, format } = values as CodesInput;
    const f = getFormat(format);
    if (!(codes instanceof Uint8Array || codes instanceof Uint16Array || codes instanceof Uint32Array)) {
      throw new TypeError(`${fn}: ${name}.codes must be a Uint8Array, Uint16Array or Uint32Array of ${f.name} codes, got ${describeValue(codes)}`);
    }
    // the array type must be the format's (as encodeArray makes it): bf16 codes in a Uint8Array are
    // bytes, each of which is also a valid tiny bf16 code, so they would be analysed as garbage
    const Ctor = codeArrayType(f);
    if (!(codes instanceof Ctor)) {
      throw new TypeError(`${fn}: ${name}.codes: ${f.name} codes are held in a ${Ctor.name} (as encodeArray returns them), got ${describeValue(codes)}`);
    }
    if (isBinary32(f)) {
      // codes is a Uint32Array (codeArrayType of a 32-bit format, checked above)
      const f32 = new Float32Array(codes.buffer, codes.byteOffset, codes.length);
      return { kind: 'f32', length: codes.length, f32, u32: codes as Uint32Array, sourceName: f.name };
    }
    if (f.bits <= 16) {
      const size = 2 ** f.bits;
      const table = new Float64Array(size);
      for (let c = 0; c < size; c++) table[c] = decodeGeneric(c, f);
      return { kind: 'table', length: codes.length, codes, table, sourceName: f.name };
    }
    return { kind: 'codes', length: codes.length, codes, format: f, sourceName: f.name };
  }
  throw new TypeError(`${fn}: ${name} must be a Float32Array, Float64Array, number[] or { codes, format }, got ${describeValue(values)}`);
}

/** Throws the error for a code outside its format's range. */
export function badCode(fn: string, index: number, code: number, source: string): never {
  throw new RangeError(`${fn}: code ${code} at index ${index} is not a ${source} code`);
}

/** Reads element i of a source as a number (for the functions that are not speed-critical). */
export function readValue(src: ValueSource, i: number, fn: string): number {
  switch (src.kind) {
    case 'f32': return src.f32[i];
    case 'f64': return src.data[i];
    case 'array': return src.data[i];
    case 'table': {
      const v = src.table[src.codes[i]];
      if (v === undefined) badCode(fn, i, src.codes[i], src.sourceName);
      return v;
    }
    case 'codes': {
      const c = src.codes[i];
      if (c >= 2 ** src.format.bits) badCode(fn, i, c, src.sourceName);
      return decodeGeneric(c, src.format);
    }
  }
}

/** Requires a non-empty source. */
export function requireNonEmpty(src: ValueSource, fn: string, name = 'values'): void {
  if (src.length === 0) throw new RangeError(`${fn}: ${name} is empty; expected at least one element`);
}
