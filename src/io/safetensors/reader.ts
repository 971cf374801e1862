// Reading safetensors files one tensor at a time: the header is read and validated once
// (safetensors-header.ts), then each tensor is read by offset from a ByteSource (a path, bytes, a Blob),
// whole or as a stream of fixed-size chunks, so that files of tens of GB are read with bounded memory.
// Tensor data always lands in a fresh, aligned typed array in host byte order.
import { describeValue } from '../../core/describe.js';
import {
  bytesToTypedArray,
  dtypeSize,
  LITTLE_ENDIAN_HOST,
  swapBytes,
  type DType,
  type DTypeArrayMap,
  type TensorData,
} from '../dtypes.js';
import { SafetensorsError } from '../errors.js';
import { exactFloatType, toFloatArray, type FloatArrayOf, type FloatType } from '../float-convert.js';
import {
  checkReadOptions,
  parseHeaderJson,
  readHeaderLength,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
  type TensorInfo,
} from './header.js';
import {
  readExact,
  readExactInto,
  readExactIntoSync,
  readExactSync,
  toByteSource,
  type ByteSource,
  type SourceInput,
} from '../source.js';

/**
 * A tensor read from a file: data in the dtype's natural typed array (see {@link DTypeArrayMap}).
 *
 * @example
 * ```ts
 * const { name, dtype, shape, data } = await st.tensor('embed.weight');
 * ```
 */
export interface Tensor<D extends DType = DType> {
  /** Tensor name. */
  name: string;
  /** Element type. */
  dtype: D;
  /** Dimensions, outermost first (C order). */
  shape: number[];
  /** The elements in C order, in a fresh array the caller owns. */
  data: DTypeArrayMap[D];
}

/**
 * One piece of a tensor streamed by `chunks()`.
 *
 * @example
 * ```ts
 * for await (const { start, data } of st.chunks('w')) {
 *   // data[i] is element start + i of the tensor (C order)
 * }
 * ```
 */
export interface TensorChunk<A> {
  /** Index (in elements, C order) of the chunk's first element within the tensor. */
  start: number;
  /** The chunk's elements, in a fresh array (length <= the requested chunk size). */
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
 * for await (const { start, data } of st.chunks('w', { elements: 1 << 16, as: 'float64', reuse: true })) {
 *   // data: Float64Array view, valid until the next iteration
 * }
 * ```
 */
export interface ChunkOptions<F extends FloatType | undefined = FloatType | undefined> {
  /** Elements per chunk (the last chunk may be shorter). Default {@link DEFAULT_CHUNK_ELEMENTS}. */
  elements?: number;
  /** Convert each chunk to float values of this type; default: the dtype's natural typed array. */
  as?: F;
  /**
   * Recycle two internal buffers instead of allocating each chunk: each chunk's `data` is then valid
   * only until the iterator is advanced again (copy what you keep). Faster for large tensors. Default
   * false: every chunk is a fresh array the caller owns.
   */
  reuse?: boolean;
}

/**
 * Options of `readFloat()`.
 *
 * @example
 * ```ts
 * const x = await st.readFloat('lm_head.weight', { as: 'float32' });
 * ```
 */
export interface ReadFloatOptions<F extends FloatType = FloatType> {
  /** Target array type. Default: {@link exactFloatType} of the tensor's dtype (lossless). */
  as?: F;
}

/**
 * What every lowp tensor container offers (a single safetensors file, a sharded checkpoint): the
 * tensor list with dtypes and shapes, and reads of one tensor, whole or in chunks.
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
  /** String metadata (`__metadata__`, or the index's metadata for a sharded checkpoint). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, in reading order (file order; shard by shard for a sharded checkpoint). */
  readonly tensors: readonly TensorInfo[];
  /** Tensor names, in the order of `tensors`. */
  names(): string[];
  /** Whether a tensor of that name exists. */
  has(name: string): boolean;
  /** The header entry of a tensor; `NOT_FOUND` SafetensorsError when absent. */
  info(name: string): TensorInfo;
  /** Reads a whole tensor into its natural typed array. */
  tensor(name: string): Promise<Tensor>;
  /** Reads a whole tensor as float values (see {@link toFloatArray}). */
  readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>>;
  /** Streams a tensor in chunks of `options.elements` elements, natural or converted to floats. */
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  /** Streams a tensor in chunks converted to float values (`options.as`). */
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  /** Releases open files; later reads fail with code `CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/** Options, when given, must be an object: a bare `'float64'` or `4` would otherwise be ignored. */
function checkOptionsObject(options: unknown, method: string): void {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError(`${method}: expected options as an object (e.g. { as: 'float64' }), got ${describeValue(options)}`);
  }
}

function checkChunkElements(elements: unknown): number {
  const e = elements ?? DEFAULT_CHUNK_ELEMENTS;
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 1) {
    throw new RangeError(`expected chunk elements to be a positive integer, got ${describeValue(elements)}`);
  }
  return e;
}

function checkFloatType(as: unknown): FloatType | undefined {
  if (as === undefined || as === 'float32' || as === 'float64') return as;
  throw new TypeError(`expected as to be 'float32' or 'float64', got ${describeValue(as)}`);
}

/** Whether the dtype's natural array already is the float array `as` asks for (F32 as float32, F64 as float64). */
function isFloatArrayOf(dtype: DType, as: FloatType | undefined): boolean {
  return (as === 'float32' && dtype === 'F32') || (as === 'float64' && dtype === 'F64');
}

/**
 * `raw` (a fresh array the reader owns) as the values `as` asks for: `raw` itself when it already is that
 * float array (no second copy of a whole tensor or chunk), else a converted copy ({@link toFloatArray}).
 */
function asFloats(dtype: DType, raw: TensorData, as: FloatType): Float32Array | Float64Array {
  return isFloatArrayOf(dtype, as) ? (raw as Float32Array | Float64Array) : toFloatArray(dtype, raw as never, as);
}

/** Turns the engine's allocation failure for a huge whole-tensor read into a clear RangeError. */
function tooBig(e: unknown, t: TensorInfo): unknown {
  if (e instanceof RangeError && !(e instanceof SafetensorsError) && /alloc|length|size/i.test(e.message)) {
    return new RangeError(`expected a tensor that fits in one array, got '${t.name.slice(0, 80)}' of ${t.byteLength} bytes (${e.message}): read it with chunks()`);
  }
  return e;
}

/** One set of recycled chunk buffers (raw bytes, their typed view, and float output when converting). */
class ChunkBuffers {
  readonly bytes: Uint8Array;
  private readonly raw: TensorData;
  private readonly floats: Float32Array | Float64Array | undefined;

  constructor(
    private readonly dtype: DType,
    elements: number,
    private readonly as: FloatType | undefined,
  ) {
    const size = dtypeSize(dtype);
    this.bytes = new Uint8Array(elements * size);
    this.raw = bytesToTypedArray(dtype, this.bytes);
    // F32 as float32 and F64 as float64 are the raw values themselves: no second buffer, no copy
    this.floats = as === undefined || isFloatArrayOf(dtype, as) ? undefined : as === 'float32' ? new Float32Array(elements) : new Float64Array(elements);
  }

  /** The first `count` elements, after the bytes were filled: natural view, or converted floats. */
  view(count: number): TensorData | Float32Array | Float64Array {
    const raw = this.raw.subarray(0, count) as TensorData;
    if (!LITTLE_ENDIAN_HOST) swapBytes(this.bytes.subarray(0, count * raw.BYTES_PER_ELEMENT), raw.BYTES_PER_ELEMENT);
    if (this.floats === undefined) return raw;
    return toFloatArray(this.dtype, raw as never, this.as, this.floats.subarray(0, count) as never);
  }
}

/**
 * A safetensors file opened for reading: validated header, then one tensor at a time by offset.
 * Create it with {@link openSafetensors} (any source) or {@link openSafetensorsSync} (path or bytes).
 *
 * @example
 * ```ts
 * import { openSafetensors } from 'lowp/io';
 * const st = await openSafetensors('model.safetensors');
 * for (const t of st.tensors) console.log(t.name, t.dtype, t.shape);
 * const w = await st.readFloat('lm_head.weight', { as: 'float32' });
 * await st.close();
 * ```
 */
export class SafetensorsFile implements TensorReader {
  /** The validated header: lengths, metadata, tensors. */
  readonly header: SafetensorsHeader;
  /** `__metadata__` (null-prototype object, frozen). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors in file order. */
  readonly tensors: readonly TensorInfo[];
  /** The file's name (path) for messages, when known. */
  readonly name: string | undefined;
  private readonly source: ByteSource;
  private readonly owned: boolean;
  private readonly byName: Map<string, TensorInfo>;
  private closed = false;

  /**
   * Wraps an already validated header; use {@link openSafetensors} instead.
   *
   * @param source - where the bytes come from
   * @param header - the header parsed from that source
   * @param owned - whether `close()` should close the source
   */
  constructor(source: ByteSource, header: SafetensorsHeader, owned: boolean) {
    this.source = source;
    this.header = header;
    this.owned = owned;
    this.name = source.name;
    this.metadata = header.metadata;
    this.tensors = header.tensors;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /** Tensor names in file order. */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** Whether the file has a tensor of that name. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The header entry of a tensor; throws SafetensorsError `NOT_FOUND` when absent. */
  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (t === undefined) {
      const shown = typeof name === 'string' ? `'${name.length > 80 ? name.slice(0, 77) + '...' : name}'` : describeValue(name);
      throw new SafetensorsError('NOT_FOUND', `expected the name of a tensor in the file (${this.tensors.length} tensors), got ${shown}`, this.name);
    }
    return t;
  }

  private ensureOpen(): void {
    if (this.closed) throw new SafetensorsError('CLOSED', 'expected an open file, got one that was closed', this.name);
  }

  /** Reads a whole tensor into a fresh typed array of its dtype (use `chunks()` for huge tensors). */
  async tensor(name: string): Promise<Tensor> {
    const t = this.info(name);
    this.ensureOpen();
    let bytes: Uint8Array;
    try {
      bytes = await readExact(this.source, t.byteOffset, t.byteLength);
    } catch (e) {
      throw tooBig(e, t);
    }
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], data: bytesToTypedArray(t.dtype, bytes) };
  }

  /** Synchronous {@link SafetensorsFile.tensor} (sources with `readSync`: paths and bytes). */
  tensorSync(name: string): Tensor {
    const t = this.info(name);
    this.ensureOpen();
    let bytes: Uint8Array;
    try {
      bytes = readExactSync(this.source, t.byteOffset, t.byteLength);
    } catch (e) {
      throw tooBig(e, t);
    }
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], data: bytesToTypedArray(t.dtype, bytes) };
  }

  /** Reads a whole tensor as float values (default: the lossless {@link exactFloatType}). */
  async readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>> {
    checkOptionsObject(options, 'readFloat');
    const as = checkFloatType(options?.as);
    const t = await this.tensor(name);
    return asFloats(t.dtype, t.data, as ?? exactFloatType(t.dtype)) as FloatArrayOf<F>;
  }

  /** Synchronous {@link SafetensorsFile.readFloat}. */
  readFloatSync<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): FloatArrayOf<F> {
    checkOptionsObject(options, 'readFloatSync');
    const as = checkFloatType(options?.as);
    const t = this.tensorSync(name);
    return asFloats(t.dtype, t.data, as ?? exactFloatType(t.dtype)) as FloatArrayOf<F>;
  }

  /**
   * Streams a tensor in chunks of `elements` elements (default 1,048,576), each a fresh array of the
   * dtype's natural type or, with `as`, of float values (with `reuse: true`, views into two recycled
   * buffers, valid until the iterator advances). The next chunk is read while the caller works on the
   * current one; memory stays at about two chunks whatever the tensor's size.
   */
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunks(name: string, options?: ChunkOptions): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    // validate eagerly, so a bad call fails at the call and not at the first next()
    const { t, elements, as, reuse } = this.chunkPlan(name, options, 'chunks');
    return this.chunkGenerator(t, elements, as, reuse);
  }

  /** The checked arguments of `chunks()` / `chunksSync()`. */
  private chunkPlan(name: string, options: ChunkOptions | undefined, method: string): { t: TensorInfo; elements: number; as: FloatType | undefined; reuse: boolean } {
    const t = this.info(name);
    checkOptionsObject(options, method);
    return { t, elements: checkChunkElements(options?.elements), as: checkFloatType(options?.as), reuse: options?.reuse === true };
  }

  private async *chunkGenerator(t: TensorInfo, elements: number, as: FloatType | undefined, reuse: boolean): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    if (t.elements === 0) return;
    const size = dtypeSize(t.dtype);
    const per = Math.min(elements, t.elements);
    // with reuse: two raw buffers and two float buffers, alternating (one being read, one with the caller)
    const pool = reuse ? [0, 1].map(() => new ChunkBuffers(t.dtype, per, as)) : undefined;
    let turn = 0;
    const read = async (start: number): Promise<TensorChunk<TensorData | Float32Array | Float64Array>> => {
      this.ensureOpen();
      const count = Math.min(elements, t.elements - start);
      const offset = t.byteOffset + start * size;
      if (pool === undefined) {
        const raw = bytesToTypedArray(t.dtype, await readExact(this.source, offset, count * size));
        return { start, data: as === undefined ? raw : asFloats(t.dtype, raw, as) };
      }
      const b = pool[turn];
      turn ^= 1;
      const bytes = b.bytes.subarray(0, count * size);
      await readExactInto(this.source, offset, bytes);
      return { start, data: b.view(count) };
    };
    let next: Promise<TensorChunk<TensorData | Float32Array | Float64Array>> | undefined = read(0);
    try {
      while (next !== undefined) {
        const cur: TensorChunk<TensorData | Float32Array | Float64Array> = await next;
        const following = cur.start + cur.data.length;
        next = following < t.elements ? read(following) : undefined;
        yield cur;
      }
    } finally {
      // the consumer stopped early: settle the prefetch so that its failure is not unhandled
      if (next !== undefined) next.catch(() => undefined);
    }
  }

  /** Synchronous {@link SafetensorsFile.chunks} (paths and bytes). */
  chunksSync(name: string, options?: ChunkOptions<undefined>): Generator<TensorChunk<TensorData>, void, undefined>;
  chunksSync<F extends FloatType>(name: string, options: ChunkOptions<F>): Generator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunksSync(name: string, options?: ChunkOptions): Generator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    const { t, elements, as, reuse } = this.chunkPlan(name, options, 'chunksSync');
    const self = this;
    const size = dtypeSize(t.dtype);
    // with reuse one buffer suffices: nothing is read ahead
    const buffers = reuse && t.elements > 0 ? new ChunkBuffers(t.dtype, Math.min(elements, t.elements), as) : undefined;
    return (function* () {
      for (let start = 0; start < t.elements; start += elements) {
        self.ensureOpen();
        const count = Math.min(elements, t.elements - start);
        const offset = t.byteOffset + start * size;
        if (buffers !== undefined) {
          readExactIntoSync(self.source, offset, buffers.bytes.subarray(0, count * size));
          yield { start, data: buffers.view(count) };
          continue;
        }
        const raw = bytesToTypedArray(t.dtype, readExactSync(self.source, offset, count * size));
        yield { start, data: as === undefined ? raw : asFloats(t.dtype, raw, as) };
      }
    })();
  }

  /** Closes the file when this object opened it (a path). Idempotent. */
  async close(): Promise<void> {
    this.closeSync();
  }

  /** Synchronous {@link SafetensorsFile.close}. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) void this.source.close?.();
  }
}

/**
 * Opens a safetensors file from a path (Node), bytes, a Blob or any {@link ByteSource}: reads the
 * 8-byte length and the JSON header only, validates them (see {@link SafetensorsError} codes), and
 * returns a reader. Close it when done (a path holds a file descriptor).
 *
 * @example
 * ```ts
 * import { openSafetensors } from 'lowp/io';
 * const st = await openSafetensors('model.safetensors');
 * for (const t of st.tensors) {
 *   for await (const { data } of st.chunks(t.name, { elements: 1 << 20, as: 'float32' })) {
 *     // analyse data (a Float32Array of at most 2^20 values)
 *   }
 * }
 * await st.close();
 * ```
 */
export async function openSafetensors(input: SourceInput, options?: SafetensorsReadOptions): Promise<SafetensorsFile> {
  checkReadOptions(options);
  const { source, owned } = toByteSource(input, options?.name);
  try {
    const o = { ...options, name: options?.name ?? source.name };
    const prefix = source.size >= 8 ? await readExact(source, 0, 8) : new Uint8Array(0);
    const n = readHeaderLength(prefix, source.size, o);
    const header = parseHeaderJson(await readExact(source, 8, n), source.size, o);
    return new SafetensorsFile(source, header, owned);
  } catch (e) {
    if (owned) await source.close?.();
    throw e;
  }
}

/**
 * Synchronous {@link openSafetensors} for a path (Node), bytes, or a {@link ByteSource} with `readSync`.
 *
 * @example
 * ```ts
 * import { openSafetensorsSync, writeSafetensors } from 'lowp/io';
 * const bytes = writeSafetensors({ x: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) } });
 * const st = openSafetensorsSync(bytes);
 * st.readFloatSync('x'); // Float32Array [1, 2]
 * ```
 */
export function openSafetensorsSync(input: string | Uint8Array | ArrayBuffer | ByteSource, options?: SafetensorsReadOptions): SafetensorsFile {
  checkReadOptions(options);
  const { source, owned } = toByteSource(input, options?.name);
  try {
    const o = { ...options, name: options?.name ?? source.name };
    const prefix = source.size >= 8 ? readExactSync(source, 0, 8) : new Uint8Array(0);
    const n = readHeaderLength(prefix, source.size, o);
    const header = parseHeaderJson(readExactSync(source, 8, n), source.size, o);
    return new SafetensorsFile(source, header, owned);
  } catch (e) {
    if (owned) void source.close?.();
    throw e;
  }
}
