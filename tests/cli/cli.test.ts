// The `lowp` program as a user meets it: --version, --help with examples for every command, usage errors
// (exit 2, one line), `lowp formats` (every registered format, figures equal finfo), `lowp bench` (a
// short run, JSON), `lowp quant-error` (figures equal lowp/quant's quantRoundTrip + compare on the same
// tensor), the built-in sample (deterministic bytes, model-like content), and the real bin through tsx.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS, finfo } from '../../src/formats/index.js';
import { openSafetensorsSync } from '../../src/io/safetensors/reader.js';
import { compare } from '../../src/quant/metrics.js';
import { quantRoundTrip } from '../../src/quant/methods.js';
import { sampleSafetensors, sampleTensors } from '../../src/cli/sample/transformer.js';
import { fmtCheckHead, fmtCountShare, fmtNum, fmtPercent, someNames } from '../../src/cli/units.js';
import { renderTable } from '../../src/cli/table.js';
import { CLI_BIN, ROOT, runBuiltJson, runCli, spawnCli } from './helpers.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('version and help', () => {
  it('--version prints package.json\'s version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('--help lists the commands and examples; each command\'s --help has examples', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['check', 'quant-error', 'formats', 'bench']) expect(top.stdout).toContain(c);
    expect(top.stdout).toContain('Examples:');
    expect(top.stdout).toContain('Exit status');
    for (const c of ['check', 'quant-error', 'formats', 'bench']) {
      const r = await runCli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:\n\s+\$ lowp /);
      expect(r.stderr).toBe('');
    }
    const check = await runCli(['check', '--help']);
    for (const flag of ['--to', '--json', '--html', '--only', '--fail-on', '--top', '--sample']) expect(check.stdout).toContain(flag);
    for (const v of ['overflow-risk', 'underflow-risk', 'lossy', 'safe']) expect(check.stdout).toContain(v);
  });

  it('`lowp help` and `lowp help check` print help, exit 0', async () => {
    const top = await runCli(['help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: lowp');
    const check = await runCli(['help', 'check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('Usage: lowp check');
  });

  it('no arguments prints the help, exit 0', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: lowp');
  });

  it('usage errors: exit 2 and one line on stderr', async () => {
    for (const args of [['frobnicate'], ['check', '--bogus'], ['check'], ['check', '--sample', 'x.safetensors'], ['check', '--sample', '--to', 'fp12'], ['check', '--sample', '--top', '-1'], ['check', '--sample', '--chunk', '0'], ['quant-error', '--sample', '--methods', 'int7'], ['bench', '--size', '99999999999'], ['bench', '--size', String(2 ** 27 + 1)]]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l !== ''), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lowp: /);
    }
    // was 'lowp: Invalid typed array length: 99999999999' after allocating what it could
    expect((await runCli(['bench', '--size', '99999999999'])).stderr).toMatch(/--size expects an integer of at most 134217728/);
  });
});

describe('lowp formats', () => {
  it('the table has one aligned row per registered format', async () => {
    const r = await runCli(['formats']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const rule = lines[1];
    expect(rule).toMatch(/^─+( +─+)+$/);
    for (const f of FORMATS) expect(lines.some((l) => l.startsWith(f.name + ' '))).toBe(true);
    // aligned: the column separators of the rule fall on spaces in every row
    const gaps = [...rule.matchAll(/ {2}/g)].map((m) => m.index!);
    for (const l of lines.slice(2, 2 + FORMATS.length)) for (const g of gaps) expect(l.slice(g, g + 2)).toBe('  ');
    expect(r.stdout).toContain('65504');
  });

  it('--json equals finfo for every format', async () => {
    const r = await runCli(['formats', '--json']);
    const rows = JSON.parse(r.stdout) as { name: string }[];
    expect(rows.map((x) => x.name)).toEqual(FORMATS.map((f) => f.name));
    for (const row of rows) expect(row).toMatchObject(JSON.parse(JSON.stringify(finfo(row.name))));
  });
});

describe('lowp bench', () => {
  it('a short run prints conversion throughputs (JSON)', async () => {
    const r = await runCli(['bench', '--json', '--size', '65536', '--budget', '5']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { rows: { name: string; perSecond: number; unit: string }[] };
    const names = out.rows.map((x) => x.name);
    for (const n of ['f32 → bf16 encodeArray', 'f32 → fp16 encodeArray', 'bf16 → f32 decodeArray', 'fp16 → f32 decodeArray']) expect(names).toContain(n);
    for (const row of out.rows) expect(row.perSecond).toBeGreaterThan(0);
  });
});

describe('lowp quant-error', () => {
  it('figures equal quantRoundTrip + compare on the same tensor', async () => {
    const r = await runCli(['quant-error', '--sample', '--only', '^model\\.layers\\.0\\.self_attn\\.q_proj\\.weight$', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.schema).toBe('lowp.quant-error');
    expect(out.methods).toEqual(['int8-tensor', 'int8-row', 'llm-int8', 'fp16', 'bf16', 'fp8-e4m3fn', 'nf4']);
    expect(out.tensors).toHaveLength(1);
    const t = sampleTensors().find((x) => x.name === 'model.layers.0.self_attn.q_proj.weight')!;
    for (const cell of out.tensors[0].results) {
      const q = quantRoundTrip(t.data, cell.method, { rows: 256, cols: 256 });
      const c = compare(t.data, q.values);
      expect(cell.sqnrDb, cell.method).toBe(c.sqnrDb);
      expect(cell.relL2, cell.method).toBe(c.relL2);
      expect(cell.maxAbsError, cell.method).toBe(c.maxAbsError);
      expect(cell.bitsPerValue, cell.method).toBeCloseTo(q.bytesPerElement * 8, 12);
    }
    // more bits, less error: bf16 beats int8 beats nf4 on a Gaussian weight
    const db = Object.fromEntries(out.tensors[0].results.map((c: { method: string; sqnrDb: number }) => [c.method, c.sqnrDb]));
    expect(db.fp16).toBeGreaterThan(db.bf16);
    expect(db.bf16).toBeGreaterThan(db['int8-row']);
    expect(db['int8-row']).toBeGreaterThan(db.nf4);
  });

  it('the table lists each tensor with each method, and a per-method summary', async () => {
    const r = await runCli(['quant-error', '--sample', '--only', 'norm\\.weight$', '--methods', 'int8-row,nf4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('model.norm.weight');
    expect(r.stdout).toMatch(/^int8-row\s+8\.\d\d\s+[\d.]+ dB/m);
    expect(r.stdout).toContain('Per method over all tensors:');
  });
});

describe('built-in sample', () => {
  it('is deterministic and model-like', () => {
    const a = sampleSafetensors();
    const b = sampleSafetensors();
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const st = openSafetensorsSync(a);
    const names = st.names();
    expect(names.some((n) => n.startsWith('grad.'))).toBe(true);
    expect(names.some((n) => n.startsWith('optimizer.exp_avg_sq.'))).toBe(true);
    expect(names.some((n) => n.startsWith('act.'))).toBe(true);
    const norm = st.readFloatSync('model.norm.weight', { as: 'float32' });
    const mean = norm.reduce((x, y) => x + y, 0) / norm.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    const q = st.readFloatSync('model.layers.0.self_attn.q_proj.weight', { as: 'float32' });
    const std = Math.sqrt(q.reduce((x, y) => x + y * y, 0) / q.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.04);
    const v = st.readFloatSync('optimizer.exp_avg_sq.model.layers.1.mlp.down_proj.weight', { as: 'float32' });
    const med = [...v].sort((x, y) => x - y)[v.length >> 1];
    expect(med).toBeGreaterThan(1e-11);
    expect(med).toBeLessThan(1e-8);
  });

  it('fp16 flags the gradients and Adam moments (underflow) and the T5-like activation (overflow); bf16 flags neither', async () => {
    const fp16 = JSON.parse((await runCli(['check', '--sample', '--to', 'fp16', '--json'])).stdout);
    const verdict = (r: { tensors: { name: string; verdict: string }[] }, n: string) => r.tensors.find((t) => t.name === n)!.verdict;
    for (const t of fp16.tensors) {
      if (t.name.startsWith('optimizer.exp_avg_sq.') || (t.name.startsWith('grad.') && /proj/.test(t.name))) expect(t.verdict, t.name).toBe('underflow-risk');
      if (t.name.startsWith('model.')) expect(t.verdict, t.name).toBe('safe');
    }
    expect(verdict(fp16, 'act.model.layers.1.mlp.down_proj')).toBe('overflow-risk');
    expect(fp16.check.verdict).toBe('overflow-risk');
    const bf16 = JSON.parse((await runCli(['check', '--sample', '--to', 'bf16', '--json'])).stdout);
    expect(bf16.summary.counts.flushedToZero).toBe(0);
    expect(bf16.summary.counts.overflowed).toBe(0);
    expect(bf16.summary.counts.rounded).toBeGreaterThan(0.8 * bf16.summary.counts.total);
  });
});

describe('the real bin (node + tsx, src/cli/main.ts)', () => {
  it('check --sample --to fp16 --fail-on overflow: exit 1, report on stdout, nothing on stderr', async () => {
    const r = await spawnCli(['check', '--sample', '--to', 'fp16', '--fail-on', 'overflow'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Verdict for fp16: overflow-risk/m);
  });
});

describe('text helpers', () => {
  it('percentages never print a nonzero share as 0%', () => {
    expect(fmtPercent(1, 1e9)).not.toBe('0%');
    expect(fmtPercent(0, 5)).toBe('0%');
    expect(fmtPercent(5, 5)).toBe('100%');
    expect(fmtCountShare(0, 10)).toBe('0');
    expect(fmtCountShare(1234, 10000)).toBe('1,234 (12.3%)');
    expect(fmtNum(65536)).toBe('65536');
    expect(fmtNum(1e-8)).toBe('1e-8');
    expect(fmtNum(-Infinity)).toBe('-inf');
  });

  it('someNames lists a few names, then how many more', () => {
    expect(someNames(['a', 'b', 'c'])).toBe('a, b, c');
    expect(someNames(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c +2 more');
    expect(someNames(['a', 'b', 'c', 'd', 'e'], 4)).toBe('a, b, c, d +1 more');
  });

  it('fmtCheckHead: the title, the target in parentheses, the skipped tensors only when there are some', () => {
    const head = { label: 'model.safetensors', target: 'fp16', tensors: 1, read: '1,024 values (2.0 KiB)', seconds: 0.0123, about: 'IEEE half', skipped: [] };
    expect(fmtCheckHead(head)).toEqual(['lowp check model.safetensors → fp16: 1 tensor, 1,024 values (2.0 KiB) in 12 ms', '(IEEE half)']);
    const skipped = [{ name: 'ids', dtype: 'I64' }, { name: 'mask', dtype: 'BOOL' }];
    expect(fmtCheckHead({ ...head, tensors: 1200, skipped })).toEqual([
      'lowp check model.safetensors → fp16: 1,200 tensors, 1,024 values (2.0 KiB) in 12 ms',
      '(IEEE half)',
      'skipped 2 non-float tensors: ids (I64), mask (BOOL)',
    ]);
  });

  it('renderTable aligns numbers right and text left', () => {
    const t = renderTable([{ header: 'a' }, { header: 'n', align: 'right' }], [['x', '1'], ['long', '100']]).split('\n');
    expect(t[2]).toBe('x       1');
    expect(t[3]).toBe('long  100');
  });
});

describe('parallel check (worker threads, built CLI)', () => {
  // workers start from the built entry (dist/cli/main.js, made by `npm run build`, which `npm test` runs
  // first); LOWP_CLI_BIN may name another build. Without one the test says so and is skipped.
  const haveBin = existsSync(CLI_BIN);
  if (!haveBin) console.warn(`tests/cli: ${CLI_BIN} not built; the worker-thread test is skipped`);
  it.skipIf(!haveBin)('--threads 2 gives exactly the analyses of --threads 1', () => {
    const one = runBuiltJson(['check', '--sample', '--to', 'fp16'], 1);
    const two = runBuiltJson(['check', '--sample', '--to', 'fp16'], 2);
    expect(one.check.options.threads).toBe(1);
    expect(two.check.options.threads).toBe(2);
    expect(two.tensors).toEqual(one.tensors);
    expect(two.summary).toEqual(one.summary);
    expect(two.check.verdict).toBe(one.check.verdict);
  });
});
