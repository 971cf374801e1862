// What the allowlisted globals of a torch.save pickle stand for: the hooks the restricted unpickler
// calls on GLOBAL, REDUCE, NEWOBJ, BUILD and persistent ids, each building an inert value. Tensors
// (`_rebuild_tensor`, `_v2`, `_v3`, `_rebuild_parameter`, `_rebuild_from_type_v2`) become
// TorchTensorRefs after their view is checked against the storage it names (offset, sizes, strides inside
// the storage's declared elements); persistent ids become TorchStorageRefs, one per key, and a key
// declared twice with different types or sizes is refused; OrderedDict, Counter, set, bytes, torch.Size,
// torch.device and the data-only classes become plain values. Anything else is refused.
// Reference: torch/_utils.py (`_rebuild_tensor_v2/v3`, `_rebuild_parameter`), torch/_tensor.py
// (`_rebuild_from_type_v2`), torch/serialization.py (`persistent_load` of both formats).
import { TorchError, type TorchErrorCode } from '../errors.js';
import { AllowedGlobal, resolveGlobal } from './allowlist.js';
import { TORCH_DTYPES } from './dtypes.js';
import { kindOf, type PickleContainers, type PickleHooks } from './pickle.js';
import { PyComplex, PyObject, TorchStorageRef, TorchTensorRef, TorchUnsupportedTensor, type PyValue } from './values.js';

/** Most dimensions of a tensor (torch allows 64). */
export const MAX_DIMS = 64;

/** What the hooks of one file share: the format, the storages declared so far, the containers' marks. */
export interface RebuildContext {
  /** 'zip' (persistent ids of 5 items) or 'legacy' (6 items, with a storage view). */
  readonly format: 'zip' | 'legacy';
  /** The file's name for messages. */
  readonly file: string | undefined;
  /** Root storages by key, as the pickle declares them. */
  readonly storages: Map<string, TorchStorageRef>;
  /** Tuples and frozensets of this run. */
  readonly containers: PickleContainers;
}

/**
 * A fresh {@link RebuildContext}.
 *
 * @example
 * ```ts
 * const ctx = rebuildContext('zip', 'model.pt');
 * ```
 */
export function rebuildContext(format: 'zip' | 'legacy', file: string | undefined): RebuildContext {
  return { format, file, storages: new Map(), containers: { tuples: new WeakSet(), frozen: new WeakSet() } };
}

/** The unpickler hooks of a torch.save pickle (the allowlist and the inert values it builds). */
export function torchHooks(ctx: RebuildContext): PickleHooks {
  const fail = (code: TorchErrorCode, message: string): never => {
    throw new TorchError(code, message, ctx.file);
  };
  const what = (v: unknown): string => kindOf(v, ctx.containers);
  const isTuple = (v: unknown): v is unknown[] => Array.isArray(v);

  const intArg = (v: unknown, label: string): number => {
    if (typeof v === 'bigint') fail('TOO_LARGE', `expected ${label} to be at most 2^53 - 1, got ${v}`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('PICKLE', `expected ${label} to be a non-negative int, got ${what(v)}`);
    return v as number;
  };
  const intsArg = (v: unknown, label: string): number[] => {
    if (!isTuple(v)) fail('PICKLE', `expected ${label} to be a tuple of ints, got ${what(v)}`);
    const a = v as unknown[];
    if (a.length > MAX_DIMS) fail('VIEW', `expected at most ${MAX_DIMS} dimensions in ${label}, got ${a.length}`);
    return a.map((x, i) => intArg(x, `${label}[${i}]`));
  };

  const persistentLoad = (pid: unknown): TorchStorageRef => {
    if (!isTuple(pid)) fail('PICKLE', `expected a persistent id tuple ('storage', ...), got ${what(pid)}`);
    const p = pid as unknown[];
    const tag = p[0] instanceof Uint8Array ? (p[0].length === 7 ? String.fromCharCode(...p[0]) : '') : p[0];
    if (tag !== 'storage') fail('PICKLE', `expected a persistent id of a storage ('storage', ...), got one of ${what(p[0])} (only storages can be loaded)`);
    const want = ctx.format === 'zip' ? 5 : 6;
    if (p.length !== want) fail('PICKLE', `expected a storage persistent id of ${want} items in a ${ctx.format} file, got ${p.length}`);
    const cls = p[1];
    if (!(cls instanceof AllowedGlobal) || cls.spec.kind !== 'storage-class') fail('PICKLE', `expected a storage class in a persistent id, got ${what(cls)}`);
    const spec = (cls as AllowedGlobal).spec as { torchDtype: string; untyped: boolean };
    const key = p[2];
    if (typeof key !== 'string' || key === '' || key.length > 1024) fail('PICKLE', `expected a storage key (a non-empty string), got ${what(key)}`);
    const location = typeof p[3] === 'string' ? p[3] : p[3] instanceof Uint8Array ? String.fromCharCode(...p[3].subarray(0, 64)) : fail('PICKLE', `expected a storage location string, got ${what(p[3])}`);
    const elements = intArg(p[4], `the element count of storage '${key}'`);
    const info = TORCH_DTYPES.get(spec.torchDtype)!;
    let root = ctx.storages.get(key as string);
    if (root === undefined) {
      root = new TorchStorageRef(key as string, info.torch, info.size, elements, location, spec.untyped);
      ctx.storages.set(key as string, root);
    } else if (root.torchDtype !== info.torch || root.elements !== elements || root.untyped !== spec.untyped) {
      fail('STORAGE', `expected storage '${key}' to be declared once, got ${root.elements} × ${root.torchDtype} and ${elements} × ${info.torch}`);
    }
    if (ctx.format === 'zip' || p[5] === null) return root;
    // a legacy storage view: (view key, offset, size) in elements of the root storage
    const vm = p[5];
    if (!isTuple(vm) || vm.length !== 3 || typeof vm[0] !== 'string') fail('PICKLE', `expected a storage view (key, offset, size) or None, got ${what(vm)}`);
    const v = vm as unknown[];
    const offset = intArg(v[1], 'a storage view offset');
    const size = intArg(v[2], 'a storage view size');
    if (offset + size > root.elements) fail('VIEW', `expected storage view '${v[0]}' inside storage '${key}' of ${root.elements} elements, got elements ${offset} to ${offset + size}`);
    return new TorchStorageRef(root.key, root.torchDtype, root.elementSize, size, root.location, root.untyped, offset);
  };

  /** Checks a view of `storage` and returns the tensor (or the unsupported tensor) it is. */
  const tensorOf = (storageArg: unknown, offsetArg: unknown, sizeArg: unknown, strideArg: unknown, requiresGrad: unknown, dtypeArg: AllowedGlobal | undefined): TorchTensorRef | TorchUnsupportedTensor => {
    if (!(storageArg instanceof TorchStorageRef)) fail('PICKLE', `expected a storage as a tensor's first argument, got ${what(storageArg)}`);
    const storage = storageArg as TorchStorageRef;
    let torchDtype = storage.torchDtype;
    if (dtypeArg !== undefined) torchDtype = (dtypeArg.spec as { torchDtype: string }).torchDtype;
    else if (storage.untyped) fail('PICKLE', `expected a typed storage for _rebuild_tensor_v2, got an UntypedStorage ('${storage.key}') without a dtype`);
    const info = TORCH_DTYPES.get(torchDtype)!;
    const offset = intArg(offsetArg, 'a storage offset');
    const shape = intsArg(sizeArg, 'a tensor size');
    const strides = intsArg(strideArg, 'a tensor stride');
    if (strides.length !== shape.length) fail('VIEW', `expected as many strides as sizes, got sizes [${shape.join(', ')}] and strides [${strides.join(', ')}]`);
    if (requiresGrad !== undefined && typeof requiresGrad !== 'boolean') fail('PICKLE', `expected requires_grad to be a bool, got ${what(requiresGrad)}`);
    let elements = 1n;
    let reach = BigInt(offset);
    for (let i = 0; i < shape.length; i++) {
      elements *= BigInt(shape[i]);
      if (shape[i] > 0) reach += BigInt(shape[i] - 1) * BigInt(strides[i]);
    }
    if (elements > BigInt(Number.MAX_SAFE_INTEGER)) fail('TOO_LARGE', `expected at most 2^53 - 1 elements, got sizes [${shape.join(', ')}]`);
    // the view's last element (or, when empty, its offset) must lie in the storage's declared bytes
    const storageBytes = BigInt(storage.elements) * BigInt(storage.elementSize);
    const end = (elements > 0n ? reach + 1n : BigInt(offset)) * BigInt(info.size);
    if (end > storageBytes) {
      fail('VIEW', `expected a view inside its storage '${storage.key}' (${storage.elements} × ${storage.torchDtype}), got offset ${offset}, sizes [${shape.join(', ')}] and strides [${strides.join(', ')}] reaching byte ${end}`);
    }
    if (info.dtype === undefined) return new TorchUnsupportedTensor(`${torchDtype} tensor`, info.unsupported ?? 'lowp has no element type for it', Object.freeze(shape));
    return new TorchTensorRef(storage, torchDtype, info.dtype, Object.freeze(shape), Object.freeze(strides), offset, requiresGrad === true, false);
  };

  const asTensor = (v: unknown, label: string): TorchTensorRef | TorchUnsupportedTensor => {
    if (!(v instanceof TorchTensorRef) && !(v instanceof TorchUnsupportedTensor)) fail('PICKLE', `expected a tensor as ${label}, got ${what(v)}`);
    return v as TorchTensorRef | TorchUnsupportedTensor;
  };
  const markParameter = (t: TorchTensorRef | TorchUnsupportedTensor): TorchTensorRef | TorchUnsupportedTensor => {
    if (t instanceof TorchTensorRef) t.parameter = true;
    return t;
  };

  const rebuild = (g: AllowedGlobal, args: unknown[], nested: boolean): unknown => {
    const fn = (g.spec as { fn: string }).fn;
    const arity = (min: number, max: number): void => {
      if (args.length < min || args.length > max) fail('PICKLE', `expected ${min === max ? min : `${min} to ${max}`} arguments to ${g}, got ${args.length}`);
    };
    switch (fn) {
      case 'v1':
        arity(4, 4);
        return tensorOf(args[0], args[1], args[2], args[3], undefined, undefined);
      case 'v2':
        arity(6, 7);
        return tensorOf(args[0], args[1], args[2], args[3], args[4], undefined);
      case 'v3': {
        arity(7, 8);
        const dt = args[6];
        if (!(dt instanceof AllowedGlobal) || dt.spec.kind !== 'dtype') fail('PICKLE', `expected a dtype (torch.float32...) as the 7th argument of ${g}, got ${what(dt)}`);
        return tensorOf(args[0], args[1], args[2], args[3], args[4], dt as AllowedGlobal);
      }
      case 'parameter':
      case 'parameter-state':
        arity(fn === 'parameter' ? 3 : 4, fn === 'parameter' ? 3 : 4);
        if (typeof args[1] !== 'boolean') fail('PICKLE', `expected requires_grad to be a bool, got ${what(args[1])}`);
        return markParameter(asTensor(args[0], `the data of ${g}`));
      default: {
        // _rebuild_from_type_v2(func, new_type, args, state): func(*args), seen as new_type
        arity(4, 4);
        const [func, type, inner] = args;
        if (nested || !(func instanceof AllowedGlobal) || (func.spec.kind !== 'rebuild' && func.spec.kind !== 'rebuild-unsupported') || (func.spec.kind === 'rebuild' && func.spec.fn === 'from-type')) {
          fail('PICKLE', `expected a tensor rebuild function as the first argument of ${g}, got ${what(func)}`);
        }
        if (!(type instanceof AllowedGlobal) || type.spec.kind !== 'tensor-type') fail('PICKLE', `expected torch.Tensor or torch.nn.parameter.Parameter as the type in ${g}, got ${what(type)}`);
        if (!isTuple(inner)) fail('PICKLE', `expected an argument tuple in ${g}, got ${what(inner)}`);
        const t = asTensor(call(func as AllowedGlobal, inner as unknown[], true), `the result of ${func}`);
        return (type as AllowedGlobal).spec.kind === 'tensor-type' && ((type as AllowedGlobal).spec as { parameter: boolean }).parameter ? markParameter(t) : t;
      }
    }
  };

  const latin1 = (s: unknown): Uint8Array => {
    if (typeof s !== 'string') fail('PICKLE', `expected a string to encode, got ${what(s)}`);
    const str = s as string;
    const out = new Uint8Array(str.length);
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      if (c > 0xff) fail('PICKLE', `expected latin-1 text to encode as bytes, got the character U+${c.toString(16)}`);
      out[i] = c;
    }
    return out;
  };
  const encodeBytes = (args: unknown[], label: string): Uint8Array => {
    if (args.length === 0) return new Uint8Array(0);
    if (args.length === 1 && args[0] instanceof Uint8Array) return args[0].slice();
    const enc = typeof args[1] === 'string' ? args[1].toLowerCase().replace(/[-_]/g, '') : args[1];
    if (args.length === 2 && (enc === 'latin1' || enc === 'iso88591')) return latin1(args[0]);
    if (args.length === 2 && enc === 'utf8' && typeof args[0] === 'string') return new TextEncoder().encode(args[0]);
    return fail('PICKLE', `expected ${label}(text, 'latin1') or ${label}(bytes), got ${args.length} arguments (${args.map(what).join(', ')})`);
  };
  const mapFrom = (args: unknown[], label: string): Map<unknown, unknown> => {
    if (args.length === 0) return new Map();
    if (args.length === 1 && args[0] instanceof Map) return new Map(args[0]);
    if (args.length === 1 && isTuple(args[0])) {
      const m = new Map();
      for (const pair of args[0] as unknown[]) {
        if (!isTuple(pair) || pair.length !== 2) fail('PICKLE', `expected (key, value) pairs for ${label}, got ${what(pair)}`);
        m.set((pair as unknown[])[0], (pair as unknown[])[1]);
      }
      return m;
    }
    return fail('PICKLE', `expected ${label}() or ${label}(items), got ${args.length} arguments`);
  };

  const builtin = (g: AllowedGlobal, args: unknown[]): unknown => {
    switch ((g.spec as { what: string }).what) {
      case 'OrderedDict':
      case 'Counter':
        return mapFrom(args, String(g));
      case 'set':
      case 'frozenset': {
        if (args.length > 1 || (args.length === 1 && !isTuple(args[0]) && !(args[0] instanceof Set))) fail('PICKLE', `expected ${g}() or ${g}(items), got ${args.map(what).join(', ')}`);
        const s = new Set(args.length === 0 ? [] : (args[0] as Iterable<unknown>));
        if ((g.spec as { what: string }).what === 'frozenset') ctx.containers.frozen.add(s);
        return s;
      }
      case 'bytearray':
      case 'bytes':
      case 'encode':
        return encodeBytes(args, String(g));
      case 'complex': {
        const [re = 0, im = 0] = args;
        if (args.length > 2 || typeof re !== 'number' || typeof im !== 'number') fail('PICKLE', `expected complex(real, imag) with floats, got ${args.map(what).join(', ')}`);
        return new PyComplex(re as number, im as number);
      }
      case 'Size': {
        if (args.length > 1) fail('PICKLE', `expected torch.Size(sizes), got ${args.length} arguments`);
        const sizes = args.length === 0 ? [] : intsArg(args[0], 'torch.Size');
        ctx.containers.tuples.add(sizes);
        return sizes;
      }
      case 'device': {
        const [type, index] = args;
        if (typeof type !== 'string' || args.length > 2 || (index !== undefined && index !== null && typeof index !== 'number')) fail('PICKLE', `expected torch.device(type[, index]), got ${args.map(what).join(', ')}`);
        return index === undefined || index === null || (type as string).includes(':') ? type : `${type}:${index}`;
      }
      default: {
        // torch.serialization._get_layout('torch.sparse_coo'): the layout's name
        if (args.length !== 1 || typeof args[0] !== 'string') fail('PICKLE', `expected ${g}(name), got ${args.map(what).join(', ')}`);
        return args[0];
      }
    }
  };

  const call = (func: unknown, args: unknown[], nested = false): unknown => {
    if (!(func instanceof AllowedGlobal)) fail('PICKLE', `expected a callable global before REDUCE, got ${what(func)}`);
    const g = func as AllowedGlobal;
    switch (g.spec.kind) {
      case 'rebuild':
        return rebuild(g, args, nested);
      case 'rebuild-unsupported':
        return new TorchUnsupportedTensor(g.spec.what, `lowp does not read a ${g.spec.what} (${g.name})`, undefined);
      case 'builtin':
        return builtin(g, args);
      case 'data-class':
        if (g.spec.dictLike) return mapFrom(args, String(g));
        if (args.length !== 0) fail('PICKLE', `expected ${g}() without arguments, got ${args.length}`);
        return new PyObject(String(g));
      default:
        return fail('PICKLE', `expected a function or class that builds a value, got ${g.describe()} called with ${args.length} arguments`);
    }
  };

  return {
    global: (module, name) => resolveGlobal(module, name, ctx.file),
    call: (func, args) => call(func, args),
    newObject(cls, args, kwargs) {
      if (kwargs !== undefined && kwargs.size > 0) fail('PICKLE', `expected no keyword arguments to ${what(cls)}, got ${kwargs.size}`);
      if (cls instanceof AllowedGlobal) {
        const s = cls.spec;
        if (s.kind === 'tensor-type' && s.parameter) {
          if (args.length < 1 || args.length > 2) fail('PICKLE', `expected Parameter(data[, requires_grad]), got ${args.length} arguments`);
          return markParameter(asTensor(args[0], 'the data of a Parameter'));
        }
        if (s.kind === 'data-class') return s.dictLike ? new Map() : new PyObject(String(cls));
        if (s.kind === 'builtin' && (s.what === 'OrderedDict' || s.what === 'Counter' || s.what === 'set')) return builtin(cls, args);
      }
      return fail('PICKLE', `expected NEWOBJ of an allowlisted class, got ${what(cls)}`);
    },
    build(target, state) {
      const states = isTuple(state) && state.length === 2 ? (state as unknown[]) : [state];
      for (const s of states) if (s !== null && !(s instanceof Map)) fail('PICKLE', `expected BUILD state to be a dict or None, got ${what(s)}`);
      if (target instanceof PyObject) {
        for (const s of states) if (s instanceof Map) for (const [k, v] of s) target.state.set(k as PyValue, v as PyValue);
        return target;
      }
      // dicts (OrderedDict, AttributeDict) and tensors/parameters: their attributes are not data lowp reads
      if (target instanceof Map || target instanceof TorchTensorRef || target instanceof TorchUnsupportedTensor) return target;
      return fail('PICKLE', `expected BUILD on an allowlisted object, got ${what(target)}`);
    },
    persistentLoad,
  };
}
