// A GGUF file as a TensorReader: the header is read and validated once (header.ts), then each tensor is
// read by offset from a ByteSource (a path, bytes, a Blob), whole (its raw blocks for quantized types)
// or streamed in chunks of whole blocks that lowp/quant's dequantizers decode to float32 (elements.ts),
// so that a file of tens of GB is analysed with a few MB of memory. Metadata values are kept typed
// (`header.metadata`) and, as every TensorReader has them, as text (`metadata`, see ggufValueToString).
import { ggufElementCodec, type ElementCodec } from '../elements.js';
import { GgufError } from '../errors.js';
import { TensorReaderBase } from '../reader.js';
import { closeOnFailure, readExactInto, toByteSource, type ByteSource, type SourceInput } from '../source.js';
import { readGgufFrom, type GgufHeader, type GgufReadOptions, type GgufTensorInfo } from './header.js';
import { ggufValueToString, type GgufValue, type GgufValueType } from './values.js';

/**
 * The text form of every metadata value, in a null-prototype object (keys such as `__proto__` stay
 * data) whose properties are computed when first read: a vocabulary's text (hundreds of thousands of
 * tokens as JSON) is made only for a caller that asks for it.
 */
function metadataText(h: GgufHeader): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of h.metadata) {
    let text: string | undefined;
    Object.defineProperty(out, k, {
      enumerable: true,
      get: () => (text ??= ggufValueToString(v, h.metadataTypes.get(k) as GgufValueType)),
    });
  }
  return out;
}

/**
 * A GGUF file opened for reading: the validated header, then one tensor at a time by offset. Tensor
 * dtypes are ggml type names ('F32', 'F16', 'BF16', 'Q8_0', 'Q4_K'...); `tensor(name)` gives the stored
 * values (the raw blocks, a Uint8Array, for quantized types), `readFloat` and `chunks` the dequantized
 * values (float32 by default; bit for bit ggml's `dequantize_row_*`). `metadata` holds each value as
 * text (see {@link ggufValueToString}); `header.metadata` the typed values. Create it with
 * {@link openGguf} or {@link openCheckpoint}.
 *
 * @example
 * ```ts
 * import { openGguf } from 'lowp/io';
 * const f = await openGguf('model.gguf');
 * f.header.metadata.get('llama.block_count'); // 32
 * f.metadata['general.architecture'];        // 'llama'
 * const t = f.tensors.find((x) => x.type === 'Q4_K')!;
 * for await (const { start, data } of f.chunks(t.name, { reuse: true })) {
 *   // data: Float32Array of dequantized values (whole blocks), start: index of the first one
 * }
 * await f.close();
 * ```
 */
export class GgufFile extends TensorReaderBase<GgufTensorInfo> {
  /** The validated header: version, alignment, typed metadata, tensor infos, data offset. */
  readonly header: GgufHeader;
  private readonly source: ByteSource;
  private readonly owned: boolean;

  /**
   * Wraps an already validated header; use {@link openGguf} instead.
   *
   * @param source - where the bytes come from
   * @param header - the header read from that source
   * @param owned - whether `close()` closes the source
   * @param name - the file's name for messages (default: the source's)
   */
  constructor(source: ByteSource, header: GgufHeader, owned: boolean, name?: string) {
    super({ format: 'gguf', name: name ?? source.name, metadata: metadataText(header), tensors: header.tensors, errors: GgufError });
    this.source = source;
    this.header = header;
    this.owned = owned;
  }

  /** The typed value of a metadata key (undefined when absent): `header.metadata.get(key)`. */
  value(key: string): GgufValue | undefined {
    return this.header.metadata.get(key);
  }

  /** ggml's decoders for every ggml type (F16 and BF16 included: a signaling NaN comes out quiet, as in C). */
  protected override codecOf(t: GgufTensorInfo): ElementCodec {
    return ggufElementCodec(t.dtype);
  }

  protected async readRaw(t: GgufTensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    await readExactInto(this.source, t.byteOffset + byteStart, target, GgufError);
  }

  protected release(): void {
    if (this.owned) void this.source.close?.();
  }
}

/**
 * Opens a GGUF file (a path in Node, bytes, a Blob or any {@link ByteSource}): reads and validates the
 * header only (see {@link GgufError} for what is refused); tensor data is read when asked for. Close
 * it when done (a path holds a file descriptor).
 *
 * @example
 * ```ts
 * import { openGguf, writeGguf } from 'lowp/io';
 * const bytes = writeGguf({ tensors: [{ name: 'x', type: 'F32', shape: [2], data: new Float32Array([1, 2]) }] });
 * const f = await openGguf(bytes);
 * await f.readFloat('x'); // Float32Array [1, 2]
 * await f.close();
 * ```
 */
export async function openGguf(input: SourceInput, options?: GgufReadOptions): Promise<GgufFile> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`expected options as an object, got ${typeof options}`);
  }
  const { source, owned } = toByteSource(input, options?.name, GgufError);
  return openGgufFrom(source, owned, options);
}

/** {@link openGguf} over a source already opened; `owned`: the reader closes it (on `close()`, or now on failure). */
export async function openGgufFrom(source: ByteSource, owned: boolean, options?: GgufReadOptions): Promise<GgufFile> {
  return closeOnFailure(source, owned, async () => {
    const name = options?.name ?? source.name;
    const header = await readGgufFrom(source, { ...options, name });
    return new GgufFile(source, header, owned, name);
  });
}
