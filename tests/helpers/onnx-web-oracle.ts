// activations.json (onnxruntime 1.30's own fp16 figures for the vector model, tests/fixtures/onnx) and the
// check of a trace run with onnxruntime-web against it: onnxruntime-web's kernels sum in another order
// than onnxruntime-node's, so every count, the first overflow and the emulated SQNR (within 0.5 dB) must
// be the oracle's, and max |x| within 1e-6 relative.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { FIXTURES } from './vectors.js';

interface Counts { overflowed: number; flushedToZero: number; subnormal: number }
const oracle = JSON.parse(readFileSync(join(FIXTURES, 'onnx', 'activations.json'), 'utf8')) as {
  outputs: { output: string; maxAbs: number; fp16: Counts }[];
  firstOverflow: Record<string, string>;
  emulatedFp16SqnrDb: Record<string, number | string>;
};

/** The figures of one traced output that the check compares (a plain object, so a browser can return it). */
export interface WebTraceOutput extends Counts {
  output: string;
  maxAbs: number;
  emulatedSqnrDb?: number | string;
}

/** Asserts that an fp16 trace of the vector model with `--emulate` gives activations.json's figures. */
export function expectVectorModelFp16(outputs: readonly WebTraceOutput[], firstOverflow: string | null): void {
  expect(outputs.map((o) => o.output)).toEqual(oracle.outputs.map((o) => o.output));
  outputs.forEach((o, i) => {
    const want = oracle.outputs[i];
    expect({ overflowed: o.overflowed, flushedToZero: o.flushedToZero, subnormal: o.subnormal }, o.output).toEqual(want.fp16);
    expect(Math.abs(o.maxAbs - want.maxAbs), o.output).toBeLessThanOrEqual(1e-6 * want.maxAbs);
    const sqnr = oracle.emulatedFp16SqnrDb[o.output];
    if (typeof sqnr === 'number') expect(Math.abs((o.emulatedSqnrDb as number) - sqnr), o.output).toBeLessThanOrEqual(0.5);
    else expect(o.emulatedSqnrDb, o.output).toBe(sqnr);
  });
  expect(firstOverflow).toBe(oracle.firstOverflow.fp16 ?? null);
}
