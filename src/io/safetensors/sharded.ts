// Sharded checkpoints: a `*.safetensors.index.json` ({"metadata": {...}, "weight_map": {tensor: file}},
// the layout written by Hugging Face transformers/huggingface_hub) or a folder of `*.safetensors` files,
// presented as one TensorReader whose reads go to the right shard. The index is untrusted too: parsed by
// the strict JSON parser, bounded in size, and shard names that leave the folder ('..', absolute paths)
// are rejected.
import { describeValue } from '../../core/describe.js';
import type { TensorData } from '../dtypes.js';
import { SafetensorsError } from '../errors.js';
import type { FloatArrayOf, FloatType } from '../float-convert.js';
import { parseJsonStrict, type JsonValue } from '../json.js';
import { requireNodeFs, requireNodePath, systemMessage } from '../node-fs.js';
import { checkReadOptions, type SafetensorsReadOptions, type TensorInfo } from './header.js';
import {
  openSafetensors,
  SafetensorsFile,
  type ChunkOptions,
  type ReadFloatOptions,
  type Tensor,
  type TensorChunk,
  type TensorReader,
} from './reader.js';
import type { SourceInput } from '../source.js';

/**
 * A tensor of a sharded checkpoint: its header entry plus the shard file that holds it.
 *
 * @example
 * ```ts
 * const ckpt = await openSafetensorsIndex('model.safetensors.index.json');
 * for (const t of ckpt.tensors) console.log(t.file, t.name);
 * ```
 */
export interface ShardedTensorInfo extends TensorInfo {
  /** The shard file (as named in the index, or the file name in a folder). */
  readonly file: string;
}

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
    throw new SafetensorsError('INDEX', `expected shard file names relative to the index folder, got '${file.slice(0, 80)}'`, indexName);
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
      s = new TextDecoder('utf-8', { fatal: true }).decode(text);
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
    if (typeof file !== 'string') throw new SafetensorsError('INDEX', `expected weight_map values to be shard file names, got a non-string for tensor '${name.slice(0, 80)}'`, o.name);
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
 * A checkpoint stored in several safetensors files, read as one: the tensor list spans all shards and
 * each read goes to the shard that holds the tensor. Create it with {@link openShardedSafetensors},
 * {@link openSafetensorsIndex} or {@link openCheckpoint}.
 *
 * @example
 * ```ts
 * import { openCheckpoint } from 'lowp/io';
 * const ckpt = await openCheckpoint('llama/model.safetensors.index.json');
 * console.log(ckpt.tensors.length);
 * await ckpt.close();
 * ```
 */
export class ShardedSafetensors implements TensorReader {
  /** Index metadata as strings (merged shard metadata, first wins, for a folder without an index). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, shard by shard (shards in name order), file order within a shard. */
  readonly tensors: readonly ShardedTensorInfo[];
  /** The opened shards, by file name. */
  readonly shards: ReadonlyMap<string, SafetensorsFile>;
  private readonly byName: Map<string, { info: ShardedTensorInfo; shard: SafetensorsFile }>;

  /**
   * Use {@link openShardedSafetensors} instead.
   *
   * @param shards - opened shards by file name
   * @param tensors - the tensors to expose, each with its shard file
   * @param metadata - string metadata
   */
  constructor(shards: ReadonlyMap<string, SafetensorsFile>, tensors: readonly ShardedTensorInfo[], metadata: Readonly<Record<string, string>>) {
    for (const t of tensors) {
      if (!shards.has(t.file)) throw new TypeError(`expected a shard for file '${t.file}' of tensor '${t.name}', got none`);
    }
    this.shards = shards;
    this.tensors = Object.freeze([...tensors]);
    this.metadata = Object.freeze(metadata);
    this.byName = new Map(tensors.map((t) => [t.name, { info: t, shard: shards.get(t.file)! }]));
  }

  /** Tensor names in reading order. */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** Whether the checkpoint has a tensor of that name. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  private entry(name: string): { info: ShardedTensorInfo; shard: SafetensorsFile } {
    const e = this.byName.get(name);
    if (e === undefined) {
      const shown = typeof name === 'string' ? `'${name.slice(0, 80)}'` : describeValue(name);
      throw new SafetensorsError('NOT_FOUND', `expected the name of a tensor in the checkpoint (${this.tensors.length} tensors in ${this.shards.size} files), got ${shown}`);
    }
    return e;
  }

  /** The entry of a tensor, with its shard file. */
  info(name: string): ShardedTensorInfo {
    return this.entry(name).info;
  }

  /** Reads a whole tensor from its shard. */
  async tensor(name: string): Promise<Tensor> {
    return this.entry(name).shard.tensor(name);
  }

  /** Reads a whole tensor as float values. */
  async readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>> {
    return this.entry(name).shard.readFloat(name, options);
  }

  /** Streams a tensor from its shard in chunks (see {@link SafetensorsFile.chunks}). */
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunks(name: string, options?: ChunkOptions): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    return this.entry(name).shard.chunks(name, options as ChunkOptions<FloatType>);
  }

  /** Closes every shard. Idempotent. */
  async close(): Promise<void> {
    for (const s of this.shards.values()) s.closeSync();
  }
}

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
  return openSharded(index, openShard, options, undefined);
}

/** {@link openShardedSafetensors} with a way to name each shard in messages. */
async function openSharded(
  index: SafetensorsIndex | string | Uint8Array,
  openShard: (file: string) => SourceInput | Promise<SourceInput>,
  options: SafetensorsReadOptions | undefined,
  labelOf: ((file: string) => string) | undefined,
): Promise<ShardedSafetensors> {
  const o = checkReadOptions(options);
  const idx = typeof index === 'string' || index instanceof Uint8Array ? parseSafetensorsIndex(index, options) : index;
  if (typeof idx !== 'object' || idx === null || !(idx.weightMap instanceof Map)) {
    throw new TypeError(`expected an index ({metadata, weightMap}) or its JSON text, got ${describeValue(index)}`);
  }
  if (typeof openShard !== 'function') throw new TypeError(`expected openShard to be a function, got ${describeValue(openShard)}`);
  const files = [...new Set(idx.weightMap.values())].sort();
  if (files.length === 0) throw new SafetensorsError('INDEX', 'expected a weight_map with at least one tensor, got an empty one', o.name);
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const file of files) {
      const src = await openShard(file);
      shards.set(file, await openSafetensors(src, { ...options, name: labelOf?.(file) ?? (typeof src === 'string' ? src : file) }));
    }
    const tensors: ShardedTensorInfo[] = [];
    for (const file of files) {
      const shard = shards.get(file)!;
      for (const t of shard.tensors) if (idx.weightMap.get(t.name) === file) tensors.push(Object.freeze({ ...t, file }));
    }
    for (const [name, file] of idx.weightMap) {
      if (!shards.get(file)!.has(name)) {
        throw new SafetensorsError('INDEX', `expected tensor '${name.slice(0, 80)}' in shard '${file}' as the weight_map says, got a shard without it`, o.name);
      }
    }
    return new ShardedSafetensors(shards, tensors, idx.metadata);
  } catch (e) {
    for (const s of shards.values()) s.closeSync();
    throw e;
  }
}

function readIndexFile(path: string, options: SafetensorsReadOptions | undefined): SafetensorsIndex {
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
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a path, got ${describeValue(path)}`);
  const p = requireNodePath((m) => new SafetensorsError('NO_FS', m, path));
  const idx = readIndexFile(path, options);
  const dir = p.dirname(path);
  // shards are named in messages relative to the name the caller gave the index, if any
  const label = options?.name ?? path;
  const labelDir = p.dirname(label);
  return openSharded(idx, (file) => p.join(dir, file), { ...options, name: label }, (file) => p.join(labelDir, file));
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
  const fs = requireNodeFs((m) => new SafetensorsError('NO_FS', m, dir));
  const p = requireNodePath((m) => new SafetensorsError('NO_FS', m, dir));
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    throw new SafetensorsError('IO', `cannot list: ${systemMessage(e)}`, options?.name ?? dir);
  }
  const isFile = (n: string): boolean => {
    try {
      return fs.statSync(p.join(dir, n)).isFile();
    } catch {
      return false;
    }
  };
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
          throw new SafetensorsError('INDEX', `expected each tensor in one file of the folder, got '${t.name.slice(0, 80)}' in both ${prev} and ${file}`, options?.name ?? dir);
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

/**
 * Opens whatever holds a checkpoint: a path to a `.safetensors` file, a `*.safetensors.index.json`, or a
 * folder (Node), or a single file as bytes, a Blob or a ByteSource (browsers). The result lists every
 * tensor (`tensors`: name, dtype, shape...) and reads or streams each one.
 *
 * @example
 * ```ts
 * import { openCheckpoint } from 'lowp/io';
 * const ckpt = await openCheckpoint(process.argv[2]); // file, folder or index.json
 * for (const t of ckpt.tensors) {
 *   for await (const chunk of ckpt.chunks(t.name, { as: 'float64' })) {
 *     // chunk.data: Float64Array of up to 2^20 values, chunk.start: index of its first element
 *   }
 * }
 * await ckpt.close();
 * ```
 */
export async function openCheckpoint(input: SourceInput, options?: SafetensorsReadOptions): Promise<TensorReader> {
  if (typeof input !== 'string') return openSafetensors(input, options);
  const fs = requireNodeFs((m) => new SafetensorsError('NO_FS', m, input));
  let isDir = false;
  try {
    isDir = fs.statSync(input).isDirectory();
  } catch (e) {
    throw new SafetensorsError('IO', `cannot open: ${systemMessage(e)}`, input);
  }
  if (isDir) return openSafetensorsDir(input, options);
  if (input.endsWith('.json')) return openSafetensorsIndex(input, options);
  return openSafetensors(input, options);
}
