// The training section of `lowp check` (src/cli/training.ts). Oracles: PyTorch's real next step on the
// public HF Trainer runs (truth.json: the estimated counts within 3 (for-loop) and 5 (fused) points, the
// inf/NaN counts, the parameter order and weight decays) when ../shared is present; always, folders
// written with the test writer, whose figures must equal lowp/diagnostics' trainingReadiness on the same
// arrays with the true pairing (the CLI's reading, pairing and streaming add nothing and lose nothing).
// Layouts: model.safetensors in the model's order and sorted by name (safetensors' writer), a
// pytorch_model.bin copy (tied weight), a Lightning .ckpt, frozen parameters, --param-names, --lr,
// --optimizer, --schedule, the built-in sample, and the errors.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainingAnalyzer, type TrainingReadinessOptions } from '../../src/diagnostics/trainingReadiness.js';
import { createRng } from '../../src/core/rng.js';
import { writeSafetensors } from '../../src/io/index.js';
import { F, Ordered, T, torchSave, Tuple, type PyW, type StorageSpec } from '../helpers/torch-writer.js';
import { rawTensors, TRAINER_RUNS } from '../helpers/torch-vectors.js';
import { loadAdamTruth } from '../helpers/adam-truth.js';
import { FIXTURES } from '../helpers/vectors.js';
import { CLI_BIN, runBuiltJson, runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowp-cli-training-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface P { name: string; shape: number[]; w: Float32Array; m: Float32Array; v: Float32Array; decay: boolean; frozen?: boolean }

/** A small model in named_parameters() order with Adam moments (seeded): matrices decayed, biases and norms not. */
function model(seed = 1): P[] {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rng() || 1e-300)) * Math.cos(2 * Math.PI * rng());
  const ps: P[] = [];
  const add = (name: string, shape: number[], decay: boolean, scale: number, g: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      w[i] = scale === 1 ? 1 + 0.1 * normal() : scale * normal();
      const a = g * Math.exp(normal());
      v[i] = a * a;
      m[i] = 0.3 * a * normal();
    }
    ps.push({ name, shape, w, m, v, decay });
  };
  add('embed.weight', [40, 16], true, 0.02, 1e-3);
  for (let l = 0; l < 2; l++) {
    add(`layers.${l}.norm.weight`, [16], false, 1, 1e-3);
    add(`layers.${l}.attn.q.weight`, [16, 16], true, 0.05, 2e-4);
    add(`layers.${l}.attn.k.weight`, [16, 16], true, 0.05, 1e-5);
    add(`layers.${l}.attn.q.bias`, [16], false, 0.01, 1e-3);
    add(`layers.${l}.mlp.up.weight`, [64, 16], true, 0.05, 3e-5);
    add(`layers.${l}.mlp.down.weight`, [16, 64], true, 0.02, 1e-6);
  }
  add('norm.weight', [16], false, 1, 1e-3);
  return ps;
}

const f32 = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A safetensors file with the tensors in the order given (as torch's state dict order, not sorted). */
function safetensorsInOrder(ts: Array<{ name: string; shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const t of ts) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let p = 8 + json.length;
  for (const t of ts) {
    out.set(f32(t.data), p);
    p += t.data.byteLength;
  }
  return out;
}

const HYPER = { lr: 3.5e-4, initialLr: 5e-4, betas: [0.9, 0.95] as [number, number], eps: 1e-8, wd: 0.1, step: 120 };

/** The storages of a torch.save file and a maker of float32 tensors, each in a storage of its own. */
function float32Storages(): { storages: Map<string, StorageSpec>; tensor: (data: Float32Array, shape: number[]) => T } {
  const storages = new Map<string, StorageSpec>();
  const tensor = (data: Float32Array, shape: number[]): T => {
    const key = String(storages.size);
    storages.set(key, { dtype: 'float32', bytes: f32(data) });
    return new T({ storage: key, dtype: 'float32', shape });
  };
  return { storages, tensor };
}

/** One parameter's AdamW state as torch 2.x saves it: step (a 0-d float32 tensor), exp_avg, exp_avg_sq. */
const adamState = (p: P, tensor: (data: Float32Array, shape: number[]) => T): Map<PyW, PyW> =>
  new Map<PyW, PyW>([['step', tensor(new Float32Array([HYPER.step]), [])], ['exp_avg', tensor(p.m, p.shape)], ['exp_avg_sq', tensor(p.v, p.shape)]]);

/** optimizer.pt as torch 2.x's AdamW saves it: per index step, exp_avg, exp_avg_sq; HF's two groups. */
function optimizerPt(order: P[], opts: { decoupled?: boolean | null; paramNames?: boolean; betas?: [number, number] } = {}): Uint8Array {
  const { storages, tensor } = float32Storages();
  const state = new Map<PyW, PyW>(order.map((p, i) => [i, adamState(p, tensor)]));
  const nd = order.filter((p) => p.decay).length;
  const group = (wd: number, params: number[]): Map<PyW, PyW> => {
    const g = new Map<PyW, PyW>([
      ['weight_decay', new F(wd)], ['lr', HYPER.lr], ['betas', new Tuple(opts.betas ?? HYPER.betas)], ['eps', HYPER.eps], ['amsgrad', false], ['maximize', false], ['foreach', null], ['fused', null],
    ]);
    if (opts.decoupled !== null) g.set('decoupled_weight_decay', opts.decoupled ?? true);
    g.set('initial_lr', HYPER.initialLr);
    g.set('params', params);
    if (opts.paramNames) g.set('param_names', params.map((i) => order[i].name));
    return g;
  };
  return torchSave(new Map<PyW, PyW>([['state', state], ['param_groups', [group(HYPER.wd, order.slice(0, nd).map((_, i) => i)), group(0, order.slice(nd).map((_, i) => nd + i))]]]), storages, { folder: 'optimizer' });
}

/** HF's optimizer order: trainable decay parameters, then trainable no-decay ones. */
const hfOrder = (ps: P[]): P[] => [...ps.filter((p) => p.decay && !p.frozen), ...ps.filter((p) => !p.decay && !p.frozen)];

function trainerState(maxSteps: number): string {
  // linear decay from initialLr over maxSteps (HF's default), logged every 10 steps, up to HYPER.step (the groups' lr: 3.5e-4 at step 120 of 400)
  const log = [];
  for (let s = 10; s <= HYPER.step; s += 10) log.push({ loss: 1, learning_rate: (HYPER.initialLr * (maxSteps - s)) / maxSteps, step: s });
  return JSON.stringify({ global_step: HYPER.step, max_steps: maxSteps, epoch: 0.5, log_history: log });
}

/** An HF Trainer folder; the weights as model.safetensors in the model's order, sorted, or as pytorch_model.bin. */
function hfFolder(name: string, ps: P[], weights: 'ordered' | 'sorted' | 'bin', opts: { decoupled?: boolean | null; paramNames?: boolean; betas?: [number, number] } = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const ts = ps.map((p) => ({ name: p.name, shape: p.shape, data: p.w }));
  if (weights === 'ordered') writeFileSync(join(dir, 'model.safetensors'), safetensorsInOrder(ts));
  else if (weights === 'sorted') writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(Object.fromEntries(ts.map((t) => [t.name, { dtype: 'F32' as const, shape: t.shape, data: t.data }]))));
  else {
    const storages = new Map<string, StorageSpec>();
    const state = new Map<PyW, PyW>();
    ts.forEach((t, i) => {
      storages.set(String(i), { dtype: 'float32', bytes: f32(t.data) });
      state.set(t.name, new T({ storage: String(i), dtype: 'float32', shape: t.shape }));
    });
    // the tied output layer: the embedding's tensor again (state_dict lists it, named_parameters() does not)
    state.set('lm_head.weight', state.get('embed.weight') as T);
    writeFileSync(join(dir, 'pytorch_model.bin'), torchSave(new Ordered(state), storages, { folder: 'pytorch_model' }));
  }
  writeFileSync(join(dir, 'optimizer.pt'), optimizerPt(hfOrder(ps), opts));
  writeFileSync(join(dir, 'trainer_state.json'), trainerState(400));
  for (const f of ['scheduler.pt', 'training_args.bin']) copyFileSync(join(FIXTURES, 'torch', 'trainer-finetune', f), join(dir, f));
  return dir;
}

/** lowp/diagnostics on the same arrays, paired truly, in optimizer order: what the CLI must report. */
function oracle(ps: P[], precision: 'bf16' | 'fp16', over: Partial<TrainingReadinessOptions> = {}) {
  const a = createTrainingAnalyzer({ precision, lr: HYPER.lr, betas: HYPER.betas, eps: HYPER.eps, step: HYPER.step, ...over });
  for (const p of hfOrder(ps)) a.add({ name: p.name, weight: p.w, expAvg: p.m, expAvgSq: p.v, weightDecay: p.decay ? HYPER.wd : 0, shape: p.shape });
  return a.finish();
}

async function checkJson(args: string[]): Promise<{ training: any; check: any; tensors: any; stdout: string }> {
  const r = await runCli(['check', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  return { training: doc.training, check: doc.check, tensors: doc.tensors, stdout: r.stdout };
}

const figures = (t: { name: string; implementations: unknown; moments: unknown; decay: unknown; eps: unknown; gradients: unknown }) => ({ name: t.name, implementations: t.implementations, moments: t.moments, decay: t.decay, eps: t.eps, gradients: t.gradients });

describe('an HF Trainer folder written by the test writer', () => {
  const ps = model();
  const ordered = hfFolder('ordered', ps, 'ordered');

  for (const precision of ['bf16', 'fp16'] as const) {
    it(`${precision}: the JSON training block equals trainingReadiness on the same arrays, every parameter paired by HF's order`, async () => {
      const { training: t, check } = await checkJson([ordered, '--to', precision]);
      expect(check.version).toBe(3);
      const o = oracle(ps, precision);
      expect(t.schema).toBe('lowp.training/1');
      expect(t.status).toBe('analysed');
      expect([t.optimizer, t.optimizerSource, t.precision, t.lr, t.lrSource, t.step, t.nextStep, t.maxSteps]).toEqual(['adamw', 'param-groups', precision, HYPER.lr, 'param-groups', HYPER.step, HYPER.step + 1, 400]);
      expect(t.implementations).toEqual(o.implementations);
      expect(t.tensors.map(figures)).toEqual(o.tensors.map(figures));
      expect(t.tensors.map((x: { optimizerIndex: number }) => x.optimizerIndex)).toEqual(hfOrder(ps).map((_, i) => i));
      expect(t.mapping).toMatchObject({ method: 'order', orderSource: 'file-order', paired: ps.length, indices: ps.length, ambiguous: [], withoutState: [] });
      expect(t.checkpoint.skipped.map((s: { file: string }) => s.file.split('/').pop())).toEqual(['training_args.bin']);
      expect(t.reasons.join('\n')).toContain(o.reasons[0]);
      // the schedule: HF's linear decay, recovered from the logged lrs
      expect(t.scheduleFit).toMatchObject({ kind: 'linear', warmupSteps: 0, maxSteps: 400 });
      expect(t.scheduleFit.maxRelError).toBeLessThan(1e-9);
      expect(t.schedule.steps).toBe(400 - HYPER.step);
    });
  }

  it('the text: the training section after the cast report, with the verdict sentences and the skipped file', async () => {
    const r = await runCli(['check', ordered, '--to', 'fp16', '--top', '3']);
    expect(r.code, r.stderr).toBe(0);
    const [cast, training] = r.stdout.split('\nTraining: ');
    expect(cast).toMatch(/Verdict for fp16: /);
    expect(training).toMatch(/^the next AdamW step \(step 121 of 400\) at lr 3\.5e-4 with weights and both moments kept in fp16/);
    expect(training).toMatch(/skipped training_args\.bin: a pickled transformers\.training_args\.TrainingArguments/);
    expect(training).toMatch(/pairing: paired by HF Trainer's order/);
    expect(training).toMatch(/\(the 3 worst of 14 parameters; --top 0 lists all\)/);
    expect(training).toMatch(/Training verdict for pure fp16:\n {2}- optimizer: AdamW \(the param groups say decoupled_weight_decay=True\)/);
    expect(training).toMatch(/schedule: linear, no warmup to 0 at step 400/);
  });

  it('a pytorch_model.bin copy (with the tied lm_head) gives the same training figures; its state dict order pairs', async () => {
    const bin = hfFolder('bin', ps, 'bin');
    const a = (await checkJson([ordered, '--to', 'bf16'])).training;
    const b = (await checkJson([bin, '--to', 'bf16'])).training;
    expect(b.mapping.orderSource).toBe('state-dict');
    expect(b.mapping.withoutState).toEqual([]); // lm_head.weight is the embedding itself, not a parameter of its own
    expect(b.tensors.map(figures)).toEqual(a.tensors.map(figures));
    expect(b.implementations).toEqual(a.implementations);
  });

  it('a model.safetensors sorted by name (safetensors\' own writer): same-shape parameters are not guessed; --param-names pairs them', async () => {
    const sorted = hfFolder('sorted', ps, 'sorted');
    const t = (await checkJson([sorted, '--to', 'bf16'])).training;
    expect(t.mapping.method).toBe('shapes');
    expect(t.mapping.orderSource).toBe('sorted-file');
    // unique shapes are certain: the embedding ([40, 16]); q/k (4 × [16, 16]), up, down, norms and biases are not
    expect(t.tensors.map((x: { name: string }) => x.name)).toEqual(['embed.weight']);
    const truth = new Map(hfOrder(ps).map((p, i) => [i, p.name]));
    for (const a of t.mapping.ambiguous) for (const i of a.indices) expect(a.names).toContain(truth.get(i));
    expect(t.momentsOnly).toHaveLength(ps.length - 1);
    const o = oracle(ps, 'bf16');
    expect(t.tensors.map(figures)[0]).toEqual(o.tensors.map(figures)[0]);
    // moments-only figures are those of the full analysis
    for (const m of t.momentsOnly) {
      const full = o.tensors.find((x) => x.name === truth.get(m.optimizerIndex))!;
      expect(m.gradients).toEqual(full.gradients);
      expect(m.moments.expAvgSqFlushed).toBe(full.moments.expAvgSqFlushed);
    }
    expect(t.reasons.join(' ')).toMatch(/1 of 14 parameters with optimizer state .* are paired with certainty/);
    const text = (await runCli(['check', sorted, '--to', 'bf16'])).stdout;
    expect(text).toMatch(/sorted by name, not in the model's named_parameters\(\) order/);
    expect(text).toMatch(/not paired: optimizer indices/);
    // the order given: every parameter paired, the same figures as the ordered file
    const names = join(tmp, 'names.txt');
    writeFileSync(names, `# named_parameters()\n${ps.map((p) => p.name).join('\n')}\n`);
    const given = (await checkJson([sorted, '--to', 'bf16', '--param-names', names])).training;
    expect(given.mapping).toMatchObject({ method: 'order', orderSource: 'param-names-file', paired: ps.length });
    expect(given.tensors.map(figures)).toEqual(o.tensors.map(figures));
  });

  it('param_names in the groups (torch >= 2.6) pair a sorted file exactly', async () => {
    const named = hfFolder('param-names', ps, 'sorted', { paramNames: true });
    const t = (await checkJson([named, '--to', 'bf16'])).training;
    expect(t.mapping.method).toBe('param_names');
    expect(t.tensors.map(figures)).toEqual(oracle(ps, 'bf16').tensors.map(figures));
  });

  it('frozen parameters (no optimizer state) are counted and named, not analysed; which of same-shape neighbours is frozen is not guessed', async () => {
    const frozen = ps.map((p) => (p.name === 'embed.weight' ? { ...p, frozen: true } : p));
    const t = (await checkJson([hfFolder('frozen', frozen, 'ordered'), '--to', 'bf16'])).training;
    expect(t.mapping.withoutState).toEqual(['embed.weight']);
    expect(t.mapping.paired).toBe(ps.length - 1);
    expect(t.tensors.map(figures)).toEqual(oracle(frozen, 'bf16').tensors.map(figures));
    expect(t.reasons.join(' ')).toMatch(/1 tensor of the weights has no optimizer state .*: embed\.weight/);
    // a frozen bias among five [16] tensors of the no-decay group: any of them could be the frozen one
    const bias = ps.map((p) => (p.name === 'layers.0.attn.q.bias' ? { ...p, frozen: true } : p));
    const u = (await checkJson([hfFolder('frozen-bias', bias, 'ordered'), '--to', 'bf16'])).training;
    const truth = new Map(hfOrder(bias).map((p, i) => [i, p.name]));
    for (const x of u.tensors) expect(x.name).toBe(truth.get(x.optimizerIndex));
    expect(u.mapping.withoutState).toEqual([]);
    const amb = u.mapping.ambiguous.find((a: { shape: number[] }) => a.shape?.join() === '16');
    expect(amb.names).toHaveLength(5);
    for (const i of amb.indices) expect(amb.names).toContain(truth.get(i));
  });

  it('--lr and --optimizer: the figures of those settings, and the report says where they came from', async () => {
    const t = (await checkJson([ordered, '--to', 'bf16', '--lr', '1e-5', '--optimizer', 'adam'])).training;
    expect([t.lr, t.lrSource, t.optimizer, t.optimizerSource]).toEqual([1e-5, '--lr', 'adam', '--optimizer']);
    const o = oracle(ps, 'bf16', { lr: 1e-5, optimizer: 'adam' });
    // every group's lr is the one given
    const a = createTrainingAnalyzer({ precision: 'bf16', lr: 1e-5, optimizer: 'adam', betas: HYPER.betas, eps: HYPER.eps, step: HYPER.step });
    for (const p of hfOrder(ps)) a.add({ name: p.name, weight: p.w, expAvg: p.m, expAvgSq: p.v, weightDecay: p.decay ? HYPER.wd : 0, lr: 1e-5, shape: p.shape });
    expect(t.implementations).toEqual(a.finish().implementations);
    expect(t.implementations).toEqual(o.implementations);
    expect(t.reasons[0]).toMatch(/^optimizer: Adam \(as --optimizer says\); lr 1e-5 \(from --lr\)/);
    // no decoupled_weight_decay in the groups (torch < 2.?): AdamW assumed, and said
    const old = hfFolder('no-dwd', ps, 'ordered', { decoupled: null });
    const u = (await checkJson([old, '--to', 'bf16'])).training;
    expect([u.optimizer, u.optimizerSource]).toEqual(['adamw', 'default']);
    expect(u.reasons[0]).toMatch(/assumed: Adam and AdamW look alike in optimizer\.pt; --optimizer adam to change/);
    // --schedule none / a kind
    expect((await checkJson([ordered, '--to', 'bf16', '--schedule', 'none'])).training.schedule).toBeNull();
    expect((await checkJson([ordered, '--to', 'bf16', '--schedule', 'cosine'])).training.scheduleFit).toMatchObject({ kind: 'cosine', source: 'given' });
  });

  it('saved hyper-parameters Adam refuses (β2 = 1): the training section is skipped with the reason, the cast report stands', async () => {
    const dir = hfFolder('beta2-one', ps, 'ordered', { betas: [0.9, 1] });
    const { training: t, check, tensors } = await checkJson([dir, '--to', 'bf16']);
    expect(t.status).toBe('skipped');
    expect(t.reason).toMatch(/outside Adam's domain: betas\[1\] must be in \[0, 1\), got 1/);
    // the cast report of the same weights with a valid optimizer state
    const valid = await checkJson([ordered, '--to', 'bf16']);
    expect(tensors).toEqual(valid.tensors);
    expect([check.verdict, check.reasons]).toEqual([valid.check.verdict, valid.check.reasons]);
  });

  it('--to fp8 and --no-training; usage errors are one line, exit 2', async () => {
    const fp8 = (await checkJson([ordered, '--to', 'fp8-e4m3fn'])).training;
    expect(fp8).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/bf16 or fp16/) });
    expect((await runCli(['check', ordered, '--to', 'fp8-e4m3fn'])).stdout).toMatch(/\nTraining: not analysed: .*bf16 or fp16/);
    expect(JSON.parse((await runCli(['check', ordered, '--to', 'bf16', '--json', '--no-training'])).stdout).training).toBeUndefined();
    for (const args of [['--optimizer', 'sgd'], ['--lr', '-1'], ['--lr', 'fast'], ['--schedule', 'step']]) {
      const r = await runCli(['check', ordered, '--to', 'bf16', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const plain = join(tmp, 'plain.safetensors');
    writeFileSync(plain, writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }));
    const r = await runCli(['check', plain, '--to', 'bf16', '--lr', '1e-5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lowp: --lr, --optimizer, --schedule and --param-names apply to a training checkpoint/);
    expect((await checkJson([plain, '--to', 'bf16'])).training).toBeUndefined();
    const missing = await runCli(['check', ordered, '--to', 'bf16', '--param-names', join(tmp, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^lowp: --param-names: /);
  });
});

describe('worker threads (the built CLI)', () => {
  it.skipIf(!existsSync(CLI_BIN))('--threads 2 gives exactly the training block of --threads 1', () => {
    const dir = hfFolder('threads', model(3), 'ordered');
    const runBin = (threads: number) => {
      const t = runBuiltJson(['check', dir, '--to', 'fp16'], threads).training;
      delete t.seconds;
      return t;
    };
    const one = runBin(1);
    const two = runBin(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect({ ...two, threads: 1 }).toEqual(one);
  });
});

describe('a Lightning .ckpt', () => {
  it('state_dict and optimizer_states[0] (one group of model.parameters()) in one file: every parameter paired in the state dict order', async () => {
    const ps = model(7);
    const { storages, tensor } = float32Storages();
    const sd = new Map<PyW, PyW>(ps.map((p) => [`model.${p.name}`, tensor(p.w, p.shape)]));
    const state = new Map<PyW, PyW>(ps.map((p, i) => [i, adamState(p, tensor)]));
    const group = new Map<PyW, PyW>([['lr', HYPER.lr], ['betas', new Tuple(HYPER.betas)], ['eps', HYPER.eps], ['weight_decay', new F(0.01)], ['amsgrad', false], ['params', ps.map((_, i) => i)]]);
    const file = join(tmp, 'epoch=3-step=120.ckpt');
    writeFileSync(file, torchSave(new Map<PyW, PyW>([
      ['epoch', 3], ['global_step', HYPER.step], ['pytorch-lightning_version', '2.5.0'],
      ['state_dict', new Ordered(sd)],
      ['optimizer_states', [new Map<PyW, PyW>([['state', state], ['param_groups', [group]]])]],
      ['lr_schedulers', []],
    ]), storages, { folder: 'last' }));
    const t = (await checkJson([file, '--to', 'bf16'])).training;
    expect(t.checkpoint.kind).toBe('torch-file');
    expect(t.mapping).toMatchObject({ method: 'order', orderSource: 'state-dict', paired: ps.length });
    expect(t.mapping.notes[0]).toMatch(/one param group: model\.parameters\(\)/);
    expect(t.schedule).toBeNull();
    expect(t.scheduleNote).toMatch(/no trainer_state\.json/);
    const a = createTrainingAnalyzer({ precision: 'bf16', lr: HYPER.lr, betas: HYPER.betas, eps: HYPER.eps, step: HYPER.step });
    for (const p of ps) a.add({ name: `model.${p.name}`, weight: p.w, expAvg: p.m, expAvgSq: p.v, weightDecay: 0.01, shape: p.shape });
    const o = a.finish();
    expect(t.tensors.map(figures)).toEqual(o.tensors.map(figures));
    // the optimizer state alone (no weights): everything through the moments, and said
    const alone = join(tmp, 'optimizer-only.pt');
    writeFileSync(alone, torchSave(new Map<PyW, PyW>([['state', state], ['param_groups', [group]]]), storages));
    const u = (await checkJson([alone, '--to', 'bf16'])).training;
    expect(u.tensors).toEqual([]);
    expect(u.momentsOnly).toHaveLength(ps.length);
    expect(u.mapping.notes[0]).toMatch(/holds no model weights/);
  });
});

describe('the built-in sample is a training checkpoint', () => {
  it('check --sample --to bf16 / fp16: the training section (every parameter paired), and the cast report as before', async () => {
    const bf = (await checkJson(['--sample', '--to', 'bf16'])).training;
    expect(bf).toMatchObject({ status: 'analysed', optimizer: 'adamw', precision: 'bf16', step: 2000, maxSteps: 10_000 });
    expect(bf.mapping).toMatchObject({ method: 'order', paired: 20, indices: 20 });
    expect(bf.scheduleFit).toMatchObject({ kind: 'cosine', warmupSteps: 200 });
    // RMSNorm weights (about 1) do not move at lr 2.8e-4 in bf16; the matrices partly
    for (const t of bf.tensors) if (/norm\.weight$/.test(t.name)) expect(t.implementations.foreach.unchangedFraction).toBe(1);
    expect(bf.implementations.foreach.nonFinite).toBe(0);
    const fp = (await checkJson(['--sample', '--to', 'fp16'])).training;
    expect(fp.implementations.foreach.nonFinite).toBeGreaterThan(0.9 * fp.implementations.foreach.elements);
    expect(fp.implementations.fused.nonFinite).toBe(0);
    expect(fp.reasons.join(' ')).toMatch(/exp_avg_sq flushes to 0 in fp16 .* and eps 1e-8 flushes with it/);
    const text = (await runCli(['check', '--sample'])).stdout;
    expect(text).toMatch(/\nTraining: the next AdamW step \(step 2,001 of 10,000\) at lr 2\.76e-4 with weights and both moments kept in bf16/);
  });
});

describe.skipIf(TRAINER_RUNS.length === 0)('the public HF Trainer runs (../shared): torch\'s real next step', () => {
  const TRUTH = loadAdamTruth();
  const runs = { finetune: TRAINER_RUNS[0], pretrain: TRAINER_RUNS[1] } as const;
  for (const [run, dir] of Object.entries(runs) as Array<[keyof typeof runs, string]>) {
    it(`${run}: pairing = truth.json's order and weight decays; estimates within 3 / 5 points of torch, inf/NaN as torch; model.safetensors = a pytorch_model.bin copy`, async () => {
      const h = TRUTH.json[run];
      const binDir = join(tmp, `bin-${run}`);
      mkdirSync(binDir, { recursive: true });
      for (const f of readdirSync(dir)) if (f !== 'model.safetensors') copyFileSync(join(dir, f), join(binDir, f));
      const storages = new Map<string, StorageSpec>();
      const sd = new Map<PyW, PyW>();
      let k = 0;
      for (const [name, t] of rawTensors(join(dir, 'model.safetensors'))) {
        storages.set(String(k), { dtype: 'float32', bytes: t.bytes });
        sd.set(name, new T({ storage: String(k++), dtype: 'float32', shape: t.shape }));
      }
      writeFileSync(join(binDir, 'pytorch_model.bin'), torchSave(new Ordered(sd), storages, { folder: 'pytorch_model' }));
      for (const precision of ['bf16', 'fp16'] as const) {
        const a = (await checkJson([dir, '--to', precision])).training;
        const b = (await checkJson([binDir, '--to', precision])).training;
        expect(b.tensors.map(figures)).toEqual(a.tensors.map(figures));
        expect(a.mapping).toMatchObject({ method: 'order', paired: h.param_order.length, ambiguous: [], withoutState: [] });
        for (const t of a.tensors) {
          expect(t.optimizerIndex, t.name).toBe(h.param_order.indexOf(t.name));
          expect(t.weightDecay, t.name).toBe(h.weight_decay[t.name]);
        }
        expect([a.lr, a.step, a.betas, a.eps]).toEqual([h.lr, h.step, h.betas, h.eps]);
        for (const impl of ['foreach', 'fused'] as const) {
          const c = h.cases[`${precision}/${impl}`];
          const truthUnchanged = Object.values(c.tensors).reduce((s, x) => s + x.unchanged, 0);
          const truthNonFinite = Object.values(c.tensors).reduce((s, x) => s + x.nonfinite, 0);
          const f = a.implementations[impl];
          expect(Math.abs(100 * (f.unchanged - truthUnchanged) / f.elements), `${run} ${precision} ${impl}`).toBeLessThanOrEqual(impl === 'foreach' ? 3 : 5);
          expect(Math.abs(f.nonFinite - truthNonFinite) / f.elements * 100).toBeLessThanOrEqual(impl === 'foreach' ? 3 : 5);
          if (run === 'finetune' && precision === 'fp16') expect(f.nonFinite).toBe(truthNonFinite);
        }
      }
    });
  }

  it('the HTML report has the training section with its charts', async () => {
    const html = join(tmp, 'ft.html');
    const r = await runCli(['check', runs.finetune, '--to', 'fp16', '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const s = readFileSync(html, 'utf8');
    expect(s).toContain('<section class="training" id="training">');
    expect(s.match(/class="bar-foreach"/g)).toHaveLength(28);
    expect(s).toMatch(/<polyline class="curve-foreach"/);
    expect(s).toMatch(/12,090 weights become inf\/NaN/);
  });
});
