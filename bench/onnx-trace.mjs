// Benchmark of lowp/onnx's traceActivations (dist/onnx) against one plain onnxruntime run of the same
// model with every node output exposed as a graph output (the least any per-activation trace must do:
// graph optimisations off, every float output returned to JavaScript), for the vector model
// (tests/fixtures/onnx) and a larger generated transformer (bench/_onnx-transformer.mjs: 8 layers,
// d 512, 8 heads, 512 tokens, vocabulary 8192: 135 MB of weights, about 590 MB of float activations).
// Each measurement runs in its own child process (wall time and peak RSS of that process):
//   - plain: session creation + one run returning every float output (the baseline);
//   - the model alone: session + one run returning the model's own outputs (the memory the model needs);
//   - lowp trace --to fp16 (default memory bound 512 MiB per run);
//   - lowp trace --to fp16 --emulate (the fp32 graph and its emulated copy in one session);
//   - lowp trace --to fp16 with a 64 MiB bound (more runs, less memory).
// Prints each time, its ratio to the plain run, the runs made and peak RSS.
// Usage: npm run build && node bench/onnx-trace.mjs [--reps 2] [--json] [--only vector|large]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { field, utf8 } from './_onnx-model.mjs';
import { transformerModel } from './_onnx-transformer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const LARGE = { layers: 8, d: 512, heads: 8, seq: 512, vocab: 8192 };

async function lib() {
  // the root re-exports lowp/io (readNpy, encodeOnnxModel, decodeModelBytes) and lowp/formats (createRng)
  const lowp = await import(join(root, 'dist', 'index.js'));
  const onnx = await import(join(root, 'dist', 'onnx', 'index.js'));
  return { lowp, onnx };
}

/** The model and its input ids for a case name. */
async function caseModel(name, lowp) {
  if (name === 'vector') {
    const dir = join(root, 'tests', 'fixtures', 'onnx');
    const npy = lowp.readNpy(readFileSync(join(dir, 'input_ids.npy')));
    return { bytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))), ids: npy.data, shape: npy.shape };
  }
  const m = transformerModel(lowp, LARGE);
  return { bytes: m.bytes, ids: m.ids, shape: [1, LARGE.seq] };
}

/** The model with every node output added as a graph output (an appended `graph` field, merged by protobuf). */
function exposeAll(bytes, lowp) {
  const m = lowp.decodeModelBytes(bytes);
  const have = new Set(m.graph.outputs.map((o) => o.name));
  const outputs = [];
  for (const n of m.graph.nodes) {
    for (const o of n.outputs) {
      if (o === '' || have.has(o)) continue;
      have.add(o);
      // GraphProto.output = 12 (a ValueInfoProto with its name = 1)
      outputs.push(...field(0x62, field(0x0a, utf8(o))));
    }
  }
  // ModelProto.graph = 7
  const tail = Uint8Array.from(field(0x3a, outputs));
  const out = new Uint8Array(bytes.length + tail.length);
  out.set(bytes);
  out.set(tail, bytes.length);
  return out;
}

/** One measurement, in this (child) process. */
async function child(spec) {
  const { lowp, onnx } = await lib();
  // onnxruntime is imported before the clock starts in both modes (lowp's own import then hits the cache)
  const ort = await import('onnxruntime-node');
  const model = await caseModel(spec.model, lowp);
  const t0 = performance.now();
  let out;
  if (spec.mode === 'model') {
    const s = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    const t1 = performance.now();
    await s.run({ input_ids: new ort.Tensor('int64', model.ids, model.shape) });
    const t2 = performance.now();
    await s.release();
    out = { createMs: t1 - t0, runMs: t2 - t1 };
  } else if (spec.mode === 'plain') {
    const s = await ort.InferenceSession.create(exposeAll(model.bytes, lowp), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    const t1 = performance.now();
    const fetches = s.outputMetadata.filter((m) => m.isTensor && ['float32', 'float16', 'float64'].includes(m.type)).map((m) => m.name);
    const feeds = { input_ids: new ort.Tensor('int64', model.ids, model.shape) };
    const r = await s.run(feeds, fetches);
    let bytes = 0;
    for (const k of fetches) bytes += r[k].data.byteLength;
    const t2 = performance.now();
    await s.release();
    out = { createMs: t1 - t0, runMs: t2 - t1, outputs: fetches.length, activationBytes: bytes };
  } else {
    const r = await onnx.traceActivations(model.bytes, { input_ids: { dtype: 'I64', shape: model.shape, data: model.ids } }, {
      to: 'fp16',
      emulate: spec.mode === 'emulate',
      maxActivationBytes: spec.mode === 'bounded' ? 64 * 2 ** 20 : undefined,
    });
    out = { outputs: r.outputs.length, passes: r.passes.count, largestPassBytes: r.passes.largestBytes, seconds: r.seconds, firstActivationOverflow: r.firstActivationOverflow?.output ?? null };
  }
  out.ms = performance.now() - t0;
  out.rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out));
}

function measure(spec, reps) {
  let best;
  for (let i = 0; i < reps; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`bench child ${JSON.stringify(spec)} failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout);
    if (best === undefined || res.ms < best.ms) best = res;
  }
  return best;
}

if (args[0] === '--child') {
  await child(JSON.parse(args[1]));
} else {
  if (!existsSync(join(root, 'dist', 'onnx', 'index.js'))) {
    console.error('bench/onnx-trace.mjs: dist/onnx not found; run `npm run build` first');
    process.exit(1);
  }
  const reps = Number(opt('--reps', 2));
  const only = opt('--only', undefined);
  const results = {};
  for (const model of ['vector', 'large'].filter((m) => only === undefined || m === only)) {
    const plain = measure({ model, mode: 'plain' }, reps);
    const rows = [{ label: 'plain onnxruntime run, every float output returned (session + run)', ...plain }, { label: 'the model alone: its own outputs only (memory it needs)', ...measure({ model, mode: 'model' }, reps) }];
    for (const mode of ['trace', 'emulate', 'bounded']) rows.push({ label: { trace: 'lowp trace --to fp16', emulate: 'lowp trace --to fp16 --emulate', bounded: 'lowp trace --to fp16, 64 MiB per run' }[mode], ...measure({ model, mode }, reps) });
    results[model] = rows.map((r) => ({ ...r, ratio: r.ms / plain.ms }));
  }
  if (args.includes('--json')) console.log(JSON.stringify({ node: process.version, reps, results }, null, 2));
  else {
    console.log(`lowp trace vs one plain onnxruntime run with every output exposed (onnxruntime-node, graph optimisations off), Node ${process.version}, best of ${reps}, each in its own process`);
    for (const [model, rows] of Object.entries(results)) {
      const p = rows[0];
      console.log(`\n${model === 'vector' ? 'vector model (tests/fixtures/onnx, 2 layers, d 64, 24 tokens)' : `generated transformer (${LARGE.layers} layers, d ${LARGE.d}, ${LARGE.seq} tokens, vocab ${LARGE.vocab})`}: ${p.outputs} float outputs, ${(p.activationBytes / 2 ** 20).toFixed(1)} MiB of activations`);
      for (const r of rows) {
        const extra = r.passes !== undefined ? `${r.passes} run${r.passes === 1 ? '' : 's'}` : `session ${(r.createMs / 1000).toFixed(2)} s + run ${(r.runMs / 1000).toFixed(2)} s`;
        console.log(`  ${r.label.padEnd(68)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  ${r.ratio.toFixed(2).padStart(5)}×  peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB  (${extra})`);
      }
    }
  }
}
