// The restricted unpickler (src/io/torch/pickle.ts with the torch hooks of rebuild.ts): values pickled
// by an independent writer (tests/helpers/torch-writer.ts, protocols 0, 2, 3 and 4 as CPython writes
// them) come back as the documented inert values; every opcode family CPython defines is read or
// refused by name; every strict prefix of a pickle is refused (never a crash); stack, MARK and memo
// misuse, unknown opcodes and the limits give named errors; globals outside the allowlist are refused
// naming module.name and whether they are dangerous; deep nesting, cycles and shared sub-trees never
// overflow the stack or hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDangerousGlobal, PyComplex, PyGlobal, PyObject, toJsonValue, TorchError, valueAt, type PyValue } from '../../src/io/index.js';
import { allowedGlobals, resolveGlobal } from '../../src/io/torch/allowlist.js';
import { tensorPaths } from '../../src/io/torch/names.js';
import { unpickle, type PickleLimits } from '../../src/io/torch/pickle.js';
import { rebuildContext, torchHooks } from '../../src/io/torch/rebuild.js';
import { Call, F, G, NewObj, Ordered, pickle, PySet, T, Tuple, type PyW } from '../helpers/torch-writer.js';

function load(bytes: Uint8Array, limits?: Partial<PickleLimits>): unknown {
  const ctx = rebuildContext('zip', 'test.pkl');
  return unpickle(bytes, torchHooks(ctx), ctx.containers, { file: 'test.pkl', exactEnd: true, limits }).value;
}

function error(f: () => unknown): TorchError {
  try {
    f();
  } catch (e) {
    if (e instanceof TorchError) {
      expect(e.message).not.toMatch(/[\r\n]/);
      return e;
    }
    throw e;
  }
  throw new Error('expected a TorchError, got a value');
}

const enc = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** What lowp/io gives for a written value (the documented mapping). */
function expectedOf(v: PyW): unknown {
  if (v instanceof F) return v.value;
  if (v instanceof Tuple) return v.items.map(expectedOf);
  if (v instanceof Ordered) return new Map([...v.map].map(([k, x]) => [expectedOf(k), expectedOf(x)]));
  if (v instanceof PySet) return new Set(v.items.map(expectedOf));
  if (Array.isArray(v)) return v.map(expectedOf);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [expectedOf(k), expectedOf(x)]));
  if (typeof v === 'bigint') return v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? Number(v) : v;
  return v;
}

// strings that start with U+FEFF: Python's UTF-8 codec keeps it (a decoder that drops a leading BOM misreads them)
const bomLed = fc.string({ maxLength: 6 }).map((s) => `\uFEFF${s}`);
const key = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -1000, max: 100000 }), fc.constantFrom('__proto__', 'constructor', 'prototype'), bomLed);
const leaf: fc.Arbitrary<PyW> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.double().filter((x) => !Number.isInteger(x) || !Number.isFinite(x)),
  fc.double({ noNaN: true }).map((x) => new F(x)),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  bomLed,
  fc.uint8Array({ maxLength: 12 }),
);
const { value: pyValue } = fc.letrec<{ value: PyW }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((a) => new Tuple(a)),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((e) => new Map<PyW, PyW>(e)),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map((e) => new Ordered(new Map<PyW, PyW>(e))),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 4 }).map((a) => new PySet([...new Set(a)])),
  ),
}));

describe('values round-trip through the restricted unpickler', () => {
  it('protocols 0, 2, 3 and 4: the documented inert values (dicts as Maps, tuples and lists as arrays, big ints as bigint)', () => {
    fc.assert(
      fc.property(pyValue, fc.constantFrom(0 as const, 2 as const, 3 as const, 4 as const), (v, protocol) => {
        // protocol 0 has no bytes type of its own: the writer uses _codecs.encode like protocol 2
        expect(load(pickle(v, { protocol }))).toEqual(expectedOf(v));
      }),
      { numRuns: 300 },
    );
  });

  it('the unpickler never changes Object.prototype, whatever the keys', () => {
    const v = new Map<PyW, PyW>([['__proto__', new Map<PyW, PyW>([['polluted', true]])], ['constructor', new Map<PyW, PyW>([['prototype', new Map<PyW, PyW>([['x', 1]])]])]]);
    const out = load(pickle(v)) as Map<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'x')).toBe(false);
    expect(valueAt(out as PyValue, '__proto__.polluted')).toBe(true);
    const json = toJsonValue(out as PyValue) as Record<string, unknown>;
    expect(Object.getPrototypeOf(json)).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(json, '__proto__')).toBe(true);
    expect(JSON.parse(JSON.stringify(json)).constructor.prototype.x).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('text opcodes of protocols 0 and 1: INT, LONG, FLOAT, STRING, UNICODE, PUT/GET, DICT, LIST, TUPLE, POP, POP_MARK, DUP', () => {
    const text = "(lp0\nI12\naL-99999999999999999999L\naF1.5\naFinf\naS'a\\'b\\x41'\naVcaf\\u00e9\\U0001f600\naI01\naI00\nag0\na(I1\nI2\ntp1\na(dp2\nS'k'\nI3\nsaI7\n0(I9\n1(I8\n2e.";
    const out = load(enc(text)) as unknown[];
    expect(out.slice(0, 8)).toEqual([12, -99999999999999999999n, 1.5, Infinity, "a'bA", 'café😀', true, false]);
    expect(out[8]).toBe(out); // g0: the list itself (no tensors below, so the cycle is allowed in the tree)
    expect(out[9]).toEqual([1, 2]);
    expect(out[10]).toEqual(new Map([['k', 3]]));
    expect(out.slice(11)).toEqual([8, 8]);
  });

  it('binary opcodes: LONG4, BINBYTES8, BYTEARRAY8, BINUNICODE8, EMPTY_SET/ADDITEMS, FROZENSET, MEMOIZE, FRAME, STACK_GLOBAL, NEWOBJ_EX, BUILD', () => {
    const u64 = (n: number): number[] => [n, 0, 0, 0, 0, 0, 0, 0];
    const short = (s: string): number[] => [0x8c, s.length, ...enc(s)];
    const items = [
      ...[0x8b, 3, 0, 0, 0, 0x01, 0x00, 0x80], // LONG4: -8388607
      ...[0x8e, ...u64(2), 7, 8], // BINBYTES8
      ...[0x96, ...u64(1), 9], // BYTEARRAY8
      ...[0x8d, ...u64(2), ...enc('hi')], // BINUNICODE8
      ...[0x8f, 0x94, 0x28, 0x4b, 1, 0x4b, 2, 0x90], // EMPTY_SET, MEMOIZE (as 0), MARK 1 2 ADDITEMS
      ...[0x28, 0x4b, 3, 0x91], // MARK 3 FROZENSET
      ...[0x68, 0], // BINGET 0: the same set
      ...short('argparse'), ...short('Namespace'), 0x93, 0x29, 0x7d, 0x92, // NEWOBJ_EX(Namespace, (), {})
      ...[0x7d, ...short('lr'), 0x47, 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc, 0x73, 0x62], // BUILD {'lr': 1e-3}
    ];
    const body = [0x5d, 0x28, ...items, 0x65, 0x2e];
    const out = load(Uint8Array.from([0x80, 5, 0x95, ...u64(body.length), ...body])) as unknown[];
    expect(out[0]).toBe(-8388607);
    expect(out[1]).toEqual(Uint8Array.of(7, 8));
    expect(out[2]).toEqual(Uint8Array.of(9));
    expect(out[3]).toBe('hi');
    expect(out[4]).toEqual(new Set([1, 2]));
    expect(out[5]).toEqual(new Set([3]));
    expect(out[6]).toBe(out[4]);
    expect(out[7]).toBeInstanceOf(PyObject);
    expect((out[7] as PyObject).className).toBe('argparse.Namespace');
    expect((out[7] as PyObject).state.get('lr')).toBe(1e-3);
    // a frame longer than the stream is refused
    expect(error(() => load(Uint8Array.from([0x80, 5, 0x95, ...u64(body.length + 1), ...body]))).code).toBe('TRUNCATED');
  });

  it('allowlisted plain-value constructors: OrderedDict, Counter, set, frozenset, bytes, bytearray, complex, torch.Size, torch.device, _codecs.encode', () => {
    const v = [
      new Call('collections.OrderedDict', [[new Tuple(['a', 1])]]),
      new Call('collections.Counter', [new Map<PyW, PyW>([['x', 2]])]),
      new Call('builtins.set', [[1, 2]]),
      new Call('builtins.frozenset', [[3]]),
      new Call('builtins.bytes', []),
      new Call('builtins.bytearray', ['\u00ff\u0001', 'latin-1']),
      new Call('builtins.complex', [new F(1), new F(-2)]),
      new Call('torch.Size', [new Tuple([2, 3])]),
      new Call('torch.device', ['cuda', 1]),
      new Call('_codecs.encode', ['\u00e9', 'latin1']),
      new G('torch.bfloat16'),
    ];
    const out = load(pickle(v)) as unknown[];
    expect(out.slice(0, 6)).toEqual([new Map([['a', 1]]), new Map([['x', 2]]), new Set([1, 2]), new Set([3]), new Uint8Array(0), Uint8Array.of(255, 1)]);
    expect(out[6]).toEqual(new PyComplex(1, -2));
    expect(out[7]).toEqual([2, 3]);
    expect(out[8]).toBe('cuda:1');
    expect(out[9]).toEqual(Uint8Array.of(0xe9));
    expect(out[10]).toBeInstanceOf(PyGlobal);
    expect(String(out[10])).toBe('torch.bfloat16');
  });
});

describe('refusals: every failure a TorchError with a stable code and one line', () => {
  it('an unknown opcode, a protocol above 5, extension codes, out-of-band buffers', () => {
    expect(error(() => load(Uint8Array.of(0x80, 2, 0xff, 0x2e))).code).toBe('PICKLE');
    expect(error(() => load(Uint8Array.of(0x80, 2, 0xff, 0x2e))).message).toMatch(/unknown opcode 0xff/);
    expect(error(() => load(Uint8Array.of(0x80, 6, 0x4e, 0x2e))).message).toMatch(/protocol 0 to 5, got 6/);
    for (const op of [0x82, 0x83, 0x84]) expect(error(() => load(Uint8Array.of(0x80, 2, op, 1, 0, 0, 0, 0x2e))).message).toMatch(/extension-registry/);
    expect(error(() => load(Uint8Array.of(0x80, 5, 0x97, 0x2e))).message).toMatch(/out-of-band/);
  });

  it('stack and MARK misuse, memo references to nothing, bytes after STOP', () => {
    const cases: Array<[number[], RegExp]> = [
      [[0x80, 2, 0x2e], /exactly one object on the stack at STOP, got 0/],
      [[0x80, 2, 0x4e, 0x4e, 0x2e], /exactly one object on the stack at STOP, got 2/],
      [[0x80, 2, 0x28, 0x4e, 0x2e], /every MARK to be closed/],
      [[0x80, 2, 0x61, 0x2e], /an object on the stack/],
      [[0x80, 2, 0x5d, 0x28, 0x61, 0x2e], /an object on the stack, got an empty stack \(or a MARK\)/],
      [[0x80, 2, 0x74, 0x2e], /a MARK on the stack, got none/],
      [[0x80, 2, 0x68, 5, 0x2e], /memo entry 5 to be set/],
      [[0x80, 2, 0x29, 0x4b, 1, 0x61, 0x2e], /a list under APPEND, got a tuple/],
      [[0x80, 2, 0x5d, 0x4b, 1, 0x4b, 2, 0x73, 0x2e], /a dict under SETITEM, got a list/],
      [[0x80, 2, 0x7d, 0x28, 0x4b, 1, 0x75, 0x2e], /key\/value pairs under SETITEMS, got 1 items/],
      [[0x80, 2, 0x4e, 0x2e, 0x4e], /the stream to end at STOP, got 1 more bytes/],
      [[0x80, 2, 0x8a, 0x10, 1, 0x2e], /expected 16 more bytes/],
      [[0x80, 2, 0x4e, 0x4e, 0x52, 0x2e], /an argument tuple for REDUCE, got None/],
      [[0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e], /a callable global before REDUCE, got the int 1/],
    ];
    for (const [bytes, re] of cases) {
      const e = error(() => load(Uint8Array.from(bytes)));
      expect(e.message, bytes.join(' ')).toMatch(re);
      expect(['PICKLE', 'TRUNCATED']).toContain(e.code);
    }
  });

  it('every strict prefix of a pickle is refused as TRUNCATED (or PICKLE), never a crash', () => {
    fc.assert(
      fc.property(pyValue, fc.constantFrom(0 as const, 2 as const, 4 as const), (v, protocol) => {
        const bytes = pickle(new Map<PyW, PyW>([['v', v], ['t', new T({ storage: '0', dtype: 'float32', shape: [2] })]]), { protocol, storages: new Map([['0', { dtype: 'float32', bytes: new Uint8Array(8) }]]) });
        for (let n = 0; n < bytes.length; n++) expect(['TRUNCATED', 'PICKLE']).toContain(error(() => load(bytes.subarray(0, n))).code);
      }),
      { numRuns: 40 },
    );
  });

  it('limits: memo entries, objects and integer sizes are bounded (LIMIT)', () => {
    const many = pickle(Array.from({ length: 50 }, (_, i) => [i]));
    expect(error(() => load(many, { maxMemo: 10 })).code).toBe('LIMIT');
    expect(error(() => load(many, { maxObjects: 20 })).code).toBe('LIMIT');
    expect(error(() => load(pickle(2n ** 200n), { maxIntBytes: 8 })).code).toBe('LIMIT');
    expect(load(many)).toHaveLength(50);
  });
});

describe('the allowlist', () => {
  const dangerous = ['posix.system', 'os.system', 'nt.system', 'subprocess.Popen', 'subprocess.check_output', 'builtins.eval', 'builtins.exec', 'builtins.getattr', 'builtins.open', 'builtins.__import__', 'builtins.compile', 'builtins.globals', '__builtin__.eval', 'sys.modules', 'runpy._run_code', 'socket.create_connection', 'shutil.rmtree', 'pickle.loads', 'torch.load', 'torch.serialization.load', 'importlib.import_module', 'ctypes.CDLL', 'operator.attrgetter', 'functools.partial', 'webbrowser.open', 'numpy.testing._private.utils.runstring', 'torch.hub.load'];
  for (const g of dangerous) {
    it(`${g} is refused as known to be dangerous`, () => {
      const dot = g.lastIndexOf('.');
      const e = error(() => load(Uint8Array.from([0x80, 2, ...enc(`c${g.slice(0, dot)}\n${g.slice(dot + 1)}\n`), 0x2e])));
      expect(e.code).toBe('FORBIDDEN_GLOBAL');
      expect(e.message).toContain(`'${g.replace('__builtin__', 'builtins')}'`);
      expect(e.message).toMatch(/known to be dangerous/);
      expect(isDangerousGlobal(g.slice(0, dot), g.slice(dot + 1))).toBe(true);
    });
  }

  it('globals merely unknown are refused as not on the allowlist (HF TrainingArguments, numpy, collections.defaultdict)', () => {
    for (const g of ['transformers.training_args.TrainingArguments', 'numpy.core.multiarray.scalar', 'numpy.dtype', 'collections.defaultdict', 'torch.FloatTensor', 'mymodel.Net']) {
      const dot = g.lastIndexOf('.');
      const e = error(() => load(pickle(new NewObj(g, null))));
      expect(e.code).toBe('FORBIDDEN_GLOBAL');
      expect(e.message).toContain(`'${g}'`);
      expect(e.message).toMatch(/not supported \(not on lowp's allowlist\)/);
      expect(isDangerousGlobal(g.slice(0, dot), g.slice(dot + 1))).toBe(false);
    }
  });

  it('every allowlisted global resolves, none is on the dangerous list, and a refused global is refused before anything after it is read', () => {
    for (const g of allowedGlobals()) {
      const dot = g.lastIndexOf('.');
      expect(resolveGlobal(g.slice(0, dot), g.slice(dot + 1)).toString()).toBe(g);
      expect(isDangerousGlobal(g.slice(0, dot), g.slice(dot + 1)), g).toBe(false);
    }
    // the refused global comes first: the garbage after it is never reached
    expect(error(() => load(Uint8Array.from([0x80, 2, ...enc('cos\nsystem\n'), 0xff, 0xff]))).code).toBe('FORBIDDEN_GLOBAL');
  });

  it('allowlisted globals used the wrong way are refused: a storage class called, a dtype reduced, a Tensor built by NEWOBJ', () => {
    expect(error(() => load(pickle(new Call('torch.FloatStorage', [])))).code).toBe('PICKLE');
    expect(error(() => load(pickle(new Call('torch.float32', [1])))).code).toBe('PICKLE');
    expect(error(() => load(pickle(new NewObj('torch.Tensor', null)))).message).toMatch(/NEWOBJ of an allowlisted class/);
    expect(error(() => load(pickle(new Call('collections.OrderedDict', [1, 2])))).message).toMatch(/OrderedDict/);
  });
});

describe('nesting, cycles and sharing never overflow the stack or hang', () => {
  const nested = (depth: number): Uint8Array => Uint8Array.from([0x80, 2, ...new Array(depth).fill(0x5d), ...new Array(depth - 1).fill(0x61), 0x2e]);

  it('100,000 nested lists: unpickled iteratively; refused by the depth limit; read when the limit allows it', () => {
    const v = load(nested(100_000)) as PyValue;
    expect(error(() => tensorPaths(v, { maxDepth: 1000, maxTensors: 10 })).code).toBe('LIMIT');
    expect(tensorPaths(v, { maxDepth: 200_000, maxTensors: 10 })).toEqual([]);
    expect(() => toJsonValue(v)).not.toThrow();
  });

  it('a container inside itself is refused (PICKLE), a tensor reached by exponentially many paths is bounded (LIMIT)', () => {
    // L = [L] with a tensor beside it
    const self = Uint8Array.from([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]);
    expect(error(() => tensorPaths(load(self) as PyValue, { maxDepth: 1000, maxTensors: 10 })).message).toMatch(/contains itself/);
    let v: PyW = new T({ storage: '0', dtype: 'float32', shape: [1] });
    for (let i = 0; i < 40; i++) v = [v, v];
    const bytes = pickle(v, { storages: new Map([['0', { dtype: 'float32', bytes: new Uint8Array(4) }]]) });
    expect(bytes.length).toBeLessThan(2000);
    expect(error(() => tensorPaths(load(bytes) as PyValue, { maxDepth: 1000, maxTensors: 100_000 })).code).toBe('LIMIT');
  });

  it('a shared sub-tree without tensors is walked once however often it is shared', () => {
    let v: PyW = Array.from({ length: 100 }, (_, i) => i);
    for (let i = 0; i < 60; i++) v = [v, v];
    expect(tensorPaths(load(pickle(v)) as PyValue, { maxDepth: 1000, maxTensors: 10 })).toEqual([]);
    expect(() => toJsonValue(load(pickle(v)) as PyValue, 1e6)).toThrow(RangeError);
  });
});

