// The rounding an emulated trace inserts into the graph, run by onnxruntime, against lowp/formats'
// round() (the exact generic codec): the arithmetic subgraph for every signed format with subnormals
// and each overflow policy it allows, and the Cast pairs for fp16 and bf16, on every code of the small
// formats, the midpoints between neighbouring codes (ties to even), the edges of the range (max, the
// overflow threshold, the smallest subnormal and half of it), non-finite values and random float32s.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeGeneric } from '../../src/formats/codec.js';
import { getFormat, round, type OverflowPolicy } from '../../src/formats/index.js';
import { encodeOnnxModel } from '../../src/io/index.js';
import { emulationPlan, roundingConstants, roundingNodes } from '../../src/onnx/emulate.js';

/** A model y = round(x) for x float32 [n], by the plan's method. */
function roundingModel(format: string, overflow: OverflowPolicy | undefined, n: number): { bytes: Uint8Array; method: string } {
  const plan = emulationPlan(getFormat(format), 17, overflow);
  const c = roundingConstants(plan, 'k.');
  const nodes =
    plan.method === 'cast'
      ? [
          { opType: 'Cast', inputs: ['x'], outputs: ['lp'], attributes: [{ name: 'to', i: plan.castType }] },
          { opType: 'Cast', inputs: ['lp'], outputs: ['y'], attributes: [{ name: 'to', i: 1 }] },
        ]
      : roundingNodes('x', 'y', 't', c.names);
  const bytes = encodeOnnxModel({
    opset: 17,
    graph: { nodes, initializers: plan.method === 'cast' ? [] : c.initializers, inputs: [{ name: 'x', elemType: 1, shape: [n] }], outputs: [{ name: 'y', elemType: 1, shape: [n] }] },
  });
  return { bytes, method: plan.method };
}

async function runRounding(format: string, overflow: OverflowPolicy | undefined, xs: Float32Array): Promise<Float32Array> {
  const { bytes } = roundingModel(format, overflow, xs.length);
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const r = await s.run({ x: new ort.Tensor('float32', xs, [xs.length]) });
  await s.release();
  return r.y.data as Float32Array;
}

/** Every finite code's value, the midpoints between neighbours, the edges: the inputs where rounding is decided. */
function decisive(format: string): Float32Array {
  const f = getFormat(format);
  const vals = new Set<number>();
  if (f.bits <= 8) {
    const codes: number[] = [];
    for (let c = 0; c < 2 ** f.bits; c++) {
      const v = decodeGeneric(c, f);
      if (Number.isFinite(v) && v >= 0) codes.push(v);
    }
    codes.sort((a, b) => a - b);
    for (let i = 0; i < codes.length; i++) {
      vals.add(codes[i]);
      if (i + 1 < codes.length) {
        const mid = (codes[i] + codes[i + 1]) / 2;
        vals.add(mid);
        vals.add(Math.fround(mid * (1 + 2 ** -20)));
        vals.add(Math.fround(mid * (1 - 2 ** -20)));
      }
    }
    const top = codes[codes.length - 1];
    const ulp = top - codes[codes.length - 2];
    for (const k of [0.25, 0.5, 0.75, 1, 2, 1e6]) vals.add(top + k * ulp);
  } else {
    const sub = 2 ** (f.minNormalExponent - f.mantissaBits);
    for (const v of [sub, sub / 2, sub * 1.5, sub * 0.75, 2 ** f.minNormalExponent, f.max, f.max * (1 + 2 ** -(f.mantissaBits + 1)), f.max * 1.001, 1 + 2 ** -(f.mantissaBits + 1), 1 + 3 * 2 ** -(f.mantissaBits + 1), 3e38]) vals.add(v);
  }
  const out = [...vals].filter((v) => Number.isFinite(Math.fround(v)));
  return Float32Array.from([...out, ...out.map((v) => -v), 0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38]);
}

function expectSame(format: string, overflow: OverflowPolicy | undefined, xs: Float32Array, ys: Float32Array): void {
  for (let i = 0; i < xs.length; i++) {
    const want = Math.fround(round(xs[i], format, overflow === undefined ? undefined : { overflow }));
    const got = ys[i];
    const same = Number.isNaN(want) ? Number.isNaN(got) : got === want;
    if (!same) expect(got, `${format} ${overflow ?? 'default'}: round(${xs[i]})`).toBe(want);
  }
}

const CASES: [string, OverflowPolicy | undefined][] = [
  ['fp16', undefined],
  ['bf16', undefined],
  ['fp16', 'saturate'],
  ['fp8-e4m3fn', undefined],
  ['fp8-e4m3fn', 'saturate'],
  ['fp8-e5m2', undefined],
  ['fp8-e5m2', 'saturate'],
  ['fp8-e5m2', 'nan'],
  ['fp8-e4m3fnuz', undefined],
  ['fp8-e5m2fnuz', undefined],
  ['fp6-e2m3fn', undefined],
  ['fp6-e3m2fn', undefined],
  ['fp4-e2m1fn', undefined],
];

describe("an emulated run's rounding, run by onnxruntime, equals lowp/formats' round()", () => {
  for (const [format, overflow] of CASES) {
    it(`${format}${overflow ? ` (overflow: ${overflow})` : ''}: ${roundingModel(format, overflow, 1).method}, on every decisive input and on random float32s`, async () => {
      const xs = decisive(format);
      expectSame(format, overflow, xs, await runRounding(format, overflow, xs));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.float(), { minLength: 1, maxLength: 64 }), async (v) => {
          const r = Float32Array.from(v);
          expectSame(format, overflow, r, await runRounding(format, overflow, r));
        }),
        { numRuns: 20 },
      );
    });
  }
});
