// Tensor names of a torch.save file: the paths from the root of its value tree to each tensor, keys
// joined with '.' (`model.layers.0.weight` in a state dict, `optimizer_states.0.state.0.exp_avg` in a
// Lightning checkpoint, `0` for the first tensor of a list). A tensor reached by two paths (tied
// weights) gets both names. Two passes, both iterative (no recursion on the tree's depth): the first
// checks the tree (depth bounded, no container inside itself) and marks the containers that hold
// tensors; the second walks only those, so a large dict without tensors is visited once however often
// the pickle shares it, and the names are bounded in number.
import { TorchError } from '../errors.js';
import { childrenOf, isContainer, keyText, TorchTensorRef, TorchUnsupportedTensor, type PyValue } from './values.js';

/** Limits of {@link tensorPaths}. */
export interface NameLimits {
  /** Deepest nesting of containers (the root is depth 0). */
  maxDepth: number;
  /** Most tensor names. */
  maxTensors: number;
}

/** A tensor (or an unsupported tensor) and one of its names. */
export interface NamedRef {
  /** Its dotted name (unique in the file; a repeated name gets `#2`, `#3`...). */
  name: string;
  /** The tensor. */
  ref: TorchTensorRef | TorchUnsupportedTensor;
}

/** The name of a tensor that is the whole file (`torch.save(tensor)`). */
export const ROOT_TENSOR_NAME = 'tensor';

type Container = PyValue[] | Map<PyValue, PyValue> | Set<PyValue>;
type Done = { height: number; tensorChildren: Array<[PyValue, PyValue]> | undefined };

const isTensor = (v: unknown): v is TorchTensorRef | TorchUnsupportedTensor => v instanceof TorchTensorRef || v instanceof TorchUnsupportedTensor;

/**
 * Every path from `root` to a tensor, in the order of the pickle (dict insertion order, list order),
 * with the tensor at its end. Refuses (TorchError) a tree deeper than `maxDepth` (`LIMIT`), a container
 * that contains itself (`PICKLE`) and more than `maxTensors` names (`LIMIT`).
 */
export function tensorPaths(root: PyValue, limits: NameLimits, file?: string): NamedRef[] {
  if (isTensor(root)) return [{ name: ROOT_TENSOR_NAME, ref: root }];
  if (!isContainer(root)) return [];
  // pass 1: heights, cycles, and which children of each container lead to tensors
  const done = new Map<object, Done>();
  const onPath = new Set<object>();
  interface Frame { node: Container; entries: Array<[PyValue, PyValue]>; i: number; depth: number; height: number; tensorChildren: Array<[PyValue, PyValue]> | undefined }
  const frame = (node: Container, depth: number): Frame => ({ node, entries: [...childrenOf(node)], i: 0, depth, height: 0, tensorChildren: undefined });
  const tooDeep = (): never => {
    throw new TorchError('LIMIT', `expected containers nested at most ${limits.maxDepth} deep, got deeper nesting`, file);
  };
  const stack: Frame[] = [frame(root as Container, 0)];
  onPath.add(root as object);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.i < f.entries.length) {
      const entry = f.entries[f.i++];
      const c = entry[1];
      if (isTensor(c)) {
        (f.tensorChildren ??= []).push(entry);
        continue;
      }
      if (!isContainer(c)) continue;
      if (onPath.has(c as object)) throw new TorchError('PICKLE', 'expected a tree of values, got a container that contains itself', file);
      const seen = done.get(c as object);
      if (seen !== undefined) {
        if (f.depth + 1 + seen.height > limits.maxDepth) tooDeep();
        f.height = Math.max(f.height, seen.height + 1);
        if (seen.tensorChildren !== undefined) (f.tensorChildren ??= []).push(entry);
        continue;
      }
      if (f.depth + 1 > limits.maxDepth) tooDeep();
      onPath.add(c as object);
      stack.push(frame(c as Container, f.depth + 1));
      continue;
    }
    stack.pop();
    onPath.delete(f.node);
    done.set(f.node, { height: f.height, tensorChildren: f.tensorChildren });
    const parent = stack[stack.length - 1];
    if (parent !== undefined) {
      parent.height = Math.max(parent.height, f.height + 1);
      if (f.tensorChildren !== undefined) (parent.tensorChildren ??= []).push(parent.entries[parent.i - 1]);
    }
  }
  // pass 2: names, depth first in pickle order, walking only the children that lead to tensors
  const out: NamedRef[] = [];
  const used = new Set<string>();
  const nextSuffix = new Map<string, number>();
  const work: Array<{ children: Array<[PyValue, PyValue]>; prefix: string | undefined; i: number }> = [
    { children: done.get(root as object)!.tensorChildren ?? [], prefix: undefined, i: 0 },
  ];
  while (work.length > 0) {
    const f = work[work.length - 1];
    if (f.i >= f.children.length) {
      work.pop();
      continue;
    }
    const [k, v] = f.children[f.i++];
    const name = f.prefix === undefined ? keyText(k) : `${f.prefix}.${keyText(k)}`;
    if (!isTensor(v)) {
      work.push({ children: done.get(v as object)!.tensorChildren ?? [], prefix: name, i: 0 });
      continue;
    }
    let unique = name;
    if (used.has(name)) {
      let n = nextSuffix.get(name) ?? 2;
      while (used.has(`${name}#${n}`)) n++;
      nextSuffix.set(name, n + 1);
      unique = `${name}#${n}`;
    }
    used.add(unique);
    out.push({ name: unique, ref: v });
    if (out.length > limits.maxTensors) throw new TorchError('LIMIT', `expected at most ${limits.maxTensors} tensor names, got more`, file);
  }
  return out;
}
