// The fuzz worker: installs the allocation guard BEFORE any lowp module is loaded (so that references
// to ArrayBuffer and the typed arrays captured by modules at load time are the guarded ones), then
// loads TypeScript through tsx, imports the runner and the target, runs the properties and posts each
// result. The parent (launch.mjs) watches a shared progress counter to detect hangs.
//
// The guard: while a case runs (armed), every `new ArrayBuffer / SharedArrayBuffer / <TypedArray>(n)`,
// `Buffer.alloc*`, `Buffer.concat`, typed-array and ArrayBuffer `slice`, and `new Array(n)` adds its
// size to the case's total; a request that takes the total over the case's budget is refused (a
// RangeError, so the memory is never allocated) and recorded, and the runner fails the case.
import { parentPort, workerData } from 'node:worker_threads';

const guard = { armed: false, total: 0, largest: 0, limit: Infinity, violation: undefined };

function note(bytes, what) {
  if (!guard.armed || !(bytes > 0)) return;
  guard.total += bytes;
  if (bytes > guard.largest) guard.largest = bytes;
  if (guard.total > guard.limit) {
    guard.violation ??= `${what} asked for ${bytes} bytes, bringing the case's allocations to ${guard.total} bytes (budget ${guard.limit})`;
    throw new RangeError(`fuzz allocation guard: ${guard.violation}`);
  }
}

globalThis.__lowpFuzzGuard = {
  arm(limit) {
    guard.armed = true;
    guard.total = 0;
    guard.largest = 0;
    guard.limit = limit;
    guard.violation = undefined;
  },
  disarm() {
    guard.armed = false;
    return { total: guard.total, largest: guard.largest, violation: guard.violation };
  },
};

const RealArrayBuffer = ArrayBuffer;
const RealShared = SharedArrayBuffer;
const isBuffer = (a) => a instanceof RealArrayBuffer || a instanceof RealShared;
const TYPED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array'];

function requested(name, bpe, args) {
  const a = args[0];
  if (name === 'ArrayBuffer' || name === 'SharedArrayBuffer') return typeof a === 'number' ? a : 0;
  if (typeof a === 'number') return a * bpe;
  if (a !== null && typeof a === 'object' && !isBuffer(a) && typeof a.length === 'number') return a.length * bpe;
  return 0;
}

for (const name of ['ArrayBuffer', 'SharedArrayBuffer', ...TYPED]) {
  const Real = globalThis[name];
  if (typeof Real !== 'function') continue;
  const bpe = Real.BYTES_PER_ELEMENT ?? 1;
  globalThis[name] = new Proxy(Real, {
    construct(target, args, newTarget) {
      if (guard.armed) note(requested(name, bpe, args), `new ${name}`);
      return Reflect.construct(target, args, newTarget);
    },
  });
}
{
  const RealArray = Array;
  globalThis.Array = new Proxy(RealArray, {
    construct(target, args, newTarget) {
      if (guard.armed && args.length === 1 && typeof args[0] === 'number') note(args[0] * 8, 'new Array');
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, self, args) {
      if (guard.armed && args.length === 1 && typeof args[0] === 'number') note(args[0] * 8, 'Array()');
      return Reflect.apply(target, self, args);
    },
  });
}
const TypedProto = Object.getPrototypeOf(Uint8Array.prototype);
for (const [proto, label] of [[TypedProto, 'TypedArray.prototype.slice'], [RealArrayBuffer.prototype, 'ArrayBuffer.prototype.slice']]) {
  const slice = proto.slice;
  Object.defineProperty(proto, 'slice', {
    ...Object.getOwnPropertyDescriptor(proto, 'slice'),
    value: function (...args) {
      const out = slice.apply(this, args);
      if (guard.armed) note(out.byteLength, label);
      return out;
    },
  });
}
if (typeof Buffer === 'function') {
  for (const m of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const f = Buffer[m];
    Buffer[m] = function (size, ...rest) {
      if (guard.armed) note(typeof size === 'number' ? size : 0, `Buffer.${m}`);
      return f.call(this, size, ...rest);
    };
  }
  const concat = Buffer.concat;
  Buffer.concat = function (...args) {
    const out = concat.apply(this, args);
    if (guard.armed) note(out.length, 'Buffer.concat');
    return out;
  };
}

const { register } = await import('tsx/esm/api');
register();
const { runTarget } = await import('./runner.ts');
const mod = await import(workerData.module);
const target = mod[workerData.exportName ?? 'default'];
if (target === undefined) throw new Error(`${workerData.module} has no export '${workerData.exportName ?? 'default'}'`);
await runTarget(target, {
  ...workerData.options,
  progress: workerData.progress,
  onResult: (result) => parentPort.postMessage({ type: 'result', result }),
});
parentPort.postMessage({ type: 'done' });
