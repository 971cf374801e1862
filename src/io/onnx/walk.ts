// Walking protobuf messages by a small description of their fields (which fields are nested messages,
// which are payloads to locate but not read, which are bytes or scalars to decode), once for bytes in
// memory and once for a file read through a window: a message that fits in SMALL_MESSAGE bytes is read
// whole and walked synchronously; a larger one (an ONNX graph holding 2 GB of weights) is walked key by
// key, its payload fields (tensor data) skipped and recorded as byte ranges, its nested messages walked
// the same way. Both walkers hand the same events to the same message handlers, so each message type is
// decoded by one piece of code whatever its size. Nesting depth and the number of decoded messages are
// bounded; unknown fields are skipped.
import { OnnxError } from '../errors.js';
import {
  ProtoCursor,
  ProtoReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  wireName,
  type ByteRange,
  type FieldKey,
} from './protobuf.js';

/** Messages up to this size are read whole and walked in memory (4 MiB). */
export const SMALL_MESSAGE = 4 << 20;

/** Longest `bytes`/`string` field decoded into memory (16 MiB); a longer one is a `TOO_LARGE` error. */
export const MAX_BYTES_FIELD = 16 << 20;

/**
 * How a walker treats one field of a message.
 *
 * - `message`: a nested message (wire type 2), walked with `spec`.
 * - `payload`: bulk data (tensor values): a length-delimited value is recorded as a byte range and not
 *   read (in memory, its bytes are offered too); values of wire type `wire` (unpacked repeated) are
 *   decoded like scalars.
 * - `bytes`: a string or bytes field (wire type 2), decoded into memory (at most {@link MAX_BYTES_FIELD}).
 * - `scalar`: a number of wire type `wire`, or a packed run of them (wire type 2, read into memory).
 */
export type FieldKind =
  | { readonly kind: 'message'; readonly spec: MessageSpec<unknown, unknown> }
  | { readonly kind: 'payload'; readonly wire: number }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'scalar'; readonly wire: number };

/** One field handed to a message handler. Views (`bytes`) are valid only during the call. */
export interface FieldEvent {
  /** Field number. */
  field: number;
  /** Wire type as stored. */
  wire: number;
  /** Absolute offset of the field's key. */
  keyAt: number;
  /** Absolute range of the value (the payload of a length-delimited field). */
  range: ByteRange;
  /** Low 32 bits of a varint or fixed64 value; the value of a fixed32. */
  lo: number;
  /** High 32 bits of a varint or fixed64 value. */
  hi: number;
  /** The payload of a length-delimited `bytes`/`scalar` field, and of a `payload` field walked in memory. */
  bytes: Uint8Array | undefined;
  /** The decoded nested message of a `message` field. */
  message: unknown;
  /**
   * The last byte of a length-delimited `payload` field whose values are varints (its kind's `wire` is
   * `WIRE_VARINT`) that the walk skipped (`bytes` undefined), −1 otherwise: read so that a packed run cut
   * in the middle of a varint is refused at the same point of the walk whether its bytes were read (in
   * memory: `bytes`) or skipped (field by field).
   */
  last: number;
}

/** What a walk shares: the file's name for messages, the limits, and the count of decoded messages. */
export interface WalkContext {
  /** File name for messages. */
  readonly name: string | undefined;
  /** Deepest nesting of messages. */
  readonly maxDepth: number;
  /** Most messages decoded in one walk. */
  readonly maxMessages: number;
  /** Messages up to this many bytes are read whole (default {@link SMALL_MESSAGE}). */
  readonly smallMessage: number;
  /** Messages decoded so far. */
  messages: number;
}

/**
 * The decoder of one message type: the kinds of the fields it wants (others are skipped), and three
 * callbacks that build its plain object.
 */
export interface MessageSpec<S, T> {
  /** Message type name, for messages. */
  readonly name: string;
  /** The fields the decoder wants, by number. */
  readonly fields: ReadonlyMap<number, FieldKind>;
  /** A fresh state for one message. */
  begin(ctx: WalkContext): S;
  /** One field of the message (fields come in file order; repeated fields once per value). */
  field(state: S, event: FieldEvent, ctx: WalkContext): void;
  /** The decoded message (`range` is its payload). */
  end(state: S, range: ByteRange, ctx: WalkContext): T;
}

function wrongWire(spec: MessageSpec<unknown, unknown>, key: FieldKey, expected: string, ctx: WalkContext): OnnxError {
  return new OnnxError('PROTOBUF', `expected field ${key.field} of ${spec.name} at offset ${key.at} as ${expected}, got wire type ${wireName(key.wire)}`, ctx.name);
}

function enter(spec: MessageSpec<unknown, unknown>, depth: number, at: number, ctx: WalkContext): void {
  if (depth > ctx.maxDepth) {
    throw new OnnxError('PROTOBUF', `expected messages nested at most ${ctx.maxDepth} deep, got a ${spec.name} nested deeper at offset ${at}`, ctx.name);
  }
  if (++ctx.messages > ctx.maxMessages) {
    throw new OnnxError('TOO_LARGE', `expected at most ${ctx.maxMessages} protobuf messages in the model, got more (at a ${spec.name} at offset ${at})`, ctx.name);
  }
}

function event(key: FieldKey, start: number, end: number): FieldEvent {
  return { field: key.field, wire: key.wire, keyAt: key.at, range: { offset: start, length: end - start }, lo: 0, hi: 0, bytes: undefined, message: undefined, last: -1 };
}

/** Reads the value of a varint/fixed field into the event. */
function scalarValue(r: ProtoReader, key: FieldKey, ev: FieldEvent): void {
  if (key.wire === WIRE_VARINT || key.wire === WIRE_FIXED64) {
    if (key.wire === WIRE_VARINT) r.varint();
    else r.fixed64();
    ev.lo = r.lo;
    ev.hi = r.hi;
  } else ev.lo = r.fixed32();
}

/** Checks that a field of kind `kind` may come with the key's wire type. */
function checkWire(spec: MessageSpec<unknown, unknown>, kind: FieldKind, key: FieldKey, ctx: WalkContext): void {
  if (kind.kind === 'message' || kind.kind === 'bytes') {
    if (key.wire !== WIRE_LEN) throw wrongWire(spec, key, 'length-delimited', ctx);
  } else if (key.wire !== WIRE_LEN && key.wire !== kind.wire) {
    throw wrongWire(spec, key, `${wireName(kind.wire)} or packed`, ctx);
  }
}

/**
 * Walks one message held in memory: `r` positioned at its first field, `r.end` its end. Returns what
 * `spec.end` builds.
 */
export function walkSync<S, T>(r: ProtoReader, spec: MessageSpec<S, T>, ctx: WalkContext, depth: number): T {
  const start = r.offset;
  enter(spec as MessageSpec<unknown, unknown>, depth, start, ctx);
  const state = spec.begin(ctx);
  while (!r.eof()) {
    const key = r.key();
    const kind = spec.fields.get(key.field);
    if (kind === undefined) {
      r.skip(key);
      continue;
    }
    checkWire(spec as MessageSpec<unknown, unknown>, kind, key, ctx);
    if (key.wire === WIRE_LEN) {
      const { start: s, end: e } = r.lengthDelimited();
      const ev = event(key, r.base + s, r.base + e);
      if (kind.kind === 'message') {
        const sub = new ProtoReader(r.bytes, r.base, r.name, r.atFileEnd && e === r.end, s, e);
        ev.message = walkSync(sub, kind.spec, ctx, depth + 1);
      } else {
        if (kind.kind === 'bytes' && e - s > MAX_BYTES_FIELD) throw tooLong(spec as MessageSpec<unknown, unknown>, key, e - s, ctx);
        ev.bytes = r.bytes.subarray(s, e);
      }
      spec.field(state, ev, ctx);
      continue;
    }
    const at = r.offset;
    const ev = event(key, at, at);
    scalarValue(r, key, ev);
    ev.range = { offset: at, length: r.offset - at };
    spec.field(state, ev, ctx);
  }
  return spec.end(state, { offset: start, length: r.offset - start }, ctx);
}

function tooLong(spec: MessageSpec<unknown, unknown>, key: FieldKey, n: number, ctx: WalkContext): OnnxError {
  return new OnnxError('TOO_LARGE', `expected field ${key.field} of ${spec.name} at offset ${key.at} to hold at most ${MAX_BYTES_FIELD} bytes, got ${n}`, ctx.name);
}

/**
 * Walks one message of a file: `c` positioned at its first field, `c.end` its end. A message of at most
 * {@link SMALL_MESSAGE} bytes is read whole and walked by {@link walkSync}; a larger one key by key, its
 * payload fields skipped.
 */
export async function walkAsync<S, T>(c: ProtoCursor, spec: MessageSpec<S, T>, ctx: WalkContext, depth: number): Promise<T> {
  const start = c.pos;
  if (c.end - c.pos <= ctx.smallMessage) {
    const out = walkSync(await c.reader(c.end - c.pos), spec, ctx, depth);
    c.pos = c.end;
    return out;
  }
  enter(spec as MessageSpec<unknown, unknown>, depth, start, ctx);
  const state = spec.begin(ctx);
  while (!c.eof()) {
    const { key, length } = await c.keyAndLength();
    const kind = spec.fields.get(key.field);
    if (kind === undefined) {
      await c.skipValue(key, length);
      continue;
    }
    checkWire(spec as MessageSpec<unknown, unknown>, kind, key, ctx);
    if (key.wire === WIRE_LEN) {
      const s = c.pos;
      const e = s + length;
      const ev = event(key, s, e);
      if (kind.kind === 'message') {
        // a small nested message is walked in this cursor's window (a graph's many nodes share reads)
        ev.message = length <= ctx.smallMessage
          ? walkSync(await c.span(length), kind.spec, ctx, depth + 1)
          : await walkAsync(new ProtoCursor(c.source, s, e), kind.spec, ctx, depth + 1);
      } else if (kind.kind !== 'payload') {
        if (length > MAX_BYTES_FIELD) throw tooLong(spec as MessageSpec<unknown, unknown>, key, length, ctx);
        const r = await c.span(length);
        ev.bytes = r.bytes.subarray(r.pos, r.end);
      } else if (kind.wire === WIRE_VARINT && length > 0) {
        ev.last = await c.byteAt(e - 1);
      }
      c.pos = e;
      spec.field(state, ev, ctx);
      continue;
    }
    const r = await c.reader(10);
    const at = r.offset;
    const ev = event(key, at, at);
    scalarValue(r, key, ev);
    c.advance(r);
    ev.range = { offset: at, length: c.pos - at };
    spec.field(state, ev, ctx);
  }
  return spec.end(state, { offset: start, length: c.pos - start }, ctx);
}
