// Fuzzing lowp/io's ONNX reader (fast-check) on mutated models: byte flips, cuts, insertions and
// deletions in a small model that uses every structure the reader decodes (nodes, attributes, a
// subgraph, value infos, initializers in raw_data and in packed and unpacked typed fields) and in the
// PyTorch-exported vector model, plus random bytes after a plausible first key. Properties: opening
// either succeeds or throws an OnnxError with a stable code and a one-line message (never another
// exception, never a hang, never Object.prototype polluted); the model walked in memory and the model
// walked on disk field by field agree (same error code, or the same tensors); and whatever is accepted
// is read exactly as the slow twin decoder (onnx-twin.ts) reads it: no misread.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, LowpIoError, OnnxError, openCheckpoint, openOnnx, type OnnxFile } from '../../src/io/index.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';
import { ciSeed } from '../helpers/ci-seed.js';
import { twinInitializers } from './onnx-twin.js';
import { expectPrototypeClean, expectRefusal } from './refusals.js';

const small = encodeOnnxModel({
  metadata: { author: 'lowp' },
  graph: {
    name: 'g',
    nodes: [
      { name: 'mul', opType: 'Mul', inputs: ['x', 'w'], outputs: ['y'], attributes: [{ name: 'alpha', f: 0.5 }, { name: 'axes', ints: [-1, 2] }] },
      { name: 'if', opType: 'If', inputs: ['c'], outputs: ['z'], attributes: [{ name: 'then_branch', g: { nodes: [{ opType: 'Identity', inputs: ['w'], outputs: ['z'] }], initializers: [{ name: 'k', dataType: 10, dims: [2], int32Data: [0x3c00, 0x7bff] }] } }] },
      { name: 'c', opType: 'Constant', inputs: [], outputs: ['c'], attributes: [{ name: 'value', t: { dataType: 9, dims: [], int32Data: [1] } }] },
    ],
    initializers: [
      { name: 'w', dataType: 1, dims: [2, 2], raw: new Uint8Array(new Float32Array([1, -2, 3e-8, 7e4]).buffer) },
      { name: 'h', dataType: 16, dims: [3], int32Data: [0x3f80, 0x4000, 0xc040] },
      { name: 'u', dataType: 3, dims: [3], int32Data: [-1, 5, 127], unpacked: true },
      { name: 'i', dataType: 7, dims: [2], int64Data: [-5n, 2n ** 40n] },
      { name: 'q', dataType: 22, dims: [3], raw: Uint8Array.from([0x9f, 0x07]) },
      { name: 'd', dataType: 11, dims: [1], doubleData: [Math.PI], unpacked: true },
    ],
    inputs: [{ name: 'x', elemType: 1, shape: ['batch', 2] }],
    outputs: [{ name: 'y', elemType: 1, shape: [null, 2] }],
    valueInfo: [{ name: 'z', elemType: 1 }],
  },
});

const vectorPath = existsSync(join(SHARED_VECTORS, 'onnx', 'model.onnx')) ? join(SHARED_VECTORS, 'onnx', 'model.onnx') : join(FIXTURES, 'onnx', 'model.onnx');
const vector = new Uint8Array(readFileSync(vectorPath));

type Outcome = { error: string } | { tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array | string }[] };

/** Opens and reads every tensor; an OnnxError is an outcome, anything else a test failure. */
async function outcome(bytes: Uint8Array, smallMessage?: number): Promise<Outcome> {
  let r: OnnxFile;
  try {
    r = await openOnnx(bytes, { smallMessage });
  } catch (e) {
    return { error: expectRefusal(e, OnnxError).code };
  } finally {
    expectPrototypeClean();
  }
  const tensors = [];
  for (const t of r.tensors) {
    let b: Uint8Array | string;
    try {
      const d = (await r.tensor(t.name)).data;
      b = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    } catch (e) {
      b = expectRefusal(e, OnnxError).code;
    }
    tensors.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: b });
  }
  await r.close();
  return { tensors };
}

/** Accepted tensors are read as the twin reads them. */
function agreesWithTwin(bytes: Uint8Array, o: Outcome): void {
  if ('error' in o) return;
  const twin = new Map(twinInitializers(bytes).map((x) => [x.name, x.tensor]));
  expect(o.tensors.map((t) => t.name)).toEqual([...twin.keys()]);
  for (const t of o.tensors) {
    const w = twin.get(t.name);
    expect(t.shape).toEqual(w?.dims);
    if (typeof t.bytes === 'string' || w?.bytes === null || w?.bytes === undefined) continue;
    expect(Buffer.from(t.bytes).equals(w.bytes), t.name).toBe(true);
  }
}

const mutation = (len: number) =>
  fc.oneof(
    fc.tuple(fc.constant('flip' as const), fc.nat(len - 1), fc.integer({ min: 0, max: 255 })),
    fc.tuple(fc.constant('cut' as const), fc.nat(len), fc.constant(0)),
    fc.tuple(fc.constant('insert' as const), fc.nat(len), fc.integer({ min: 0, max: 255 })),
    fc.tuple(fc.constant('delete' as const), fc.nat(len - 1), fc.constant(0)),
  );

function mutate(base: Uint8Array, edits: ['flip' | 'cut' | 'insert' | 'delete', number, number][]): Uint8Array {
  let b = base.slice();
  for (const [kind, at, v] of edits) {
    const i = Math.min(at, b.length);
    if (kind === 'flip' && i < b.length) b[i] = v;
    else if (kind === 'cut') b = b.slice(0, i);
    else if (kind === 'insert') b = Uint8Array.from([...b.subarray(0, i), v, ...b.subarray(i)]);
    else if (kind === 'delete' && i < b.length) b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + 1)]);
  }
  return b;
}

describe('fuzzing the ONNX reader', () => {
  it('the unmutated small model is read as the twin reads it', async () => {
    const o = await outcome(small);
    expect('tensors' in o && o.tensors.length).toBe(7);
    agreesWithTwin(small, o);
  });

  it('mutations of a small model: an OnnxError or the twin\'s values; in memory and on disk agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(small.length), { minLength: 1, maxLength: 4 }), async (edits) => {
        const b = mutate(small, edits);
        const whole = await outcome(b);
        const walked = await outcome(b, 16);
        expect(walked).toEqual(whole);
        agreesWithTwin(b, whole);
      }),
      { numRuns: 600, ...ciSeed },
    );
  });

  it('mutations of the vector model: an OnnxError or the twin\'s values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(vector.length), { minLength: 1, maxLength: 3 }), async (edits) => {
        const b = mutate(vector, edits);
        const o = await outcome(b, 4096);
        agreesWithTwin(b, o);
      }),
      { numRuns: 60, ...ciSeed },
    );
  });

  it('random bytes after a plausible first key: an OnnxError or a model; openCheckpoint throws only lowp/io errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0x08, 0x12, 0x3a, 0x42), fc.uint8Array({ maxLength: 300 }), async (first, rest) => {
        const b = Uint8Array.from([first, ...rest]);
        agreesWithTwin(b, await outcome(b));
        try {
          await (await openCheckpoint(b)).close();
        } catch (e) {
          if (!(e instanceof LowpIoError)) throw e;
        }
      }),
      { numRuns: 800, ...ciSeed },
    );
  });
});
