// Which Python globals a torch.save file may name, and what each stands for. This is the whole
// allowlist: a global that is not here is refused when the GLOBAL opcode names it, with one line that
// names it (`module.name`) and says whether it is known to be dangerous (it could run code, touch files
// or the network if a Python unpickler met it) or merely not supported. Nothing on the list is ever
// called: each entry tells rebuild.ts which inert value to build.
// Reference: the globals torch.save emits (torch/serialization.py, torch/_tensor.py `__reduce_ex__`,
// torch/_utils.py) and the allowlist of torch/_weights_only_unpickler.py; read, not copied.
import { TorchError } from '../errors.js';
import { STORAGE_CLASSES, TORCH_DTYPES } from './dtypes.js';
import { PyGlobal } from './values.js';

/** What an allowlisted global stands for. */
export type GlobalSpec =
  /** a function that rebuilds a tensor or parameter from its arguments */
  | { kind: 'rebuild'; fn: 'v1' | 'v2' | 'v3' | 'parameter' | 'parameter-state' | 'from-type' }
  /** a torch rebuild function of a tensor lowp lists but does not read */
  | { kind: 'rebuild-unsupported'; what: string }
  /** a storage class, named in a persistent id */
  | { kind: 'storage-class'; torchDtype: string; untyped: boolean }
  /** a dtype object (`torch.float32`) */
  | { kind: 'dtype'; torchDtype: string }
  /** `torch.Tensor` or `torch.nn.parameter.Parameter` as a type */
  | { kind: 'tensor-type'; parameter: boolean }
  /** a plain-value constructor with a fixed meaning */
  | { kind: 'builtin'; what: 'OrderedDict' | 'Counter' | 'set' | 'frozenset' | 'bytearray' | 'bytes' | 'complex' | 'encode' | 'Size' | 'device' | 'layout' }
  /** a data-only class whose instances become a PyObject (or a Map when it is a dict) */
  | { kind: 'data-class'; dictLike: boolean }
  /** a constant (quantization schemes) */
  | { kind: 'constant' };

/** A global that passed the allowlist: a {@link PyGlobal} that also carries what it stands for. */
export class AllowedGlobal extends PyGlobal {
  /**
   * @param module - its module
   * @param name - its name
   * @param spec - what it stands for
   */
  constructor(
    module: string,
    name: string,
    readonly spec: GlobalSpec,
  ) {
    super(module, name);
  }
}

const ALLOWED = new Map<string, GlobalSpec>();
const allow = (names: string[], spec: GlobalSpec): void => {
  for (const n of names) ALLOWED.set(n, spec);
};

allow(['torch._utils._rebuild_tensor'], { kind: 'rebuild', fn: 'v1' });
allow(['torch._utils._rebuild_tensor_v2'], { kind: 'rebuild', fn: 'v2' });
allow(['torch._utils._rebuild_tensor_v3'], { kind: 'rebuild', fn: 'v3' });
allow(['torch._utils._rebuild_parameter'], { kind: 'rebuild', fn: 'parameter' });
allow(['torch._utils._rebuild_parameter_with_state'], { kind: 'rebuild', fn: 'parameter-state' });
allow(['torch._tensor._rebuild_from_type_v2', 'torch._tensor._rebuild_from_type'], { kind: 'rebuild', fn: 'from-type' });
allow(['torch._utils._rebuild_qtensor'], { kind: 'rebuild-unsupported', what: 'quantized tensor' });
allow(['torch._utils._rebuild_sparse_tensor', 'torch._utils._rebuild_sparse_csr_tensor'], { kind: 'rebuild-unsupported', what: 'sparse tensor' });
allow(['torch._utils._rebuild_meta_tensor_no_storage'], { kind: 'rebuild-unsupported', what: 'meta tensor (no data saved)' });
allow(['torch._utils._rebuild_wrapper_subclass'], { kind: 'rebuild-unsupported', what: 'tensor subclass (wrapper)' });
allow(['torch._utils._rebuild_nested_tensor'], { kind: 'rebuild-unsupported', what: 'nested tensor' });
allow(
  ['torch._utils._rebuild_device_tensor_from_cpu_tensor', 'torch._utils._rebuild_xla_tensor', 'torch._utils._rebuild_mlc_tensor'],
  { kind: 'rebuild-unsupported', what: 'device tensor saved through a CPU copy' },
);
for (const [cls, torchDtype] of STORAGE_CLASSES) allow([`torch.${cls}`, `torch.cuda.${cls}`], { kind: 'storage-class', torchDtype, untyped: false });
allow(['torch.storage.UntypedStorage', 'torch.UntypedStorage', 'torch._UntypedStorage', 'torch.storage._UntypedStorage'], { kind: 'storage-class', torchDtype: 'uint8', untyped: true });
for (const name of TORCH_DTYPES.keys()) allow([`torch.${name}`], { kind: 'dtype', torchDtype: name });
allow(['torch.Tensor', 'torch._tensor.Tensor'], { kind: 'tensor-type', parameter: false });
allow(['torch.nn.parameter.Parameter', 'torch.nn.Parameter'], { kind: 'tensor-type', parameter: true });
allow(['collections.OrderedDict'], { kind: 'builtin', what: 'OrderedDict' });
allow(['collections.Counter'], { kind: 'builtin', what: 'Counter' });
allow(['builtins.set'], { kind: 'builtin', what: 'set' });
allow(['builtins.frozenset'], { kind: 'builtin', what: 'frozenset' });
allow(['builtins.bytearray'], { kind: 'builtin', what: 'bytearray' });
allow(['builtins.bytes'], { kind: 'builtin', what: 'bytes' });
allow(['builtins.complex'], { kind: 'builtin', what: 'complex' });
allow(['_codecs.encode'], { kind: 'builtin', what: 'encode' });
allow(['torch.Size'], { kind: 'builtin', what: 'Size' });
allow(['torch.device'], { kind: 'builtin', what: 'device' });
allow(['torch.serialization._get_layout'], { kind: 'builtin', what: 'layout' });
allow(
  ['torch.per_tensor_affine', 'torch.per_tensor_symmetric', 'torch.per_channel_affine', 'torch.per_channel_symmetric', 'torch.per_channel_affine_float_qparams'],
  { kind: 'constant' },
);
allow(['argparse.Namespace'], { kind: 'data-class', dictLike: false });
allow(
  [
    'pytorch_lightning.utilities.parsing.AttributeDict',
    'lightning.pytorch.utilities.parsing.AttributeDict',
    'lightning.fabric.utilities.data.AttributeDict',
    'lightning_fabric.utilities.data.AttributeDict',
  ],
  { kind: 'data-class', dictLike: true },
);

/**
 * Modules whose every global is known to be dangerous to an unpickler that calls what it names: they
 * run processes or code, open files or sockets, load other pickles, or reach arbitrary attributes.
 */
const DANGEROUS_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'runpy', 'socket', 'shutil', 'pickle', '_pickle', 'cPickle',
  'dill', 'cloudpickle', 'joblib', 'marshal', 'importlib', 'imp', 'ctypes', 'code', 'codeop', 'pty', 'commands', 'popen2',
  'webbrowser', 'multiprocessing', 'pdb', 'bdb', 'timeit', 'profile', 'cProfile', 'trace', 'asyncio', 'http', 'httplib',
  'urllib', 'urllib2', 'urllib3', 'requests', 'ftplib', 'telnetlib', 'smtplib', 'ssl', 'signal', 'threading', '_thread',
  'thread', 'types', 'operator', '_operator', 'functools', 'inspect', 'gc', 'pip', 'setuptools', 'distutils', 'tempfile',
  'glob', 'io', '_io', 'zipimport', 'pkgutil', 'platform', 'tarfile', 'zipfile', 'sqlite3', 'dbm', 'shelve',
  'torch.hub', 'torch.jit', 'torch.ops', 'torch._ops', 'torch._C', 'torch.classes', 'torch.utils.cpp_extension',
];

/** Single globals known to be dangerous (besides the modules above). */
const DANGEROUS_NAMES = new Set([
  ...['eval', 'exec', 'execfile', 'compile', 'open', 'file', '__import__', 'getattr', 'setattr', 'delattr', 'globals',
    'locals', 'vars', 'input', 'raw_input', 'breakpoint', 'help', 'exit', 'quit', 'apply', 'reload', 'type'].map((n) => `builtins.${n}`),
  'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
  'torch.load', 'torch.serialization.load', 'torch.serialization._load', 'torch.serialization._legacy_load',
  'torch.storage._load_from_bytes',
  'numpy.load', 'numpy.loads', 'numpy.testing._private.utils.runstring',
  'numpy.f2py.crackfortran.myeval', 'numpy.lib.npyio.load', 'numpy.ctypeslib.load_library',
]);

/** Python 2 module names as Python 3 knows them (pickle's fix_imports). */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', cPickle: 'pickle' };

/**
 * Whether `module.name` is known to be dangerous to an unpickler that calls what a pickle names.
 *
 * @example
 * ```ts
 * isDangerousGlobal('posix', 'system');                          // true
 * isDangerousGlobal('transformers.training_args', 'TrainingArguments'); // false (merely unsupported)
 * ```
 */
export function isDangerousGlobal(module: string, name: string): boolean {
  const m = PY2_MODULES[module] ?? module;
  if (DANGEROUS_NAMES.has(`${m}.${name}`)) return true;
  if (DANGEROUS_MODULES.some((d) => m === d || m.startsWith(d + '.'))) return true;
  // dunder attributes (`__reduce__`, `__class__`...) are how pickle gadgets reach code
  return /^__\w+__$/.test(name) && m !== 'builtins';
}

/** Quotes a name for a message, keeping it on one line and short. */
function shown(s: string): string {
  const flat = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return flat.length > 120 ? flat.slice(0, 117) + '...' : flat;
}

/**
 * The allowlist entry of `module.name`, as an {@link AllowedGlobal}; a {@link TorchError}
 * `FORBIDDEN_GLOBAL` naming it (and whether it is known to be dangerous) when it is not on the list.
 *
 * @example
 * ```ts
 * resolveGlobal('torch', 'FloatStorage').spec; // { kind: 'storage-class', torchDtype: 'float32', untyped: false }
 * resolveGlobal('posix', 'system');            // throws: refused global 'posix.system' (known to be dangerous...)
 * ```
 */
export function resolveGlobal(module: string, name: string, file?: string): AllowedGlobal {
  const m = PY2_MODULES[module] ?? module;
  const full = `${m}.${name}`;
  const spec = ALLOWED.get(full);
  if (spec !== undefined) return new AllowedGlobal(m, name, spec);
  const what = `${shown(m)}.${shown(name)}`;
  if (isDangerousGlobal(m, name)) {
    throw new TorchError('FORBIDDEN_GLOBAL', `refused global '${what}': known to be dangerous (a Python unpickler would call it and could run code); expected only the globals on lowp's allowlist; nothing was executed`, file);
  }
  throw new TorchError('FORBIDDEN_GLOBAL', `refused global '${what}': not supported (not on lowp's allowlist); expected only what torch.save writes for tensors, storages, dtypes and plain containers; nothing was loaded`, file);
}

/**
 * The allowlisted globals, `module.name` in sorted order (for documentation and tests).
 *
 * @example
 * ```ts
 * allowedGlobals().includes('torch._utils._rebuild_tensor_v2'); // true
 * ```
 */
export function allowedGlobals(): string[] {
  return [...ALLOWED.keys()].sort();
}
