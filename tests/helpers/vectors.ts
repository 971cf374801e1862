// Loads the reference vectors (see ../shared/vectors/README.md): the full files from ../shared/vectors
// when that folder exists, else the subsets in tests/fixtures (made by scripts/make-fixtures.mjs), so
// a fresh clone tests without ../shared. Deliberately independent of lowp's own safetensors reader:
// the oracle data must not be read through the code under test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** ../shared/vectors beside the checkout, or the folder named by LOWP_SHARED_VECTORS (e.g. from a git worktree). */
export const SHARED_VECTORS = process.env.LOWP_SHARED_VECTORS || join(here, '..', '..', '..', 'shared', 'vectors');
export const FIXTURES = join(here, '..', 'fixtures');

export type VectorArray =
  | Float64Array | Float32Array | Uint32Array | Int32Array | Uint16Array | Int16Array | Uint8Array | Int8Array | BigInt64Array;

export interface VectorTensor { dtype: string; shape: number[]; data: VectorArray }
export interface VectorFile {
  /** 'shared' when read from ../shared/vectors, 'fixture' for the subset in tests/fixtures. */
  source: 'shared' | 'fixture';
  metadata: Record<string, string>;
  keys: string[];
  has(key: string): boolean;
  get(key: string): VectorTensor;
}

const CTORS: Record<string, { new (b: ArrayBuffer, o: number, n: number): VectorArray; BYTES_PER_ELEMENT: number }> = {
  F64: Float64Array, F32: Float32Array, U32: Uint32Array, I32: Int32Array, U16: Uint16Array,
  I16: Int16Array, U8: Uint8Array, I8: Int8Array, I64: BigInt64Array, BOOL: Uint8Array,
};

const cache = new Map<string, VectorFile>();

/** Path of a vectors file: the shared full file when present, else the fixture subset. */
export function vectorsPath(name: string): { path: string; source: 'shared' | 'fixture' } {
  const shared = join(SHARED_VECTORS, `${name}.safetensors`);
  if (existsSync(shared)) return { path: shared, source: 'shared' };
  return { path: join(FIXTURES, `${name}.safetensors`), source: 'fixture' };
}

export function loadVectors(name: string): VectorFile {
  const hit = cache.get(name);
  if (hit) return hit;
  const { path, source } = vectorsPath(name);
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, any>;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  delete header.__metadata__;
  const base = 8 + n;
  const file: VectorFile = {
    source,
    metadata,
    keys: Object.keys(header),
    has: (key) => key in header,
    get(key) {
      const info = header[key];
      if (!info) throw new Error(`vectors ${name}: no key ${key}`);
      const [b, e] = info.data_offsets as [number, number];
      const C = CTORS[info.dtype];
      // copy into a fresh, aligned buffer
      const bytes = new Uint8Array(e - b);
      bytes.set(buf.subarray(base + b, base + e));
      return { dtype: info.dtype, shape: info.shape, data: new C(bytes.buffer, 0, (e - b) / C.BYTES_PER_ELEMENT) };
    },
  };
  cache.set(name, file);
  return file;
}
