// Writing safetensors files, laid out like the reference implementation (huggingface/safetensors
// `prepare`/`serialize` in safetensors/src/tensor.rs): tensors ordered by dtype, descending in the
// reference's `Dtype` enum order (U64 I64 F64 F32 U32 I32 BF16 F16 U16 I16 F8_E8M0 F8_E4M3 F8_E5M2 I8 U8
// BOOL: element size descending, so every tensor is aligned), then by name in code-point order; JSON
// header without spaces, `__metadata__` first, padded with spaces to a multiple of 8 bytes. With the
// metadata keys in the same order, the output is byte-identical to Python's `safetensors.save_file`. Inputs are validated (dtype, shape, data type and length) and never modified.
import { describeValue } from '../../core/describe.js';
import { dtypeArrayType, dtypeSize, isDType, typedArrayToBytes, DTYPES, type DType, type TensorData } from '../dtypes.js';
import { SafetensorsError } from '../errors.js';
import { shapeElements } from '../shape.js';
import { isWellFormedUtf16 } from '../unicode.js';
import { UNSAFE_KEYS } from '../json.js';
import { requireNodeFs, systemMessage } from '../node-fs.js';

/**
 * A tensor to write. `data` is the dtype's natural typed array (see {@link DTypeArrayMap}: Float32Array for
 * F32, Uint16Array of codes for F16/BF16, Uint8Array of codes for F8_*, BigInt64Array for I64...) with
 * product(shape) elements, a platform `Float16Array` for F16 where it exists, or a Uint8Array of the raw
 * little-endian bytes (product(shape) × element size).
 *
 * @example
 * ```ts
 * const t: TensorInput = { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) };
 * writeSafetensors({ t });
 * ```
 */
export interface TensorInput {
  /** Element type. */
  dtype: DType;
  /** Dimensions, outermost first. */
  shape: readonly number[];
  /** The elements in C order, or their raw little-endian bytes. */
  data: TensorData | Uint8Array;
}

/**
 * A tensor to write, with its name (for the array form of {@link TensorsInput}).
 *
 * @example
 * ```ts
 * writeSafetensors([{ name: 'b', dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) }]);
 * ```
 */
export interface NamedTensorInput extends TensorInput {
  /** Tensor name. */
  name: string;
}

/**
 * Tensors to write: an object or Map from name to tensor, or an array of named tensors.
 *
 * @example
 * ```ts
 * writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
 * writeSafetensors(new Map([['a', { dtype: 'U8', shape: [0], data: new Uint8Array(0) }]]));
 * ```
 */
export type TensorsInput =
  | Readonly<Record<string, TensorInput>>
  | ReadonlyMap<string, TensorInput>
  | readonly NamedTensorInput[];

/** Position of each dtype in the layout order: DTYPES lists them so (the reference's enum, descending). */
const LAYOUT_POSITION = new Map<DType, number>(DTYPES.map((d, i) => [d, i]));

/** Orders strings by Unicode code point (= UTF-8 byte order, as Rust compares `str`). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (U+D800-DFFF, part of a code point >= U+10000) sorts after U+E000-U+FFFF
    const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return sx - sy;
  }
  return a.length - b.length;
}

interface PlannedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

/** The serialised parts of a file: prefix (8-byte length + padded JSON) and the data, in order. */
interface Plan {
  prefix: Uint8Array;
  parts: Uint8Array[];
  size: number;
}

function checkKey(key: string, what: string): void {
  if (typeof key !== 'string') throw new TypeError(`expected ${what} to be a string, got ${describeValue(key)}`);
  if (UNSAFE_KEYS.has(key)) throw new RangeError(`expected ${what} other than '${key}' (readers reject it), got '${key}'`);
  if (!isWellFormedUtf16(key)) throw new RangeError(`expected ${what} to be well-formed Unicode, got a string with a lone surrogate`);
}

function entriesOf(tensors: TensorsInput): [string, TensorInput][] {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (Array.isArray(tensors)) {
    return tensors.map((t, i) => {
      if (typeof t !== 'object' || t === null) throw new TypeError(`expected tensors[${i}] to be a tensor object, got ${describeValue(t)}`);
      return [t.name, t];
    });
  }
  if (typeof tensors !== 'object' || tensors === null) {
    throw new TypeError(`expected tensors as an object, Map or array, got ${describeValue(tensors)}`);
  }
  return Object.keys(tensors).map((k) => [k, (tensors as Record<string, TensorInput>)[k]]);
}

function planTensor(name: string, t: TensorInput): PlannedTensor {
  checkKey(name, 'a tensor name');
  if (name === '__metadata__') throw new RangeError("expected a tensor name other than '__metadata__' (reserved), got '__metadata__'");
  if (typeof t !== 'object' || t === null) throw new TypeError(`expected tensor '${name}' to be {dtype, shape, data}, got ${describeValue(t)}`);
  const { dtype, shape, data } = t;
  if (!isDType(dtype)) throw new TypeError(`expected the dtype of tensor '${name}' to be one of ${DTYPES.join(', ')}, got ${describeValue(dtype)}`);
  const elements = shapeElements(name, shape);
  const size = dtypeSize(dtype);
  const Natural = dtypeArrayType(dtype);
  let bytes: Uint8Array;
  if (data instanceof Natural) {
    if (data.length !== elements) {
      throw new RangeError(`expected tensor '${name}' (shape [${shape.join(', ')}]) to have ${elements} elements, got ${describeValue(data)}`);
    }
    bytes = typedArrayToBytes(data, size);
  } else if (dtype === 'F16' && Object.prototype.toString.call(data) === '[object Float16Array]') {
    // the platform's Float16Array (Node >= 24, recent browsers): its bytes are fp16 codes
    const f16 = data as unknown as ArrayBufferView & { length: number };
    if (f16.length !== elements) {
      throw new RangeError(`expected tensor '${name}' (shape [${shape.join(', ')}]) to have ${elements} elements, got ${describeValue(data)}`);
    }
    bytes = typedArrayToBytes(f16, 2);
  } else if (data instanceof Uint8Array) {
    if (data.length !== elements * size) {
      throw new RangeError(`expected the raw bytes of tensor '${name}' (${dtype} [${shape.join(', ')}]) to be ${elements * size} bytes, got ${data.length}`);
    }
    bytes = data;
  } else {
    throw new TypeError(`expected the data of tensor '${name}' (${dtype}) to be a ${Natural.name ?? 'typed array'} or raw Uint8Array, got ${describeValue(data)}`);
  }
  if (dtype === 'BOOL') {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] > 1) throw new RangeError(`expected BOOL tensor '${name}' to hold 0 or 1, got ${bytes[i]} at index ${i}`);
    }
  }
  return { name, dtype, shape: [...shape], bytes };
}

function plan(tensors: TensorsInput, metadata?: Readonly<Record<string, string>>): Plan {
  const planned: PlannedTensor[] = [];
  const seen = new Set<string>();
  for (const [name, t] of entriesOf(tensors)) {
    if (seen.has(name)) throw new RangeError(`expected unique tensor names, got '${name}' twice`);
    seen.add(name);
    planned.push(planTensor(name, t));
  }
  planned.sort((a, b) => LAYOUT_POSITION.get(a.dtype)! - LAYOUT_POSITION.get(b.dtype)! || compareCodePoints(a.name, b.name));

  let json = '{';
  let first = true;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new TypeError(`expected metadata to be an object of strings, got ${describeValue(metadata)}`);
    }
    const parts: string[] = [];
    for (const k of Object.keys(metadata)) {
      checkKey(k, 'a metadata key');
      const v = metadata[k];
      if (typeof v !== 'string') throw new TypeError(`expected metadata values to be strings, got ${describeValue(v)} for key '${k}'`);
      if (!isWellFormedUtf16(v)) throw new RangeError(`expected metadata value of '${k}' to be well-formed Unicode, got a lone surrogate`);
      parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    json += `"__metadata__":{${parts.join(',')}}`;
    first = false;
  }
  let offset = 0;
  for (const t of planned) {
    const end = offset + t.bytes.length;
    json += `${first ? '' : ','}${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`;
    first = false;
    offset = end;
  }
  json += '}';
  const raw = new TextEncoder().encode(json);
  const padded = raw.length + ((8 - (raw.length % 8)) % 8);
  const prefix = new Uint8Array(8 + padded);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded), true);
  prefix.set(raw, 8);
  prefix.fill(0x20, 8 + raw.length);
  return { prefix, parts: planned.map((t) => t.bytes), size: prefix.length + offset };
}

/**
 * Serialises tensors (and optional string metadata) into the bytes of a safetensors file. Layout as in
 * the reference implementation: tensors ordered by dtype (largest element first, in the reference's
 * dtype order) then name, so each is aligned; compact JSON header with `__metadata__` first (keys in the
 * object's order), padded with spaces to a multiple of 8. Inputs are not modified.
 *
 * @example
 * ```ts
 * import { writeSafetensors } from 'lowp/io';
 * const bytes = writeSafetensors(
 *   { 'layer.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } },
 *   { format: 'pt' },
 * );
 * ```
 */
export function writeSafetensors(tensors: TensorsInput, metadata?: Readonly<Record<string, string>>): Uint8Array<ArrayBuffer> {
  const p = plan(tensors, metadata);
  const out = new Uint8Array(p.size);
  out.set(p.prefix, 0);
  let at = p.prefix.length;
  for (const part of p.parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Writes a safetensors file to a path (Node), tensor by tensor, without building the whole file in
 * memory. Same layout as {@link writeSafetensors}. Throws SafetensorsError `IO` when the file cannot be
 * written, `NO_FS` outside Node.
 *
 * @example
 * ```ts
 * import { writeSafetensorsFile } from 'lowp/io';
 * writeSafetensorsFile('out.safetensors', { x: { dtype: 'I32', shape: [3], data: new Int32Array([1, 2, 3]) } });
 * ```
 */
export function writeSafetensorsFile(path: string, tensors: TensorsInput, metadata?: Readonly<Record<string, string>>): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a file path, got ${describeValue(path)}`);
  const fs = requireNodeFs((m) => new SafetensorsError('NO_FS', m, path));
  const p = plan(tensors, metadata);
  let fd: number;
  try {
    fd = fs.openSync(path, 'w');
  } catch (e) {
    throw new SafetensorsError('IO', `cannot open for writing: ${systemMessage(e)}`, path);
  }
  try {
    for (const part of [p.prefix, ...p.parts]) {
      let done = 0;
      while (done < part.length) done += fs.writeSync(fd, part, done, Math.min(1 << 30, part.length - done), null);
    }
  } catch (e) {
    throw new SafetensorsError('IO', `cannot write: ${systemMessage(e)}`, path);
  } finally {
    fs.closeSync(fd);
  }
}
