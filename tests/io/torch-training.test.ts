// Training checkpoints (src/io/torch/training.ts, optimizer.ts): the real HF Trainer folders of
// ../shared/vectors/torch-checkpoints/trainer (PyTorch 2.13) when present — optimizer.pt's moments equal
// truth.safetensors' inputs bit for bit in truth.json's parameter order, with its lr, betas, eps and step;
// training_args.bin skipped, never opened — and, always, a folder of the same structure written by the
// test writer (with the real scheduler.pt, trainer_state.json and training_args.bin from the fixtures),
// Lightning checkpoints, folders with one .ckpt, and side files that cannot be read.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTrainingCheckpoint, openTorch, openTrainingCheckpoint, readOptimizerState, TorchError, writeSafetensors } from '../../src/io/index.js';
import { F, NewObj, Ordered, T, torchSave, Tuple, type PyW, type StorageSpec } from '../helpers/torch-writer.js';
import { FIXTURES } from '../helpers/vectors.js';
import { HAVE_SHARED_TORCH, rawTensors, SHARED_TORCH, TRAINER_RUNS } from '../helpers/torch-vectors.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowp-training-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const f32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

/** An optimizer.pt laid out as torch's AdamW state_dict: per index step (0-dim tensor), exp_avg, exp_avg_sq; two groups. */
function optimizerPt(shapes: number[][], step: number): Uint8Array {
  const storages = new Map<string, StorageSpec>();
  const state = new Map<PyW, PyW>();
  let key = 0;
  shapes.forEach((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const entry = new Map<PyW, PyW>();
    for (const [k, values] of [['step', [step]], ['exp_avg', Array.from({ length: n }, (_, j) => (i + 1) * 1e-3 * (j - 1))], ['exp_avg_sq', Array.from({ length: n }, (_, j) => (i + 1) * 1e-8 * j)]] as Array<[string, number[]]>) {
      const s = String(key++);
      storages.set(s, { dtype: 'float32', bytes: f32(values) });
      entry.set(k, new T({ storage: s, dtype: 'float32', shape: k === 'step' ? [] : shape }));
    }
    state.set(i, entry);
  });
  const group = (wd: number, params: number[]): Map<PyW, PyW> =>
    new Map<PyW, PyW>([['weight_decay', new F(wd)], ['lr', 1.1e-5], ['betas', new Tuple([0.9, 0.999])], ['eps', 1e-8], ['amsgrad', false], ['foreach', null], ['fused', null], ['decoupled_weight_decay', true], ['initial_lr', 2e-5], ['params', params]]);
  return torchSave(new Map<PyW, PyW>([['state', state], ['param_groups', [group(0.01, [0, 1]), group(0, [2])]]]), storages, { folder: 'optimizer' });
}

function hfFolder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors({
    'embed.weight': { dtype: 'F32', shape: [4, 2], data: new Float32Array(8).fill(0.5) },
    'fc.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array(4).fill(1) },
    'fc.bias': { dtype: 'F32', shape: [2], data: new Float32Array(2) },
  }));
  writeFileSync(join(dir, 'optimizer.pt'), optimizerPt([[4, 2], [2, 2], [2]], 150));
  for (const f of ['scheduler.pt', 'trainer_state.json', 'training_args.bin']) copyFileSync(join(FIXTURES, 'torch', 'trainer-finetune', f), join(dir, f));
  writeFileSync(join(dir, 'rng_state.pth'), torchSave(new NewObj('numpy.random.RandomState', null)));
  writeFileSync(join(dir, 'config.json'), '{}');
  return dir;
}

describe('an HF Trainer folder (written by the test writer, real side files)', () => {
  const dir = hfFolder('checkpoint-150');

  it('findTrainingCheckpoint names every piece and lists the pickled side files as skipped, without opening them', () => {
    const found = findTrainingCheckpoint(dir);
    expect(found.kind).toBe('hf-trainer');
    expect(found.weights).toBe(join(dir, 'model.safetensors'));
    expect(found.optimizer).toBe(join(dir, 'optimizer.pt'));
    expect(found.scheduler).toBe(join(dir, 'scheduler.pt'));
    expect(found.trainerState).toBe(join(dir, 'trainer_state.json'));
    expect(found.scaler).toBeUndefined();
    expect(found.skipped.map((s) => s.file)).toEqual([join(dir, 'rng_state.pth'), join(dir, 'training_args.bin')]);
    expect(found.skipped[1].reason).toMatch(/TrainingArguments.*not loaded/);
  });

  it('openTrainingCheckpoint: weights, optimizer groups and states, scheduler, trainer_state; training_args.bin is never parsed', async () => {
    const ckpt = await openTrainingCheckpoint(dir);
    expect(ckpt.weights?.names()).toEqual(['embed.weight', 'fc.bias', 'fc.weight']);
    const opt = ckpt.optimizer!;
    expect(opt.groups.map((g) => [g.lr, g.betas, g.eps, g.weightDecay, g.initialLr, g.params])).toEqual([
      [1.1e-5, [0.9, 0.999], 1e-8, 0.01, 2e-5, [0, 1]],
      [1.1e-5, [0.9, 0.999], 1e-8, 0, 2e-5, [2]],
    ]);
    expect(opt.groups[0].options.get('decoupled_weight_decay')).toBe(true);
    expect([...opt.states.keys()]).toEqual([0, 1, 2]);
    const s1 = opt.states.get(1)!;
    expect(s1.step).toBe(150);
    expect([...s1.tensors]).toEqual([['step', 'state.1.step'], ['exp_avg', 'state.1.exp_avg'], ['exp_avg_sq', 'state.1.exp_avg_sq']]);
    expect([...(await opt.file.readFloat(s1.tensors.get('exp_avg')!, { as: 'float32' }))]).toEqual([...new Float32Array([-2e-3, 0, 2e-3, 4e-3])]);
    expect((ckpt.scheduler as Map<string, unknown>).get('last_epoch')).toBe(150);
    expect(ckpt.trainerState?.globalStep).toBe(150);
    expect(ckpt.trainerState?.maxSteps).toBe(300);
    expect(ckpt.trainerState?.lastLearningRate).toBeCloseTo(1.1e-5, 12);
    expect(ckpt.skipped.map((s) => s.file)).toEqual([join(dir, 'rng_state.pth'), join(dir, 'training_args.bin')]);
    await ckpt.close();
  });

  it('a scheduler that cannot be read (a refused global) and a trainer_state.json with a __proto__ key are skipped with why; the rest loads', async () => {
    const bad = hfFolder('bad-side-files');
    writeFileSync(join(bad, 'scheduler.pt'), torchSave(new Map<PyW, PyW>([['lr_lambdas', [new NewObj('__main__.<lambda>', null)]]])));
    writeFileSync(join(bad, 'trainer_state.json'), '{"global_step": 1, "__proto__": {"polluted": true}}');
    const ckpt = await openTrainingCheckpoint(bad);
    expect(ckpt.scheduler).toBeUndefined();
    expect(ckpt.trainerState).toBeUndefined();
    const reasons = ckpt.skipped.map((s) => s.reason).join('\n');
    expect(reasons).toMatch(/refused global '__main__\.<lambda>'/);
    expect(reasons).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(ckpt.optimizer?.states.size).toBe(3);
    await ckpt.close();
  });

  it('a trainer_state.json that starts with a BOM is skipped with why, as Python\'s json refuses it', async () => {
    const dir = hfFolder('bom-state');
    writeFileSync(join(dir, 'trainer_state.json'), '\uFEFF{"global_step": 1}');
    const ckpt = await openTrainingCheckpoint(dir);
    expect(ckpt.trainerState).toBeUndefined();
    expect(ckpt.skipped.map((s) => s.file)).toContain(join(dir, 'trainer_state.json'));
    await ckpt.close();
  });

  it('an optimizer.pt with a dangerous global is a refusal, not a skip', async () => {
    const evil = hfFolder('evil-optimizer');
    copyFileSync(join(FIXTURES, 'torch', 'evil', 'os_system.pt'), join(evil, 'optimizer.pt'));
    const e = await openTrainingCheckpoint(evil).catch((x) => x);
    expect(e).toBeInstanceOf(TorchError);
    expect(e.code).toBe('FORBIDDEN_GLOBAL');
    expect(e.message).toContain("'posix.system'");
  });

  it('readOptimizerState refuses a value that is not an optimizer state dict (OPTIMIZER)', async () => {
    const f = await openTorch(join(dir, 'scheduler.pt'));
    const e = await readOptimizerState(f).catch((x) => x);
    expect(e).toBeInstanceOf(TorchError);
    expect(e.code).toBe('OPTIMIZER');
  });

  it('pytorch_model.bin instead of model.safetensors; a folder with weights only', async () => {
    const bin = hfFolder('bin');
    rmSync(join(bin, 'model.safetensors'));
    writeFileSync(join(bin, 'pytorch_model.bin'), torchSave(new Ordered(new Map<PyW, PyW>([['w', new T({ storage: '0', dtype: 'bfloat16', shape: [2] })]])), new Map([['0', { dtype: 'bfloat16', bytes: new Uint8Array(4) }]]), { folder: 'pytorch_model' }));
    const ckpt = await openTrainingCheckpoint(bin);
    expect(ckpt.files.weights).toBe(join(bin, 'pytorch_model.bin'));
    expect(ckpt.weights?.names()).toEqual(['w']);
    await ckpt.close();
    const only = join(tmp, 'weights-only');
    mkdirSync(only);
    copyFileSync(join(bin, 'pytorch_model.bin'), join(only, 'pytorch_model.bin'));
    expect(findTrainingCheckpoint(only).kind).toBe('weights');
    expect(() => findTrainingCheckpoint(join(tmp))).toThrow(/training checkpoint folder/);
  });
});

describe('Lightning checkpoints and other single torch files', () => {
  const lightning = (): Uint8Array => {
    const storages = new Map<string, StorageSpec>([
      ['0', { dtype: 'float32', bytes: f32([1, 2, 3, 4]) }],
      ['1', { dtype: 'float32', bytes: f32([0.1, 0.2, 0.3, 0.4]) }],
      ['2', { dtype: 'float32', bytes: f32([7]) }],
      ['3', { dtype: 'float32', bytes: f32([0.5, 0.5, 0.5, 0.5]) }],
    ]);
    const w = new T({ storage: '0', dtype: 'float32', shape: [2, 2] });
    const opt = (expAvg: string): Map<PyW, PyW> =>
      new Map<PyW, PyW>([
        ['state', new Map<PyW, PyW>([[0, new Map<PyW, PyW>([['step', new T({ storage: '2', dtype: 'float32', shape: [] })], ['exp_avg', new T({ storage: expAvg, dtype: 'float32', shape: [2, 2] })]])]])],
        ['param_groups', [new Map<PyW, PyW>([['lr', 1e-3], ['params', [0]], ['param_names', ['layer.weight']]])]],
      ]);
    return torchSave(
      new Map<PyW, PyW>([
        ['epoch', 3],
        ['global_step', 1200],
        ['pytorch-lightning_version', '2.5.0'],
        ['state_dict', new Ordered(new Map<PyW, PyW>([['layer.weight', w], ['head.weight', w]]))],
        ['loops', new Map<PyW, PyW>([['fit_loop', new Map<PyW, PyW>([['epoch_progress', new Map()]])]])],
        ['optimizer_states', [opt('1'), opt('3')]],
        ['lr_schedulers', [new Map<PyW, PyW>([['last_epoch', 1200], ['base_lrs', [1e-3]]])]],
        ['hyper_parameters', new Map<PyW, PyW>([['lr', 1e-3]])],
      ]),
      storages,
      { folder: 'last' },
    );
  };

  it('a .ckpt: state_dict tensors as weights without the prefix (ties kept), every optimizer, the scheduler, the facts', async () => {
    const p = join(tmp, 'last.ckpt');
    writeFileSync(p, lightning());
    const found = findTrainingCheckpoint(p);
    expect(found.kind).toBe('torch-file');
    const ckpt = await openTrainingCheckpoint(p);
    expect(ckpt.weights?.names()).toEqual(['layer.weight', 'head.weight']);
    expect(ckpt.weights?.info('head.weight')).toMatchObject({ sameAs: 'layer.weight' });
    expect([...(await ckpt.weights!.readFloat('head.weight'))]).toEqual([1, 2, 3, 4]);
    expect(ckpt.optimizers.map((o) => o.path)).toEqual(['optimizer_states.0', 'optimizer_states.1']);
    expect(ckpt.optimizer?.groups[0].paramNames).toEqual(['layer.weight']);
    expect(ckpt.optimizer?.states.get(0)?.step).toBe(7);
    expect(ckpt.optimizers[1].states.get(0)?.tensors.get('exp_avg')).toBe('optimizer_states.1.state.0.exp_avg');
    expect((ckpt.scheduler as Map<string, unknown>).get('last_epoch')).toBe(1200);
    expect(Object.fromEntries(ckpt.facts)).toEqual({ epoch: 3, global_step: 1200, 'pytorch-lightning_version': '2.5.0' });
    await ckpt.close();
    // a folder with that one .ckpt
    const dir = join(tmp, 'lightning-dir');
    mkdirSync(dir);
    copyFileSync(p, join(dir, 'epoch=3-step=1200.ckpt'));
    expect(findTrainingCheckpoint(dir).weights).toBe(join(dir, 'epoch=3-step=1200.ckpt'));
  });

  it('a plain {model, optimizer, iter_num} dict (nanoGPT style), and an optimizer.pt given alone', async () => {
    const storages = new Map<string, StorageSpec>([['0', { dtype: 'float32', bytes: f32([1, 2]) }]]);
    const p = join(tmp, 'ckpt.pt');
    writeFileSync(p, torchSave(new Map<PyW, PyW>([
      ['model', new Map<PyW, PyW>([['wte.weight', new T({ storage: '0', dtype: 'float32', shape: [2] })]])],
      ['optimizer', new Map<PyW, PyW>([['state', new Map()], ['param_groups', [new Map<PyW, PyW>([['lr', 6e-4], ['params', [0]]])]]])],
      ['iter_num', 5000],
    ]), storages));
    const ckpt = await openTrainingCheckpoint(p);
    expect(ckpt.weights?.names()).toEqual(['wte.weight']);
    expect(ckpt.optimizer?.groups[0].lr).toBe(6e-4);
    expect(ckpt.facts.get('iter_num')).toBe(5000);
    await ckpt.close();
    const optOnly = join(tmp, 'optimizer-alone.pt');
    writeFileSync(optOnly, optimizerPt([[2]], 3));
    const o = await openTrainingCheckpoint(optOnly);
    expect(o.weights).toBeUndefined();
    expect(o.optimizer?.states.get(0)?.step).toBe(3);
    await o.close();
  });
});

describe.runIf(HAVE_SHARED_TORCH)('the real HF Trainer runs (../shared/vectors/torch-checkpoints/trainer)', () => {
  type Truth = Record<string, { lr: number; betas: number[]; eps: number; step: number; param_order: string[]; weight_decay: Record<string, number> }>;
  const truth = (HAVE_SHARED_TORCH ? JSON.parse(readFileSync(join(SHARED_TORCH, 'trainer', 'truth.json'), 'utf8')) : {}) as Truth;
  const inputs = HAVE_SHARED_TORCH ? rawTensors(join(SHARED_TORCH, 'trainer', 'truth.safetensors')) : new Map();

  for (const dir of TRAINER_RUNS) {
    const run = dir.includes('finetune') ? 'finetune' : 'pretrain';
    it(`${run}: optimizer.pt's moments are truth.safetensors' inputs bit for bit, in truth.json's parameter order`, async () => {
      const t = truth[run];
      const ckpt = await openTrainingCheckpoint(dir);
      expect(ckpt.files.skipped.map((s) => s.file)).toEqual([join(dir, 'training_args.bin')]);
      const opt = ckpt.optimizer!;
      expect(opt.groups.map((g) => g.lr)).toEqual([t.lr, t.lr]);
      expect(opt.groups[0].betas).toEqual(t.betas);
      expect(opt.groups[0].eps).toBe(t.eps);
      const order = opt.groups.flatMap((g) => g.params);
      expect(order).toEqual(t.param_order.map((_, i) => i));
      for (const [i, name] of t.param_order.entries()) {
        const s = opt.states.get(i)!;
        expect(s.step).toBe(t.step);
        const g = opt.groups.find((x) => x.params.includes(i))!;
        expect(g.weightDecay).toBe(t.weight_decay[name]);
        for (const key of ['exp_avg', 'exp_avg_sq']) {
          const got = await opt.file.tensor(s.tensors.get(key)!);
          expect(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength), `${run} ${key} ${name}`).toEqual(inputs.get(`${run}/${key}/${name}`)!.bytes);
        }
        // the weights hold every parameter (the tied one once) with the moment's shape
        if (ckpt.weights!.has(name)) expect(ckpt.weights!.info(name).shape).toEqual(ckpt.weights && [...(await opt.file.tensor(s.tensors.get('exp_avg')!)).shape]);
      }
      expect(ckpt.trainerState?.globalStep).toBe(t.step);
      await ckpt.close();
    });
  }
});
