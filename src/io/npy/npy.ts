// The NumPy .npy format (numpy/lib/format.py, NEP 1): magic "\x93NUMPY", version 1.0 / 2.0 / 3.0, a
// little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n' so the data
// starts at a multiple of 64, then the raw data. Reads and writes little-endian, C-order arrays of
// f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1; everything else is a clear NpyError. The writer is byte-identical
// to numpy's np.save (same dict order, the same spare space after the dict, the same padding).
import { describeValue } from '../../core/describe.js';
import { bytesToTypedArray, dtypeArrayType, dtypeSize, LITTLE_ENDIAN_HOST, typedArrayToBytes, type DType, type DTypeArrayMap } from '../dtypes.js';
import { NpyError } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import { requireNodeFs, systemMessage } from '../node-fs.js';
import { parsePythonLiteral, PyTuple } from './python-literal.js';

/**
 * The dtypes a .npy file can hold in lowp/io (numpy has no bfloat16 or fp8 of its own).
 *
 * @example
 * ```ts
 * const d: NpyDType = 'F16'; // '<f2' in numpy
 * ```
 */
export type NpyDType = Exclude<DType, 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0'>;

/**
 * An array read from or written to a .npy file.
 *
 * @example
 * ```ts
 * const a: NpyArray = { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) };
 * writeNpy(a);
 * ```
 */
export interface NpyArray<D extends NpyDType = NpyDType> {
  /** Element type, in lowp/io's names (`'F32'` for numpy `<f4`, `'BOOL'` for `|b1`...). */
  dtype: D;
  /** Dimensions, C order; `[]` for a 0-d array. */
  shape: number[];
  /** The elements in C order, in the dtype's natural typed array (F16 as Uint16Array bit patterns). */
  data: DTypeArrayMap[D];
}

/**
 * An array read from a .npy file, with the file's own dtype string and version.
 *
 * @example
 * ```ts
 * const { dtype, descr, shape, data, version } = readNpy(bytes);
 * ```
 */
export interface NpyReadResult<D extends NpyDType = NpyDType> extends NpyArray<D> {
  /** numpy's dtype string as written (`'<f4'`, `'|u1'`...). */
  descr: string;
  /** Format version `[major, minor]`: `[1, 0]`, `[2, 0]` or `[3, 0]`. */
  version: [number, number];
}

const NPY_OF: Record<NpyDType, string> = {
  F64: 'f8', F32: 'f4', F16: 'f2',
  I64: 'i8', I32: 'i4', I16: 'i2', I8: 'i1',
  U64: 'u8', U32: 'u4', U16: 'u2', U8: 'u1',
  BOOL: 'b1',
};
const DTYPE_OF = new Map<string, NpyDType>(Object.entries(NPY_OF).map(([d, c]) => [c, d as NpyDType]));
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy's ARRAY_ALIGN: the data starts at a multiple of 64 bytes. */
const ARRAY_ALIGN = 64;
/** numpy's GROWTH_AXIS_MAX_DIGITS: spare spaces left after the dict so the shape can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * Options of {@link readNpy}.
 *
 * @example
 * ```ts
 * readNpy(bytes, { maxHeaderBytes: 10_000, name: 'x.npy' });
 * ```
 */
export interface NpyReadOptions {
  /** Largest accepted header in bytes. Default 1,000,000 (numpy's own default limit is 10,000). */
  maxHeaderBytes?: number;
  /** File name for error messages. */
  name?: string;
}

/** Options must be an object when given (a bare value in their place would be ignored). */
function checkOptions(options: unknown): void {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options) || ArrayBuffer.isView(options))) {
    throw new TypeError(`expected options as an object, got ${describeValue(options)}`);
  }
}

/**
 * Reads a .npy file held in memory (format 1.0, 2.0 or 3.0; little-endian or 1-byte dtypes; C order).
 * The data is copied into a fresh, aligned typed array. Throws {@link NpyError} for anything else:
 * big-endian data, `fortran_order: True`, object, structured or other unsupported dtypes, truncation.
 *
 * @example
 * ```ts
 * import { readNpy, writeNpy } from 'lowp/io';
 * const bytes = writeNpy({ dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) });
 * readNpy(bytes); // { dtype: 'F32', descr: '<f4', shape: [2], data: Float32Array [1, 2], version: [1, 0] }
 * ```
 */
export function readNpy(bytes: Uint8Array | ArrayBuffer, options?: NpyReadOptions): NpyReadResult {
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(u8 instanceof Uint8Array)) throw new TypeError(`expected a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`);
  const h = parseNpyHeader(u8, u8.length, options);
  const data = bytesToTypedArray(h.dtype, u8.slice(h.dataOffset, h.dataOffset + h.byteLength));
  if (h.dtype === 'BOOL') {
    const b = data as Uint8Array;
    for (let k = 0; k < b.length; k++) if (b[k] > 1) b[k] = 1;
  }
  return { dtype: h.dtype, descr: h.descr, shape: h.shape, data, version: h.version };
}

/**
 * The header of a .npy file: what {@link parseNpyHeader} validates before any data is read.
 *
 * @example
 * ```ts
 * const h = parseNpyHeader(prefix, fileSize);
 * h.dataOffset; // where the C-order data starts
 * ```
 */
export interface NpyHeader {
  /** Element type in lowp/io's names. */
  dtype: NpyDType;
  /** numpy's dtype string as written. */
  descr: string;
  /** Dimensions, C order. */
  shape: number[];
  /** Product of the shape. */
  elements: number;
  /** Bytes of data: elements × element size. */
  byteLength: number;
  /** Position of the first data byte in the file. */
  dataOffset: number;
  /** Format version `[major, minor]`. */
  version: [number, number];
}

/**
 * Validates the header of a .npy file of `fileSize` bytes from `prefix`, its first bytes (at least the
 * whole header: 10 or 12 bytes plus the header length; fewer is `TRUNCATED`), and checks that the data
 * fills the rest of the file exactly. Throws {@link NpyError} (see {@link readNpy}).
 *
 * @example
 * ```ts
 * import { parseNpyHeader, writeNpy } from 'lowp/io';
 * const bytes = writeNpy({ dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) });
 * parseNpyHeader(bytes, bytes.length).dataOffset; // 128
 * ```
 */
export function parseNpyHeader(prefix: Uint8Array, fileSize: number, options?: NpyReadOptions): NpyHeader {
  const u8 = prefix;
  checkOptions(options);
  const file = options?.name;
  const maxHeader = options?.maxHeaderBytes ?? 1_000_000;
  if (!Number.isSafeInteger(maxHeader) || maxHeader < 1) throw new RangeError(`expected maxHeaderBytes to be a positive integer, got ${describeValue(maxHeader)}`);
  for (let k = 0; k < MAGIC.length; k++) {
    if (u8[k] !== MAGIC[k]) {
      throw new NpyError(u8.length < 6 && u8.every((b, j) => b === MAGIC[j]) ? 'TRUNCATED' : 'MAGIC',
        `expected the magic string \\x93NUMPY, got ${u8.length < 6 ? `a file of ${u8.length} bytes` : `bytes ${[...u8.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`}`, file);
    }
  }
  if (u8.length < 8) throw new NpyError('TRUNCATED', `expected a version after the magic string, got a file of ${u8.length} bytes`, file);
  const major = u8[6];
  const minor = u8[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new NpyError('VERSION', `expected format version 1.0, 2.0 or 3.0, got ${major}.${minor}`, file);
  }
  const lenBytes = major === 1 ? 2 : 4;
  if (u8.length < 8 + lenBytes) throw new NpyError('TRUNCATED', `expected a ${lenBytes}-byte header length, got a file of ${u8.length} bytes`, file);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (hlen > maxHeader) throw new NpyError('HEADER', `expected a header of at most ${maxHeader} bytes, got ${hlen}`, file);
  const start = 8 + lenBytes;
  if (start + hlen > u8.length) throw new NpyError('TRUNCATED', `expected a ${hlen}-byte header, got ${u8.length - start} bytes after the header length`, file);
  const raw = u8.subarray(start, start + hlen);
  let text: string;
  if (major === 3) {
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw new NpyError('HEADER', 'expected a UTF-8 header (format 3.0), got invalid UTF-8', file);
    }
  } else {
    text = latin1(raw);
  }
  const dict = parsePythonLiteral(text, file);
  if (!(dict instanceof Map)) throw new NpyError('HEADER', `expected the header to be a dict, got ${typeof dict === 'object' ? 'another literal' : String(dict)}`, file);
  const keys = [...dict.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') {
    throw new NpyError('HEADER', `expected the header keys descr, fortran_order, shape, got ${[...dict.keys()].join(', ') || 'none'}`, file);
  }
  const descr = dict.get('descr');
  if (typeof descr !== 'string') {
    throw new NpyError('DTYPE', `expected descr to be a simple dtype string such as '<f4', got ${Array.isArray(descr) ? 'a structured dtype (a list of fields)' : 'another literal'}`, file);
  }
  const m = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(descr);
  const dtype = m ? DTYPE_OF.get(m[2]) : undefined;
  if (!m || dtype === undefined) {
    throw new NpyError('DTYPE', `expected a dtype among <f8 <f4 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1, got '${descr.slice(0, 40)}'`, file);
  }
  const size = dtypeSize(dtype);
  if (size > 1 && m[1] !== '<' && !(m[1] === '=' && LITTLE_ENDIAN_HOST)) {
    throw new NpyError('DTYPE', `expected little-endian data ('<${m[2]}'), got '${descr}' (${m[1] === '>' ? 'big-endian' : 'no byte order'}): save with arr.astype('<${m[2]}')`, file);
  }
  const fortran = dict.get('fortran_order');
  if (fortran === true) throw new NpyError('FORTRAN_ORDER', 'expected fortran_order False (C order), got True: save np.ascontiguousarray(arr)', file);
  if (fortran !== false) throw new NpyError('HEADER', 'expected fortran_order to be True or False, got another literal', file);
  const shapeV = dict.get('shape');
  if (!(shapeV instanceof PyTuple)) throw new NpyError('SHAPE', 'expected shape to be a tuple of integers, got another literal', file);
  const shape: number[] = [];
  let elements = 1;
  for (const d of shapeV.items) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new NpyError('SHAPE', `expected shape entries to be non-negative integers, got ${typeof d === 'bigint' ? `${d}` : typeof d === 'number' ? d : 'another literal'}`, file);
    }
    if (elements !== 0 && d > Number.MAX_SAFE_INTEGER / elements / size) throw new NpyError('SHAPE', `expected a shape whose byte size is below 2^53, got (${shapeV.items.join(', ')})`, file);
    shape.push(d);
    elements *= d;
  }
  const dataStart = start + hlen;
  const need = elements * size;
  const have = fileSize - dataStart;
  if (have < need) throw new NpyError('TRUNCATED', `expected ${need} data bytes for ${descr} (${shape.join(', ')}), got ${have}`, file);
  if (have > need) throw new NpyError('SIZE_MISMATCH', `expected ${need} data bytes for ${descr} (${shape.join(', ')}), got ${have} (${have - need} extra)`, file);
  return { dtype, descr, shape, elements, byteLength: need, dataOffset: dataStart, version: [major, minor] };
}

function latin1(raw: Uint8Array): string {
  let s = '';
  for (let k = 0; k < raw.length; k += 8192) s += String.fromCharCode(...raw.subarray(k, k + 8192));
  return s;
}

/**
 * Options of {@link writeNpy}.
 *
 * @example
 * ```ts
 * writeNpy({ dtype: 'U8', shape: [3], data: new Uint8Array(3) }, { version: 2 });
 * ```
 */
export interface NpyWriteOptions {
  /** Format version; default: 1.0 when the header fits in 65,535 bytes, else 2.0 (as numpy does). */
  version?: 1 | 2 | 3;
}

/**
 * Serialises an array to the bytes of a .npy file, byte-identical to numpy's `np.save` (C order,
 * little-endian; version 1.0 unless the header needs 2.0). Inputs are validated and not modified.
 *
 * @example
 * ```ts
 * import { writeNpy } from 'lowp/io';
 * const bytes = writeNpy({ dtype: 'I32', shape: [2, 2], data: new Int32Array([1, 2, 3, 4]) });
 * // np.load(io.BytesIO(bytes)) -> array([[1, 2], [3, 4]], dtype=int32)
 * ```
 */
export function writeNpy(array: NpyArray, options?: NpyWriteOptions): Uint8Array<ArrayBuffer> {
  if (typeof array !== 'object' || array === null) throw new TypeError(`expected {dtype, shape, data}, got ${describeValue(array)}`);
  checkOptions(options);
  const { dtype, shape, data } = array;
  const code = typeof dtype === 'string' ? NPY_OF[dtype as NpyDType] : undefined;
  if (code === undefined || !Object.prototype.hasOwnProperty.call(NPY_OF, dtype)) {
    throw new TypeError(`expected a .npy dtype (${Object.keys(NPY_OF).join(', ')}), got ${describeValue(dtype)}`);
  }
  if (!Array.isArray(shape)) throw new TypeError(`expected shape to be an array of non-negative integers, got ${describeValue(shape)}`);
  let elements = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new RangeError(`expected shape entries to be non-negative integers, got ${describeValue(d)}`);
    elements *= d;
  }
  const Natural = dtypeArrayType(dtype);
  if (!(data instanceof Natural)) throw new TypeError(`expected data of ${dtype} to be a ${Natural.name}, got ${describeValue(data)}`);
  if (data.length !== elements) throw new RangeError(`expected ${elements} elements for shape [${shape.join(', ')}], got ${describeValue(data)}`);
  const version = options?.version;
  if (version !== undefined && version !== 1 && version !== 2 && version !== 3) {
    throw new RangeError(`expected version 1, 2 or 3, got ${describeValue(version)}`);
  }
  const size = dtypeSize(dtype);
  const descr = `${size === 1 ? '|' : '<'}${code}`;
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const wrap = (v: 1 | 2 | 3): Uint8Array | undefined => {
    const lenBytes = v === 1 ? 2 : 4;
    const hlen = header.length + 1;
    const padlen = ARRAY_ALIGN - ((8 + lenBytes + hlen) % ARRAY_ALIGN);
    const total = hlen + padlen;
    if (v === 1 && total > 0xffff) return undefined;
    const out = new Uint8Array(8 + lenBytes + total);
    out.set(MAGIC, 0);
    out[6] = v;
    out[7] = 0;
    const dv = new DataView(out.buffer);
    if (v === 1) dv.setUint16(8, total, true);
    else dv.setUint32(8, total, true);
    for (let k = 0; k < header.length; k++) out[8 + lenBytes + k] = header.charCodeAt(k);
    out.fill(0x20, 8 + lenBytes + header.length, out.length - 1);
    out[out.length - 1] = 0x0a;
    return out;
  };
  const prefix = version === undefined ? (wrap(1) ?? wrap(2)) : wrap(version);
  if (prefix === undefined) throw new RangeError(`expected a header that fits version 1.0 (65,535 bytes), got ${header.length + 1} bytes: use version 2`);
  const body = typedArrayToBytes(data, size);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

/**
 * Reads a .npy file from a path (Node; the whole file is read). Throws {@link NpyError} (`IO` when the
 * file cannot be read, `NO_FS` outside Node).
 *
 * @example
 * ```ts
 * import { readNpyFile } from 'lowp/io';
 * const { dtype, shape, data } = readNpyFile('weights.npy');
 * ```
 */
export function readNpyFile(path: string, options?: NpyReadOptions): NpyReadResult {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a file path, got ${describeValue(path)}`);
  const fs = requireNodeFs((m) => new NpyError('NO_FS', m, path));
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new NpyError('IO', `cannot read: ${systemMessage(e)}`, path);
  }
  return readNpy(bytes, { ...options, name: options?.name ?? path });
}

/**
 * Writes a .npy file to a path (Node). Same bytes as {@link writeNpy}.
 *
 * @example
 * ```ts
 * import { writeNpyFile } from 'lowp/io';
 * writeNpyFile('x.npy', { dtype: 'F64', shape: [3], data: new Float64Array([1, 2, 3]) });
 * ```
 */
export function writeNpyFile(path: string, array: NpyArray, options?: NpyWriteOptions): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a file path, got ${describeValue(path)}`);
  const fs = requireNodeFs((m) => new NpyError('NO_FS', m, path));
  const bytes = writeNpy(array, options);
  try {
    fs.writeFileSync(path, bytes);
  } catch (e) {
    throw new NpyError('IO', `cannot write: ${systemMessage(e)}`, path);
  }
}
