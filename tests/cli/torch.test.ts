// `lowp check` on PyTorch files: every reader/*.pt of the oracle is analysed (exit 0, its float tensors
// counted); an HF Trainer folder gives the same analysis of its weights from model.safetensors and from a
// pytorch_model.bin copy of them (the real public runs when ../shared is present, a written folder
// always); every evil/ file exits 2 with exactly one line naming the file (and the global, for the
// refused ones), in-process and through the real process; random edits of a torch file exit 0 or 2 with
// at most one line.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/io/index.js';
import { ELEMENT_SIZE, Ordered, T, torchSave, type PyW, type StorageSpec } from '../helpers/torch-writer.js';
import { rawTensors, TORCH_VECTORS, TRAINER_RUNS } from '../helpers/torch-vectors.js';
import { FIXTURES } from '../helpers/vectors.js';
import { expectOneLineError, runCli, spawnCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowp-cli-torch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A torch.save state dict holding exactly the tensors of a safetensors file (same names, dtypes, bits). */
function torchCopyOf(safetensorsPath: string): Uint8Array {
  const DT: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64' };
  const storages = new Map<string, StorageSpec>();
  const state = new Map<PyW, PyW>();
  let k = 0;
  for (const [name, t] of rawTensors(safetensorsPath)) {
    const key = String(k++);
    storages.set(key, { dtype: DT[t.dtype], bytes: t.bytes });
    state.set(name, new T({ storage: key, dtype: DT[t.dtype], shape: t.shape }));
  }
  return torchSave(new Ordered(state), storages, { folder: 'pytorch_model' });
}

describe('lowp check on torch.save files (reader/)', () => {
  const reader = join(TORCH_VECTORS, 'reader');
  const manifest = JSON.parse(readFileSync(join(reader, 'manifest.json'), 'utf8')) as Record<string, Record<string, { dtype: string } | number>>;
  for (const file of readdirSync(reader).filter((f) => f.endsWith('.pt'))) {
    it(`${file}: exit 0, every float tensor analysed`, async () => {
      const r = await runCli(['check', join(reader, file), '--to', 'bf16', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      const floats = Object.entries(manifest[file]).filter(([n, m]) => n !== '__count__' && /^(float|bfloat)/.test((m as { dtype: string }).dtype)).length;
      if (manifest[file].__count__ === undefined) expect(report.tensors.length).toBe(floats);
      else expect(report.tensors.length).toBe(manifest[file].__count__);
    });
  }
});

describe('lowp check on an HF Trainer folder: model.safetensors and a pytorch_model.bin copy give the same analysis', () => {
  const written = join(tmp, 'written-checkpoint');
  mkdirSync(written);
  const values = new Float32Array(64).map((_, i) => (i - 32) * 1e-6 * 2 ** (i % 9));
  writeFileSync(join(written, 'model.safetensors'), writeSafetensors({ 'w.weight': { dtype: 'F32', shape: [8, 8], data: values }, 'w.bias': { dtype: 'F32', shape: [2], data: new Float32Array([1e-9, 3]) } }));
  writeFileSync(join(written, 'optimizer.pt'), torchSave(new Map<PyW, PyW>([['state', new Map()], ['param_groups', [new Map<PyW, PyW>([['lr', 1e-3], ['params', [0, 1]]])]]])));
  for (const f of ['scheduler.pt', 'trainer_state.json', 'training_args.bin']) copyFileSync(join(FIXTURES, 'torch', 'trainer-finetune', f), join(written, f));

  for (const dir of [written, ...TRAINER_RUNS]) {
    it(`${dir.split('/').slice(-2).join('/')}`, async () => {
      const binDir = join(tmp, `bin-${dir.split('/').slice(-2).join('-')}`);
      mkdirSync(binDir, { recursive: true });
      for (const f of readdirSync(dir)) if (f !== 'model.safetensors') copyFileSync(join(dir, f), join(binDir, f));
      writeFileSync(join(binDir, 'pytorch_model.bin'), torchCopyOf(join(dir, 'model.safetensors')));
      for (const to of ['bf16', 'fp16']) {
        const a = await runCli(['check', dir, '--to', to, '--json']);
        const b = await runCli(['check', binDir, '--to', to, '--json']);
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        const ra = JSON.parse(a.stdout);
        const rb = JSON.parse(b.stdout);
        const byName = (r: { tensors: Array<{ name: string }> }) => [...r.tensors].sort((x, y) => x.name.localeCompare(y.name));
        expect(byName(rb).map((t) => ({ ...t, dtype: undefined }))).toEqual(byName(ra).map((t) => ({ ...t, dtype: undefined })));
        expect(rb.summary.counts).toEqual(ra.summary.counts);
      }
    });
  }
});

describe('hostile files (evil/): exit 2, one line', () => {
  const evil = join(TORCH_VECTORS, 'evil');
  const manifest = JSON.parse(readFileSync(join(evil, 'manifest.json'), 'utf8')) as { files: Record<string, { expect: string; global?: string }> };
  for (const [file, rule] of Object.entries(manifest.files)) {
    it(`${file}: ${rule.expect}`, async () => {
      const r = await runCli(['check', join(evil, file), '--to', 'fp16']);
      // proto_key.pt reads, but holds no tensor: that too is one line and exit 2 (nothing to check)
      const line = expectOneLineError(r, file);
      expect(line).toContain(file);
      if (rule.global) expect(line).toMatch(new RegExp(`refused global '${rule.global.replace('.', '\\.')}': known to be dangerous`));
      expect(readdirSync(tmp).some((f) => f.includes('lowp-evil-marker'))).toBe(false);
    });
  }

  it('through the real process: exit 2, one line, no stack trace, no hang', async () => {
    for (const file of ['os_system.pt', 'legacy_subprocess.pt', 'deep_nesting.pt', 'numel_lies.pt']) {
      const r = await spawnCli(['check', join(evil, file), '--to', 'bf16'], { timeoutMs: 30_000 });
      expect(r.signal, file).toBeNull();
      expectOneLineError(r, file);
    }
  });
});

describe('fuzz: random edits of a torch file through the CLI', () => {
  const storages = new Map<string, StorageSpec>([['0', { dtype: 'float32', bytes: new Uint8Array(new Float32Array([1, -2, 3e-9, 7e4]).buffer) }], ['1', { dtype: 'bfloat16', bytes: new Uint8Array(2 * ELEMENT_SIZE.bfloat16) }]]);
  const valid = torchSave(new Ordered(new Map<PyW, PyW>([['a', new T({ storage: '0', dtype: 'float32', shape: [2, 2] })], ['b', new T({ storage: '1', dtype: 'bfloat16', shape: [2] })], ['aT', new T({ storage: '0', dtype: 'float32', shape: [2, 2], strides: [1, 2] })]])), storages);

  it('exit status 0 or 2, at most one line on stderr, never a throw', async () => {
    const path = join(tmp, 'fuzz.pt');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const b = valid.slice();
        for (const [at, v] of edits) b[at] = v;
        writeFileSync(path, b);
        const r = await runCli(['check', path, '--to', 'fp16']);
        expect([0, 2]).toContain(r.code);
        if (r.code === 2) expectOneLineError(r, 'fuzz.pt');
      }),
      { numRuns: 60 },
    );
  });
});
