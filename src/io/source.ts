// Random-access byte sources: the one abstraction through which the safetensors reader sees a file, so
// that a path (Node), bytes in memory and a Blob (browsers, File from an <input>) share one parser.
// Reads return fresh buffers the caller owns; a short read is an error, never silently fewer bytes.
import { describeValue } from '../core/describe.js';
import { LowpIoError, SafetensorsError, type IoErrorClass } from './errors.js';
import { requireNodeFs, systemMessage, type NodeFs } from './node-fs.js';

/**
 * Random access to the bytes of a file. `read` returns a fresh `Uint8Array` of exactly `length` bytes
 * (owned by the caller, byteOffset 0) or rejects; `readSync`, when present, does the same synchronously.
 * Implement it to read from anything (HTTP range requests, a database...).
 *
 * @example
 * ```ts
 * import type { ByteSource } from 'lowp/io';
 * const data = new Uint8Array(16);
 * const source: ByteSource = {
 *   size: data.length,
 *   read: async (offset, length) => data.slice(offset, offset + length),
 * };
 * ```
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A name for error messages (a path, a file name). */
  readonly name?: string;
  /** Reads `length` bytes at `offset` into a fresh array the caller owns. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Synchronous twin of `read`, where the source can read synchronously. */
  readSync?(offset: number, length: number): Uint8Array;
  /** Optional: reads `target.length` bytes at `offset` into `target` (lets readers recycle buffers). */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /** Optional synchronous twin of `readInto`. */
  readIntoSync?(offset: number, target: Uint8Array): void;
  /** Releases the underlying resource (file descriptor). Later reads fail. */
  close?(): void | Promise<void>;
}

/**
 * What the safetensors openers accept: a path (Node), bytes, a Blob, or any {@link ByteSource}.
 *
 * @example
 * ```ts
 * await openSafetensors('model.safetensors');        // a path (Node)
 * await openSafetensors(new Uint8Array(bytes));      // bytes
 * await openSafetensors(fileInput.files[0]);         // a Blob / File (browsers)
 * ```
 */
export type SourceInput = string | Uint8Array | ArrayBuffer | Blob | ByteSource;

function checkRange(size: number, offset: number, length: number, name: string | undefined, errors: IoErrorClass): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`expected a non-negative integer offset and length, got offset ${describeValue(offset)} and length ${describeValue(length)}`);
  }
  if (offset + length > size) {
    throw new errors('TRUNCATED', `expected ${length} bytes at offset ${offset}, got a source of ${size} bytes`, name);
  }
}

/**
 * A {@link ByteSource} over bytes in memory. The bytes are not copied up front; each read copies the
 * requested range, so the caller's array is never exposed or mutated.
 *
 * @example
 * ```ts
 * import { bytesSource } from 'lowp/io';
 * const src = bytesSource(new Uint8Array([1, 2, 3]));
 * src.readSync!(1, 2); // Uint8Array [2, 3]
 * ```
 */
export function bytesSource(bytes: Uint8Array | ArrayBuffer, name?: string, errors: IoErrorClass = SafetensorsError): ByteSource {
  let u8: Uint8Array;
  if (bytes instanceof Uint8Array) u8 = bytes;
  else if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else throw new TypeError(`expected a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`);
  const readSync = (offset: number, length: number): Uint8Array => {
    checkRange(u8.length, offset, length, name, errors);
    return u8.slice(offset, offset + length);
  };
  const readIntoSync = (offset: number, target: Uint8Array): void => {
    checkRange(u8.length, offset, target.length, name, errors);
    target.set(u8.subarray(offset, offset + target.length));
  };
  return {
    size: u8.length,
    name,
    readSync,
    read: async (offset, length) => readSync(offset, length),
    readIntoSync,
    readInto: async (offset, target) => readIntoSync(offset, target),
  };
}

/**
 * A {@link ByteSource} over a `Blob` (or a browser `File`): each read slices the blob, so a multi-GB file
 * picked by the user is never loaded whole.
 *
 * @example
 * ```ts
 * import { blobSource, openSafetensors } from 'lowp/io';
 * // in a browser: const file = input.files[0];
 * const st = await openSafetensors(blobSource(new Blob([bytes]), 'model.safetensors'));
 * ```
 */
export function blobSource(blob: Blob, name?: string, errors: IoErrorClass = SafetensorsError): ByteSource {
  if (!isBlob(blob)) throw new TypeError(`expected a Blob, got ${describeValue(blob)}`);
  const size = blob.size;
  const label = name ?? ((blob as { name?: unknown }).name as string | undefined);
  return {
    size,
    name: typeof label === 'string' ? label : undefined,
    async read(offset, length) {
      checkRange(size, offset, length, label, errors);
      const buf = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (buf.length !== length) {
        throw new errors('TRUNCATED', `expected ${length} bytes at offset ${offset}, got ${buf.length}`, label);
      }
      return buf;
    },
  };
}

type AllocUnsafeSlow = (size: number) => Uint8Array;
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow?: AllocUnsafeSlow } }).Buffer;

/**
 * A fresh Uint8Array (own ArrayBuffer, byteOffset 0) that the caller fills completely before anyone sees
 * it: uninitialised memory in Node (Buffer.allocUnsafeSlow, ~2x faster than zeroing for large chunks),
 * zeroed elsewhere.
 */
export function allocForRead(length: number): Uint8Array {
  if (nodeBuffer?.allocUnsafeSlow !== undefined && length > 0) {
    const b = nodeBuffer.allocUnsafeSlow(length);
    return new Uint8Array(b.buffer, b.byteOffset, length);
  }
  return new Uint8Array(length);
}

/** Largest single read request handed to the file system (fs.read accepts at most 2 GiB - 1). */
const MAX_READ = 1 << 30;

/**
 * A {@link ByteSource} over a file path, in Node (opened now, read with positional reads; call `close()`).
 * Throws the `errors` class (default {@link SafetensorsError}) with code `NO_FS` where `node:fs` is unavailable and `IO` when the
 * file cannot be opened.
 *
 * @example
 * ```ts
 * import { fileSource } from 'lowp/io';
 * const src = fileSource('model.safetensors');
 * const first8 = src.readSync!(0, 8);
 * src.close!();
 * ```
 */
export function fileSource(path: string, errors: IoErrorClass = SafetensorsError): ByteSource {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a file path, got ${describeValue(path)}`);
  const fs: NodeFs = requireNodeFs((m) => new errors('NO_FS', m, path));
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new errors('IO', `cannot open: ${systemMessage(e)}`, path);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new errors('IO', `expected a regular file, got ${st.isDirectory() ? 'a directory' : 'something else'}`, path);
    size = st.size;
  } catch (e) {
    fs.closeSync(fd);
    if (e instanceof LowpIoError) throw e;
    throw new errors('IO', `cannot stat: ${systemMessage(e)}`, path);
  }
  let open = true;
  const ensureOpen = (): void => {
    if (!open) throw new errors('CLOSED', 'expected an open file, got one that was closed', path);
  };
  const short = (offset: number, length: number, got: number): LowpIoError =>
    new errors('TRUNCATED', `expected ${length} bytes at offset ${offset}, got ${got} (file shrank while open?)`, path);

  const fillSync = (offset: number, buf: Uint8Array): void => {
    ensureOpen();
    checkRange(size, offset, buf.length, path, errors);
    let done = 0;
    while (done < buf.length) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, done, Math.min(MAX_READ, buf.length - done), offset + done);
      } catch (e) {
        throw new errors('IO', `cannot read: ${systemMessage(e)}`, path);
      }
      if (n === 0) throw short(offset, buf.length, done);
      done += n;
    }
  };
  const fill = async (offset: number, buf: Uint8Array): Promise<void> => {
    ensureOpen();
    checkRange(size, offset, buf.length, path, errors);
    let done = 0;
    while (done < buf.length) {
      const n = await new Promise<number>((resolve, reject) => {
        fs.read(fd, buf, done, Math.min(MAX_READ, buf.length - done), offset + done, (err, bytes) => {
          if (err) reject(new errors('IO', `cannot read: ${systemMessage(err)}`, path));
          else resolve(bytes);
        });
      });
      if (n === 0) throw short(offset, buf.length, done);
      done += n;
    }
  };

  return {
    size,
    name: path,
    readSync(offset, length) {
      const buf = allocForRead(length);
      fillSync(offset, buf);
      return buf;
    },
    async read(offset, length) {
      const buf = allocForRead(length);
      await fill(offset, buf);
      return buf;
    },
    readInto: fill,
    readIntoSync: fillSync,
    close() {
      if (!open) return;
      open = false;
      try {
        fs.closeSync(fd);
      } catch {
        // already closed by the OS: nothing to release
      }
    },
  };
}

/** Whether a value is a Blob (or a File): the global class, or anything shaped like one. */
export function isBlob(value: unknown): value is Blob {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as Blob).size === 'number' &&
    typeof (value as Blob).slice === 'function' &&
    typeof (value as Blob).arrayBuffer === 'function'
  );
}

function isByteSource(value: unknown): value is ByteSource {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as ByteSource).size === 'number' &&
    typeof (value as ByteSource).read === 'function'
  );
}

/**
 * A {@link ByteSource} and whether whoever made it must close it.
 *
 * @example
 * ```ts
 * const { source, owned } = toByteSource('model.safetensors');
 * // ... read ...
 * if (owned) await source.close?.();
 * ```
 */
export interface OwnedByteSource {
  /** The source. */
  source: ByteSource;
  /** True when the source was opened here (a path): the caller must `close()` it. */
  owned: boolean;
}

/**
 * Turns any {@link SourceInput} into a {@link ByteSource}: a string is a path (Node), bytes and Blobs
 * are wrapped, a ByteSource passes through. `owned` says whether the caller of this function should
 * close it (true when it opened a file).
 *
 * @example
 * ```ts
 * import { toByteSource } from 'lowp/io';
 * const { source } = toByteSource(new Uint8Array(8));
 * source.size; // 8
 * ```
 */
export function toByteSource(input: SourceInput, name?: string, errors: IoErrorClass = SafetensorsError): OwnedByteSource {
  if (typeof input === 'string') return { source: fileSource(input, errors), owned: true };
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return { source: bytesSource(input, name, errors), owned: false };
  if (isByteSource(input)) {
    if (!Number.isSafeInteger(input.size) || input.size < 0) {
      throw new TypeError(`expected a ByteSource with a non-negative integer size, got size ${describeValue(input.size)}`);
    }
    return { source: input, owned: false };
  }
  if (isBlob(input)) return { source: blobSource(input, name, errors), owned: false };
  throw new TypeError(`expected a path, Uint8Array, ArrayBuffer, Blob or ByteSource, got ${describeValue(input)}`);
}

/**
 * Runs `open` (which builds a reader over `source`) and, when it fails, closes the source first if it
 * is `owned` (opened from a path here), so that a file refused while opening leaves no descriptor open.
 * The failure is rethrown as it came, even when closing fails too.
 */
export async function closeOnFailure<T>(source: ByteSource, owned: boolean, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (owned) {
      try {
        await source.close?.();
      } catch {
        // the failure to report is the one that came first
      }
    }
    throw e;
  }
}

/**
 * What a failed read of a source throws: the lowp errors (and RangeError for bad arguments) as they are,
 * anything else (a custom source's own failure) as the `errors` class (code `IO`) naming the range.
 */
function readFailure(e: unknown, source: ByteSource, offset: number, length: number, errors: IoErrorClass): unknown {
  if (e instanceof LowpIoError || e instanceof RangeError) return e;
  return new errors('IO', `cannot read ${length} bytes at offset ${offset}: ${systemMessage(e)}`, source.name);
}

/** Reads exactly `length` bytes, turning a short or failed read of a custom source into an error of the `errors` class. */
export async function readExact(source: ByteSource, offset: number, length: number, errors: IoErrorClass = SafetensorsError): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await source.read(offset, length);
  } catch (e) {
    throw readFailure(e, source, offset, length, errors);
  }
  return checkRead(source, offset, length, out, errors);
}

/** Synchronous twin of {@link readExact}; the source must have `readSync`. */
export function readExactSync(source: ByteSource, offset: number, length: number, errors: IoErrorClass = SafetensorsError): Uint8Array {
  if (typeof source.readSync !== 'function') {
    throw new TypeError('expected a source that can read synchronously (a path or bytes), got one without readSync: use the async API');
  }
  let out: Uint8Array;
  try {
    out = source.readSync(offset, length);
  } catch (e) {
    throw readFailure(e, source, offset, length, errors);
  }
  return checkRead(source, offset, length, out, errors);
}

function checkRead(source: ByteSource, offset: number, length: number, out: unknown, errors: IoErrorClass): Uint8Array {
  if (!(out instanceof Uint8Array)) {
    throw new errors('IO', `expected the source to return a Uint8Array, got ${describeValue(out)}`, source.name);
  }
  if (out.length !== length) {
    throw new errors('TRUNCATED', `expected ${length} bytes at offset ${offset}, got ${out.length}`, source.name);
  }
  return out;
}

/** Fills `target` from `offset`, with the source's `readInto` when it has one, else a read and a copy. */
export async function readExactInto(source: ByteSource, offset: number, target: Uint8Array, errors: IoErrorClass = SafetensorsError): Promise<void> {
  if (typeof source.readInto !== 'function') {
    target.set(await readExact(source, offset, target.length, errors));
    return;
  }
  try {
    await source.readInto(offset, target);
  } catch (e) {
    throw readFailure(e, source, offset, target.length, errors);
  }
}

/** Synchronous twin of {@link readExactInto}. */
export function readExactIntoSync(source: ByteSource, offset: number, target: Uint8Array, errors: IoErrorClass = SafetensorsError): void {
  if (typeof source.readIntoSync !== 'function') {
    target.set(readExactSync(source, offset, target.length, errors));
    return;
  }
  try {
    source.readIntoSync(offset, target);
  } catch (e) {
    throw readFailure(e, source, offset, target.length, errors);
  }
}
