// lowp/onnx's trace with onnxruntime-web as the runtime (what browsers use; its WebAssembly backend also
// runs in Node), against the same oracle as tests/onnx/trace.test.ts: onnxruntime 1.30's activations.json.
// onnxruntime-web's kernels are not onnxruntime-node's (other summation orders), so its float values may
// differ in their last bits: the counts, the first overflow and the emulated SQNR must not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/io/index.js';
import { traceActivations, type OrtModuleLike } from '../../src/onnx/index.js';
import { FIXTURES } from '../helpers/vectors.js';

const DIR = join(FIXTURES, 'onnx');
interface Counts { overflowed: number; flushedToZero: number; subnormal: number }
const oracle = JSON.parse(readFileSync(join(DIR, 'activations.json'), 'utf8')) as {
  outputs: { output: string; maxAbs: number; fp16: Counts }[];
  firstOverflow: Record<string, string>;
  emulatedFp16SqnrDb: Record<string, number | string>;
};

describe('traceActivations with onnxruntime-web as the runtime', () => {
  it('the vector model: every fp16 count and the first overflow as activations.json, max |x| within 1e-6 relative, the emulated SQNR within 0.5 dB', async () => {
    const ids = readNpyFile(join(DIR, 'input_ids.npy'));
    const model = new Uint8Array(readFileSync(join(DIR, 'model.onnx')));
    const r = await traceActivations(model, { input_ids: ids }, { to: 'fp16', emulate: true, runtime: ortWeb as unknown as OrtModuleLike });
    expect(r.runtime.name).toBe('given');
    expect(r.outputs.map((o) => o.output)).toEqual(oracle.outputs.map((o) => o.output));
    r.outputs.forEach((o, i) => {
      const want = oracle.outputs[i];
      expect({ overflowed: o.overflowed, flushedToZero: o.flushedToZero, subnormal: o.subnormal }, o.output).toEqual(want.fp16);
      expect(Math.abs(o.maxAbs - want.maxAbs), o.output).toBeLessThanOrEqual(1e-6 * want.maxAbs);
      const sqnr = oracle.emulatedFp16SqnrDb[o.output];
      if (typeof sqnr === 'number') expect(Math.abs((o.emulatedSqnrDb as number) - sqnr), o.output).toBeLessThanOrEqual(0.5);
      else expect(o.emulatedSqnrDb, o.output).toBe(sqnr);
    });
    expect(r.firstOverflow?.output ?? null).toBe(oracle.firstOverflow.fp16 ?? null);
  }, 120_000);
});
