// A toy format and readers with one planted bug each, to show that the fuzz harness catches every kind
// of failure it claims to (tests/fuzz/harness.test.ts): a correct reader passes; a reader that lets a
// RangeError out, allocates from a declared size, loops forever, misreads, pollutes Object.prototype,
// re-reads without progress, modifies its input, crashes its worker, throws an undocumented code, or
// throws a message that is not one line or does not say what was expected fails, with the right reason;
// a reader that gives a documented but wrong code for a corpus file fails the corpus replay
// (selftest/corpus/).
//
// TOY1 file: "TOY1", u32 count, then per tensor: u8 name length, name (ASCII), u32 n, n float32 values.
import fc from 'fast-check';
import { LowpIoError } from '../../../src/io/errors.js';
import { cat, le, utf8, type ExpectedTensor, type FuzzContext, type FuzzSeed, type FuzzTarget, type ReadTensor } from '../harness.js';

class ToyError extends LowpIoError {
  constructor(code: string, message: string) {
    super('npy', code, message);
    this.name = 'ToyError';
  }
}

type Bug = 'none' | 'rangeerror' | 'alloc' | 'allocbuffer' | 'hang' | 'asynchang' | 'crash' | 'misread' | 'pollute' | 'rereads' | 'mutate' | 'code' | 'multiline' | 'vague' | 'wrongcode';

function u32(n: number): Uint8Array {
  return le(new Uint32Array([n]));
}

function toyFile(tensors: Array<{ name: string; values: number[] }>): FuzzSeed {
  const parts: Uint8Array[] = [utf8('TOY1'), u32(tensors.length)];
  const payload: Array<{ tensor: string; fileOffset: number; byteLength: number }> = [];
  const expected: ExpectedTensor[] = [];
  let at = 8;
  for (const t of tensors) {
    const name = utf8(t.name);
    const data = le(new Float32Array(t.values));
    parts.push(Uint8Array.of(name.length), name, u32(t.values.length), data);
    at += 1 + name.length + 4;
    payload.push({ tensor: t.name, fileOffset: at, byteLength: data.length });
    expected.push({ name: t.name, dtype: 'F32', shape: [t.values.length], bytes: data });
    at += data.length;
  }
  return { name: tensors.map((t) => t.name).join('+'), bytes: cat(...parts), tensors: expected, payload };
}

const SEEDS = [
  toyFile([{ name: 'a', values: [1, 2, 3] }, { name: 'proto', values: Array.from({ length: 40 }, (_, i) => i) }]),
  toyFile([{ name: 'w', values: [0.5] }]),
];

async function parse(bytes: Uint8Array, ctx: FuzzContext, bug: Bug): Promise<ReadTensor[]> {
  const src = ctx.source(bytes, 'toy', ToyError as never);
  const need = (at: number, n: number): void => {
    if (bug !== 'rangeerror' && at + n > bytes.length) throw new ToyError(bug === 'wrongcode' ? 'TRAILING' : 'TRUNCATED', `expected ${n} bytes at ${at}, got a file of ${bytes.length}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bug === 'mutate' && bytes.length > 0) bytes[bytes.length - 1] ^= 1; // scribbles on its input
  need(0, 8);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'TOY1') throw new ToyError(bug === 'code' ? 'WHATEVER' : 'MAGIC', 'expected TOY1, got something else');
  const count = dv.getUint32(4, true);
  if (bug !== 'alloc' && bug !== 'allocbuffer' && count > bytes.length) throw new ToyError('TOO_LARGE', `expected at most ${bytes.length} tensors, got ${count}`);
  const out: ReadTensor[] = [];
  const byName: Record<string, Record<string, unknown>> = {};
  let at = 8;
  for (let k = 0; k < count; k++) {
    need(at, 1);
    const len = bytes[at];
    need(at + 1, len);
    const name = String.fromCharCode(...bytes.subarray(at + 1, at + 1 + len));
    at += 1 + len;
    need(at, 4);
    const n = dv.getUint32(at, true);
    at += 4;
    // a loop driven by a declared count, re-reading the same bytes, before the count is checked
    if (bug === 'rereads') for (let i = 0; i < n; i++) src.readSync!(at - 4, 4);
    if (bug === 'hang' && n === 0) for (;;) at += 0; // a loop without progress
    if (bug === 'asynchang' && n === 0) await new Promise(() => undefined); // an await that never settles
    if (bug === 'crash' && n === 0) {
      // an exception thrown outside the case's promise chain kills the worker mid-case
      await new Promise(() => setTimeout(() => {
        throw new Error('toy reader crashed');
      }, 0));
    }
    if (bug === 'allocbuffer') Buffer.allocUnsafeSlow(n * 4); // as lowp's allocForRead does, before the check
    if (bug === 'alloc') {
      const data = new Float32Array(n); // allocated from the declared size, before any check
      need(at, n * 4);
      data.set(new Float32Array(bytes.slice(at, at + n * 4).buffer));
    }
    need(at, n * 4);
    const off = bug === 'misread' && n > 2 ? at + 4 : at;
    if (bug === 'pollute') {
      byName[name] ??= {};
      byName[name].seen = true; // with name '__proto__', this writes Object.prototype.seen
    }
    if (out.some((t) => t.name === name)) throw new ToyError('DUPLICATE', `expected unique names, got '${name}' twice`);
    const data = bytes.slice(off, off + n * 4);
    out.push({ name, dtype: 'F32', shape: [n], elements: n, byteLength: n * 4, bytes: data, offset: at });
    at += n * 4;
  }
  if (at !== bytes.length) {
    if (bug === 'multiline') {
      // LowpIoError's constructor makes messages one line, so the second line is added afterwards
      throw Object.assign(new ToyError('TRAILING', ''), { message: `expected the file to end at ${at},\ngot ${bytes.length} bytes` });
    }
    if (bug === 'vague') throw new ToyError('TRAILING', `trailing bytes after ${at}`);
    throw new ToyError('TRAILING', `expected the file to end at ${at}, got ${bytes.length} bytes`);
  }
  return out;
}

function make(bug: Bug): FuzzTarget {
  return {
    name: `toy-${bug}`,
    errors: ToyError,
    codes: ['TRUNCATED', 'MAGIC', 'TOO_LARGE', 'DUPLICATE', 'TRAILING'],
    seeds: SEEDS,
    corpus: ['tests/fuzz/selftest/corpus'],
    read: async (bytes, ctx) => parse(bytes, ctx, bug),
    records: (bytes) => {
      const items: Array<{ start: number; end: number }> = [];
      let at = 8;
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      for (let k = 0; k < dv.getUint32(4, true); k++) {
        const start = at;
        at += 1 + bytes[at];
        at += 4 + 4 * dv.getUint32(at, true);
        items.push({ start, end: at });
      }
      return [{
        items,
        reframe: (b, c) => {
          const out = b.slice();
          new DataView(out.buffer).setUint32(4, c.newCount, true);
          return out;
        },
      }];
    },
    structured: (seed) => fc.constantFrom('__proto__', 'constructor', 'x', '').map((name) => {
      // rename the second tensor of a seed that has two
      if (seed.tensors.length < 2) return seed.bytes;
      const first = 8 + 1 + seed.tensors[0].name.length + 4 + seed.tensors[0].bytes.length;
      const rest = seed.bytes.subarray(first + 1 + seed.tensors[1].name.length);
      return cat(seed.bytes.subarray(0, first), Uint8Array.of(name.length), utf8(name), rest);
    }),
    runs: { mutations: 300, records: 60, structured: 20, random: 50, payload: 40 },
  };
}

export const none = make('none');
export const rangeerror = make('rangeerror');
export const alloc = make('alloc');
export const hang = make('hang');
export const asynchang = make('asynchang');
export const allocbuffer = make('allocbuffer');
export const misread = make('misread');
export const pollute = make('pollute');
export const rereads = make('rereads');
export const code = make('code');
export const crash = make('crash');
export const mutate = make('mutate');
export const multiline = make('multiline');
export const vague = make('vague');
export const wrongcode = make('wrongcode');
