// The values of an ONNX TensorProto: which lowp element type each ONNX data type is, how many stored
// bytes a tensor has, where they are (raw_data, a typed field, external data), and the reading of a
// range of them on demand. raw_data and external data hold the little-endian bytes lowp/io reads
// directly; the typed fields hold one protobuf value per storage unit (onnx.proto: float_data for FLOAT,
// double_data for DOUBLE, int64_data for INT64, uint64_data for UINT32/UINT64, and int32_data for
// everything narrower: INT32, (U)INT16, (U)INT8, BOOL, FLOAT16 and BFLOAT16 bits, the fp8 codes, and the
// 4-bit types packed two per value, first in the low nibble), decoded here into those same bytes. A
// typed field is walked from its start or from a remembered position, through a bounded window, so that
// streaming a tensor in chunks reads it once and never holds it whole.
import { codecBytes, elementCodec, isTensorDType, type TensorDType } from '../elements.js';
import { OnnxError } from '../errors.js';
import { readExact, type ByteSource } from '../source.js';
import { ONNX_DATA_TYPES as T, type OnnxTensorProto, type OnnxTypedData } from './model.js';
import { cutVarints, ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from './protobuf.js';

/** How one ONNX data type is stored by lowp/io. */
interface TypeEntry {
  /** lowp/io element type, or a name for a type lowp/io lists but does not read. */
  dtype: string;
  /** The typed field that may hold it (4, 5, 7, 10, 11), or 0 for none. */
  field: number;
  /** For int32_data values: the accepted range, and the storage unit's byte count. */
  min?: number;
  max?: number;
}

const TYPES = new Map<number, TypeEntry>([
  [T.FLOAT, { dtype: 'F32', field: 4 }],
  [T.UINT8, { dtype: 'U8', field: 5, min: 0, max: 255 }],
  [T.INT8, { dtype: 'I8', field: 5, min: -128, max: 127 }],
  [T.UINT16, { dtype: 'U16', field: 5, min: 0, max: 65535 }],
  [T.INT16, { dtype: 'I16', field: 5, min: -32768, max: 32767 }],
  [T.INT32, { dtype: 'I32', field: 5, min: -2147483648, max: 2147483647 }],
  [T.INT64, { dtype: 'I64', field: 7 }],
  [T.STRING, { dtype: 'STRING', field: 0 }],
  [T.BOOL, { dtype: 'BOOL', field: 5, min: -2147483648, max: 2147483647 }],
  [T.FLOAT16, { dtype: 'F16', field: 5, min: 0, max: 65535 }],
  [T.DOUBLE, { dtype: 'F64', field: 10 }],
  [T.UINT32, { dtype: 'U32', field: 11 }],
  [T.UINT64, { dtype: 'U64', field: 11 }],
  [T.COMPLEX64, { dtype: 'COMPLEX64', field: 0 }],
  [T.COMPLEX128, { dtype: 'COMPLEX128', field: 0 }],
  [T.BFLOAT16, { dtype: 'BF16', field: 5, min: 0, max: 65535 }],
  [T.FLOAT8E4M3FN, { dtype: 'F8_E4M3', field: 5, min: 0, max: 255 }],
  [T.FLOAT8E4M3FNUZ, { dtype: 'F8_E4M3FNUZ', field: 5, min: 0, max: 255 }],
  [T.FLOAT8E5M2, { dtype: 'F8_E5M2', field: 5, min: 0, max: 255 }],
  [T.FLOAT8E5M2FNUZ, { dtype: 'F8_E5M2FNUZ', field: 5, min: 0, max: 255 }],
  [T.UINT4, { dtype: 'U4', field: 5, min: 0, max: 255 }],
  [T.INT4, { dtype: 'I4', field: 5, min: 0, max: 255 }],
  [T.FLOAT4E2M1, { dtype: 'F4', field: 5, min: 0, max: 255 }],
  [T.FLOAT8E8M0, { dtype: 'F8_E8M0', field: 5, min: 0, max: 255 }],
  [T.UINT2, { dtype: 'UINT2', field: 0 }],
  [T.INT2, { dtype: 'INT2', field: 0 }],
]);

/** Bytes per element of the types lowp/io lists but does not read (0: unknown, e.g. strings). */
const UNREAD_BYTES: Record<string, number> = { COMPLEX64: 8, COMPLEX128: 16, UINT2: 0.25, INT2: 0.25, STRING: 0 };

const TYPED_NAMES: Record<number, string> = { 4: 'float_data', 5: 'int32_data', 7: 'int64_data', 10: 'double_data', 11: 'uint64_data' };

/**
 * The lowp/io element type of an ONNX data type number: a {@link TensorDType} lowp reads, or a name
 * (`'STRING'`, `'COMPLEX64'`, `'COMPLEX128'`, `'UINT2'`, `'INT2'`, `'ONNX_TYPE_<n>'`) for a type it lists
 * but does not read.
 *
 * @example
 * ```ts
 * import { onnxElementType } from 'lowp/io';
 * onnxElementType(16); // 'BF16'
 * onnxElementType(23); // 'F4'
 * ```
 */
export function onnxElementType(dataType: number): string {
  return TYPES.get(dataType)?.dtype ?? `ONNX_TYPE_${dataType}`;
}

/** Where the stored bytes of a tensor are. */
export type OnnxStorage =
  | { readonly kind: 'empty' }
  | { readonly kind: 'raw'; readonly offset: number }
  | { readonly kind: 'typed'; readonly data: OnnxTypedData; readonly units: number }
  | { readonly kind: 'external'; readonly location: string; readonly offset: number; readonly length: number; readonly checksum: string | undefined }
  | { readonly kind: 'unread' };

/** A TensorProto checked against itself: element type, shape, sizes, and where its bytes are. */
export interface CheckedTensor {
  /** lowp/io element type (or the name of a type lowp/io does not read). */
  dtype: string;
  /** Whether lowp/io reads its values. */
  readable: boolean;
  /** Elements (product of dims). */
  elements: number;
  /** Stored bytes (contiguous, in the element type's storage); for unread types, the bytes they would take (0 for strings). */
  byteLength: number;
  /** Where the bytes are (external data still to be resolved by location). */
  storage: OnnxStorage;
}

function fail(code: 'MODEL' | 'DTYPE' | 'EXTERNAL_DATA', message: string, name: string | undefined): OnnxError {
  return new OnnxError(code, message, name);
}

/** A decimal integer string of external_data (offset, length), else `EXTERNAL_DATA`. */
function decimal(value: string, key: string, t: OnnxTensorProto, file: string | undefined): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw fail('EXTERNAL_DATA', `expected external_data '${key}' of tensor '${t.name}' to be a non-negative decimal integer, got '${value.slice(0, 40)}'`, file);
  }
  return n;
}

/**
 * Checks a TensorProto (data type, dims, the one place its data is, sizes against its dims) and says
 * where its bytes are. Typed fields whose varint count is not known yet (found on disk) are counted by
 * {@link countTypedUnits} before this is called. Throws {@link OnnxError} `MODEL`/`EXTERNAL_DATA`.
 *
 * @param t - the decoded TensorProto
 * @param label - the tensor's name in messages
 * @param file - the model's name in messages
 */
export function checkTensor(t: OnnxTensorProto, label: string, file: string | undefined): CheckedTensor {
  if (t.dataType === T.UNDEFINED) throw fail('MODEL', `expected a data_type for tensor '${label}', got none (UNDEFINED)`, file);
  if (t.segmented) throw fail('MODEL', `expected tensor '${label}' in one piece, got a segment (chunked tensors are not read)`, file);
  let elements = 1;
  for (const d of t.dims) {
    elements *= d;
    if (!Number.isSafeInteger(elements)) throw fail('MODEL', `expected tensor '${label}' to have fewer than 2^53 elements, got dims [${t.dims.join(', ')}]`, file);
  }
  const entry = TYPES.get(t.dataType);
  const dtype = onnxElementType(t.dataType);
  const readable = isTensorDType(dtype);
  const byteLength = readable ? codecBytes(elementCodec(dtype), elements) : Math.ceil(elements * (UNREAD_BYTES[dtype] ?? 0));
  const external = t.dataLocation === 1;
  if (t.dataLocation !== 0 && !external) throw fail('MODEL', `expected data_location 0 (DEFAULT) or 1 (EXTERNAL) for tensor '${label}', got ${t.dataLocation}`, file);
  if (t.externalData.length > 0 && !external) throw fail('MODEL', `expected data_location EXTERNAL for tensor '${label}', which has external_data entries, got DEFAULT`, file);
  const places = (t.raw !== undefined ? 1 : 0) + t.typed.length + (t.stringCount > 0 ? 1 : 0) + (external ? 1 : 0);
  if (places > 1) {
    const what = [t.raw ? 'raw_data' : '', ...t.typed.map((d) => TYPED_NAMES[d.field]), t.stringCount ? 'string_data' : '', external ? 'external data' : ''].filter((s) => s).join(', ');
    throw fail('MODEL', `expected the values of tensor '${label}' in one place, got ${what}`, file);
  }
  if (!readable) return { dtype, readable, elements, byteLength, storage: { kind: 'unread' } };
  const entryField = (entry as TypeEntry).field;
  if (external) {
    const keys = new Map<string, string>();
    for (const { key, value } of t.externalData) {
      if (keys.has(key)) throw fail('EXTERNAL_DATA', `expected each external_data key once for tensor '${label}', got '${key.slice(0, 40)}' twice`, file);
      keys.set(key, value);
    }
    const location = keys.get('location');
    if (location === undefined || location === '') throw fail('EXTERNAL_DATA', `expected an external_data 'location' for tensor '${label}', got none`, file);
    const offset = keys.has('offset') ? decimal(keys.get('offset') as string, 'offset', t, file) : 0;
    const length = keys.has('length') ? decimal(keys.get('length') as string, 'length', t, file) : byteLength;
    if (length !== byteLength) {
      throw fail('EXTERNAL_DATA', `expected external_data length ${byteLength} for tensor '${label}' (${dtype} [${t.dims.join(', ')}]), got ${length}`, file);
    }
    return { dtype, readable, elements, byteLength, storage: { kind: 'external', location, offset, length, checksum: keys.get('checksum') } };
  }
  if (t.raw !== undefined) {
    if (t.raw.length !== byteLength) {
      throw fail('MODEL', `expected raw_data of ${byteLength} bytes for tensor '${label}' (${dtype} [${t.dims.join(', ')}]), got ${t.raw.length}`, file);
    }
    return { dtype, readable, elements, byteLength, storage: byteLength === 0 ? { kind: 'empty' } : { kind: 'raw', offset: t.raw.offset } };
  }
  if (t.typed.length === 1) {
    const data = t.typed[0];
    if (data.field !== entryField) {
      throw fail('MODEL', `expected the values of ${dtype} tensor '${label}' in ${TYPED_NAMES[entryField]} or raw_data, got ${TYPED_NAMES[data.field]}`, file);
    }
    const codec = elementCodec(dtype);
    const units = Math.ceil(elements / codec.granule);
    let count = 0;
    for (const s of data.segments) count += s.count;
    if (count !== units) {
      throw fail('MODEL', `expected ${units} values in ${TYPED_NAMES[data.field]} of tensor '${label}' (${dtype} [${t.dims.join(', ')}]), got ${count}`, file);
    }
    return { dtype, readable, elements, byteLength, storage: units === 0 ? { kind: 'empty' } : { kind: 'typed', data, units } };
  }
  if (elements !== 0) throw fail('MODEL', `expected values for tensor '${label}' (${dtype} [${t.dims.join(', ')}], ${elements} elements), got no data field`, file);
  return { dtype, readable, elements, byteLength, storage: { kind: 'empty' } };
}

/** Bytes read per window when counting or decoding a typed field on disk (1 MiB). */
export const TYPED_WINDOW = 1 << 20;

/**
 * Counts the values of the packed varint runs of a typed field that were found on disk (count -1),
 * reading them through a bounded window; sets each run's count.
 */
export async function countTypedUnits(source: ByteSource, data: OnnxTypedData): Promise<void> {
  for (const seg of data.segments) {
    if (seg.count >= 0) continue;
    let count = 0;
    let last = 0;
    for (let at = 0; at < seg.length; at += TYPED_WINDOW) {
      const n = Math.min(TYPED_WINDOW, seg.length - at);
      const b = await readExact(source, seg.offset + at, n, OnnxError);
      for (let i = 0; i < n; i++) if ((b[i] & 0x80) === 0) count++;
      last = b[n - 1];
    }
    if ((last & 0x80) !== 0) throw cutVarints(seg.offset + seg.length, source.name);
    seg.count = count;
  }
}

/** Where a scan of a typed field is: unit index, segment index, absolute byte position in the segment. */
interface ScanPoint {
  unit: number;
  seg: number;
  pos: number;
}

/** Remembered scan points every this many units, so random access into varint fields does not rescan from 0. */
const CHECKPOINT_UNITS = 1 << 16;

/**
 * Decodes ranges of a typed field into the little-endian bytes of its element type, reading through a
 * bounded window; remembers where the last read ended (sequential chunks read the field once) and a
 * scan point every 65,536 values.
 */
export class TypedFieldReader {
  private readonly wire: number;
  private readonly fixedSize: number;
  private resume: ScanPoint;
  private readonly checkpoints: ScanPoint[] = [];
  /** Unit index of the first value of each run. */
  private readonly segStart: number[] = [];

  /**
   * @param source - the file holding the field
   * @param data - the field's runs (counts known)
   * @param dtype - the tensor's element type
   * @param onnxType - the tensor's ONNX data type
   * @param label - the tensor's name in messages
   */
  constructor(
    private readonly source: ByteSource,
    private readonly data: OnnxTypedData,
    private readonly dtype: string,
    private readonly onnxType: number,
    private readonly label: string,
  ) {
    this.wire = data.field === 4 ? WIRE_FIXED32 : data.field === 10 ? WIRE_FIXED64 : WIRE_VARINT;
    this.fixedSize = this.wire === WIRE_FIXED32 ? 4 : this.wire === WIRE_FIXED64 ? 8 : 0;
    this.resume = { unit: 0, seg: 0, pos: data.segments[0]?.offset ?? 0 };
    let u = 0;
    for (const seg of data.segments) {
      this.segStart.push(u);
      u += seg.count;
    }
  }

  /** The nearest known scan point at or before `unit` (for a packed fixed-size run: the unit itself). */
  private start(unit: number): ScanPoint {
    const segs = this.data.segments;
    let best: ScanPoint = { unit: 0, seg: 0, pos: segs[0].offset };
    for (const c of this.checkpoints) if (c.unit <= unit && c.unit > best.unit) best = c;
    if (this.resume.unit <= unit && this.resume.unit >= best.unit) best = this.resume;
    if (this.fixedSize > 0) {
      let s = 0;
      while (s + 1 < segs.length && this.segStart[s + 1] <= unit) s++;
      if (segs[s].packed) return { unit, seg: s, pos: segs[s].offset + (unit - this.segStart[s]) * this.fixedSize };
      if (best.seg < s) best = { unit: this.segStart[s], seg: s, pos: segs[s].offset };
    }
    return { ...best };
  }

  /**
   * Writes units [unit, unit + target.length / unitBytes) of the field into `target` as the element
   * type's little-endian bytes.
   */
  async read(unit: number, target: Uint8Array, unitBytes: number): Promise<void> {
    const want = target.length / unitBytes;
    const dv = new DataView(target.buffer, target.byteOffset, target.byteLength);
    const p = this.start(unit);
    let written = 0;
    let u = p.unit;
    let seg = p.seg;
    let pos = p.pos;
    const segs = this.data.segments;
    while (written < want) {
      if (seg >= segs.length) throw new OnnxError('MODEL', `expected ${unit + want} values in tensor '${this.label}', got fewer`, this.source.name);
      const s = segs[seg];
      const segEnd = s.offset + s.length;
      if (pos >= segEnd) {
        seg++;
        pos = seg < segs.length ? segs[seg].offset : pos;
        continue;
      }
      const n = Math.min(TYPED_WINDOW, segEnd - pos);
      const bytes = await readExact(this.source, pos, n, OnnxError);
      const r = new ProtoReader(bytes, pos, this.source.name, false);
      // decode whole values inside the window; a value cut by the window's end is read in the next window
      while (!r.eof() && written < want) {
        const before = r.pos;
        try {
          if (!s.packed) r.key();
          this.value(r);
        } catch (e) {
          if (pos + n < segEnd && e instanceof OnnxError && e.code === 'PROTOBUF' && r.end - before < 32) {
            r.pos = before;
            break;
          }
          throw e;
        }
        if (u >= unit) {
          this.store(dv, written * unitBytes, r.lo, r.hi);
          written++;
        }
        u++;
        if (u % CHECKPOINT_UNITS === 0 && this.checkpoints.length < 1 << 16 && !this.checkpoints.some((c) => c.unit === u)) {
          this.checkpoints.push({ unit: u, seg, pos: r.offset });
        }
      }
      pos = r.offset;
    }
    this.resume = { unit: u, seg, pos };
  }

  /** Reads one value into r.lo/r.hi (fixed32 in lo). */
  private value(r: ProtoReader): void {
    if (this.wire === WIRE_VARINT) r.varint();
    else if (this.wire === WIRE_FIXED64) r.fixed64();
    else {
      r.lo = r.fixed32();
      r.hi = 0;
    }
  }

  /** Writes one decoded value as the element type's bytes, checking its range. */
  private store(dv: DataView, at: number, lo: number, hi: number): void {
    const d = this.dtype;
    if (this.wire !== WIRE_VARINT) {
      dv.setUint32(at, lo, true);
      if (this.wire === WIRE_FIXED64) dv.setUint32(at + 4, hi, true);
      return;
    }
    if (d === 'I64' || d === 'U64') {
      dv.setUint32(at, lo, true);
      dv.setUint32(at + 4, hi, true);
      return;
    }
    if (d === 'U32') {
      if (hi !== 0) throw this.range(lo, hi);
      dv.setUint32(at, lo, true);
      return;
    }
    // int32_data: an int32 (sign-extended to 64 bits on the wire when negative)
    const v = lo | 0;
    if (hi !== (v < 0 ? 0xffffffff : 0)) throw this.range(lo, hi);
    const e = TYPES.get(this.onnxType) as TypeEntry;
    if (d === 'BOOL') {
      dv.setUint8(at, v !== 0 ? 1 : 0);
      return;
    }
    if (v < (e.min as number) || v > (e.max as number)) throw this.range(lo, hi);
    if (d === 'I32') dv.setInt32(at, v, true);
    else if (d === 'I16' || d === 'U16' || d === 'F16' || d === 'BF16') dv.setUint16(at, v & 0xffff, true);
    else dv.setUint8(at, v & 0xff);
  }

  private range(lo: number, hi: number): OnnxError {
    const v = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    const e = TYPES.get(this.onnxType);
    const span = e?.min !== undefined ? ` in [${e.min}, ${e.max}]` : '';
    return new OnnxError('MODEL', `expected ${TYPED_NAMES[this.data.field]} values of ${this.dtype} tensor '${this.label}'${span}, got ${v}`, this.source.name);
  }
}
