// The one reading interface of lowp/io: every file format (safetensors, .npy, PyTorch, GGUF, ONNX, a
// sharded checkpoint) is a TensorReader that lists its tensors and reads one at a time, whole or as a
// stream of chunks, natural or converted to floats. TensorReaderBase implements all of that once, on top
// of one method a format supplies (the stored bytes of a tensor from a given byte), and the element codecs
// of elements.ts: chunks hold whole storage units (pairs of 4-bit values, ggml blocks), the next chunk is
// read while the caller works on the current one, and with `reuse` two recycled buffers bound memory.
import { describeValue } from '../core/describe.js';
import { isDType, type TensorData } from './dtypes.js';
import { codecBytes, elementCodec, type ElementCodec, type TensorDType } from './elements.js';
import { LowpIoError, quoteName, type IoErrorClass, type IoFormat } from './errors.js';
import type { FloatArrayOf, FloatType } from './float-convert.js';
import { allocForRead } from './source.js';

/**
 * One tensor of a file, as its reader lists it. Readers of particular formats add fields (safetensors:
 * `dataOffsets`, `byteOffset`; a sharded checkpoint: `file`; GGUF: `type`, `offset`...).
 *
 * @example
 * ```ts
 * for (const t of reader.tensors) console.log(t.name, t.dtype, t.shape, t.elements, t.byteLength);
 * ```
 */
export interface TensorInfo {
  /** Tensor name (any string; nested containers are joined with `.`). */
  readonly name: string;
  /** Element type (see {@link TensorDType}). */
  readonly dtype: TensorDType;
  /** Dimensions, outermost first (C order, row-major); `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Number of elements: product of `shape` (1 for a scalar). */
  readonly elements: number;
  /** Bytes of the tensor's stored values, contiguous in C order (what `tensor()` returns). */
  readonly byteLength: number;
}

/**
 * A tensor read whole: its stored values in the dtype's natural typed array (see {@link ElementCodec}:
 * the raw bytes for packed 4-bit and ggml block types).
 *
 * @example
 * ```ts
 * const { name, dtype, shape, data } = await reader.tensor('embed.weight');
 * ```
 */
export interface Tensor<D extends TensorDType = TensorDType> {
  /** Tensor name. */
  name: string;
  /** Element type. */
  dtype: D;
  /** Dimensions, outermost first (C order). */
  shape: number[];
  /** The elements in C order, in a fresh array the caller owns. */
  data: TensorData;
}

/**
 * One piece of a tensor streamed by `chunks()`.
 *
 * @example
 * ```ts
 * for await (const { start, data } of reader.chunks('w')) {
 *   // data[i] is element start + i of the tensor (C order)
 * }
 * ```
 */
export interface TensorChunk<A> {
  /** Index (in elements, C order) of the chunk's first element within the tensor. */
  start: number;
  /** The chunk's elements (length <= the requested chunk size). */
  data: A;
}

/**
 * Default chunk size of `chunks()`, in elements (1,048,576).
 *
 * @example
 * ```ts
 * DEFAULT_CHUNK_ELEMENTS; // 1048576
 * ```
 */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 20;

/**
 * Options of `chunks()`.
 *
 * @example
 * ```ts
 * for await (const { start, data } of reader.chunks('w', { elements: 1 << 16, as: 'float64', reuse: true })) {
 *   // data: Float64Array view, valid until the next iteration
 * }
 * ```
 */
export interface ChunkOptions<F extends FloatType | undefined = FloatType | undefined> {
  /**
   * Elements per chunk (the last chunk may be shorter). Default {@link DEFAULT_CHUNK_ELEMENTS}. Rounded
   * down to whole storage units (a multiple of 2 for packed 4-bit types, of the block size for ggml
   * blocks; at least one unit).
   */
  elements?: number;
  /**
   * Convert each chunk to float values of this type. Default: the dtype's natural typed array; for packed
   * 4-bit and ggml block types (whose natural array is raw bytes), float32 values.
   */
  as?: F;
  /**
   * Recycle two internal buffers instead of allocating each chunk: each chunk's `data` is then valid
   * only until the iterator is advanced again (copy what you keep). Faster for large tensors. Default
   * false: every chunk is a fresh array the caller owns.
   */
  reuse?: boolean;
}

/**
 * Options of `chunks()` for the stored bytes themselves: each chunk's `data` is a Uint8Array of the
 * bytes of its elements as the file stores them (whole storage units: for a ggml block type, whole
 * blocks; for packed 4-bit types, whole bytes), not decoded. Chunk `start` is in elements, as always;
 * a chunk holds `data.length / unit bytes · elements per unit` elements.
 *
 * @example
 * ```ts
 * for await (const { start, data } of gguf.chunks('blk.0.ffn_up.weight', { raw: true, reuse: true })) {
 *   analyzer.addGgml(data, 'Q4_K'); // data: whole Q4_K blocks (144 bytes per 256 values)
 * }
 * ```
 */
export interface RawChunkOptions {
  /** Elements per chunk, as {@link ChunkOptions.elements} (rounded down to whole storage units). */
  elements?: number;
  /** Stream the stored bytes (required: distinguishes these options from {@link ChunkOptions}). */
  raw: true;
  /** Recycle two internal buffers, as {@link ChunkOptions.reuse}. */
  reuse?: boolean;
}

/**
 * Options of `readFloat()`.
 *
 * @example
 * ```ts
 * const x = await reader.readFloat('lm_head.weight', { as: 'float32' });
 * ```
 */
export interface ReadFloatOptions<F extends FloatType = FloatType> {
  /** Target array type. Default: the lossless float type of the tensor's dtype. */
  as?: F;
}

/**
 * What every lowp tensor container offers (a safetensors file, a sharded checkpoint, a PyTorch file, a
 * GGUF file, an ONNX model's initializers): the tensor list with dtypes and shapes, and reads of one
 * tensor, whole or in chunks.
 *
 * @example
 * ```ts
 * async function summary(r: TensorReader) {
 *   for (const t of r.tensors) {
 *     let max = 0;
 *     for await (const { data } of r.chunks(t.name, { as: 'float64' })) for (const v of data) max = Math.max(max, Math.abs(v));
 *     console.log(t.name, max);
 *   }
 * }
 * await summary(await openCheckpoint('checkpoint/'));
 * ```
 */
export interface TensorReader {
  /** The file format, when the reader is one of lowp/io's. */
  readonly format?: IoFormat;
  /** String metadata (`__metadata__`, an index's metadata, GGUF key/values as text...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, in reading order. */
  readonly tensors: readonly TensorInfo[];
  /** Tensor names, in the order of `tensors`. */
  names(): string[];
  /** Whether a tensor of that name exists. */
  has(name: string): boolean;
  /** The entry of a tensor; a `NOT_FOUND` error when absent. */
  info(name: string): TensorInfo;
  /** Reads a whole tensor into its natural typed array. */
  tensor(name: string): Promise<Tensor>;
  /** Reads a whole tensor as float values. */
  readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>>;
  /** Streams a tensor's stored bytes in chunks of whole storage units (see {@link RawChunkOptions}). */
  chunks(name: string, options: RawChunkOptions): AsyncGenerator<TensorChunk<Uint8Array>, void, undefined>;
  /** Streams a tensor in chunks of `options.elements` elements, natural or converted to floats. */
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  /** Streams a tensor in chunks converted to float values (`options.as`). */
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  /** Releases open files; later reads fail with code `CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/** Options, when given, must be an object: a bare `'float64'` or `4` would otherwise be ignored. */
export function checkOptionsObject(options: unknown, method: string): void {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError(`${method}: expected options as an object (e.g. { as: 'float64' }), got ${describeValue(options)}`);
  }
}

/** The chunk size in elements, checked, rounded down to whole units of `granule` elements (at least one). */
export function checkChunkElements(elements: unknown, granule = 1): number {
  const e = elements ?? DEFAULT_CHUNK_ELEMENTS;
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 1) {
    throw new RangeError(`expected chunk elements to be a positive integer, got ${describeValue(elements)}`);
  }
  return granule === 1 ? e : Math.max(granule, e - (e % granule));
}

/** `raw`, checked: true streams stored bytes (then `as` must be absent), false or absent decodes. */
export function checkRaw(options: unknown): boolean {
  const o = options as { raw?: unknown; as?: unknown } | null | undefined;
  const raw = o?.raw;
  if (raw === undefined || raw === false) return false;
  if (raw !== true) throw new TypeError(`expected raw to be true or false, got ${describeValue(raw)}`);
  if (o?.as !== undefined) throw new TypeError(`expected either raw (stored bytes) or as (decoded floats), got both (as: ${describeValue(o.as)})`);
  return true;
}

/** `as`, checked: undefined, 'float32' or 'float64'. */
export function checkFloatType(as: unknown): FloatType | undefined {
  if (as === undefined || as === 'float32' || as === 'float64') return as;
  throw new TypeError(`expected as to be 'float32' or 'float64', got ${describeValue(as)}`);
}

/** Whether the codec's natural array already is the float array `as` asks for (F32 as float32, F64 as float64). */
function isNaturalFloat(dtype: TensorDType, as: FloatType | undefined): boolean {
  return (as === 'float32' && dtype === 'F32') || (as === 'float64' && dtype === 'F64');
}

/** Whether the natural array of a codec is raw bytes (packed, fnuz or block types: no safetensors dtype), which chunks decode by default. */
function naturalIsRaw(codec: ElementCodec): boolean {
  return codec.granule > 1 || !isDType(codec.dtype);
}

/** The float type chunks and readFloat produce when the caller gives none: undefined means natural arrays. */
export function defaultAs(codec: ElementCodec, as: FloatType | undefined): FloatType | undefined {
  return as ?? (naturalIsRaw(codec) ? codec.exact : undefined);
}

/**
 * `raw` (stored bytes the reader owns, whole units) as the values `as` asks for: the natural array when
 * `as` is undefined, the natural array itself when it already is that float array (no second copy), else
 * decoded floats (into `out` when given).
 */
export function decodeRaw(codec: ElementCodec, raw: Uint8Array, count: number, as: FloatType | undefined, out?: Float32Array | Float64Array): TensorData | Float32Array | Float64Array {
  if (as === undefined || isNaturalFloat(codec.dtype, as)) {
    const natural = codec.natural(raw);
    return natural.length === count ? natural : (natural.subarray(0, count) as TensorData);
  }
  const dst = out !== undefined ? out.subarray(0, count) : as === 'float32' ? new Float32Array(count) : new Float64Array(count);
  codec.decode(raw, count, dst);
  return dst;
}

/** Turns the engine's allocation failure for a huge whole-tensor read into a clear RangeError. */
export function tooBig(e: unknown, t: TensorInfo): unknown {
  if (e instanceof RangeError && !(e instanceof LowpIoError) && /alloc|length|size/i.test(e.message)) {
    return new RangeError(`expected a tensor that fits in one array, got ${quoteName(t.name)} of ${t.byteLength} bytes (${e.message}): read it with chunks()`);
  }
  return e;
}

/** One set of recycled chunk buffers: the stored bytes, and float output when converting. */
export class ChunkBuffers {
  /** The stored bytes of one chunk (whole units). */
  readonly bytes: Uint8Array;
  private readonly floats: Float32Array | Float64Array | undefined;

  /**
   * @param codec - the element codec of the tensor
   * @param elements - elements per chunk (whole units)
   * @param as - float output type, or undefined for natural arrays
   */
  constructor(
    private readonly codec: ElementCodec,
    elements: number,
    private readonly as: FloatType | undefined,
  ) {
    this.bytes = new Uint8Array(codecBytes(codec, elements));
    // F32 as float32 and F64 as float64 are the stored values themselves: no second buffer, no copy
    this.floats = as === undefined || isNaturalFloat(codec.dtype, as) ? undefined : as === 'float32' ? new Float32Array(elements) : new Float64Array(elements);
  }

  /** The first `count` elements, after the bytes were filled: a natural view, or decoded floats. */
  view(count: number): TensorData | Float32Array | Float64Array {
    return decodeRaw(this.codec, this.bytes.subarray(0, codecBytes(this.codec, count)), count, this.as, this.floats);
  }
}

/** What a reader needs to know at construction. */
export interface TensorReaderInit<I extends TensorInfo> {
  /** The format, for {@link TensorReader.format}. */
  format: IoFormat;
  /** The file's name (path) for messages, when known. */
  name: string | undefined;
  /** String metadata (frozen by the base). */
  metadata: Readonly<Record<string, string>>;
  /** The tensors, in reading order (names unique). */
  tensors: readonly I[];
  /** The format's error class (NOT_FOUND, CLOSED and short reads are thrown as this class). */
  errors: IoErrorClass;
}

/**
 * The shared implementation of {@link TensorReader}: a format supplies its tensors and one method that
 * reads a tensor's stored bytes from a given byte (`readRaw`), and gets lookups, whole reads, float
 * conversion and chunked streaming with read-ahead, all in whole storage units.
 *
 * @example
 * ```ts
 * class MemoryReader extends TensorReaderBase {
 *   constructor(private bytes: Uint8Array) {
 *     super({ format: 'safetensors', name: 'mem', metadata: {}, errors: SafetensorsError,
 *       tensors: [{ name: 'x', dtype: 'F32', shape: [2], elements: 2, byteLength: 8 }] });
 *   }
 *   protected async readRaw(_t: TensorInfo, byteStart: number, target: Uint8Array) {
 *     target.set(this.bytes.subarray(byteStart, byteStart + target.length));
 *   }
 *   protected release() {}
 * }
 * ```
 */
export abstract class TensorReaderBase<I extends TensorInfo = TensorInfo> implements TensorReader {
  /** The file format. */
  readonly format: IoFormat;
  /** String metadata (frozen). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, in reading order. */
  readonly tensors: readonly I[];
  /** The file's name (path) for messages, when known. */
  readonly name: string | undefined;
  /** The format's error class. */
  protected readonly errors: IoErrorClass;
  private readonly byName: Map<string, I>;
  private closed = false;

  /**
   * @param init - format, name, metadata, tensors and error class
   */
  protected constructor(init: TensorReaderInit<I>) {
    this.format = init.format;
    this.name = init.name;
    this.metadata = Object.isFrozen(init.metadata) ? init.metadata : Object.freeze(init.metadata);
    this.tensors = Object.isFrozen(init.tensors) ? init.tensors : Object.freeze([...init.tensors]);
    this.errors = init.errors;
    this.byName = new Map(this.tensors.map((t) => [t.name, t]));
  }

  /**
   * Fills `target` with the stored bytes of tensor `t` (contiguous, C order, in its dtype's storage)
   * starting at byte `byteStart` of those bytes (always a storage-unit boundary). Throw the format's
   * error class on failure.
   */
  protected abstract readRaw(t: I, byteStart: number, target: Uint8Array): Promise<void>;

  /** Releases the files this reader opened (called once, by `close()`). */
  protected abstract release(): void | Promise<void>;

  /** The element codec of a tensor (override for formats whose element types need more context). */
  protected codecOf(t: I): ElementCodec {
    return elementCodec(t.dtype);
  }

  /** Tensor names in reading order. */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** Whether there is a tensor of that name. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The entry of a tensor; throws the format's error with code `NOT_FOUND` when absent. */
  info(name: string): I {
    const t = this.byName.get(name);
    if (t === undefined) {
      const shown = typeof name === 'string' ? quoteName(name) : describeValue(name);
      throw new this.errors('NOT_FOUND', `expected the name of a tensor in the file (${this.tensors.length} tensors), got ${shown}`, this.name);
    }
    return t;
  }

  /** Throws `CLOSED` after `close()`. */
  protected ensureOpen(): void {
    if (this.closed) throw new this.errors('CLOSED', 'expected an open file, got one that was closed', this.name);
  }

  /** Whether `close()` was called. */
  protected get isClosed(): boolean {
    return this.closed;
  }

  /** All of a tensor's stored bytes, then `view` of them; an allocation the engine refuses is a clear RangeError. */
  private async readWhole<R>(t: I, view: (bytes: Uint8Array) => R): Promise<R> {
    try {
      const bytes = allocForRead(t.byteLength);
      if (t.byteLength > 0) await this.readRaw(t, 0, bytes);
      return view(bytes);
    } catch (e) {
      throw tooBig(e, t);
    }
  }

  /** Reads a whole tensor into a fresh array of its natural type (use `chunks()` for huge tensors). */
  async tensor(name: string): Promise<Tensor> {
    const t = this.info(name);
    this.ensureOpen();
    const codec = this.codecOf(t);
    const data = await this.readWhole(t, (bytes) => codec.natural(bytes));
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], data };
  }

  /** Reads a whole tensor as float values (default: the lossless float type of its dtype). */
  async readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>> {
    checkOptionsObject(options, 'readFloat');
    const as = checkFloatType(options?.as);
    const t = this.info(name);
    this.ensureOpen();
    const codec = this.codecOf(t);
    return this.readWhole(t, (bytes) => decodeRaw(codec, bytes, t.elements, as ?? codec.exact) as FloatArrayOf<F>);
  }

  /**
   * Streams a tensor in chunks of `elements` elements (default 1,048,576, whole storage units), each a
   * fresh array of the dtype's natural type or, with `as`, of float values (with `reuse: true`, views
   * into two recycled buffers, valid until the iterator advances). The next chunk is read while the
   * caller works on the current one; memory stays at about two chunks whatever the tensor's size.
   * Arguments are checked at the call, not at the first `next()`.
   */
  chunks(name: string, options: RawChunkOptions): AsyncGenerator<TensorChunk<Uint8Array>, void, undefined>;
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunks(name: string, options?: ChunkOptions | RawChunkOptions): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    const t = this.info(name);
    checkOptionsObject(options, 'chunks');
    const codec = this.codecOf(t);
    const elements = checkChunkElements(options?.elements, codec.granule);
    const raw = checkRaw(options);
    const as = raw ? undefined : defaultAs(codec, checkFloatType((options as ChunkOptions | undefined)?.as));
    return this.chunkGenerator(t, codec, elements, as, options?.reuse === true, raw);
  }

  private async *chunkGenerator(t: I, codec: ElementCodec, elements: number, as: FloatType | undefined, reuse: boolean, raw: boolean): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    if (t.elements === 0) return;
    const per = Math.min(elements, t.elements);
    // with reuse: two byte buffers and two float buffers, alternating (one being read, one with the caller)
    const pool = reuse ? [0, 1].map(() => new ChunkBuffers(codec, per, as)) : undefined;
    let turn = 0;
    const read = async (start: number): Promise<TensorChunk<TensorData | Float32Array | Float64Array>> => {
      this.ensureOpen();
      const count = Math.min(elements, t.elements - start);
      const byteStart = (start / codec.granule) * codec.unitBytes;
      const n = codecBytes(codec, count);
      if (pool === undefined) {
        const bytes = allocForRead(n);
        await this.readRaw(t, byteStart, bytes);
        return { start, data: raw ? bytes : decodeRaw(codec, bytes, count, as) };
      }
      const b = pool[turn];
      turn ^= 1;
      await this.readRaw(t, byteStart, b.bytes.subarray(0, n));
      return { start, data: raw ? b.bytes.subarray(0, n) : b.view(count) };
    };
    let next: Promise<TensorChunk<TensorData | Float32Array | Float64Array>> | undefined = read(0);
    try {
      while (next !== undefined) {
        const cur: TensorChunk<TensorData | Float32Array | Float64Array> = await next;
        // every chunk but the last holds `elements` elements
        const following: number = cur.start + elements;
        next = following < t.elements ? read(following) : undefined;
        yield cur;
      }
    } finally {
      // the consumer stopped early: settle the prefetch so that its failure is not unhandled
      if (next !== undefined) next.catch(() => undefined);
    }
  }

  /** Closes the files this reader opened. Idempotent; later reads fail with code `CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}
