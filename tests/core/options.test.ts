// Every core function that takes an options object refuses a bare value in its place (a format name, a
// number, null, an array, or the `out` array itself) with a TypeError naming the function, instead of
// ignoring it: the one check in src/core/options.ts, called everywhere.
import { describe, expect, it } from 'vitest';
import {
  accumulationRisk, analyzeCast, compare, createDynamicMap, decodeArray, divisionRisk, DynamicLossScaler, encodeArray,
  int8Matmul, int8VectorwiseQuant, llmInt8Linear, matmul, pack4, quantize4bit, quantizeAbsmax, quantizeBlockwise,
  quantizeGgml, quantizeMx, quantizeScaledFp8, recommendLossScale,
} from '../../src/index.js';

const x = new Float32Array(64).map((_, i) => Math.sin(i));
const m = { rows: 8, cols: 8, data: x };
const q = { rows: 2, cols: 2, data: new Int8Array(4) };
const calls: [string, (bad: never) => unknown][] = [
  ['encodeArray', (o) => encodeArray(x, 'bf16', o)],
  ['decodeArray', (o) => decodeArray(new Uint16Array(2), 'bf16', o)],
  ['pack4', (o) => pack4(new Uint8Array(2), o)],
  ['matmul', (o) => matmul(m, m, o)],
  ['int8Matmul', (o) => int8Matmul(q, q, o)],
  ['quantizeAbsmax', (o) => quantizeAbsmax(m, o)],
  ['int8VectorwiseQuant', (o) => int8VectorwiseQuant(m, o)],
  ['llmInt8Linear', (o) => llmInt8Linear(m, m, o)],
  ['compare', (o) => compare(x, x, o)],
  ['quantizeBlockwise', (o) => quantizeBlockwise(x, o)],
  ['quantize4bit', (o) => quantize4bit(x, o)],
  ['quantizeScaledFp8', (o) => quantizeScaledFp8(x, o)],
  ['quantizeMx', (o) => quantizeMx(x, o)],
  ['quantizeGgml', (o) => quantizeGgml(x, 'Q8_0', o)],
  ['createDynamicMap', (o) => createDynamicMap(o)],
  ['analyzeCast', (o) => analyzeCast(x, 'fp16', o)],
  ['divisionRisk', (o) => divisionRisk(x, 'fp16', o)],
  ['accumulationRisk', (o) => accumulationRisk(x, o)],
  ['recommendLossScale', (o) => recommendLossScale(x, 'fp16', o)],
  ['DynamicLossScaler', (o) => new DynamicLossScaler(o)],
];

describe('options must be an object', () => {
  it.each(calls)('%s accepts no options and {} but refuses bare values', (name, call) => {
    expect(() => call(undefined as never)).not.toThrow();
    expect(() => call({} as never)).not.toThrow();
    for (const bad of ['bf16', 3, null, [1], new Float32Array(1), true]) {
      expect(() => call(bad as never)).toThrow(TypeError);
      expect(() => call(bad as never)).toThrow(new RegExp(`${name}: options must be an object`));
    }
  });
});
