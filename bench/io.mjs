// Benchmark of lowp/io's streaming reader against a plain sequential read of the same file.
// Writes a float32 safetensors file (default 1 GiB, pseudo-random values; --mib N to change), warms the
// page cache, then measures, in one run: a plain fs.readSync loop into one reused 4 MiB buffer (the
// baseline), lowp's chunks() (async, natural Float32Array), chunksSync(), chunks({ as: 'float64' }),
// and chunks({ as: 'float32' }) of a BF16 file (decode), each also with reuse: true (recycled buffers). Reports MiB/s and the ratio to the baseline.
// Usage: node bench/io.mjs [--mib 1024] [--json]   (imports dist/io; LOWP_SRC=1 with tsx: src/io)
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safetensorsHeader } from './_safetensors-header.mjs';

const args = process.argv.slice(2);
const mib = Number(args.includes('--mib') ? args[args.indexOf('--mib') + 1] : 1024);
const asJson = args.includes('--json');
const io = await import(process.env.LOWP_SRC ? '../src/io/index.ts' : '../dist/io/index.js');

const dir = mkdtempSync(join(tmpdir(), 'lowp-bench-io-'));
function writeFile(name, dtype, elementBytes) {
  const path = join(dir, name);
  const total = mib * 2 ** 20;
  const elements = total / elementBytes;
  const json = `{"x":{"dtype":"${dtype}","shape":[${elements}],"data_offsets":[0,${total}]}}`;
  const head = safetensorsHeader(json);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  const block = new Uint32Array(2 ** 20); // 4 MiB of pseudo-random bits (finite floats: exponent < 255)
  let s = 12345;
  for (let i = 0; i < block.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    block[i] = s & 0xbfffffff;
  }
  for (let done = 0; done < total; done += block.byteLength) writeSync(fd, new Uint8Array(block.buffer, 0, Math.min(block.byteLength, total - done)));
  closeSync(fd);
  return { path, dataOffset: head.length, total };
}

function plainRead({ path, dataOffset, total }) {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(4 * 2 ** 20);
  let x = 0;
  for (let off = 0; off < total; off += buf.length) {
    readSync(fd, buf, 0, Math.min(buf.length, total - off), dataOffset + off);
    x ^= buf[0];
  }
  closeSync(fd);
  return x;
}

async function time(label, fn, bytes, reps = 3) {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { label, ms: best, mibPerS: bytes / 2 ** 20 / (best / 1000) };
}

const f32 = writeFile('f32.safetensors', 'F32', 4);
const bf16 = writeFile('bf16.safetensors', 'BF16', 2);
plainRead(f32); // warm the page cache
plainRead(bf16);

const results = [];
results.push(await time('plain fs.readSync, 4 MiB reused buffer (baseline)', () => plainRead(f32), f32.total));
const st = await io.openSafetensors(f32.path);
results.push(await time('lowp chunks() async, F32 -> Float32Array', async () => { for await (const c of st.chunks('x')) void c; }, f32.total));
results.push(await time('lowp chunks({ reuse: true }) async, F32', async () => { for await (const c of st.chunks('x', { reuse: true })) void c; }, f32.total));
results.push(await time('lowp chunksSync(), F32 -> Float32Array', () => { for (const c of st.chunksSync('x')) void c; }, f32.total));
results.push(await time('lowp chunksSync({ reuse: true }), F32', () => { for (const c of st.chunksSync('x', { reuse: true })) void c; }, f32.total));
results.push(await time("lowp chunks({ as: 'float64' }), F32", async () => { for await (const c of st.chunks('x', { as: 'float64' })) void c; }, f32.total));
await st.close();
const sb = await io.openSafetensors(bf16.path);
results.push(await time("lowp chunks({ as: 'float32' }), BF16 decode", async () => { for await (const c of sb.chunks('x', { as: 'float32' })) void c; }, bf16.total));
results.push(await time("lowp chunks({ as: 'float32', reuse: true }), BF16 decode", async () => { for await (const c of sb.chunks('x', { as: 'float32', reuse: true })) void c; }, bf16.total));
await sb.close();
rmSync(dir, { recursive: true, force: true });

const base = results[0].mibPerS;
if (asJson) console.log(JSON.stringify({ mib, node: process.version, results: results.map((r) => ({ ...r, ratioToPlain: base / r.mibPerS })) }));
else {
  console.log(`lowp/io streaming read, ${mib} MiB file (page cache warm), Node ${process.version}, best of 3`);
  for (const r of results) console.log(`  ${r.label.padEnd(60)} ${r.mibPerS.toFixed(0).padStart(7)} MiB/s   ${(base / r.mibPerS).toFixed(2)}x the baseline time`);
}
