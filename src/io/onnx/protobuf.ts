// The protobuf wire format, read: varints (up to 64 bits, kept as two 32-bit halves so that int64 values
// stay exact), fixed 32/64-bit values, length-delimited fields and the skipping of fields a reader does
// not know, with every length checked against the bytes left before anything is read or allocated.
// Two readers share these rules: ProtoReader over bytes in memory (synchronous), and ProtoCursor over a
// ByteSource (asynchronous, through a small window), which lets the ONNX reader walk a 2 GB model
// field by field and skip tensor payloads without reading them.
// Reference: the encoding rules of https://protobuf.dev/programming-guides/encoding/ (read, not copied).
import { OnnxError } from '../errors.js';
import { readExact, type ByteSource } from '../source.js';

/** Wire type 0: a varint (int32, int64, uint32, uint64, sint*, bool, enum). */
export const WIRE_VARINT = 0;
/** Wire type 1: 8 little-endian bytes (fixed64, sfixed64, double). */
export const WIRE_FIXED64 = 1;
/** Wire type 2: a varint length, then that many bytes (string, bytes, messages, packed repeated). */
export const WIRE_LEN = 2;
/** Wire type 3: start of a group (deprecated; skipped up to its end). */
export const WIRE_START_GROUP = 3;
/** Wire type 4: end of a group. */
export const WIRE_END_GROUP = 4;
/** Wire type 5: 4 little-endian bytes (fixed32, sfixed32, float). */
export const WIRE_FIXED32 = 5;

/** Deepest nesting of groups that {@link ProtoReader.skip} follows (messages are bounded by their readers). */
export const MAX_GROUP_DEPTH = 32;

const TWO32 = 4294967296;
const TWO21 = 2097152;

/**
 * A range of bytes of a file: absolute offset and length.
 *
 * @example
 * ```ts
 * const r: ByteRange = { offset: 1024, length: 32768 }; // bytes [1024, 33792) of the file
 * ```
 */
export interface ByteRange {
  /** Absolute offset of the first byte in the file. */
  readonly offset: number;
  /** Number of bytes. */
  readonly length: number;
}

/** One decoded field key: field number and wire type, and where the key started (absolute). */
export interface FieldKey {
  /** Field number (1 .. 2^29 - 1). */
  field: number;
  /** Wire type (0, 1, 2, 3, 4 or 5). */
  wire: number;
  /** Absolute offset of the key's first byte. */
  at: number;
}

/** Describes a wire type for messages. */
export function wireName(wire: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'][wire] ?? `invalid wire type ${wire}`;
}

/**
 * The value of a varint held as two unsigned 32-bit halves, as an unsigned number when it is below 2^53
 * (else -1: the caller decides whether that is an error).
 */
export function uint53(lo: number, hi: number): number {
  return hi < TWO21 ? hi * TWO32 + lo : -1;
}

/** The value of a 64-bit two's complement integer (halves lo, hi) as a number (exact when |v| < 2^53). */
export function int64Number(lo: number, hi: number): number {
  return hi >= 0x80000000 ? -((TWO32 - 1 - hi) * TWO32 + (TWO32 - lo)) : hi * TWO32 + lo;
}

/** The value of a 64-bit two's complement integer (halves lo, hi) as a bigint (exact). */
export function int64BigInt(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/**
 * A synchronous protobuf reader over bytes in memory (`bytes[start, end)`), positions reported as
 * absolute offsets (`base` + local index). Every read checks the bytes left; a violation throws an
 * {@link OnnxError}: `TRUNCATED` when the read runs past the end of the whole file (`atFileEnd`),
 * `PROTOBUF` when it runs past the end of the enclosing message or the bytes are not valid wire format.
 */
export class ProtoReader {
  /** Current local position. */
  pos: number;
  /** Local end (exclusive). */
  readonly end: number;
  /** Low 32 bits of the last varint / fixed64 read. */
  lo = 0;
  /** High 32 bits of the last varint / fixed64 read. */
  hi = 0;
  private readonly dv: DataView;

  /**
   * @param bytes - the bytes
   * @param base - absolute offset of `bytes[0]` in the file (for messages and byte ranges)
   * @param name - the file's name, for messages
   * @param atFileEnd - whether `end` is the end of the file (a read past it is `TRUNCATED`)
   * @param start - local start (default 0)
   * @param end - local end (default `bytes.length`)
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
    readonly name: string | undefined,
    readonly atFileEnd: boolean,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Whether every byte was read. */
  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Absolute offset of the current position. */
  get offset(): number {
    return this.base + this.pos;
  }

  private short(what: string, need: number): OnnxError {
    const left = this.end - this.pos;
    const where = `at offset ${this.base + this.pos}`;
    return this.atFileEnd
      ? new OnnxError('TRUNCATED', `expected ${what} (${need} bytes) ${where}, got the end of the file after ${left} bytes`, this.name)
      : new OnnxError('PROTOBUF', `expected ${what} (${need} bytes) ${where}, got the end of the enclosing message after ${left} bytes`, this.name);
  }

  /** Reads a varint into `lo`/`hi`; throws on more than 10 bytes, a 10th byte above 1, or the end. */
  varint(): void {
    const b = this.bytes;
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (;;) {
      if (this.pos >= this.end) {
        this.pos = start;
        throw this.short('a varint', i + 1);
      }
      const x = b[this.pos++];
      if (i < 4) lo |= (x & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (x & 0x0f) << 28;
        hi = (x & 0x7f) >> 4;
      } else if (i < 9) hi |= (x & 0x7f) << (7 * i - 32);
      else {
        // the 10th byte holds bit 63 only
        if (x > 1) throw new OnnxError('PROTOBUF', `expected a varint of at most 64 bits at offset ${this.base + start}, got a 10th byte of 0x${x.toString(16)}`, this.name);
        hi |= x << 31;
      }
      i++;
      if ((x & 0x80) === 0) break;
      if (i === 10) throw new OnnxError('PROTOBUF', `expected a varint of at most 10 bytes at offset ${this.base + start}, got more`, this.name);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** Reads a varint that must be a non-negative integer below 2^53 (a length, a count, a dimension). */
  uint(what: string): number {
    const at = this.base + this.pos;
    this.varint();
    const v = uint53(this.lo, this.hi);
    if (v < 0) throw new OnnxError('PROTOBUF', `expected ${what} below 2^53 at offset ${at}, got ${int64BigInt(this.lo, this.hi)}`, this.name);
    return v;
  }

  /** Reads a field key; throws on field number 0 or an invalid wire type. */
  key(): FieldKey {
    const at = this.base + this.pos;
    this.varint();
    if (this.hi !== 0) throw new OnnxError('PROTOBUF', `expected a field key below 2^32 at offset ${at}, got a larger varint`, this.name);
    const wire = this.lo & 7;
    const field = Math.floor(this.lo / 8);
    if (field === 0 || wire > 5) {
      throw new OnnxError('PROTOBUF', `expected a field key (field number >= 1, wire type 0-5) at offset ${at}, got field ${field} with wire type ${wire}`, this.name);
    }
    return { field, wire, at };
  }

  /** Reads 4 bytes (fixed32) as an unsigned integer. */
  fixed32(): number {
    if (this.end - this.pos < 4) throw this.short('a fixed32 value', 4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads 4 bytes as a float32. */
  float32(): number {
    if (this.end - this.pos < 4) throw this.short('a float value', 4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads 8 bytes (fixed64) into `lo`/`hi`. */
  fixed64(): void {
    if (this.end - this.pos < 8) throw this.short('a fixed64 value', 8);
    this.lo = this.dv.getUint32(this.pos, true);
    this.hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
  }

  /** Reads 8 bytes as a float64. */
  float64(): number {
    if (this.end - this.pos < 8) throw this.short('a double value', 8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns the local [start, end) of the payload, checked, and skips it. */
  lengthDelimited(): { start: number; end: number } {
    const n = this.uint('a length');
    if (n > this.end - this.pos) throw this.short('a length-delimited payload', n);
    const start = this.pos;
    this.pos += n;
    return { start, end: this.pos };
  }

  /** Skips the value of a field of wire type `wire` (groups up to their end, at most {@link MAX_GROUP_DEPTH} deep). */
  skip(key: FieldKey): void {
    const open: number[] = [];
    let k = key;
    // groups are skipped with an explicit stack of their field numbers, never by recursion
    for (;;) {
      switch (k.wire) {
        case WIRE_VARINT: this.varint(); break;
        case WIRE_FIXED64: this.fixed64(); break;
        case WIRE_LEN: this.lengthDelimited(); break;
        case WIRE_FIXED32: this.fixed32(); break;
        default: groupKey(open, k, this.name);
      }
      if (open.length === 0) return;
      k = this.key();
    }
  }
}

/**
 * Follows a start-group or end-group key on the stack of open groups' field numbers: at most
 * {@link MAX_GROUP_DEPTH} open, and an end-group key must close the innermost one (as protobuf requires).
 */
export function groupKey(open: number[], k: FieldKey, name: string | undefined): void {
  if (k.wire === WIRE_START_GROUP) {
    if (open.length >= MAX_GROUP_DEPTH) throw new OnnxError('PROTOBUF', `expected groups nested at most ${MAX_GROUP_DEPTH} deep at offset ${k.at}, got deeper`, name);
    open.push(k.field);
    return;
  }
  if (open.length === 0) throw new OnnxError('PROTOBUF', `expected a field at offset ${k.at}, got an end-group key without its start`, name);
  const top = open.pop() as number;
  if (top !== k.field) throw new OnnxError('PROTOBUF', `expected the end of group ${top} at offset ${k.at}, got the end of group ${k.field}`, name);
}

/**
 * Counts the varints of a packed run (`bytes[start, end)`): the bytes without a continuation bit. Throws
 * `PROTOBUF` when the last varint is cut by the end of the run (`base` and `name` are for the message).
 */
export function countVarints(bytes: Uint8Array, start: number, end: number, base: number, name: string | undefined): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((bytes[i] & 0x80) === 0) n++;
  if (end > start && (bytes[end - 1] & 0x80) !== 0) throw cutVarints(base + end, name);
  return n;
}

/** The `PROTOBUF` error of a packed run of varints whose last byte has its continuation bit (`end`: absolute end of the run). */
export function cutVarints(end: number, name: string | undefined): OnnxError {
  return new OnnxError('PROTOBUF', `expected packed varints to end at offset ${end}, got a varint cut by the end of the field`, name);
}

/** Bytes an {@link ProtoCursor} reads ahead when it needs more. */
export const CURSOR_WINDOW = 1 << 16;

/**
 * An asynchronous protobuf reader over a {@link ByteSource}: reads through a window of
 * {@link CURSOR_WINDOW} bytes (or more for a payload the caller asks for), so that walking the field
 * keys of a large message and skipping its payloads reads only the keys. Positions are absolute.
 */
export class ProtoCursor {
  /** Absolute position. */
  pos: number;
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;

  /**
   * @param source - the file
   * @param start - absolute start
   * @param end - absolute end (exclusive) of the message being read
   */
  constructor(
    readonly source: ByteSource,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** Whether the message has no bytes left. */
  eof(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A {@link ProtoReader} over at least `min` bytes from the current position (as many as the window
   * holds, up to the message end), refilling the window when needed. Its `pos` is local to the window.
   */
  async reader(min: number): Promise<ProtoReader> {
    const need = Math.min(min, this.end - this.pos);
    if (this.pos < this.windowAt || this.pos + need > this.windowAt + this.window.length) {
      const len = Math.min(Math.max(need, CURSOR_WINDOW), this.end - this.pos);
      this.window = await readExact(this.source, this.pos, len, OnnxError);
      this.windowAt = this.pos;
    }
    const local = this.pos - this.windowAt;
    const localEnd = Math.min(this.window.length, this.end - this.windowAt);
    return new ProtoReader(this.window, this.windowAt, this.source.name, this.end === this.source.size, local, localEnd);
  }

  /** The byte at absolute offset `at` (inside the message), from the window when it holds it. */
  async byteAt(at: number): Promise<number> {
    if (at >= this.windowAt && at < this.windowAt + this.window.length) return this.window[at - this.windowAt];
    return (await readExact(this.source, at, 1, OnnxError))[0];
  }

  /** A {@link ProtoReader} over exactly the next `length` bytes (which must lie inside the message). */
  async span(length: number): Promise<ProtoReader> {
    const r = await this.reader(length);
    const end = this.pos + length;
    return new ProtoReader(r.bytes, r.base, r.name, end === this.source.size, r.pos, r.pos + length);
  }

  /** Moves to the absolute position that a {@link ProtoReader} from {@link ProtoCursor.reader} reached. */
  advance(r: ProtoReader): void {
    this.pos = r.base + r.pos;
  }

  /** Reads a field key and, for a length-delimited field, its length; returns both (the payload follows at `pos`). */
  async keyAndLength(): Promise<{ key: FieldKey; length: number }> {
    // a key and a length take at most 5 + 10 bytes
    const r = await this.reader(15);
    const key = r.key();
    let length = 0;
    if (key.wire === WIRE_LEN) {
      length = r.uint('a length');
      if (r.base + r.pos + length > this.end) {
        this.advance(r);
        const left = this.end - this.pos;
        const fileEnd = this.end === this.source.size;
        throw new OnnxError(fileEnd ? 'TRUNCATED' : 'PROTOBUF', `expected a length-delimited payload of ${length} bytes at offset ${this.pos}, got the end of the ${fileEnd ? 'file' : 'enclosing message'} after ${left} bytes`, this.source.name);
      }
    }
    this.advance(r);
    return { key, length };
  }

  /** Skips a non-length-delimited value, or `length` payload bytes. */
  async skipValue(key: FieldKey, length: number): Promise<void> {
    if (key.wire === WIRE_LEN) {
      this.pos += length;
      return;
    }
    if (key.wire === WIRE_START_GROUP) {
      // a group may be as long as its message: key by key, payloads skipped by their length (as skip does in memory)
      const open: number[] = [];
      groupKey(open, key, this.source.name);
      while (open.length > 0) {
        const { key: k, length } = await this.keyAndLength();
        if (k.wire === WIRE_LEN) this.pos += length;
        else if (k.wire === WIRE_START_GROUP || k.wire === WIRE_END_GROUP) groupKey(open, k, this.source.name);
        else await this.skipValue(k, 0);
      }
      return;
    }
    // a value of the other wire types is at most 10 bytes
    const r = await this.reader(10);
    r.skip(key);
    this.advance(r);
  }

  /** Reads `length` payload bytes at the current position into a fresh array (bounded by the caller) and moves past them. */
  async bytes(length: number): Promise<Uint8Array> {
    const out = await readExact(this.source, this.pos, length, OnnxError);
    this.pos += length;
    return out;
  }
}
