// Sharded checkpoints: *.safetensors.index.json (the Hugging Face layout) and folders of
// .safetensors files read as one; every tensor comes back from the right shard, equal to what was
// written; invalid indexes (missing shard, tensor absent from its shard, path traversal, bad JSON,
// duplicates across files) are SafetensorsError INDEX / IO / BAD_JSON with one-line messages.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openCheckpoint,
  openSafetensorsDir,
  openSafetensorsIndex,
  openShardedSafetensors,
  parseSafetensorsIndex,
  ShardedSafetensors,
  SafetensorsFile,
  writeSafetensors,
  type TensorInput,
} from '../../src/io/index.js';
import { expectSameBytes } from './bytes.js';

const root = mkdtempSync(join(tmpdir(), 'lowp-io-shard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `c${n++}`);
  mkdirSync(d);
  return d;
};

const t = (v: number[]): TensorInput => ({ dtype: 'F32', shape: [v.length], data: new Float32Array(v) });

function writeSharded(dir: string, shards: Record<string, Record<string, TensorInput>>, extra: Record<string, unknown> = {}): string {
  const weight_map: Record<string, string> = {};
  for (const [file, tensors] of Object.entries(shards)) {
    writeFileSync(join(dir, file), writeSafetensors(tensors, { format: 'pt' }));
    for (const name of Object.keys(tensors)) weight_map[name] = file;
  }
  const path = join(dir, 'model.safetensors.index.json');
  writeFileSync(path, JSON.stringify({ metadata: { total_size: 123 }, weight_map, ...extra }));
  return path;
}

describe('sharded checkpoints through an index', () => {
  it('random shardings: every tensor is listed once with its shard and reads back equal (index, folder, openCheckpoint)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9.]{0,6}$/), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (names, shardCount) => {
          const dir = fresh();
          const shards: Record<string, Record<string, TensorInput>> = {};
          const values = new Map<string, Float32Array>();
          names.forEach((name, i) => {
            const file = `model-${String((i % shardCount) + 1).padStart(5, '0')}-of-${String(shardCount).padStart(5, '0')}.safetensors`;
            const data = new Float32Array(names.length + i).map((_, k) => i * 100 + k);
            values.set(name, data);
            (shards[file] ??= {})[name] = { dtype: 'F32', shape: [data.length], data };
          });
          const index = writeSharded(dir, shards);
          for (const open of [() => openSafetensorsIndex(index), () => openCheckpoint(index), () => openCheckpoint(dir), () => openSafetensorsDir(dir)]) {
            const ck = await open();
            expect(ck.names().sort()).toEqual([...names].sort());
            expect(ck.metadata.total_size).toBe('123');
            for (const name of names) {
              const info = ck.info(name) as { file?: string };
              if (ck instanceof ShardedSafetensors) expect(shards[info.file!][name]).toBeDefined();
              expectSameBytes((await ck.tensor(name)).data, values.get(name)!, name);
              const parts: number[] = [];
              for await (const c of ck.chunks(name, { elements: 3, as: 'float64' })) parts.push(...c.data);
              expect(parts).toEqual([...values.get(name)!]);
              expect([...(await ck.readFloat(name))]).toEqual([...values.get(name)!]);
            }
            await ck.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('works without a file system: parsed index + a function that returns each shard as bytes/Blob', async () => {
    const a = writeSafetensors({ x: t([1, 2]) });
    const b = writeSafetensors({ y: t([3]) });
    const text = JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'b.safetensors' } });
    const ck = await openShardedSafetensors(text, (file) => (file === 'a.safetensors' ? a : new Blob([b])));
    expect(ck.tensors.map((x) => [x.name, x.file])).toEqual([['x', 'a.safetensors'], ['y', 'b.safetensors']]);
    expect([...(await ck.readFloat('y'))]).toEqual([3]);
    await expect(ck.tensor('z')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await ck.close();
  });

  it('a folder with one file opens it; a folder without an index unions its files', async () => {
    const one = fresh();
    writeFileSync(join(one, 'model.safetensors'), writeSafetensors({ w: t([1]) }));
    const ck1 = await openCheckpoint(one);
    expect(ck1).toBeInstanceOf(SafetensorsFile);
    await ck1.close();
    const many = fresh();
    writeFileSync(join(many, 'a.safetensors'), writeSafetensors({ w: t([1]) }, { who: 'a' }));
    writeFileSync(join(many, 'b.safetensors'), writeSafetensors({ v: t([2]) }, { who: 'b', extra: 'b' }));
    writeFileSync(join(many, 'notes.txt'), 'ignored');
    const ck = await openCheckpoint(many);
    expect(ck.names()).toEqual(['w', 'v']);
    expect({ ...ck.metadata }).toEqual({ who: 'a', extra: 'b' });
    await ck.close();
  });

  it('parseSafetensorsIndex keeps metadata as strings and rejects malformed indexes', () => {
    const idx = parseSafetensorsIndex('{"metadata":{"total_size":8,"note":"x","nested":{"a":[1,2.5]}},"weight_map":{"a":"m.safetensors"}}');
    expect({ ...idx.metadata }).toEqual({ total_size: '8', note: 'x', nested: '{"a":[1,2.5]}' });
    expect(Object.getPrototypeOf(idx.metadata)).toBe(null);
    const bad = (text: string, code: string, re?: RegExp) => {
      let err: unknown;
      try {
        parseSafetensorsIndex(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toMatchObject({ name: 'SafetensorsError', code });
      if (re) expect((err as Error).message).toMatch(re);
    };
    bad('[]', 'INDEX');
    bad('{}', 'INDEX', /weight_map/);
    bad('{"weight_map":{"a":1}}', 'INDEX');
    bad('{"weight_map":{"a":"../../etc/passwd"}}', 'INDEX', /relative/);
    bad('{"weight_map":{"a":"/abs.safetensors"}}', 'INDEX');
    bad('{"weight_map":{"a":"C:\\\\x.safetensors"}}', 'INDEX');
    bad('{"weight_map":{"a":"x","a":"y"}}', 'DUPLICATE_KEY');
    bad('{"weight_map":{"__proto__":"x"}}', 'UNSAFE_KEY');
    bad('{"weight_map":', 'BAD_JSON');
    bad('{"metadata":[1],"weight_map":{}}', 'INDEX');
    // a leading BOM is refused, as Python's json refuses it (transformers reads the index with json.load)
    bad('\uFEFF{"weight_map":{}}', 'BAD_JSON');
    expect(() => parseSafetensorsIndex(new TextEncoder().encode('\uFEFF{"weight_map":{}}'))).toThrow(expect.objectContaining({ code: 'BAD_JSON' }));
    expect(parseSafetensorsIndex(new TextEncoder().encode('{"weight_map":{}}')).weightMap.size).toBe(0);
  });

  it('inconsistent checkpoints: missing shard, tensor not in its shard, duplicate tensors, several indexes', async () => {
    const d1 = fresh();
    const idx1 = writeSharded(d1, { 'a.safetensors': { x: t([1]) } });
    writeFileSync(idx1, JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'missing.safetensors' } }));
    await expect(openSafetensorsIndex(idx1)).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('missing.safetensors') });
    writeFileSync(idx1, JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'a.safetensors' } }));
    await expect(openSafetensorsIndex(idx1)).rejects.toMatchObject({ code: 'INDEX', message: expect.stringMatching(/'y'.*a\.safetensors/) });
    writeFileSync(idx1, JSON.stringify({ weight_map: {} }));
    await expect(openSafetensorsIndex(idx1)).rejects.toMatchObject({ code: 'INDEX' });
    const d2 = fresh();
    writeFileSync(join(d2, 'a.safetensors'), writeSafetensors({ w: t([1]) }));
    writeFileSync(join(d2, 'b.safetensors'), writeSafetensors({ w: t([2]) }));
    await expect(openCheckpoint(d2)).rejects.toMatchObject({ code: 'INDEX', message: expect.stringContaining("'w'") });
    const d3 = fresh();
    writeFileSync(join(d3, 'a.safetensors.index.json'), '{}');
    writeFileSync(join(d3, 'b.safetensors.index.json'), '{}');
    await expect(openCheckpoint(d3)).rejects.toMatchObject({ code: 'INDEX' });
    await expect(openCheckpoint(fresh())).rejects.toMatchObject({ code: 'INDEX', message: expect.stringContaining('none') });
    await expect(openCheckpoint(join(root, 'nope'))).rejects.toMatchObject({ code: 'IO' });
    // a folder that cannot be listed is IO, named by the caller's label
    await expect(openSafetensorsDir(join(d3, 'a.safetensors.index.json'), { name: 'ckpt' })).rejects.toMatchObject({
      name: 'SafetensorsError',
      code: 'IO',
      message: expect.stringMatching(/^ckpt: cannot list: ENOTDIR/),
    });
    // a corrupt shard reports the shard's own error, naming the shard
    const d4 = fresh();
    const idx4 = writeSharded(d4, { 'a.safetensors': { x: t([1]) } });
    writeFileSync(join(d4, 'a.safetensors'), new Uint8Array(5));
    await expect(openSafetensorsIndex(idx4)).rejects.toMatchObject({ code: 'TRUNCATED', message: expect.stringContaining('a.safetensors') });
    // with a caller's label (what the user typed), shards are named relative to it
    await expect(openCheckpoint(d4, { name: 'ckpt' })).rejects.toMatchObject({ message: expect.stringMatching(/^ckpt[/\\]a\.safetensors: /) });
    await expect(openCheckpoint(idx4, { name: 'ckpt/model.safetensors.index.json' })).rejects.toMatchObject({ message: expect.stringMatching(/^ckpt[/\\]a\.safetensors: /) });
    writeFileSync(join(d4, 'model.safetensors.index.json'), '{"weight_map": 3}');
    await expect(openCheckpoint(d4, { name: 'ckpt' })).rejects.toMatchObject({ code: 'INDEX', message: expect.stringMatching(/^ckpt[/\\]model\.safetensors\.index\.json: /) });
  });
});
