// Sharded checkpoints: a `*.safetensors.index.json` ({"metadata": {...}, "weight_map": {tensor: file}},
// the layout written by Hugging Face transformers/huggingface_hub) or a folder of `*.safetensors` files,
// presented as one TensorReader whose reads go to the right shard. The index is untrusted too: parsed by
// the strict JSON parser, bounded in size, and shard names that leave the folder ('..', absolute paths)
// are rejected.
import { describeValue } from '../../core/describe.js';
import { quoteName, SafetensorsError } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import { parseJsonStrict, type JsonValue } from '../json.js';
import { listFolder, requireNodeFs, requireNodePath, systemMessage } from '../node-fs.js';
import type { TensorReader } from '../reader.js';
import { ShardedCheckpoint, type ShardedTensorInfo } from '../sharded.js';
import { checkReadOptions, type SafetensorsReadOptions } from './header.js';
import { openSafetensors, SafetensorsFile } from './reader.js';
import type { SourceInput } from '../source.js';

/**
 * A parsed `*.safetensors.index.json`.
 *
 * @example
 * ```ts
 * const { metadata, weightMap } = parseSafetensorsIndex(indexJsonText);
 * weightMap.get('model.embed_tokens.weight'); // 'model-00001-of-00004.safetensors'
 * ```
 */
export interface SafetensorsIndex {
  /** The index's `metadata` with every value as a string (non-strings as JSON text). */
  metadata: Record<string, string>;
  /** Tensor name to shard file, in index order. */
  weightMap: Map<string, string>;
}

function toJsonText(v: JsonValue): string {
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return v.raw;
  return JSON.stringify(v);
}

function checkShardName(file: string, indexName: string | undefined): void {
  if (file === '' || file.includes('\0') || /^([/\\]|[A-Za-z]:)/.test(file) || file.split(/[/\\]/).includes('..')) {
    throw new SafetensorsError('INDEX', `expected shard file names relative to the index folder, got ${quoteName(file)}`, indexName);
  }
}

/**
 * Parses and validates the text (or bytes) of a `*.safetensors.index.json`: an object with a
 * `weight_map` of tensor name to shard file name, and optional `metadata` (any JSON; values that are not
 * strings are kept as JSON text). Throws SafetensorsError (`INDEX`, `BAD_JSON`, `DUPLICATE_KEY`, `UNSAFE_KEY`).
 *
 * @example
 * ```ts
 * import { parseSafetensorsIndex } from 'lowp/io';
 * const idx = parseSafetensorsIndex('{"metadata":{"total_size":8},"weight_map":{"a":"m-1.safetensors"}}');
 * idx.weightMap.get('a'); // 'm-1.safetensors'
 * idx.metadata.total_size; // '8'
 * ```
 */
export function parseSafetensorsIndex(text: string | Uint8Array, options?: SafetensorsReadOptions): SafetensorsIndex {
  const o = checkReadOptions(options);
  let s: string;
  if (typeof text === 'string') s = text;
  else if (text instanceof Uint8Array) {
    try {
      s = strictUtf8.decode(text);
    } catch {
      throw new SafetensorsError('INDEX', 'expected a UTF-8 JSON index, got bytes that are not valid UTF-8', o.name);
    }
  } else throw new TypeError(`expected the index as a string or Uint8Array, got ${describeValue(text)}`);
  const root = parseJsonStrict(s, { allowUnsafeKeys: o.allowUnsafeKeys, file: o.name });
  if (!(root instanceof Map)) throw new SafetensorsError('INDEX', `expected the index to be a JSON object, got ${describeValue(root)}`, o.name);
  const wm = root.get('weight_map');
  if (!(wm instanceof Map)) {
    throw new SafetensorsError('INDEX', `expected the index to have a weight_map object, got ${wm === undefined ? 'none' : 'another JSON value'}`, o.name);
  }
  const weightMap = new Map<string, string>();
  for (const [name, file] of wm) {
    if (typeof file !== 'string') throw new SafetensorsError('INDEX', `expected weight_map values to be shard file names, got a non-string for tensor ${quoteName(name)}`, o.name);
    checkShardName(file, o.name);
    weightMap.set(name, file);
  }
  const metadata: Record<string, string> = Object.create(null);
  const meta = root.get('metadata');
  if (meta instanceof Map) for (const [k, v] of meta) metadata[k] = typeof v === 'string' ? v : toJsonText(v);
  else if (meta !== undefined && meta !== null) throw new SafetensorsError('INDEX', 'expected the index metadata to be an object, got another JSON value', o.name);
  return { metadata, weightMap };
}

/**
 * The sharded reader of safetensors checkpoints: {@link ShardedCheckpoint} (kept under this name for
 * code written against lowp 0.1; its shards may now be of any format).
 *
 * @example
 * ```ts
 * const ckpt: ShardedSafetensors = await openSafetensorsIndex('model.safetensors.index.json');
 * ```
 */
export const ShardedSafetensors = ShardedCheckpoint;
/** The type of {@link ShardedSafetensors}: a {@link ShardedCheckpoint}. */
export type ShardedSafetensors = ShardedCheckpoint;

/**
 * Opens a sharded checkpoint from its index (a parsed {@link SafetensorsIndex}, or the index JSON as
 * text/bytes) and a function that opens a shard by file name (returning a path, bytes, Blob or
 * ByteSource). Every shard's header is read and validated; every tensor in the weight map must be in its
 * shard (tensors of a shard absent from the weight map are ignored). Works in browsers.
 *
 * @example
 * ```ts
 * import { openShardedSafetensors } from 'lowp/io';
 * const ckpt = await openShardedSafetensors(indexText, (file) => blobsByName.get(file)!);
 * ```
 */
export async function openShardedSafetensors(
  index: SafetensorsIndex | string | Uint8Array,
  openShard: (file: string) => SourceInput | Promise<SourceInput>,
  options?: SafetensorsReadOptions,
): Promise<ShardedSafetensors> {
  return openSharded(index, openShard, options, undefined, openSafetensors);
}

/** How a sharded opener opens one shard: a reader of the source, named `name` in messages. */
export type ShardOpener = (source: SourceInput, options: SafetensorsReadOptions & { name: string }) => Promise<TensorReader>;

/**
 * {@link openShardedSafetensors} with a way to name each shard in messages and to open shards of any
 * format (`openReader`; the index's own errors stay SafetensorsError `INDEX`).
 */
export async function openSharded(
  index: SafetensorsIndex | string | Uint8Array,
  openShard: (file: string) => SourceInput | Promise<SourceInput>,
  options: SafetensorsReadOptions | undefined,
  labelOf: ((file: string) => string) | undefined,
  openReader: ShardOpener,
): Promise<ShardedSafetensors> {
  const o = checkReadOptions(options);
  const idx = typeof index === 'string' || index instanceof Uint8Array ? parseSafetensorsIndex(index, options) : index;
  if (typeof idx !== 'object' || idx === null || !(idx.weightMap instanceof Map)) {
    throw new TypeError(`expected an index ({metadata, weightMap}) or its JSON text, got ${describeValue(index)}`);
  }
  if (typeof openShard !== 'function') throw new TypeError(`expected openShard to be a function, got ${describeValue(openShard)}`);
  const files = [...new Set(idx.weightMap.values())].sort();
  if (files.length === 0) throw new SafetensorsError('INDEX', 'expected a weight_map with at least one tensor, got an empty one', o.name);
  const shards = new Map<string, TensorReader>();
  try {
    for (const file of files) {
      const src = await openShard(file);
      shards.set(file, await openReader(src, { ...options, name: labelOf?.(file) ?? (typeof src === 'string' ? src : file) }));
    }
    const tensors: ShardedTensorInfo[] = [];
    for (const file of files) {
      const shard = shards.get(file)!;
      for (const t of shard.tensors) if (idx.weightMap.get(t.name) === file) tensors.push(Object.freeze({ ...t, file }));
    }
    for (const [name, file] of idx.weightMap) {
      if (!shards.get(file)!.has(name)) {
        throw new SafetensorsError('INDEX', `expected tensor ${quoteName(name)} in shard '${file}' as the weight_map says, got a shard without it`, o.name);
      }
    }
    return new ShardedSafetensors(shards, tensors, idx.metadata);
  } catch (e) {
    for (const s of shards.values()) await s.close();
    throw e;
  }
}

/** Reads and parses an index JSON file (Node), bounded by `maxHeaderBytes`. */
export function readIndexFile(path: string, options: SafetensorsReadOptions | undefined): SafetensorsIndex {
  const o = checkReadOptions(options);
  const label = o.name ?? path;
  const fs = requireNodeFs((m) => new SafetensorsError('NO_FS', m, label));
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (e) {
    throw new SafetensorsError('IO', `cannot open: ${systemMessage(e)}`, label);
  }
  if (size > o.maxHeaderBytes) {
    throw new SafetensorsError('INDEX', `expected an index of at most ${o.maxHeaderBytes} bytes, got ${size}`, label);
  }
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new SafetensorsError('IO', `cannot read: ${systemMessage(e)}`, label);
  }
  return parseSafetensorsIndex(bytes, { ...options, name: label });
}

/**
 * Opens a sharded checkpoint from the path of its `*.safetensors.index.json` (Node); shard files are
 * looked up in the index's folder.
 *
 * @example
 * ```ts
 * import { openSafetensorsIndex } from 'lowp/io';
 * const ckpt = await openSafetensorsIndex('model.safetensors.index.json');
 * for (const t of ckpt.tensors) console.log(t.file, t.name, t.dtype, t.shape);
 * await ckpt.close();
 * ```
 */
export async function openSafetensorsIndex(path: string, options?: SafetensorsReadOptions): Promise<ShardedSafetensors> {
  return openIndexFile(path, options, openSafetensors);
}

/** {@link openSafetensorsIndex} opening each shard with `openReader` (shards of any format). */
export async function openIndexFile(path: string, options: SafetensorsReadOptions | undefined, openReader: ShardOpener): Promise<ShardedSafetensors> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a path, got ${describeValue(path)}`);
  const p = requireNodePath((m) => new SafetensorsError('NO_FS', m, path));
  const idx = readIndexFile(path, options);
  const dir = p.dirname(path);
  // shards are named in messages relative to the name the caller gave the index, if any
  const label = options?.name ?? path;
  const labelDir = p.dirname(label);
  return openSharded(idx, (file) => p.join(dir, file), { ...options, name: label }, (file) => p.join(labelDir, file), openReader);
}

/**
 * Opens a folder (Node): its `*.safetensors.index.json` when there is exactly one, else all its
 * `*.safetensors` files as one checkpoint (a tensor name in two files is an `INDEX` error; metadata
 * merged, first file wins). A folder with one file opens that file.
 *
 * @example
 * ```ts
 * import { openSafetensorsDir } from 'lowp/io';
 * const ckpt = await openSafetensorsDir('./checkpoint');
 * ```
 */
export async function openSafetensorsDir(dir: string, options?: SafetensorsReadOptions): Promise<TensorReader> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`expected a folder path, got ${describeValue(dir)}`);
  const { names, isFile, path: p } = listFolder(dir, SafetensorsError, options?.name ?? dir);
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json') && isFile(n));
  if (indexes.length > 1) {
    throw new SafetensorsError('INDEX', `expected at most one *.safetensors.index.json in the folder, got ${indexes.length}: ${indexes.join(', ')} (open one of them)`, options?.name ?? dir);
  }
  const label = (file: string): string => p.join(options?.name ?? dir, file);
  if (indexes.length === 1) return openSafetensorsIndex(p.join(dir, indexes[0]), { ...options, name: label(indexes[0]) });
  const files = names.filter((n) => n.endsWith('.safetensors') && isFile(n));
  if (files.length === 0) throw new SafetensorsError('INDEX', 'expected *.safetensors files or a *.safetensors.index.json in the folder, got none', options?.name ?? dir);
  if (files.length === 1) return openSafetensors(p.join(dir, files[0]), { ...options, name: label(files[0]) });
  const shards = new Map<string, SafetensorsFile>();
  try {
    const tensors: ShardedTensorInfo[] = [];
    const owner = new Map<string, string>();
    const metadata: Record<string, string> = Object.create(null);
    for (const file of files) {
      const shard = await openSafetensors(p.join(dir, file), { ...options, name: label(file) });
      shards.set(file, shard);
      for (const [k, v] of Object.entries(shard.metadata)) if (!(k in metadata)) metadata[k] = v;
      for (const t of shard.tensors) {
        const prev = owner.get(t.name);
        if (prev !== undefined) {
          throw new SafetensorsError('INDEX', `expected each tensor in one file of the folder, got ${quoteName(t.name)} in both ${prev} and ${file}`, options?.name ?? dir);
        }
        owner.set(t.name, file);
        tensors.push(Object.freeze({ ...t, file }));
      }
    }
    return new ShardedSafetensors(shards, tensors, metadata);
  } catch (e) {
    for (const s of shards.values()) s.closeSync();
    throw e;
  }
}
