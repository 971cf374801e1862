// Run-time access to Node's `fs` without an import statement, so that lowp/io bundles for browsers:
// `process.getBuiltinModule` (Node >= 20.16) returns it where it exists; elsewhere callers get a clear
// error telling them to pass bytes or a Blob instead of a path.

import type { IoErrorClass } from './errors.js';

/** The subset of `node:fs` that lowp/io uses. */
export interface NodeFs {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { size: number; isFile(): boolean; isDirectory(): boolean };
  statSync(path: string): { size: number; isFile(): boolean; isDirectory(): boolean };
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  read(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead: number) => void,
  ): void;
  writeSync(fd: number, buffer: Uint8Array, offset?: number, length?: number, position?: number | null): number;
  readFileSync(path: string): Uint8Array;
  readdirSync(path: string): string[];
  writeFileSync(path: string, data: Uint8Array): void;
  ftruncateSync(fd: number, len: number): void;
  realpathSync(path: string): string;
}

/** The subset of `node:path` that lowp/io uses. */
export interface NodePath {
  join(...parts: string[]): string;
  dirname(p: string): string;
  basename(p: string): string;
  isAbsolute(p: string): boolean;
  sep: string;
}

type GetBuiltin = (id: string) => unknown;

function builtin(id: string): unknown {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  const get = proc?.getBuiltinModule;
  return typeof get === 'function' ? get.call(proc, id) : undefined;
}

/** `node:fs`, or undefined where it is not available (browsers, Node < 20.16). */
export function tryNodeFs(): NodeFs | undefined {
  return builtin('node:fs') as NodeFs | undefined;
}

/** `node:fs`, or throws `make(message)` where it is not available. */
export function requireNodeFs<E extends Error>(make: (message: string) => E): NodeFs {
  const fs = tryNodeFs();
  if (!fs) {
    throw make('expected node:fs to open a path (Node >= 20.16 with process.getBuiltinModule), got a runtime without it: pass a Uint8Array, ArrayBuffer or Blob instead');
  }
  return fs;
}

/** `node:path`, or throws like {@link requireNodeFs}. */
export function requireNodePath<E extends Error>(make: (message: string) => E): NodePath {
  const p = builtin('node:path') as NodePath | undefined;
  if (!p) throw make('expected node:path to resolve a path, got a runtime without it');
  return p;
}

/** A one-line description of an error from the file system ("ENOENT: no such file or directory"). */
export function systemMessage(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const msg = e.message.replace(/[\r\n]+/g, ' ');
    return typeof code === 'string' && !msg.startsWith(code) ? `${code}: ${msg}` : msg;
  }
  return String(e);
}

/** A folder's entry names, sorted, with `isFile(name)` (a regular file, not a folder or a broken link) and `node:path`. */
export interface FolderListing {
  names: string[];
  isFile(name: string): boolean;
  path: NodePath;
}

/**
 * Lists a folder for the readers that open one: `NO_FS` (reported against `dir`) where node:fs or
 * node:path is missing, `IO` (reported against `label`) where the folder cannot be listed, both of
 * class `errors`.
 */
export function listFolder(dir: string, errors: IoErrorClass, label: string = dir): FolderListing {
  const fs = requireNodeFs((m) => new errors('NO_FS', m, dir));
  const path = requireNodePath((m) => new errors('NO_FS', m, dir));
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    throw new errors('IO', `cannot list: ${systemMessage(e)}`, label);
  }
  const isFile = (n: string): boolean => {
    try {
      return fs.statSync(path.join(dir, n)).isFile();
    } catch {
      return false;
    }
  };
  return { names, isFile, path };
}
