// Parsing and validation of a GGUF file's header (versions 2 and 3, little-endian), for untrusted files:
// magic, version, counts, metadata key/values of the 13 value types, tensor infos, general.alignment and
// the place of every tensor in the data section. Follows what ggml's own loader refuses
// (ggml-org/ggml d99724f2, src/gguf.cpp `gguf_init_from_reader`) and the format's description
// (docs/gguf.md there), stricter where a file could otherwise be misread (invalid UTF-8, booleans other
// than 0 and 1, element counts past 2^53) and looser where the format allows what llama.cpp's loader
// does not need (tensors in any order, gaps between them, names of any length): lowp's docs/gguf.md
// lists each difference. Every count and length is checked against the bytes left in the file and a
// header bound before anything is allocated from it.
import { describeValue } from '../../core/describe.js';
import { GGML_TYPES, ggmlTypeById, type GgmlType } from '../../quant/ggml/types.js';
import { LITTLE_ENDIAN_HOST, swapBytes } from '../dtypes.js';
import { GgufError, quoteName } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import type { TensorInfo } from '../reader.js';
import { readExact, readExactInto, toByteSource, type ByteSource, type SourceInput } from '../source.js';
import {
  GGUF_ARRAY_CLASSES,
  GGUF_ARRAY_ID,
  GGUF_TYPE_SIZES,
  scalarTypeById,
  type GgufScalarType,
  type GgufValue,
  type GgufValueType,
} from './values.js';

/**
 * Default bound on a GGUF header (metadata and tensor infos, everything before the data section):
 * 256 MiB. The largest real headers (vocabularies of 256k tokens with their merges) take tens of MB.
 *
 * @example
 * ```ts
 * DEFAULT_MAX_GGUF_HEADER_BYTES; // 268435456
 * ```
 */
export const DEFAULT_MAX_GGUF_HEADER_BYTES = 256 * 1024 * 1024;

/**
 * The alignment of tensor data when a file has no `general.alignment` key (32 bytes).
 *
 * @example
 * ```ts
 * GGUF_DEFAULT_ALIGNMENT; // 32
 * ```
 */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** Least bytes of one tensor info (name length, n_dims, type, offset) and of one key/value (length, 1-byte key, type, 1-byte value). */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
const MIN_KV_BYTES = 8 + 1 + 4 + 1;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One tensor of a GGUF file, as its tensor info describes it (validated).
 *
 * @example
 * ```ts
 * for (const t of header.tensors) console.log(t.name, t.type, t.shape, t.ne, t.offset);
 * // blk.0.attn_q.weight Q4_K [4096, 4096] [4096, 4096] 0
 * ```
 */
export interface GgufTensorInfo extends TensorInfo {
  /** The ggml type name ('F32', 'F16', 'BF16', 'Q8_0', 'Q4_K'...). */
  readonly dtype: GgmlType;
  /** The ggml type name (same as `dtype`). */
  readonly type: GgmlType;
  /** The ggml type's id as stored in the file (`enum ggml_type`). */
  readonly typeId: number;
  /** Dimensions in row-major order, outermost first: `ne` reversed (`[rows, rowLength]` for a matrix). */
  readonly shape: readonly number[];
  /** Dimensions as GGUF stores them: `ne[0]` is the row length (innermost, contiguous), `ne[1]` the rows... */
  readonly ne: readonly number[];
  /** Offset of the data from the start of the data section, as stored (a multiple of the alignment). */
  readonly offset: number;
  /** Absolute position of the tensor's first byte in the file: `dataOffset + offset`. */
  readonly byteOffset: number;
  /** Bytes of the tensor's data: whole blocks, `elements / blockSize × typeSize`. */
  readonly byteLength: number;
}

/**
 * A validated GGUF header: what {@link readGguf} and {@link parseGguf} return.
 *
 * @example
 * ```ts
 * const h = await readGguf('model.gguf');
 * h.version;                               // 3
 * h.metadata.get('general.architecture');  // 'llama'
 * h.metadataTypes.get('llama.block_count'); // 'UINT32'
 * h.tensors[0].shape;                      // [32000, 4096] (row-major)
 * ```
 */
export interface GgufHeader {
  /** The format version: 2 or 3 (same layout; lowp reads little-endian files of both). */
  readonly version: 2 | 3;
  /** Alignment of tensor data in bytes: `general.alignment`, or 32 when absent. */
  readonly alignment: number;
  /** Metadata values by key, in file order (see {@link GgufValue} for the JavaScript types). */
  readonly metadata: ReadonlyMap<string, GgufValue>;
  /** The GGUF type of each metadata value ('UINT32', 'STRING[]'...), in file order. */
  readonly metadataTypes: ReadonlyMap<string, GgufValueType>;
  /** Every tensor, in file order. */
  readonly tensors: readonly GgufTensorInfo[];
  /** Absolute position of the data section (end of the tensor infos, padded to the alignment). */
  readonly dataOffset: number;
  /** Total file size in bytes. */
  readonly fileSize: number;
}

/**
 * Options for reading GGUF files.
 *
 * @example
 * ```ts
 * await readGguf('model.gguf', { maxHeaderBytes: 64 * 1024 * 1024 });
 * ```
 */
export interface GgufReadOptions {
  /** Largest accepted header (metadata and tensor infos) in bytes. Default {@link DEFAULT_MAX_GGUF_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** A name for error messages (set automatically for paths). */
  name?: string;
}

/** Thrown inside the parser when the bytes read so far end before `end`: the caller reads more and parses again. */
class NeedMore {
  constructor(readonly end: number) {}
}


/** UTF-8 bytes as a string, or undefined when they are not valid UTF-8. */
function decodeUtf8(b: Uint8Array): string | undefined {
  if (b.length <= 64) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  try {
    return strictUtf8.decode(b);
  } catch {
    return undefined;
  }
}

/** Sequential little-endian reads over the bytes read so far, bounded by the file size and the header limit. */
class Cursor {
  pos = 0;
  private readonly dv: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly fileSize: number,
    private readonly limit: number,
    readonly file: string | undefined,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Ensures `n` more bytes: TRUNCATED past the end of the file, TOO_LARGE past the header bound. */
  private ensure(n: number, what: string): void {
    const end = this.pos + n;
    if (end > this.fileSize) {
      throw new GgufError('TRUNCATED', `expected ${what} (${n} bytes at offset ${this.pos}), got the end of the file at ${this.fileSize} bytes`, this.file);
    }
    if (end > this.limit) {
      throw new GgufError('TOO_LARGE', `expected a header of at most ${this.limit} bytes (maxHeaderBytes), got ${what} that ends at byte ${end}`, this.file);
    }
    if (end > this.buf.length) throw new NeedMore(end);
  }

  /**
   * A count declared in the file, checked before anything is allocated from it: `count × unitBytes`
   * bytes must fit in the header bound (else TOO_LARGE) and in the rest of the file (else TRUNCATED).
   */
  declared(count: bigint, unitBytes: number, what: string): number {
    const end = BigInt(this.pos) + count * BigInt(unitBytes);
    const size = unitBytes === 1 ? `${count} bytes` : `${count} × at least ${unitBytes} bytes`;
    if (end > BigInt(this.limit)) {
      throw new GgufError('TOO_LARGE', `expected ${what} within a header of at most ${this.limit} bytes (maxHeaderBytes), got a declared size of ${size} at offset ${this.pos}`, this.file);
    }
    if (end > BigInt(this.fileSize)) {
      throw new GgufError('TRUNCATED', `expected ${what} (a declared size of ${size} at offset ${this.pos}), got the end of the file at ${this.fileSize} bytes`, this.file);
    }
    return Number(count);
  }

  u32(what: string): number {
    this.ensure(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.ensure(8, what);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view of the next `n` bytes (valid while the parse runs; copy what is kept). */
  take(n: number, what: string): Uint8Array {
    this.ensure(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * A GGUF string (u64 length, bytes) as raw bytes. `what` names it in messages: a string, or a
   * function that makes it (called only on failure: the hot loops read millions of strings).
   */
  stringBytes(what: string | (() => string)): Uint8Array {
    // fast path (every real string): a length under 2^32 whose bytes are all here, within the limits
    const p = this.pos;
    if (p + 8 <= this.buf.length) {
      const n = this.dv.getUint32(p, true);
      const end = p + 8 + n;
      if (this.dv.getUint32(p + 4, true) === 0 && end <= this.buf.length && end <= this.limit && end <= this.fileSize) {
        this.pos = end;
        return this.buf.subarray(p + 8, end);
      }
    }
    const w = typeof what === 'string' ? what : what();
    const n = this.declared(this.u64(`the length of ${w}`), 1, w);
    return this.take(n, w);
  }

  /**
   * `n` strings of fewer than 128 bytes each (a vocabulary), all in the bytes read so far, decoded with
   * one UTF-8 decoder call over their whole run and cut apart: their length prefixes are then 8 ASCII
   * bytes each, so the run is valid UTF-8 exactly when every string is, and no multi-byte sequence can
   * span two strings. Undefined (nothing consumed) for anything else, left to the string-by-string path
   * that reports errors precisely.
   */
  shortStrings(n: number): string[] | undefined {
    const buf = this.buf;
    const stop = Math.min(buf.length, this.limit, this.fileSize);
    const start = this.pos;
    let p = start;
    for (let i = 0; i < n; i++) {
      if (p + 8 > stop) return undefined;
      const len = buf[p];
      if (len >= 128 || this.dv.getUint32(p, true) !== len || this.dv.getUint32(p + 4, true) !== 0) return undefined;
      p += 8 + len;
    }
    if (p > stop) return undefined;
    let text: string;
    try {
      text = strictUtf8.decode(buf.subarray(start, p));
    } catch {
      return undefined;
    }
    const out = new Array<string>(n);
    let q = start;
    let ch = 0;
    for (let i = 0; i < n; i++) {
      const len = buf[q];
      q += 8;
      ch += 8;
      let units = 0;
      for (const end = q + len; q < end; q++) {
        const b = buf[q];
        if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
      }
      out[i] = text.substring(ch, ch + units);
      ch += units;
    }
    this.pos = p;
    return out;
  }

  /** Reads one scalar of a fixed-size numeric type. */
  scalar(t: GgufScalarType, what: string): number | bigint {
    const size = GGUF_TYPE_SIZES[t];
    this.ensure(size, what);
    const p = this.pos;
    this.pos += size;
    switch (t) {
      case 'UINT8': return this.dv.getUint8(p);
      case 'INT8': return this.dv.getInt8(p);
      case 'UINT16': return this.dv.getUint16(p, true);
      case 'INT16': return this.dv.getInt16(p, true);
      case 'UINT32': return this.dv.getUint32(p, true);
      case 'INT32': return this.dv.getInt32(p, true);
      case 'FLOAT32': return this.dv.getFloat32(p, true);
      case 'UINT64': return this.dv.getBigUint64(p, true);
      case 'INT64': return this.dv.getBigInt64(p, true);
      case 'FLOAT64': return this.dv.getFloat64(p, true);
      default: throw new Error(`unreachable: ${t}`);
    }
  }
}

/** Reads one metadata value of type `t` (an array when `count` is given). */
function readValue(c: Cursor, t: GgufScalarType, count: bigint | undefined, key: string): GgufValue {
  const what = `the value of ${quoteName(key)}`;
  if (count === undefined) {
    if (t === 'STRING') {
      const s = decodeUtf8(c.stringBytes(what));
      if (s === undefined) throw new GgufError('VALUE', `expected ${what} (STRING) as UTF-8 text, got invalid UTF-8`, c.file);
      return s;
    }
    if (t === 'BOOL') {
      const b = c.take(1, what)[0];
      if (b > 1) throw new GgufError('VALUE', `expected ${what} (BOOL) as the byte 0 or 1, got ${b}`, c.file);
      return b === 1;
    }
    return c.scalar(t, what);
  }
  const n = c.declared(count, GGUF_TYPE_SIZES[t], `${what} (an array of ${count} ${t})`);
  if (t === 'STRING') {
    const bulk = c.shortStrings(n);
    if (bulk !== undefined) return bulk;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const s = decodeUtf8(c.stringBytes(() => `element ${i} of ${what}`));
      if (s === undefined) throw new GgufError('VALUE', `expected element ${i} of ${what} (STRING[]) as UTF-8 text, got invalid UTF-8`, c.file);
      out[i] = s;
    }
    return out;
  }
  const raw = c.take(n * GGUF_TYPE_SIZES[t], what);
  if (t === 'BOOL') {
    const out = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      if (raw[i] > 1) throw new GgufError('VALUE', `expected element ${i} of ${what} (BOOL[]) as the byte 0 or 1, got ${raw[i]}`, c.file);
      out[i] = raw[i] === 1;
    }
    return out;
  }
  const Ctor = GGUF_ARRAY_CLASSES[t];
  const copy = raw.slice(); // own, aligned buffer
  if (!LITTLE_ENDIAN_HOST) swapBytes(copy, Ctor.BYTES_PER_ELEMENT);
  return new Ctor(copy.buffer, 0, n);
}

/** The names of the ggml type ids lowp knows, as ranges ('0-3, 6-30, ...'), for messages. */
const KNOWN_TYPE_IDS = (() => {
  const ids = Object.values(GGML_TYPES).map((t) => t.id).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
})();

/** Tensor infos as read, before their offsets are checked against the data section. */
interface RawTensorInfo {
  name: string;
  ne: number[];
  typeId: number;
  type: GgmlType;
  elements: number;
  byteLength: number;
  offset: bigint;
}

function readTensorInfo(c: Cursor, i: number, names: Set<string>): RawTensorInfo {
  const what = `the name of tensor ${i}`;
  const name = decodeUtf8(c.stringBytes(what));
  if (name === undefined) throw new GgufError('TENSOR_INFO', `expected ${what} as UTF-8 text, got invalid UTF-8`, c.file);
  if (names.has(name)) throw new GgufError('TENSOR_INFO', `expected unique tensor names, got ${quoteName(name)} twice (tensor ${i})`, c.file);
  names.add(name);
  const label = `tensor ${quoteName(name)}`;
  const nDims = c.u32(`the number of dimensions of ${label}`);
  if (nDims > MAX_DIMS) throw new GgufError('TENSOR_INFO', `expected at most ${MAX_DIMS} dimensions for ${label}, got ${nDims}`, c.file);
  const dims: bigint[] = [];
  for (let j = 0; j < nDims; j++) dims.push(c.u64(`dimension ${j} of ${label}`));
  let elements = 1n;
  for (let j = 0; j < nDims; j++) {
    if (dims[j] > MAX_SAFE) throw new GgufError('TENSOR_INFO', `expected dimensions of ${label} up to 2^53 - 1, got ne[${j}] = ${dims[j]}`, c.file);
    elements *= dims[j];
  }
  if (elements > MAX_SAFE) {
    throw new GgufError('TENSOR_INFO', `expected ${label} to have at most 2^53 - 1 elements, got dimensions (ne) [${dims.join(', ')}] whose product overflows`, c.file);
  }
  const typeId = c.u32(`the type of ${label}`);
  const info = ggmlTypeById(typeId);
  if (info === undefined) throw new GgufError('TENSOR_INFO', `expected a ggml type id lowp knows (${KNOWN_TYPE_IDS}) for ${label}, got ${typeId}`, c.file);
  const rowLength = nDims === 0 ? 1n : dims[0];
  if (rowLength % BigInt(info.blockSize) !== 0n) {
    throw new GgufError('TENSOR_INFO', `expected rows of whole ${info.name} blocks (a multiple of ${info.blockSize} values) for ${label}, got rows of ${rowLength} values (ne[0])`, c.file);
  }
  const byteLength = (elements / BigInt(info.blockSize)) * BigInt(info.typeSize);
  if (byteLength > MAX_SAFE) throw new GgufError('TENSOR_INFO', `expected ${label} to take at most 2^53 - 1 bytes, got ${byteLength}`, c.file);
  const offset = c.u64(`the data offset of ${label}`);
  return { name, ne: dims.map(Number), typeId, type: info.name, elements: Number(elements), byteLength: Number(byteLength), offset };
}

/**
 * Parses a GGUF header from `buf` (the first bytes of a file of `fileSize` bytes). Throws NeedMore
 * when `buf` ends before the header does, GgufError for an invalid header.
 */
function parseHeader(buf: Uint8Array, fileSize: number, limit: number, file: string | undefined): GgufHeader {
  const c = new Cursor(buf, fileSize, limit, file);
  if (fileSize < 4) throw new GgufError('TRUNCATED', `expected at least the 4-byte magic 'GGUF', got a file of ${fileSize} bytes`, file);
  const magic = c.take(4, "the magic 'GGUF'");
  const magicText = [...magic].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  if (magicText === 'FUGG') {
    throw new GgufError('BIG_ENDIAN', "expected a little-endian GGUF file, got the big-endian magic 'FUGG' (lowp reads little-endian GGUF only)", file);
  }
  if (magicText !== 'GGUF') throw new GgufError('MAGIC', `expected the magic 'GGUF', got '${magicText}'`, file);
  const version = c.u32('the version');
  if (version !== 0 && (version & 0xffff) === 0) {
    const swapped = ((version >>> 24) | ((version >>> 8) & 0xff00)) >>> 0;
    throw new GgufError('BIG_ENDIAN', `expected a little-endian GGUF file, got a big-endian one (its version reads ${version} little-endian, ${swapped} big-endian; lowp reads little-endian GGUF only)`, file);
  }
  if (version !== 2 && version !== 3) {
    throw new GgufError('VERSION', `expected GGUF version 2 or 3, got ${version}${version === 1 ? ' (GGUF v1 is no longer supported by llama.cpp either)' : ''}`, file);
  }
  const nTensors = c.u64('the tensor count');
  const nKv = c.u64('the metadata key/value count');
  // every tensor info and key/value takes some bytes: counts the header cannot hold are refused before the loops
  c.declared(nTensors * BigInt(MIN_TENSOR_INFO_BYTES) + nKv * BigInt(MIN_KV_BYTES), 1, `${nTensors} tensor infos (at least ${MIN_TENSOR_INFO_BYTES} bytes each) and ${nKv} key/value pairs (at least ${MIN_KV_BYTES} bytes each)`);
  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueType>();
  for (let i = 0, n = Number(nKv); i < n; i++) {
    const key = decodeUtf8(c.stringBytes(`metadata key ${i}`));
    if (key === undefined) throw new GgufError('KEY', `expected metadata key ${i} as UTF-8 text, got invalid UTF-8`, file);
    if (key === '') throw new GgufError('KEY', `expected metadata key ${i} to be non-empty, got an empty key`, file);
    if (metadata.has(key)) throw new GgufError('KEY', `expected unique metadata keys, got ${quoteName(key)} twice (key ${i})`, file);
    const typeId = c.u32(`the value type of ${quoteName(key)}`);
    let item: GgufScalarType | undefined;
    let count: bigint | undefined;
    if (typeId === GGUF_ARRAY_ID) {
      const itemId = c.u32(`the element type of ${quoteName(key)}`);
      if (itemId === GGUF_ARRAY_ID) {
        throw new GgufError('VALUE', `expected an array of scalars for ${quoteName(key)}, got an array of arrays (nested arrays are refused, as llama.cpp's loader refuses them)`, file);
      }
      item = scalarTypeById(itemId);
      if (item === undefined) throw new GgufError('VALUE', `expected a GGUF value type id (0-12) for the elements of ${quoteName(key)}, got ${itemId}`, file);
      count = c.u64(`the length of ${quoteName(key)}`);
    } else {
      item = scalarTypeById(typeId);
      if (item === undefined) throw new GgufError('VALUE', `expected a GGUF value type id (0-12) for ${quoteName(key)}, got ${typeId}`, file);
    }
    metadata.set(key, readValue(c, item, count, key));
    metadataTypes.set(key, count === undefined ? item : `${item}[]`);
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const declaredAlignment = metadata.get('general.alignment');
  if (declaredAlignment !== undefined) {
    const t = metadataTypes.get('general.alignment');
    if (t !== 'UINT32') throw new GgufError('VALUE', `expected 'general.alignment' of type UINT32, got ${t}`, file);
    alignment = declaredAlignment as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      throw new GgufError('VALUE', `expected 'general.alignment' to be a power of 2, got ${alignment}`, file);
    }
  }
  const names = new Set<string>();
  const raw: RawTensorInfo[] = [];
  for (let i = 0, n = Number(nTensors); i < n; i++) raw.push(readTensorInfo(c, i, names));
  // the data section starts at the next multiple of the alignment (with no tensors there is none)
  const dataOffset = raw.length > 0 ? Math.ceil(c.pos / alignment) * alignment : c.pos;
  if (dataOffset > fileSize) {
    throw new GgufError('TRUNCATED', `expected the data section at offset ${dataOffset} (the tensor infos end at ${c.pos}, aligned to ${alignment}), got the end of the file at ${fileSize} bytes`, file);
  }
  const dataBytes = fileSize - dataOffset;
  const tensors = raw.map((r): GgufTensorInfo => {
    const label = `tensor ${quoteName(r.name)}`;
    if (r.offset % BigInt(alignment) !== 0n) {
      throw new GgufError('OFFSETS', `expected the offset of ${label} to be a multiple of the alignment ${alignment}, got ${r.offset}`, file);
    }
    if (r.offset > BigInt(dataBytes)) {
      throw new GgufError('OFFSETS', `expected the offset of ${label} inside the data section (${dataBytes} bytes), got ${r.offset}`, file);
    }
    const offset = Number(r.offset);
    if (offset + r.byteLength > dataBytes) {
      throw new GgufError('TRUNCATED', `expected the ${r.byteLength} bytes of ${label} at offset ${dataOffset + offset}, got the end of the file at ${fileSize} bytes`, file);
    }
    const ne = Object.freeze(r.ne);
    return Object.freeze({
      name: r.name,
      dtype: r.type,
      type: r.type,
      typeId: r.typeId,
      shape: Object.freeze([...r.ne].reverse()),
      ne,
      elements: r.elements,
      byteLength: r.byteLength,
      offset,
      byteOffset: dataOffset + offset,
    });
  });
  checkOverlaps(tensors, file);
  return Object.freeze({ version: version as 2 | 3, alignment, metadata, metadataTypes, tensors: Object.freeze(tensors), dataOffset, fileSize });
}

/** OFFSETS when the data of two tensors (of at least one byte each) share a byte. */
function checkOverlaps(tensors: readonly GgufTensorInfo[], file: string | undefined): void {
  const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a.offset + a.byteLength > b.offset) {
      throw new GgufError(
        'OFFSETS',
        `expected tensors whose data do not overlap, got ${quoteName(a.name)} (bytes ${a.offset}-${a.offset + a.byteLength} of the data section) and ${quoteName(b.name)} (from byte ${b.offset})`,
        file,
      );
    }
  }
}

/** The header bound of the options, checked. */
function headerLimit(options: GgufReadOptions | undefined): number {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`expected options as an object (e.g. { maxHeaderBytes: 1e8 }), got ${describeValue(options)}`);
  }
  const m = options?.maxHeaderBytes ?? DEFAULT_MAX_GGUF_HEADER_BYTES;
  if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 1) {
    throw new RangeError(`expected maxHeaderBytes to be a positive integer, got ${describeValue(options?.maxHeaderBytes)}`);
  }
  return m;
}

/**
 * Parses and validates the header of a GGUF file held whole in memory (versions 2 and 3,
 * little-endian): metadata, tensor infos, alignment, and the place of every tensor's data in the file.
 * Tensor data is not copied (read it with {@link openGguf} or by each tensor's `byteOffset` and
 * `byteLength`). Throws {@link GgufError} (see its codes) for an invalid or unsupported file.
 *
 * @example
 * ```ts
 * import { parseGguf, writeGguf } from 'lowp/io';
 * const bytes = writeGguf({
 *   metadata: { 'general.architecture': 'llama' },
 *   tensors: [{ name: 'w', type: 'F32', shape: [2, 3], data: new Float32Array(6) }],
 * });
 * const h = parseGguf(bytes);
 * h.tensors[0].shape; // [2, 3]
 * h.tensors[0].ne;    // [3, 2], as GGUF stores it
 * ```
 */
export function parseGguf(bytes: Uint8Array | ArrayBuffer, options?: GgufReadOptions): GgufHeader {
  const limit = headerLimit(options);
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) throw new TypeError(`expected a GGUF file as a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`);
  const h = parseHeader(b, b.length, limit, options?.name);
  return h;
}

/**
 * Bytes read first from a source for its header (4 MiB: most headers, vocabularies included); while the
 * header goes on, what was read is quadrupled and parsed again, so a header is parsed at most about
 * 1.3 times over, whatever its size.
 */
const FIRST_READ = 4 << 20;

/**
 * {@link readGguf} over an opened source (the caller closes it). `firstRead`: bytes read first (tests
 * make it small to exercise the reads that grow the header).
 */
export async function readGgufFrom(source: ByteSource, options?: GgufReadOptions, firstRead = FIRST_READ): Promise<GgufHeader> {
  const limit = headerLimit(options);
  const file = options?.name ?? source.name;
  const size = source.size;
  let buf = await readExact(source, 0, Math.min(size, limit, Math.max(1, firstRead)), GgufError);
  for (;;) {
    try {
      return parseHeader(buf, size, limit, file);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      // NeedMore only comes for an end inside both the file and the limit, past what was read: progress
      const want = Math.min(size, limit, Math.max(e.end, 4 * buf.length));
      const next = new Uint8Array(want);
      next.set(buf);
      await readExactInto(source, buf.length, next.subarray(buf.length), GgufError);
      buf = next;
    }
  }
}

/**
 * Reads and validates the header of a GGUF file (a path in Node, bytes, a Blob or any
 * {@link ByteSource}), reading only the header's bytes: version, alignment, metadata values with their
 * types, and every tensor's info (ggml type, row-major shape, offsets). Tensor data is read with
 * {@link openGguf} (or {@link openCheckpoint}). Throws {@link GgufError} for an invalid or unsupported file.
 *
 * @example
 * ```ts
 * import { readGguf } from 'lowp/io';
 * const h = await readGguf('model.gguf');
 * console.log(h.version, h.alignment, h.metadata.get('general.architecture'));
 * for (const t of h.tensors) console.log(t.name, t.type, t.shape);
 * ```
 */
export async function readGguf(input: SourceInput, options?: GgufReadOptions): Promise<GgufHeader> {
  headerLimit(options);
  const { source, owned } = toByteSource(input, options?.name, GgufError);
  try {
    return await readGgufFrom(source, options);
  } finally {
    if (owned) await source.close?.();
  }
}
