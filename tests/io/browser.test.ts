// lowp/io in a real browser: src/io/index.ts bundled as browser ESM (esbuild; no node: import may
// survive), loaded in headless Chromium (playwright-core, /usr/bin/chromium) from a local page. There it
// writes a checkpoint, reads it back from a Blob and a File (streaming chunks as float32), reads a
// sharded checkpoint from Blobs, round-trips .npy, rejects a corrupt file with SafetensorsError, and
// answers a path with NO_FS (no node:fs in a browser). Results are compared with the same calls in Node.
// Skipped (with a message) only when /usr/bin/chromium is absent and CI is not set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as io from '../../src/io/index.js';
import { browserTestsEnabled, openBrowserPage, type BrowserPage } from '../helpers/browser-page.js';

/** The scenario, run identically in Node and in the page (receives the lowp/io module). */
async function scenario(lowp: typeof io): Promise<unknown> {
  const n = 1000;
  const w = new Float32Array(n).map((_, i) => Math.sin(i) * 100);
  const h = new Uint16Array(n).map((_, i) => (0x3f80 + i) & 0xffff);
  const bytes = lowp.writeSafetensors(
    { w: { dtype: 'F32', shape: [10, 100], data: w }, h: { dtype: 'BF16', shape: [n], data: h }, q: { dtype: 'F8_E4M3', shape: [4], data: new Uint8Array([0x38, 0x7e, 0xfe, 0x01]) } },
    { format: 'pt' },
  );
  const out: Record<string, unknown> = {};
  for (const [label, src] of [['blob', new Blob([bytes])], ['file', new File([bytes], 'model.safetensors')], ['bytes', bytes]] as const) {
    const st = await lowp.openSafetensors(src as never);
    const sums: number[] = [];
    for (const t of st.tensors) {
      let s = 0;
      let count = 0;
      for await (const c of st.chunks(t.name, { elements: 300, as: 'float32' })) {
        for (const x of c.data) s += x;
        count += c.data.length;
      }
      sums.push(t.elements, count, s);
    }
    out[label] = { names: st.names(), meta: { ...st.metadata }, sums, q: [...(await st.readFloat('q'))] };
    await st.close();
  }
  const idx = JSON.stringify({ weight_map: { a: 'one.safetensors', b: 'two.safetensors' } });
  const shards: Record<string, Blob> = {
    'one.safetensors': new Blob([lowp.writeSafetensors({ a: { dtype: 'I32', shape: [2], data: new Int32Array([1, -2]) } })]),
    'two.safetensors': new Blob([lowp.writeSafetensors({ b: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) } })]),
  };
  const ck = await lowp.openShardedSafetensors(idx, (f) => shards[f]);
  out.sharded = [ck.tensors.map((t) => `${t.file}:${t.name}`), [...(await ck.readFloat('a'))], [...(await ck.readFloat('b'))]];
  const npy = lowp.readNpy(lowp.writeNpy({ dtype: 'F16', shape: [2, 1], data: new Uint16Array([0x3c00, 0xc000]) }, { version: 3 }));
  out.npy = [npy.descr, npy.shape, [...npy.data], npy.version];
  const errs: unknown[] = [];
  for (const bad of [new Uint8Array(7), bytes.subarray(0, bytes.length - 1)]) {
    try {
      await lowp.openSafetensors(new Blob([bad]));
      errs.push('no error');
    } catch (e) {
      errs.push([(e as Error).name, (e as { code?: string }).code, e instanceof lowp.SafetensorsError]);
    }
  }
  out.errors = errs;
  return out;
}

describe.skipIf(!browserTestsEnabled('tests/io/browser'))('lowp/io in headless Chromium', () => {
  let page0: BrowserPage;
  let browser: BrowserPage['browser'];
  let url = '';

  beforeAll(async () => {
    page0 = await openBrowserPage('src/io/index.ts', 'io'); // also checks that no node: import survived
    ({ browser, url } = page0);
  }, 60_000);

  afterAll(async () => {
    await page0?.close();
  });

  it('reads and writes checkpoints from Blobs/Files like Node does; a path is NO_FS', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 });
    const inBrowser = await page.evaluate(`(${scenario.toString()})(window.io)`);
    const inNode = await scenario(io);
    expect(inBrowser).toEqual(inNode);
    const noFs = await page.evaluate(async () => {
      const lowp = (window as unknown as { io: typeof io }).io;
      try {
        await lowp.openSafetensors('model.safetensors');
        return 'no error';
      } catch (e) {
        return [(e as { code?: string }).code, (e as Error).message];
      }
    });
    expect(noFs[0]).toBe('NO_FS');
    expect(noFs[1]).toMatch(/Blob/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
