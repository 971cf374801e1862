// lowp/onnx in a real browser, as a transformers.js user would run it: src/onnx/index.ts bundled as
// browser ESM with onnxruntime left out (no node: import may survive), onnxruntime-web's own ESM build
// and its WebAssembly served beside it through an import map, and the vector model traced in headless
// Chromium. lowp picks onnxruntime-web by itself there (it is not given the module). The figures must be
// activations.json's (onnxruntime 1.30): every fp16 count, the first overflow and the emulated SQNR;
// max |x| within 1e-6 relative (onnxruntime-web's kernels sum in another order than onnxruntime-node's).
// Skipped (with a message) only when /usr/bin/chromium is absent and CI is not set.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/io/index.js';
import { browserTestsEnabled, openBrowserPage, type BrowserPage } from '../helpers/browser-page.js';
import { expectVectorModelFp16 } from '../helpers/onnx-web-oracle.js';
import { FIXTURES } from '../helpers/vectors.js';

describe.skipIf(!browserTestsEnabled('tests/browser'))('lowp/onnx traces with onnxruntime-web in headless Chromium', () => {
  let page0: BrowserPage;

  beforeAll(async () => {
    page0 = await openBrowserPage('src/onnx/index.ts', 'lowpOnnx', {
      external: ['onnxruntime-web', 'onnxruntime-node'],
      imports: { 'onnxruntime-web': '/ort/ort.wasm.min.mjs' },
      folders: { '/ort/': 'node_modules/onnxruntime-web/dist/', '/data/': 'tests/fixtures/onnx/' },
    });
  }, 60_000);

  afterAll(async () => {
    await page0?.close();
  });

  it('the vector model: the fp16 figures of activations.json, with lowp loading onnxruntime-web itself', async () => {
    const page = await page0.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(page0.url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 });
    const ids = readNpyFile(join(FIXTURES, 'onnx', 'input_ids.npy'));
    const r = await page.evaluate(
      async ({ ids, shape }) => {
        const onnx = (window as unknown as { lowpOnnx: typeof import('../../src/onnx/index.js') }).lowpOnnx;
        const model = new Uint8Array(await (await fetch('/data/model.onnx')).arrayBuffer());
        const input = { dtype: 'I64' as const, shape, data: BigInt64Array.from(ids, (x) => BigInt(x)) };
        const report = await onnx.traceActivations(model, { input_ids: input }, { to: 'fp16', emulate: true });
        return {
          runtime: report.runtime.name,
          firstOverflow: report.firstOverflow?.output ?? null,
          outputs: report.outputs.map((o) => ({ output: o.output, maxAbs: o.maxAbs, overflowed: o.overflowed, flushedToZero: o.flushedToZero, subnormal: o.subnormal, emulatedSqnrDb: o.emulatedSqnrDb })),
        };
      },
      { ids: Array.from(ids.data as BigInt64Array, Number), shape: ids.shape },
    );
    expect(errors).toEqual([]);
    expect(r.runtime).toBe('onnxruntime-web');
    expectVectorModelFp16(r.outputs, r.firstOverflow);
    await page.close();
  }, 120_000);
});
