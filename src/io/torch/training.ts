// The files of a training checkpoint (Node): an HF Trainer folder (model weights as model.safetensors,
// pytorch_model.bin or shards with their index; optimizer.pt; scheduler.pt; scaler.pt; trainer_state.json;
// training_args.bin and rng_state*.pth, which are pickles of Python objects and are listed as skipped,
// never loaded), a Lightning `.ckpt` (state_dict, optimizer_states, lr_schedulers, epoch, global_step in
// one torch.save file) or any torch.save file that holds a model and an optimizer state dict side by side.
// `findTrainingCheckpoint` only looks at names; `openTrainingCheckpoint` opens what it found through the
// safe readers and says which file was skipped and why.
import { describeValue } from '../../core/describe.js';
import type { TensorData } from '../dtypes.js';
import { CheckpointError, LowpIoError, quoteName, TorchError, type IoFormat } from '../errors.js';
import type { FloatArrayOf, FloatType } from '../float-convert.js';
import { parseJsonStrict, type JsonValue } from '../json.js';
import { listFolder, requireNodeFs, systemMessage } from '../node-fs.js';
import { strictUtf8 } from '../unicode.js';
import { openCheckpoint } from '../open.js';
import type { ChunkOptions, RawChunkOptions, ReadFloatOptions, Tensor, TensorChunk, TensorInfo, TensorReader } from '../reader.js';
import { isOptimizerStateDict, readOptimizerState, type OptimizerState } from './optimizer.js';
import { openTorch, type TorchFile, type TorchReadOptions } from './reader.js';
import { keyText, TorchTensorRef, type PyValue } from './values.js';

/**
 * A file of a checkpoint folder that was not loaded, and why.
 *
 * @example
 * ```ts
 * for (const s of found.skipped) console.log(`skipped ${s.file}: ${s.reason}`);
 * ```
 */
export interface SkippedFile {
  /** The file's path. */
  readonly file: string;
  /** Why it was not loaded. */
  readonly reason: string;
}

/**
 * What {@link findTrainingCheckpoint} found: the path of each piece (undefined when absent).
 *
 * @example
 * ```ts
 * const found = findTrainingCheckpoint('out/checkpoint-150');
 * found.kind;      // 'hf-trainer'
 * found.optimizer; // 'out/checkpoint-150/optimizer.pt'
 * ```
 */
export interface TrainingCheckpointFiles {
  /** The path given. */
  readonly path: string;
  /**
   * `'hf-trainer'`: a folder in HF Trainer's layout; `'torch-file'`: one torch.save file holding the
   * pieces (a Lightning `.ckpt`, or a dict with a model and an optimizer); `'weights'`: only model weights.
   */
  readonly kind: 'hf-trainer' | 'torch-file' | 'weights';
  /** Model weights: a file, a `*.index.json`, or the folder (any of them opens with openCheckpoint). For a torch file, the file itself. */
  readonly weights: string | undefined;
  /** The optimizer state dict file (`optimizer.pt`, or Accelerate's `optimizer.bin`). */
  readonly optimizer: string | undefined;
  /** The LR scheduler state (`scheduler.pt`). */
  readonly scheduler: string | undefined;
  /** The AMP gradient scaler state (`scaler.pt`). */
  readonly scaler: string | undefined;
  /** HF Trainer's `trainer_state.json`. */
  readonly trainerState: string | undefined;
  /** Files that are never loaded (pickled Python objects that are not tensors), with why. */
  readonly skipped: readonly SkippedFile[];
}

const SKIP_REASONS: Array<[RegExp, string]> = [
  [/^training_args\.bin$/, 'a pickled transformers.training_args.TrainingArguments object (settings, not tensors): not loaded'],
  [/^rng_state(_\d+)?\.pth$/, 'random number generator states (Python, numpy and torch RNGs), not model or optimizer tensors: not loaded'],
];
const WEIGHT_FILES = /^(model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json|pytorch_model(-\d+-of-\d+)?\.bin|pytorch_model\.bin\.index\.json|adapter_model\.(safetensors|bin))$/;

/** node:fs, or CheckpointError NO_FS reported against `label`. */
function nodeFs(label: string) {
  return requireNodeFs((m) => new CheckpointError('NO_FS', m, label));
}

/**
 * Finds the pieces of a training checkpoint by their names, without opening anything (Node): an HF
 * Trainer folder (`model.safetensors` or `pytorch_model.bin`, sharded or not; `optimizer.pt`,
 * `scheduler.pt`, `scaler.pt`, `trainer_state.json`; `training_args.bin` and `rng_state*.pth` listed as
 * skipped), a folder holding one `.ckpt`, or a single torch.save file (`.ckpt`, `.pt`, `.pth`, `.bin`).
 * Throws CheckpointError `IO` when the path cannot be read, `INDEX` for a folder with neither weights
 * nor an optimizer.
 *
 * @example
 * ```ts
 * import { findTrainingCheckpoint } from 'lowp/io';
 * const found = findTrainingCheckpoint('runs/finetune/checkpoint-150');
 * console.log(found.weights, found.optimizer, found.skipped.map((s) => s.file));
 * ```
 */
export function findTrainingCheckpoint(path: string): TrainingCheckpointFiles {
  if (typeof path !== 'string' || path === '') throw new TypeError(`expected a checkpoint folder or file path, got ${describeValue(path)}`);
  const fs = nodeFs(path);
  let isDir: boolean;
  try {
    isDir = fs.statSync(path).isDirectory();
  } catch (e) {
    throw new CheckpointError('IO', `cannot open: ${systemMessage(e)}`, path);
  }
  const none = { optimizer: undefined, scheduler: undefined, scaler: undefined, trainerState: undefined, skipped: [] };
  if (!isDir) return Object.freeze({ path, kind: 'torch-file' as const, weights: path, ...none });
  const { names, isFile, path: p } = listFolder(path, CheckpointError);
  const files = names.filter(isFile);
  const at = (n: string | undefined): string | undefined => (n === undefined ? undefined : p.join(path, n));
  const pick = (...candidates: string[]): string | undefined => candidates.find((c) => files.includes(c));
  const optimizer = pick('optimizer.pt', 'optimizer.bin');
  const skipped: SkippedFile[] = [];
  for (const f of files) {
    const rule = SKIP_REASONS.find(([re]) => re.test(f));
    if (rule) skipped.push(Object.freeze({ file: p.join(path, f), reason: rule[1] }));
  }
  const weightFiles = files.filter((f) => WEIGHT_FILES.test(f));
  const ckpts = files.filter((f) => /\.ckpt$/i.test(f));
  if (optimizer === undefined && weightFiles.length === 0 && ckpts.length === 1) {
    return Object.freeze({ path, kind: 'torch-file' as const, weights: p.join(path, ckpts[0]), ...none, skipped: Object.freeze(skipped) });
  }
  if (optimizer === undefined && weightFiles.length === 0) {
    throw new CheckpointError('INDEX', `expected a training checkpoint folder (model weights and/or optimizer.pt, or one .ckpt), got ${files.length === 0 ? 'no files' : files.slice(0, 8).join(', ')}`, path);
  }
  // one weights entry: an index when there is one, else a single file, else the folder (shards)
  const index = weightFiles.find((f) => f.endsWith('.index.json'));
  const single = weightFiles.filter((f) => !f.endsWith('.index.json'));
  const weights = index ?? (single.length === 1 ? single[0] : undefined);
  return Object.freeze({
    path,
    kind: optimizer !== undefined || files.includes('trainer_state.json') ? ('hf-trainer' as const) : ('weights' as const),
    weights: weights !== undefined ? at(weights) : single.length > 1 ? path : undefined,
    optimizer: at(optimizer),
    scheduler: at(pick('scheduler.pt')),
    scaler: at(pick('scaler.pt')),
    trainerState: at(pick('trainer_state.json')),
    skipped: Object.freeze(skipped),
  });
}

/**
 * HF Trainer's `trainer_state.json`, parsed strictly (objects are Maps), with the fields a training
 * analysis needs most.
 *
 * @example
 * ```ts
 * const s = ckpt.trainerState!;
 * console.log(`step ${s.globalStep} of ${s.maxSteps}, last logged lr ${s.lastLearningRate}`);
 * ```
 */
export interface TrainerState {
  /** The whole file (objects as Maps, see lowp/io's strict JSON parser). */
  readonly json: JsonValue;
  /** `global_step`. */
  readonly globalStep: number | undefined;
  /** `max_steps`. */
  readonly maxSteps: number | undefined;
  /** `epoch`. */
  readonly epoch: number | undefined;
  /** The last `learning_rate` in `log_history`. */
  readonly lastLearningRate: number | undefined;
}

/**
 * A training checkpoint opened: the model weights as a TensorReader, the optimizer state, the
 * scheduler and scaler states and trainer_state.json as inert values, the Lightning / torch-file facts,
 * and what was skipped. Close it when done.
 *
 * @example
 * ```ts
 * const ckpt = await openTrainingCheckpoint('runs/finetune/checkpoint-150');
 * console.log(ckpt.weights?.tensors.length, ckpt.optimizer?.groups[0].lr, ckpt.skipped);
 * await ckpt.close();
 * ```
 */
export interface TrainingCheckpoint {
  /** What was found where. */
  readonly files: TrainingCheckpointFiles;
  /** The model weights (for a torch file: its `state_dict.` / `model.` tensors, names without that prefix). */
  readonly weights: TensorReader | undefined;
  /** The first optimizer state dict (HF: optimizer.pt; Lightning: `optimizer_states.0`). */
  readonly optimizer: OptimizerState | undefined;
  /** Every optimizer state dict (Lightning checkpoints may hold several). */
  readonly optimizers: readonly OptimizerState[];
  /** The LR scheduler state (scheduler.pt, or a Lightning checkpoint's `lr_schedulers`), as inert values. */
  readonly scheduler: PyValue | undefined;
  /** The AMP gradient scaler state (scaler.pt: `scale`, `growth_factor`...), as inert values. */
  readonly scaler: PyValue | undefined;
  /** trainer_state.json. */
  readonly trainerState: TrainerState | undefined;
  /** For a torch file: `epoch`, `global_step` and other top-level numbers and strings (Lightning's version...). */
  readonly facts: ReadonlyMap<string, number | string | boolean>;
  /** Files (or parts) not loaded, with why: pickled side files, and side files that could not be read. */
  readonly skipped: readonly SkippedFile[];
  /** Closes every file opened. */
  close(): Promise<void>;
}

/**
 * Options of {@link openTrainingCheckpoint}: the torch reader's limits.
 *
 * @example
 * ```ts
 * await openTrainingCheckpoint('big-run/checkpoint-9000', { maxPickleBytes: 1 << 30 });
 * ```
 */
export type TrainingCheckpointOptions = Omit<TorchReadOptions, 'name'>;

/**
 * Opens a training checkpoint found by {@link findTrainingCheckpoint} (Node). Weights and optimizer go
 * through the safe readers and their errors propagate (a refused global in optimizer.pt is a refusal);
 * the scheduler, scaler and trainer_state.json are read when they can be and otherwise listed in
 * `skipped` with the reason; training_args.bin and rng_state*.pth are never opened.
 *
 * @example
 * ```ts
 * import { openTrainingCheckpoint } from 'lowp/io';
 * const ckpt = await openTrainingCheckpoint('lightning_logs/version_0/checkpoints/last.ckpt');
 * const opt = ckpt.optimizer!;
 * for (const [index, s] of opt.states) console.log(index, s.step, [...s.tensors.keys()]);
 * await ckpt.close();
 * ```
 */
export async function openTrainingCheckpoint(path: string, options?: TrainingCheckpointOptions): Promise<TrainingCheckpoint> {
  const files = findTrainingCheckpoint(path);
  const opened: Array<{ close(): Promise<void> }> = [];
  const skipped: SkippedFile[] = [...files.skipped];
  try {
    if (files.kind === 'torch-file') return await openTorchFileCheckpoint(files, options, opened, skipped);
    const weights = files.weights !== undefined ? await openCheckpoint(files.weights) : undefined;
    if (weights) opened.push(weights);
    let optimizer: OptimizerState | undefined;
    if (files.optimizer !== undefined) {
      const f = await openTorch(files.optimizer, options);
      opened.push(f);
      optimizer = await readOptimizerState(f);
    }
    const side = async (file: string | undefined): Promise<PyValue | undefined> => {
      if (file === undefined) return undefined;
      try {
        const f = await openTorch(file, options);
        await f.close();
        return f.objects;
      } catch (e) {
        if (!(e instanceof LowpIoError)) throw e;
        skipped.push(Object.freeze({ file, reason: `not read: ${e.message}` }));
        return undefined;
      }
    };
    const scheduler = await side(files.scheduler);
    const scaler = await side(files.scaler);
    const trainerState = files.trainerState !== undefined ? readTrainerState(files.trainerState, skipped) : undefined;
    return checkpoint(files, weights, optimizer ? [optimizer] : [], scheduler, scaler, trainerState, new Map(), skipped, opened);
  } catch (e) {
    for (const o of opened) await o.close();
    throw e;
  }
}

function checkpoint(
  files: TrainingCheckpointFiles,
  weights: TensorReader | undefined,
  optimizers: OptimizerState[],
  scheduler: PyValue | undefined,
  scaler: PyValue | undefined,
  trainerState: TrainerState | undefined,
  facts: Map<string, number | string | boolean>,
  skipped: SkippedFile[],
  opened: Array<{ close(): Promise<void> }>,
): TrainingCheckpoint {
  return Object.freeze({
    files,
    weights,
    optimizer: optimizers[0],
    optimizers: Object.freeze(optimizers),
    scheduler,
    scaler,
    trainerState,
    facts,
    skipped: Object.freeze(skipped),
    async close() {
      for (const o of opened) await o.close();
    },
  });
}

function readTrainerState(file: string, skipped: SkippedFile[]): TrainerState | undefined {
  const fs = nodeFs(file);
  try {
    if (fs.statSync(file).size > 64 << 20) throw new Error('larger than 64 MiB');
    const json = parseJsonStrict(strictUtf8.decode(fs.readFileSync(file)), { file, maxDepth: 64 });
    const get = (k: string): JsonValue | undefined => (json instanceof Map ? json.get(k) : undefined);
    const n = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' ? v : v !== null && typeof v === 'object' && 'value' in v ? (v as { value: number }).value : undefined);
    const history = get('log_history');
    let lastLearningRate: number | undefined;
    if (Array.isArray(history)) {
      for (const h of history) if (h instanceof Map && n(h.get('learning_rate')) !== undefined) lastLearningRate = n(h.get('learning_rate'));
    }
    return Object.freeze({ json, globalStep: n(get('global_step')), maxSteps: n(get('max_steps')), epoch: n(get('epoch')), lastLearningRate });
  } catch (e) {
    skipped.push(Object.freeze({ file, reason: `not read: ${e instanceof Error ? e.message : String(e)}` }));
    return undefined;
  }
}

/** Keys under which a torch file commonly keeps its model's state dict, by priority. */
const WEIGHT_KEYS = ['state_dict', 'model_state_dict', 'model', 'module', 'net'];
/** Keys under which it keeps optimizer state dicts. */
const OPTIMIZER_KEYS = ['optimizer_states', 'optimizer', 'optimizer_state_dict', 'optim', 'opt'];

async function openTorchFileCheckpoint(
  files: TrainingCheckpointFiles,
  options: TrainingCheckpointOptions | undefined,
  opened: Array<{ close(): Promise<void> }>,
  skipped: SkippedFile[],
): Promise<TrainingCheckpoint> {
  const file = await openTorch(files.weights!, options);
  opened.push(file);
  const root = file.objects;
  const top = root instanceof Map ? root : new Map<PyValue, PyValue>();
  const optimizers: OptimizerState[] = [];
  if (isOptimizerStateDict(root)) optimizers.push(await readOptimizerState(file));
  for (const k of OPTIMIZER_KEYS) {
    const v = top.get(k);
    if (isOptimizerStateDict(v)) optimizers.push(await readOptimizerState(file, [k]));
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (isOptimizerStateDict(v[i])) optimizers.push(await readOptimizerState(file, [k, i]));
  }
  const weightKey = WEIGHT_KEYS.find((k) => {
    const v = top.get(k);
    return v instanceof Map && [...v.values()].some((x) => x instanceof TorchTensorRef);
  });
  // the weights: a state dict under a known key, or the whole file when it is not an optimizer itself
  const weights = weightKey !== undefined ? new PrefixedReader(file, `${weightKey}.`) : optimizers.length === 0 || !isOptimizerStateDict(root) ? new PrefixedReader(file, '') : undefined;
  const schedulers = top.get('lr_schedulers');
  const scheduler = Array.isArray(schedulers) ? (schedulers[0] ?? undefined) : (top.get('scheduler') ?? top.get('lr_scheduler'));
  const facts = new Map<string, number | string | boolean>();
  for (const [k, v] of top) if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') facts.set(keyText(k), v);
  return checkpoint({ ...files, kind: 'torch-file' }, weights, optimizers, scheduler, undefined, undefined, facts, skipped, opened);
}

/**
 * The tensors of a TorchFile whose names start with `prefix`, under their names without it (a Lightning
 * checkpoint's `state_dict.layer.weight` as `layer.weight`). Closing it does not close the file.
 */
class PrefixedReader implements TensorReader {
  readonly format: IoFormat = 'torch';
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly TensorInfo[];
  /** Each name without the prefix: the file's name for it, and its info under the short name. */
  private readonly byName = new Map<string, { original: string; info: TensorInfo }>();

  constructor(
    private readonly file: TorchFile,
    prefix: string,
  ) {
    this.metadata = file.metadata;
    const tensors: TensorInfo[] = [];
    for (const t of file.tensors) {
      if (!t.name.startsWith(prefix) || t.name.length === prefix.length) continue;
      const name = t.name.slice(prefix.length);
      const info: TensorInfo & { sameAs?: string } = { ...t, name };
      const tied = (t as { sameAs?: string }).sameAs;
      if (tied !== undefined) {
        if (tied.startsWith(prefix)) info.sameAs = tied.slice(prefix.length);
        else delete info.sameAs;
      }
      tensors.push(Object.freeze(info));
      this.byName.set(name, { original: t.name, info });
    }
    this.tensors = Object.freeze(tensors);
  }

  private entry(name: string): { original: string; info: TensorInfo } {
    const o = this.byName.get(name);
    if (o === undefined) throw new TorchError('NOT_FOUND', `expected the name of a model tensor (${this.tensors.length} tensors), got ${typeof name === 'string' ? quoteName(name) : describeValue(name)}`, this.file.name);
    return o;
  }

  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.entry(name).info;
  }

  private orig(name: string): string {
    return this.entry(name).original;
  }

  async tensor(name: string): Promise<Tensor> {
    return { ...(await this.file.tensor(this.orig(name))), name };
  }

  readFloat<F extends FloatType = FloatType>(name: string, options?: ReadFloatOptions<F>): Promise<FloatArrayOf<F>> {
    return this.file.readFloat(this.orig(name), options);
  }

  chunks(name: string, options: RawChunkOptions): AsyncGenerator<TensorChunk<Uint8Array>, void, undefined>;
  chunks(name: string, options?: ChunkOptions<undefined>): AsyncGenerator<TensorChunk<TensorData>, void, undefined>;
  chunks<F extends FloatType>(name: string, options: ChunkOptions<F>): AsyncGenerator<TensorChunk<FloatArrayOf<F>>, void, undefined>;
  chunks(name: string, options?: ChunkOptions | RawChunkOptions): AsyncGenerator<TensorChunk<TensorData | Float32Array | Float64Array>, void, undefined> {
    return this.file.chunks(this.orig(name), options as ChunkOptions<FloatType>);
  }

  async close(): Promise<void> {
    // the file is closed by the TrainingCheckpoint that opened it
  }
}
