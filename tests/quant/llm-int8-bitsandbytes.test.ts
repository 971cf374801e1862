// Conformance with bitsandbytes (oracle: ../shared/vectors/llm-int8-bitsandbytes, produced by
// bitsandbytes 0.50 `F.int8_vectorwise_quant` and `bnb.matmul` = MatMul8bitLt; fixture subset when
// ../shared is absent). Every case present is checked: CA, SCA, outlier columns, CB, SCB bit-identical;
// Y within 2 fp16 ulps elementwise (in fact bit-identical with the default constant), and the RMS error
// against Yref_f64 no worse than bitsandbytes' own.
import { describe, expect, it } from 'vitest';
import { loadVectors } from '../helpers/vectors.js';
import { decodeArray, ulp } from '../../src/formats/index.js';
import { int8VectorwiseQuant } from '../../src/quant/vectorwise.js';
import { llmInt8Linear, prepareInt8Weight } from '../../src/quant/llm-int8.js';

const vf = loadVectors('llm-int8-bitsandbytes');
const cases = Object.keys(vf.metadata).filter((c) => vf.has(`${c}.A_fp16`));

function rms(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += (y[i] - ref[i]) ** 2;
  return Math.sqrt(s / ref.length);
}

describe(`llm-int8-bitsandbytes vectors (${vf.source}: ${cases.length} cases)`, () => {
  it('has cases to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const c of cases) {
    const md = JSON.parse(vf.metadata[c]) as { m: number; k: number; n: number; threshold: number };
    const A = { rows: md.m, cols: md.k, data: vf.get(`${c}.A_fp16`).data as Uint16Array, format: 'fp16' };
    const W = { rows: md.n, cols: md.k, data: vf.get(`${c}.W_fp16`).data as Uint16Array, format: 'fp16' };

    it(`${c}: CA, SCA and the outlier columns are bit-identical (m=${md.m}, k=${md.k}, threshold=${md.threshold})`, () => {
      const q = int8VectorwiseQuant(A, { threshold: md.threshold });
      expect(q.codes.rows).toBe(md.m);
      expect(Array.from(q.codes.data)).toEqual(Array.from(vf.get(`${c}.CA_i8`).data as Int8Array));
      const sca = vf.get(`${c}.SCA_f32`).data as Float32Array;
      expect(new Uint32Array(q.absmax.buffer)).toEqual(new Uint32Array(sca.buffer, sca.byteOffset, sca.length));
      const oc = Array.from(vf.get(`${c}.outlier_cols_count_then_cols_i64`).data as BigInt64Array, Number);
      expect(oc[0]).toBe(oc.length - 1);
      expect(Array.from(q.outlierCols)).toEqual(oc.slice(1));
    });

    it(`${c}: CB and SCB (weights, threshold 0) are bit-identical`, () => {
      const pw = prepareInt8Weight(W);
      expect(Array.from(pw.codes.data)).toEqual(Array.from(vf.get(`${c}.CB_i8`).data as Int8Array));
      const scb = vf.get(`${c}.SCB_f32`).data as Float32Array;
      expect(new Uint32Array(pw.absmax.buffer)).toEqual(new Uint32Array(scb.buffer, scb.byteOffset, scb.length));
    });

    it(`${c}: Y within 2 fp16 ulps of bitsandbytes (bit-identical with its constant) and RMS vs Yref_f64 no worse`, () => {
      const yb = vf.get(`${c}.Y_fp16`).data as Uint16Array;
      const ybv = decodeArray(yb, 'fp16');
      const ref = vf.get(`${c}.Yref_f64`).data as Float64Array;
      const r = llmInt8Linear(A, W, { threshold: md.threshold });
      expect(r.output.format).toBe('fp16');
      const y = decodeArray(r.output.data as Uint16Array, 'fp16');
      for (let i = 0; i < y.length; i++) {
        const tol = 2 * ulp(ybv[i], 'fp16');
        if (!(Math.abs(y[i] - ybv[i]) <= tol)) throw new Error(`${c}: Y[${i}] = ${y[i]}, bitsandbytes ${ybv[i]} (more than 2 fp16 ulps apart)`);
      }
      // stronger: with bitsandbytes' own dequantization constant every output bit agrees
      expect(Array.from(r.output.data as Uint16Array)).toEqual(Array.from(yb));
      expect(rms(y, ref)).toBeLessThanOrEqual(rms(ybv, ref));
      // the same through a prepared weight
      const r2 = llmInt8Linear(A, prepareInt8Weight(W), { threshold: md.threshold });
      expect(Array.from(r2.output.data as Uint16Array)).toEqual(Array.from(yb));
      // the exact constant fl32(1/127²) changes the last bit of some int8-path results (which the outlier
      // sum may then cancel down to a smaller magnitude); overall it is as accurate
      const re = llmInt8Linear(A, W, { threshold: md.threshold, dequantConstant: 'exact' });
      const ye = decodeArray(re.output.data as Uint16Array, 'fp16');
      expect(rms(ye, ref)).toBeLessThanOrEqual(rms(ybv, ref) * 1.02);
    });
  }
});
