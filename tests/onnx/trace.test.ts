// lowp/onnx's traceActivations against its oracle, activations.json (onnxruntime 1.30's own figures for
// the PyTorch-exported vector model, graph optimisations off): every count exact for fp16, bf16 and
// fp8-e4m3fn, the first overflow, the emulated fp16 SQNR within 0.5 dB and the same outputs
// non-finite, for the embedded and the external-data model; then small graphs built here with planted
// overflows and flushes (found, and told apart: literal, mask, activation), results that do not depend
// on how many passes the memory bound asks for, and the inputs a decoder needs made from the session's
// metadata.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { round } from '../../src/formats/index.js';
import { encodeOnnxModel, readNpyFile, type OnnxGraphInit, type OnnxNodeInit } from '../../src/io/index.js';
import { TraceError, traceActivations, type TraceReport } from '../../src/onnx/index.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';

const ONNX_DIR = existsSync(join(SHARED_VECTORS, 'onnx', 'model.onnx')) ? join(SHARED_VECTORS, 'onnx') : join(FIXTURES, 'onnx');
interface Counts { overflowed: number; flushedToZero: number; subnormal: number }
interface OracleOutput { node: string; op: string; output: string; elements: number; maxAbs: number; fp16: Counts; bf16: Counts; 'fp8-e4m3fn': Counts }
const oracle = JSON.parse(readFileSync(join(ONNX_DIR, 'activations.json'), 'utf8')) as {
  outputs: OracleOutput[];
  firstOverflow: Record<string, string>;
  emulatedFp16SqnrDb: Record<string, number | string>;
};
const ids = readNpyFile(join(ONNX_DIR, 'input_ids.npy'));

function checkAgainstOracle(r: TraceReport, to: 'fp16' | 'bf16' | 'fp8-e4m3fn'): void {
  expect(r.outputs.map((o) => [o.node, o.op, o.output])).toEqual(oracle.outputs.map((o) => [o.node, o.op, o.output]));
  r.outputs.forEach((o, i) => {
    const want = oracle.outputs[i];
    expect({ elements: o.elements, maxAbs: o.maxAbs }, o.output).toEqual({ elements: want.elements, maxAbs: want.maxAbs });
    expect({ overflowed: o.overflowed, flushedToZero: o.flushedToZero, subnormal: o.subnormal }, `${o.output} in ${to}`).toEqual(want[to]);
  });
  expect(r.firstOverflow?.output ?? null).toBe(oracle.firstOverflow[to] ?? null);
}

describe('the vector model against activations.json (onnxruntime 1.30, graph optimisations off)', () => {
  for (const which of ['model.onnx', 'external/model.onnx']) {
    it(`${which}: fp16 counts exact, the first overflow, the emulated SQNR within 0.5 dB and the same outputs non-finite`, async () => {
      const r = await traceActivations(join(ONNX_DIR, which), { input_ids: ids }, { to: 'fp16', emulate: true });
      checkAgainstOracle(r, 'fp16');
      for (const o of r.outputs) {
        const want = oracle.emulatedFp16SqnrDb[o.output];
        if (typeof want === 'number') {
          expect(typeof o.emulatedSqnrDb, o.output).toBe('number');
          expect(Math.abs((o.emulatedSqnrDb as number) - want), o.output).toBeLessThanOrEqual(0.5);
        } else expect(o.emulatedSqnrDb, o.output).toBe(want);
      }
      expect(r.runtime.graphOptimizationLevel).toBe('disabled');
      expect(r.emulation?.method).toBe('cast');
      expect(r.passes.count).toBe(1);
    });
  }

  for (const to of ['bf16', 'fp8-e4m3fn'] as const) {
    it(`${to}: every count exact and the first overflow`, async () => {
      checkAgainstOracle(await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to }), to);
    });
  }

  it('tells the -1e9 mask (a literal, then masked scores read by Softmax) from the 7.5e4 residual channel (an activation: fatal)', async () => {
    const r = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'fp16', emulate: true });
    const kinds = Object.fromEntries(r.outputs.filter((o) => o.overflowed > 0).map((o) => [o.output, o.overflowKind]));
    expect(kinds).toEqual({
      '/Constant_1_output_0': 'literal',
      '/Trilu_output_0': 'literal',
      '/blocks.0/Add_output_0': 'mask',
      '/blocks.1/Add_output_0': 'mask',
      '/blocks.0/down/Add_output_0': 'activation',
      '/blocks.0/Add_3_output_0': 'propagated',
      '/blocks.1/Add_1_output_0': 'propagated',
      '/blocks.1/Add_3_output_0': 'propagated',
    });
    expect(r.firstActivationOverflow).toEqual({ node: '/blocks.0/down/Add', output: '/blocks.0/down/Add_output_0' });
    expect(r.firstFlush).toEqual({ node: '/blocks.1/o/MatMul', output: '/blocks.1/o/MatMul_output_0' });
    expect(r.emulation?.firstNonFinite?.output).toBe('/Constant_1_output_0');
    expect(r.emulation?.breaksAt?.output).toBe('/blocks.0/down/Add_output_0');
    expect(r.emulation?.graphOutputs).toEqual([{ output: 'logits', sqnrDb: 'non-finite' }]);
    const text = r.findings.join('\n');
    expect(text).toMatch(/-1e9 becomes -inf in fp16/);
    expect(text).toMatch(/harmless/);
    expect(text).toMatch(/first activation that overflows fp16 by itself is \/blocks\.0\/down\/Add_output_0.*75000.*fatal/);
    expect(text).toMatch(/graph optimisations off/);
  });

  it('bf16 keeps the model finite; in fp8-e4m3fn the mask turns NaN (no inf) and breaks the model there', async () => {
    const bf = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'bf16', emulate: true });
    expect(bf.firstOverflow).toBeNull();
    expect(bf.emulation?.firstNonFinite).toBeNull();
    expect(typeof bf.emulation?.graphOutputs[0].sqnrDb).toBe('number');
    const e4 = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'fp8-e4m3fn', emulate: true });
    expect(e4.emulation?.method).toBe('arithmetic');
    expect(e4.emulation?.breaksAt?.output).toBe('/Constant_1_output_0');
  });

  it('the result does not depend on the memory bound: one pass or one pass per output', async () => {
    const one = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'fp16', emulate: true, runtime: ort });
    const many = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'fp16', emulate: true, maxActivationBytes: 1 });
    expect(many.passes.count).toBe(many.outputs.length);
    expect(one.passes.count).toBe(1);
    expect(many.outputs).toEqual(one.outputs);
    expect(many.findings).toEqual(one.findings);
    const some = await traceActivations(join(ONNX_DIR, 'model.onnx'), { input_ids: ids }, { to: 'fp16', maxActivationBytes: 20_000 });
    expect(some.passes.count).toBeGreaterThan(1);
    expect(some.passes.largestBytes).toBeLessThanOrEqual(2 * 20_000);
    expect(some.outputs.map((o) => o.overflowed)).toEqual(one.outputs.map((o) => o.overflowed));
  });
});

// ---- small graphs built here

const f32 = (v: ArrayLike<number>): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

/** x [4] float → a chain of nodes; every output is traced. */
function chain(nodes: OnnxNodeInit[], initializers: OnnxGraphInit['initializers'] = [], output = nodes[nodes.length - 1].outputs[0]): Uint8Array {
  return encodeOnnxModel({ opset: 17, graph: { nodes, initializers, inputs: [{ name: 'x', elemType: 1, shape: [4] }], outputs: [{ name: output, elemType: 1, shape: [4] }] } });
}

const x = { dtype: 'F32' as const, shape: [4], data: new Float32Array([1, -2, 3, 0.5]) };

describe('planted overflows and flushes in small graphs', () => {
  it('a scale that pushes an activation past fp16 is found at that node, as the activation\'s own overflow; a tiny scale flushes', async () => {
    const bytes = chain(
      [
        { name: 'big', opType: 'Mul', inputs: ['x', 'k'], outputs: ['y'] },
        { name: 'relu', opType: 'Relu', inputs: ['y'], outputs: ['z'] },
        { name: 'tiny', opType: 'Mul', inputs: ['z', 't'], outputs: ['w'] },
      ],
      [{ name: 'k', dataType: 1, dims: [], raw: f32([40000]) }, { name: 't', dataType: 1, dims: [], raw: f32([1e-13]) }],
    );
    const r = await traceActivations(bytes, { x }, { to: 'fp16', emulate: true });
    expect(r.outputs.map((o) => [o.output, o.overflowed, o.overflowKind, o.flushedToZero])).toEqual([
      ['y', 2, 'activation', 0], // 40000, 120000: the two beyond 65504 are -80000 and 120000
      ['z', 1, 'propagated', 0],
      ['w', 0, null, 3],
    ]);
    expect(r.firstActivationOverflow).toEqual({ node: 'big', output: 'y' });
    expect(r.firstFlush).toEqual({ node: 'tiny', output: 'w' });
    expect(r.emulation?.breaksAt).toEqual({ node: 'big', output: 'y' });
    expect(r.findings.join(' ')).toMatch(/first activation that overflows fp16 by itself is y \(node big, Mul\)/);
    const bf = await traceActivations(bytes, { x }, { to: 'bf16' });
    expect(bf.outputs.every((o) => o.overflowed === 0 && o.flushedToZero === 0)).toBe(true);
  });

  it('a Constant mask of -1e9 added to scores and read by Softmax: literal, then mask; the emulated run stays finite after the softmax', async () => {
    const bytes = chain([
      { name: 'mask', opType: 'Constant', inputs: [], outputs: ['m'], attributes: [{ name: 'value', t: { dataType: 1, dims: [4], raw: f32([0, 0, -1e9, -1e9]) } }] },
      { name: 'scores', opType: 'Add', inputs: ['x', 'm'], outputs: ['s'] },
      { name: 'softmax', opType: 'Softmax', inputs: ['s'], outputs: ['p'], attributes: [{ name: 'axis', i: 0 }] },
    ]);
    const r = await traceActivations(bytes, { x }, { to: 'fp16', emulate: true });
    expect(r.outputs.map((o) => [o.output, o.overflowKind, o.literal])).toEqual([
      ['m', 'literal', true],
      ['s', 'mask', false],
      ['p', null, false],
    ]);
    expect(r.firstActivationOverflow).toBeNull();
    expect(r.emulation?.firstNonFinite?.output).toBe('m');
    expect(r.emulation?.breaksAt).toBeNull();
    expect(typeof r.outputs[2].emulatedSqnrDb).toBe('number');
    expect(r.findings.join(' ')).toMatch(/No activation overflows fp16 by itself/);
    // the sentence follows the overflow policy asked for, with or without an emulated run
    for (const emulate of [false, true]) {
      const sat = await traceActivations(bytes, { x }, { to: 'fp16', overflow: 'saturate', emulate });
      expect(sat.outputs.map((o) => o.overflowed)).toEqual(r.outputs.map((o) => o.overflowed));
      expect(sat.findings.join(' '), `emulate: ${emulate}`).toMatch(/-1e9 becomes -65504 in fp16/);
    }
  });

  it('the emulated SQNR of each output is what rounding its own fp32 values gives, where nothing upstream is rounded (a single node)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 4, maxLength: 4 }), async (v) => {
        const bytes = chain([{ name: 'id', opType: 'Identity', inputs: ['x'], outputs: ['y'] }]);
        // x is rounded first (a float graph input), then y = x: y's error is x's rounding error
        const r = await traceActivations(bytes, { x: { dtype: 'F32', shape: [4], data: Float32Array.from(v) } }, { to: 'bf16', emulate: true });
        const xs = Float32Array.from(v);
        let sig = 0;
        let noise = 0;
        for (const a of xs) {
          const b = round(a, 'bf16');
          sig += a * a;
          noise += (a - b) ** 2;
        }
        const want = sig === 0 ? 'zero' : noise === 0 ? 'exact' : 10 * Math.log10(sig / noise);
        const got = r.outputs[0].emulatedSqnrDb;
        if (typeof want === 'number') expect(Math.abs((got as number) - want)).toBeLessThan(1e-6);
        else expect(got).toBe(want);
      }),
      { numRuns: 15 },
    );
  });
});

// ---- inputs: what a decoder needs, made from the session's metadata

function decoder(): Uint8Array {
  // logits = Gather(emb, input_ids) · W; present.key = Concat(past.key, k); a mask and positions read as floats
  const d = 4;
  const emb = Float32Array.from({ length: 10 * d }, (_, i) => ((i % 7) - 3) / 4);
  return encodeOnnxModel({
    opset: 17,
    graph: {
      nodes: [
        { name: 'embed', opType: 'Gather', inputs: ['emb', 'input_ids'], outputs: ['h'] },
        { name: 'k', opType: 'Unsqueeze', inputs: ['h', 'one'], outputs: ['k1'] },
        { name: 'cat', opType: 'Concat', inputs: ['past_key_values.0.key', 'k1'], outputs: ['present.0.key'], attributes: [{ name: 'axis', i: 2 }] },
        { name: 'maskf', opType: 'Cast', inputs: ['attention_mask'], outputs: ['mf'], attributes: [{ name: 'to', i: 1 }] },
        { name: 'posf', opType: 'Cast', inputs: ['position_ids'], outputs: ['pf'], attributes: [{ name: 'to', i: 1 }] },
        { name: 'sum', opType: 'Add', inputs: ['mf', 'pf'], outputs: ['mp'] },
      ],
      initializers: [
        { name: 'emb', dataType: 1, dims: [10, d], raw: f32(emb) },
        { name: 'one', dataType: 7, dims: [1], int64Data: [1] },
      ],
      inputs: [
        { name: 'input_ids', elemType: 7, shape: ['batch_size', 'sequence_length'] },
        { name: 'attention_mask', elemType: 7, shape: ['batch_size', 'total_sequence_length'] },
        { name: 'position_ids', elemType: 7, shape: ['batch_size', 'sequence_length'] },
        { name: 'past_key_values.0.key', elemType: 1, shape: ['batch_size', 1, 'past_sequence_length', d] },
      ],
      outputs: [{ name: 'present.0.key' }, { name: 'mp' }],
    },
  });
}

describe('inputs', () => {
  it('token ids alone: ones for the mask, positions, an empty KV cache (past length 0), from the input metadata', async () => {
    const r = await traceActivations(decoder(), { input_ids: { random: [2, 5] } }, { to: 'fp16', seed: 7 });
    expect(r.inputs).toEqual([
      { name: 'input_ids', type: 'int64', shape: [2, 5], source: 'random' },
      { name: 'attention_mask', type: 'int64', shape: [2, 5], source: 'ones' },
      { name: 'position_ids', type: 'int64', shape: [2, 5], source: 'positions' },
      { name: 'past_key_values.0.key', type: 'float32', shape: [2, 1, 0, 4], source: 'empty-cache' },
    ]);
    const byName = new Map(r.outputs.map((o) => [o.output, o]));
    expect(byName.get('present.0.key')?.shape).toEqual([2, 1, 5, 4]);
    expect(byName.get('mp')?.maxAbs).toBe(5); // mask 1 + position 4
  });

  it('no inputs at all: random ids of the default length, the vocabulary from the embedding table', async () => {
    const r = await traceActivations(decoder(), {}, { to: 'fp16', sequenceLength: 3 });
    expect(r.inputs[0]).toEqual({ name: 'input_ids', type: 'int64', shape: [1, 3], source: 'random' });
  });

  it('an int32 .npy for an int64 input is converted; unknown names, wrong shapes and unmakeable inputs are INPUT errors', async () => {
    const ok = await traceActivations(decoder(), { input_ids: { dtype: 'I32', shape: [1, 2], data: new Int32Array([3, 9]) } }, { to: 'fp16' });
    expect(ok.inputs[0]).toMatchObject({ type: 'int64', source: 'given' });
    await expect(traceActivations(decoder(), { nope: x }, {})).rejects.toMatchObject({ code: 'INPUT' });
    await expect(traceActivations(decoder(), { input_ids: x }, {})).rejects.toMatchObject({ code: 'INPUT' });
    await expect(traceActivations(decoder(), { input_ids: { dtype: 'I64', shape: [3], data: new BigInt64Array(3) } }, {})).rejects.toMatchObject({ code: 'INPUT' });
    const float = chain([{ name: 'r', opType: 'Relu', inputs: ['x'], outputs: ['y'] }]);
    await expect(traceActivations(float, {}, {})).rejects.toBeInstanceOf(TraceError);
  });

  it("inputs named like Object.prototype's properties (__proto__, constructor) are fed when given, and missing when not", async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const bytes = encodeOnnxModel({ opset: 17, graph: { nodes: [{ name: 'r', opType: 'Relu', inputs: [name], outputs: ['y'] }], inputs: [{ name, elemType: 1, shape: [4] }], outputs: [{ name: 'y', elemType: 1, shape: [4] }] } });
      const given: Record<string, typeof x> = Object.create(null);
      given[name] = x;
      const r = await traceActivations(bytes, given, { to: 'fp16' });
      expect(r.inputs, name).toEqual([{ name, type: 'float32', shape: [4], source: 'given' }]);
      expect(r.outputs[0].maxAbs, name).toBe(3);
      await expect(traceActivations(bytes, {}, {}), name).rejects.toThrow(`expected a value for input '${name}'`);
    }
  });

  it('integer ids converted to the integer type the model wants arrive unchanged, or are an INPUT error when they do not fit it', async () => {
    const bytes = encodeOnnxModel({
      opset: 17,
      graph: {
        nodes: [{ name: 'f', opType: 'Cast', inputs: ['ids'], outputs: ['y'], attributes: [{ name: 'to', i: 11 }] }],
        inputs: [{ name: 'ids', elemType: 6, shape: [3] }],
        outputs: [{ name: 'y', elemType: 11, shape: [3] }],
      },
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n })), { minLength: 3, maxLength: 3 }), async (v) => {
        const ids = { dtype: 'I64' as const, shape: [3], data: BigInt64Array.from(v) };
        const fits = v.every((b) => b >= -(2n ** 31n) && b < 2n ** 31n);
        const run = traceActivations(bytes, { ids }, { to: 'fp16' });
        if (!fits) await expect(run).rejects.toMatchObject({ code: 'INPUT' });
        else expect((await run).outputs[0].maxAbs).toBe(Math.max(...v.map((b) => Math.abs(Number(b)))));
      }),
      { numRuns: 20 },
    );
  });

  it('bad options and formats: TypeError/RangeError or a FORMAT TraceError', async () => {
    const bytes = chain([{ name: 'r', opType: 'Relu', inputs: ['x'], outputs: ['y'] }]);
    await expect(traceActivations(bytes, { x }, { to: 'fp99' })).rejects.toMatchObject({ code: 'FORMAT' });
    await expect(traceActivations(bytes, { x }, { to: 'fp8-e8m0fnu', emulate: true })).rejects.toMatchObject({ code: 'FORMAT' });
    await expect(traceActivations(bytes, { x }, { maxActivationBytes: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(traceActivations(42 as unknown as Uint8Array, { x }, {})).rejects.toBeInstanceOf(TypeError);
    // what makes missing inputs: checked before anything runs, never turned into odd ids or shapes
    for (const bad of [{ vocab: -3 }, { vocab: 2.5 }, { batch: 0 }, { sequenceLength: -1 }, { sequenceLength: NaN }, { seed: NaN }, { seed: 1.5 }]) {
      await expect(traceActivations(bytes, { x }, bad), JSON.stringify(bad)).rejects.toBeInstanceOf(RangeError);
    }
    await expect(traceActivations(bytes, { x }, { seed: '1' as unknown as number })).rejects.toBeInstanceOf(TypeError);
    await expect(traceActivations(bytes, { x }, [] as unknown as object)).rejects.toBeInstanceOf(TypeError);
  });
});

// ---- merged decoders: the If on use_cache_branch is inlined

describe('If nodes whose condition the run feeds', () => {
  const branch = (k: string, out: string): OnnxGraphInit => ({
    name: out,
    nodes: [{ name: `${out}/mul`, opType: 'Mul', inputs: ['x', k], outputs: [`${out}/y`] }, { name: `${out}/relu`, opType: 'Relu', inputs: [`${out}/y`], outputs: [out] }],
    outputs: [{ name: out, elemType: 1, shape: [4] }],
  });
  const merged = encodeOnnxModel({
    opset: 17,
    graph: {
      nodes: [
        { name: 'pre', opType: 'Identity', inputs: ['x'], outputs: ['x0'] },
        { name: 'optimum::if', opType: 'If', inputs: ['use_cache_branch'], outputs: ['h'], attributes: [{ name: 'then_branch', g: branch('kb', 'then_out') }, { name: 'else_branch', g: branch('ks', 'else_out') }] },
        { name: 'post', opType: 'Neg', inputs: ['h'], outputs: ['logits'] },
      ],
      initializers: [{ name: 'kb', dataType: 1, dims: [], raw: f32([1e5]) }, { name: 'ks', dataType: 1, dims: [], raw: f32([0.5]) }],
      inputs: [{ name: 'x', elemType: 1, shape: [4] }, { name: 'use_cache_branch', elemType: 9, shape: [1] }],
      outputs: [{ name: 'logits', elemType: 1, shape: [4] }],
    },
  });

  it('use_cache_branch made false: the else branch is inlined and its nodes traced', async () => {
    const r = await traceActivations(merged, { x }, { to: 'fp16' });
    expect(r.inputs[1]).toEqual({ name: 'use_cache_branch', type: 'bool', shape: [1], source: 'false' });
    expect(r.model.inlinedIfs).toEqual([{ node: 'optimum::if', branch: 'else_branch', condition: 'use_cache_branch' }]);
    expect(r.outputs.map((o) => o.node)).toEqual(['pre', 'else_out/mul', 'else_out/relu', 'optimum::if::out0', 'post']);
    expect(r.firstOverflow).toBeNull();
    expect(r.model.subgraphNodes).toBe(0);
    expect(r.findings.join(' ')).toMatch(/If node optimum::if was inlined: use_cache_branch is false/);
  });

  it('use_cache_branch given true: the then branch runs, and its planted overflow is found at its node', async () => {
    const r = await traceActivations(merged, { x, use_cache_branch: { dtype: 'BOOL', shape: [1], data: new Uint8Array([1]) } }, { to: 'fp16', emulate: true });
    expect(r.model.inlinedIfs[0].branch).toBe('then_branch');
    expect(r.firstActivationOverflow).toEqual({ node: 'then_out/mul', output: 'then_out/y' });
    expect(r.emulation?.breaksAt?.output).toBe('then_out/y');
    const fp32 = r.outputs.find((o) => o.output === 'logits');
    expect(fp32?.maxAbs).toBe(3e5);
  });

  it('an If whose condition is computed is left alone: its nodes are counted as not traced', async () => {
    const computed = encodeOnnxModel({
      opset: 17,
      graph: {
        nodes: [
          { name: 'cmp', opType: 'Greater', inputs: ['x', 'ks'], outputs: ['c4'] },
          { name: 'cast', opType: 'Cast', inputs: ['c4'], outputs: ['cb'], attributes: [{ name: 'to', i: 1 }] },
          { name: 'red', opType: 'ReduceMax', inputs: ['cb'], outputs: ['cr'], attributes: [{ name: 'keepdims', i: 0 }] },
          { name: 'tob', opType: 'Cast', inputs: ['cr'], outputs: ['cond'], attributes: [{ name: 'to', i: 9 }] },
          { name: 'if', opType: 'If', inputs: ['cond'], outputs: ['h'], attributes: [{ name: 'then_branch', g: branch('kb', 'then_out') }, { name: 'else_branch', g: branch('ks', 'else_out') }] },
        ],
        initializers: [{ name: 'kb', dataType: 1, dims: [], raw: f32([1e5]) }, { name: 'ks', dataType: 1, dims: [], raw: f32([0.5]) }],
        inputs: [{ name: 'x', elemType: 1, shape: [4] }],
        outputs: [{ name: 'h', elemType: 1, shape: [4] }],
      },
    });
    const r = await traceActivations(computed, { x }, { to: 'fp16' });
    expect(r.model.inlinedIfs).toEqual([]);
    expect(r.model.subgraphNodes).toBe(4);
    expect(r.outputs.map((o) => o.output)).toEqual(['cb', 'cr', 'h']);
  });
});
