// The fuzz properties, run inside the worker that tests/fuzz/worker.mjs starts (its allocation guard is
// armed around every case): for each case, the reader either returns tensors that pass every check
// (sizes = dtype × shape, bytes from the file where it says where, agreement with a reference decoder,
// the exact expected values for mutations that keep a file valid) or throws an instance of its error
// class with a documented code and a one-line message; and it stays within its read and allocation
// budgets, leaves its input and the built-in prototypes alone. Each property reports its seed, and on
// failure fast-check's path and the shrunk counterexample, whose bytes are saved for the corpus.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { CheckpointError, LowpIoError, type IoErrorClass } from '../../src/io/errors.js';
import { bytesSource, type ByteSource } from '../../src/io/source.js';
import { documentedCodes } from './codes.js';
import {
  applyMutation,
  applyRecordOp,
  boundariesOf,
  checkTensor,
  compareTensors,
  DEFAULT_BUDGET,
  DEFAULT_RUNS,
  FuzzCheckError,
  mutationArb,
  PROPERTY_NAMES,
  recordOpArb,
  type Budget,
  type ExpectedTensor,
  type FuzzContext,
  type FuzzSeed,
  type FuzzTarget,
  type Plan,
  type PropertyName,
  type ReadTensor,
  type RecordList,
} from './harness.js';

/** The repository root (tests/fuzz/../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the worker's guard (tests/fuzz/worker.mjs) offers; absent when the runner runs in-process. */
interface AllocGuard {
  arm(limit: number): void;
  disarm(): { total: number; largest: number; violation: string | undefined };
}

/** Options of one run of a target's properties. */
export interface RunOptions {
  /** fast-check seed (the same for every property of the run). */
  seed: number;
  /** Multiplies every property's run count. Default 1. */
  scale?: number;
  /** Only these properties. */
  only?: readonly PropertyName[];
  /** fast-check path to replay (with `seed` and one property in `only`). */
  path?: string;
  /** Stop each random property after this many ms (long runs); its run count is then unbounded. */
  timeLimitMs?: number;
  /** Where failing inputs are saved. Default $TMPDIR/lowp-fuzz. */
  saveDir?: string;
  /**
   * Collect a corpus: the smallest input of each outcome (error code, or ok) met by the random
   * properties is written to tests/fixtures/corpus/<target>/ and recorded in its expected.json (entries
   * already there are kept). For `npm run fuzz -- --collect`.
   */
  collect?: boolean;
  /** Progress shared with the watchdog: [case counter, busy, input length, property index] then the input bytes. */
  progress?: SharedArrayBuffer;
  /** Called after each property. */
  onResult?(r: PropertyResult): void;
}

/** Outcome counts of a property's cases. */
export interface CaseStats {
  cases: number;
  accepted: number;
  rejected: number;
  /** Error code -> count. */
  codes: Record<string, number>;
  maxCaseMs: number;
  /** Largest bytes read / file size of a case. */
  maxReadRatio: number;
  /** Largest bytes allocated (ArrayBuffers and typed arrays) by a case, and that case's file size. */
  maxAlloc: number;
  maxAllocFileSize: number;
}

/** The result of one property. */
export interface PropertyResult {
  target: string;
  property: PropertyName;
  status: 'passed' | 'failed' | 'skipped';
  seed: number;
  runs: number;
  ms: number;
  stats: CaseStats;
  /** fast-check's report (seed, path, counterexample, error), or why it was skipped. */
  message?: string;
  /** The path of the saved failing input. */
  saved?: string;
}

type Outcome = { ok: true; tensors: readonly ReadTensor[] } | { ok: false; error: LowpIoError };

const PROTOS: ReadonlyArray<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Map.prototype', Map.prototype],
  ['Uint8Array.prototype', Uint8Array.prototype],
];

function snapshotProtos(): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [label, p] of PROTOS) {
    for (const k of Reflect.ownKeys(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      m.set(`${label}.${String(k)}`, d.value ?? d.get);
    }
  }
  return m;
}

/** What changed in the built-in prototypes since `before`; restores them so that later cases are judged fairly. */
function pollution(before: Map<string, unknown>): string | undefined {
  let found: string | undefined;
  for (const [label, p] of PROTOS) {
    for (const k of Reflect.ownKeys(p)) {
      const key = `${label}.${String(k)}`;
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (!before.has(key)) {
        found ??= `${key} was added`;
        delete (p as Record<PropertyKey, unknown>)[k];
      } else if (before.get(key) !== (d.value ?? d.get)) {
        found ??= `${key} was replaced`;
        if ('value' in d) (p as Record<PropertyKey, unknown>)[k] = before.get(key);
      }
    }
  }
  return found;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

/** One target's case runner: runs `read` under the budgets and checks the outcome. */
class CaseRunner {
  readonly budget: Budget;
  private readonly guard: AllocGuard | undefined;
  private readonly protos = snapshotProtos();
  private readonly p32: Int32Array | undefined;
  private readonly pBytes: Uint8Array | undefined;
  stats: CaseStats = CaseRunner.emptyStats();

  constructor(
    readonly target: FuzzTarget,
    progress: SharedArrayBuffer | undefined,
  ) {
    this.budget = { ...DEFAULT_BUDGET, ...target.budget };
    this.guard = (globalThis as { __lowpFuzzGuard?: AllocGuard }).__lowpFuzzGuard;
    if (progress !== undefined) {
      this.p32 = new Int32Array(progress, 0, 4);
      this.pBytes = new Uint8Array(progress, 16);
    }
  }

  static emptyStats(): CaseStats {
    return { cases: 0, accepted: 0, rejected: 0, codes: {}, maxCaseMs: 0, maxReadRatio: 0, maxAlloc: 0, maxAllocFileSize: 0 };
  }

  /** The smallest input per outcome, when collecting. */
  collected: Map<string, { bytes: Uint8Array; property: string }> | undefined;
  property = '';

  private keep(code: string, bytes: Uint8Array): void {
    if (this.collected === undefined || bytes.length > 4096 || this.property === 'seeds' || this.property === 'corpus') return;
    const prev = this.collected.get(code);
    if (prev === undefined || bytes.length < prev.bytes.length) this.collected.set(code, { bytes, property: this.property });
  }

  setProperty(i: number): void {
    this.property = PROPERTY_NAMES[i];
    if (this.p32) Atomics.store(this.p32, 3, i);
  }

  /** Runs `read` on `bytes`; throws FuzzCheckError (a property failure) or returns the outcome. */
  async run(bytes: Uint8Array): Promise<Outcome> {
    const t = this.target;
    const size = bytes.length;
    const b = this.budget;
    const readLimit = b.readFactor * size + b.readFloor;
    const callLimit = b.callFactor * size + b.readFloor / 16;
    const allocLimit = b.allocFactor * size + b.allocFloor;
    const reads = { bytes: 0, calls: 0, violation: undefined as string | undefined };
    const defaultErrors: IoErrorClass = (t.errors as unknown) === LowpIoError ? CheckpointError : (t.errors as unknown as IoErrorClass);
    const count = (n: number): void => {
      reads.calls++;
      reads.bytes += n;
      if ((reads.bytes > readLimit || reads.calls > callLimit) && reads.violation === undefined) {
        reads.violation = `read ${reads.bytes} bytes in ${reads.calls} calls from a file of ${size} bytes (budget ${readLimit} bytes, ${callLimit} calls)`;
      }
      if (reads.violation !== undefined) throw new Error(`fuzz read budget exceeded: ${reads.violation}`);
    };
    const ctx: FuzzContext = {
      source(data: Uint8Array, name?: string, errors: IoErrorClass = defaultErrors): ByteSource {
        const inner = bytesSource(data, name, errors);
        return {
          size: inner.size,
          name: inner.name,
          read: async (o, l) => (count(l), inner.read(o, l)),
          readSync: (o, l) => (count(l), inner.readSync!(o, l)),
          readInto: async (o, tg) => (count(tg.length), inner.readInto!(o, tg)),
          readIntoSync: (o, tg) => (count(tg.length), inner.readIntoSync!(o, tg)),
        };
      },
    };
    const copy = bytes.slice();
    if (this.p32 && this.pBytes) {
      const n = Math.min(size, this.pBytes.length);
      this.pBytes.set(bytes.subarray(0, n));
      Atomics.store(this.p32, 2, size);
      Atomics.store(this.p32, 1, 1);
      Atomics.add(this.p32, 0, 1);
    }
    const mem0 = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    let tensors: readonly ReadTensor[] | undefined;
    let error: unknown;
    this.guard?.arm(allocLimit);
    try {
      tensors = await t.read(bytes, ctx);
    } catch (e) {
      error = e;
    }
    const alloc = this.guard?.disarm();
    const ms = performance.now() - t0;
    const memGrowth = process.memoryUsage().arrayBuffers - mem0;
    if (this.p32) Atomics.store(this.p32, 1, 0);

    const s = this.stats;
    s.cases++;
    s.maxCaseMs = Math.max(s.maxCaseMs, ms);
    s.maxReadRatio = Math.max(s.maxReadRatio, size > 0 ? reads.bytes / size : reads.bytes);
    if (alloc && alloc.total > s.maxAlloc) {
      s.maxAlloc = alloc.total;
      s.maxAllocFileSize = size;
    }

    if (alloc?.violation) throw new FuzzCheckError(`allocation budget exceeded for a file of ${size} bytes: ${alloc.violation} (an allocation driven by a declared size?)`);
    if (reads.violation) throw new FuzzCheckError(`read budget exceeded: ${reads.violation} (a loop without progress?)`);
    // growth of ArrayBuffer memory never exceeds what the case allocated: a second, coarser guard that also
    // sees allocations the constructor guard cannot (Buffer.concat, WebAssembly memory); 8 MiB of slack
    // for lazily created WebAssembly memories
    if (memGrowth > allocLimit + (8 << 20)) throw new FuzzCheckError(`ArrayBuffer memory grew by ${memGrowth} bytes during a case on a file of ${size} bytes (budget ${allocLimit})`);
    for (let i = 0; i < size; i++) {
      if (bytes[i] !== copy[i]) throw new FuzzCheckError(`the reader modified its input (byte ${i})`);
    }
    const polluted = pollution(this.protos);
    if (polluted !== undefined) throw new FuzzCheckError(`prototype pollution: ${polluted}`);

    if (tensors === undefined) {
      const e = error;
      if (e instanceof FuzzCheckError) throw e;
      if (!(e instanceof t.errors)) {
        const what = e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e);
        throw new FuzzCheckError(`expected a ${t.errors.name}, got ${what}`);
      }
      const err = e as LowpIoError;
      const allowed = t.codes ?? documentedCodes(err.format);
      if (!allowed.includes(err.code)) throw new FuzzCheckError(`${err.name} code '${err.code}' is not documented for ${err.format} (documented: ${allowed.join(', ')}); message: ${err.message}`);
      if (typeof err.message !== 'string' || err.message.length === 0 || /[\r\n\u2028\u2029]/.test(err.message)) throw new FuzzCheckError(`${err.name} ${err.code}: expected a one-line message, got ${JSON.stringify(err.message)}`);
      if (!(t.messagePattern ?? /expected/).test(err.message)) throw new FuzzCheckError(`${err.name} ${err.code}: the message does not say what was expected: ${err.message}`);
      s.rejected++;
      s.codes[err.code] = (s.codes[err.code] ?? 0) + 1;
      this.keep(err.code, copy);
      return { ok: false, error: err };
    }

    if (!Array.isArray(tensors)) throw new FuzzCheckError(`read returned ${typeof tensors}, expected an array of tensors`);
    let total = 0;
    for (const x of tensors) {
      checkTensor(x, bytes, t.storedOf);
      total += x.byteLength;
    }
    const expansion = t.expansion ?? 1;
    if (total > expansion * size) throw new FuzzCheckError(`the tensors hold ${total} bytes, more than ${expansion} × the file's ${size} bytes`);
    if (t.reference) {
      const ref = t.reference(bytes);
      if (ref === 'invalid') throw new FuzzCheckError('the reader accepted a file that the reference decoder rejects');
      if (ref !== 'unknown') compareTensors(tensors, ref, 'reader vs reference decoder');
    }
    s.accepted++;
    s.codes.ok = (s.codes.ok ?? 0) + 1;
    this.keep('ok', copy);
    return { ok: true, tensors };
  }
}

/** The bytes a plan makes from the target's seeds. */
export function applyPlan(target: FuzzTarget, plan: Plan, cache: Map<number, { lists: readonly RecordList[]; boundaries: number[] }>): Uint8Array {
  const seeds = target.seeds;
  const si = plan.seed % seeds.length;
  const seed = seeds[si];
  let info = cache.get(si);
  if (info === undefined) {
    const lists = target.records ? target.records(seed.bytes) : [];
    info = { lists, boundaries: boundariesOf(seed, lists) };
    cache.set(si, info);
  }
  let b = seed.bytes;
  for (const op of plan.records) b = applyRecordOp(b, info.lists, op);
  for (const m of plan.mutations) b = applyMutation(b, m, info.boundaries);
  return b === seed.bytes ? b.slice() : b;
}

/** Payload edits: (range, offset, value) triples applied to a seed that has payload ranges. */
interface PayloadPlan {
  seed: number;
  edits: Array<{ range: number; offset: number; value: number }>;
}

function applyPayload(target: FuzzTarget, seeds: readonly FuzzSeed[], plan: PayloadPlan): { bytes: Uint8Array; expected: ExpectedTensor[] } {
  const seed = seeds[plan.seed % seeds.length];
  const bytes = seed.bytes.slice();
  const ranges = (seed.payload ?? []).filter((r) => r.byteLength > 0);
  const expected = seed.tensors.map((t) => ({ ...t, bytes: t.bytes.slice() }));
  for (const e of plan.edits) {
    if (ranges.length === 0) break;
    const r0 = ranges[e.range % ranges.length];
    const at = r0.fileOffset + (e.offset % r0.byteLength);
    bytes[at] = e.value;
    // every tensor whose stored bytes include that file byte (tied tensors share their storage)
    for (const r of ranges) {
      if (at < r.fileOffset || at >= r.fileOffset + r.byteLength) continue;
      const t = expected.find((x) => x.name === r.tensor);
      if (t === undefined) throw new FuzzCheckError(`payload range names tensor '${r.tensor}', which seed '${seed.name}' does not list`);
      const stored = target.storedOf ? target.storedOf(t.dtype, Uint8Array.of(e.value)) : Uint8Array.of(e.value);
      t.bytes[at - r.fileOffset] = stored[0];
    }
  }
  return { bytes, expected };
}

/** Reads the expected.json of a corpus folder: file -> { code ('ok' for files that must read), what }. */
export function readCorpus(dir: string): Array<{ file: string; path: string; code: string; what: string }> {
  const index = join(dir, 'expected.json');
  if (!existsSync(index)) return [];
  const expected = JSON.parse(readFileSync(index, 'utf8')) as Record<string, { code: string; what?: string }>;
  return Object.entries(expected).map(([file, e]) => ({ file, path: join(dir, file), code: e.code, what: e.what ?? '' }));
}

function save(target: FuzzTarget, dir: string, bytes: Uint8Array, tag: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${target.name}-${tag}-${sha(bytes)}${target.extension ?? '.bin'}`);
  writeFileSync(file, bytes);
  return file;
}

/** Runs the properties of one target; resolves to one result per property. */
export async function runTarget(target: FuzzTarget, options: RunOptions): Promise<PropertyResult[]> {
  const runner = new CaseRunner(target, options.progress);
  if (options.collect) runner.collected = new Map();
  const scale = options.scale ?? 1;
  const results: PropertyResult[] = [];
  const saveDir = options.saveDir ?? join(tmpdir(), 'lowp-fuzz');
  const cache = new Map<number, { lists: readonly RecordList[]; boundaries: number[] }>();
  const seeds = target.seeds;
  if (seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);

  // warm-up, unguarded: lazy module state (WebAssembly kernels, tables) is created here, not in a case
  for (const s of seeds) {
    try {
      await target.read(s.bytes, { source: (d, name) => bytesSource(d, name) });
    } catch {
      // the seeds property reports it
    }
  }

  const runsOf = (p: PropertyName): number => Math.max(1, Math.round((target.runs?.[p] ?? DEFAULT_RUNS[p]) * scale));

  for (const [index, property] of PROPERTY_NAMES.entries()) {
    if (options.only && !options.only.includes(property)) continue;
    runner.setProperty(index);
    runner.stats = CaseRunner.emptyStats();
    const t0 = performance.now();
    const base = { target: target.name, property, seed: options.seed };
    const finish = (r: Omit<PropertyResult, keyof typeof base | 'ms' | 'stats'>): void => {
      const result: PropertyResult = { ...base, ...r, ms: Math.round(performance.now() - t0), stats: runner.stats };
      results.push(result);
      options.onResult?.(result);
    };
    const skip = (why: string): void => finish({ status: 'skipped', runs: 0, message: why });

    if (property === 'seeds' || property === 'corpus') {
      // deterministic lists of files, every one checked, every failure listed
      const failures: string[] = [];
      let saved: string | undefined;
      let runs = 0;
      if (property === 'seeds') {
        for (const s of seeds) {
          runs++;
          try {
            const o = await runner.run(s.bytes);
            if (!o.ok) throw new FuzzCheckError(`the reader rejected it: ${o.error.code}: ${o.error.message}`);
            compareTensors(o.tensors, s.tensors, 'reader vs the tensors the seed was built from');
            if (target.reference) {
              const ref = target.reference(s.bytes);
              if (ref === 'invalid') throw new FuzzCheckError('the reference decoder rejects a seed');
              if (ref !== 'unknown') compareTensors(ref, s.tensors, 'reference decoder vs the tensors the seed was built from');
            }
          } catch (e) {
            failures.push(`seed '${s.name}': ${(e as Error).message}`);
            saved ??= save(target, saveDir, s.bytes, `seed-${s.name}`);
          }
        }
      } else {
        const dirs = [join(ROOT, 'tests', 'fixtures', 'corpus', target.name), ...(target.corpus ?? []).map((d) => join(ROOT, d))];
        const files = dirs.flatMap(readCorpus);
        if (files.length === 0) {
          skip(`no corpus (tests/fixtures/corpus/${target.name}/expected.json)`);
          continue;
        }
        for (const f of files) {
          runs++;
          try {
            const o = await runner.run(new Uint8Array(readFileSync(f.path)));
            const got = o.ok ? 'ok' : o.error.code;
            if (got !== f.code) throw new FuzzCheckError(`expected ${f.code}, got ${got}${o.ok ? '' : `: ${o.error.message}`}`);
          } catch (e) {
            failures.push(`${f.path.slice(ROOT.length + 1)} (${f.what}): ${(e as Error).message}`);
          }
        }
      }
      finish(failures.length === 0 ? { status: 'passed', runs } : { status: 'failed', runs, message: failures.join('\n'), saved });
      continue;
    }

    let arb: fc.Arbitrary<unknown>;
    let toBytes: (v: unknown) => Uint8Array;
    let check: (v: unknown) => Promise<void>;
    const generic = async (v: unknown): Promise<void> => void (await runner.run(toBytes(v)));
    if (property === 'payload') {
      const withPayload = seeds.filter((s) => (s.payload ?? []).some((r) => r.byteLength > 0));
      if (withPayload.length === 0) {
        skip('no seed declares payload ranges');
        continue;
      }
      arb = fc.record({ seed: fc.nat({ max: 1023 }), edits: fc.array(fc.record({ range: fc.nat({ max: 1023 }), offset: fc.nat({ max: 1 << 20 }), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 8 }) });
      toBytes = (v) => applyPayload(target, withPayload, v as PayloadPlan).bytes;
      check = async (v) => {
        const { bytes, expected } = applyPayload(target, withPayload, v as PayloadPlan);
        const o = await runner.run(bytes);
        if (!o.ok) throw new FuzzCheckError(`a change of tensor data only (the file stays valid) was rejected: ${o.error.code}: ${o.error.message}`);
        compareTensors(o.tensors, expected, 'reader vs the seed with its tensor bytes changed');
      };
    } else if (property === 'mutations' || property === 'records') {
      if (property === 'records' && !target.records) {
        skip('the target describes no records');
        continue;
      }
      const recordOps = target.records ? (property === 'records' ? { minLength: 1, maxLength: 3 } : { maxLength: 1 }) : { maxLength: 0 };
      const muts = property === 'records' ? { maxLength: 1 } : { minLength: 1, maxLength: 4 };
      arb = fc.record({ seed: fc.nat({ max: 1023 }), records: fc.array(recordOpArb, recordOps), mutations: fc.array(mutationArb, muts) });
      toBytes = (v) => applyPlan(target, v as Plan, cache);
      check = generic;
    } else if (property === 'structured') {
      if (!target.structured) {
        skip('the target has no structure-aware mutations');
        continue;
      }
      arb = fc.oneof(...seeds.map((s) => target.structured!(s)));
      toBytes = (v) => v as Uint8Array;
      check = generic;
    } else {
      const prefixes = [new Uint8Array(0), ...(target.prefixes ?? [])];
      arb = fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.tuple(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 256 })).map(([p, r]) => {
          const out = new Uint8Array(p.length + r.length);
          out.set(p);
          out.set(r, p.length);
          return out;
        }),
      );
      toBytes = (v) => v as Uint8Array;
      check = generic;
    }

    const numRuns = options.timeLimitMs !== undefined ? 1_000_000_000 : runsOf(property);
    const details = await fc.check(fc.asyncProperty(arb, check), {
      seed: options.seed,
      numRuns,
      path: options.path,
      interruptAfterTimeLimit: options.timeLimitMs,
      markInterruptAsFailure: false,
      verbose: 0,
      includeErrorInReport: true,
    });
    if (!details.failed) {
      finish({ status: 'passed', runs: details.numRuns });
      continue;
    }
    let saved: string | undefined;
    try {
      if (details.counterexample) saved = save(target, saveDir, toBytes(details.counterexample[0]), `seed${details.seed}`);
    } catch {
      // the report still has the seed and path
    }
    const report = fc.defaultReportMessage(details) ?? '';
    const replay = `replay: npm run fuzz -- --target ${target.name} --property ${property} --seed ${details.seed} --path "${details.counterexamplePath}"`;
    const keep = saved ? `input saved to ${saved}: to keep it as a regression, copy it to tests/fixtures/corpus/${target.name}/ and add it to expected.json with the code it must give` : '';
    finish({ status: 'failed', runs: details.numRuns, message: [report.length > 6000 ? report.slice(0, 6000) + '...' : report, replay, keep].filter(Boolean).join('\n'), saved });
  }
  if (runner.collected !== undefined) writeCorpus(target, runner.collected, options.seed);
  return results;
}

/** Adds the collected inputs to tests/fixtures/corpus/<target>/ (one per outcome not yet represented). */
function writeCorpus(target: FuzzTarget, collected: Map<string, { bytes: Uint8Array; property: string }>, seed: number): void {
  const dir = join(ROOT, 'tests', 'fixtures', 'corpus', target.name);
  mkdirSync(dir, { recursive: true });
  const index = join(dir, 'expected.json');
  const expected = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as Record<string, { code: string; what: string }>) : {};
  const have = new Set(Object.values(expected).map((e) => e.code));
  for (const [code, { bytes, property }] of [...collected].sort()) {
    if (have.has(code)) continue;
    const file = `${code.toLowerCase().replace(/_/g, '-')}-${sha(bytes).slice(0, 8)}${target.extension ?? '.bin'}`;
    writeFileSync(join(dir, file), bytes);
    expected[file] = { code, what: `smallest ${code} input of the ${property} property (npm run fuzz -- --collect, seed ${seed})` };
  }
  writeFileSync(index, JSON.stringify(expected, null, 2) + '\n');
}
