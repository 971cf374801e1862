// Error classes of lowp/io. Every failure to read an untrusted safetensors or .npy file is one of these,
// with a stable `code` and a one-line message that says what was expected and what came, so that a
// command-line tool can print `error: <message>` and exit, without a stack trace.

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
  | 'IO'
  | 'NO_FS'
  | 'CLOSED';

/** Replaces line breaks so that a message stays on one line, and caps its length. */
export function oneLine(message: string, max = 500): string {
  const flat = message.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 3) + '...' : flat;
}

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
export class SafetensorsError extends Error {
  /** Stable machine-readable code. */
  readonly code: SafetensorsErrorCode;
  /** The file (path or description) the error is about, when known. */
  readonly file: string | undefined;

  /**
   * @param code - stable code, see {@link SafetensorsErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: SafetensorsErrorCode, message: string, file?: string) {
    super(oneLine(file ? `${file}: ${message}` : message));
    this.name = 'SafetensorsError';
    this.code = code;
    this.file = file;
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
  | 'IO'
  | 'NO_FS';

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
export class NpyError extends Error {
  /** Stable machine-readable code. */
  readonly code: NpyErrorCode;
  /** The file the error is about, when known. */
  readonly file: string | undefined;

  /**
   * @param code - stable code, see {@link NpyErrorCode}
   * @param message - one line: what was expected and what came
   * @param file - the file it concerns, when known (prefixed to the message)
   */
  constructor(code: NpyErrorCode, message: string, file?: string) {
    super(oneLine(file ? `${file}: ${message}` : message));
    this.name = 'NpyError';
    this.code = code;
    this.file = file;
  }
}
