// A .npy file as a TensorReader with one tensor, read lazily by offset like a safetensors file: the
// header is read and validated (parseNpyHeader), then the data is streamed from the source. This is what
// openCheckpoint returns for a .npy file, so `lowp check x.npy` works like any other checkpoint.
import { describeValue } from '../../core/describe.js';
import { NpyError } from '../errors.js';
import { TensorReaderBase, type TensorInfo } from '../reader.js';
import { closeOnFailure, readExact, readExactInto, toByteSource, type ByteSource, type SourceInput } from '../source.js';
import { parseNpyHeader, type NpyDType, type NpyHeader, type NpyReadOptions } from './npy.js';

/**
 * Options of {@link openNpy}.
 *
 * @example
 * ```ts
 * await openNpy(bytes, { tensorName: 'input_ids' });
 * ```
 */
export interface NpyOpenOptions extends NpyReadOptions {
  /** The tensor's name. Default: the file name without its folder and `.npy` (or `'array'`). */
  tensorName?: string;
}

/** The one tensor of a .npy file. */
export interface NpyTensorInfo extends TensorInfo {
  /** Element type (a numpy dtype in lowp/io's names). */
  readonly dtype: NpyDType;
  /** Absolute position of the first data byte. */
  readonly byteOffset: number;
}

/**
 * A .npy file opened for reading, as a {@link TensorReader} with one tensor. Create it with
 * {@link openNpy} or {@link openCheckpoint}.
 *
 * @example
 * ```ts
 * import { openNpy } from 'lowp/io';
 * const f = await openNpy('x.npy');
 * const x = await f.readFloat(f.tensors[0].name);
 * await f.close();
 * ```
 */
export class NpyFile extends TensorReaderBase<NpyTensorInfo> {
  /** The validated header. */
  readonly header: NpyHeader;
  private readonly source: ByteSource;
  private readonly owned: boolean;

  /**
   * Use {@link openNpy} instead.
   *
   * @param source - where the bytes come from
   * @param header - the validated header
   * @param tensorName - the tensor's name
   * @param owned - whether `close()` closes the source
   */
  constructor(source: ByteSource, header: NpyHeader, tensorName: string, owned: boolean) {
    const info: NpyTensorInfo = Object.freeze({
      name: tensorName,
      dtype: header.dtype,
      shape: Object.freeze([...header.shape]),
      elements: header.elements,
      byteLength: header.byteLength,
      byteOffset: header.dataOffset,
    });
    super({ format: 'npy', name: source.name, metadata: Object.create(null), tensors: [info], errors: NpyError });
    this.header = header;
    this.source = source;
    this.owned = owned;
  }

  protected async readRaw(t: NpyTensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    await readExactInto(this.source, t.byteOffset + byteStart, target, NpyError);
    // numpy writes booleans as 0/1 but a hand-made file may hold other bytes: any nonzero byte is True
    if (t.dtype === 'BOOL') for (let k = 0; k < target.length; k++) if (target[k] > 1) target[k] = 1;
  }

  protected release(): void {
    if (this.owned) void this.source.close?.();
  }
}

function defaultName(name: string | undefined): string {
  if (name === undefined) return 'array';
  const base = name.split(/[/\\]/).pop() ?? name;
  const stem = base.replace(/\.npy$/i, '');
  return stem === '' ? 'array' : stem;
}

/**
 * Opens a .npy file (a path in Node, bytes, a Blob or a ByteSource): reads and validates the header only;
 * the data is read when asked for. Throws {@link NpyError}.
 *
 * @example
 * ```ts
 * import { openNpy, writeNpy } from 'lowp/io';
 * const f = await openNpy(writeNpy({ dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }), { tensorName: 'x' });
 * await f.readFloat('x'); // Float32Array [1, 2]
 * ```
 */
export async function openNpy(input: SourceInput, options?: NpyOpenOptions): Promise<NpyFile> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`expected options as an object, got ${describeValue(options)}`);
  const { source, owned } = toByteSource(input, options?.name, NpyError);
  return openNpyFrom(source, owned, options);
}

/** {@link openNpy} over a source already opened; `owned`: the reader closes it (now, on failure). */
export async function openNpyFrom(source: ByteSource, owned: boolean, options?: NpyOpenOptions): Promise<NpyFile> {
  return closeOnFailure(source, owned, async () => {
    const name = options?.name ?? source.name;
    const o = { ...options, name };
    // magic (6) + version (2) + header length (2 or 4), then the header itself
    const first = await readExact(source, 0, Math.min(source.size, 12), NpyError);
    let prefix = first;
    if (first.length >= 10 && (first[6] === 1 || first.length >= 12)) {
      const dv = new DataView(first.buffer, first.byteOffset, first.length);
      const hlen = first[6] === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
      const max = options?.maxHeaderBytes ?? 1_000_000;
      const want = (first[6] === 1 ? 10 : 12) + Math.min(hlen, max + 1);
      if (want > first.length) prefix = await readExact(source, 0, Math.min(source.size, want), NpyError);
    }
    const header = parseNpyHeader(prefix, source.size, o);
    const tensorName = options?.tensorName ?? defaultName(name);
    if (typeof tensorName !== 'string') throw new TypeError(`expected tensorName to be a string, got ${describeValue(tensorName)}`);
    return new NpyFile(source, header, tensorName, owned);
  });
}
