// External data of an ONNX model: tensors whose bytes live in another file named by the TensorProto's
// `location` (onnx.proto: "POSIX filesystem path relative to the directory where the ONNX protobuf
// model was stored"), at `offset` for `length` bytes. Untrusted like the model: a location must be a
// relative path that stays inside the model's folder (no absolute path, no drive letter, no '..'
// segment, no NUL, and, for files on disk, no symbolic link that resolves outside the folder); each data
// file is opened once and shared by the tensors that name it; offsets and lengths are checked against
// its size when the model is opened. For a model given as bytes or a Blob, the caller says where the
// data files are (a folder, a map from location to bytes/Blob, or a function).
import { describeValue } from '../../core/describe.js';
import { LowpIoError, OnnxError } from '../errors.js';
import { requireNodeFs, requireNodePath, systemMessage } from '../node-fs.js';
import { isBlob, toByteSource, type ByteSource, type SourceInput } from '../source.js';

/**
 * Where the external data files of an ONNX model are:
 *
 * - a folder path (Node): `location` is resolved inside it (default for a model opened by path: the
 *   model's own folder);
 * - a `Map` or an object from location (as written in the model, e.g. `'model.onnx.data'`) to the file
 *   as bytes, a Blob/File or a ByteSource (browsers: the files a user picked);
 * - a function from location to the same (or a promise of it).
 *
 * @example
 * ```ts
 * import { openOnnx } from 'lowp/io';
 * // browser: both files picked in one <input type="file" multiple>
 * const [model, data] = input.files;
 * const onnx = await openOnnx(model, { externalData: { [data.name]: data } });
 * ```
 */
export type ExternalDataOption =
  | string
  | ReadonlyMap<string, SourceInput>
  | Readonly<Record<string, SourceInput>>
  | ((location: string) => SourceInput | Promise<SourceInput>);

/**
 * Checks a `location` and returns it normalised (`/` separators, no `.` segments). Refuses (code
 * `EXTERNAL_DATA`) an empty location, a NUL character, an absolute path (`/x`, `\x`, `C:...`, `//host`),
 * and any `..` segment: the data must stay in the model's folder.
 *
 * @param location - the location as written in the model
 * @param tensor - the tensor's name, for messages
 * @param file - the model's name, for messages
 */
export function checkLocation(location: string, tensor: string, file: string | undefined): string {
  const shown = JSON.stringify(location.length > 80 ? location.slice(0, 77) + '...' : location);
  const refuse = (why: string): OnnxError =>
    new OnnxError('EXTERNAL_DATA', `expected the external data of tensor '${tensor}' at a relative path inside the model's folder, got location ${shown} (${why})`, file);
  if (location === '') throw refuse('empty');
  if (location.includes('\0')) throw refuse('a NUL character');
  if (/^[/\\]/.test(location) || /^[A-Za-z]:/.test(location)) throw refuse('an absolute path');
  const parts = location.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw refuse("a '..' segment");
  if (parts.length === 0) throw refuse('no file name');
  return parts.join('/');
}

/** The data files of one model: opened on first use, shared by the tensors that name them, closed together. */
export class ExternalFiles {
  private readonly open = new Map<string, Promise<ByteSource>>();
  private readonly owned: ByteSource[] = [];

  /**
   * @param option - where the files are (see {@link ExternalDataOption}); undefined: none can be opened
   * @param file - the model's name, for messages
   */
  constructor(
    private readonly option: ExternalDataOption | undefined,
    private readonly file: string | undefined,
  ) {}

  /** The data file of a (checked, normalised) location, opened once. */
  source(location: string, tensor: string): Promise<ByteSource> {
    let p = this.open.get(location);
    if (p === undefined) {
      p = this.resolve(location, tensor);
      this.open.set(location, p);
    }
    return p;
  }

  private async resolve(location: string, tensor: string): Promise<ByteSource> {
    const o = this.option;
    if (o === undefined) {
      throw new OnnxError('EXTERNAL_DATA', `expected a way to open external data file '${location}' (tensor '${tensor}'), got a model given as bytes without options.externalData (a folder, a map of files or a function)`, this.file);
    }
    let input: SourceInput;
    if (typeof o === 'string') return this.fromFolder(o, location, tensor);
    if (typeof o === 'function') {
      try {
        input = await o(location);
      } catch (e) {
        if (e instanceof LowpIoError) throw e;
        throw new OnnxError('EXTERNAL_DATA', `expected options.externalData to open '${location}' (tensor '${tensor}'), got an error: ${systemMessage(e)}`, this.file);
      }
    } else if (o instanceof Map) {
      const hit = o.get(location) ?? o.get(`./${location}`);
      if (hit === undefined) throw this.missing(location, tensor, [...o.keys()]);
      input = hit;
    } else {
      const rec = o as Readonly<Record<string, SourceInput>>;
      const key = Object.prototype.hasOwnProperty.call(rec, location) ? location : Object.prototype.hasOwnProperty.call(rec, `./${location}`) ? `./${location}` : undefined;
      if (key === undefined) throw this.missing(location, tensor, Object.keys(rec));
      input = rec[key];
    }
    if (input === undefined || input === null) throw this.missing(location, tensor, []);
    let opened;
    try {
      opened = toByteSource(input, location, OnnxError);
    } catch (e) {
      if (e instanceof LowpIoError) throw e;
      throw new OnnxError('EXTERNAL_DATA', `expected external data file '${location}' as a path, bytes, a Blob or a ByteSource, got ${describeValue(input)}`, this.file);
    }
    if (opened.owned) this.owned.push(opened.source);
    return opened.source;
  }

  private missing(location: string, tensor: string, keys: string[]): OnnxError {
    const some = keys.slice(0, 5).map((k) => `'${k}'`).join(', ');
    return new OnnxError('EXTERNAL_DATA', `expected external data file '${location}' (tensor '${tensor}') in options.externalData, got ${keys.length > 0 ? `only ${some}${keys.length > 5 ? ', ...' : ''}` : 'nothing for it'}`, this.file);
  }

  /** Opens `location` inside `folder` (Node), refusing a file whose real path (symbolic links resolved) leaves it. */
  private fromFolder(folder: string, location: string, tensor: string): ByteSource {
    const fs = requireNodeFs((m) => new OnnxError('NO_FS', m, this.file));
    const path = requireNodePath((m) => new OnnxError('NO_FS', m, this.file));
    let realDir: string;
    let real: string;
    try {
      realDir = fs.realpathSync(folder);
    } catch (e) {
      throw new OnnxError('EXTERNAL_DATA', `expected the model's folder '${folder}' to exist for external data file '${location}', got ${systemMessage(e)}`, this.file);
    }
    try {
      real = fs.realpathSync(path.join(realDir, ...location.split('/')));
    } catch (e) {
      throw new OnnxError('EXTERNAL_DATA', `expected external data file '${location}' (tensor '${tensor}') next to the model, got ${systemMessage(e)}`, this.file);
    }
    const inside = realDir.endsWith(path.sep) ? realDir : realDir + path.sep;
    if (!real.startsWith(inside)) {
      throw new OnnxError('EXTERNAL_DATA', `expected external data file '${location}' (tensor '${tensor}') inside the model's folder, got a link to '${real}' outside it`, this.file);
    }
    const src = toByteSource(real, location, OnnxError).source;
    this.owned.push(src);
    return src;
  }

  /** Closes the files this object opened (paths); sources the caller gave stay open. */
  async close(): Promise<void> {
    for (const p of this.open.values()) p.catch(() => undefined);
    for (const s of this.owned.splice(0)) await s.close?.();
  }
}

/** Whether a value can be an {@link ExternalDataOption}. */
export function checkExternalDataOption(o: unknown): void {
  if (o === undefined || typeof o === 'string' || typeof o === 'function' || o instanceof Map) return;
  if (typeof o === 'object' && o !== null && !isBlob(o) && !(o instanceof Uint8Array) && !(o instanceof ArrayBuffer)) return;
  throw new TypeError(`expected options.externalData to be a folder path, a Map or object of files by location, or a function, got ${describeValue(o)}`);
}
