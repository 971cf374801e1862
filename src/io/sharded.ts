// A checkpoint stored in several files, read as one TensorReader: the tensor list spans all shards and
// each read goes to the shard that holds the tensor. Format-neutral: the shards are any lowp/io readers
// (safetensors shards of a `*.safetensors.index.json`, PyTorch shards of a `pytorch_model.bin.index.json`,
// or the files of a folder), so one class serves every sharded layout.
import { describeValue } from '../core/describe.js';
import type { TensorData } from './dtypes.js';
import { CheckpointError, quoteName, type IoFormat } from './errors.js';
import type { FloatArrayOf, FloatType } from './float-convert.js';
import type { ChunkOptions, RawChunkOptions, ReadFloatOptions, Tensor, TensorChunk, TensorInfo, TensorReader } from './reader.js';

/**
 * A tensor of a sharded checkpoint: its entry in its shard plus the shard file that holds it.
 *
 * @example
 * ```ts
 * const ckpt = await openCheckpoint('model.safetensors.index.json');
 * for (const t of (ckpt as ShardedCheckpoint).tensors) console.log(t.file, t.name);
 * ```
 */
export interface ShardedTensorInfo extends TensorInfo {
  /** The shard file (as named in the index, or the file name in a folder). */
  readonly file: string;
}

/**
 * A checkpoint stored in several files, read as one: the tensor list spans all shards and each read goes
 * to the shard that holds the tensor. Create it with {@link openCheckpoint} (a folder or an index JSON),
 * {@link openShardedSafetensors} or {@link openSafetensorsIndex}.
 *
 * @example
 * ```ts
 * import { openCheckpoint } from 'lowp/io';
 * const ckpt = await openCheckpoint('llama/model.safetensors.index.json');
 * console.log(ckpt.tensors.length);
 * await ckpt.close();
 * ```
 */
export class ShardedCheckpoint implements TensorReader {
  /** The shards' format when they all share one, else 'checkpoint'. */
  readonly format: IoFormat;
  /** Index metadata as strings (merged shard metadata, first wins, for a folder without an index). */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensors, shard by shard (shards in name order), file order within a shard. */
  readonly tensors: readonly ShardedTensorInfo[];
  /** The opened shards, by file name. */
  readonly shards: ReadonlyMap<string, TensorReader>;
  private readonly byName: Map<string, { info: ShardedTensorInfo; shard: TensorReader }>;

  /**
   * Use {@link openCheckpoint} instead.
   *
   * @param shards - opened shards by file name
   * @param tensors - the tensors to expose, each with its shard file
   * @param metadata - string metadata
   */
  constructor(shards: ReadonlyMap<string, TensorReader>, tensors: readonly ShardedTensorInfo[], metadata: Readonly<Record<string, string>>) {
    for (const t of tensors) {
      if (!shards.has(t.file)) throw new TypeError(`expected a shard for file '${t.file}' of tensor '${t.name}', got none`);
    }
    this.shards = shards;
    this.tensors = Object.freeze([...tensors]);
    this.metadata = Object.freeze(metadata);
    this.byName = new Map(tensors.map((t) => [t.name, { info: t, shard: shards.get(t.file)! }]));
    const formats = new Set([...shards.values()].map((s) => s.format ?? 'checkpoint'));
    this.format = formats.size === 1 ? [...formats][0] : 'checkpoint';
  }

  /** Tensor names in reading order. */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** Whether the checkpoint has a tensor of that name. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  private entry(name: string): { info: ShardedTensorInfo; shard: TensorReader } {
    const e = this.byName.get(name);
    if (e === undefined) {
      const shown = typeof name === 'string' ? quoteName(name) : describeValue(name);
      throw new CheckpointError('NOT_FOUND', `expected the name of a tensor in the checkpoint (${this.tensors.length} tensors in ${this.shards.size} files), got ${shown}`);
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

  /** Streams a tensor from its shard in chunks (see {@link TensorReader.chunks}). */
  chunks(name: string, options: RawChunkOptions): AsyncGenerator<TensorChunk<Uint8Array>, void, undefined>;
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunks(name: string, options?: ChunkOptions | RawChunkOptions): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    return this.entry(name).shard.chunks(name, options as ChunkOptions<FloatType>);
  }

  /** Closes every shard. Idempotent. */
  async close(): Promise<void> {
    for (const s of this.shards.values()) await s.close();
  }
}
