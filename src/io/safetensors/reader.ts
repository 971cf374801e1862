// Reading safetensors files one tensor at a time: the header is read and validated once
// (safetensors-header.ts), then each tensor is read by offset from a ByteSource (a path, bytes, a Blob),
// whole or as a stream of fixed-size chunks, so that files of tens of GB are read with bounded memory.
// Tensor data always lands in a fresh, aligned typed array in host byte order.
import { bytesToTypedArray, dtypeSize, type DType, type TensorData } from '../dtypes.js';
import { elementCodec } from '../elements.js';
import { SafetensorsError } from '../errors.js';
import type { FloatArrayOf, FloatType } from '../float-convert.js';
import {
  ChunkBuffers,
  checkChunkElements,
  checkFloatType,
  checkOptionsObject,
  decodeRaw,
  TensorReaderBase,
  tooBig,
  type ChunkOptions,
  type ReadFloatOptions,
  type Tensor,
  type TensorChunk,
} from '../reader.js';
import {
  checkReadOptions,
  parseHeaderJson,
  readHeaderLength,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
  type SafetensorsTensorInfo,
} from './header.js';
import { closeOnFailure, readExact, readExactInto, readExactIntoSync, readExactSync, toByteSource, type ByteSource, type SourceInput } from '../source.js';

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
export class SafetensorsFile extends TensorReaderBase<SafetensorsTensorInfo> {
  /** The validated header: lengths, metadata, tensors. */
  readonly header: SafetensorsHeader;
  private readonly source: ByteSource;
  private readonly owned: boolean;

  /**
   * Wraps an already validated header; use {@link openSafetensors} instead.
   *
   * @param source - where the bytes come from
   * @param header - the header parsed from that source
   * @param owned - whether `close()` should close the source
   */
  constructor(source: ByteSource, header: SafetensorsHeader, owned: boolean) {
    super({ format: 'safetensors', name: source.name, metadata: header.metadata, tensors: header.tensors, errors: SafetensorsError });
    this.source = source;
    this.header = header;
    this.owned = owned;
  }

  protected async readRaw(t: SafetensorsTensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    await readExactInto(this.source, t.byteOffset + byteStart, target);
  }

  protected release(): void {
    if (this.owned) void this.source.close?.();
  }

  /** Reads a whole tensor into a fresh typed array of its dtype (use `chunks()` for huge tensors). */
  override async tensor(name: string): Promise<Tensor<DType>> {
    return (await super.tensor(name)) as Tensor<DType>;
  }

  /** Synchronous {@link SafetensorsFile.tensor} (sources with `readSync`: paths and bytes). */
  tensorSync(name: string): Tensor<DType> {
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

  /** Synchronous {@link SafetensorsFile.readFloat}. */
  readFloatSync<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): FloatArrayOf<F> {
    checkOptionsObject(options, 'readFloatSync');
    const as = checkFloatType(options?.as);
    const t = this.tensorSync(name);
    const codec = elementCodec(t.dtype);
    const raw = t.data as TensorData;
    return decodeRaw(codec, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), t.data.length, as ?? codec.exact) as FloatArrayOf<F>;
  }

  /** Synchronous {@link SafetensorsFile.chunks} (paths and bytes). */
  chunksSync(name: string, options?: ChunkOptions<undefined>): Generator<TensorChunk<TensorData>, void, undefined>;
  chunksSync<F extends FloatType>(name: string, options: ChunkOptions<F>): Generator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunksSync(name: string, options?: ChunkOptions): Generator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    const t = this.info(name);
    checkOptionsObject(options, 'chunksSync');
    const elements = checkChunkElements(options?.elements);
    const as = checkFloatType(options?.as);
    const codec = elementCodec(t.dtype);
    const self = this;
    const size = dtypeSize(t.dtype);
    // with reuse one buffer suffices: nothing is read ahead
    const buffers = options?.reuse === true && t.elements > 0 ? new ChunkBuffers(codec, Math.min(elements, t.elements), as) : undefined;
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
        yield { start, data: decodeRaw(codec, readExactSync(self.source, offset, count * size), count, as) };
      }
    })();
  }

  /** Synchronous {@link SafetensorsFile.close}. */
  closeSync(): void {
    void this.close();
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
  return openSafetensorsFrom(source, owned, options);
}

/**
 * {@link openSafetensors} over a source already opened; `owned`: the reader closes it (on `close()`, or
 * now when the header is invalid).
 */
export async function openSafetensorsFrom(source: ByteSource, owned: boolean, options?: SafetensorsReadOptions): Promise<SafetensorsFile> {
  return closeOnFailure(source, owned, async () => {
    const o = { ...options, name: options?.name ?? source.name };
    const prefix = source.size >= 8 ? await readExact(source, 0, 8) : new Uint8Array(0);
    const n = readHeaderLength(prefix, source.size, o);
    const header = parseHeaderJson(await readExact(source, 8, n), source.size, o);
    return new SafetensorsFile(source, header, owned);
  });
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
