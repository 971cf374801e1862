// lowp/matmul in a real browser: bundles src/matmul/index.ts as browser ESM (esbuild, no node: imports
// may survive), serves it from a local page on 127.0.0.1, loads it in headless Chromium
// (playwright-core, /usr/bin/chromium) and runs a WebAssembly SIMD matmul, an int8 product and the bulk
// conversions there, comparing with the values computed here in Node by the same code's reference twin.
// Skipped (with a message) only when /usr/bin/chromium is absent and CI is not set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int8MatmulReference, matmulReference } from '../../src/matmul/index.js';
import { decodeArray, encodeArray } from '../../src/formats/index.js';
import { browserTestsEnabled, openBrowserPage, type BrowserPage } from '../helpers/browser-page.js';

/** Deterministic float32 values over every fp16 class (subnormal, normal, overflow): an LCG's bits. */
function bigValues(n: number): Float32Array {
  const big = new Float32Array(n);
  for (let i = 0, s = 12345; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    big[i] = ((s >>> 8) / 2 ** 24 - 0.5) * 2 ** ((s & 63) - 30);
  }
  return big;
}

/** FNV-1a over the elements of a 16- or 32-bit array. */
function fnv(v: Uint16Array | Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v[i], 0x01000193) >>> 0;
  return h;
}

describe.skipIf(!browserTestsEnabled('tests/browser'))('lowp/matmul in headless Chromium', () => {
  let page0: BrowserPage;
  let browser: BrowserPage['browser'];
  let url = '';

  beforeAll(async () => {
    page0 = await openBrowserPage('src/matmul/index.ts', 'lowp'); // also checks that no node: import survived
    ({ browser, url } = page0);
  }, 60_000);

  afterAll(async () => {
    await page0?.close();
  });

  it('runs a WASM-SIMD bf16 matmul, an int8 product and the conversions, matching Node', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 });
    const M = 37;
    const K = 300;
    const N = 29;
    const A = Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37) * 3);
    const B = Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.11));
    const Q = Array.from({ length: M * K }, (_, i) => ((i * 73) % 255) - 127);
    const bigN = 1_100_003;
    const res = await page.evaluate(
      ({ A, B, Q, M, K, N, bigN, helpers }) => {
        const lowp = (window as unknown as { lowp: typeof import('../../src/matmul/index.js') }).lowp;
        // arrays of several staging chunks (1 MiB of results each) grow the kernels' private memory in a
        // page without shared memory, before and after the products that lay their operands out above it
        // (the helpers come as source text: page.evaluate sends this function, not its closure)
        const [bigValues, fnv] = helpers.map((src) => new Function(`return (${src})`)()) as [(n: number) => Float32Array, (v: Uint16Array | Uint32Array) => number];
        const big = bigValues(bigN);
        const bigH = lowp.f32ToFp16(big);
        const bigBf = lowp.f32ToBf16(big);
        const a = { rows: M, cols: K, data: Float32Array.from(A) };
        const b = { rows: K, cols: N, data: Float32Array.from(B) };
        const c = lowp.matmul(a, b, { inputs: 'bf16', output: 'bf16' });
        const c32 = lowp.matmul(a, b);
        const q = { rows: M, cols: K, data: Int8Array.from(Q) };
        const i8 = lowp.int8Matmul(q, q, { transB: true });
        const h = lowp.f32ToFp16(Float32Array.from(A));
        const back = lowp.fp16ToF32(h);
        const bf = lowp.f32ToBf16(Float32Array.from(A));
        const bigBack = lowp.fp16ToF32(bigH);
        const bigBfBack = lowp.bf16ToF32(bigBf);
        return {
          big: [fnv(bigH), fnv(bigBf), fnv(new Uint32Array(bigBack.buffer)), fnv(new Uint32Array(bigBfBack.buffer))],
          simd: lowp.wasmSimdAvailable(),
          threads: lowp.availableThreads(),
          c: Array.from(c.data as Uint16Array),
          format: c.format,
          c32: Array.from(c32.data as Float32Array),
          i8: Array.from(i8.data),
          h: Array.from(h),
          back: Array.from(back),
          bf: Array.from(bf),
        };
      },
      { A, B, Q, M, K, N, bigN, helpers: [bigValues.toString(), fnv.toString()] },
    );
    expect(errors).toEqual([]);
    expect(res.simd).toBe(true);
    const a = { rows: M, cols: K, data: Float32Array.from(A) };
    const b = { rows: K, cols: N, data: Float32Array.from(B) };
    expect(res.format).toBe('bf16');
    expect(res.c).toEqual(Array.from(matmulReference(a, b, { inputs: 'bf16', output: 'bf16' }).data));
    expect(res.c32).toEqual(Array.from(matmulReference(a, b).data));
    const q = { rows: M, cols: K, data: Int8Array.from(Q) };
    expect(res.i8).toEqual(Array.from(int8MatmulReference(q, q, { transB: true }).data));
    const h = encodeArray(Float32Array.from(A), 'fp16') as Uint16Array;
    expect(res.h).toEqual(Array.from(h));
    expect(res.back).toEqual(Array.from(decodeArray(h, 'fp16')));
    expect(res.bf).toEqual(Array.from(encodeArray(Float32Array.from(A), 'bf16') as Uint16Array));
    const big = bigValues(bigN);
    const bigH = encodeArray(big, 'fp16') as Uint16Array;
    const bigBf = encodeArray(big, 'bf16') as Uint16Array;
    const wantBig = [fnv(bigH), fnv(bigBf), fnv(new Uint32Array(decodeArray(bigH, 'fp16').buffer)), fnv(new Uint32Array(decodeArray(bigBf, 'bf16').buffer))];
    expect(res.big).toEqual(wantBig);
    await page.close();
  }, 60_000);
});
