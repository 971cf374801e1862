// `lowp check model.onnx`: the weights of an ONNX model (embedded raw_data or external data) are
// checked like any checkpoint's, and a broken model is one line on stderr with exit status 2.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCast } from '../../src/diagnostics/index.js';
import { encodeOnnxModel, openOnnx } from '../../src/io/index.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';
import { expectOneLineError, runCli } from './helpers.js';

const ONNX_DIR = existsSync(join(SHARED_VECTORS, 'onnx', 'model.onnx')) ? join(SHARED_VECTORS, 'onnx') : join(FIXTURES, 'onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowp-onnx-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lowp check on ONNX models', () => {
  it('the embedded and the external-data vector model give the same report, equal to analyzeCast per initializer', async () => {
    const reports = [];
    for (const p of [join(ONNX_DIR, 'model.onnx'), join(ONNX_DIR, 'external', 'model.onnx')]) {
      const r = await runCli(['check', p, '--to', 'fp16', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      reports.push(JSON.parse(r.stdout));
    }
    const [a, b] = reports;
    expect(a.tensors).toHaveLength(29);
    expect(b.tensors).toEqual(a.tensors);
    const model = await openOnnx(join(ONNX_DIR, 'model.onnx'));
    for (const t of a.tensors) {
      const direct = analyzeCast(await model.readFloat(t.name, { as: 'float32' }), 'fp16');
      expect(t.counts, t.name).toEqual(direct.counts);
    }
    await model.close();
    // the planted weights: the 7.5e4 bias overflows fp16, the 1e-8 branch flushes to zero
    const by = new Map(a.tensors.map((t: { name: string; verdict: string }) => [t.name, t.verdict]));
    expect(by.get('blocks.0.down.bias')).toBe('overflow-risk');
    expect(by.get('blocks.1.o.bias')).toBe('underflow-risk');
  });

  it('fp16, bf16 and fp8 initializers are checked; integer ones are skipped', async () => {
    const p = join(tmp, 'mixed.onnx');
    writeFileSync(p, encodeOnnxModel({ graph: { nodes: [], initializers: [
      { name: 'h', dataType: 10, dims: [2], int32Data: [0x3c00, 0x7bff] },
      { name: 'b', dataType: 16, dims: [1], int32Data: [0x3f80] },
      { name: 'e', dataType: 18, dims: [1], int32Data: [0x38] },
      { name: 'i', dataType: 7, dims: [1], int64Data: [3n] },
    ] } }));
    const r = await runCli(['check', p, '--to', 'fp8-e4m3fn', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.tensors.map((t: { name: string }) => t.name).sort()).toEqual(['b', 'e', 'h']);
    expect(report.tensors.find((t: { name: string }) => t.name === 'h').counts.overflowed).toBe(1);
  });

  it('a cut model, a hostile external location and a missing data file: exit 2, one line', async () => {
    const cut = join(tmp, 'cut.onnx');
    const full = encodeOnnxModel({ graph: { nodes: [], initializers: [{ name: 'w', dataType: 1, dims: [4], raw: new Uint8Array(16) }] } });
    writeFileSync(cut, full.subarray(0, full.length - 5));
    expect(expectOneLineError(await runCli(['check', cut, '--to', 'fp16']), 'cut model')).toMatch(/cut\.onnx.*end of the file/);
    const hostile = join(tmp, 'hostile.onnx');
    writeFileSync(hostile, encodeOnnxModel({ graph: { nodes: [], initializers: [{ name: 'w', dataType: 1, dims: [1], externalData: { location: '../../etc/passwd' } }] } }));
    expect(expectOneLineError(await runCli(['check', hostile, '--to', 'fp16']), 'external data outside the folder')).toMatch(/relative path inside the model's folder/);
    const missing = join(tmp, 'missing.onnx');
    writeFileSync(missing, encodeOnnxModel({ graph: { nodes: [], initializers: [{ name: 'w', dataType: 1, dims: [1], externalData: { location: 'nope.data' } }] } }));
    expect(expectOneLineError(await runCli(['check', missing, '--to', 'fp16']), 'missing external data')).toMatch(/nope\.data/);
  });
});
