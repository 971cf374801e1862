// The core runs in browsers (docs: "everything but src/cli and file IO"): each core entry point bundles
// with esbuild for `platform: 'browser'` (which refuses any import or require of a Node built-in), the
// output holds no static import of a `node:` module, and the bundle loads and computes in a fresh
// JavaScript realm that has only what browsers have (no `process`, `require`, `Buffer`, `module`): so
// any use of Node facilities (process.getBuiltinModule and the like) is guarded, not assumed.
// Built from src/ (no dist/ needed); tests/package/pack.test.ts repeats the bundling on the packed tarball.
// lowp/onnx bundles too, with onnxruntime (an optional peer) imported only when a trace runs.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { browserLikeContext, CORE_ENTRIES, staticNodeImports } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

async function bundle(entry: string, format: 'esm' | 'iife', external: string[] = []): Promise<string> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    external,
    write: false,
    format,
    globalName: format === 'iife' ? '__lowp' : undefined,
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

describe('the core bundles for browsers with no Node built-in', () => {
  it('the checker itself finds static node: imports and ignores the text of strings', () => {
    expect(staticNodeImports(`import { readFile } from "node:fs";`)).toHaveLength(1);
    expect(staticNodeImports(`import "node:os"; export * from 'node:path';`)).toHaveLength(2);
    expect(staticNodeImports(`const m = await import('node:worker_threads');`)).toHaveLength(1);
    expect(staticNodeImports(`import fs from 'fs';`)).toHaveLength(1);
    expect(staticNodeImports('const src = `const { parentPort } = require("node:worker_threads"); import "node:os";`;')).toEqual([]);
    expect(staticNodeImports(`const wt = process?.getBuiltinModule?.('node:worker_threads'); // import x from "node:os"`)).toEqual([]);
  });

  for (const [name, entry] of Object.entries(CORE_ENTRIES)) {
    it(`${name} (${entry}): bundles for platform 'browser', imports no node: module, loads and runs without Node globals`, async () => {
      let esm: string;
      try {
        esm = await bundle(entry, 'esm');
      } catch (e) {
        // esbuild lists each unresolvable import (e.g. 'node:fs' "is built into node") with its file
        const hint = /generated/.test((e as Error).message) ? ' (generated WebAssembly kernels missing: run `node scripts/build-wasm.mjs`, which `npm run build` does)' : '';
        throw new Error(`${name} does not bundle for the browser${hint}:\n${(e as Error).message}`);
      }
      expect(staticNodeImports(esm)).toEqual([]);
      const iife = await bundle(entry, 'iife');
      const ctx = browserLikeContext();
      vm.runInContext(iife, ctx, { filename: `${name}.browser.js` });
      const keys = vm.runInContext('Object.keys(__lowp)', ctx) as string[];
      expect(keys.length, `${name} exports nothing (an empty entry point)`).toBeGreaterThan(0);
      expect(vm.runInContext('typeof process + typeof require + typeof Buffer', ctx)).toBe('undefinedundefinedundefined');
      if (keys.includes('encodeArray')) {
        const r = vm.runInContext(
          `Array.from(__lowp.encodeArray(new Float32Array([1, 0.1, 70000]), 'fp16')).concat(__lowp.round(0.1, 'bf16'))`,
          ctx,
        ) as number[];
        expect(Array.from(r)).toEqual([0x3c00, 0x2e66, 0x7c00, 0.10009765625]);
      }
    });
  }

  it("lowp/onnx (src/onnx/index.ts): bundles for the browser without onnxruntime, which it imports only when a trace runs, and asks for onnxruntime-web there", async () => {
    // onnxruntime left external, so that a static import of it would stay in the bundle as a statement
    const ort = ['onnxruntime-web', 'onnxruntime-node', 'onnxruntime-common'];
    const esm = await bundle('src/onnx/index.ts', 'esm', ort);
    expect(staticNodeImports(esm)).toEqual([]);
    expect(esm.split('\n').filter((l) => /^\s*(import|export)\b.*["']onnxruntime/.test(l))).toEqual([]);
    const ctx = browserLikeContext();
    vm.runInContext(await bundle('src/onnx/index.ts', 'iife', ort), ctx, { filename: 'lowp-onnx.browser.js' });
    const err = (await vm.runInContext(`__lowp.traceActivations(new Uint8Array(8)).then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message }))`, ctx)) as { name: string; code: string; message: string } | null;
    expect(err).toMatchObject({ name: 'TraceError', code: 'RUNTIME_MISSING' });
    expect(err?.message).toMatch(/npm install onnxruntime-web/);
  });
});
