// Fuzz target: the index JSON of a sharded safetensors checkpoint (`*.safetensors.index.json`), opened
// with openShardedSafetensors over shards held in memory (valid, fixed; their own fuzzing is the
// safetensors target's). The fuzzed bytes are the index. parseSafetensorsIndex must agree with the
// opener on index errors; an accepted checkpoint must list exactly the tensors that a slow reference
// (JSON.parse, the shard-name rules, the shards decoded by the safetensors reference) says, with their
// bytes. Records are the members of the root and of weight_map; structure-aware mutants rewrite shard
// names (paths that leave the folder, unknown shards), tensor names and metadata.
import fc from 'fast-check';
import { openShardedSafetensors, parseSafetensorsIndex, SafetensorsError } from '../../../src/io/index.js';
import { FuzzCheckError, jsonMembers, le, outcomeOf, readAll, utf8, type ExpectedTensor, type FuzzSeed, type FuzzTarget, type ReadTensor, type ReferenceResult } from '../harness.js';
import { buildSafetensors, referenceSafetensors } from './safetensors.js';

const S1 = 'model-00001-of-00002.safetensors';
const S2 = 'model-00002-of-00002.safetensors';
const S3 = 'sub/part.safetensors';

const SHARDS = new Map<string, Uint8Array>([
  [S1, buildSafetensors([
    { name: 'a', dtype: 'F32', shape: [2], bytes: le(new Float32Array([1, 2])) },
    { name: 'b', dtype: 'BF16', shape: [2, 2], bytes: le(new Uint16Array([0x3f80, 0x4000, 0x4040, 0x4080])) },
    { name: 'unlisted', dtype: 'U8', shape: [1], bytes: Uint8Array.of(7) },
  ], { format: 'pt' }).bytes],
  [S2, buildSafetensors([{ name: 'c', dtype: 'I32', shape: [3], bytes: le(new Int32Array([-1, 0, 1])) }]).bytes],
  [S3, buildSafetensors([{ name: 'a', dtype: 'F16', shape: [1], bytes: le(new Uint16Array([0x3c00])) }, { name: 'd', dtype: 'F64', shape: [], bytes: le(new Float64Array([0.25])) }]).bytes],
]);

/** The tensors of a shard, by the safetensors reference decoder. */
function shardTensors(file: string): readonly ExpectedTensor[] | undefined {
  const b = SHARDS.get(file);
  if (b === undefined) return undefined;
  const r = referenceSafetensors(b);
  return r === 'invalid' || r === 'unknown' ? undefined : r;
}

function indexSeed(name: string, json: string): FuzzSeed {
  const bytes = utf8(json);
  const ref = referenceIndex(bytes);
  if (ref === 'invalid' || ref === 'unknown') throw new Error(`seed ${name} is not a valid index`);
  return { name, bytes, tensors: ref };
}

// ------------------------------------------------------------------------------------------------
// reference

function validShardName(f: string): boolean {
  return f !== '' && !f.includes('\0') && !/^([/\\]|[A-Za-z]:)/.test(f) && !f.split(/[/\\]/).includes('..');
}

export function referenceIndex(bytes: Uint8Array): ReferenceResult {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 'invalid';
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(root) || !isObject(root.weight_map)) return 'invalid';
  if (root.metadata !== undefined && root.metadata !== null && !isObject(root.metadata)) return 'invalid';
  const wm = root.weight_map;
  for (const v of Object.values(wm)) if (typeof v !== 'string' || !validShardName(v)) return 'invalid';
  const files = [...new Set(Object.values(wm) as string[])].sort();
  if (files.length === 0) return 'invalid';
  const out: ExpectedTensor[] = [];
  for (const f of files) {
    const ts = shardTensors(f);
    if (ts === undefined) return 'invalid';
    for (const t of ts) if (wm[t.name] === f) out.push(t);
  }
  for (const [name, f] of Object.entries(wm)) if (!shardTensors(f as string)!.some((t) => t.name === name)) return 'invalid';
  return out;
}

export const SEEDS: FuzzSeed[] = [
  indexSeed('two-shards', `{"metadata":{"total_size":28,"format":"pt"},"weight_map":{"a":"${S1}","b":"${S1}","c":"${S2}"}}`),
  indexSeed('nested-metadata', `{"weight_map":{"d":"${S3}","a":"${S3}"},"metadata":{"x":[1,{"y":null}],"z":1.5e3}}`),
  indexSeed('one-tensor', `{"weight_map":{"c":"${S2}"}}`),
];

// ------------------------------------------------------------------------------------------------
// reading

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  let parseError: unknown;
  try {
    parseSafetensorsIndex(bytes);
  } catch (e) {
    parseError = e;
  }
  let tensors: ReadTensor[];
  try {
    const ckpt = await openShardedSafetensors(bytes, (file) => {
      const shard = SHARDS.get(file);
      return shard === undefined ? new Uint8Array(0) : ctx.source(shard, file, SafetensorsError);
    });
    // offsets are in the shards, not in the index: no offset checks
    tensors = await readAll(ckpt, { offsetOf: () => undefined });
  } catch (e) {
    if (parseError !== undefined && outcomeOf(e) !== outcomeOf(parseError)) throw new FuzzCheckError(`parseSafetensorsIndex gave ${outcomeOf(parseError)}, openShardedSafetensors ${outcomeOf(e)}`);
    throw e;
  }
  if (parseError !== undefined) throw new FuzzCheckError(`parseSafetensorsIndex gave ${outcomeOf(parseError)}, openShardedSafetensors accepted the index`);
  return tensors;
}

// ------------------------------------------------------------------------------------------------
// records and structure-aware mutants

function records(bytes: Uint8Array) {
  const text = new TextDecoder().decode(bytes);
  const root = jsonMembers(text, 0);
  const wmAt = text.indexOf('"weight_map":');
  const wm = wmAt >= 0 ? jsonMembers(text, wmAt + '"weight_map":'.length) : [];
  return [{ items: root, separator: utf8(',') }, { items: wm, separator: utf8(',') }];
}

const SHARD_NAMES = [S1, S2, S3, 'missing.safetensors', '../model.safetensors', '/etc/passwd', 'C:\\model.safetensors', 'a/../../b', '', 'a\u0000b', './' + S2, S2 + ' ', 'sub\\part.safetensors'];
const TENSOR_NAMES = ['a', 'b', 'c', 'd', 'unlisted', 'nope', '__proto__', 'constructor', '', 'a'.repeat(200)];

interface IndexEdit {
  entry: number;
  file: string | number | null | undefined;
  rename: string | undefined;
  metadata: string | undefined;
  root: string | undefined;
}

const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const editArb: fc.Arbitrary<IndexEdit> = fc.record({
  entry: fc.nat(15),
  file: rarely(fc.oneof(fc.constantFrom(...SHARD_NAMES), fc.constantFrom(7, null))),
  rename: rarely(fc.constantFrom(...TENSOR_NAMES)),
  metadata: rarely(fc.oneof(fc.json({ maxDepth: 2 }), fc.constantFrom('{"__proto__":{"x":1}}', '{"a":1,"a":2}', '"str"', '[' .repeat(100) + ']'.repeat(100)))),
  root: rarely(fc.constantFrom('[]', 'null', '{}', '{"weight_map":{}}', '{"weight_map":[]}', '{"weight_map":"x"}')),
});

function applyEdits(seed: FuzzSeed, edits: IndexEdit[]): Uint8Array {
  const root = JSON.parse(new TextDecoder().decode(seed.bytes)) as { metadata?: unknown; weight_map: Record<string, unknown> };
  let pairs: Array<[string, string]> = Object.entries(root.weight_map).map(([k, v]) => [k, JSON.stringify(v)]);
  let metadata = root.metadata === undefined ? undefined : JSON.stringify(root.metadata);
  let whole: string | undefined;
  for (const e of edits) {
    if (e.root !== undefined) whole = e.root;
    if (e.metadata !== undefined) metadata = e.metadata;
    if (pairs.length === 0) continue;
    const p = pairs[e.entry % pairs.length];
    if (e.file !== undefined) p[1] = JSON.stringify(typeof e.file === 'number' ? e.file : e.file);
    if (e.rename !== undefined) p[0] = e.rename;
  }
  pairs = pairs.slice();
  if (whole !== undefined) return utf8(whole);
  const wm = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  return utf8(metadata === undefined ? `{"weight_map":${wm}}` : `{"metadata":${metadata},"weight_map":${wm}}`);
}

const target: FuzzTarget = {
  name: 'sharded-index',
  errors: SafetensorsError,
  seeds: SEEDS,
  read,
  reference: referenceIndex,
  records,
  structured: (seed) => fc.array(editArb, { minLength: 1, maxLength: 3 }).map((edits) => applyEdits(seed, edits)),
  prefixes: [utf8('{"weight_map":{"a":"'), utf8('{"metadata":'), utf8('{')],
  // the tensors come from the shards, not from the index's bytes
  expansion: 1e6,
  extension: '.json',
};
export default target;
