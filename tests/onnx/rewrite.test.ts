// The model rewrites of a trace, checked on the decoded result: a second `graph` field appended to a
// model merges into its graph (lowp/io's decoder and onnxruntime agree: the new outputs exist, typed by
// onnxruntime's inference); a copied node keeps every field but its inputs, outputs and name, byte for
// byte (attributes, subgraphs, domain); and the emulated copy wires each consumer to the rounded value.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModelBytes, encodeOnnxModel, type OnnxAttributeInit } from '../../src/io/index.js';
import { decodeNodeBytes } from '../../src/io/onnx/model.js';
import { getFormat } from '../../src/formats/index.js';
import { emulationPlan } from '../../src/onnx/emulate.js';
import { graphFacts } from '../../src/onnx/graph.js';
import { copyNode, withEmulation, withOutputs } from '../../src/onnx/rewrite.js';

const f32 = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

const model = encodeOnnxModel({
  opset: 17,
  graph: {
    nodes: [
      { name: 'a', opType: 'Mul', inputs: ['x', 'w'], outputs: ['y'] },
      { name: 'b', opType: 'Relu', inputs: ['y'], outputs: ['z'] },
      { name: 'c', opType: 'Shape', inputs: ['z'], outputs: ['s'] },
      { name: 'd', opType: 'Add', inputs: ['z', 'y'], outputs: ['out'] },
    ],
    initializers: [{ name: 'w', dataType: 1, dims: [2], raw: f32([3, -0.5]) }],
    inputs: [{ name: 'x', elemType: 1, shape: [2] }],
    outputs: [{ name: 'out', elemType: 1, shape: [2] }],
  },
});

describe('rewriting a model by appending fields', () => {
  it('withOutputs: the outputs merge into the graph; onnxruntime infers their types (float for y, z; int64 for the shape)', async () => {
    const bytes = withOutputs(model, ['y', 'z', 's']);
    expect(bytes.subarray(0, model.length)).toEqual(model);
    const m = decodeModelBytes(bytes);
    expect(m.graph.outputs.map((o) => o.name)).toEqual(['out', 'y', 'z', 's']);
    expect(m.graph.nodes).toHaveLength(4);
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    expect(Object.fromEntries(s.outputMetadata.map((o) => [o.name, (o as { type?: string }).type]))).toEqual({ out: 'float32', y: 'float32', z: 'float32', s: 'int64' });
    await s.release();
  });

  it('copyNode keeps every other field byte for byte: attributes of every kind, a subgraph, the domain', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(
          fc.record({ name: fc.string(), f: fc.float({ noNaN: true }) }),
          fc.record({ name: fc.string(), i: fc.integer() }),
          fc.record({ name: fc.string(), s: fc.string() }),
          fc.record({ name: fc.string(), ints: fc.array(fc.integer(), { maxLength: 4 }) }),
          fc.record({ name: fc.string(), g: fc.constant({ nodes: [{ opType: 'Identity', inputs: ['outer'], outputs: ['o'] }] }) }),
        ) as fc.Arbitrary<OnnxAttributeInit>, { maxLength: 5 }),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('', 'com.microsoft'),
        (attributes, inputs, outputs, domain) => {
          const bytes = encodeOnnxModel({ graph: { nodes: [{ name: 'n', opType: 'Op', domain, inputs, outputs, attributes }] } });
          const node = decodeModelBytes(bytes).graph.nodes[0];
          const copy = decodeNodeBytes(copyNode(bytes, node, (v) => `${v}+in`, (v) => `${v}+out`, 'n2'));
          expect(copy.inputs).toEqual(inputs.map((v) => `${v}+in`));
          expect(copy.outputs).toEqual(outputs.map((v) => `${v}+out`));
          expect(copy.name).toBe('n2');
          expect(copy.opType).toBe('Op');
          expect(copy.domain).toBe(domain);
          const strip = (a: typeof node.attributes) => JSON.stringify(a, (k, v) => (k === 'range' || k === 'ranges' || k === 'keyAt' || k === 'raw' ? undefined : v));
          expect(strip(copy.attributes)).toBe(strip(node.attributes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the emulated copy: each consumer reads the rounded value, fp32 and emulated outputs side by side from one run', async () => {
    const m = decodeModelBytes(model);
    const facts = graphFacts(m.graph);
    const types = new Map([['x', 1], ['y', 1], ['z', 1], ['out', 1]]);
    const { bytes, twin } = withEmulation(model, m, facts, types, emulationPlan(getFormat('fp8-e4m3fn'), 17), ['y', 'z', 'out']);
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    const names = ['y', 'z', 'out'].flatMap((v) => [v, twin.get(v) as string]);
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([0.3, -7]), [2]) }, names);
    const get = (n: string): number[] => [...(r[n].data as Float32Array)];
    // fp32: y = [0.9, 3.5], z = y, out = 2y; fp8-e4m3fn: x → [0.3125, -7], y → round([0.9375, 3.5]) = [0.9375, 3.5]
    expect(get('y')).toEqual([Math.fround(Math.fround(0.3) * 3), 3.5]);
    expect(get(twin.get('y') as string)).toEqual([0.9375, 3.5]);
    expect(get(twin.get('out') as string)).toEqual([1.875, 7]);
    await s.release();
  });
});
