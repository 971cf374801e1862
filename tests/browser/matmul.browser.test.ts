// lowp/matmul in a real browser: bundles src/matmul/index.ts as browser ESM (esbuild, no node: imports
// may survive), serves it from a local page on 127.0.0.1, loads it in headless Chromium
// (playwright-core, /usr/bin/chromium) and runs a WebAssembly SIMD matmul, an int8 product and the bulk
// conversions there, comparing with the values computed here in Node by the same code's reference twin.
// Skipped (with a message) only when /usr/bin/chromium is absent and CI is not set.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { int8MatmulReference, matmulReference } from '../../src/matmul/index.js';
import { decodeArray, encodeArray } from '../../src/formats/index.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`tests/browser: skipped: ${CHROMIUM} not found (install with: apt-get install -y chromium)`);
}

describe.skipIf(!available && !process.env.CI)('lowp/matmul in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let url = '';

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [join(root, 'src', 'matmul', 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0].text;
    expect(js).not.toMatch(/from\s*["']node:/); // the core must not import Node modules
    const html = '<!doctype html><meta charset="utf-8"><title>lowp</title><script type="module">import * as lowp from "./lowp-matmul.js"; window.lowp = lowp; window.ready = true;</script>';
    server = createServer((req, res) => {
      if (req.url === '/lowp-matmul.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright launches with a fresh, empty profile directory of its own (it rejects --user-data-dir)
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
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
    const res = await page.evaluate(
      ({ A, B, Q, M, K, N }) => {
        const lowp = (window as unknown as { lowp: typeof import('../../src/matmul/index.js') }).lowp;
        const a = { rows: M, cols: K, data: Float32Array.from(A) };
        const b = { rows: K, cols: N, data: Float32Array.from(B) };
        const c = lowp.matmul(a, b, { inputs: 'bf16', output: 'bf16' });
        const c32 = lowp.matmul(a, b);
        const q = { rows: M, cols: K, data: Int8Array.from(Q) };
        const i8 = lowp.int8Matmul(q, q, { transB: true });
        const h = lowp.f32ToFp16(Float32Array.from(A));
        const back = lowp.fp16ToF32(h);
        const bf = lowp.f32ToBf16(Float32Array.from(A));
        return {
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
      { A, B, Q, M, K, N },
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
    await page.close();
  }, 60_000);
});
