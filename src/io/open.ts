// openCheckpoint: the one place that decides how to read what a user points at. Files are recognised by
// their content, never by their extension (a `.bin` may be a PyTorch pickle or a safetensors file renamed
// by a user); folders by the files they hold (an index JSON, safetensors shards, PyTorch shards, a single
// model file). Every format's reader then validates its file fully; this module only sniffs the first
// bytes and dispatches.
import { describeValue } from '../core/describe.js';
import { CheckpointError, type LowpIoError } from './errors.js';
import { openGgufFrom } from './gguf/reader.js';
import { listFolder, requireNodeFs, systemMessage } from './node-fs.js';
import { openNpyFrom } from './npy/reader.js';
import { openTorchFrom } from './torch/reader.js';
import type { ExternalDataOption } from './onnx/external.js';
import { openOnnxFrom } from './onnx/reader.js';
import type { TensorReader } from './reader.js';
import type { SafetensorsReadOptions } from './safetensors/header.js';
import { openSafetensorsFrom } from './safetensors/reader.js';
import { openIndexFile, openSafetensorsDir, type ShardOpener } from './safetensors/sharded.js';
import { closeOnFailure, readExact, toByteSource, type ByteSource, type SourceInput } from './source.js';

/**
 * What the first bytes of a file say it is.
 *
 * - `safetensors`: an 8-byte little-endian header length that fits the file, then `{`.
 * - `torch-zip`: a zip archive (`PK\x03\x04`), as `torch.save` writes since PyTorch 1.6.
 * - `pickle`: a pickle stream (`\x80` and a protocol 2-5): a legacy `torch.save` file or a plain pickle.
 * - `gguf`: the magic `GGUF` (or `FUGG`, which big-endian writers use: its reader refuses it by name).
 * - `npy`: the magic `\x93NUMPY`.
 * - `json`: text starting with `{` (a sharded checkpoint's index).
 * - `onnx`: a protobuf message whose first field is one of ONNX `ModelProto`'s.
 * - `unknown`: none of these.
 *
 * @example
 * ```ts
 * const f: DetectedFormat = detectFormat(firstBytes, fileSize);
 * ```
 */
export type DetectedFormat = 'safetensors' | 'torch-zip' | 'pickle' | 'gguf' | 'npy' | 'json' | 'onnx' | 'unknown';

/** Bytes {@link detectFormat} looks at (it accepts fewer when the file is shorter). */
export const DETECT_BYTES = 16;

/** ModelProto's field tags with their wire types, as the first byte of a serialised model. */
const ONNX_FIRST_TAGS = new Set([
  0x08, // 1 ir_version (varint)
  0x12, // 2 producer_name
  0x1a, // 3 producer_version
  0x22, // 4 domain
  0x28, // 5 model_version (varint)
  0x32, // 6 doc_string
  0x3a, // 7 graph
  0x42, // 8 opset_import
  0x72, // 14 metadata_props
  0x7a, // 15 training_info
]);

/**
 * Recognises a checkpoint file's format from its first bytes (up to {@link DETECT_BYTES}) and its size.
 * Content only, never the file name. The reader of the format then validates the whole file.
 *
 * @example
 * ```ts
 * import { detectFormat } from 'lowp/io';
 * detectFormat(new TextEncoder().encode('GGUF\x03\x00\x00\x00'), 1024); // 'gguf'
 * ```
 */
export function detectFormat(prefix: Uint8Array, fileSize: number): DetectedFormat {
  if (!(prefix instanceof Uint8Array)) throw new TypeError(`expected the file's first bytes as a Uint8Array, got ${describeValue(prefix)}`);
  const b = prefix;
  const has = (...bytes: number[]): boolean => bytes.every((x, i) => b[i] === x);
  if (b.length >= 9 && fileSize >= 10) {
    const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    // '{' opens the JSON header; spaces there are invalid but still say "safetensors" (its reader explains)
    if (n >= 2n && n <= BigInt(fileSize - 8) && (b[8] === 0x7b || b[8] === 0x20)) return 'safetensors';
  }
  if (has(0x50, 0x4b, 0x03, 0x04) || has(0x50, 0x4b, 0x05, 0x06)) return 'torch-zip';
  if (has(0x47, 0x47, 0x55, 0x46) || has(0x46, 0x55, 0x47, 0x47)) return 'gguf';
  if (has(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'npy';
  if (b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) return 'pickle';
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (i < b.length && b[i] === 0x7b) return 'json';
  if (b.length >= 2 && ONNX_FIRST_TAGS.has(b[0]) && plausibleField(b, fileSize)) return 'onnx';
  return 'unknown';
}

/** Whether the first protobuf field (tag already checked) reads as a whole varint or a length that fits. */
function plausibleField(b: Uint8Array, fileSize: number): boolean {
  let value = 0;
  let scale = 1;
  for (let i = 1; i < Math.min(b.length, 11); i++) {
    value += (b[i] & 0x7f) * scale;
    scale *= 128;
    if ((b[i] & 0x80) === 0) return (b[0] & 7) === 0 || value <= fileSize - i - 1;
  }
  return false;
}

/**
 * Options of {@link openCheckpoint}: the safetensors reader's options (they apply to index files too)
 * and the name used in messages.
 *
 * @example
 * ```ts
 * await openCheckpoint('model.bin', { name: 'model.bin' });
 * ```
 */
export type CheckpointOptions = SafetensorsReadOptions & {
  /** ONNX models: where external data files are (default for a path: the model's folder); see {@link ExternalDataOption}. */
  externalData?: ExternalDataOption;
};

function describeFirst(prefix: Uint8Array): string {
  const shown = [...prefix.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  return prefix.length === 0 ? 'an empty file' : `bytes ${shown}`;
}

/** A file's first bytes and what they say it is. */
interface Sniffed {
  kind: DetectedFormat;
  prefix: Uint8Array;
}

/** Reads a source's first bytes (failures as CheckpointError) and recognises them; closes an owned source when they cannot be read. */
async function sniff(source: ByteSource, owned: boolean): Promise<Sniffed> {
  return closeOnFailure(source, owned, async () => {
    const prefix = await readExact(source, 0, Math.min(source.size, DETECT_BYTES), CheckpointError);
    return { kind: detectFormat(prefix, source.size), prefix };
  });
}

/** Opens one file's reader by its content (`sniffed`: its first bytes, when already read). `source` is owned by the reader on success. */
async function openSource(source: ByteSource, owned: boolean, options: CheckpointOptions | undefined, sniffed?: Sniffed): Promise<TensorReader> {
  const name = options?.name ?? source.name;
  const { kind: detected, prefix } = sniffed ?? (await sniff(source, owned));
  const o = { ...options, name };
  // content decides; only when it says nothing, a file name's extension picks the reader whose own
  // validation then explains what is wrong (an empty or cut '.safetensors' file is TRUNCATED, not unknown)
  const kind = detected === 'unknown' ? (formatOfName(name) ?? detected) : detected;
  switch (kind) {
    case 'safetensors':
      return openSafetensorsFrom(source, owned, o);
    case 'npy':
      return openNpyFrom(source, owned, { name });
    case 'gguf':
      return openGgufFrom(source, owned, { name, maxHeaderBytes: options?.maxHeaderBytes });
    case 'torch-zip':
    case 'pickle':
      return openTorchFrom(source, owned, { name });
    case 'onnx':
      return openOnnxFrom(source, owned, { name, externalData: options?.externalData });
    default: {
      if (owned) await source.close?.();
      // every other format has its reader above (checked by the compiler)
      const what = (kind satisfies 'json' | 'unknown') === 'json' ? 'an index JSON, which lists shard files: open it by its path (Node) or use openShardedSafetensors' : describeFirst(prefix);
      throw new CheckpointError('UNKNOWN_FORMAT', `expected a safetensors, PyTorch, GGUF, ONNX or .npy file, got ${what}`, name);
    }
  }
}

/** The format a file name's extension suggests, for a file whose content is not recognised. */
function formatOfName(name: string | undefined): DetectedFormat | undefined {
  if (name === undefined) return undefined;
  if (/\.safetensors$/i.test(name)) return 'safetensors';
  if (/\.npy$/i.test(name)) return 'npy';
  if (/\.gguf$/i.test(name)) return 'gguf';
  if (/\.(pt|pth|bin|ckpt)$/i.test(name)) return 'pickle';
  if (/\.onnx$/i.test(name)) return 'onnx';
  return undefined;
}

/** The ShardOpener of index files whose shards may be of any format (sniffed per shard). */
const anyShard: ShardOpener = async (input, options) => {
  const { source, owned } = toByteSource(input, options.name, CheckpointError);
  return openSource(source, owned, options);
};

/** Index files whose shards lowp/io recognises by name in a folder, by priority. */
function pickFolderEntry(names: readonly string[], isFile: (n: string) => boolean): { kind: 'index' | 'safetensors' | 'file'; files: string[] } | { kind: 'none'; files: string[] } {
  const files = names.filter(isFile);
  const stIndex = files.filter((n) => n.endsWith('.safetensors.index.json'));
  if (stIndex.length > 0 || files.some((n) => n.endsWith('.safetensors'))) return { kind: 'safetensors', files };
  const binIndex = files.filter((n) => /\.(bin|pt|pth)\.index\.json$/.test(n));
  if (binIndex.length > 0) return { kind: 'index', files: binIndex };
  const weights = files.filter((n) => /^pytorch_model(-\d+-of-\d+)?\.bin$/.test(n));
  if (weights.length > 0) return { kind: 'file', files: weights };
  const single = files.filter((n) => /\.(gguf|onnx|ckpt)$/i.test(n));
  if (single.length > 0) return { kind: 'file', files: single };
  return { kind: 'none', files };
}

async function openFolder(dir: string, options: CheckpointOptions | undefined): Promise<TensorReader> {
  const { names, isFile, path: p } = listFolder(dir, CheckpointError, options?.name ?? dir);
  const label = (file: string): string => p.join(options?.name ?? dir, file);
  const pick = pickFolderEntry(names, isFile);
  if (pick.kind === 'safetensors') return openSafetensorsDir(dir, options);
  if (pick.kind === 'none' || pick.files.length > 1) {
    const what = pick.kind === 'none' ? `none (files: ${pick.files.slice(0, 8).join(', ') || 'none'}${pick.files.length > 8 ? ', ...' : ''})` : `${pick.files.length}: ${pick.files.join(', ')} (open one of them)`;
    throw new CheckpointError('INDEX', `expected model weights in the folder (*.safetensors, a *.index.json, pytorch_model.bin, a .gguf or .onnx file), got ${what}`, options?.name ?? dir);
  }
  const file = pick.files[0];
  if (pick.kind === 'index') return openIndexFile(p.join(dir, file), { ...options, name: label(file) }, anyShard);
  return openCheckpoint(p.join(dir, file), { ...options, name: label(file) });
}

/**
 * Opens whatever holds a checkpoint, recognised by its content: a safetensors file, a GGUF file, a `.npy` file, a
 * sharded checkpoint's index JSON (`*.safetensors.index.json`, `pytorch_model.bin.index.json`), or a
 * folder (Node: its index, its `*.safetensors` files, or its single model file); or a single file as
 * bytes, a Blob or a ByteSource (browsers). The result lists every tensor (`tensors`: name, dtype,
 * shape...) and reads or streams each one. A file of another kind is a {@link CheckpointError}
 * `UNKNOWN_FORMAT`; errors inside a recognised file are the format's own class (all are
 * {@link LowpIoError}s).
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
export async function openCheckpoint(input: SourceInput, options?: CheckpointOptions): Promise<TensorReader> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`expected options as an object, got ${describeValue(options)}`);
  if (typeof input !== 'string') {
    const { source, owned } = toByteSource(input, options?.name, CheckpointError);
    return openSource(source, owned, options);
  }
  const label = options?.name ?? input;
  const fs = requireNodeFs((m) => new CheckpointError('NO_FS', m, label));
  let isDir = false;
  try {
    isDir = fs.statSync(input).isDirectory();
  } catch (e) {
    throw new CheckpointError('IO', `cannot open: ${systemMessage(e)}`, label);
  }
  if (isDir) return openFolder(input, options);
  const { source, owned } = toByteSource(input, label, CheckpointError);
  const sniffed = await sniff(source, owned);
  if (sniffed.kind === 'json') {
    await source.close?.();
    return openIndexFile(input, { ...options, name: label }, anyShard);
  }
  return openSource(source, owned, { ...options, name: label }, sniffed);
}
