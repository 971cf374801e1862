// Parsing and validation of a safetensors header, for untrusted files. Follows the rules of the
// reference implementation (huggingface/safetensors, safetensors/src/tensor.rs `read_metadata` and
// `Metadata::validate`): 8-byte little-endian header length N, bounded (100 MB) and inside the file;
// N bytes of UTF-8 JSON starting with '{' (trailing spaces allowed); each tensor
// {dtype, shape, data_offsets}; sorted by offsets the tensors tile the data section exactly, from 0,
// without gaps or overlaps, and end - begin = dtype size × product(shape). Stricter than the reference
// on purpose: duplicate keys and `__proto__`/`constructor`/`prototype` keys are errors.
import { describeValue } from '../../core/describe.js';
import { dtypeSize, isDType, type DType, DTYPES } from '../dtypes.js';
import { quoteName, SafetensorsError } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import { describeJson, parseJsonStrict, type JsonObject, type JsonValue } from '../json.js';
import type { TensorInfo } from '../reader.js';

/**
 * Default bound on the JSON header length, as in the reference implementation (100 MB).
 *
 * @example
 * ```ts
 * DEFAULT_MAX_HEADER_BYTES; // 100000000
 * ```
 */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/**
 * One tensor of a safetensors file, as described by its header (validated).
 *
 * @example
 * ```ts
 * for (const t of st.tensors) console.log(t.name, t.dtype, t.shape, t.elements, t.byteOffset);
 * ```
 */
export interface SafetensorsTensorInfo extends TensorInfo {
  /** Element type (a safetensors dtype). */
  readonly dtype: DType;
  /** Size of the data in bytes: `elements × dtypeSize(dtype)`. */
  readonly byteLength: number;
  /** `[begin, end)` relative to the start of the data section, as written in the header. */
  readonly dataOffsets: readonly [number, number];
  /** Absolute position of the first byte in the file: `8 + headerLength + begin`. */
  readonly byteOffset: number;
}

/**
 * A validated safetensors header.
 *
 * @example
 * ```ts
 * const h = parseSafetensors(bytes);
 * console.log(h.headerLength, h.dataOffset, h.tensors.length, h.metadata.format);
 * ```
 */
export interface SafetensorsHeader {
  /** N, the length of the JSON header in bytes (without the 8-byte length prefix). */
  readonly headerLength: number;
  /** Position of the data section in the file: `8 + headerLength`. */
  readonly dataOffset: number;
  /** Total file size in bytes. */
  readonly fileSize: number;
  /** `__metadata__`, string to string (a null-prototype object; empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, in file order (by data offset, then name). */
  readonly tensors: readonly SafetensorsTensorInfo[];
}

/**
 * Options for reading safetensors files.
 *
 * @example
 * ```ts
 * await openSafetensors('model.safetensors', { maxHeaderBytes: 1_000_000 });
 * ```
 */
export interface SafetensorsReadOptions {
  /** Largest accepted JSON header in bytes. Default {@link DEFAULT_MAX_HEADER_BYTES} (100,000,000). */
  maxHeaderBytes?: number;
  /**
   * Accept `__proto__`, `constructor` and `prototype` as tensor names or metadata keys. Default false:
   * they are rejected (code `UNSAFE_KEY`), because code downstream may copy names into plain objects.
   * lowp itself stores them safely (Maps, null-prototype objects) either way.
   */
  allowUnsafeKeys?: boolean;
  /** Name of the file for error messages (set automatically for paths). */
  name?: string;
}

export function checkReadOptions(options: SafetensorsReadOptions | undefined): Required<Omit<SafetensorsReadOptions, 'name'>> & { name: string | undefined } {
  const o = options ?? {};
  if (typeof o !== 'object') throw new TypeError(`expected an options object, got ${describeValue(o)}`);
  const maxHeaderBytes = o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 2) {
    throw new RangeError(`expected maxHeaderBytes to be a safe integer >= 2, got ${String(maxHeaderBytes)}`);
  }
  return { maxHeaderBytes, allowUnsafeKeys: o.allowUnsafeKeys === true, name: o.name };
}

/**
 * Validates the 8-byte length prefix of a file of `fileSize` bytes and returns N, the JSON header length.
 * `prefix` holds the first min(8, fileSize) bytes.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, options?: SafetensorsReadOptions): number {
  const o = checkReadOptions(options);
  if (fileSize < 8 || prefix.length < 8) {
    throw new SafetensorsError('TRUNCATED', `expected at least 8 bytes (the header length), got a file of ${fileSize} bytes`, o.name);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(o.maxHeaderBytes)) {
    throw new SafetensorsError('HEADER_TOO_LARGE', `expected a header length of at most ${o.maxHeaderBytes} bytes, got ${n}`, o.name);
  }
  const len = Number(n);
  if (len > fileSize - 8) {
    throw new SafetensorsError('TRUNCATED', `expected the ${len}-byte header to fit in the file, got a file of ${fileSize} bytes (header past the end)`, o.name);
  }
  if (len < 2) {
    throw new SafetensorsError('BAD_JSON', `expected a JSON header of at least 2 bytes ('{}'), got a header length of ${len}`, o.name);
  }
  return len;
}


function nonNegInt(v: JsonValue): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Parses and validates the JSON header (`json` = the N bytes after the length prefix) of a file of
 * `fileSize` bytes. Throws SafetensorsError.
 */
export function parseHeaderJson(json: Uint8Array, fileSize: number, options?: SafetensorsReadOptions): SafetensorsHeader {
  const o = checkReadOptions(options);
  const file = o.name;
  const headerLength = json.length;
  const dataOffset = 8 + headerLength;
  if (dataOffset > fileSize) {
    throw new SafetensorsError('TRUNCATED', `expected the ${headerLength}-byte header to fit in the file, got a file of ${fileSize} bytes (header past the end)`, file);
  }
  let text: string;
  try {
    text = strictUtf8.decode(json);
  } catch {
    throw new SafetensorsError('BAD_JSON', 'expected a UTF-8 JSON header, got bytes that are not valid UTF-8', file);
  }
  if (text.charCodeAt(0) !== 0x7b) {
    const c = text.charCodeAt(0);
    const shown = c >= 0x20 && c < 0x7f ? `'${text[0]}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new SafetensorsError('BAD_JSON', `expected the header to start with '{', got ${shown}`, file);
  }
  const root = parseJsonStrict(text, { allowUnsafeKeys: o.allowUnsafeKeys, file }) as JsonObject;

  // __metadata__
  const metadata: Record<string, string> = Object.create(null);
  const rawMeta = root.get('__metadata__');
  if (rawMeta !== undefined && rawMeta !== null) {
    if (!(rawMeta instanceof Map)) {
      throw new SafetensorsError('METADATA', `expected __metadata__ to be an object of strings, got ${describeJson(rawMeta)}`, file);
    }
    for (const [k, v] of rawMeta) {
      if (typeof v !== 'string') {
        throw new SafetensorsError('METADATA', `expected __metadata__ values to be strings, got ${describeJson(v)} for key ${quoteName(k)}`, file);
      }
      metadata[k] = v;
    }
  }
  Object.freeze(metadata);

  const dataSize = fileSize - dataOffset;
  const entries: SafetensorsTensorInfo[] = [];
  for (const [name, info] of root) {
    if (name === '__metadata__') continue;
    if (!(info instanceof Map)) {
      throw new SafetensorsError('TENSOR_INFO', `expected tensor ${quoteName(name)} to be an object {dtype, shape, data_offsets}, got ${describeJson(info)}`, file);
    }
    const dtype = info.get('dtype');
    const shape = info.get('shape');
    const offsets = info.get('data_offsets');
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const missing = ['dtype', 'shape', 'data_offsets'].filter((k) => !info.has(k));
      throw new SafetensorsError('TENSOR_INFO', `expected tensor ${quoteName(name)} to have dtype, shape and data_offsets, got none for ${missing.join(', ')}`, file);
    }
    if (typeof dtype !== 'string') {
      throw new SafetensorsError('TENSOR_INFO', `expected the dtype of tensor ${quoteName(name)} to be a string, got ${describeJson(dtype)}`, file);
    }
    if (!isDType(dtype)) {
      throw new SafetensorsError('DTYPE', `expected the dtype of tensor ${quoteName(name)} to be one of ${DTYPES.join(', ')}, got ${quoteName(dtype)}`, file);
    }
    if (!Array.isArray(shape)) {
      throw new SafetensorsError('SHAPE', `expected the shape of tensor ${quoteName(name)} to be an array of non-negative integers, got ${describeJson(shape)}`, file);
    }
    const dims: number[] = [];
    let elements = 1;
    for (const d of shape) {
      const v = nonNegInt(d);
      if (v === undefined) {
        throw new SafetensorsError('SHAPE', `expected the shape of tensor ${quoteName(name)} to hold non-negative safe integers, got ${describeJson(d)}`, file);
      }
      dims.push(v);
      if (elements !== 0 && v > Number.MAX_SAFE_INTEGER / elements) {
        throw new SafetensorsError('SHAPE', `expected the element count of tensor ${quoteName(name)} to be at most 2^53 - 1, got shape [${shape.map((x) => (typeof x === 'number' ? x : describeJson(x))).join(', ')}]`, file);
      }
      elements *= v;
    }
    const size = dtypeSize(dtype);
    if (elements > Number.MAX_SAFE_INTEGER / size) {
      throw new SafetensorsError('SHAPE', `expected the byte size of tensor ${quoteName(name)} to be at most 2^53 - 1, got ${elements} elements of ${size} bytes`, file);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError('OFFSETS', `expected data_offsets of tensor ${quoteName(name)} to be [begin, end], got ${describeJson(offsets)}`, file);
    }
    const begin = nonNegInt(offsets[0]);
    const end = nonNegInt(offsets[1]);
    if (begin === undefined || end === undefined) {
      const bad = begin === undefined ? offsets[0] : offsets[1];
      throw new SafetensorsError('OFFSETS', `expected data_offsets of tensor ${quoteName(name)} to be non-negative safe integers, got ${describeJson(bad)}`, file);
    }
    if (end < begin) {
      throw new SafetensorsError('OFFSETS', `expected data_offsets of tensor ${quoteName(name)} to have begin <= end, got [${begin}, ${end}]`, file);
    }
    const byteLength = elements * size;
    if (end - begin !== byteLength) {
      throw new SafetensorsError('SIZE_MISMATCH', `expected tensor ${quoteName(name)} (${dtype} [${dims.join(', ')}]) to span ${byteLength} bytes, got data_offsets [${begin}, ${end}] (${end - begin} bytes)`, file);
    }
    entries.push(Object.freeze({
      name,
      dtype,
      shape: Object.freeze(dims),
      elements,
      byteLength,
      dataOffsets: Object.freeze([begin, end] as [number, number]),
      byteOffset: dataOffset + begin,
    }));
  }

  entries.sort((a, b) =>
    a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let at = 0;
  for (const t of entries) {
    const [b, e] = t.dataOffsets;
    if (b !== at) {
      const what = b < at ? `an overlap with the previous tensor (which ends at ${at})` : `a gap of ${b - at} bytes after offset ${at}`;
      throw new SafetensorsError('OFFSETS', `expected tensor ${quoteName(t.name)} to start at data offset ${at}, got ${b}: ${what}`, file);
    }
    if (e > dataSize) {
      throw new SafetensorsError('TRUNCATED', `expected the data section to hold tensor ${quoteName(t.name)} up to byte ${e}, got only ${dataSize} data bytes (truncated file or offsets out of range)`, file);
    }
    at = e;
  }
  if (at !== dataSize) {
    throw new SafetensorsError('OFFSETS', `expected the tensors to cover the whole data section of ${dataSize} bytes, got ${dataSize - at} bytes after the last tensor`, file);
  }
  return Object.freeze({ headerLength, dataOffset, fileSize, metadata, tensors: Object.freeze(entries) });
}

/**
 * Validates a complete safetensors file held in memory and returns its header (the tensor data is not
 * copied). Throws {@link SafetensorsError} on any invalid file; never another exception for bytes.
 *
 * @example
 * ```ts
 * import { parseSafetensors, writeSafetensors } from 'lowp/io';
 * const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 * parseSafetensors(bytes).tensors[0]; // { name: 'w', dtype: 'F32', shape: [2], ... }
 * ```
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, options?: SafetensorsReadOptions): SafetensorsHeader {
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(u8 instanceof Uint8Array)) {
    throw new TypeError(`expected a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`);
  }
  const n = readHeaderLength(u8.subarray(0, 8), u8.length, options);
  return parseHeaderJson(u8.subarray(8, 8 + n), u8.length, options);
}
