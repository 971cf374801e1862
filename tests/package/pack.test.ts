// The package as users meet it: `npm pack` the built package (dist/ must exist: `npm test` builds first;
// otherwise run `npm run build`), check what the tarball holds, install it into a temporary project,
// then `import` it (ESM) and `require` it (CJS) with every subpath, type-check TypeScript consumers
// against the shipped declarations (moduleResolution node16 and bundler), run the `lowp` bin, and bundle
// the installed core subpaths for the browser. Slow (npm install): generous timeouts, one file.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserLikeContext, staticNodeImports } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, Record<string, string> | string>>;
  bin: Record<string, string>;
  main: string;
  module: string;
  types: string;
  dependencies?: Record<string, string>;
};
const SUBPATHS = ['lowp', 'lowp/formats', 'lowp/quant', 'lowp/matmul', 'lowp/diagnostics', 'lowp/io', 'lowp/onnx'];
// the subpaths the root re-exports: all but lowp/onnx, which runs models with onnxruntime (an optional peer dependency)
const IN_ROOT = SUBPATHS.slice(1).filter((s) => s !== 'lowp/onnx');
const CORE_SUBPATHS = ['lowp', 'lowp/formats', 'lowp/quant', 'lowp/matmul', 'lowp/diagnostics'];
const TOP_LEVEL = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const TIMEOUT = 120_000;

const work = mkdtempSync(join(tmpdir(), 'lowp-pack-'));
const project = join(work, 'consumer');
let packed: { filename: string; files: { path: string; size: number; mode: number }[]; unpackedSize: number; size: number };
let tarball: string;

function run(cmd: string, args: string[], cwd: string, timeout = TIMEOUT): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Every file the package.json points to (exports conditions, main, module, types, bin), without './'. */
function referencedFiles(): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  walk([pkg.main, pkg.module, pkg.types]);
  return [...out].filter((p) => p !== 'package.json');
}

beforeAll(() => {
  const missing = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli/main.js'].filter((p) => !existsSync(join(root, p)));
  if (missing.length > 0) {
    throw new Error(`dist/ is not built (missing ${missing.join(', ')}): run \`npm run build\` first (\`npm test\` does it)`);
  }
  // --ignore-scripts: `prepack` would rebuild (and clean) dist/ under other running tests
  const dry = ok(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root), 'npm pack --dry-run');
  packed = (JSON.parse(dry) as (typeof packed)[])[0];
  ok(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root), 'npm pack');
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack wrote no tarball into ${work}`);
  tarball = join(work, tgz);

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'lowp-consumer', version: '1.0.0', private: true }, null, 2));
  const base = ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball];
  let r = run('npm', [...base.slice(0, 1), '--offline', ...base.slice(1)], project);
  if (r.status !== 0) r = run('npm', base, project); // the npm cache lacks something: ask the registry
  ok(r, `npm install ${tgz}`);
  // the consumer type-checks with @types/node (a Node user's setup); link the repository's copy
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  const typesNode = join(project, 'node_modules', '@types', 'node');
  if (!existsSync(typesNode)) symlinkSync(join(root, 'node_modules', '@types', 'node'), typesNode, 'dir');
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack: what the tarball holds', () => {
  it('README.md, LICENSE, CHANGELOG.md, package.json and dist/ — and nothing else (no src, tests, fixtures, bench)', () => {
    const paths = packed.files.map((f) => f.path).sort();
    for (const f of TOP_LEVEL) expect(paths, `the tarball lacks ${f}`).toContain(f);
    const stray = paths.filter((p) => !TOP_LEVEL.includes(p) && !p.startsWith('dist/'));
    expect(stray, 'files outside dist/ and the four top-level files').toEqual([]);
    const forbidden = paths.filter((p) => /(^|\/)(src|tests?|bench|fixtures|scripts|node_modules|\.ci)\/|\.test\.|\.safetensors$|\.npy$|\.tgz$/.test(p));
    expect(forbidden).toEqual([]);
    const sources = paths.filter((p) => /\.(c|m)?ts$/.test(p) && !/\.d\.(c|m)?ts$/.test(p));
    expect(sources, 'TypeScript sources (only declarations belong in the package)').toEqual([]);
    // sourcemaps are fine; a sane size bound catches accidentally shipped data
    expect(packed.unpackedSize).toBeLessThan(20 * 1024 * 1024);
  });

  it('every file package.json points to (exports, main, module, types, bin) is in the tarball', () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const missing = referencedFiles().filter((p) => !paths.has(p));
    expect(missing).toEqual([]);
    for (const sp of SUBPATHS.slice(1)) expect(Object.keys(pkg.exports)).toContain(`./${sp.slice('lowp/'.length)}`);
  });

  it('the bin starts with a #!/usr/bin/env node line', () => {
    const bin = pkg.bin.lowp.replace(/^\.\//, '');
    expect(readFileSync(join(root, bin), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});

describe('installed from the tarball into a fresh project', () => {
  it('import (ESM) and require (CJS) of the root and every subpath give the same, non-empty export names', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const out = {};
      for (const sp of ${JSON.stringify(SUBPATHS)}) {
        const esm = await import(sp);
        const cjs = require(sp);
        out[sp] = {
          esm: Object.keys(esm).filter((k) => k !== 'default').sort(),
          cjs: Object.keys(cjs).filter((k) => k !== 'default' && k !== '__esModule').sort(),
        };
      }
      const root = await import('lowp');
      const croot = require('lowp');
      out.values = [root.round(0.1, 'bf16'), croot.round(0.1, 'bf16'), Array.from(root.encodeArray(new Float32Array([1, 65520]), 'fp16'))];
      // the root re-exports every area: the same objects as the subpath (ESM)
      out.rootMissing = {};
      for (const sp of ${JSON.stringify(IN_ROOT)}) {
        const m = await import(sp);
        out.rootMissing[sp] = Object.keys(m).filter((k) => root[k] !== m[k]);
      }
      out.version = require('lowp/package.json').version;
      try { require('lowp/dist/index.cjs'); out.deep = 'allowed'; } catch (e) { out.deep = e.code; }
      process.stdout.write(JSON.stringify(out));
    `;
    writeFileSync(join(project, 'check.mjs'), script);
    const res = JSON.parse(ok(run('node', ['check.mjs'], project), 'node check.mjs')) as Record<string, any>;
    for (const sp of SUBPATHS) {
      expect(res[sp].esm.length, `${sp} exports nothing`).toBeGreaterThan(0);
      expect(res[sp].cjs, `${sp}: CJS and ESM export different names`).toEqual(res[sp].esm);
    }
    expect(res.values).toEqual([0.10009765625, 0.10009765625, [0x3c00, 0x7c00]]);
    expect(res.rootMissing, 'exports of a subpath the root does not re-export').toEqual(Object.fromEntries(IN_ROOT.map((s) => [s, []])));
    expect(res.version).toBe(pkg.version);
    expect(res.deep, 'files outside the exports map must not be importable').toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('a CommonJS consumer (.cjs, plain require) works', () => {
    writeFileSync(
      join(project, 'check.cjs'),
      `const lowp = require('lowp');
       const formats = require('lowp/formats');
       if (lowp.decode(0x3c00, 'fp16') !== 1 || formats.getFormat('bf16').bits !== 16) process.exit(1);
       process.stdout.write('ok');`,
    );
    expect(ok(run('node', ['check.cjs'], project), 'node check.cjs')).toBe('ok');
  });

  it('TypeScript consumers type-check against the shipped declarations (node16 ESM + CJS, bundler)', () => {
    const imports = SUBPATHS.map((sp, i) => `import * as m${i} from '${sp}';`).join('\n');
    const requires = SUBPATHS.map((sp, i) => `import m${i} = require('${sp}');`).join('\n');
    const uses = SUBPATHS.map((_, i) => `m${i}`).join(', ');
    const body = (ns: string) => `
      const codes: Uint8Array | Uint16Array | Uint32Array = ${ns}.encodeArray(new Float32Array([1, 2]), 'fp16');
      const f: ${ns}.FloatFormat = ${ns}.getFormat('bf16');
      const x: number = ${ns}.round(0.1, f, { rounding: 'toward-zero' });
      const info: { eps: number; max: number } = ${ns}.finfo('fp16');
      // @ts-expect-error: an options object is checked
      ${ns}.round(1, 'fp16', { rounding: 'sideways' });
      export const used = [codes, x, info, ${uses}];
    `;
    writeFileSync(join(project, 'esm-consumer.mts'), `${imports}\nimport * as lowp from 'lowp';\n${body('lowp')}`);
    writeFileSync(join(project, 'cjs-consumer.cts'), `${requires}\nimport lowp = require('lowp');\n${body('lowp')}`);
    writeFileSync(join(project, 'bundler-consumer.ts'), `${imports}\nimport * as lowp from 'lowp';\n${body('lowp')}`);
    const common = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', esModuleInterop: false };
    writeFileSync(
      join(project, 'tsconfig.node16.json'),
      JSON.stringify({ compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] }, files: ['esm-consumer.mts', 'cjs-consumer.cts'] }),
    );
    writeFileSync(
      join(project, 'tsconfig.bundler.json'),
      JSON.stringify({ compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] }, files: ['bundler-consumer.ts'] }),
    );
    for (const cfg of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
      const r = run('node', [TSC, '-p', cfg], project);
      if (r.status !== 0) throw new Error(`tsc -p ${cfg} found errors in the shipped types:\n${r.stdout}${r.stderr}`);
    }
  });

  it('lowp/onnx without onnxruntime installed (an optional peer dependency): a TraceError saying what to install, and lowp trace exits 2 with one line', () => {
    expect(existsSync(join(project, 'node_modules', 'onnxruntime-node')), 'npm installed the optional peer dependency').toBe(false);
    writeFileSync(
      join(project, 'trace.mjs'),
      `import { traceActivations, TraceError } from 'lowp/onnx';
       try { await traceActivations(new Uint8Array(8)); process.stdout.write('no error'); }
       catch (e) { process.stdout.write(JSON.stringify({ trace: e instanceof TraceError, code: e.code, message: e.message })); }`,
    );
    const res = JSON.parse(ok(run('node', ['trace.mjs'], project), 'node trace.mjs')) as { trace: boolean; code: string; message: string };
    expect(res).toMatchObject({ trace: true, code: 'RUNTIME_MISSING' });
    expect(res.message).toMatch(/npm install onnxruntime-node/);
    writeFileSync(join(project, 'empty.onnx'), new Uint8Array([0x08, 0x08]));
    const r = run(join(project, 'node_modules', '.bin', 'lowp'), ['trace', 'empty.onnx'], project);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lowp: .*onnxruntime-node/);
  });

  it('the lowp bin runs from node_modules/.bin: --version prints the package version', () => {
    const bin = join(project, 'node_modules', '.bin', 'lowp');
    expect(existsSync(bin)).toBe(true);
    expect(ok(run(bin, ['--version'], project), 'lowp --version').trim()).toBe(pkg.version);
    expect(ok(run(bin, ['--help'], project), 'lowp --help')).toMatch(/lowp/);
  });

  it('the installed core subpaths bundle for the browser (esbuild, platform browser) and load without Node globals', async () => {
    const esbuild = await import('esbuild');
    for (const sp of CORE_SUBPATHS) {
      const entry = join(project, `browser-${sp.replace('/', '-')}.mjs`);
      writeFileSync(entry, `export * from '${sp}';`);
      let code: string;
      try {
        const r = await esbuild.build({ entryPoints: [entry], absWorkingDir: project, bundle: true, write: false, format: 'iife', globalName: '__lowp', platform: 'browser', target: 'es2022', logLevel: 'silent' });
        code = r.outputFiles[0].text;
      } catch (e) {
        throw new Error(`${sp} (installed) does not bundle for the browser:\n${(e as Error).message}`);
      }
      expect(staticNodeImports(code), sp).toEqual([]);
      const ctx = browserLikeContext();
      vm.runInContext(code, ctx, { filename: `${sp}.js` });
      expect((vm.runInContext('Object.keys(__lowp)', ctx) as string[]).length, `${sp} exports nothing`).toBeGreaterThan(0);
    }
  });
});

