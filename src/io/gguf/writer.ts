// A minimal canonical GGUF writer (version 3, little-endian): metadata key/values of any of the 13 value
// types, then tensor infos, then the tensor data, each tensor at the next multiple of the alignment,
// contiguous in the order given, zero-padded, the last one too: the layout gguf-py's GGUFWriter and
// ggml's gguf_write produce (and the one llama.cpp's loader requires), so that a file read by lowp and
// written again with the same metadata types is byte for byte the file gguf-py wrote. No knowledge of
// architectures or tokenizers: what is given is written, after checks (types, ranges, UTF-8, shapes,
// whole blocks, data lengths). For round trips and for exporting what-if quantized tensors.
import { describeValue } from '../../core/describe.js';
import { ggmlTypeInfo, type GgmlType, type GgmlTypeInfo } from '../../quant/ggml/types.js';
import { dtypeArrayType, typedArrayToBytes, type DType, type TensorData } from '../dtypes.js';
import { GgufError } from '../errors.js';
import { shapeElements } from '../shape.js';
import { requireNodeFs, systemMessage } from '../node-fs.js';
import { GGUF_DEFAULT_ALIGNMENT } from './header.js';
import {
  GGUF_ARRAY_ID,
  GGUF_TYPE_IDS,
  GGUF_TYPE_SIZES,
  checkGgufValue,
  inferGgufType,
  isGgufValueType,
  splitType,
  type GgufScalarType,
  type GgufValueInput,
  type GgufValueType,
} from './values.js';
import { isWellFormedUtf16 } from '../unicode.js';

/**
 * One tensor to write. `shape` is row-major (outermost first; written reversed as GGUF's `ne`), its
 * last dimension (the row length) a multiple of the type's block size. `data` is the tensor's stored
 * bytes (a Uint8Array: the raw blocks of a quantized type, or little-endian values), or for plain types
 * the typed array a reader's `tensor()` returns: Float32Array (F32), Uint16Array of codes (F16, BF16)
 * or a platform Float16Array (F16), Float64Array (F64), Int8Array, Int16Array, Int32Array,
 * BigInt64Array (I8 … I64).
 *
 * @example
 * ```ts
 * const t: GgufTensorInput = { name: 'blk.0.ffn_up.weight', type: 'Q8_0', shape: [2, 32], data: new Uint8Array(2 * 34) };
 * ```
 */
export interface GgufTensorInput {
  /** Tensor name (unique; any well-formed Unicode). */
  readonly name: string;
  /** The ggml type: a name (case-insensitive, 'Q4_K'), a GGUF type id, or an entry of GGML_TYPES. */
  readonly type: GgmlType | string | number | GgmlTypeInfo;
  /** Dimensions, row-major (at most 4). */
  readonly shape: readonly number[];
  /** Stored bytes, or the plain type's typed array. */
  readonly data: Uint8Array | TensorData;
}

/**
 * What {@link writeGguf} writes: metadata (a Map or an object, in its order), optional explicit types
 * for metadata values (else inferred, see {@link inferGgufType}), tensors in order, and the alignment.
 * A {@link GgufHeader} from {@link readGguf}, with data added to its tensors, is such an input.
 *
 * @example
 * ```ts
 * const input: GgufWriteInput = {
 *   metadata: new Map<string, GgufValueInput>([['general.architecture', 'llama'], ['llama.block_count', 2]]),
 *   metadataTypes: new Map([['llama.block_count', 'UINT32']]),
 *   tensors: [{ name: 'w', type: 'F32', shape: [1, 4], data: new Float32Array(4) }],
 * };
 * ```
 */
export interface GgufWriteInput {
  /** Metadata values by key, written in this order. */
  readonly metadata?: ReadonlyMap<string, GgufValueInput> | Readonly<Record<string, GgufValueInput>>;
  /** The GGUF type of values whose type should not be inferred ('UINT32', 'FLOAT32', 'STRING[]'...). */
  readonly metadataTypes?: ReadonlyMap<string, GgufValueType> | Readonly<Record<string, GgufValueType>>;
  /** Tensors, written in this order. */
  readonly tensors?: readonly GgufTensorInput[];
  /**
   * Alignment of tensor data (a power of 2). Default: the metadata's `general.alignment` (written as a
   * UINT32 unless `metadataTypes` says otherwise, which is then an error), else 32. When given and not
   * 32, `general.alignment` (UINT32) is added to the metadata if absent; when both are given they must
   * agree.
   */
  readonly alignment?: number;
}

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.grow(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.grow(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }

  u64(v: number | bigint): void {
    this.grow(8);
    this.dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  string(s: string): void {
    const b = encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }

  scalar(t: GgufScalarType, v: unknown): void {
    const size = GGUF_TYPE_SIZES[t];
    if (t === 'STRING') return this.string(v as string);
    this.grow(size);
    const p = this.length;
    this.length += size;
    switch (t) {
      case 'BOOL': this.dv.setUint8(p, v ? 1 : 0); break;
      case 'UINT8': this.dv.setUint8(p, v as number); break;
      case 'INT8': this.dv.setInt8(p, v as number); break;
      case 'UINT16': this.dv.setUint16(p, v as number, true); break;
      case 'INT16': this.dv.setInt16(p, v as number, true); break;
      case 'UINT32': this.dv.setUint32(p, v as number, true); break;
      case 'INT32': this.dv.setInt32(p, v as number, true); break;
      case 'FLOAT32': this.dv.setFloat32(p, v as number, true); break;
      case 'UINT64': this.dv.setBigUint64(p, BigInt(v as bigint | number), true); break;
      case 'INT64': this.dv.setBigInt64(p, BigInt(v as bigint | number), true); break;
      case 'FLOAT64': this.dv.setFloat64(p, v as number, true); break;
    }
  }

  /** Pads with zero bytes to a multiple of `alignment`. */
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.grow(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const encoder = new TextEncoder();

function entries<V>(m: ReadonlyMap<string, V> | Readonly<Record<string, V>> | undefined, what: string): [string, V][] {
  if (m === undefined) return [];
  if (m instanceof Map) return [...m.entries()];
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new TypeError(`expected ${what} as a Map or an object, got ${describeValue(m)}`);
  return Object.keys(m).map((k) => [k, (m as Record<string, V>)[k]]);
}

function checkName(s: unknown, what: string): asserts s is string {
  if (typeof s !== 'string') throw new TypeError(`expected ${what} as a string, got ${describeValue(s)}`);
  if (!isWellFormedUtf16(s)) throw new RangeError(`expected ${what} to be well-formed Unicode (it is written as UTF-8), got a string with a lone surrogate`);
}

function checkAlignment(a: unknown, what: string): number {
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 1 || a > 0xffffffff || (a & (a - 1)) !== 0) {
    throw new RangeError(`expected ${what} to be a power of 2 (a UINT32), got ${describeValue(a)}`);
  }
  return a;
}

/** Metadata entries with their types, checked; and the alignment they imply. */
function planMetadata(input: GgufWriteInput): { items: [string, GgufValueType, unknown][]; alignment: number } {
  const values = entries(input.metadata, 'metadata');
  const types = new Map(entries(input.metadataTypes, 'metadataTypes'));
  const keys = new Set<string>();
  const items: [string, GgufValueType, unknown][] = [];
  for (const [key, value] of values) {
    checkName(key, 'a metadata key');
    if (key === '') throw new RangeError('expected non-empty metadata keys, got an empty key');
    if (keys.has(key)) throw new RangeError(`expected unique metadata keys, got '${key}' twice`);
    keys.add(key);
    const declared = types.get(key);
    if (declared !== undefined && !isGgufValueType(declared)) {
      throw new TypeError(`expected the type of metadata '${key}' to be a GGUF value type ('UINT32', 'FLOAT32', 'STRING', 'STRING[]'...), got ${describeValue(declared)}`);
    }
    let type: GgufValueType;
    try {
      // general.alignment is the format's own key, a UINT32 for every reader
      type = declared ?? (key === 'general.alignment' ? 'UINT32' : inferGgufType(value));
    } catch (e) {
      throw new TypeError(`metadata '${key}': ${(e as Error).message}`);
    }
    checkGgufValue(type, value, `metadata '${key}'`);
    items.push([key, type, value]);
  }
  for (const k of types.keys()) {
    if (!keys.has(k)) throw new RangeError(`expected metadataTypes to name keys of metadata, got '${k}', which has no value`);
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const ai = items.find((x) => x[0] === 'general.alignment');
  if (ai !== undefined) {
    if (ai[1] !== 'UINT32') throw new TypeError(`expected metadata 'general.alignment' of type UINT32, got ${ai[1]}`);
    alignment = checkAlignment(ai[2], "metadata 'general.alignment'");
  }
  if (input.alignment !== undefined) {
    const a = checkAlignment(input.alignment, 'alignment');
    if (ai !== undefined && a !== alignment) {
      throw new RangeError(`expected alignment to agree with metadata 'general.alignment' (${alignment}), got ${a}`);
    }
    if (ai === undefined && a !== GGUF_DEFAULT_ALIGNMENT) items.push(['general.alignment', 'UINT32', a]);
    alignment = a;
  }
  return { items, alignment };
}

const PLAIN_ARRAYS: Partial<Record<GgmlType, DType>> = { F32: 'F32', F16: 'F16', BF16: 'BF16', F64: 'F64', I8: 'I8', I16: 'I16', I32: 'I32', I64: 'I64' };

interface PlannedTensor {
  name: string;
  info: GgmlTypeInfo;
  ne: number[];
  bytes: Uint8Array;
}

function planTensor(t: GgufTensorInput, i: number): PlannedTensor {
  if (typeof t !== 'object' || t === null) throw new TypeError(`expected tensors[${i}] as { name, type, shape, data }, got ${describeValue(t)}`);
  const { name, shape, data } = t;
  checkName(name, `the name of tensors[${i}]`);
  let info: GgmlTypeInfo;
  try {
    info = typeof t.type === 'object' && t.type !== null ? ggmlTypeInfo(t.type.name) : ggmlTypeInfo(t.type as string | number);
  } catch (e) {
    throw new TypeError(`tensor '${name}': ${(e as Error).message}`);
  }
  const elements = shapeElements(name, shape);
  if (shape.length > 4) throw new RangeError(`expected at most 4 dimensions for tensor '${name}', got shape [${shape.join(', ')}]`);
  const row = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (row % info.blockSize !== 0) {
    throw new RangeError(`expected rows of whole ${info.name} blocks for tensor '${name}' (a last dimension that is a multiple of ${info.blockSize}), got shape [${shape.join(', ')}]`);
  }
  const byteLength = (elements / info.blockSize) * info.typeSize;
  let bytes: Uint8Array;
  const plain = PLAIN_ARRAYS[info.name];
  const isF16Platform = info.name === 'F16' && Object.prototype.toString.call(data) === '[object Float16Array]';
  if (plain !== undefined && (data instanceof dtypeArrayType(plain) || isF16Platform)) {
    const arr = data as ArrayBufferView & { length: number };
    if (arr.length !== elements) throw new RangeError(`expected tensor '${name}' (shape [${shape.join(', ')}]) to have ${elements} values, got ${describeValue(data)}`);
    bytes = typedArrayToBytes(arr, info.typeSize);
  } else if (data instanceof Uint8Array) {
    if (data.length !== byteLength) {
      throw new RangeError(`expected the ${info.quantized ? 'blocks' : 'raw bytes'} of tensor '${name}' (${info.name} [${shape.join(', ')}]) to be ${byteLength} bytes, got ${data.length}`);
    }
    bytes = data;
  } else {
    const want = plain !== undefined ? `a ${dtypeArrayType(plain).name} or its raw bytes as a Uint8Array` : `its ${info.name} blocks as a Uint8Array`;
    throw new TypeError(`expected the data of tensor '${name}' (${info.name}) as ${want}, got ${describeValue(data)}`);
  }
  return { name, info, ne: [...shape].reverse(), bytes };
}

/** The serialised file: everything before the data section (padded), then each tensor's bytes and padding. */
interface Plan {
  head: Uint8Array;
  tensors: PlannedTensor[];
  alignment: number;
  size: number;
}

function plan(input: GgufWriteInput): Plan {
  if (typeof input !== 'object' || input === null) throw new TypeError(`expected { metadata, metadataTypes, tensors }, got ${describeValue(input)}`);
  const { items, alignment } = planMetadata(input);
  const list = input.tensors ?? [];
  if (!Array.isArray(list)) throw new TypeError(`expected tensors as an array, got ${describeValue(list)}`);
  const tensors = list.map(planTensor);
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new RangeError(`expected unique tensor names, got '${t.name}' twice`);
    names.add(t.name);
  }
  const w = new ByteWriter();
  w.bytes(encoder.encode('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(items.length);
  for (const [key, type, value] of items) {
    w.string(key);
    const { item, array } = splitType(type);
    if (!array) {
      w.u32(GGUF_TYPE_IDS[item]);
      w.scalar(item, value);
      continue;
    }
    const xs = value as ArrayLike<unknown>;
    w.u32(GGUF_ARRAY_ID);
    w.u32(GGUF_TYPE_IDS[item]);
    w.u64(xs.length);
    // a typed array's bytes as they are (NaN payloads kept); plain arrays value by value
    if (ArrayBuffer.isView(xs)) w.bytes(typedArrayToBytes(xs, GGUF_TYPE_SIZES[item]));
    else for (let k = 0; k < xs.length; k++) w.scalar(item, xs[k]);
  }
  let offset = 0;
  const pad = (n: number): number => n + ((alignment - (n % alignment)) % alignment);
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(t.info.id);
    w.u64(offset);
    offset += pad(t.bytes.length);
  }
  if (tensors.length > 0) w.pad(alignment);
  const head = w.result();
  return { head, tensors, alignment, size: head.length + offset };
}

/**
 * Serialises metadata and tensors into the bytes of a GGUF file (version 3, little-endian). Layout:
 * header, metadata in the order given (types as given in `metadataTypes`, else inferred: see
 * {@link inferGgufType}), tensor infos in the order given (shape written reversed, as GGUF's `ne`),
 * then each tensor's data at the next multiple of the alignment, zero-padded: what gguf-py's GGUFWriter
 * and ggml write, so a file read with {@link readGguf} and written back with its metadata types is the
 * same bytes. Values are checked (ranges, exact FLOAT32 values, UTF-8), as are shapes (at most 4
 * dimensions, rows of whole blocks) and data lengths; inputs are not modified.
 *
 * @example
 * ```ts
 * import { writeGguf, readGguf } from 'lowp/io';
 * const bytes = writeGguf({
 *   metadata: { 'general.architecture': 'llama', 'llama.block_count': 1, 'general.alignment': 32 },
 *   metadataTypes: { 'llama.block_count': 'UINT32', 'general.alignment': 'UINT32' },
 *   tensors: [
 *     { name: 'norm.weight', type: 'F32', shape: [4], data: new Float32Array([1, 1, 1, 1]) },
 *     { name: 'w', type: 'Q8_0', shape: [2, 32], data: new Uint8Array(2 * 34) }, // 2 rows of one block
 *   ],
 * });
 * (await readGguf(bytes)).tensors.map((t) => t.type); // ['F32', 'Q8_0']
 * ```
 */
export function writeGguf(input: GgufWriteInput): Uint8Array<ArrayBuffer> {
  const p = plan(input);
  const out = new Uint8Array(p.size);
  out.set(p.head, 0);
  let at = p.head.length;
  for (const t of p.tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length + ((p.alignment - (t.bytes.length % p.alignment)) % p.alignment);
  }
  return out;
}

/**
 * Writes a GGUF file to a path (Node), tensor by tensor, without building the whole file in memory.
 * Same bytes as {@link writeGguf}. Throws GgufError `IO` when the file cannot be written, `NO_FS`
 * outside Node.
 *
 * @example
 * ```ts
 * import { writeGgufFile } from 'lowp/io';
 * writeGgufFile('out.gguf', { tensors: [{ name: 'x', type: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }] });
 * ```
 */
export function writeGgufFile(path: string, input: GgufWriteInput): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a file path, got ${describeValue(path)}`);
  const fs = requireNodeFs((m) => new GgufError('NO_FS', m, path));
  const p = plan(input);
  let fd: number;
  try {
    fd = fs.openSync(path, 'w');
  } catch (e) {
    throw new GgufError('IO', `cannot open for writing: ${systemMessage(e)}`, path);
  }
  const zeros = new Uint8Array(p.alignment);
  const write = (part: Uint8Array): void => {
    let done = 0;
    while (done < part.length) done += fs.writeSync(fd, part, done, Math.min(1 << 30, part.length - done), null);
  };
  try {
    write(p.head);
    for (const t of p.tensors) {
      write(t.bytes);
      write(zeros.subarray(0, (p.alignment - (t.bytes.length % p.alignment)) % p.alignment));
    }
  } catch (e) {
    throw new GgufError('IO', `cannot write: ${systemMessage(e)}`, path);
  } finally {
    fs.closeSync(fd);
  }
}
