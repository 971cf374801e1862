// `lowp check`: the per-tensor figures of the JSON report equal (1) lowp/diagnostics' analyzeCast over
// the whole tensor read by the independent oracle loader (tests/helpers/vectors.ts), and (2) counts
// computed element by element with the scalar reference `round()` of src/formats; on the real trained
// model (../shared/vectors/digits-transformer, or its fixture subset) gradients and Adam second moments
// underflow in fp16, as they really do. Also: --only, --fail-on exit statuses, --top, the JSON schema.
import { describe, expect, it } from 'vitest';
import { analyzeCast } from '../../src/diagnostics/analyzeCast.js';
import { CAST_REPORT_JSON_SCHEMA } from '../../src/diagnostics/report.js';
import { finfo, round } from '../../src/formats/index.js';
import { loadVectors, vectorsPath } from '../helpers/vectors.js';
import { runCli } from './helpers.js';

interface Counts {
  total: number;
  zeros: number;
  exact: number;
  rounded: number;
  flushedToZero: number;
  becameSubnormal: number;
  overflowed: number;
  nanInputs: number;
  infInputs: number;
}

/** Independent counts: per-element scalar round() (the generic codec), no diagnostics code involved. */
function referenceCounts(data: Float32Array, to: string): Counts {
  const fi = finfo(to);
  const c: Counts = { total: data.length, zeros: 0, exact: 0, rounded: 0, flushedToZero: 0, becameSubnormal: 0, overflowed: 0, nanInputs: 0, infInputs: 0 };
  for (const x of data) {
    if (Number.isNaN(x)) c.nanInputs++;
    else if (!Number.isFinite(x)) c.infInputs++;
    else if (x === 0) c.zeros++;
    else {
      const r = round(x, to);
      if (!Number.isFinite(r)) c.overflowed++;
      else if (r === 0) c.flushedToZero++;
      else {
        if (r === x) c.exact++;
        else c.rounded++;
        if (Math.abs(r) < fi.smallestNormal) c.becameSubnormal++;
      }
    }
  }
  return c;
}

const digits = vectorsPath('digits-transformer');

describe('lowp check on the real model (digits-transformer)', () => {
  it(`per-tensor counts in fp16 equal analyzeCast and an element-by-element round() reference (${digits.source})`, async () => {
    const { code, stdout, stderr } = await runCli(['check', digits.path, '--to', 'fp16', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const vectors = loadVectors('digits-transformer');
    expect(report.tensors.map((t: { name: string }) => t.name).sort()).toEqual([...vectors.keys].sort());
    for (const t of report.tensors) {
      const data = vectors.get(t.name).data as Float32Array;
      const direct = analyzeCast(data, 'fp16');
      const ref = referenceCounts(data, 'fp16');
      const counts = t.counts;
      for (const k of Object.keys(ref) as (keyof Counts)[]) {
        expect(counts[k], `${t.name} ${k} vs reference round()`).toBe(ref[k]);
      }
      expect(counts).toEqual(direct.counts);
      expect(t.verdict).toBe(direct.verdict);
      expect(t.dtype).toBe('F32');
      expect(t.elements).toBe(data.length);
      expect(t.shape).toEqual(vectors.get(t.name).shape);
    }
  });

  it('gradients and Adam second moments underflow in fp16; weights do not', async () => {
    const { stdout } = await runCli(['check', digits.path, '--to', 'fp16', '--json']);
    const report = JSON.parse(stdout);
    const grads = report.tensors.filter((t: { name: string }) => t.name.startsWith('grad.'));
    const adam = report.tensors.filter((t: { name: string }) => t.name.startsWith('adam.exp_avg_sq.'));
    expect(grads.length).toBeGreaterThan(0);
    expect(adam.length).toBeGreaterThan(0);
    for (const t of [...grads, ...adam]) {
      expect(t.verdict, t.name).toBe('underflow-risk');
      expect(t.counts.flushedToZero + t.counts.becameSubnormal, t.name).toBeGreaterThan(0);
    }
    const flushed = (ts: { counts: { flushedToZero: number } }[]) => ts.reduce((a, t) => a + t.counts.flushedToZero, 0);
    expect(flushed(grads)).toBeGreaterThan(0);
    expect(flushed(adam)).toBeGreaterThan(0);
    for (const t of report.tensors.filter((x: { name: string }) => x.name.startsWith('weight.'))) {
      expect(t.verdict, t.name).not.toBe('overflow-risk');
    }
    expect(report.summary.verdict).toBe('underflow-risk');
    expect(report.check.verdict).toBe('underflow-risk');
    expect(report.summary.verdicts['underflow-risk']).toBeGreaterThanOrEqual(grads.length + adam.length);
  });

  it('in bf16 the same tensors keep every nonzero value (bf16 has float32\'s range)', async () => {
    const { stdout, code } = await runCli(['check', digits.path, '--to', 'bf16', '--json', '--fail-on', 'underflow,overflow']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.summary.counts.flushedToZero).toBe(0);
    expect(report.summary.counts.overflowed).toBe(0);
    expect(report.check.failOn.triggered).toEqual([]);
  });

  it('--only keeps exactly the tensors whose name matches', async () => {
    const { stdout } = await runCli(['check', digits.path, '--to', 'fp16', '--json', '--only', '^adam\\.']);
    const report = JSON.parse(stdout);
    const expected = loadVectors('digits-transformer').keys.filter((k) => /^adam\./.test(k));
    expect(report.tensors.map((t: { name: string }) => t.name).sort()).toEqual(expected.sort());
    expect(report.check.options.only).toBe('^adam\\.');
  });

  it('--only with no match and an invalid regex are usage errors (exit 2, one line)', async () => {
    for (const only of ['^nothing-matches$', '(unclosed']) {
      const r = await runCli(['check', digits.path, '--only', only]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lowp: --only/);
    }
  });
});

/** A small JSON Schema checker (type, const, enum, required, properties, items, oneOf, $ref to $defs): enough for CAST_REPORT_JSON_SCHEMA. */
function validate(schema: any, value: any, root: any, path = '$'): string[] {
  if (schema.$ref) return validate(root.$defs[schema.$ref.replace('#/$defs/', '')], value, root, path);
  const errs: string[] = [];
  if (schema.oneOf) {
    const ok = schema.oneOf.filter((s: any) => validate(s, value, root, path).length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf`);
  }
  if ('const' in schema && value !== schema.const) errs.push(`${path}: expected ${schema.const}`);
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${path}: ${JSON.stringify(value)} not in enum`);
  const t = schema.type;
  if (t === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) return [...errs, `${path}: not an object`];
  if (t === 'array' && !Array.isArray(value)) return [...errs, `${path}: not an array`];
  if (t === 'string' && typeof value !== 'string') errs.push(`${path}: not a string`);
  if (t === 'number' && typeof value !== 'number') errs.push(`${path}: not a number`);
  if (t === 'integer' && !Number.isInteger(value)) errs.push(`${path}: not an integer`);
  if (t === 'boolean' && typeof value !== 'boolean') errs.push(`${path}: not a boolean`);
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) errs.push(`${path}: below minimum`);
  for (const k of schema.required ?? []) if (!(k in value)) errs.push(`${path}: missing ${k}`);
  for (const [k, s] of Object.entries(schema.properties ?? {})) if (value && typeof value === 'object' && k in value) errs.push(...validate(s, value[k], root, `${path}.${k}`));
  if (schema.items && Array.isArray(value)) value.forEach((v: any, i: number) => errs.push(...validate(schema.items, v, root, `${path}[${i}]`)));
  return errs;
}

describe('lowp check --json schema', () => {
  it('is a lowp.cast-report/1 document (valid against CAST_REPORT_JSON_SCHEMA) plus the check block', async () => {
    const { stdout } = await runCli(['check', '--sample', '--to', 'fp16', '--json']);
    const r = JSON.parse(stdout);
    expect(r.schema).toBe('lowp.cast-report/1');
    expect(validate(CAST_REPORT_JSON_SCHEMA, r, CAST_REPORT_JSON_SCHEMA)).toEqual([]);
    expect(r.generator).toEqual({ name: 'lowp', version: expect.any(String) });
    expect(r.target.format).toBe('fp16');
    expect(r.input).toBe('built-in sample');
    expect(r.check.version).toBe(2);
    expect(r.check.targetKind).toBe('format');
    expect(r.check.targetInfo.max).toBe(65504);
    expect(r.check.input.kind).toBe('sample');
    for (const key of ['verdict', 'reasons', 'failOn', 'exitCode', 'options', 'bytes', 'seconds']) expect(r.check).toHaveProperty(key);
    for (const t of r.tensors) {
      expect(t.counts.total).toBe(t.elements);
      expect(t.shape.reduce((a: number, b: number) => a * b, 1)).toBe(t.elements);
    }
    expect(r.summary.counts.total).toBe(r.tensors.reduce((a: number, t: { elements: number }) => a + t.elements, 0));
    expect(r.constants.length).toBeGreaterThan(0);
    // non-finite numbers are written as strings ("Infinity"), never as null (JSON.stringify's silent loss)
    expect(JSON.stringify(r.tensors)).not.toContain('null');
    expect(JSON.stringify(r.tensors)).toContain('"Infinity"');
  });
});

describe('lowp check --fail-on', () => {
  it('exit status 1 only for the kinds asked for and found', async () => {
    const fp16Under = await runCli(['check', '--sample', '--to', 'fp16', '--fail-on', 'underflow', '--json']);
    expect(fp16Under.code).toBe(1);
    expect(JSON.parse(fp16Under.stdout).check.failOn.triggered).toEqual(['underflow']);
    const fp16Over = await runCli(['check', '--sample', '--to', 'fp16', '--fail-on', 'overflow']);
    expect(fp16Over.code).toBe(1);
    expect(fp16Over.stdout).toMatch(/--fail-on overflow: found overflow \(exit status 1\)/);
    const bf16 = await runCli(['check', '--sample', '--to', 'bf16', '--fail-on', 'overflow,underflow']);
    expect(bf16.code).toBe(0);
    const none = await runCli(['check', '--sample', '--to', 'fp16']);
    expect(none.code).toBe(0);
  });

  it('an unknown kind is a usage error', async () => {
    const r = await runCli(['check', '--sample', '--fail-on', 'overflow,sometimes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lowp: --fail-on expects .*got 'sometimes'\n$/);
  });
});

describe('lowp check text output', () => {
  it('lists the --top worst tensors, worst first, and ends with a one-line verdict', async () => {
    const { stdout, code } = await runCli(['check', '--sample', '--to', 'fp16', '--top', '5']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    // both risks named, overflow first (the second alternative of an earlier `a|b` regex accepted any reason)
    expect(lines[lines.length - 1]).toMatch(/^Verdict for fp16: overflow-risk: .*beyond fp16's max 65504 .*; \d+ tensors underflow: /);
    expect(stdout).toMatch(/\(the 5 worst of \d+ tensors; --top 0 lists all\)/);
    // the first table row is the overflowing activation
    const header = lines.findIndex((l) => l.startsWith('tensor'));
    expect(lines[header + 2]).toMatch(/^act\.model\.layers\.1\.mlp\.down_proj\s+F32\s+\[256, 256\]\s+overflow-risk/);
  });

  it('bf16 on the sample: nothing flushed or overflowed, values round', async () => {
    const { stdout } = await runCli(['check', '--sample', '--to', 'bf16']);
    expect(stdout).toMatch(/flushed to zero 0;/);
    expect(stdout).toMatch(/overflowed 0\n/);
    expect(stdout).toMatch(/^Verdict for bf16: /m);
  });
});

describe('lowp check on sharded checkpoints', () => {
  it('a folder and its *.safetensors.index.json give the same report as one file with the same tensors', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeSafetensorsFile } = await import('../../src/io/safetensors/writer.js');
    const dir = mkdtempSync(join(tmpdir(), 'lowp-shards-'));
    try {
      const a = { 'layer.0.w': { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 1e-9, 70000, -2, 0, 3e-6]) } };
      const b = { 'layer.1.w': { dtype: 'F32' as const, shape: [4], data: new Float32Array([0.5, -1e-8, 2, 65520]) } };
      writeSafetensorsFile(join(dir, 'model-00001-of-00002.safetensors'), a);
      writeSafetensorsFile(join(dir, 'model-00002-of-00002.safetensors'), b);
      writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 40 }, weight_map: { 'layer.0.w': 'model-00001-of-00002.safetensors', 'layer.1.w': 'model-00002-of-00002.safetensors' } }));
      const single = join(dir, '..', `${dir.split('/').pop()}-single.safetensors`);
      writeSafetensorsFile(single, { ...a, ...b });
      const reports = [];
      for (const p of [dir, join(dir, 'model.safetensors.index.json'), single]) {
        const r = await runCli(['check', p, '--to', 'fp16', '--json']);
        expect(r.code, r.stderr).toBe(0);
        reports.push(JSON.parse(r.stdout));
      }
      rmSync(single);
      for (const r of reports) {
        expect(r.tensors.map((t: { name: string }) => t.name).sort()).toEqual(['layer.0.w', 'layer.1.w']);
        expect(r.summary.counts).toEqual(reports[2].summary.counts);
      }
      expect(reports[0].summary.counts.overflowed).toBe(2);
      expect(reports[0].summary.counts.flushedToZero).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
