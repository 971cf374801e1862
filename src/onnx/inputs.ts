// The inputs of a traced run: the arrays the caller gives (a .npy array read by lowp/io, an onnxruntime
// tensor, or random token ids of a given shape), and, for what a decoder model needs besides its token
// ids, the values a first generation step feeds it (transformers.js and optimum do the same): an
// attention mask of ones, positions 0..S-1, zero token types, and an empty KV cache (every
// `past_key_values.*` input with its past-sequence dimension 0, built from the session's input
// metadata), with `use_cache_branch` false for merged decoders. Symbolic dimensions are resolved from
// the given inputs (batch and sequence length), else from the options (batch 1, 16 tokens).
import { createRng } from '../core/rng.js';
import type { NpyArray } from '../io/npy/npy.js';
import { ONNX_DATA_TYPES as T, type OnnxGraph } from '../io/onnx/model.js';
import { TraceError } from './errors.js';
import type { OrtModuleLike, OrtTensorLike, OrtValueMetadata } from './runtime.js';

/**
 * Random token ids of a given shape (the vocabulary size is found in the model, or given).
 *
 * @example
 * ```ts
 * const ids: RandomTokens = { random: [1, 24] };
 * ```
 */
export interface RandomTokens {
  /** Shape of the ids, e.g. [batch, sequence]. */
  random: readonly number[];
  /** Ids are drawn from [0, vocab); default: the rows of the embedding table the model gathers with them. */
  vocab?: number;
}

/**
 * One input of a traced run: an array in lowp/io's form (what `readNpy` returns), an onnxruntime
 * tensor, or random token ids.
 *
 * @example
 * ```ts
 * const inputs: Record<string, TraceInput> = {
 *   input_ids: readNpyFile('ids.npy'),          // { dtype: 'I64', shape: [1, 24], data }
 *   token_type_ids: { random: [1, 24], vocab: 2 },
 * };
 * ```
 */
export type TraceInput = NpyArray | OrtTensorLike | RandomTokens;

/**
 * What a traced run was fed, per input, for reports.
 *
 * @example
 * ```ts
 * const i: TraceInputInfo = { name: 'input_ids', type: 'int64', shape: [1, 24], source: 'given' };
 * ```
 */
export interface TraceInputInfo {
  /** Input name. */
  name: string;
  /** onnxruntime element type. */
  type: string;
  /** Dimensions. */
  shape: number[];
  /**
   * Where the values came from: `'given'`, `'random'` (token ids), `'ones'` (attention mask),
   * `'positions'`, `'zeros'`, `'empty-cache'` (past length 0), `'false'` (use_cache_branch).
   */
  source: 'given' | 'random' | 'ones' | 'positions' | 'zeros' | 'empty-cache' | 'false';
}

/** How missing inputs are made. */
export interface FeedOptions {
  /** Seed of random token ids (default 0). */
  seed?: number;
  /** Vocabulary size for random token ids (default: found in the model). */
  vocab?: number;
  /** Batch size when no given input fixes it (default 1). */
  batch?: number;
  /** Tokens when no given input fixes it (default 16). */
  sequenceLength?: number;
}

const LOWP_TO_ORT: Record<string, string> = {
  F32: 'float32', F64: 'float64', F16: 'float16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U8: 'uint8', U16: 'uint16', U32: 'uint32', U64: 'uint64', BOOL: 'bool',
};

/** The values each integer type holds (64-bit ones as far as a number is exact). */
const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

const INT_TYPES = new Set(Object.keys(INT_RANGES));

/** onnxruntime's names of ONNX element types. */
const ORT_TYPES: Record<number, string> = {
  [T.FLOAT]: 'float32', [T.UINT8]: 'uint8', [T.INT8]: 'int8', [T.UINT16]: 'uint16', [T.INT16]: 'int16', [T.INT32]: 'int32',
  [T.INT64]: 'int64', [T.STRING]: 'string', [T.BOOL]: 'bool', [T.FLOAT16]: 'float16', [T.DOUBLE]: 'float64',
  [T.UINT32]: 'uint32', [T.UINT64]: 'uint64', [T.BFLOAT16]: 'bfloat16',
};

/**
 * The inputs a run must feed, from the model file (the graph's inputs that no initializer backs), in
 * onnxruntime's terms: element type names, dimensions as numbers or symbolic names (`?<i>` when the
 * file leaves one unnamed).
 */
export function fileInputMetadata(g: OnnxGraph): OrtValueMetadata[] {
  const inits = new Set(g.initializers.map((t) => t.name));
  return g.inputs
    .filter((v) => !inits.has(v.name))
    .map((v) => {
      const t = v.type;
      if (t === undefined || t.kind !== 'tensor') return { name: v.name, isTensor: t === undefined };
      return { name: v.name, isTensor: true, type: ORT_TYPES[t.elemType] ?? `onnx:${t.elemType}`, shape: t.shape?.map((d, i) => (d === null ? `?${i}` : d)) };
    });
}

function isRandom(x: TraceInput): x is RandomTokens {
  return typeof x === 'object' && x !== null && 'random' in x;
}

function isNpy(x: TraceInput): x is NpyArray {
  return typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'data' in x;
}

function elementsOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function checkShape(name: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TraceError('INPUT', `expected the shape of input '${name}' as non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** A typed array of `type` with `n` elements filled by `f` (integers as numbers or bigints). */
function filled(type: string, n: number, f: (i: number) => number): unknown {
  switch (type) {
    case 'int64': { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = BigInt(f(i)); return a; }
    case 'uint64': { const a = new BigUint64Array(n); for (let i = 0; i < n; i++) a[i] = BigInt(f(i)); return a; }
    case 'int32': return Int32Array.from({ length: n }, (_, i) => f(i));
    case 'uint32': return Uint32Array.from({ length: n }, (_, i) => f(i));
    case 'int16': return Int16Array.from({ length: n }, (_, i) => f(i));
    case 'uint16': return Uint16Array.from({ length: n }, (_, i) => f(i));
    case 'int8': return Int8Array.from({ length: n }, (_, i) => f(i));
    case 'uint8': case 'bool': return Uint8Array.from({ length: n }, (_, i) => f(i));
    case 'float32': return Float32Array.from({ length: n }, (_, i) => f(i));
    case 'float64': return Float64Array.from({ length: n }, (_, i) => f(i));
    case 'float16': {
      // only 0 and 1 are ever made here: their fp16 bit patterns
      return Uint16Array.from({ length: n }, (_, i) => (f(i) === 0 ? 0 : 0x3c00));
    }
    default:
      throw new TraceError('INPUT', `expected an input type lowp can fill (int, float, bool), got ${type}`);
  }
}

/** Converts the values of an integer or float array to another type of the same kind. */
function converted(name: string, data: ArrayLike<number | bigint>, from: string, to: string): unknown {
  const n = data.length;
  if (INT_TYPES.has(from) && INT_TYPES.has(to)) {
    const [min, max] = INT_RANGES[to];
    return filled(to, n, (i) => {
      const v = Number(data[i]);
      // a typed array would wrap a value outside the type's range (2^31 into int32 is -2^31)
      if (!Number.isSafeInteger(v) || v < min || v > max) throw new TraceError('INPUT', `expected integer values of input '${name}' to fit ${to}, got ${String(data[i])}`);
      return v;
    });
  }
  if ((from === 'float32' || from === 'float64') && (to === 'float32' || to === 'float64')) {
    return to === 'float32' ? Float32Array.from(data as ArrayLike<number>) : Float64Array.from(data as ArrayLike<number>);
  }
  throw new TraceError('INPUT', `expected input '${name}' of type ${to}, got ${from}`);
}

/** Dimension names, by role, in what the model's metadata calls them. */
function role(sym: string): 'batch' | 'past' | 'total' | 'seq' | undefined {
  const s = sym.toLowerCase();
  if (s.includes('batch')) return 'batch';
  if (s.includes('total') || s.includes('+')) return 'total';
  if (s.includes('past')) return 'past';
  if (s.includes('seq') || s.includes('length') || s.includes('token')) return 'seq';
  return undefined;
}

/**
 * The feeds of a run: the given inputs (checked against the session's input metadata, integer and
 * float arrays converted to the type the model wants), then the missing ones made as a first decoding
 * step makes them. Throws {@link TraceError} `INPUT`.
 */
export function buildFeeds(
  ort: OrtModuleLike,
  metadata: readonly OrtValueMetadata[],
  given: Readonly<Record<string, TraceInput>>,
  vocabOf: (input: string) => number | undefined,
  options: FeedOptions = {},
): { feeds: Record<string, OrtTensorLike>; info: TraceInputInfo[] } {
  const byName = new Map(metadata.map((m) => [m.name, m]));
  for (const name of Object.keys(given)) {
    if (!byName.has(name)) throw new TraceError('INPUT', `expected inputs of the model (${metadata.map((m) => m.name).join(', ')}), got '${name}'`);
  }
  // by name, without a prototype: an input may be called __proto__ or constructor
  const feeds: Record<string, OrtTensorLike> = Object.create(null);
  const givenOf = (name: string): TraceInput | undefined => (Object.hasOwn(given, name) ? given[name] : undefined);
  const info: TraceInputInfo[] = [];
  const symbols = new Map<string, number>();
  const rand = createRng(options.seed ?? 0);
  let batch: number | undefined = options.batch;
  let seq: number | undefined = options.sequenceLength;

  const bind = (m: OrtValueMetadata, shape: readonly number[]): void => {
    const ms = m.shape ?? [];
    if (ms.length !== shape.length && ms.length > 0) throw new TraceError('INPUT', `expected input '${m.name}' of rank ${ms.length} ([${ms.join(', ')}]), got shape [${shape.join(', ')}]`);
    ms.forEach((d, i) => {
      if (typeof d === 'number') {
        if (d >= 0 && d !== shape[i]) throw new TraceError('INPUT', `expected dimension ${i} of input '${m.name}' to be ${d}, got ${shape[i]}`);
        return;
      }
      const prev = symbols.get(d);
      if (prev !== undefined && prev !== shape[i]) throw new TraceError('INPUT', `expected dimension '${d}' of input '${m.name}' to be ${prev} (as in another input), got ${shape[i]}`);
      symbols.set(d, shape[i]);
      const r = role(d);
      if (r === 'batch' && batch === undefined) batch = shape[i];
      if (r === 'seq' && seq === undefined) seq = shape[i];
    });
  };

  // the given inputs first: they fix the symbolic dimensions
  for (const m of metadata) {
    const x = givenOf(m.name);
    if (x === undefined) continue;
    const want = m.type ?? 'float32';
    if (isRandom(x)) {
      const shape = checkShape(m.name, x.random);
      const vocab = x.vocab ?? options.vocab ?? vocabOf(m.name);
      if (vocab === undefined || !Number.isSafeInteger(vocab) || vocab < 1) {
        throw new TraceError('INPUT', `expected a vocabulary size for random ids of input '${m.name}' (none found in the model): give one (vocab)`);
      }
      if (!INT_TYPES.has(want)) throw new TraceError('INPUT', `expected an integer input for random token ids, got '${m.name}' of type ${want}`);
      bind(m, shape);
      feeds[m.name] = new ort.Tensor(want, filled(want, elementsOf(shape), () => Math.floor(rand() * vocab)), shape);
      info.push({ name: m.name, type: want, shape, source: 'random' });
      continue;
    }
    let type: string;
    let data: unknown;
    let shape: number[];
    if (isNpy(x)) {
      type = LOWP_TO_ORT[x.dtype] ?? '';
      if (type === '') throw new TraceError('INPUT', `expected input '${m.name}' as a numeric array, got dtype ${String(x.dtype)}`);
      data = x.data;
      shape = checkShape(m.name, x.shape);
    } else if (typeof x === 'object' && x !== null && 'dims' in x && 'type' in x) {
      type = x.type;
      data = x.data;
      shape = checkShape(m.name, x.dims);
    } else {
      throw new TraceError('INPUT', `expected input '${m.name}' as an array ({ dtype, shape, data }), an onnxruntime tensor or { random: shape }, got ${typeof x}`);
    }
    if ((data as ArrayLike<unknown>).length !== elementsOf(shape)) {
      throw new TraceError('INPUT', `expected ${elementsOf(shape)} values for input '${m.name}' of shape [${shape.join(', ')}], got ${(data as ArrayLike<unknown>).length}`);
    }
    if (type !== want) data = converted(m.name, data as ArrayLike<number>, type, want);
    bind(m, shape);
    feeds[m.name] = new ort.Tensor(want, data, shape);
    info.push({ name: m.name, type: want, shape, source: 'given' });
  }

  const B = batch ?? 1;
  const S = seq ?? 16;
  const past = 0;
  const dim = (m: OrtValueMetadata, d: number | string, i: number, fallback?: number): number => {
    if (typeof d === 'number' && d >= 0) return d;
    const sym = String(d);
    const known = symbols.get(sym);
    if (known !== undefined) return known;
    const r = role(sym);
    const v = r === 'batch' ? B : r === 'past' ? past : r === 'total' ? past + S : r === 'seq' ? S : fallback;
    if (v === undefined) throw new TraceError('INPUT', `expected a value for dimension ${i} ('${sym}') of input '${m.name}', got none: give the input`);
    return v;
  };

  for (const m of metadata) {
    if (givenOf(m.name) !== undefined) continue;
    const type = m.type ?? 'float32';
    const name = m.name.toLowerCase();
    const ms = m.shape ?? [];
    let source: TraceInputInfo['source'];
    let shape: number[];
    let f: (i: number) => number;
    if (/past|cache/.test(name) && !/position|branch/.test(name) && (type === 'float32' || type === 'float16' || type === 'float64')) {
      source = 'empty-cache';
      shape = ms.map((d, i) => dim(m, d, i, past));
      f = () => 0;
    } else if (name.includes('use_cache_branch')) {
      source = 'false';
      shape = ms.map((d, i) => dim(m, d, i, 1));
      f = () => 0;
    } else if (name.includes('attention_mask')) {
      source = 'ones';
      shape = ms.length === 2 ? [dim(m, ms[0], 0, B), past + S] : ms.map((d, i) => dim(m, d, i, 1));
      f = () => 1;
    } else if (name.includes('position_ids') || name.includes('cache_position')) {
      source = 'positions';
      shape = ms.map((d, i) => dim(m, d, i, i === ms.length - 1 ? S : B));
      const last = shape[shape.length - 1] ?? 1;
      f = (i) => past + (i % last);
    } else if (name.includes('token_type_ids')) {
      source = 'zeros';
      shape = ms.map((d, i) => dim(m, d, i));
      f = () => 0;
    } else if ((name.endsWith('input_ids') || name.endsWith('_ids')) && INT_TYPES.has(type)) {
      source = 'random';
      shape = ms.map((d, i) => dim(m, d, i, i === 0 ? B : S));
      const vocab = options.vocab ?? vocabOf(m.name);
      if (vocab === undefined) throw new TraceError('INPUT', `expected a vocabulary size for random ids of input '${m.name}' (none found in the model): give the input or a vocab`);
      f = () => Math.floor(rand() * vocab);
    } else {
      throw new TraceError('INPUT', `expected a value for input '${m.name}' (${type} [${ms.join(', ')}]), got none: give it (e.g. --input ${m.name}=file.npy)`);
    }
    feeds[m.name] = new ort.Tensor(type, filled(type, elementsOf(shape), f), shape);
    info.push({ name: m.name, type, shape, source });
  }
  return { feeds, info };
}
