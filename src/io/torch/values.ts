// The inert values a PyTorch file's pickle becomes (what `TorchFile.objects` holds): plain JavaScript
// values for Python's plain ones, Maps for dicts (keys stay data: `__proto__` is a key like any other),
// and a few small classes for what has no JavaScript twin (a tensor, a storage, a Python global used as
// a value, an instance of an allowlisted data class, a complex number). Plus the two ways callers reach
// into the tree: `valueAt` (by the dotted path that tensor names use, or by exact keys) and
// `toJsonValue` (a JSON-ready copy).
import { describeValue } from '../../core/describe.js';
import type { TensorDType } from '../elements.js';

/**
 * A Python value read from a pickle, as lowp/io represents it. Nothing in it is executable.
 *
 * | Python | JavaScript |
 * | --- | --- |
 * | `None`, `True`/`False`, `str` | `null`, `boolean`, `string` |
 * | `int` | `number` (safe integers), else `bigint` |
 * | `float` | `number` |
 * | `bytes`, `bytearray` | `Uint8Array` |
 * | `list`, `tuple`, `torch.Size` | array |
 * | `dict`, `OrderedDict`, `Counter`, Lightning's `AttributeDict` | `Map` (keys in insertion order) |
 * | `set`, `frozenset` | `Set` |
 * | `complex` | {@link PyComplex} |
 * | `torch.device` | its string (`'cuda:0'`) |
 * | a tensor or `nn.Parameter` | {@link TorchTensorRef} |
 * | a tensor lowp does not read (complex, quantized, sparse, meta) | {@link TorchUnsupportedTensor} |
 * | a storage outside a tensor | {@link TorchStorageRef} |
 * | a dtype or other allowlisted global used as a value | {@link PyGlobal} |
 * | an instance of an allowlisted data class (`argparse.Namespace`) | {@link PyObject} |
 *
 * @example
 * ```ts
 * const groups = file.value('param_groups') as PyValue[];
 * const lr = (groups[0] as Map<PyValue, PyValue>).get('lr'); // 1.1e-5
 * ```
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyComplex
  | PyGlobal
  | PyObject
  | TorchTensorRef
  | TorchUnsupportedTensor
  | TorchStorageRef;

/**
 * A Python global (`module.name`) that appears as a value, e.g. a dtype (`torch.float32`) in a dict.
 *
 * @example
 * ```ts
 * const g = new PyGlobal('torch', 'float32');
 * g.toString(); // 'torch.float32'
 * ```
 */
export class PyGlobal {
  /**
   * @param module - the module (`torch`)
   * @param name - the name in it (`float32`)
   */
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  /** `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }

  /** For messages. */
  describe(): string {
    return `the global ${this.toString()}`;
  }
}

/**
 * A Python complex number.
 *
 * @example
 * ```ts
 * new PyComplex(1, -2).toString(); // '(1-2j)'
 * ```
 */
export class PyComplex {
  /**
   * @param real - real part
   * @param imag - imaginary part
   */
  constructor(
    readonly real: number,
    readonly imag: number,
  ) {}

  /** Python's notation. */
  toString(): string {
    return `(${this.real}${this.imag < 0 || Object.is(this.imag, -0) ? '-' : '+'}${Math.abs(this.imag)}j)`;
  }
}

/**
 * An instance of an allowlisted data-only class (such as `argparse.Namespace`): its class name and its
 * attributes, nothing else (no method can run).
 *
 * @example
 * ```ts
 * const hp = file.value('hyper_parameters.args');
 * if (hp instanceof PyObject) console.log(hp.className, hp.state.get('lr'));
 * ```
 */
export class PyObject {
  /** The attributes (`__dict__`), in pickle order. */
  readonly state: Map<PyValue, PyValue> = new Map();

  /**
   * @param className - `module.name` of the class
   */
  constructor(readonly className: string) {}

  /** For messages. */
  describe(): string {
    return `an instance of ${this.className}`;
  }
}

/**
 * A storage (a flat run of elements in the file) as a pickle refers to it: `data/<key>` in a zip
 * archive, or the storage of that key in a legacy file.
 *
 * @example
 * ```ts
 * for (const s of file.storages.values()) console.log(s.key, s.torchDtype, s.elements);
 * ```
 */
export class TorchStorageRef {
  /**
   * @param key - the storage's key (`'0'`, `'1'`... in a zip archive)
   * @param torchDtype - torch's dtype name of its elements (`'float32'`; `'uint8'` for an untyped storage)
   * @param elementSize - bytes per element
   * @param elements - elements as declared in the pickle
   * @param location - the device it was saved from (`'cpu'`, `'cuda:0'`)
   * @param untyped - whether the pickle names `UntypedStorage` (counted in bytes)
   * @param viewOffset - for a legacy storage view, its first element in the root storage
   */
  constructor(
    readonly key: string,
    readonly torchDtype: string,
    readonly elementSize: number,
    readonly elements: number,
    readonly location: string,
    readonly untyped: boolean,
    readonly viewOffset = 0,
  ) {}

  /** For messages. */
  describe(): string {
    return `the storage '${this.key}'`;
  }
}

/**
 * A tensor in the value tree: where its elements are (a view of a storage) and the names under which
 * {@link TorchFile} lists it (more than one for tied weights). Read it with `file.tensor(ref.names[0])`.
 *
 * @example
 * ```ts
 * const state = file.value('state') as Map<PyValue, PyValue>;
 * const expAvg = (state.get(0) as Map<PyValue, PyValue>).get('exp_avg') as TorchTensorRef;
 * const values = await file.readFloat(expAvg.names[0]);
 * ```
 */
export class TorchTensorRef {
  /** The names of this tensor in the reader (every path that reaches it; filled when the file opens). */
  readonly names: string[] = [];

  /**
   * @param storage - the storage it views
   * @param torchDtype - torch's dtype name (`'bfloat16'`)
   * @param dtype - lowp's element type (`'BF16'`)
   * @param shape - sizes, row-major
   * @param strides - strides in elements
   * @param storageOffset - first element in the storage
   * @param requiresGrad - `requires_grad` as saved
   * @param parameter - whether it was saved as an `nn.Parameter`
   */
  constructor(
    readonly storage: TorchStorageRef,
    readonly torchDtype: string,
    readonly dtype: TensorDType,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly storageOffset: number,
    readonly requiresGrad: boolean,
    public parameter: boolean,
  ) {}

  /** For messages. */
  describe(): string {
    return `a ${this.torchDtype} tensor of shape [${this.shape.join(', ')}]`;
  }
}

/**
 * A tensor that lowp/io lists but does not read (complex, quantized, sparse, meta, or of a dtype lowp
 * has no element type for), with what it is and why it is not read.
 *
 * @example
 * ```ts
 * for (const u of file.unsupported) console.log(`${u.name}: ${u.what} (${u.reason})`);
 * ```
 */
export class TorchUnsupportedTensor {
  /** The names under which the file holds it (filled when the file opens). */
  readonly names: string[] = [];

  /**
   * @param what - what it is (`'complex64 tensor'`, `'quantized tensor'`)
   * @param reason - why lowp does not read it
   * @param shape - its sizes when known
   */
  constructor(
    readonly what: string,
    readonly reason: string,
    readonly shape: readonly number[] | undefined,
  ) {}

  /** For messages. */
  describe(): string {
    return `a ${this.what}`;
  }
}

/** Whether a value is a container the flattening descends into. */
export function isContainer(v: unknown): v is PyValue[] | Map<PyValue, PyValue> | Set<PyValue> | PyObject {
  return Array.isArray(v) || v instanceof Map || v instanceof Set || v instanceof PyObject;
}

/**
 * The text of a dict key or list index in a dotted name: strings as they are, integers in decimal,
 * `True`/`False`/`None` as Python writes them, bytes as latin-1 text, tuples as `(a, b)`.
 *
 * @example
 * ```ts
 * keyText(0); // '0'
 * keyText('exp_avg'); // 'exp_avg'
 * ```
 */
export function keyText(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (k instanceof Uint8Array) return String.fromCharCode(...k.subarray(0, 256));
  if (Array.isArray(k)) return `(${k.slice(0, 16).map(keyText).join(', ')})`;
  if (k instanceof PyGlobal || k instanceof PyComplex) return k.toString();
  return '?';
}

/** The children of a container: [key, value] pairs, keys as in Python (list indices as numbers). */
export function childrenOf(v: PyValue[] | Map<PyValue, PyValue> | Set<PyValue> | PyObject): Iterable<[PyValue, PyValue]> {
  if (Array.isArray(v)) return v.map((x, i): [PyValue, PyValue] => [i, x]);
  if (v instanceof Map) return v.entries();
  if (v instanceof Set) return [...v].map((x, i): [PyValue, PyValue] => [i, x]);
  return v.state.entries();
}

/**
 * The value at `path` in a value tree, or `undefined` when nothing is there. A string path is the
 * dotted form that tensor names use (`'optimizer_states.0.param_groups.0.lr'`; dict keys that contain
 * dots themselves, such as the names in a state dict, are matched whole: `'state_dict.model.layer.weight'`);
 * an array path gives each key exactly (strings, numbers for list indices and integer keys). `''` or
 * `[]` is the root.
 *
 * @example
 * ```ts
 * valueAt(root, 'param_groups.0.lr');            // 1.1e-5
 * valueAt(root, ['state', 0, 'exp_avg']);        // a TorchTensorRef
 * ```
 */
export function valueAt(root: PyValue, path: string | readonly (string | number | bigint)[]): PyValue | undefined {
  if (Array.isArray(path)) return valueAtKeys(root, path as readonly (string | number | bigint)[]);
  if (typeof path !== 'string') throw new TypeError(`expected a path as a dotted string or an array of keys, got ${describeValue(path)}`);
  if (path === '') return root;
  // depth-first over the ways the dotted text can split into keys (a key may contain dots): exact keys
  // first, then longer keys before shorter ones; the tree's depth is bounded when the file opens
  const work: Array<[PyValue, number]> = [[root, 0]];
  let steps = 0;
  while (work.length > 0) {
    const [node, at] = work.pop()!;
    if (++steps > 1_000_000) return undefined;
    if (at === path.length) return node;
    if (!isContainer(node)) continue;
    const rest = path.slice(at);
    const matches: Array<[number, PyValue]> = [];
    if (Array.isArray(node) || node instanceof Set) {
      const seg = rest.split('.', 1)[0];
      if (/^(0|[1-9]\d*)$/.test(seg)) {
        const i = Number(seg);
        const items = Array.isArray(node) ? node : [...node];
        if (i < items.length) matches.push([seg.length, items[i]]);
      }
    } else {
      const entries = node instanceof Map ? node : node.state;
      for (const [k, v] of entries) {
        const t = keyText(k);
        if (rest === t || rest.startsWith(t + '.')) matches.push([t.length, v]);
      }
    }
    // pushed shortest first so that the longest key is tried first
    matches.sort((a, b) => a[0] - b[0]);
    for (const [len, v] of matches) {
      const next = at + len;
      work.push([v, next === path.length ? next : next + 1]);
    }
  }
  return undefined;
}

function valueAtKeys(root: PyValue, keys: readonly (string | number | bigint)[]): PyValue | undefined {
  let node: PyValue | undefined = root;
  for (const k of keys) {
    if (node === undefined || !isContainer(node)) return undefined;
    if (Array.isArray(node) || node instanceof Set) {
      const items: PyValue[] = Array.isArray(node) ? node : [...node];
      const i = typeof k === 'number' ? k : typeof k === 'string' && /^(0|[1-9]\d*)$/.test(k) ? Number(k) : -1;
      node = Number.isInteger(i) && i >= 0 && i < items.length ? items[i] : undefined;
    } else {
      const entries: Map<PyValue, PyValue> = node instanceof Map ? node : node.state;
      node = entries.has(k) ? entries.get(k) : typeof k === 'bigint' && entries.has(Number(k)) ? entries.get(Number(k)) : undefined;
    }
  }
  return node;
}

/**
 * A JSON-ready copy of a value: Maps become objects (keys as {@link keyText}; the objects have no
 * prototype, so a `__proto__` key is an own property), Sets and arrays become arrays, bigints and
 * non-finite floats become strings, bytes become `{ bytes: <base64> }`, tensors become
 * `{ tensor: name, dtype, shape }`, other objects `{ global }`, `{ class, state }`, `{ complex: [re, im] }`,
 * `{ storage, dtype, elements }` or `{ unsupported, reason }`. Shared sub-trees are copied where they
 * appear, up to `maxNodes` values in all (a `RangeError` past it: a pickle can share one list many times
 * over). Iterative: no recursion on the tree's depth.
 *
 * @example
 * ```ts
 * JSON.stringify(toJsonValue(file.value('param_groups')));
 * ```
 */
export function toJsonValue(value: PyValue, maxNodes = 10_000_000): unknown {
  let nodes = 0;
  const leaf = (v: PyValue): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return { bytes: base64(v) };
    if (v instanceof TorchTensorRef) return { tensor: v.names[0] ?? null, dtype: v.dtype, shape: [...v.shape] };
    if (v instanceof TorchUnsupportedTensor) return { unsupported: v.what, reason: v.reason, names: [...v.names] };
    if (v instanceof TorchStorageRef) return { storage: v.key, dtype: v.torchDtype, elements: v.elements };
    if (v instanceof PyGlobal) return { global: v.toString() };
    if (v instanceof PyComplex) return { complex: [v.real, v.imag] };
    return null;
  };
  const make = (v: PyValue): unknown => {
    if (v instanceof Map) return Object.create(null) as Record<string, unknown>;
    if (v instanceof PyObject) return Object.assign(Object.create(null) as Record<string, unknown>, { class: v.className, state: Object.create(null) });
    if (Array.isArray(v) || v instanceof Set) return [];
    return leaf(v);
  };
  const out = make(value);
  const work: Array<[PyValue, unknown]> = [[value, out]];
  while (work.length > 0) {
    const [v, o] = work.pop()!;
    if (!isContainer(v)) continue;
    const target = (v instanceof PyObject ? (o as { state: unknown }).state : o) as Record<string, unknown> | unknown[];
    for (const [k, child] of childrenOf(v)) {
      if (++nodes > maxNodes) throw new RangeError(`expected a value of at most ${maxNodes} parts (maxNodes), got more`);
      const c = make(child);
      if (Array.isArray(target)) target.push(c);
      else target[keyText(k)] = c;
      if (isContainer(child)) work.push([child, c]);
    }
  }
  return out;
}

function base64(b: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += A[(n >> 18) & 63] + A[(n >> 12) & 63] + (i + 1 < b.length ? A[(n >> 6) & 63] : '=') + (i + 2 < b.length ? A[n & 63] : '=');
  }
  return s;
}
