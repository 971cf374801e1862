// The shared fuzz harness of lowp/io's readers: what a reader supplies (a FuzzTarget: valid seed files
// with the tensors they must yield, a function that opens bytes and reads everything, the reader's error
// class, optionally a slow reference decoder and a description of its records), the mutations the
// harness applies to the seeds, and `readAll`, which reads every tensor of a TensorReader whole, as
// floats and in chunks and checks that the three agree.
//
// HOW A READER PLUGS IN (see docs/robustness.md for the whole story)
//
//   1. tests/fuzz/targets/<name>.ts, default export a FuzzTarget (targets/gguf-layout.ts is a full example):
//
//        import { GgufError, openGguf } from '../../../src/io/index.js';
//        import { readAll, type FuzzTarget } from '../harness.js';
//        const target: FuzzTarget = {
//          name: 'gguf',                      // corpus: tests/fixtures/corpus/gguf/
//          errors: GgufError,                 // every failure must be instanceof this, with a documented code
//          seeds: [{ name: 'small', bytes: seedBytes, tensors: [{ name: 'w', dtype: 'F32', shape: [2], bytes: w }],
//                    payload: [{ tensor: 'w', fileOffset: 96, byteLength: 8 }] }],  // optional: verbatim data
//          read: async (bytes, ctx) => readAll(await openGguf(ctx.source(bytes))), // ctx.source counts reads
//          reference: (bytes) => [...] | 'invalid' | 'unknown', // optional: slow decoding of an accepted file
//          records: (bytes) => [{ items: [{ start, end }, ...], reframe }],   // optional: sibling records
//          structured: (seed) => fc.array(editArb).map((e) => applyEdits(seed, e)), // optional: mutants
//        };
//        export default target;
//
//   2. tests/fuzz/<name>.fuzz.test.ts:   import { fuzzSuite } from './suite.js'; fuzzSuite('gguf');
//
//   3. npx vitest run tests/fuzz/<name>.fuzz.test.ts      (CI-sized: a few seconds)
//      npm run fuzz -- --target <name> --minutes 5        (long run; replay: --seed S [--path P] --property mutations)
//
// Targets run in a worker thread (tests/fuzz/worker.mjs) whose allocation guards, read budget and
// watchdog catch what a property cannot catch from inside: hangs, allocations driven by declared sizes,
// runaway reads. A target module must therefore not import vitest. Failing inputs are saved to
// $TMPDIR/lowp-fuzz/ and the message says how to add one to tests/fixtures/corpus/<name>/ (expected.json).
import fc from 'fast-check';
import { LowpIoError, type IoErrorClass } from '../../src/io/errors.js';
import { codecBytes, elementCodec, isTensorDType } from '../../src/io/elements.js';
import type { ByteSource } from '../../src/io/source.js';
import type { TensorInfo, TensorReader } from '../../src/io/reader.js';

/** A tensor as a file must yield it: its stored bytes (contiguous, C order, in its dtype's storage). */
export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: readonly number[];
  /** The stored bytes (what `tensor()` returns, as bytes). */
  bytes: Uint8Array;
}

/** A tensor as the reader returned it. */
export interface ReadTensor extends ExpectedTensor {
  /** Elements the reader announced (must be the product of the shape). */
  elements: number;
  /** Stored bytes the reader announced (must be the codec's size of `elements`, and `bytes.length`). */
  byteLength: number;
  /**
   * Where the stored bytes lie in the file, when they lie there verbatim (safetensors, .npy, GGUF): the
   * harness then checks that they are exactly `storedOf(file[offset, offset + byteLength))`.
   */
  offset?: number;
}

/** File bytes that hold a tensor's stored bytes verbatim: file byte `fileOffset + i` is stored byte `i`. */
export interface PayloadRange {
  tensor: string;
  fileOffset: number;
  byteLength: number;
}

/** A valid file and what reading it must give. */
export interface FuzzSeed {
  name: string;
  bytes: Uint8Array;
  /** Every tensor the file holds, in any order. */
  tensors: readonly ExpectedTensor[];
  /**
   * Tensor data that may take any value without making the file invalid: a mutation there must be read
   * back exactly (the "never misreads" check that needs no reference decoder).
   */
  payload?: readonly PayloadRange[];
}

/** One list of sibling records of a file (tensor entries, key/value pairs, dict items...). */
export interface RecordList {
  /**
   * Byte ranges of the records, in file order. They must be contiguous, or separated by exactly
   * `separator`: the harness rebuilds the region from the first start to the last end.
   */
  items: ReadonlyArray<{ start: number; end: number }>;
  /** Bytes between two records (`,` for JSON members); none by default. */
  separator?: Uint8Array;
  /**
   * Repairs the framing after the region changed (a length prefix, a record count), so that the
   * mutation reaches the record parser instead of failing at the framing. Optional.
   */
  reframe?(bytes: Uint8Array, change: RecordChange): Uint8Array;
}

/** What a record mutation changed, for {@link RecordList.reframe}. */
export interface RecordChange {
  /** First byte of the region (unchanged). */
  start: number;
  /** End of the region before and after the change. */
  oldEnd: number;
  newEnd: number;
  /** Record counts before and after. */
  oldCount: number;
  newCount: number;
}

/** What the harness gives a target's `read`. */
export interface FuzzContext {
  /**
   * A ByteSource over `bytes` (read, readSync, readInto, readIntoSync) that counts bytes and calls
   * against the case's read budget; use it rather than the bytes where the reader takes a source. Its
   * own range errors are `errors` (default: the target's class; CheckpointError for the dispatcher).
   */
  source(bytes: Uint8Array, name?: string, errors?: IoErrorClass): ByteSource;
}

/** A slow, obviously-correct decoding: the tensors, or that the file is invalid, or that it cannot judge. */
export type ReferenceResult = readonly ExpectedTensor[] | 'invalid' | 'unknown';

/** A reader under fuzzing. */
export interface FuzzTarget {
  /** Short name: the corpus folder (tests/fixtures/corpus/<name>/) and messages. */
  name: string;
  /** The reader's error class: every failure must be an instance (LowpIoError for the dispatcher). */
  errors: abstract new (...args: never[]) => LowpIoError;
  /**
   * Codes allowed beyond the check that every code is documented for its error class in
   * src/io/errors.ts; leave undefined unless a target must be stricter (then only these pass).
   */
  codes?: readonly string[];
  /** Valid files; each must read back exactly its `tensors`. */
  seeds: readonly FuzzSeed[];
  /**
   * Opens `bytes` and reads every tensor (whole, and in chunks where the reader streams), returning
   * them; throws the reader's error for an invalid file. Cross-check entry points here (sync vs async,
   * bytes vs source) and throw a plain Error when they disagree: any non-LowpIoError is a failure.
   */
  read(bytes: Uint8Array, ctx: FuzzContext): Promise<readonly ReadTensor[]>;
  /** Slow, obviously-correct decoding of a file the reader accepted (checked against what it read). */
  reference?(bytes: Uint8Array): ReferenceResult;
  /** The record lists of a seed, for duplicated, dropped, reordered and replaced records. */
  records?(bytes: Uint8Array): readonly RecordList[];
  /** Format-aware mutants of a seed (whole new files), checked like every mutant. */
  structured?(seed: FuzzSeed): fc.Arbitrary<Uint8Array>;
  /** Magic numbers and other prefixes that random bytes are appended to. */
  prefixes?: readonly Uint8Array[];
  /** Maps file bytes to stored bytes for {@link ReadTensor.offset} checks (.npy booleans read as 0/1). */
  storedOf?(dtype: string, fileBytes: Uint8Array): Uint8Array;
  /**
   * Largest sum of tensor bytes per file byte (default 1: tensors come from the file, no sharing; more
   * where tensors may share storage, or come from other files, as a sharded index's).
   */
  expansion?: number;
  /** Budgets per case: bytes read and allocated per file byte, and floors (see docs/robustness.md). */
  budget?: Partial<Budget>;
  /**
   * What every error message must match (default /expected/: the house rule says what was expected
   * and what came). Loosen it only for a documented exception, and say why.
   */
  messagePattern?: RegExp;
  /** Runs per property at scale 1 (CI). Defaults in DEFAULT_RUNS. */
  runs?: Partial<Record<PropertyName, number>>;
  /** Extra corpus folders to replay (with an expected.json of { file: { code, what } }). */
  corpus?: readonly string[];
  /** Extension of the files saved from failures ('.safetensors'); default '.bin'. */
  extension?: string;
}

/** Per-case resource budgets: a case fails when it exceeds factor × file size + floor. */
export interface Budget {
  /** Bytes read through ctx.source, per file byte. Default 64. */
  readFactor: number;
  /** Read calls through ctx.source, per file byte. Default 8. */
  callFactor: number;
  /** Bytes of ArrayBuffers and typed arrays allocated, per file byte. Default 64. */
  allocFactor: number;
  /** Floor of the read budget in bytes (and of calls × 16). Default 16384. */
  readFloor: number;
  /** Floor of the allocation budget in bytes. Default 1 MiB. */
  allocFloor: number;
}

export const DEFAULT_BUDGET: Budget = { readFactor: 64, callFactor: 8, allocFactor: 64, readFloor: 16384, allocFloor: 1 << 20 };

/** The properties the runner checks, in order. */
export const PROPERTY_NAMES = ['seeds', 'payload', 'mutations', 'records', 'structured', 'random', 'corpus'] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

/** Runs per property at scale 1: sized so that a target takes a few seconds on a loaded 2-core machine. */
export const DEFAULT_RUNS: Record<PropertyName, number> = {
  seeds: 1,
  payload: 60,
  mutations: 400,
  records: 120,
  structured: 150,
  random: 200,
  corpus: 1,
};

// ---------------------------------------------------------------------------------------------------
// Reading everything from a TensorReader

/** A failed harness check (never a LowpIoError, so the property fails). */
export class FuzzCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzCheckError';
  }
}

/**
 * How a call ended, to compare entry points that must agree: `<name> <code>` for a lowp error, the
 * name and message of anything else.
 */
export function outcomeOf(e: unknown): string {
  return e instanceof LowpIoError ? `${e.name} ${e.code}` : `${(e as Error)?.name}: ${(e as Error)?.message}`;
}

/** The bytes of a typed array, as a fresh copy. */
export function bytesOfView(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function sameFloat(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Options of {@link readAll}. */
export interface ReadAllOptions {
  /** Where a tensor's stored bytes lie in the file; default: its `byteOffset` field when a number. */
  offsetOf?(t: TensorInfo): number | undefined;
  /** Tensors not to read (a format's documented "listed, not read" tensors); their infos are still checked. */
  skip?(t: TensorInfo): boolean;
  /** Close the reader at the end and check that a read after close is a CLOSED error. Default true. */
  close?: boolean;
}

/**
 * Reads every tensor of `reader` whole (`tensor`), as float64 (`readFloat`), in float64 chunks of a
 * small odd size with `reuse`, and in natural chunks; throws a {@link FuzzCheckError} when they
 * disagree with each other or with the tensor list, and returns what `tensor()` gave. Reader errors
 * propagate unchanged (the property checks them).
 */
export async function readAll(reader: TensorReader, options: ReadAllOptions = {}): Promise<ReadTensor[]> {
  const out: ReadTensor[] = [];
  const names = reader.names();
  if (names.length !== reader.tensors.length || names.some((n, i) => n !== reader.tensors[i].name)) {
    throw new FuzzCheckError('names() disagrees with tensors');
  }
  if (new Set(names).size !== names.length) throw new FuzzCheckError(`tensor names repeat: ${names.slice(0, 8).join(', ')}`);
  for (const t of reader.tensors) {
    // every listed tensor's info holds, read or not
    let product = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0 || Object.is(d, -0)) throw new FuzzCheckError(`info('${t.name.slice(0, 60)}'): shape entry ${Object.is(d, -0) ? '-0' : d} is not a non-negative safe integer`);
      product *= d;
    }
    if (t.elements !== product || !Number.isSafeInteger(t.elements)) throw new FuzzCheckError(`info('${t.name.slice(0, 60)}'): elements ${t.elements}, product of the shape ${product}`);
    if (!Number.isSafeInteger(t.byteLength) || t.byteLength < 0) throw new FuzzCheckError(`info('${t.name.slice(0, 60)}'): byteLength ${t.byteLength} is not a non-negative safe integer`);
  }
  try {
    for (const t of reader.tensors) {
      if (options.skip?.(t)) continue;
      if (!reader.has(t.name) || reader.info(t.name) !== t) throw new FuzzCheckError(`has()/info() disagree with tensors for '${t.name}'`);
      const whole = await reader.tensor(t.name);
      if (whole.dtype !== t.dtype || whole.shape.length !== t.shape.length || whole.shape.some((d, i) => d !== t.shape[i])) {
        throw new FuzzCheckError(`tensor('${t.name}') returned ${whole.dtype} [${whole.shape}], its info says ${t.dtype} [${t.shape}]`);
      }
      const bytes = bytesOfView(whole.data);
      const f64 = await reader.readFloat(t.name, { as: 'float64' });
      if (f64.length !== t.elements) throw new FuzzCheckError(`readFloat('${t.name}') returned ${f64.length} values for ${t.elements} elements`);
      const k = 1 + (t.elements % 5);
      let at = 0;
      for await (const c of reader.chunks(t.name, { elements: k, as: 'float64', reuse: true })) {
        if (c.start !== at) throw new FuzzCheckError(`chunks('${t.name}') skipped from ${at} to ${c.start}`);
        for (let i = 0; i < c.data.length; i++) {
          if (!sameFloat(c.data[i], f64[at + i])) throw new FuzzCheckError(`chunks('${t.name}') element ${at + i} is ${c.data[i]}, readFloat says ${f64[at + i]}`);
        }
        at += c.data.length;
        if (at > t.elements) throw new FuzzCheckError(`chunks('${t.name}') yielded more than ${t.elements} elements`);
      }
      if (at !== t.elements) throw new FuzzCheckError(`chunks('${t.name}') yielded ${at} of ${t.elements} elements`);
      const codec = isTensorDType(t.dtype) ? elementCodec(t.dtype) : undefined;
      if (codec !== undefined && codec.granule === 1 && codec.unitBytes * t.elements === bytes.length) {
        // natural chunks (fresh arrays) must be the stored bytes themselves; types whose natural array is
        // raw bytes (fp8 fnuz, packed and block types) chunk as float32 by default, checked above as floats
        let pos = 0;
        for await (const c of reader.chunks(t.name, { elements: 2 + (t.elements % 3) })) {
          if (c.data.constructor !== whole.data.constructor) break;
          const b = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
          if (c.start * codec.unitBytes !== pos || !sameBytes(b, bytes.subarray(pos, pos + b.length))) {
            throw new FuzzCheckError(`natural chunks('${t.name}') differ from tensor() at byte ${pos}`);
          }
          pos += b.length;
        }
        if (t.elements > 0 && pos > 0 && pos !== bytes.length) throw new FuzzCheckError(`natural chunks('${t.name}') gave ${pos} of ${bytes.length} bytes`);
      }
      const o = options.offsetOf ? options.offsetOf(t) : (t as { byteOffset?: unknown }).byteOffset;
      out.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], elements: t.elements, byteLength: t.byteLength, bytes, offset: typeof o === 'number' ? o : undefined });
    }
  } finally {
    if (options.close !== false) await reader.close();
  }
  const first = reader.tensors.find((t) => !options.skip?.(t));
  if (options.close !== false && first !== undefined) {
    let closedError: unknown;
    try {
      await reader.tensor(first.name);
    } catch (e) {
      closedError = e;
    }
    if ((closedError as { code?: unknown } | undefined)?.code !== 'CLOSED') throw new FuzzCheckError(`a read after close() gave ${closedError === undefined ? 'data' : String(closedError)}, expected a CLOSED error`);
  }
  return out;
}

/** Checks the invariants of one read tensor against the file; throws FuzzCheckError. */
export function checkTensor(t: ReadTensor, file: Uint8Array, storedOf?: (dtype: string, b: Uint8Array) => Uint8Array): void {
  const where = `tensor '${t.name.slice(0, 60)}' (${t.dtype} [${t.shape.join(', ')}])`;
  let elements = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0 || Object.is(d, -0)) throw new FuzzCheckError(`${where}: shape entry ${Object.is(d, -0) ? '-0' : d} is not a non-negative safe integer`);
    elements *= d;
  }
  if (!Number.isSafeInteger(elements) || elements !== t.elements) throw new FuzzCheckError(`${where}: elements ${t.elements}, product of the shape ${elements}`);
  if (!isTensorDType(t.dtype)) throw new FuzzCheckError(`${where}: dtype '${t.dtype}' has no element codec`);
  const want = codecBytes(elementCodec(t.dtype), elements);
  if (t.byteLength !== want) throw new FuzzCheckError(`${where}: byteLength ${t.byteLength}, dtype × shape needs ${want}`);
  if (t.bytes.length !== want) throw new FuzzCheckError(`${where}: read ${t.bytes.length} bytes, dtype × shape needs ${want}`);
  if (t.offset !== undefined) {
    if (!Number.isSafeInteger(t.offset) || t.offset < 0 || t.offset + t.byteLength > file.length) {
      throw new FuzzCheckError(`${where}: bytes [${t.offset}, ${t.offset + t.byteLength}) outside a file of ${file.length}`);
    }
    const raw = file.subarray(t.offset, t.offset + t.byteLength);
    const stored = storedOf ? storedOf(t.dtype, raw) : raw;
    if (!sameBytes(stored, t.bytes)) throw new FuzzCheckError(`${where}: the bytes read differ from the file's bytes at offset ${t.offset}`);
  }
}

/** Compares what was read with what must be read (any order); throws FuzzCheckError naming the first difference. */
export function compareTensors(got: readonly ExpectedTensor[], want: readonly ExpectedTensor[], label: string): void {
  if (got.length !== want.length) {
    throw new FuzzCheckError(`${label}: ${got.length} tensors (${got.map((t) => t.name).slice(0, 6).join(', ')}), expected ${want.length} (${want.map((t) => t.name).slice(0, 6).join(', ')})`);
  }
  const byName = new Map(want.map((t) => [t.name, t]));
  for (const g of got) {
    const w = byName.get(g.name);
    if (w === undefined) throw new FuzzCheckError(`${label}: unexpected tensor '${g.name.slice(0, 60)}'`);
    if (g.dtype !== w.dtype) throw new FuzzCheckError(`${label}: '${g.name}' is ${g.dtype}, expected ${w.dtype}`);
    if (g.shape.length !== w.shape.length || g.shape.some((d, i) => d !== w.shape[i])) throw new FuzzCheckError(`${label}: '${g.name}' has shape [${g.shape}], expected [${w.shape}]`);
    if (!sameBytes(g.bytes, w.bytes)) {
      let i = 0;
      while (i < g.bytes.length && g.bytes[i] === w.bytes[i]) i++;
      throw new FuzzCheckError(`${label}: '${g.name}' differs at stored byte ${i} of ${w.bytes.length} (${g.bytes[i]} vs ${w.bytes[i]})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Mutations

/** One mutation of a file; positions are taken modulo the current length, so any value applies. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'word'; at: number; width: 2 | 4 | 8; value: bigint; relative: boolean; bigEndian: boolean }
  | { op: 'cut'; at: number }
  | { op: 'cutAt'; k: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; length: number }
  | { op: 'copy'; from: number; length: number; to: number; overwrite: boolean }
  | { op: 'swap'; a: number; b: number; length: number };

/** A record mutation: list `list`, record `i` (and `j`), all modulo the counts. */
export interface RecordOp {
  list: number;
  kind: 'dup' | 'delete' | 'swap' | 'move' | 'replace';
  i: number;
  j: number;
}

/** A mutation plan: which seed, record operations first (on the seed's records), then byte mutations. */
export interface Plan {
  seed: number;
  records: RecordOp[];
  mutations: Mutation[];
}

/** Bytes that parsers treat specially. */
const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x20, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x5d, 0x7b, 0x7d, 0x0a, 0xfe];

/** Values written as little- or big-endian words: limits, and (relative) the file size and around it. */
const INTERESTING_WORDS: bigint[] = [
  0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];
/** Deltas added to the file size for `relative` words. */
const RELATIVE_WORDS: bigint[] = [0n, 1n, -1n, 8n, -8n, 64n, 1n << 20n];

const pos = fc.nat({ max: 1 << 20 });

/** The generic byte-level mutations. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('byte' as const), at: pos, value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat({ max: 255 })) }) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.record({ op: fc.constant('word' as const), at: pos, width: fc.constantFrom(2 as const, 4 as const, 8 as const), value: fc.constantFrom(...INTERESTING_WORDS), relative: fc.constant(false), bigEndian: fc.boolean() }),
      fc.record({ op: fc.constant('word' as const), at: pos, width: fc.constantFrom(4 as const, 8 as const), value: fc.constantFrom(...RELATIVE_WORDS), relative: fc.constant(true), bigEndian: fc.constant(false) }),
    ),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cut' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cutAt' as const), k: fc.nat({ max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: pos, bytes: fc.array(fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat({ max: 255 })), { minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: pos, length: fc.integer({ min: 1, max: 64 }), to: pos, overwrite: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), a: pos, b: pos, length: fc.integer({ min: 1, max: 32 }) }) },
);

export const recordOpArb: fc.Arbitrary<RecordOp> = fc.record({
  list: fc.nat({ max: 7 }),
  kind: fc.constantFrom('dup' as const, 'delete' as const, 'swap' as const, 'move' as const, 'replace' as const),
  i: fc.nat({ max: 1023 }),
  j: fc.nat({ max: 1023 }),
});

function writeWord(b: Uint8Array, at: number, width: number, value: bigint, bigEndian: boolean): void {
  let v = BigInt.asUintN(width * 8, value);
  for (let k = 0; k < width; k++) {
    b[bigEndian ? at + width - 1 - k : at + k] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Applies one byte-level mutation; `boundaries` are the positions `cutAt` chooses from. */
export function applyMutation(input: Uint8Array, m: Mutation, boundaries: readonly number[]): Uint8Array {
  const n = input.length;
  switch (m.op) {
    case 'flip': {
      if (n === 0) return input;
      const b = input.slice();
      b[m.at % n] ^= 1 << m.bit;
      return b;
    }
    case 'byte': {
      if (n === 0) return input;
      const b = input.slice();
      b[m.at % n] = m.value;
      return b;
    }
    case 'word': {
      if (n < m.width) return input;
      const b = input.slice();
      let at = m.at % (n - m.width + 1);
      at -= at % m.width; // aligned, where length fields usually are
      writeWord(b, at, m.width, m.relative ? BigInt(n) + m.value : m.value, m.bigEndian);
      return b;
    }
    case 'cut':
      return input.slice(0, m.at % (n + 1));
    case 'cutAt': {
      const cuts = boundaries.filter((x) => x >= 0 && x < n);
      return cuts.length === 0 ? input : input.slice(0, cuts[m.k % cuts.length]);
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return cat(input.subarray(0, at), Uint8Array.from(m.bytes), input.subarray(at));
    }
    case 'delete': {
      if (n === 0) return input;
      const at = m.at % n;
      return cat(input.subarray(0, at), input.subarray(Math.min(n, at + m.length)));
    }
    case 'copy': {
      if (n === 0) return input;
      const from = m.from % n;
      const chunk = input.slice(from, Math.min(n, from + m.length));
      const to = m.to % (n + 1);
      if (!m.overwrite) return cat(input.subarray(0, to), chunk, input.subarray(to));
      const b = input.slice();
      b.set(chunk.subarray(0, Math.max(0, n - to)), Math.min(to, n));
      return b;
    }
    case 'swap': {
      if (n < 2) return input;
      const len = Math.min(m.length, n >> 1);
      let a = m.a % (n - len + 1);
      let c = m.b % (n - len + 1);
      if (a > c) [a, c] = [c, a];
      if (c < a + len) return input;
      const b = input.slice();
      b.set(input.subarray(c, c + len), a);
      b.set(input.subarray(a, a + len), c);
      return b;
    }
  }
}

/** Applies one record operation to `bytes` (whose record lists are `lists`). */
export function applyRecordOp(bytes: Uint8Array, lists: readonly RecordList[], op: RecordOp): Uint8Array {
  const usable = lists.filter((l) => l.items.length > 0);
  if (usable.length === 0) return bytes;
  const list = usable[op.list % usable.length];
  const items = list.items.map((r) => bytes.subarray(r.start, r.end));
  const n = items.length;
  const i = op.i % n;
  const j = op.j % n;
  const next = items.slice();
  switch (op.kind) {
    case 'dup':
      next.splice(j + 1, 0, items[i]);
      break;
    case 'delete':
      next.splice(i, 1);
      break;
    case 'swap':
      [next[i], next[j]] = [next[j], next[i]];
      break;
    case 'move': {
      const [x] = next.splice(i, 1);
      next.splice(j, 0, x);
      break;
    }
    case 'replace':
      next[i] = items[j];
      break;
  }
  const start = list.items[0].start;
  const oldEnd = list.items[n - 1].end;
  const sep = list.separator ?? new Uint8Array(0);
  const parts: Uint8Array[] = [];
  next.forEach((x, k) => {
    if (k > 0) parts.push(sep);
    parts.push(x);
  });
  const region = cat(...parts);
  // deleting the only record of a list with a separator leaves an empty region, as it should
  const out = cat(bytes.subarray(0, start), region, bytes.subarray(oldEnd));
  const change: RecordChange = { start, oldEnd, newEnd: start + region.length, oldCount: n, newCount: next.length };
  return list.reframe ? list.reframe(out, change) : out;
}

/** Positions worth truncating at: the first bytes, record and payload boundaries, the last byte. */
export function boundariesOf(seed: FuzzSeed, lists: readonly RecordList[]): number[] {
  const set = new Set<number>();
  for (let k = 0; k <= 16; k++) set.add(k);
  for (const l of lists) for (const r of l.items) set.add(r.start).add(r.end).add(r.end - 1).add(r.start + 1);
  for (const p of seed.payload ?? []) set.add(p.fileOffset).add(p.fileOffset + p.byteLength).add(p.fileOffset + p.byteLength - 1);
  set.add(seed.bytes.length - 1);
  return [...set].filter((x) => x >= 0 && x < seed.bytes.length).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------
// Small builders shared by targets

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Little-endian bytes of typed-array values (host order is little-endian on every platform we run). */
export const le = (a: ArrayBufferView): Uint8Array => bytesOfView(a);

/**
 * Ranges of the members ("key": value) of the JSON object that starts at `objStart` in `text`, in
 * characters (equal to bytes for ASCII text, which is what seeds use).
 */
export function jsonMembers(text: string, objStart: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let i = objStart + 1;
  let depth = 0;
  let inString = false;
  let memberStart = -1;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      if (depth === 0 && memberStart < 0) memberStart = i;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) {
        if (memberStart >= 0) out.push({ start: memberStart, end: i });
        break;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      out.push({ start: memberStart, end: i });
      memberStart = -1;
    }
  }
  return out;
}
