// A PyTorch optimizer's state dict (`optimizer.state_dict()`, as in HF Trainer's optimizer.pt or each
// entry of a Lightning checkpoint's optimizer_states) read from a TorchFile: its param groups (lr,
// betas, eps, weight_decay, the optimizer indices of their parameters, `param_names` where torch saved
// them) and each parameter's state (the tensors such as exp_avg / exp_avg_sq, by their names in the
// reader, and the step). Only reads: which parameter each index is, is for the caller to decide.
// Reference: torch/optim/optimizer.py (`Optimizer.state_dict`), torch/optim/adamw.py (state keys).
import { describeValue } from '../../core/describe.js';
import { TorchError } from '../errors.js';
import type { TorchFile } from './reader.js';
import { keyText, TorchTensorRef, TorchUnsupportedTensor, type PyValue } from './values.js';

/**
 * One param group of an optimizer: its hyper-parameters as saved, and its parameters' optimizer indices.
 *
 * @example
 * ```ts
 * const g = opt.groups[0];
 * console.log(g.lr, g.betas, g.weightDecay, g.params.length);
 * ```
 */
export interface OptimizerParamGroup {
  /** Position of the group in `param_groups`. */
  readonly index: number;
  /** Optimizer indices of the group's parameters (keys of `state`). */
  readonly params: readonly number[];
  /** Parameter names, where the state dict has `param_names` (PyTorch >= 2.6 with named parameters). */
  readonly paramNames: readonly string[] | undefined;
  /** `lr` (the learning rate the next step uses). */
  readonly lr: number | undefined;
  /** `betas` (Adam/AdamW). */
  readonly betas: readonly [number, number] | undefined;
  /** `eps`. */
  readonly eps: number | undefined;
  /** `weight_decay`. */
  readonly weightDecay: number | undefined;
  /** `initial_lr` (set by LR schedulers). */
  readonly initialLr: number | undefined;
  /** Every option of the group as saved (`amsgrad`, `maximize`, `foreach`, `fused`, `decoupled_weight_decay`...). */
  readonly options: ReadonlyMap<PyValue, PyValue>;
}

/**
 * The state of one parameter: its tensors (by state key, as tensor names of the reader) and its step.
 *
 * @example
 * ```ts
 * const s = opt.states.get(0)!;
 * const m = await opt.file.readFloat(s.tensors.get('exp_avg')!, { as: 'float32' });
 * ```
 */
export interface OptimizerParamState {
  /** The optimizer index (key of `state`). */
  readonly index: number;
  /** Tensor state entries: state key (`'exp_avg'`, `'exp_avg_sq'`, `'max_exp_avg_sq'`...) to the tensor's name in the reader. */
  readonly tensors: ReadonlyMap<string, string>;
  /** Entries that are not tensors, as saved (a Python `step` number in older PyTorch). */
  readonly values: ReadonlyMap<string, PyValue>;
  /** The step count: a 0-dim `step` tensor's value, or a plain number; undefined when absent. */
  readonly step: number | undefined;
}

/**
 * An optimizer state dict read from a torch.save file.
 *
 * @example
 * ```ts
 * const opt = await readOptimizerState(await openTorch('checkpoint-150/optimizer.pt'));
 * console.log(opt.groups.map((g) => g.lr), opt.states.size);
 * ```
 */
export interface OptimizerState {
  /** The file that holds the tensors. */
  readonly file: TorchFile;
  /** Where the state dict is in the file's objects (`''`, `'optimizer_states.0'`). */
  readonly path: string;
  /** The param groups, in order. */
  readonly groups: readonly OptimizerParamGroup[];
  /** Per-parameter state, by optimizer index, in the file's order. */
  readonly states: ReadonlyMap<number, OptimizerParamState>;
}

const num = (v: PyValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined);

/**
 * Whether a value looks like an optimizer state dict: a dict with a dict `state` and a list `param_groups`.
 *
 * @example
 * ```ts
 * isOptimizerStateDict(file.value('optimizer_states.0')); // true for a Lightning checkpoint
 * ```
 */
export function isOptimizerStateDict(v: PyValue | undefined): boolean {
  return v instanceof Map && v.get('state') instanceof Map && Array.isArray(v.get('param_groups'));
}

/**
 * Reads the optimizer state dict at `path` in a torch.save file (default: the whole file, as in
 * optimizer.pt): its groups and per-parameter state; 0-dim `step` tensors are read for their value.
 * Throws TorchError `OPTIMIZER` when the value there is not an optimizer state dict.
 *
 * @example
 * ```ts
 * import { openTorch, readOptimizerState } from 'lowp/io';
 * const ckpt = await openTorch('last.ckpt');
 * const opt = await readOptimizerState(ckpt, 'optimizer_states.0');
 * const g = opt.groups[0];
 * console.log(`lr ${g.lr}, betas ${g.betas}, ${opt.states.size} parameters with state`);
 * ```
 */
export async function readOptimizerState(file: TorchFile, path: string | readonly (string | number)[] = ''): Promise<OptimizerState> {
  if (typeof path !== 'string' && !Array.isArray(path)) throw new TypeError(`expected a path as a dotted string or an array of keys, got ${describeValue(path)}`);
  const where = typeof path === 'string' ? path : path.join('.');
  const root = file.value(path);
  const bad = (what: string): never => {
    throw new TorchError('OPTIMIZER', `expected an optimizer state dict ({'state': ..., 'param_groups': [...]}) at '${where}', got ${what}`, file.name);
  };
  if (!(root instanceof Map)) return bad(root === undefined ? 'nothing there' : describePy(root));
  const state = root.get('state');
  const groupsValue = root.get('param_groups');
  if (!(state instanceof Map)) return bad(`a 'state' that is ${describePy(state)}`);
  if (!Array.isArray(groupsValue)) return bad(`'param_groups' that is ${describePy(groupsValue)}`);
  const groups: OptimizerParamGroup[] = groupsValue.map((g, index) => {
    if (!(g instanceof Map)) return bad(`param group ${index} that is ${describePy(g)}`);
    const params = g.get('params');
    if (!Array.isArray(params) || params.some((p) => typeof p !== 'number' || !Number.isSafeInteger(p))) return bad(`param group ${index} without a list of integer params`);
    const names = g.get('param_names');
    const betas = g.get('betas');
    return Object.freeze({
      index,
      params: Object.freeze([...(params as number[])]),
      paramNames: Array.isArray(names) && names.every((n) => typeof n === 'string') ? Object.freeze([...(names as string[])]) : undefined,
      lr: num(g.get('lr')),
      betas: Array.isArray(betas) && betas.length === 2 && typeof betas[0] === 'number' && typeof betas[1] === 'number' ? (Object.freeze([betas[0], betas[1]]) as readonly [number, number]) : undefined,
      eps: num(g.get('eps')),
      weightDecay: num(g.get('weight_decay')),
      initialLr: num(g.get('initial_lr')),
      options: g as ReadonlyMap<PyValue, PyValue>,
    });
  });
  const states = new Map<number, OptimizerParamState>();
  for (const [k, v] of state) {
    if (typeof k !== 'number' || !Number.isSafeInteger(k)) return bad(`a state key ${keyText(k)} that is not an integer index`);
    if (!(v instanceof Map)) return bad(`the state of parameter ${k} that is ${describePy(v)}`);
    const tensors = new Map<string, string>();
    const values = new Map<string, PyValue>();
    let step: number | undefined;
    for (const [sk, sv] of v) {
      const key = keyText(sk);
      if (sv instanceof TorchTensorRef) {
        tensors.set(key, sv.names[0]);
        if (key === 'step' && sv.shape.length === 0) step = (await file.readFloat(sv.names[0], { as: 'float64' }))[0];
      } else if (!(sv instanceof TorchUnsupportedTensor)) {
        values.set(key, sv);
        if (key === 'step' && typeof sv === 'number') step = sv;
      }
    }
    states.set(k, Object.freeze({ index: k, tensors, values, step }));
  }
  return Object.freeze({ file, path: where, groups: Object.freeze(groups), states });
}

function describePy(v: PyValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v instanceof Map) return `a dict of ${v.size}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' && v !== null && 'describe' in v ? (v as { describe(): string }).describe() : describeValue(v);
}
