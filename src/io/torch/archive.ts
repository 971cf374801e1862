// The layout of a torch.save zip archive (PyTorch >= 1.6): one top folder holding `data.pkl` (the pickled
// object, whose persistent ids name storages), `data/<key>` (each storage's raw bytes, stored
// uncompressed at 64-byte aligned offsets), `byteorder` ('little' or 'big'; absent means little) and
// `version`. This module reads data.pkl through the restricted unpickler, then checks every storage the
// pickle declares against its record (present, stored, exactly elements × element size bytes) and
// notes where its bytes begin, so tensors are later read lazily by offset.
// Reference: torch/serialization.py (`_save`, `_load`), caffe2/serialize/inline_container.cc.
import { TorchError } from '../errors.js';
import type { ByteSource } from '../source.js';
import { DEFAULT_PICKLE_LIMITS, unpickle, type PickleLimits } from './pickle.js';
import { rebuildContext, torchHooks } from './rebuild.js';
import type { PyValue, TorchStorageRef } from './values.js';
import { entryDataOffset, readEntry, readZipDirectory } from './zip.js';

/**
 * Limits of reading a torch.save file (defaults in {@link DEFAULT_TORCH_LIMITS}; set them through
 * {@link TorchReadOptions}).
 *
 * @example
 * ```ts
 * const limits: TorchLimits = { ...DEFAULT_TORCH_LIMITS, maxDepth: 5000 };
 * ```
 */
export interface TorchLimits extends PickleLimits {
  /** Largest pickle (data.pkl, or each pickle of a legacy file) read into memory. */
  maxPickleBytes: number;
  /** Deepest nesting of containers in the pickled object. */
  maxDepth: number;
  /** Most tensor names. */
  maxTensors: number;
  /**
   * Most bytes of tensors (all names together, tied and expanded views included) per byte of file: a
   * stride-0 view of a tiny storage could otherwise describe any amount of data.
   */
  maxExpansion: number;
}

/**
 * Default {@link TorchLimits}.
 *
 * @example
 * ```ts
 * DEFAULT_TORCH_LIMITS.maxPickleBytes; // 268435456 (256 MiB)
 * ```
 */
export const DEFAULT_TORCH_LIMITS: Readonly<TorchLimits> = Object.freeze({
  maxPickleBytes: 256 << 20,
  maxDepth: 1000,
  maxTensors: 1_000_000,
  maxExpansion: 16,
  ...DEFAULT_PICKLE_LIMITS,
});

/** Where a storage's bytes are in the file. */
export interface StorageData {
  /** The storage as the pickle declares it. */
  readonly ref: TorchStorageRef;
  /** Absolute offset of its first byte. */
  readonly fileOffset: number;
  /** Its bytes (elements × element size). */
  readonly byteLength: number;
}

/** A torch.save file once its structure is read and checked (the tensors are not read yet). */
export interface ParsedTorch {
  /** 'zip' (PyTorch >= 1.6) or 'legacy'. */
  readonly container: 'zip' | 'legacy';
  /** The unpickled object. */
  readonly root: PyValue;
  /** Every storage by key, with where its bytes are. */
  readonly storages: ReadonlyMap<string, StorageData>;
  /** Byte order of the storages. */
  readonly byteOrder: 'little' | 'big';
  /** Facts about the file, as strings. */
  readonly metadata: Record<string, string>;
}

const textOf = (b: Uint8Array): string => String.fromCharCode(...b.subarray(0, 64)).trim();

/** Reads and checks a torch.save zip archive (see the module comment). Throws TorchError. */
export async function parseZipCheckpoint(source: ByteSource, file: string | undefined, limits: TorchLimits): Promise<ParsedTorch> {
  const dir = await readZipDirectory(source, file);
  const prefix = `${dir.folder}/`;
  const pkl = dir.entries.get(`${prefix}data.pkl`);
  if (pkl === undefined) {
    const names = [...dir.entries.keys()];
    const torchScript = names.some((n) => n === `${prefix}constants.pkl` || n.startsWith(`${prefix}code/`));
    throw new TorchError(
      'FORMAT',
      torchScript
        ? 'expected a torch.save archive, got a TorchScript archive (torch.jit.save), which holds code: not read'
        : `expected '${prefix}data.pkl' in the zip archive (a torch.save file), got ${names.length} entries without it`,
      file,
    );
  }
  const small = async (name: string): Promise<string | undefined> => {
    const e = dir.entries.get(prefix + name);
    return e === undefined ? undefined : textOf(await readEntry(source, e, dir.dataLimit, 64, file));
  };
  const byteOrder = (await small('byteorder')) ?? 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new TorchError('FORMAT', `expected the byteorder record to say 'little' or 'big', got '${byteOrder.slice(0, 20)}'`, file);
  const version = (await small('version')) ?? (await small('.data/version'));
  if (version !== undefined && !/^\d{1,9}$/.test(version)) throw new TorchError('FORMAT', `expected the version record to be a number, got '${version.slice(0, 20)}'`, file);
  const bytes = await readEntry(source, pkl, dir.dataLimit, limits.maxPickleBytes, file);
  const ctx = rebuildContext('zip', file);
  const { value, protocol } = unpickle(bytes, torchHooks(ctx), ctx.containers, { file, what: `${prefix}data.pkl`, exactEnd: true, limits });
  const storages = new Map<string, StorageData>();
  for (const [key, ref] of ctx.storages) {
    const record = `${prefix}data/${key}`;
    const e = dir.entries.get(record);
    if (e === undefined) throw new TorchError('STORAGE', `expected the record '${record}' of storage '${key}', got none in the archive`, file);
    if (e.method !== 0) {
      throw new TorchError('COMPRESSED', `expected storage record '${record}' stored uncompressed (as torch.save writes it, so tensors are read by offset), got compression method ${e.method}`, file);
    }
    const declared = ref.elements * ref.elementSize;
    if (e.size !== declared) {
      throw new TorchError('STORAGE', `expected storage '${key}' of ${ref.elements} × ${ref.torchDtype} (${declared} bytes) as the pickle declares, got a record of ${e.size} bytes`, file);
    }
    storages.set(key, { ref, fileOffset: await entryDataOffset(source, e, dir.dataLimit, file), byteLength: declared });
  }
  const metadata: Record<string, string> = Object.create(null);
  metadata.format = 'torch zip';
  metadata.archive = dir.folder;
  metadata.byteorder = byteOrder;
  if (version !== undefined) metadata.version = version;
  metadata.pickle_protocol = String(protocol);
  metadata.storages = String(storages.size);
  if (dir.zip64) metadata.zip64 = 'true';
  return { container: 'zip', root: value as PyValue, storages, byteOrder, metadata };
}
