// `lowp trace`: the vector model traced from the command line reproduces activations.json (the JSON
// report's counts, first overflow and emulated SQNR), the text report names the planted activation and
// the mask literal, --html writes a self-contained report whose data is the trace's, and bad usage is
// one line on stderr with exit status 2.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/index.js';
import { expectVectorModelFp16 } from '../helpers/onnx-web-oracle.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';
import { expectOneLineError, runCli } from './helpers.js';

const ONNX_DIR = existsSync(join(SHARED_VECTORS, 'onnx', 'model.onnx')) ? join(SHARED_VECTORS, 'onnx') : join(FIXTURES, 'onnx');
const oracle = JSON.parse(readFileSync(join(ONNX_DIR, 'activations.json'), 'utf8')) as {
  outputs: { output: string }[];
  emulatedFp16SqnrDb: Record<string, number | string>;
};
const tmp = mkdtempSync(join(tmpdir(), 'lowp-trace-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = join(ONNX_DIR, 'model.onnx');
const ids = `input_ids=${join(ONNX_DIR, 'input_ids.npy')}`;

describe('lowp trace', () => {
  it('--json reproduces activations.json: fp16 counts, max |x|, the first overflow, the emulated SQNR within 0.5 dB', async () => {
    const r = await runCli(['trace', model, '--input', ids, '--to', 'fp16', '--emulate', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe('lowp.trace/1');
    expectVectorModelFp16(report.outputs, report.firstOverflow?.output ?? null);
    expect(report.firstOverflow).toEqual({ node: '/Constant_1', output: '/Constant_1_output_0' });
    expect(report.firstActivationOverflow.output).toBe('/blocks.0/down/Add_output_0');
  });

  it('the table and the sentences name the mask literal and the planted activation; --html writes the report', async () => {
    const html = join(tmp, 'trace.html');
    const r = await runCli(['trace', model, '--input', ids, '--to', 'fp16', '--emulate', '--html', html]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/graph optimisations off/);
    expect(r.stdout).toMatch(/\/blocks\.0\/down\/Add\s+Add\s+1,536\s+75000\s+24\s+ACTIVATION/);
    expect(r.stdout).toMatch(/-1e9 becomes -inf in fp16/);
    expect(r.stdout).toMatch(/fp16 breaks the model at \/blocks\.0\/down\/Add_output_0/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const data = JSON.parse(/<script id="lowp-trace" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? 'null');
    expect(data.x).toHaveLength(90);
    const at = oracle.outputs.findIndex((o) => o.output === '/blocks.0/down/Add_output_0');
    expect(data.max[at]).toBe(75000);
    expect(data.over[at]).toBe(75000);
    expect(data.bad.filter((v: number | null) => v !== null)).toHaveLength(Object.values(oracle.emulatedFp16SqnrDb).filter((v) => v === 'non-finite').length);
  });

  it('random token ids by shape, and .npy inputs of another integer type', async () => {
    const r = await runCli(['trace', model, '--input', 'input_ids=random:1x24', '--to', 'bf16', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs).toEqual([{ name: 'input_ids', type: 'int64', shape: [1, 24], source: 'random' }]);
    // the exported model fixes its input's shape: another one is refused, saying which
    expect(expectOneLineError(await runCli(['trace', model, '--input', 'input_ids=random:1x8']), 'wrong input shape')).toMatch(/dimension 1 of input 'input_ids' to be 24, got 8/);
    const npy = join(tmp, 'ids32.npy');
    writeFileSync(npy, writeNpy({ dtype: 'I32', shape: [1, 24], data: Int32Array.from({ length: 24 }, (_, i) => i) }));
    const q = await runCli(['trace', model, '--input', `input_ids=${npy}`, '--json']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout).inputs[0]).toMatchObject({ type: 'int64', shape: [1, 24], source: 'given' });
  });

  it('bad usage: exit 2 and one line', async () => {
    expect(expectOneLineError(await runCli(['trace', join(tmp, 'none.onnx')]), 'missing model')).toMatch(/none\.onnx/);
    expect(expectOneLineError(await runCli(['trace', model, '--input', 'input_ids']), '--input without a file')).toMatch(/--input expects name=file\.npy/);
    expect(expectOneLineError(await runCli(['trace', model, '--input', 'nope=random:1x2']), 'unknown input')).toMatch(/inputs of the model \(input_ids\), got 'nope'/);
    expect(expectOneLineError(await runCli(['trace', model, '--input', `input_ids=${join(tmp, 'missing.npy')}`]), 'missing .npy')).toMatch(/missing\.npy/);
    expect(expectOneLineError(await runCli(['trace', model, '--to', 'fp99']), 'unknown format')).toMatch(/fp99/);
    const cut = join(tmp, 'cut.onnx');
    writeFileSync(cut, readFileSync(model).subarray(0, 1000));
    expect(expectOneLineError(await runCli(['trace', cut]), 'cut model')).toMatch(/cut\.onnx/);
  });
});
