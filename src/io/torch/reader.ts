// A PyTorch torch.save file (`.pt`, `.pth`, `.bin`, `.ckpt`; zip or legacy format) as a TensorReader:
// the structure is read and checked when the file opens (the pickle through the restricted unpickler,
// every storage against its record, every view against its storage), then each tensor is read lazily by
// offset, whole or in chunks, as the contiguous row-major elements of its view: a contiguous view is one
// read, a strided one (a transpose, a slice, an expand) is gathered in bounded pieces. Every tensor gets
// the dotted path that leads to it as its name; the rest of the pickled object (numbers, strings, lists
// such as an optimizer's param_groups) stays available as inert values (`objects`, `value(path)`).
import { describeValue } from '../../core/describe.js';
import { swapBytes } from '../dtypes.js';
import { quoteName, TorchError } from '../errors.js';
import { TensorReaderBase, type TensorInfo } from '../reader.js';
import { closeOnFailure, readExact, readExactInto, toByteSource, type ByteSource, type SourceInput } from '../source.js';
import { DEFAULT_TORCH_LIMITS, parseZipCheckpoint, type ParsedTorch, type StorageData, type TorchLimits } from './archive.js';
import { TORCH_DTYPES } from './dtypes.js';
import { parseLegacyCheckpoint } from './legacy.js';
import { tensorPaths } from './names.js';
import { gatherStrided, isContiguous } from './strided.js';
import { TorchTensorRef, valueAt, type PyValue } from './values.js';

/**
 * Options of {@link openTorch}: the name used in messages and the limits that bound what an untrusted
 * file can make the reader allocate (defaults in parentheses).
 *
 * @example
 * ```ts
 * await openTorch('optimizer.pt', { maxPickleBytes: 1 << 30 });
 * ```
 */
export interface TorchReadOptions {
  /** The file's name in messages (default: the path, or none). */
  name?: string;
  /** Largest pickle read into memory, in bytes (256 MiB). */
  maxPickleBytes?: number;
  /** Deepest nesting of containers in the pickled object (1000). */
  maxDepth?: number;
  /** Most tensor names (1,000,000). */
  maxTensors?: number;
  /** Most objects the unpickler creates (10,000,000). */
  maxObjects?: number;
  /** Most memo entries (10,000,000). */
  maxMemo?: number;
  /** Most bytes of tensors, all names together (tied and expanded views included), per byte of file (16). */
  maxExpansion?: number;
}

/**
 * A tensor of a torch.save file: the common {@link TensorInfo} (its view's elements, contiguous and
 * row-major) plus where they are.
 *
 * @example
 * ```ts
 * const t = file.info('lm_head.weight');
 * if (t.sameAs) console.log(`${t.name} is tied to ${t.sameAs}`);
 * if (!t.contiguous) console.log('a strided view, strides', t.strides);
 * ```
 */
export interface TorchTensorInfo extends TensorInfo {
  /** torch's dtype name (`'float32'`, `'float8_e4m3fn'`). */
  readonly torchDtype: string;
  /** The key of the storage it views. */
  readonly storage: string;
  /** Its first element in the storage, in elements. */
  readonly storageOffset: number;
  /** Strides in elements. */
  readonly strides: readonly number[];
  /** Whether its elements are one run in the storage (read with one read). */
  readonly contiguous: boolean;
  /** Whether it was saved as an `nn.Parameter`. */
  readonly parameter: boolean;
  /** `requires_grad` as saved. */
  readonly requiresGrad: boolean;
  /** The device it was saved from (`'cpu'`, `'cuda:0'`). */
  readonly location: string;
  /** When the same tensor object is reachable by an earlier name (tied weights): that name. */
  readonly sameAs?: string;
}

/**
 * A tensor the file holds but lowp/io does not read (complex, quantized, sparse, meta, packed fp4...).
 *
 * @example
 * ```ts
 * for (const u of file.unsupported) console.warn(`${u.name}: ${u.what}, not analysed (${u.reason})`);
 * ```
 */
export interface TorchUnsupportedInfo {
  /** Its dotted name. */
  readonly name: string;
  /** What it is (`'complex64 tensor'`, `'quantized tensor'`). */
  readonly what: string;
  /** Why it is not read. */
  readonly reason: string;
  /** Its sizes, when known. */
  readonly shape: readonly number[] | undefined;
}

/**
 * A storage of the file: a flat run of elements that tensors view.
 *
 * @example
 * ```ts
 * for (const s of file.storages.values()) console.log(s.key, s.torchDtype, s.byteLength);
 * ```
 */
export interface TorchStorageInfo {
  /** Its key (`'0'`; `data/<key>` in a zip archive). */
  readonly key: string;
  /** torch's dtype name of its elements (`'uint8'` for an untyped storage, counted in bytes). */
  readonly torchDtype: string;
  /** Elements. */
  readonly elements: number;
  /** Bytes. */
  readonly byteLength: number;
  /** Absolute offset of its first byte in the file. */
  readonly fileOffset: number;
  /** The device it was saved from. */
  readonly location: string;
}

/** The limits a caller may set, in the order they are checked. */
const LIMIT_OPTIONS = ['maxPickleBytes', 'maxDepth', 'maxTensors', 'maxObjects', 'maxMemo', 'maxExpansion'] as const;

function checkOptions(options: unknown): TorchLimits & { name?: string } {
  if (options === undefined || options === null) return { ...DEFAULT_TORCH_LIMITS };
  if (typeof options !== 'object') throw new TypeError(`expected options as an object, got ${describeValue(options)}`);
  const o = options as TorchReadOptions;
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`expected name to be a string, got ${describeValue(o.name)}`);
  const checked: TorchLimits & { name?: string } = { ...DEFAULT_TORCH_LIMITS, name: o.name };
  for (const key of LIMIT_OPTIONS) {
    const v: unknown = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new RangeError(`expected ${key} to be a positive integer, got ${describeValue(v)}`);
    checked[key] = v;
  }
  return checked;
}

/**
 * A torch.save file opened for reading. Its `tensors` are every tensor of the pickled object, named by
 * their dotted path; its `objects` are the whole object as inert values. Create it with
 * {@link openTorch} or {@link openCheckpoint}.
 *
 * @example
 * ```ts
 * import { openTorch } from 'lowp/io';
 * const f = await openTorch('pytorch_model.bin');
 * for (const t of f.tensors) console.log(t.name, t.dtype, t.shape);
 * const w = await f.readFloat('model.embed_tokens.weight', { as: 'float32' });
 * await f.close();
 * ```
 */
export class TorchFile extends TensorReaderBase<TorchTensorInfo> {
  /** `'zip'` (PyTorch >= 1.6) or `'legacy'`. */
  readonly container: 'zip' | 'legacy';
  /** The pickled object as inert values (dicts are Maps; tensors are {@link TorchTensorRef}s). */
  readonly objects: PyValue;
  /** Tensors the file holds that lowp/io does not read, with why. */
  readonly unsupported: readonly TorchUnsupportedInfo[];
  /** The storages, by key. */
  readonly storages: ReadonlyMap<string, TorchStorageInfo>;
  /** Byte order of the storages (big-endian ones are swapped when read). */
  readonly byteOrder: 'little' | 'big';
  private readonly source: ByteSource;
  private readonly owned: boolean;
  private readonly data: ReadonlyMap<string, StorageData>;
  private readonly unsupportedByName: ReadonlyMap<string, TorchUnsupportedInfo>;

  /**
   * Use {@link openTorch} instead.
   *
   * @internal
   * @param source - the file's bytes
   * @param parsed - its checked structure
   * @param owned - whether `close()` closes the source
   * @param limits - the name limits to apply
   * @param name - the file's name in messages (default: the source's)
   */
  constructor(source: ByteSource, parsed: ParsedTorch, owned: boolean, limits: Pick<TorchLimits, 'maxDepth' | 'maxTensors' | 'maxExpansion'>, name: string | undefined = source.name) {
    const tensors: TorchTensorInfo[] = [];
    const unsupported: TorchUnsupportedInfo[] = [];
    for (const { name: tensorName, ref } of tensorPaths(parsed.root, limits, name)) {
      ref.names.push(tensorName);
      if (!(ref instanceof TorchTensorRef)) {
        unsupported.push(Object.freeze({ name: tensorName, what: ref.what, reason: ref.reason, shape: ref.shape }));
        continue;
      }
      const elements = ref.shape.reduce((a, b) => a * b, 1);
      const info: TorchTensorInfo = {
        name: tensorName,
        dtype: ref.dtype,
        shape: ref.shape,
        elements,
        byteLength: elements * elementSize(ref.torchDtype),
        torchDtype: ref.torchDtype,
        storage: ref.storage.key,
        storageOffset: ref.storage.viewOffset + ref.storageOffset,
        strides: ref.strides,
        contiguous: isContiguous(ref.shape, ref.strides),
        parameter: ref.parameter,
        requiresGrad: ref.requiresGrad,
        location: ref.storage.location,
        ...(ref.names.length > 1 ? { sameAs: ref.names[0] } : {}),
      };
      tensors.push(Object.freeze(info));
    }
    const total = tensors.reduce((a, t) => a + t.byteLength, 0);
    if (total > limits.maxExpansion * source.size) {
      throw new TorchError('TOO_LARGE', `expected the tensors to hold at most ${limits.maxExpansion} × the file's ${source.size} bytes (maxExpansion), got views of ${total} bytes (stride-0 or repeated views)`, name);
    }
    super({ format: 'torch', name, metadata: parsed.metadata, tensors, errors: TorchError });
    this.container = parsed.container;
    this.objects = parsed.root;
    this.unsupported = Object.freeze(unsupported);
    this.unsupportedByName = new Map(unsupported.map((u) => [u.name, u]));
    this.byteOrder = parsed.byteOrder;
    this.data = parsed.storages;
    this.storages = new Map(
      [...parsed.storages].map(([k, s]) => [
        k,
        Object.freeze({ key: k, torchDtype: s.ref.torchDtype, elements: s.ref.elements, byteLength: s.byteLength, fileOffset: s.fileOffset, location: s.ref.location }),
      ]),
    );
    this.source = source;
    this.owned = owned;
  }

  /**
   * The entry of a tensor; `NOT_FOUND` when absent, `DTYPE` when the name is one of the
   * {@link TorchFile.unsupported} tensors.
   */
  override info(name: string): TorchTensorInfo {
    const u = typeof name === 'string' && !this.has(name) ? this.unsupportedByName.get(name) : undefined;
    if (u !== undefined) throw new TorchError('DTYPE', `expected a tensor lowp/io reads, got ${quoteName(name)}, a ${u.what} (${u.reason})`, this.name);
    return super.info(name);
  }

  /**
   * The value at `path` in {@link TorchFile.objects} (see {@link valueAt}): a dotted string such as
   * `'param_groups.0.lr'` or an array of exact keys such as `['state', 0, 'step']`; `undefined` when
   * nothing is there.
   *
   * @example
   * ```ts
   * const opt = await openTorch('optimizer.pt');
   * opt.value('param_groups.0.lr');     // 1.1e-5
   * opt.value(['state', 0, 'exp_avg']); // a TorchTensorRef (read it by ref.names[0])
   * ```
   */
  value(path: string | readonly (string | number | bigint)[]): PyValue | undefined {
    return valueAt(this.objects, path);
  }

  protected async readRaw(t: TorchTensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    const s = this.data.get(t.storage)!;
    const E = elementSize(t.torchDtype);
    if (t.contiguous) await readExactInto(this.source, s.fileOffset + t.storageOffset * E + byteStart, target, TorchError);
    else {
      const view = { shape: t.shape, strides: t.strides, offset: t.storageOffset, elementSize: E };
      await gatherStrided(view, byteStart / E, target, (at, buf) => readExactInto(this.source, s.fileOffset + at, buf, TorchError));
    }
    if (this.byteOrder === 'big' && E > 1) swapBytes(target, E);
  }

  protected release(): void {
    if (this.owned) void this.source.close?.();
  }
}

/** Bytes per element of a torch dtype (the tensor's own dtype: an untyped storage is counted in bytes). */
function elementSize(torchDtype: string): number {
  return TORCH_DTYPES.get(torchDtype)!.size;
}

/**
 * Opens a torch.save file (a path in Node, bytes, a Blob or a ByteSource), zip or legacy format,
 * recognised by its content: reads and checks its structure (see {@link TorchError} codes) and returns a
 * reader; the tensors are read when asked for. Close it when done.
 *
 * @example
 * ```ts
 * import { openTorch } from 'lowp/io';
 * const f = await openTorch('checkpoint.ckpt');
 * f.value('global_step');                      // 1200
 * f.names().filter((n) => n.startsWith('state_dict.'));
 * await f.close();
 * ```
 */
export async function openTorch(input: SourceInput, options?: TorchReadOptions): Promise<TorchFile> {
  const o = checkOptions(options);
  const { source, owned } = toByteSource(input, o.name, TorchError);
  return openTorchFrom(source, owned, o);
}

/** {@link openTorch} over a source already opened; `owned`: the reader closes it (now, on failure). */
export async function openTorchFrom(source: ByteSource, owned: boolean, options?: TorchReadOptions): Promise<TorchFile> {
  return closeOnFailure(source, owned, async () => {
    const o = checkOptions(options);
    const file = o.name ?? source.name;
    const head = await readExact(source, 0, Math.min(source.size, 4), TorchError);
    let parsed: ParsedTorch;
    if (head[0] === 0x50 && head[1] === 0x4b) parsed = await parseZipCheckpoint(source, file, o);
    else if (head[0] === 0x80) parsed = await parseLegacyCheckpoint(source, file, o);
    else {
      const shown = [...head].map((x) => x.toString(16).padStart(2, '0')).join(' ');
      throw new TorchError('FORMAT', `expected a PyTorch file (a zip archive 'PK...' or a legacy pickle '80 02...'), got ${head.length === 0 ? 'an empty file' : `bytes ${shown}`}`, file);
    }
    return new TorchFile(source, parsed, owned, o, file);
  });
}
