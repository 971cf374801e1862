// Which parameter each optimizer index of a training checkpoint is. `optimizer.pt` names its parameters by
// index only (except `param_names`, saved by PyTorch >= 2.6 for named parameter groups); the weights
// file names them but does not say which index each is. This file pairs them, and says which pairings
// are certain:
//
// - `param_names`: each index's name as saved, checked shape by shape against the weights.
// - Otherwise HF Trainer's order: the decay group, then the no-decay group, each in `named_parameters()`
//   order, tied weights once. When the weights file lists its tensors in the model's order (a torch.save
//   state dict; a safetensors file that is not sorted by name; or the order given with --param-names),
//   the groups are two interleaved subsequences of that order: a dynamic program over the names finds
//   every interleaving consistent with the shapes (a name may also belong to no group: a frozen
//   parameter or a buffer), prefers those that follow HF's decay rule (biases and norm weights in the
//   no-decay group), and a name is paired only when every such interleaving pairs it the same way.
// - When the order is not known (safetensors' own writer sorts tensors by name), only shapes can pair:
//   a parameter is certain when it is the only one of its shape in its group.
//
// Nothing is guessed: pairings that are not certain are listed as ambiguous, with the candidates.
import { describeValue } from '../core/describe.js';

/** A model parameter candidate (a float tensor of the weights file, tied duplicates left out). */
export interface ParamCandidate {
  name: string;
  shape: readonly number[];
}

/** An optimizer param group: its optimizer indices in order, weight decay, and `param_names` when saved. */
export interface GroupSpec {
  index: number;
  params: readonly number[];
  weightDecay: number;
  paramNames?: readonly string[];
}

/** What the mapping is computed from. */
export interface MappingInput {
  /** Parameter candidates, in the weights file's order (or the order given). */
  params: readonly ParamCandidate[];
  /** Whether that order is the model's `named_parameters()` order (see the header). */
  orderKnown: boolean;
  /** Where that order comes from, for the notes ("the weights file's order"). */
  orderLabel?: string;
  /** The param groups. */
  groups: readonly GroupSpec[];
  /** Shape of each optimizer index's state (of exp_avg); null when the index has no state. */
  stateShapes: ReadonlyMap<number, readonly number[] | null>;
}

/** One ambiguity: optimizer indices that cannot be told apart, and their candidate parameters. */
export interface Ambiguity {
  /** Optimizer indices. */
  indices: number[];
  /** Candidate parameter names. */
  names: string[];
  /** Their shape (when all share one). */
  shape: readonly number[] | null;
  /** Why. */
  reason: string;
}

/** The result of {@link mapOptimizerParams}. */
export interface ParamMapping {
  /** 'param_names', 'order' (HF's order, from the weights' order), or 'shapes' (order unknown). */
  method: 'param_names' | 'order' | 'shapes';
  /** Optimizer index → parameter name, for the certain pairings only. */
  pairs: Map<number, string>;
  /** Optimizer index → its group. */
  groupOf: Map<number, number>;
  /** Indices that cannot be paired with certainty. */
  ambiguous: Ambiguity[];
  /** Parameters that no optimizer index is paired with (no optimizer state: frozen, or not a parameter). */
  withoutState: string[];
  /** Optimizer indices in a group whose state is empty (never stepped), with their name when paired. */
  indicesWithoutState: number[];
  /** Sentences about how the mapping was made. */
  notes: string[];
}

const sameShape = (a: readonly number[] | null, b: readonly number[] | null): boolean =>
  a === null || b === null || (a.length === b.length && a.every((x, i) => x === b[i]));

const shapeText = (s: readonly number[] | null): string => (s === null ? '?' : `[${s.join(', ')}]`);

/**
 * HF Trainer's no-decay rule as the names show it: biases, and weights of normalization layers (by their
 * module name, or 1-D weights: LayerNorm and RMSNorm weights are vectors). HF decides by module class
 * (nn.LayerNorm and the models' RMSNorms) and by "bias" in the name; a 1-D weight that is not a norm is
 * rare. Used only to choose between interleavings the shapes allow.
 */
export function hfNoDecay(name: string, shape: readonly number[]): boolean {
  const parts = name.split('.');
  const leaf = parts[parts.length - 1] ?? '';
  const module = parts.length > 1 ? parts[parts.length - 2] : '';
  if (/bias/i.test(leaf)) return true;
  if (/norm|^ln(_?\d+|_?f|_\w+)?$|^ln$/i.test(module)) return true;
  return shape.length <= 1;
}

/** Whether names are sorted as safetensors' writer sorts them (by name; dtype groups ignored here). */
export function isSortedByName(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1] > names[i]) return false;
  return true;
}

/** Largest number of DP states (groups × skips) before falling back to shapes alone. */
const MAX_STATES = 8_000_000;

/**
 * Pairs optimizer indices with parameter names (see the header): `param_names` when every group has them,
 * else HF's order through the DP when the order is known, else shapes alone.
 */
export function mapOptimizerParams(input: MappingInput): ParamMapping {
  const { groups, stateShapes } = input;
  const groupOf = new Map<number, number>();
  for (const g of groups) for (const i of g.params) groupOf.set(i, g.index);
  const indicesWithoutState = groups.flatMap((g) => g.params.filter((i) => (stateShapes.get(i) ?? null) === null));
  if (groups.length > 0 && groups.every((g) => g.paramNames !== undefined && g.paramNames.length === g.params.length)) {
    return { ...byNames(input), groupOf, indicesWithoutState };
  }
  if (input.orderKnown) {
    const r = byOrder(input);
    if (r !== null && r !== 'too-large') return { ...r, groupOf, indicesWithoutState };
    const s = byShapes(input);
    s.notes.unshift(r === 'too-large'
      ? 'too many tensors outside the param groups to follow the weights file\'s order, so only shapes pair parameters'
      : 'the weights file\'s order does not match the optimizer\'s groups shape by shape (not HF Trainer\'s order), so only shapes pair parameters');
    return { ...s, groupOf, indicesWithoutState };
  }
  return { ...byShapes(input), groupOf, indicesWithoutState };
}

type Partial = Omit<ParamMapping, 'groupOf' | 'indicesWithoutState'>;

function byNames(input: MappingInput): Partial {
  const byName = new Map(input.params.map((p) => [p.name, p]));
  const pairs = new Map<number, string>();
  const ambiguous: Ambiguity[] = [];
  const used = new Set<string>();
  let renamed = 0;
  for (const g of input.groups) {
    g.params.forEach((index, k) => {
      const saved = (g.paramNames as readonly string[])[k];
      let p = byName.get(saved);
      if (p === undefined) {
        // a prefix added or removed (DDP's module., torch.compile's _orig_mod., a wrapper's model.)
        const hits = input.params.filter((c) => c.name.endsWith(`.${saved}`) || saved.endsWith(`.${c.name}`));
        if (hits.length === 1) {
          p = hits[0];
          renamed++;
        }
      }
      const shape = input.stateShapes.get(index) ?? null;
      if (p === undefined) {
        ambiguous.push({ indices: [index], names: [], shape, reason: `param_names says '${saved}', which is not a tensor of the weights` });
      } else if (!sameShape(p.shape, shape)) {
        ambiguous.push({ indices: [index], names: [p.name], shape, reason: `param_names says '${saved}', whose shape ${shapeText(p.shape)} differs from its state's ${shapeText(shape)}` });
      } else {
        pairs.set(index, p.name);
        used.add(p.name);
      }
    });
  }
  const notes = [`paired by the param_names the optimizer saved, every shape checked${renamed > 0 ? ` (${renamed} matched up to a prefix such as module.)` : ''}`];
  return { method: 'param_names', pairs, ambiguous, withoutState: input.params.filter((p) => !used.has(p.name)).map((p) => p.name), notes };
}

interface Slot { index: number; shape: readonly number[] | null }

/** HF's order: the DP over the names in the model's order (see the header). Null when no interleaving fits. */
function byOrder(input: MappingInput): Partial | null | 'too-large' {
  const { params, groups } = input;
  const label = input.orderLabel ?? 'the weights file\'s order';
  const N = params.length;
  const slotsOf = (g: GroupSpec): Slot[] => g.params.map((index) => ({ index, shape: input.stateShapes.get(index) ?? null }));
  // HF has two groups; one group is the plain model.parameters(); with more groups, take them in order
  // as one sequence (each group a contiguous run of the model's order)
  let lanes: Slot[][];
  let noDecayLane = -1, decayLane = -1;
  if (groups.length === 2) {
    lanes = [slotsOf(groups[0]), slotsOf(groups[1])];
    const [w0, w1] = [groups[0].weightDecay, groups[1].weightDecay];
    if (w0 > 0 && w1 === 0) { decayLane = 0; noDecayLane = 1; }
    else if (w1 > 0 && w0 === 0) { decayLane = 1; noDecayLane = 0; }
  } else {
    lanes = [groups.flatMap(slotsOf), []];
  }
  const [A, B] = lanes;
  const sA = A.length, sB = B.length, K = N - sA - sB;
  if (K < 0) return null;
  const states = (sA + 1) * (sB + 1) * (K + 1);
  if (states > MAX_STATES) return 'too-large';
  const noDecay = params.map((p) => hfNoDecay(p.name, p.shape));
  const plain = interleavings(params, A, B, K, () => 0);
  if (plain === null) return null;
  let actions = plain.actions;
  let ruleNote: string | null = null;
  if (plain.actions.some((a) => a.size > 1) && decayLane >= 0) {
    const ruled = interleavings(params, A, B, K, (k, lane) => ((lane === decayLane && noDecay[k]) || (lane === noDecayLane && !noDecay[k]) ? 1 : 0));
    if (ruled !== null) {
      const decided = ruled.actions.filter((a, k) => a.size === 1 && plain.actions[k].size > 1).length;
      actions = ruled.actions;
      if (decided > 0) ruleNote = `${decided} parameter${decided === 1 ? ' was' : 's were'} placed by HF's decay rule (biases and norm weights in the no-decay group), which the shapes alone leave open`;
      if (ruled.best > 0) ruleNote = `${ruleNote ?? ''}${ruleNote ? '; ' : ''}${ruled.best} parameter${ruled.best === 1 ? ' does' : 's do'} not follow that rule in the best pairing`;
    }
  }
  const pairs = new Map<number, string>();
  const withoutState: string[] = [];
  const uncertainNames: number[] = [];
  actions.forEach((set, k) => {
    if (set.size !== 1) { uncertainNames.push(k); return; }
    const a = [...set][0];
    if (a === 0) withoutState.push(params[k].name);
    else pairs.set(a > 0 ? A[a - 1].index : B[-a - 1].index, params[k].name);
  });
  const ambiguous: Ambiguity[] = [];
  if (uncertainNames.length > 0) {
    const paired = new Set(pairs.keys());
    const indices = [...A, ...B].map((s) => s.index).filter((i) => !paired.has(i));
    // group the uncertain ones by shape, so that the report says which can be confused with which
    const byShape = new Map<string, { indices: number[]; names: string[]; shape: readonly number[] | null }>();
    for (const k of uncertainNames) {
      const key = shapeText(params[k].shape);
      const e = byShape.get(key) ?? { indices: [], names: [], shape: params[k].shape };
      e.names.push(params[k].name);
      byShape.set(key, e);
    }
    for (const i of indices) {
      const sh = input.stateShapes.get(i) ?? null;
      const e = byShape.get(shapeText(sh)) ?? byShape.values().next().value;
      e?.indices.push(i);
    }
    for (const e of byShape.values()) ambiguous.push({ ...e, reason: `${e.names.length} parameters of shape ${shapeText(e.shape)} fit these indices in more than one way, even in the model's order with HF's decay rule` });
  }
  const notes = [
    groups.length === 2
      ? `paired by HF Trainer's order (decay group, then no-decay group, each in named_parameters() order), taken from ${label}; every shape checked`
      : groups.length === 1
        ? `paired in ${label} (one param group: model.parameters()); every shape checked`
        : `paired in ${label}, the ${groups.length} param groups taken one after the other; every shape checked`,
  ];
  if (ruleNote !== null) notes.push(ruleNote);
  if (K > 0) notes.push(`${K} tensor${K === 1 ? '' : 's'} of the weights file belong to no param group`);
  return { method: 'order', pairs, ambiguous, withoutState, notes };
}

/**
 * The interleavings of two lanes of slots (and K skipped names) along the names that fit the shapes, with
 * the least total cost: per name, the actions it takes on those optimal interleavings (1 + i: slot i of
 * lane A; −1 − j: slot j of lane B; 0: skipped). Null when none fits.
 */
function interleavings(
  params: readonly ParamCandidate[], A: Slot[], B: Slot[], K: number, cost: (k: number, lane: number) => number,
): { actions: Array<Set<number>>; best: number } | null {
  const N = params.length, sA = A.length, sB = B.length;
  const states = (sA + 1) * (sB + 1) * (K + 1);
  const at = (i: number, j: number, s: number): number => (i * (sB + 1) + j) * (K + 1) + s;
  const INF = 0x3fffffff;
  const fc = new Int32Array(states).fill(INF);
  const bc = new Int32Array(states).fill(INF);
  // transitions from state (i, j, s), which names k = i + j + s: [target state, cost, action] triples
  const moves = (i: number, j: number, s: number, out: number[]): number => {
    const k = i + j + s;
    let m = 0;
    if (k >= N) return 0;
    const sh = params[k].shape;
    if (i < sA && sameShape(sh, A[i].shape)) { out[m++] = at(i + 1, j, s); out[m++] = cost(k, 0); out[m++] = 1 + i; }
    if (j < sB && sameShape(sh, B[j].shape)) { out[m++] = at(i, j + 1, s); out[m++] = cost(k, 1); out[m++] = -1 - j; }
    if (s < K) { out[m++] = at(i, j, s + 1); out[m++] = 0; out[m++] = 0; }
    return m / 3;
  };
  const buf: number[] = [];
  const each = (f: (i: number, j: number, s: number) => void, reverse: boolean): void => {
    for (let kk = 0; kk <= N; kk++) {
      const k = reverse ? N - kk : kk;
      for (let i = Math.min(sA, k); i >= 0; i--) {
        for (let j = Math.min(sB, k - i); j >= 0; j--) {
          const s = k - i - j;
          if (s > K) break;
          f(i, j, s);
        }
      }
    }
  };
  fc[0] = 0;
  each((i, j, s) => {
    const x = at(i, j, s);
    if (fc[x] === INF) return;
    const n = moves(i, j, s, buf);
    for (let q = 0; q < n; q++) {
      const y = buf[3 * q], c = fc[x] + buf[3 * q + 1];
      if (c < fc[y]) fc[y] = c;
    }
  }, false);
  const end = at(sA, sB, K);
  if (fc[end] === INF) return null;
  bc[end] = 0;
  each((i, j, s) => {
    const x = at(i, j, s);
    const n = moves(i, j, s, buf);
    for (let q = 0; q < n; q++) {
      const y = buf[3 * q];
      if (bc[y] === INF) continue;
      const c = bc[y] + buf[3 * q + 1];
      if (c < bc[x]) bc[x] = c;
    }
  }, true);
  const best = fc[end];
  const actions: Array<Set<number>> = params.map(() => new Set<number>());
  each((i, j, s) => {
    const x = at(i, j, s);
    if (fc[x] === INF || bc[x] === INF || fc[x] + bc[x] !== best) return;
    const n = moves(i, j, s, buf);
    for (let q = 0; q < n; q++) {
      const y = buf[3 * q];
      if (bc[y] !== INF && fc[x] + buf[3 * q + 1] + bc[y] === best) actions[i + j + s].add(buf[3 * q + 2]);
    }
  }, false);
  return { actions, best };
}

/** Shapes alone (order unknown): a parameter is certain when it is the only one of its shape in its group. */
function byShapes(input: MappingInput): Partial {
  const { params, groups } = input;
  const pairs = new Map<number, string>();
  const ambiguous: Ambiguity[] = [];
  const withoutState: string[] = [];
  const notes: string[] = [];
  // which group is HF's decay group, which the no-decay one
  let decayGroup = -1, noDecayGroup = -1;
  if (groups.length === 2) {
    const [w0, w1] = [groups[0].weightDecay, groups[1].weightDecay];
    if (w0 > 0 && w1 === 0) { decayGroup = groups[0].index; noDecayGroup = groups[1].index; }
    else if (w1 > 0 && w0 === 0) { decayGroup = groups[1].index; noDecayGroup = groups[0].index; }
  }
  // per shape: the slots of each group, and the names
  const byShape = new Map<string, { shape: readonly number[]; slots: Map<number, number[]>; names: string[] }>();
  const unknown: number[] = [];
  for (const g of groups) {
    for (const index of g.params) {
      const sh = input.stateShapes.get(index) ?? null;
      if (sh === null) { unknown.push(index); continue; }
      const key = shapeText(sh);
      const e = byShape.get(key) ?? { shape: sh, slots: new Map(), names: [] };
      e.slots.set(g.index, [...(e.slots.get(g.index) ?? []), index]);
      byShape.set(key, e);
    }
  }
  for (const p of params) {
    const e = byShape.get(shapeText(p.shape));
    if (e) e.names.push(p.name);
    else withoutState.push(p.name);
  }
  for (const [key, e] of byShape) {
    const slotCount = [...e.slots.values()].reduce((a, s) => a + s.length, 0);
    const all = [...e.slots.values()].flat();
    if (e.names.length < slotCount) {
      ambiguous.push({ indices: all, names: e.names, shape: e.shape, reason: `${slotCount} optimizer states of shape ${key} but ${e.names.length} tensors of that shape in the weights` });
      continue;
    }
    // split the names between the groups: one group, or HF's rule when it matches the counts
    let split: Map<number, string[]> | null = null;
    if (e.slots.size === 1 && e.names.length === slotCount) split = new Map([[[...e.slots.keys()][0], e.names]]);
    else if (e.slots.size === 2 && decayGroup >= 0 && e.names.length === slotCount) {
      const nd = e.names.filter((n) => hfNoDecay(n, e.shape));
      const d = e.names.filter((n) => !hfNoDecay(n, e.shape));
      if (nd.length === (e.slots.get(noDecayGroup)?.length ?? 0) && d.length === (e.slots.get(decayGroup)?.length ?? 0)) split = new Map([[decayGroup, d], [noDecayGroup, nd]]);
    }
    if (split === null) {
      ambiguous.push({ indices: all, names: e.names, shape: e.shape, reason: e.names.length > slotCount ? `${e.names.length} tensors of shape ${key} for ${slotCount} optimizer states: which have none is unknown` : `tensors of shape ${key} in ${e.slots.size} param groups that HF's decay rule does not separate` });
      continue;
    }
    for (const [g, names] of split) {
      const slots = e.slots.get(g) ?? [];
      if (slots.length === 1 && names.length === 1) pairs.set(slots[0], names[0]);
      else ambiguous.push({ indices: slots, names, shape: e.shape, reason: `${names.length} parameters of shape ${key} in param group ${g}, in an order the weights file does not give` });
    }
  }
  if (unknown.length > 0) ambiguous.push({ indices: unknown, names: [], shape: null, reason: 'optimizer indices without state (their shapes are unknown)' });
  notes.push(input.orderKnown
    ? 'paired by shapes alone: a parameter is certain when it is the only one of its shape in its param group'
    : 'the weights file lists its tensors sorted by name, not in the model\'s named_parameters() order, so only shapes pair parameters: a parameter is certain when it is the only one of its shape in its param group (--param-names gives the order)');
  return { method: 'shapes', pairs, ambiguous, withoutState, notes };
}

/**
 * Parses a `--param-names` file: the model's parameter names in `named_parameters()` order, one per line
 * (blank lines and lines starting with # ignored), or a JSON array of strings.
 */
export function parseParamNames(text: string, file: string): string[] {
  const t = text.trim();
  let names: unknown;
  if (t.startsWith('[')) {
    try {
      names = JSON.parse(t);
    } catch (e) {
      throw new Error(`${file}: expected a JSON array of parameter names or one name per line, got invalid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error(`${file}: expected a JSON array of strings, got ${describeValue(names)}`);
  } else {
    names = t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  }
  const list = names as string[];
  if (list.length === 0) throw new Error(`${file}: expected parameter names (named_parameters() order), got none`);
  if (new Set(list).size !== list.length) throw new Error(`${file}: a parameter name appears twice`);
  return list;
}
