// lowp against the platform's native Float16Array (ES2025), on Node 26, the active LTS line (fetched with
// `npx -y -p node@26`; the repository itself runs on Node >= 20, which has none). The oracle is V8's own
// Float16Array: `new Float16Array(float32Array)` / `new Float16Array(float64Array)` round every value to
// nearest, ties to even (ECMAScript's ToFloat16 is a single correctly rounded conversion), and reading an
// element decodes it exactly. Checked: lowp's encodeArray/decodeArray and Fp16Array agree with it bit for
// bit on every fp16 code, every tie between neighbours (± one float32 ulp), subnormals, the overflow
// boundary and a million random float32 bit patterns; Fp16Array and Float16Array share memory both ways.
//
// The library under test is bundled from source with esbuild (src/index.ts, which exports the typed-array
// classes too) into a temporary .mjs, so the test does not depend on dist/ or on a build having run. It is skipped
// (with the reason) only when node@26 cannot be fetched, and fails instead when CI is set.
// LOWP_INTEROP_DEBUG=1 prints the Node 26 report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const NODE_SPEC = 'node@26';
/** The major version NODE_SPEC must report. */
const NODE_MAJOR = 26;
const work = mkdtempSync(join(tmpdir(), 'lowp-interop-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `node` from the npm package NODE_SPEC (downloaded once into the npm cache). */
function runNativeNode(args: string[], timeout = 180_000) {
  return spawnSync('npx', ['-y', '-p', NODE_SPEC, 'node', ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_yes: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
}

/** null when NODE_SPEC runs here, else why not. */
function nativeNodeUnavailable(): string | null {
  const r = runNativeNode(['-e', 'process.stdout.write(process.version + " " + typeof Float16Array)'], 120_000);
  if (r.error) return `${r.error.message}`;
  if (r.status !== 0) return `exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(-500)}`;
  if (!/ function$/.test(r.stdout.trim())) return `it ran (${r.stdout.trim()}) but has no Float16Array`;
  return null;
}

async function bundleLowp(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(work, 'lowp.mjs');
  try {
    await esbuild.build({ entryPoints: [join(root, 'src', 'index.ts')], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, logLevel: 'silent' });
  } catch (e) {
    const hint = /generated/.test((e as Error).message) ? ' (generated WebAssembly kernels missing: run `node scripts/build-wasm.mjs`, which `npm run build` does)' : '';
    throw new Error(`bundling src/index.ts with esbuild failed${hint}:\n${(e as Error).message}`);
  }
  return out;
}

// The script Node 26 runs: it prints one JSON object with counts of mismatches and a few examples.
const SCRIPT = String.raw`
import * as lowp from __LOWP__;
const { encodeArray, decodeArray, Fp16Array } = lowp;
const report = { node: process.version, checks: {}, examples: {} };
function count(name, n, example) {
  report.checks[name] = (report.checks[name] ?? 0) + n;
  if (n && example !== undefined && !report.examples[name]) report.examples[name] = example;
}
const isNanCode = (h) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const f16bits = (f16) => new Uint16Array(f16.buffer, f16.byteOffset, f16.length);
const hex = (x) => '0x' + x.toString(16);

// 1. Inputs: every fp16 value, every midpoint between neighbours and the float32 values one ulp either
//    side of it, dense subnormal range, overflow boundary, random float32 bit patterns.
const inputs = [];
const all = new Uint16Array(65536).map((_, i) => i);
const native = new Float16Array(all.buffer);
const f32of = new Float32Array(1), u32of = new Uint32Array(f32of.buffer);
const nextUp = (x) => { f32of[0] = x; u32of[0] += x >= 0 ? 1 : -1; return f32of[0]; };
const nextDown = (x) => { f32of[0] = x; u32of[0] += x > 0 ? -1 : 1; return f32of[0]; };
for (let c = 0; c < 0x7c00; c++) {
  const a = native[c], b = native[c + 1];
  const mid = (a + b) / 2; // exact in float32: fp16 neighbours have 11-bit significands
  for (const s of [1, -1]) inputs.push(s * a, s * mid, s * nextUp(mid), s * nextDown(mid));
}
for (let u = 0x33000000 - 64; u < 0x38800000 + 64; u += 97) { u32of[0] = u; inputs.push(f32of[0], -f32of[0]); }
inputs.push(65504, 65519.996, 65520, 65520.004, 1e10, Infinity, -Infinity, 0, -0, 2 ** -25, 2 ** -24, 3 * 2 ** -26);
let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed; };
for (let i = 0; i < 1_000_000; i++) { u32of[0] = rnd(); inputs.push(f32of[0]); }
const f32 = new Float32Array(inputs);

// 2. encodeArray(float32) vs new Float16Array(float32)
{
  const mine = encodeArray(f32, 'fp16');
  const theirs = f16bits(new Float16Array(f32));
  let bad = 0, ex;
  for (let i = 0; i < f32.length; i++) {
    const ok = isNanCode(theirs[i]) ? isNanCode(mine[i]) : mine[i] === theirs[i];
    if (!ok) { bad++; ex ??= { input: f32[i], lowp: hex(mine[i]), native: hex(theirs[i]) }; }
  }
  count('encodeArray_f32_vs_native', bad, ex);
  report.checks.values_compared = f32.length;
}
// 3. float64 inputs (rounded once, directly, by both): midpoints nudged by tiny amounts (double-rounding traps)
{
  const f64 = new Float64Array(200_000);
  for (let i = 0; i < f64.length; i++) {
    const c = rnd() % 0x7bff;
    const mid = (native[c] + native[c + 1]) / 2;
    const nudge = [2 ** -30, -(2 ** -30), 2 ** -40, -(2 ** -40), 0][i % 5];
    f64[i] = (i & 1 ? -1 : 1) * mid * (1 + nudge);
  }
  const mine = encodeArray(f64, 'fp16');
  const theirs = f16bits(new Float16Array(f64));
  let bad = 0, ex;
  for (let i = 0; i < f64.length; i++) if (mine[i] !== theirs[i]) { bad++; ex ??= { input: f64[i], lowp: hex(mine[i]), native: hex(theirs[i]) }; }
  count('encodeArray_f64_vs_native', bad, ex);
  // Fp16Array.set rounds float64 like a native element write
  const h = new Fp16Array(f64.length), n = new Float16Array(f64.length);
  let bad2 = 0, ex2;
  for (let i = 0; i < f64.length; i++) { h.set(i, f64[i]); n[i] = f64[i]; }
  const nb = f16bits(n);
  for (let i = 0; i < f64.length; i++) if (h.bits[i] !== nb[i]) { bad2++; ex2 ??= { input: f64[i], lowp: hex(h.bits[i]), native: hex(nb[i]) }; }
  count('Fp16Array_set_vs_native_write', bad2, ex2);
}
// 4. decoding: every code, lowp decodeArray / Fp16Array.get vs native reads
{
  const mine = decodeArray(all, 'fp16');
  const theirs = new Float32Array(native); // native fp16 -> float32 conversion
  const mb = new Uint32Array(mine.buffer), tb = new Uint32Array(theirs.buffer);
  const h = new Fp16Array(all);
  let bad = 0, bad2 = 0, ex, ex2;
  for (let c = 0; c < 65536; c++) {
    if (isNanCode(c)) { if (!Number.isNaN(mine[c]) || !Number.isNaN(h.get(c))) { bad++; ex ??= { code: hex(c) }; } continue; }
    if (mb[c] !== tb[c]) { bad++; ex ??= { code: hex(c), lowp: mine[c], native: theirs[c] }; }
    if (!Object.is(h.get(c), native[c])) { bad2++; ex2 ??= { code: hex(c), lowp: h.get(c), native: native[c] }; }
  }
  count('decodeArray_vs_native', bad, ex);
  count('Fp16Array_get_vs_native_read', bad2, ex2);
}
// 5. memory sharing both ways, and copies from a native array
{
  const h = Fp16Array.of(1, 2, 3, 4);
  const n = h.toFloat16Array();
  let bad = 0;
  if (!(n instanceof Float16Array) || n.buffer !== h.buffer || n.length !== 4 || n.byteOffset !== h.byteOffset) bad++;
  n[1] = 0.1; if (h.get(1) !== n[1] || h.bits[1] !== 0x2e66) bad++;
  h.set(2, 65504); if (n[2] !== 65504) bad++;
  const sub = h.subarray(1, 3).toFloat16Array(); if (sub.byteOffset !== 2 || sub.length !== 2 || sub.buffer !== h.buffer) bad++;
  const m = new Float16Array(new ArrayBuffer(16), 4, 3);
  const g = Fp16Array.fromFloat16Array(m);
  if (g.buffer !== m.buffer || g.byteOffset !== 4 || g.length !== 3) bad++;
  g.set(0, -4); if (m[0] !== -4) bad++;
  m[2] = 1 / 3; if (g.get(2) !== m[2]) bad++;
  const copy = new Fp16Array(m); if (copy.buffer === m.buffer || copy.get(2) !== m[2]) bad++;
  const viaFrom = Fp16Array.from(m); if (viaFrom.buffer === m.buffer || viaFrom.get(0) !== -4) bad++;
  if (!Fp16Array.hasNativeFloat16Array()) bad++;
  let threw = false; try { Fp16Array.fromFloat16Array(new Float32Array(2)); } catch (e) { threw = e instanceof TypeError; }
  if (!threw) bad++;
  count('buffer_sharing', bad);
}
process.stdout.write(JSON.stringify(report));
`;

describe(`lowp vs the native Float16Array (${NODE_SPEC})`, () => {
  it('encodeArray/decodeArray/Fp16Array agree bit for bit with native Float16Array and share its memory', async (ctx) => {
    const why = nativeNodeUnavailable();
    if (why !== null) {
      const msg = `${NODE_SPEC} could not be fetched or run with npx (${why}); this test needs network access to the npm registry once`;
      if (process.env.CI) throw new Error(`${msg} (CI is set: not skipping)`);
      ctx.skip(msg);
      return;
    }
    const lib = await bundleLowp();
    const script = join(work, 'check-native.mjs');
    writeFileSync(script, SCRIPT.replace('__LOWP__', JSON.stringify(pathToFileURL(lib).href)));
    const r = runNativeNode([script]);
    if (r.status !== 0) throw new Error(`the ${NODE_SPEC} check script failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
    if (process.env.LOWP_INTEROP_DEBUG) console.log(r.stdout);
    const report = JSON.parse(r.stdout) as { node: string; checks: Record<string, number>; examples: Record<string, unknown> };
    expect(report.node).toMatch(new RegExp(`^v${NODE_MAJOR}\\.`));
    expect(report.checks.values_compared).toBeGreaterThan(1_000_000);
    const { values_compared: _n, ...mismatches } = report.checks;
    expect({ mismatches, examples: report.examples }).toEqual({
      mismatches: {
        encodeArray_f32_vs_native: 0,
        encodeArray_f64_vs_native: 0,
        Fp16Array_set_vs_native_write: 0,
        decodeArray_vs_native: 0,
        Fp16Array_get_vs_native_read: 0,
        buffer_sharing: 0,
      },
      examples: {},
    });
  }, 300_000);
});
