// The training section of `lowp check CHECKPOINT --to bf16|fp16`: when the input is a training checkpoint
// (an HF Trainer folder with optimizer.pt, a Lightning .ckpt or another torch.save file holding an Adam
// state, or the built-in sample), what pure bf16/fp16 weights and Adam states would do to the next
// optimizer step, per tensor and overall, for PyTorch's for-loop and fused implementations (lowp/diagnostics'
// training analyzer, estimated from the saved moments). This file opens the pieces, pairs optimizer
// indices with parameter names (training-map.ts), streams each parameter's weight and moments through
// the analyzer (one pass, bounded memory), infers the lr schedule (training-schedule.ts), and renders the
// section as text and JSON; training-html.ts renders it as HTML. Docs: docs/cli.md, docs/training.md.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  createTrainingAnalyzer, finishTrainingParts, type OptimizerKind, type TrainingMomentsReport, type TrainingPart, type TrainingReadiness, type TrainingReadinessOptions, type TrainingTensorReport,
} from '../diagnostics/trainingReadiness.js';
import { fmtPercent as pct, fmtValue } from '../diagnostics/text.js';
import { LowpIoError } from '../io/errors.js';
import { JsonFloat } from '../io/json.js';
import { detectFormat } from '../io/open.js';
import type { TensorReader } from '../io/reader.js';
import { openSafetensors } from '../io/safetensors/reader.js';
import { findTrainingCheckpoint, openTrainingCheckpoint, type SkippedFile } from '../io/torch/training.js';
import type { PyValue } from '../io/torch/values.js';
import { CliError, println, type CliIO } from './io.js';
import { isFloatDType } from './open.js';
import { createProgress } from './progress.js';
import { sampleTraining } from './sample/training.js';
import { renderTable } from './table.js';
import { mapOptimizerParams, isSortedByName, parseParamNames, type Ambiguity, type ParamCandidate } from './training-map.js';
import { describeSchedule, fitSchedule, scheduleFactor, type FittedSchedule, type ScheduleKind } from './training-schedule.js';
import { streamWork, trainingInWorkers, trainingThreads, type TrainingWork } from './training-workers.js';
import { fmtBytes, fmtCount, fmtNum, fmtSeconds, fmtShape, someNames } from './units.js';

/** Schema of the `training` block of `lowp check --json` (docs/cli.md). */
export const TRAINING_SCHEMA = 'lowp.training/1';

/** The command-line options the training section reads. */
export interface TrainingOptions {
  /** `--lr`: the next step's lr instead of the saved group lr. */
  lr?: number;
  /** `--optimizer adam|adamw` (default: what the groups say, else adamw). */
  optimizer?: string;
  /** `--schedule auto|linear|cosine|constant|none` (default auto: fitted to the logged lrs). */
  schedule?: string;
  /** `--param-names FILE`: the model's parameter names in named_parameters() order. */
  paramNames?: string;
  /** `--sample-elements N`: elements per tensor the estimate evaluates (default 16,384). */
  sampleElements?: number;
  /** false: no training section (`--no-training`). */
  training?: boolean;
  /** Elements per chunk. */
  chunk?: number;
  /** Progress bar. */
  progress?: boolean;
  json?: boolean;
  /** Worker threads (as lowp check's --threads). */
  threads?: number | 'auto';
}

/** A group as the section reports it. */
export interface TrainingGroup {
  index: number;
  parameters: number;
  lr: number | null;
  initialLr: number | null;
  betas: [number, number] | null;
  eps: number | null;
  weightDecay: number | null;
}

/** What was read, where. */
export interface TrainingCheckpointInfo {
  kind: 'hf-trainer' | 'torch-file' | 'sample';
  weights: string | null;
  optimizer: string | null;
  scheduler: string | null;
  trainerState: string | null;
  skipped: SkippedFile[];
}

/** How optimizer indices were paired with parameter names. */
export interface TrainingMappingInfo {
  method: 'param_names' | 'order' | 'shapes';
  /** How the parameter order was known: 'state-dict', 'file-order', 'param-names-file', 'sorted-file' (unknown). */
  orderSource: string;
  notes: string[];
  /** Optimizer indices with state. */
  indices: number;
  /** Of them, paired with a parameter with certainty (analysed). */
  paired: number;
  ambiguous: Ambiguity[];
  /** Parameters of the weights with no optimizer state (not analysed). */
  withoutState: string[];
  /** Optimizer indices of a group that have no state. */
  indicesWithoutState: number[];
}

/** The training section: analysed, or skipped with the reason. */
export type TrainingSection = TrainingAnalysed | TrainingSkipped;

/** The section when it could not run on a training checkpoint. */
export interface TrainingSkipped {
  status: 'skipped';
  reason: string;
  checkpoint: TrainingCheckpointInfo | null;
}

/** The analysed section: the diagnostics' report plus what the CLI decided and found. */
export interface TrainingAnalysed {
  status: 'analysed';
  checkpoint: TrainingCheckpointInfo;
  /** Where the optimizer kind came from. */
  optimizerSource: 'default' | 'param-groups' | '--optimizer';
  /** Where the lr came from. */
  lrSource: 'param-groups' | '--lr';
  /** The implementation the run's optimizer was built with, when its groups say it (fused=True / foreach=True). */
  runImplementation: 'fused' | 'foreach' | null;
  groups: TrainingGroup[];
  maxSteps: number | null;
  mapping: TrainingMappingInfo;
  /** The lr schedule used for `report.schedule`, or null. */
  schedule: (FittedSchedule & { description: string }) | null;
  /** Why there is no schedule, when there is none. */
  scheduleNote: string | null;
  /** Optimizer index and group of each analysed tensor, by name. */
  indexOf: Record<string, { index: number; group: number }>;
  /** Elements per tensor the estimate evaluated (at most). */
  sampleElements: number;
  /** Threads that streamed the parameters. */
  threads: number;
  /** Sentences of the CLI (mapping, coverage, optimizer), before the analysis' own. */
  notes: string[];
  /** lowp/diagnostics' training report. */
  report: TrainingReadiness;
  bytes: number;
  seconds: number;
}

/** The pieces of a training checkpoint, whatever the layout. */
interface TrainingInputs {
  /** The checkpoint's absolute path (what worker threads open), or null for the sample. */
  path: string | null;
  info: TrainingCheckpointInfo;
  weights: TensorReader | undefined;
  /** Weights that are parameters (the sample's file also holds gradients and activations). */
  isParam: (name: string) => boolean;
  /** The parameters in the model's order, when known apart from the weights file (the sample). */
  order?: readonly string[];
  orderKnown: boolean;
  orderSource: string;
  moments: TensorReader;
  groups: Array<{ index: number; params: readonly number[]; paramNames?: readonly string[]; lr?: number; initialLr?: number; betas?: readonly [number, number]; eps?: number; weightDecay?: number; options?: ReadonlyMap<PyValue, PyValue> }>;
  states: Map<number, { tensors: ReadonlyMap<string, string>; step: number | undefined }>;
  globalStep: number | undefined;
  maxSteps: number | undefined;
  logged: [number, number][];
  close(): Promise<void>;
}

/** Whether a file's content is a torch.save file (a zip archive or a legacy pickle), as openCheckpoint sniffs it. */
function isTorchFile(path: string): boolean {
  const head = new Uint8Array(64);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const n = readSync(fd, head, 0, head.length, 0);
    const f = detectFormat(head.subarray(0, n), fstatSync(fd).size);
    return f === 'torch-zip' || f === 'pickle';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Opens what the training section reads; null when the input is not a training checkpoint. */
async function openInputs(path: string | undefined, sample: boolean, cwd: string, sampleBytes?: Uint8Array | null): Promise<TrainingInputs | TrainingSkipped | null> {
  if (sample) return sampleInputs(sampleBytes ?? undefined);
  const abs = isAbsolute(path as string) ? (path as string) : resolve(cwd, path as string);
  let files;
  try {
    files = findTrainingCheckpoint(abs);
  } catch {
    return null;
  }
  // a lone file: only a torch.save file (a zip archive, or a legacy pickle) can hold an optimizer state
  if (files.kind === 'torch-file' && files.weights !== undefined && !isTorchFile(files.weights)) return null;
  if (files.kind === 'weights') return null;
  const info: TrainingCheckpointInfo = {
    kind: files.kind === 'hf-trainer' ? 'hf-trainer' : 'torch-file', weights: files.weights ?? null, optimizer: files.optimizer ?? null,
    scheduler: files.scheduler ?? null, trainerState: files.trainerState ?? null, skipped: [...files.skipped],
  };
  if (files.kind === 'hf-trainer' && files.optimizer === undefined) {
    return { status: 'skipped', reason: 'the folder has no optimizer.pt: no optimizer state to analyse', checkpoint: info };
  }
  const ckpt = await openTrainingCheckpoint(abs);
  info.skipped = [...ckpt.skipped];
  const opt = ckpt.optimizer;
  if (opt === undefined) {
    await ckpt.close();
    return files.kind === 'hf-trainer' ? { status: 'skipped', reason: 'no optimizer state dict in optimizer.pt', checkpoint: info } : null;
  }
  const weights = ckpt.weights;
  const names = weights ? weights.tensors.filter((t) => isFloatDType(t.dtype) && (t as { sameAs?: string }).sameAs === undefined).map((t) => t.name) : [];
  const torchOrder = weights !== undefined && (weights.format === 'torch' && !(info.weights ?? '').endsWith('.json'));
  const sorted = isSortedByName(names);
  const facts = ckpt.facts;
  const num = (v: unknown): number | undefined => {
    const x = v instanceof JsonFloat ? v.value : typeof v === 'bigint' ? Number(v) : v;
    return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
  };
  const logged: [number, number][] = [];
  const json = ckpt.trainerState?.json;
  if (json instanceof Map && Array.isArray(json.get('log_history'))) {
    for (const h of json.get('log_history') as unknown[]) {
      if (!(h instanceof Map)) continue;
      const s = num(h.get('step')), lr = num(h.get('learning_rate'));
      if (s !== undefined && lr !== undefined) logged.push([s, lr]);
    }
  }
  return {
    path: abs,
    info,
    weights,
    isParam: () => true,
    orderKnown: torchOrder || (names.length > 1 && !sorted),
    orderSource: torchOrder ? 'state-dict' : names.length > 1 && !sorted ? 'file-order' : 'sorted-file',
    moments: opt.file,
    groups: opt.groups.map((g) => ({ index: g.index, params: g.params, paramNames: g.paramNames, lr: g.lr, initialLr: g.initialLr, betas: g.betas, eps: g.eps, weightDecay: g.weightDecay, options: g.options })),
    states: new Map([...opt.states].map(([i, s]) => [i, { tensors: s.tensors, step: s.step }])),
    globalStep: ckpt.trainerState?.globalStep ?? num(facts.get('global_step')),
    maxSteps: ckpt.trainerState?.maxSteps,
    logged,
    close: () => ckpt.close(),
  };
}

/** The built-in sample as a training checkpoint (src/cli/sample/training.ts); its weights from the cast's bytes when given. */
async function sampleInputs(bytes?: Uint8Array): Promise<TrainingInputs> {
  const { sampleSafetensors } = await import('./sample/transformer.js');
  const weights = await openSafetensors(bytes ?? sampleSafetensors(), { name: 'built-in sample' });
  const v = new Map<string, Float32Array>();
  for (const x of weights.tensors) if (x.name.startsWith('optimizer.exp_avg_sq.')) v.set(x.name.slice('optimizer.exp_avg_sq.'.length), await weights.readFloat(x.name, { as: 'float32' }));
  const t = sampleTraining({}, (name) => v.get(name));
  const moments = await openSafetensors(t.stateBytes, { name: 'built-in sample (optimizer state)' });
  const params = new Set(t.params.map((p) => p.name));
  const states = new Map<number, { tensors: ReadonlyMap<string, string>; step: number | undefined }>();
  for (const g of t.groups) for (const i of g.params) states.set(i, { tensors: new Map([['exp_avg', `state.${i}.exp_avg`], ['exp_avg_sq', `state.${i}.exp_avg_sq`]]), step: t.step });
  return {
    path: null,
    info: { kind: 'sample', weights: 'built-in sample', optimizer: 'an AdamW state after 2,000 of 10,000 steps (in memory)', scheduler: null, trainerState: null, skipped: [] },
    weights,
    isParam: (n) => params.has(n),
    order: t.params.map((p) => p.name),
    orderKnown: true,
    orderSource: 'model-order',
    moments,
    groups: t.groups,
    states,
    globalStep: t.step,
    maxSteps: t.maxSteps,
    logged: t.logged,
    close: async () => {
      await weights.close();
      await moments.close();
    },
  };
}

/** What a training worker thread opens: the checkpoint's weights and optimizer state readers. */
export async function openForWorker(path: string): Promise<{ weights: TensorReader | undefined; moments: TensorReader; close(): Promise<void> }> {
  const ckpt = await openTrainingCheckpoint(path);
  if (ckpt.optimizer === undefined) {
    await ckpt.close();
    throw new CliError(`${path}: no optimizer state`);
  }
  return { weights: ckpt.weights, moments: ckpt.optimizer.file, close: () => ckpt.close() };
}

const OPTIMIZERS = ['adam', 'adamw'];
const SCHEDULES = ['auto', 'linear', 'cosine', 'constant', 'none'];

/** Checks the training flags (before anything is read): a clear error for a bad value. */
export function checkTrainingOptions(o: TrainingOptions): void {
  if (o.optimizer !== undefined && !OPTIMIZERS.includes(o.optimizer)) throw new CliError(`--optimizer expects adam or adamw, got '${o.optimizer}'`);
  if (o.schedule !== undefined && !SCHEDULES.includes(o.schedule)) throw new CliError(`--schedule expects ${SCHEDULES.join(', ')}, got '${o.schedule}'`);
  if (o.lr !== undefined && !(typeof o.lr === 'number' && o.lr >= 0 && Number.isFinite(o.lr))) throw new CliError(`--lr expects a finite number >= 0, got '${String(o.lr)}'`);
}

/** The training section of a check, or null when the input is not a training checkpoint. */
export async function runTrainingSection(
  path: string | undefined, sample: boolean, precision: string, opts: TrainingOptions, io: CliIO, sampleBytes?: Uint8Array | null,
): Promise<TrainingSection | null> {
  if (opts.training === false) return null;
  checkTrainingOptions(opts);
  let inputs: TrainingInputs | TrainingSkipped | null;
  try {
    inputs = await openInputs(path, sample, io.cwd ?? process.cwd(), sampleBytes);
  } catch (e) {
    if (e instanceof LowpIoError) throw new CliError(e.message);
    throw e;
  }
  const explicit = opts.lr !== undefined || opts.optimizer !== undefined || opts.paramNames !== undefined || (opts.schedule !== undefined && opts.schedule !== 'auto');
  if (inputs === null) {
    if (explicit) throw new CliError(`--lr, --optimizer, --schedule and --param-names apply to a training checkpoint (an HF Trainer folder with optimizer.pt, or a .ckpt); ${path ?? 'the input'} has no optimizer state`);
    return null;
  }
  if ('status' in inputs) return inputs;
  try {
    if (precision !== 'bf16' && precision !== 'fp16') {
      return { status: 'skipped', reason: `the training section simulates the optimizer step in bf16 or fp16; --to ${precision} is neither`, checkpoint: inputs.info };
    }
    return await analyse(inputs, precision, opts, io);
  } catch (e) {
    if (e instanceof LowpIoError) throw new CliError(e.message);
    throw e;
  } finally {
    await inputs.close();
  }
}

function mode<T>(xs: T[]): T | undefined {
  const c = new Map<T, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  let best: T | undefined, n = 0;
  for (const [x, k] of c) if (k > n) { best = x; n = k; }
  return best;
}

async function analyse(inp: TrainingInputs, precision: 'bf16' | 'fp16', opts: TrainingOptions, io: CliIO): Promise<TrainingSection> {
  const t0 = performance.now();
  const notes: string[] = [];
  const { groups, states, moments } = inp;
  // an Adam state: exp_avg and exp_avg_sq
  const withState = [...states.entries()].filter(([, s]) => s.tensors.size > 0);
  const adamLike = withState.filter(([, s]) => s.tensors.has('exp_avg') && s.tensors.has('exp_avg_sq'));
  if (withState.length > 0 && adamLike.length === 0) {
    const keys = [...new Set(withState.flatMap(([, s]) => [...s.tensors.keys()]))].slice(0, 6).join(', ');
    return { status: 'skipped', reason: `the optimizer state is not Adam's (state keys: ${keys}); the training section simulates Adam/AdamW`, checkpoint: inp.info };
  }
  if (adamLike.length === 0) return { status: 'skipped', reason: 'the optimizer has no per-parameter state yet (no step taken)', checkpoint: inp.info };
  // hyper-parameters: group 0's betas and eps (tensors of a group that differs are analysed moments-only)
  const g0 = groups.find((g) => g.betas !== undefined && g.eps !== undefined);
  if (g0 === undefined) return { status: 'skipped', reason: 'the param groups have no betas/eps: not an Adam optimizer state', checkpoint: inp.info };
  const betas = g0.betas as readonly [number, number];
  const eps = g0.eps as number;
  const sameHyper = (g: (typeof groups)[number]) => g.betas?.[0] === betas[0] && g.betas?.[1] === betas[1] && g.eps === eps;
  const odd = groups.filter((g) => !sameHyper(g));
  if (odd.length > 0) notes.push(`param group${odd.length === 1 ? '' : 's'} ${odd.map((g) => g.index).join(', ')} ${odd.length === 1 ? 'has' : 'have'} other betas/eps than group ${g0.index}: ${odd.length === 1 ? 'its' : 'their'} parameters are analysed without the step`);
  // step
  const steps = adamLike.map(([, s]) => s.step).filter((x): x is number => x !== undefined);
  let step = mode(steps) ?? inp.globalStep;
  if (step === undefined) return { status: 'skipped', reason: 'the optimizer state has no step count', checkpoint: inp.info };
  step = Math.round(step);
  if (step < 1) return { status: 'skipped', reason: `the optimizer has taken ${step} steps: there are no moments to estimate the next step from`, checkpoint: inp.info };
  const otherStep = new Set(adamLike.filter(([, s]) => s.step !== undefined && Math.round(s.step) !== step).map(([i]) => i));
  if (otherStep.size > 0) notes.push(`${otherStep.size} parameter${otherStep.size === 1 ? ' has' : 's have'} another step count than ${step}: analysed without the step`);
  // optimizer kind
  let optimizer: OptimizerKind = 'adamw';
  let optimizerSource: TrainingAnalysed['optimizerSource'] = 'default';
  const dwd = groups.map((g) => g.options?.get('decoupled_weight_decay')).filter((x) => typeof x === 'boolean');
  if (opts.optimizer !== undefined) {
    optimizer = opts.optimizer as OptimizerKind;
    optimizerSource = '--optimizer';
  } else if (dwd.length > 0 && dwd.every((x) => x === dwd[0])) {
    optimizer = dwd[0] ? 'adamw' : 'adam';
    optimizerSource = 'param-groups';
  }
  const flag = (k: string) => groups.some((g) => g.options?.get(k) === true);
  if (flag('amsgrad')) notes.push('the groups say amsgrad=True: the analysis simulates plain Adam/AdamW (max_exp_avg_sq is not modelled)');
  if (flag('maximize')) notes.push('the groups say maximize=True: the analysis assumes minimization (the counts do not depend on the sign)');
  const runImplementation = flag('fused') ? 'fused' : flag('foreach') ? 'foreach' : null;
  // lr: each group's saved lr (the one the next step uses), or --lr
  const lrSource = opts.lr !== undefined ? '--lr' : 'param-groups';
  const groupLr = (g: (typeof groups)[number]): number | undefined => opts.lr ?? g.lr;
  if (groups.some((g) => groupLr(g) === undefined)) return { status: 'skipped', reason: 'a param group has no lr (give it with --lr)', checkpoint: inp.info };
  const lr0 = groupLr(g0) as number;
  // the pairing of optimizer indices with parameters
  const weights = inp.weights;
  let params: ParamCandidate[] = weights
    ? weights.tensors.filter((t) => isFloatDType(t.dtype) && (t as { sameAs?: string }).sameAs === undefined && inp.isParam(t.name)).map((t) => ({ name: t.name, shape: t.shape }))
    : [];
  if (inp.order !== undefined) {
    const byName = new Map(params.map((p) => [p.name, p]));
    params = inp.order.filter((n) => byName.has(n)).map((n) => byName.get(n) as ParamCandidate);
  }
  let orderKnown = inp.orderKnown, orderSource = inp.orderSource;
  if (opts.paramNames !== undefined) {
    let list: string[];
    try {
      list = parseParamNames(readFileSync(opts.paramNames, 'utf8'), opts.paramNames);
    } catch (e) {
      throw new CliError(`--param-names: ${(e as Error).message}`);
    }
    const byName = new Map(params.map((p) => [p.name, p]));
    const missing = list.filter((n) => !byName.has(n));
    if (missing.length > 0) notes.push(`--param-names lists ${missing.length} name${missing.length === 1 ? '' : 's'} the weights do not have (e.g. ${missing[0]}): left out`);
    const listed = new Set(list);
    const rest = params.filter((p) => !listed.has(p.name));
    if (rest.length > 0) notes.push(`${rest.length} tensor${rest.length === 1 ? '' : 's'} of the weights ${rest.length === 1 ? 'is' : 'are'} not in --param-names: treated as having no optimizer state`);
    params = list.filter((n) => byName.has(n)).map((n) => byName.get(n) as ParamCandidate);
    orderKnown = true;
    orderSource = 'param-names-file';
  }
  const shapeOf = (name: string): number[] => [...moments.info(name).shape];
  const stateShapes = new Map<number, number[] | null>();
  for (const g of groups) for (const i of g.params) {
    const s = states.get(i);
    const m = s?.tensors.get('exp_avg');
    stateShapes.set(i, m !== undefined ? shapeOf(m) : null);
  }
  const orderLabel = ({
    'state-dict': 'the order of the checkpoint\'s state dict', 'file-order': 'the weights file\'s order (the model\'s: not sorted by name)',
    'param-names-file': 'the order --param-names gives', 'model-order': 'the model\'s parameter order',
  } as Record<string, string>)[orderSource];
  const mapping = mapOptimizerParams({ params, orderKnown, orderLabel, groups: groups.map((g) => ({ index: g.index, params: g.params, weightDecay: g.weightDecay ?? 0, paramNames: g.paramNames })), stateShapes });
  if (weights === undefined) mapping.notes.unshift('the checkpoint holds no model weights (an optimizer state alone): every parameter is analysed without the step');
  const withoutStateNames = mapping.withoutState;
  const indexOfPosition: Array<{ index: number; group: number }> = [];
  // the work, in optimizer order: analysed (paired), or moments only (not paired, or not the common hyper-parameters)
  const work: TrainingWork[] = [];
  const ambiguousNames = new Map<number, Ambiguity>();
  for (const a of mapping.ambiguous) for (const i of a.indices) ambiguousNames.set(i, a);
  let badShape = 0;
  for (const g of groups) {
    for (const index of g.params) {
      const s = states.get(index);
      const m = s?.tensors.get('exp_avg'), v = s?.tensors.get('exp_avg_sq');
      if (m === undefined || v === undefined) continue;
      const mi = moments.info(m), vi = moments.info(v);
      if (!isFloatDType(mi.dtype) || !isFloatDType(vi.dtype) || mi.elements !== vi.elements) { badShape++; continue; }
      const paired = mapping.pairs.get(index);
      const full = paired !== undefined && sameHyper(g) && !otherStep.has(index) && weights !== undefined && weights.info(paired).elements === mi.elements;
      const a = ambiguousNames.get(index);
      const label = paired ?? (a && a.names.length > 0 ? `optimizer index ${index} (one of ${a.names.length <= 3 ? a.names.join(', ') : `${a.names.slice(0, 2).join(', ')} +${a.names.length - 2} more`})` : `optimizer index ${index}`);
      const weight = full ? (paired as string) : null;
      work.push({
        position: work.length, name: label, weight, m, v, elements: mi.elements, shape: [...mi.shape], wd: g.weightDecay ?? 0, lr: groupLr(g) as number,
        bytes: (weight !== null ? (weights as TensorReader).info(weight).byteLength : 0) + mi.byteLength + vi.byteLength,
      });
      indexOfPosition.push({ index, group: g.index });
    }
  }
  if (badShape > 0) notes.push(`${badShape} optimizer state${badShape === 1 ? '' : 's'} with exp_avg and exp_avg_sq of different sizes or non-float dtypes: left out`);
  if (work.length === 0) return { status: 'skipped', reason: 'no parameter has both exp_avg and exp_avg_sq in float dtypes', checkpoint: inp.info };
  const sampleElements = opts.sampleElements ?? 16384;
  const analysis: TrainingReadinessOptions = { precision, optimizer, lr: lr0, betas: [betas[0], betas[1]], eps, step, weightDecay: 0, sample: sampleElements };
  // hyper-parameters Adam refuses (torch checks the same bounds when the optimizer is built): the section
  // says so and the cast report goes on, instead of the whole check failing on the first tensor
  try {
    for (const g of groups) if (sameHyper(g)) createTrainingAnalyzer({ ...analysis, lr: groupLr(g) as number, weightDecay: g.weightDecay ?? 0 });
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof TypeError)) throw e;
    return { status: 'skipped', reason: `the saved hyper-parameters are outside Adam's domain: ${e.message.replace(/^createTrainingAnalyzer: /, '')}`, checkpoint: inp.info };
  }
  const chunk = opts.chunk ?? 1 << 20;
  const bytes = work.reduce((acc, w) => acc + w.bytes, 0);
  const threads = inp.path === null ? 1 : trainingThreads(opts.threads, work.length, bytes, io.workerEntry);
  const progress = createProgress({ stream: io.stderr, total: bytes, enabled: opts.progress !== false && !opts.json });
  let parts: TrainingPart[];
  try {
    if (threads > 1) {
      progress.label(`training: ${threads} threads`);
      const warnings: string[] = [];
      parts = await trainingInWorkers(io.workerEntry as URL, { path: inp.path as string, options: analysis, chunk }, work, threads, (w) => progress.tick(w.bytes), {
        warn: (m) => warnings.push(m),
        run: (w) => streamWork(weights, moments, w, analysis, chunk),
      });
      progress.stop();
      for (const m of warnings) println(io.stderr, `lowp: warning: ${m}`);
    } else {
      parts = [];
      for (const w of work) {
        progress.label(`training: ${w.name}`);
        parts.push(await streamWork(weights, moments, w, analysis, chunk, (n) => progress.tick(n)));
      }
    }
  } finally {
    progress.stop();
  }
  const indexOf: Record<string, { index: number; group: number }> = {};
  work.forEach((w, k) => (indexOf[w.name] = indexOfPosition[k]));
  // the schedule
  let schedule: TrainingAnalysed['schedule'] = null;
  let scheduleNote: string | null = null;
  const kindOpt = opts.schedule ?? 'auto';
  const peak = g0.initialLr ?? undefined;
  if (kindOpt === 'none') scheduleNote = '--schedule none';
  else if (inp.maxSteps === undefined) scheduleNote = 'no trainer_state.json with max_steps: the remaining steps are unknown';
  else if (step >= inp.maxSteps) scheduleNote = `the run is at its last step (${step} of ${inp.maxSteps})`;
  else {
    const pts: [number, number][] = [...inp.logged, [step, g0.lr as number]];
    const fit = fitSchedule(pts, peak ?? Math.max(...pts.map(([, l]) => l)), inp.maxSteps, kindOpt === 'auto' ? undefined : (kindOpt as ScheduleKind));
    if (fit === null) scheduleNote = 'the checkpoint gives no lr to fit a schedule to';
    else schedule = { ...fit, description: describeSchedule(fit) };
  }
  const scale = opts.lr !== undefined && g0.lr !== undefined && g0.lr > 0 ? opts.lr / g0.lr : 1;
  const report = finishTrainingParts(analysis, parts, schedule ? { schedule: { lrAt: (t: number) => scale * schedule.peakLr * scheduleFactor(schedule, t), maxSteps: schedule.maxSteps } } : undefined);
  const indices = adamLike.length;
  const mappingInfo: TrainingMappingInfo = {
    method: mapping.method, orderSource, notes: mapping.notes, indices, paired: report.tensors.length, ambiguous: mapping.ambiguous,
    withoutState: withoutStateNames, indicesWithoutState: mapping.indicesWithoutState,
  };
  notes.unshift(...coverageNotes(report, mappingInfo, optimizer, optimizerSource, lrSource, lr0));
  if (schedule && scale !== 1) notes.push(`the remaining schedule is scaled by --lr / the saved lr (${fmtValue(scale)})`);
  return {
    status: 'analysed', checkpoint: inp.info, optimizerSource, lrSource, runImplementation,
    groups: groups.map((g) => ({
      index: g.index, parameters: g.params.length, lr: groupLr(g) ?? null, initialLr: g.initialLr ?? null, betas: g.betas ? [g.betas[0], g.betas[1]] : null, eps: g.eps ?? null, weightDecay: g.weightDecay ?? null,
    })),
    maxSteps: inp.maxSteps ?? null, mapping: mappingInfo, schedule, scheduleNote, indexOf, sampleElements, threads, notes, report, bytes,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Sentences on what was analysed and how (they lead the section's reasons). */
function coverageNotes(r: TrainingReadiness, m: TrainingMappingInfo, optimizer: OptimizerKind, source: string, lrSource: string, lr: number): string[] {
  const out: string[] = [];
  const opt = optimizer === 'adamw' ? 'AdamW' : 'Adam';
  const why = source === '--optimizer' ? 'as --optimizer says' : source === 'param-groups' ? `the param groups say decoupled_weight_decay=${optimizer === 'adamw' ? 'True' : 'False'}` : 'assumed: Adam and AdamW look alike in optimizer.pt; --optimizer adam to change';
  out.push(`optimizer: ${opt} (${why}); lr ${fmtNum(lr)} (${lrSource === '--lr' ? 'from --lr' : 'the saved group lr, the one the next step uses'}); the next step is step ${fmtCount(r.step + 1)}.`);
  const analysed = r.tensors.reduce((a, t) => a + t.elements, 0);
  const mo = r.momentsOnly.reduce((a, t) => a + t.elements, 0);
  if (m.paired === m.indices) out.push(`every parameter with optimizer state (${fmtCount(m.indices)}, ${fmtCount(analysed)} weights) is paired with its weights and analysed.`);
  else out.push(`${fmtCount(m.paired)} of ${fmtCount(m.indices)} parameters with optimizer state (${fmtCount(analysed)} of ${fmtCount(analysed + mo)} weights) are paired with certainty and analysed; the other ${fmtCount(m.indices - m.paired)} only through their moments: ${m.ambiguous.length > 0 ? m.ambiguous[0].reason : 'their weights are not in the checkpoint'}.`);
  if (m.withoutState.length > 0) out.push(`${fmtCount(m.withoutState.length)} tensor${m.withoutState.length === 1 ? '' : 's'} of the weights ${m.withoutState.length === 1 ? 'has' : 'have'} no optimizer state (frozen, or not a parameter), not analysed: ${someNames(m.withoutState, 4)}.`);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// text

/** Worst first: weights that become inf/NaN, then the share left unchanged. */
export function trainingWorstFirst(a: TrainingTensorReport, b: TrainingTensorReport): number {
  const fa = a.implementations.foreach, fb = b.implementations.foreach;
  return fb.nonFinite / Math.max(1, fb.elements) - fa.nonFinite / Math.max(1, fa.elements) || fb.unchangedFraction - fa.unchangedFraction || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** ± the sampling error when there is one. */
function withError(f: number, se: number): string {
  return se > 0 ? `${pct(f)} ±${pct(se)}` : pct(f);
}

/** The training section as text (appended to `lowp check`'s report). */
export function renderTrainingText(t: TrainingSection, top: number): string {
  const lines: string[] = [''];
  if (t.status === 'skipped') {
    lines.push(`Training: not analysed: ${t.reason}.`);
    return lines.join('\n') + '\n';
  }
  const r = t.report;
  const opt = r.optimizer === 'adamw' ? 'AdamW' : 'Adam';
  const c = t.checkpoint;
  lines.push(`Training: the next ${opt} step (step ${fmtCount(r.step + 1)}${t.maxSteps ? ` of ${fmtCount(t.maxSteps)}` : ''}) at lr ${fmtNum(r.lr)} with weights and both moments kept in ${r.precision} (estimated from the saved moments)`);
  const files = [c.weights, c.optimizer, c.scheduler, c.trainerState].filter((x): x is string => x !== null);
  lines.push(c.kind === 'sample' ? `  built-in sample: its weights with ${c.optimizer}` : `  ${c.kind === 'hf-trainer' ? 'HF Trainer folder' : 'torch.save checkpoint'}: ${files.map((f) => f.split(/[\\/]/).pop()).join(', ')}`);
  for (const s of c.skipped) lines.push(`  skipped ${s.file.split(/[\\/]/).pop()}: ${s.reason}`);
  lines.push(`  betas ${r.betas.join(', ')}; eps ${fmtNum(r.eps)}; groups: ${t.groups.map((g) => `#${g.index} ${g.parameters} parameters, lr ${g.lr === null ? '?' : fmtNum(g.lr)}, weight decay ${g.weightDecay ?? '?'}`).join('; ')}${t.runImplementation ? `; the run used the ${t.runImplementation === 'fused' ? 'fused kernel (fused=True)' : 'foreach path'}` : ''}`);
  lines.push(`  pairing: ${t.mapping.notes.join('; ')}`);
  for (const a of t.mapping.ambiguous.slice(0, 6)) lines.push(`    not paired: optimizer ${a.indices.length === 1 ? 'index' : 'indices'} ${someIndices(a.indices)} ↔ ${a.names.length > 0 ? someNames(a.names, 3) : '?'}: ${a.reason}`);
  if (t.mapping.ambiguous.length > 6) lines.push(`    (+${t.mapping.ambiguous.length - 6} more ambiguities; --json lists them all)`);
  lines.push('');
  const sorted = [...r.tensors].sort(trainingWorstFirst);
  const shown = top > 0 ? sorted.slice(0, top) : sorted;
  if (shown.length > 0) {
    lines.push(renderTable(
      [
        { header: 'parameter', maxWidth: 44 }, { header: 'shape', maxWidth: 16 }, { header: 'wd', align: 'right' },
        { header: 'unchanged', align: 'right' }, { header: 'fused', align: 'right' }, { header: 'inf/NaN', align: 'right' },
        { header: 'SR moves', align: 'right' }, { header: 'v → 0', align: 'right' }, { header: 'median √v̂', align: 'right' },
      ],
      shown.map((x) => {
        const fe = x.implementations.foreach, fu = x.implementations.fused;
        return [
          x.name, fmtShape(x.shape ?? [x.elements]), fmtValue(x.weightDecay), withError(fe.unchangedFraction, fe.unchangedFractionStdError), pct(fu.unchangedFraction),
          fe.nonFinite + fu.nonFinite === 0 ? '0' : `${fmtCount(fe.nonFinite)} / ${fmtCount(fu.nonFinite)}`,
          pct(fe.stochasticMovedFraction), x.moments.expAvgSqFlushed === 0 ? '0' : pct(x.moments.expAvgSqFlushed / Math.max(1, x.elements)), fmtNum(x.gradients.median),
        ];
      }),
    ).trimEnd());
    if (shown.length < sorted.length) lines.push(`(the ${shown.length} worst of ${sorted.length} parameters; --top 0 lists all)`);
    lines.push('(unchanged: weights the next step leaves bit for bit unchanged, for-loop path ± sampling error; fused: the fused kernel; inf/NaN: for-loop / fused; SR moves: weights that would move with stochastic rounding; v → 0: exp_avg_sq values that flush to 0)');
  }
  if (r.momentsOnly.length > 0) {
    lines.push('');
    lines.push(`Analysed without the step (weights not paired with certainty): ${fmtCount(r.momentsOnly.length)} parameter${r.momentsOnly.length === 1 ? '' : 's'}`);
    const mo = top > 0 ? r.momentsOnly.slice(0, top) : r.momentsOnly;
    lines.push(renderTable(
      [{ header: 'optimizer state', maxWidth: 60 }, { header: 'shape', maxWidth: 16 }, { header: 'v → 0', align: 'right' }, { header: 'v subnormal', align: 'right' }, { header: 'median √v̂', align: 'right' }],
      mo.map((x: TrainingMomentsReport) => [x.name, fmtShape(x.shape ?? [x.elements]), x.moments.expAvgSqFlushed === 0 ? '0' : pct(x.moments.expAvgSqFlushed / Math.max(1, x.elements)), x.moments.expAvgSqSubnormal === 0 ? '0' : pct(x.moments.expAvgSqSubnormal / Math.max(1, x.elements)), fmtNum(x.gradients.median)]),
    ).trimEnd());
    if (mo.length < r.momentsOnly.length) lines.push(`(${mo.length} of ${r.momentsOnly.length}; --top 0 lists all)`);
  }
  lines.push('');
  if (r.tensors.length > 0) {
    const fe = r.implementations.foreach, fu = r.implementations.fused;
    lines.push(`Next step in pure ${r.precision}, ${fmtCount(fe.elements)} weights: for-loop ${withError(fe.unchangedFraction, fe.unchangedFractionStdError)} unchanged, ${fmtCount(fe.nonFinite)} inf/NaN; fused ${withError(fu.unchangedFraction, fu.unchangedFractionStdError)} unchanged, ${fmtCount(fu.nonFinite)} inf/NaN`);
    lines.push(
      fe.nonFinite >= 0.5 * fe.elements
        ? `  with stochastic rounding: fused ${pct(fu.stochasticMovedFraction)} of the weights would move instead of ${pct(1 - fu.unchangedFraction)} (the for-loop path turns them inf/NaN, rounding or not)`
        : `  with stochastic rounding: ${pct(fe.stochasticMovedFraction)} of the weights would move (for-loop; fused ${pct(fu.stochasticMovedFraction)}) instead of ${pct(1 - fe.unchangedFraction)}`,
    );
  }
  lines.push(`  fp16 loss scale for the gradients √v̂ implies: 2^${r.lossScale.log2Scale} (flushed to 0 at scale 1: ${pct(r.lossScale.flushedBefore)}; at 2^${r.lossScale.log2Scale}: ${pct(r.lossScale.flushedAfter)})`);
  if (t.schedule) lines.push(`  schedule: ${t.schedule.description}`);
  else if (t.scheduleNote) lines.push(`  schedule: none (${t.scheduleNote})`);
  if (r.schedule && r.tensors.length > 0) {
    const pts = r.schedule.points;
    const pick = [pts[0], pts[Math.floor(pts.length / 2)], pts[pts.length - 1]].filter((p, i, a) => p !== undefined && a.indexOf(p) === i);
    lines.push(`  unchanged as the lr decays (for-loop / fused, moments as now): ${pick.map((p) => `step ${fmtCount(p.step)} lr ${fmtNum(p.lr)}: ${pct(p.foreach)} / ${pct(p.fused)}`).join('; ')}`);
  }
  lines.push('');
  lines.push(`Training verdict for pure ${r.precision}:`);
  for (const s of [...t.notes, ...r.reasons]) lines.push(`  - ${s}`);
  lines.push(`  (${fmtBytes(t.bytes)} of weights and moments read in ${fmtSeconds(t.seconds)}; at most ${fmtCount(t.sampleElements)} elements per tensor in the estimate)`);
  return lines.join('\n') + '\n';
}

function someIndices(xs: readonly number[]): string {
  return xs.length <= 6 ? xs.join(', ') : `${xs.slice(0, 5).join(', ')} +${xs.length - 5} more`;
}

// ---------------------------------------------------------------------------------------------------
// JSON

/** The `training` block of `lowp check --json` (schema {@link TRAINING_SCHEMA}, docs/cli.md). */
export function trainingJson(t: TrainingSection): Record<string, unknown> {
  if (t.status === 'skipped') return { schema: TRAINING_SCHEMA, status: 'skipped', reason: t.reason, checkpoint: t.checkpoint };
  const r = t.report;
  const tensors = r.tensors.map((x) => ({ ...x, optimizerIndex: t.indexOf[x.name]?.index ?? null, group: t.indexOf[x.name]?.group ?? null }));
  const momentsOnly = r.momentsOnly.map((x) => ({ ...x, optimizerIndex: t.indexOf[x.name]?.index ?? null, group: t.indexOf[x.name]?.group ?? null }));
  return {
    schema: TRAINING_SCHEMA,
    status: 'analysed',
    optimizer: r.optimizer,
    optimizerSource: t.optimizerSource,
    precision: r.precision,
    lr: r.lr,
    lrSource: t.lrSource,
    step: r.step,
    nextStep: r.step + 1,
    maxSteps: t.maxSteps,
    betas: r.betas,
    eps: r.eps,
    mode: r.mode,
    runImplementation: t.runImplementation,
    implementations: r.implementations,
    tensors,
    momentsOnly,
    absorptionBound: r.absorptionBound,
    lossScale: r.lossScale,
    absorption: r.absorption,
    schedule: r.schedule ?? null,
    scheduleFit: t.schedule,
    scheduleNote: t.scheduleNote,
    reasons: [...t.notes, ...r.reasons],
    checkpoint: t.checkpoint,
    groups: t.groups,
    mapping: t.mapping,
    sampleElements: t.sampleElements,
    threads: t.threads,
    bytes: t.bytes,
    seconds: t.seconds,
  };
}
