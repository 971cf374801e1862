// Error classes of lowp/io. Every failure to read an untrusted file (safetensors, .npy, a PyTorch
// pickle, GGUF, ONNX) is a LowpIoError: one subclass per format, each with a stable `code` and a one-line
// message that says what was expected and what came, so that a command-line tool can print
// `error: <message>` and exit, without a stack trace. Failures that are not about one format (a path that
// cannot be opened, a short read, a reader used after close) carry the same codes in every class and are
// thrown as the class of the reader that met them.

/**
 * Codes that every lowp/io error class uses for failures that are not specific to one format.
 *
 * - `TRUNCATED`: fewer bytes than the format needs (the file ends early, or a read came back short).
 * - `TOO_LARGE`: a size declared in the file exceeds what the file can back or a documented limit
 *   (checked before anything is allocated from it).
 * - `NOT_FOUND`: the requested tensor is not in the file.
 * - `IO`: the underlying file could not be opened or read (the system message is included).
 * - `NO_FS`: a path was given where `node:fs` is not available (a browser): pass bytes or a Blob.
 * - `CLOSED`: the file was read after `close()`.
 *
 * @example
 * ```ts
 * const code: CommonIoErrorCode = 'TRUNCATED';
 * ```
 */
export type CommonIoErrorCode = 'TRUNCATED' | 'TOO_LARGE' | 'NOT_FOUND' | 'IO' | 'NO_FS' | 'CLOSED';

/** Replaces line breaks so that a message stays on one line, and caps its length. */
export function oneLine(message: string, max = 500): string {
  const flat = message.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 3) + '...' : flat;
}

/** A name (of a tensor, a key, a file) quoted for a message, cut to 80 characters with '...' when longer. */
export function quoteName(name: string): string {
  return `'${name.length > 80 ? name.slice(0, 77) + '...' : name}'`;
}

/**
 * The file formats lowp/io reads, as named in {@link LowpIoError.format}.
 *
 * @example
 * ```ts
 * const f: IoFormat = 'gguf';
 * ```
 */
export type IoFormat = 'safetensors' | 'npy' | 'torch' | 'gguf' | 'onnx' | 'checkpoint';

/**
 * The base class of every lowp/io error: catch this one to handle any unreadable file, whatever its
 * format. `code` is stable (each subclass documents its codes), `message` is one line that names the file
 * when known, `format` says which reader threw it.
 *
 * @example
 * ```ts
 * import { openCheckpoint, LowpIoError } from 'lowp/io';
 * try {
 *   await openCheckpoint('model.bin');
 * } catch (e) {
 *   if (e instanceof LowpIoError) console.error(`${e.format} ${e.code}: ${e.message}`);
 *   else throw e;
 * }
 * ```
 */
export class LowpIoError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** The file (path or description) the error is about, when known. */
  readonly file: string | undefined;
  /** The reader that threw it. */
  readonly format: IoFormat;

  /**
   * @param format - the reader that throws it
   * @param code - stable code
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(format: IoFormat, code: string, message: string, file?: string) {
    super(oneLine(file ? `${file}: ${message}` : message));
    this.name = 'LowpIoError';
    this.code = code;
    this.file = file;
    this.format = format;
  }
}

/**
 * A constructor of one of the lowp/io error classes taking (code, message, file): what the shared byte
 * sources and readers use to throw the class of the format being read.
 *
 * @example
 * ```ts
 * const make: IoErrorClass = GgufError;
 * throw new make('TRUNCATED', 'expected 8 bytes, got 3', 'model.gguf');
 * ```
 */
export type IoErrorClass = new (code: CommonIoErrorCode, message: string, file?: string) => LowpIoError;

/**
 * Stable codes of {@link SafetensorsError}. See docs/io.md for the rule behind each.
 *
 * - `TRUNCATED`: fewer bytes than the format needs (file under 8 bytes, header past the end of the file,
 *   data section shorter than the offsets say, or a read that came back short).
 * - `HEADER_TOO_LARGE`: the 8-byte header length exceeds `maxHeaderBytes` (default 100,000,000).
 * - `BAD_JSON`: the header is not UTF-8, does not start with `{`, is not valid JSON, or nests too deep.
 * - `DUPLICATE_KEY`: a JSON object in the header repeats a key.
 * - `UNSAFE_KEY`: a key is `__proto__`, `constructor` or `prototype` (rejected unless `allowUnsafeKeys`).
 * - `TENSOR_INFO`: a tensor entry is not `{dtype, shape, data_offsets}` with the right JSON types.
 * - `DTYPE`: a dtype that lowp/io does not know.
 * - `SHAPE`: a shape entry that is not a non-negative safe integer, or an element count past 2^53 - 1.
 * - `OFFSETS`: data offsets that are not contiguous from 0 (gap, overlap, begin > end) or leave bytes
 *   after the last tensor.
 * - `SIZE_MISMATCH`: `end - begin` differs from dtype size × product(shape).
 * - `METADATA`: `__metadata__` is not an object mapping strings to strings.
 * - `NOT_FOUND`: the requested tensor is not in the file.
 * - `INDEX`: a sharded checkpoint's `*.safetensors.index.json` or directory is not valid.
 * - `IO`: the underlying file could not be opened or read (the system message is included).
 * - `NO_FS`: a path was given where `node:fs` is not available (a browser): pass bytes or a Blob.
 * - `CLOSED`: the file was read after `close()`.
 *
 * @example
 * ```ts
 * try { await openSafetensors(path); } catch (e) {
 *   if (e instanceof SafetensorsError && e.code === 'TRUNCATED') console.error('incomplete download?');
 * }
 * ```
 */
export type SafetensorsErrorCode =
  | 'TRUNCATED'
  | 'HEADER_TOO_LARGE'
  | 'BAD_JSON'
  | 'DUPLICATE_KEY'
  | 'UNSAFE_KEY'
  | 'TENSOR_INFO'
  | 'DTYPE'
  | 'SHAPE'
  | 'OFFSETS'
  | 'SIZE_MISMATCH'
  | 'METADATA'
  | 'NOT_FOUND'
  | 'INDEX'
  | CommonIoErrorCode;

/**
 * Thrown for any invalid, corrupt or unreadable safetensors file, sharded index or checkpoint folder.
 * `code` is stable (see {@link SafetensorsErrorCode}); `message` is one line that says what was expected
 * and what came; `file` names the file when known.
 *
 * @example
 * ```ts
 * import { parseSafetensors, SafetensorsError } from 'lowp/io';
 * try {
 *   parseSafetensors(new Uint8Array(7));
 * } catch (e) {
 *   if (e instanceof SafetensorsError) console.log(e.code); // 'TRUNCATED'
 * }
 * ```
 */
export class SafetensorsError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: SafetensorsErrorCode;

  /**
   * @param code - stable code, see {@link SafetensorsErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: SafetensorsErrorCode, message: string, file?: string) {
    super('safetensors', code, message, file);
    this.name = 'SafetensorsError';
  }
}

/**
 * Stable codes of {@link NpyError}.
 *
 * - `MAGIC`: the file does not start with `\x93NUMPY`.
 * - `VERSION`: a format version other than 1.0, 2.0 or 3.0.
 * - `TRUNCATED`: fewer bytes than the header or the data need.
 * - `HEADER`: the header is not a Python dict literal with `descr`, `fortran_order` and `shape`.
 * - `DTYPE`: a dtype outside f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1, big-endian, or structured/object.
 * - `FORTRAN_ORDER`: `fortran_order` is True (only C order is read).
 * - `SHAPE`: a shape entry that is not a non-negative safe integer.
 * - `SIZE_MISMATCH`: more bytes after the data than the shape needs (fewer is `TRUNCATED`).
 * - `IO`: the file could not be opened or read.
 * - `NO_FS`: a path was given where `node:fs` is not available.
 * - `NOT_FOUND`, `CLOSED`: from the reader `openNpy` returns, a name other than its one tensor's,
 *   a read after `close()`.
 *
 * @example
 * ```ts
 * try { readNpy(bytes); } catch (e) { if (e instanceof NpyError && e.code === 'FORTRAN_ORDER') console.error(e.message); }
 * ```
 */
export type NpyErrorCode =
  | 'MAGIC'
  | 'VERSION'
  | 'TRUNCATED'
  | 'HEADER'
  | 'DTYPE'
  | 'FORTRAN_ORDER'
  | 'SHAPE'
  | 'SIZE_MISMATCH'
  | CommonIoErrorCode;

/**
 * Thrown for any invalid or unsupported `.npy` file. `code` is stable (see {@link NpyErrorCode});
 * `message` is one line.
 *
 * @example
 * ```ts
 * import { readNpy, NpyError } from 'lowp/io';
 * try {
 *   readNpy(new Uint8Array([1, 2, 3]));
 * } catch (e) {
 *   if (e instanceof NpyError) console.log(e.code); // 'MAGIC'
 * }
 * ```
 */
export class NpyError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: NpyErrorCode;

  /**
   * @param code - stable code, see {@link NpyErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: NpyErrorCode, message: string, file?: string) {
    super('npy', code, message, file);
    this.name = 'NpyError';
  }
}

/**
 * Stable codes of {@link CheckpointError}, thrown where no single format is at fault.
 *
 * - `UNKNOWN_FORMAT`: the content is none of the formats lowp/io reads (safetensors, a PyTorch zip or
 *   legacy pickle, GGUF, ONNX, .npy, an index JSON).
 * - `INDEX`: a checkpoint folder or a sharded index (`*.index.json`) is not valid.
 * - and the {@link CommonIoErrorCode}s.
 *
 * @example
 * ```ts
 * try { await openCheckpoint(new Uint8Array(16)); } catch (e) {
 *   if (e instanceof CheckpointError && e.code === 'UNKNOWN_FORMAT') console.error(e.message);
 * }
 * ```
 */
export type CheckpointErrorCode = 'UNKNOWN_FORMAT' | 'INDEX' | CommonIoErrorCode;

/**
 * Thrown by {@link openCheckpoint} when the input is none of the formats lowp/io reads, or a folder or
 * index cannot be made sense of; errors inside a recognised file are the format's own class.
 *
 * @example
 * ```ts
 * import { openCheckpoint, CheckpointError } from 'lowp/io';
 * try {
 *   await openCheckpoint(new Uint8Array([1, 2, 3]));
 * } catch (e) {
 *   if (e instanceof CheckpointError) console.log(e.code); // 'UNKNOWN_FORMAT'
 * }
 * ```
 */
export class CheckpointError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: CheckpointErrorCode;

  /**
   * @param code - stable code, see {@link CheckpointErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: CheckpointErrorCode, message: string, file?: string) {
    super('checkpoint', code, message, file);
    this.name = 'CheckpointError';
  }
}

/**
 * Stable codes of {@link TorchError} (PyTorch `torch.save` files: zip or legacy format, read by a
 * restricted unpickler). See docs/torch.md for the rule behind each.
 *
 * - `FORMAT`: neither a torch zip archive nor a legacy torch file (magic number, protocol, layout).
 * - `ZIP`: the zip structure is invalid (end of central directory, central/local headers, zip64
 *   records, sizes, entry names outside the archive's single top folder, duplicate entries).
 * - `COMPRESSED`: an entry is stored with a compression method lowp does not read.
 * - `PICKLE`: the pickle stream is invalid (unknown opcode, stack or memo misuse, a stream that ends
 *   early, an object that cannot be what it claims).
 * - `FORBIDDEN_GLOBAL`: the pickle names a global outside the allowlist; the message names it
 *   (`module.name`) and says whether it is known to be dangerous.
 * - `LIMIT`: a bound was reached (nesting depth, memo size, container size, total objects).
 * - `STORAGE`: a storage record disagrees with its data (size, missing entry, dtype).
 * - `VIEW`: a tensor view reaches outside its storage, or has invalid sizes/strides.
 * - `DTYPE`: a tensor lowp lists but does not read (complex, quantized, sparse...) was asked for.
 * - `OPTIMIZER`: the value asked for as an optimizer state dict has no `state` dict and `param_groups` list.
 * - and the {@link CommonIoErrorCode}s.
 *
 * @example
 * ```ts
 * try { await openCheckpoint('model.bin'); } catch (e) {
 *   if (e instanceof TorchError && e.code === 'FORBIDDEN_GLOBAL') console.error('refused:', e.message);
 * }
 * ```
 */
export type TorchErrorCode =
  | 'FORMAT'
  | 'ZIP'
  | 'COMPRESSED'
  | 'PICKLE'
  | 'FORBIDDEN_GLOBAL'
  | 'LIMIT'
  | 'STORAGE'
  | 'VIEW'
  | 'DTYPE'
  | 'OPTIMIZER'
  | CommonIoErrorCode;

/**
 * Thrown for any invalid, hostile or unsupported PyTorch file. `code` is stable (see
 * {@link TorchErrorCode}); `message` is one line.
 *
 * @example
 * ```ts
 * import { TorchError } from 'lowp/io';
 * const e = new TorchError('FORBIDDEN_GLOBAL', "refused global 'posix.system' (known to be dangerous)", 'evil.pt');
 * e.message; // "evil.pt: refused global 'posix.system' (known to be dangerous)"
 * ```
 */
export class TorchError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: TorchErrorCode;

  /**
   * @param code - stable code, see {@link TorchErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: TorchErrorCode, message: string, file?: string) {
    super('torch', code, message, file);
    this.name = 'TorchError';
  }
}

/**
 * Stable codes of {@link GgufError} (GGUF files, versions 2 and 3, little-endian). See docs/gguf.md for
 * the rule behind each and where lowp is stricter or looser than llama.cpp's loader.
 *
 * - `MAGIC`: the file does not start with `GGUF`.
 * - `VERSION`: a version other than 2 or 3 (0, 1, or a later one).
 * - `BIG_ENDIAN`: a big-endian file (its version field reads byte-swapped, or the magic is `FUGG`):
 *   lowp reads little-endian GGUF only, and refuses these rather than misread them.
 * - `KEY`: a metadata key that is empty, not valid UTF-8, or repeated.
 * - `VALUE`: a metadata value of an unknown type, an array of arrays (nested arrays), a string that is
 *   not valid UTF-8, a BOOL byte other than 0 or 1, or a `general.alignment` that is not a UINT32
 *   power of two.
 * - `TENSOR_INFO`: a tensor name repeated or not valid UTF-8, an unknown ggml type id, more than 4
 *   dimensions, a dimension or element count past 2^53 - 1 (their product overflows), or rows (`ne[0]`)
 *   that are not whole blocks of the type.
 * - `OFFSETS`: a tensor offset that is not a multiple of the alignment or lies past the end of the
 *   file, or two tensors whose data overlap.
 * - `TRUNCATED`: the file ends early: inside the header, before the bytes a count or length declares
 *   (tensor count, key/value count, string or array length), before the (aligned) data section, or
 *   inside a tensor's data.
 * - `TOO_LARGE`: a count or length declared in the file whose bytes would pass `maxHeaderBytes`
 *   (default 256 MiB; a key length or array length of 2^40), refused before anything is allocated.
 * - and the other {@link CommonIoErrorCode}s.
 *
 * @example
 * ```ts
 * try { await readGguf(bytes); } catch (e) {
 *   if (e instanceof GgufError && e.code === 'MAGIC') console.error('not a GGUF file');
 * }
 * ```
 */
export type GgufErrorCode = 'MAGIC' | 'VERSION' | 'BIG_ENDIAN' | 'KEY' | 'VALUE' | 'TENSOR_INFO' | 'OFFSETS' | CommonIoErrorCode;

/**
 * Thrown for any invalid or unsupported GGUF file. `code` is stable (see {@link GgufErrorCode});
 * `message` is one line.
 *
 * @example
 * ```ts
 * import { GgufError } from 'lowp/io';
 * new GgufError('MAGIC', "expected the magic 'GGUF', got 'PK\\x03\\x04'").code; // 'MAGIC'
 * ```
 */
export class GgufError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: GgufErrorCode;

  /**
   * @param code - stable code, see {@link GgufErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: GgufErrorCode, message: string, file?: string) {
    super('gguf', code, message, file);
    this.name = 'GgufError';
  }
}

/**
 * Stable codes of {@link OnnxError} (ONNX models: protobuf, tensors, external data). See docs/onnx.md.
 *
 * - `PROTOBUF`: the bytes are not valid protobuf wire format: a varint longer than 10 bytes or 64 bits,
 *   a field number 0 or wire type 6/7, a length that runs past the end of its enclosing message, a
 *   known field with the wrong wire type, packed values cut in the middle, messages nested deeper than
 *   `maxDepth` (default 64).
 * - `MODEL`: valid protobuf that is not a usable ONNX model: no graph, a name that is not UTF-8, a
 *   tensor without data type, with data in two places, of a size its dims contradict (raw_data bytes,
 *   typed value count), a dimension past 2^53, a repeated initializer name, a chunked (segment)
 *   tensor, a typed value out of its type's range (found when read).
 * - `DTYPE`: reading an initializer of a type lowp does not read (STRING, COMPLEX64/128, UINT2/INT2,
 *   an unknown number): such tensors are listed, not read.
 * - `EXTERNAL_DATA`: an external data reference that cannot be honoured: no or an empty location, an
 *   absolute location, a `..` segment, a symbolic link that leaves the model's folder, a missing file,
 *   an offset/length that is not a decimal integer or does not fit the file, a length that differs from
 *   the tensor's size, a model given as bytes without `options.externalData`.
 * - `TOO_LARGE`: a limit was reached (more than `maxMessages` messages, default 10,000,000; a string
 *   field over 16 MiB).
 * - `TRUNCATED`: the file ends inside a field (a cut download).
 * - and the other {@link CommonIoErrorCode}s (`NOT_FOUND`, `IO`, `NO_FS`, `CLOSED`).
 *
 * @example
 * ```ts
 * try { await openCheckpoint('model.onnx'); } catch (e) {
 *   if (e instanceof OnnxError && e.code === 'EXTERNAL_DATA') console.error(e.message);
 * }
 * ```
 */
export type OnnxErrorCode = 'PROTOBUF' | 'MODEL' | 'DTYPE' | 'EXTERNAL_DATA' | CommonIoErrorCode;

/**
 * Thrown for any invalid or unsupported ONNX model. `code` is stable (see {@link OnnxErrorCode});
 * `message` is one line.
 *
 * @example
 * ```ts
 * import { OnnxError } from 'lowp/io';
 * new OnnxError('PROTOBUF', 'expected a varint of at most 10 bytes, got 11').code; // 'PROTOBUF'
 * ```
 */
export class OnnxError extends LowpIoError {
  /** Stable machine-readable code. */
  declare readonly code: OnnxErrorCode;

  /**
   * @param code - stable code, see {@link OnnxErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: OnnxErrorCode, message: string, file?: string) {
    super('onnx', code, message, file);
    this.name = 'OnnxError';
  }
}
