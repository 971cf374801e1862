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
import { expectVectorModelFp16 } from '../helpers/onnx-web-oracle.js';
import { FIXTURES } from '../helpers/vectors.js';

const DIR = join(FIXTURES, 'onnx');

describe('traceActivations with onnxruntime-web as the runtime', () => {
  it('the vector model: every fp16 count and the first overflow as activations.json, max |x| within 1e-6 relative, the emulated SQNR within 0.5 dB', async () => {
    const ids = readNpyFile(join(DIR, 'input_ids.npy'));
    const model = new Uint8Array(readFileSync(join(DIR, 'model.onnx')));
    const r = await traceActivations(model, { input_ids: ids }, { to: 'fp16', emulate: true, runtime: ortWeb as unknown as OrtModuleLike });
    expect(r.runtime.name).toBe('given');
    expectVectorModelFp16(r.outputs, r.firstOverflow?.output ?? null);
  }, 120_000);
});
