// A restricted pickle virtual machine: reads a Python pickle stream (protocols 0 to 5, every opcode that
// CPython's pickle module defines) and builds an inert tree of JavaScript values. It never imports or calls
// anything: every opcode that would reach Python objects (GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ,
// BUILD, persistent ids) goes through a `PickleHooks` object that the caller supplies, which decides what
// is allowed (the torch allowlist lives in rebuild.ts) and refuses the rest. The machine is iterative (no
// recursion on attacker-controlled depth), bounds the memo and the number of objects it creates, checks
// every length against the bytes that remain, and refuses stack or memo misuse with a named error.
// Reference: CPython Lib/pickle.py (`_Unpickler`) and Lib/pickletools.py (opcode table); read, not copied.
import { TorchError, type TorchErrorCode } from '../errors.js';
import { strictUtf8 } from '../unicode.js';

/**
 * What the unpickler asks its caller wherever a pickle names or would run Python code. Each method
 * returns the inert value that stands for the result, or throws (a refused global, an unsupported call).
 * Nothing is ever executed: the hooks only build data.
 */
export interface PickleHooks {
  /** GLOBAL, STACK_GLOBAL, INST: the value standing for `module.name` (throw to refuse it). */
  global(module: string, name: string): unknown;
  /** REDUCE, INST, OBJ: what `func(*args)` stands for. */
  call(func: unknown, args: unknown[]): unknown;
  /** NEWOBJ, NEWOBJ_EX: what `cls.__new__(cls, *args, **kwargs)` stands for. */
  newObject(cls: unknown, args: unknown[], kwargs: Map<unknown, unknown> | undefined): unknown;
  /** BUILD: applies `state` to `target` (the top of the stack); returns the value that replaces it. */
  build(target: unknown, state: unknown): unknown;
  /** BINPERSID, PERSID: what a persistent id stands for (a storage, for torch). */
  persistentLoad(pid: unknown): unknown;
}

/** Limits of one unpickling run. */
export interface PickleLimits {
  /** Most memo entries. */
  maxMemo: number;
  /** Most objects created (containers, strings, bytes, hook results). */
  maxObjects: number;
  /** Most bytes of one integer (LONG1, LONG4, text LONG). */
  maxIntBytes: number;
}

/** Default {@link PickleLimits}. */
export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = Object.freeze({
  maxMemo: 10_000_000,
  maxObjects: 10_000_000,
  maxIntBytes: 4096,
});

/** The result of {@link unpickle}. */
export interface UnpickleResult {
  /** The value the stream describes. */
  value: unknown;
  /** Offset of the first byte after STOP. */
  end: number;
  /** The highest protocol announced by PROTO (0 when none). */
  protocol: number;
}

/**
 * Thrown (internally) when the bytes ended before STOP but the caller said more bytes may follow
 * (`partial`): the caller reads more of the file and starts again.
 */
export class NeedMoreBytes extends Error {
  constructor() {
    super('the pickle continues past the bytes given');
    this.name = 'NeedMoreBytes';
  }
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** The file's name for messages. */
  file?: string;
  /** What the stream is, for messages ('data.pkl', 'the storage key list'...). */
  what?: string;
  /** Offset of the first opcode in `bytes`. Default 0. */
  start?: number;
  /** The bytes may stop before the pickle does (throw {@link NeedMoreBytes} instead of TRUNCATED). */
  partial?: boolean;
  /** The stream must end exactly at STOP (no bytes after it). Default false. */
  exactEnd?: boolean;
  /** Limits (defaults: {@link DEFAULT_PICKLE_LIMITS}). */
  limits?: Partial<PickleLimits>;
}

// opcodes (CPython Lib/pickle.py names)
const MARK = 0x28; // (
const STOP = 0x2e; // .
const POP = 0x30; // 0
const POP_MARK = 0x31; // 1
const DUP = 0x32; // 2
const FLOAT = 0x46; // F
const INT = 0x49; // I
const BININT = 0x4a; // J
const BININT1 = 0x4b; // K
const LONG = 0x4c; // L
const BININT2 = 0x4d; // M
const NONE = 0x4e; // N
const PERSID = 0x50; // P
const BINPERSID = 0x51; // Q
const REDUCE = 0x52; // R
const STRING = 0x53; // S
const BINSTRING = 0x54; // T
const SHORT_BINSTRING = 0x55; // U
const UNICODE = 0x56; // V
const BINUNICODE = 0x58; // X
const APPEND = 0x61; // a
const BUILD = 0x62; // b
const GLOBAL = 0x63; // c
const DICT = 0x64; // d
const EMPTY_DICT = 0x7d; // }
const APPENDS = 0x65; // e
const GET = 0x67; // g
const BINGET = 0x68; // h
const INST = 0x69; // i
const LONG_BINGET = 0x6a; // j
const LIST = 0x6c; // l
const EMPTY_LIST = 0x5d; // ]
const OBJ = 0x6f; // o
const PUT = 0x70; // p
const BINPUT = 0x71; // q
const LONG_BINPUT = 0x72; // r
const SETITEM = 0x73; // s
const TUPLE = 0x74; // t
const EMPTY_TUPLE = 0x29; // )
const SETITEMS = 0x75; // u
const BINFLOAT = 0x47; // G
// protocol 2
const PROTO = 0x80;
const NEWOBJ = 0x81;
const EXT1 = 0x82;
const EXT2 = 0x83;
const EXT4 = 0x84;
const TUPLE1 = 0x85;
const TUPLE2 = 0x86;
const TUPLE3 = 0x87;
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const LONG1 = 0x8a;
const LONG4 = 0x8b;
// protocol 3
const BINBYTES = 0x42; // B
const SHORT_BINBYTES = 0x43; // C
// protocol 4
const SHORT_BINUNICODE = 0x8c;
const BINUNICODE8 = 0x8d;
const BINBYTES8 = 0x8e;
const EMPTY_SET = 0x8f;
const ADDITEMS = 0x90;
const FROZENSET = 0x91;
const NEWOBJ_EX = 0x92;
const STACK_GLOBAL = 0x93;
const MEMOIZE = 0x94;
const FRAME = 0x95;
// protocol 5
const BYTEARRAY8 = 0x96;
const NEXT_BUFFER = 0x97;
const READONLY_BUFFER = 0x98;

const HIGHEST_PROTOCOL = 5;


/**
 * The containers the machine builds. Lists and tuples are both JavaScript arrays (a tuple is recorded in
 * `tuples` so that APPEND cannot grow it), dicts are Maps (keys are data, never object properties), sets
 * are Sets (frozensets recorded in `frozen`), bytes are Uint8Arrays.
 */
export interface PickleContainers {
  /** Arrays that are Python tuples (immutable). */
  readonly tuples: WeakSet<unknown[]>;
  /** Sets that are frozensets (immutable). */
  readonly frozen: WeakSet<Set<unknown>>;
}

/** A short name of an opcode for messages: its character when printable, else its hex value. */
function opName(op: number): string {
  return op >= 0x21 && op < 0x7f ? `'${String.fromCharCode(op)}' (0x${op.toString(16)})` : `0x${op.toString(16).padStart(2, '0')}`;
}

/** A Python int as a JavaScript number when it is a safe integer, else a bigint. */
export function pyInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Decodes a little-endian two's complement integer (pickle's LONG1/LONG4 payload). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
  let v = BigInt('0x' + hex);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return pyInt(v);
}

/** Python 2 `str` repr escapes (pickle's STRING opcode) to bytes. */
function unescapePy2(s: string): Uint8Array | undefined {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return undefined;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    i++;
    if (i >= s.length) return undefined;
    const e = s[i];
    const simple: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (e in simple) out.push(simple[e]);
    else if (e === '\n') continue;
    else if (e === 'x') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out.push(parseInt(h, 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      let j = i;
      while (j < s.length && j < i + 3 && /[0-7]/.test(s[j])) j++;
      out.push(parseInt(s.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else {
      out.push(0x5c, e.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape (pickle's UNICODE opcode): latin-1 bytes with \uXXXX and \UXXXXXXXX. */
function rawUnicodeEscape(b: Uint8Array): string | undefined {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x5c && i + 1 < b.length && (b[i + 1] === 0x75 || b[i + 1] === 0x55)) {
      const digits = b[i + 1] === 0x75 ? 4 : 8;
      const h = String.fromCharCode(...b.subarray(i + 2, i + 2 + digits));
      if (h.length !== digits || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff) return undefined;
      out += String.fromCodePoint(cp);
      i += 1 + digits;
    } else out += String.fromCharCode(c);
  }
  return out;
}

/**
 * Reads one pickle from `bytes` (starting at `options.start`) and returns the value it describes, built
 * through `hooks`. Refuses unknown opcodes, stack underflow, a MARK where an object is expected (or an
 * object where a MARK is), memo references to nothing, lengths past the end, and more than the limits
 * allow, with a {@link TorchError} (`PICKLE`, `TRUNCATED`, `LIMIT`; hooks throw their own codes).
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, containers: PickleContainers, options: UnpickleOptions = {}): UnpickleResult {
  const limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const file = options.file;
  const what = options.what ?? 'the pickle';
  const n = bytes.length;
  let pos = options.start ?? 0;
  let opStart = pos;
  let protocol = 0;
  let objects = 0;
  // the stack and, separately, where each open MARK began (CPython's metastack, flattened)
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const fail = (code: TorchErrorCode, message: string): never => {
    throw new TorchError(code, `${what}: ${message} (opcode at byte ${opStart})`, file);
  };
  const need = (k: number): void => {
    if (k > n - pos) {
      if (options.partial) throw new NeedMoreBytes();
      fail('TRUNCATED', `expected ${k} more bytes, got ${Math.max(0, n - pos)} (the stream ends before STOP)`);
    }
  };
  const created = (): void => {
    if (++objects > limits.maxObjects) fail('LIMIT', `expected at most ${limits.maxObjects} objects, got more`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    // any length past 2^53 cannot fit in the bytes that remain: report it as such
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const take = (k: number): Uint8Array => {
    need(k);
    const b = bytes.subarray(pos, pos + k);
    pos += k;
    return b;
  };
  const line = (): Uint8Array => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) {
      if (options.partial) throw new NeedMoreBytes();
      return fail('TRUNCATED', 'expected a line ending in \\n, got the end of the stream');
    }
    const b = bytes.subarray(pos, end);
    pos = end + 1;
    return b;
  };
  const ascii = (b: Uint8Array): string => String.fromCharCode(...(b.length > 4096 ? fail('LIMIT', `expected a text argument of at most 4096 bytes, got ${b.length}`) : b));
  const decodeUtf8 = (b: Uint8Array): string => {
    try {
      return strictUtf8.decode(b);
    } catch {
      return fail('PICKLE', 'expected a UTF-8 string, got invalid UTF-8');
    }
  };
  const bottom = (): number => (marks.length > 0 ? marks[marks.length - 1] : 0);
  const pop = (): unknown => {
    if (stack.length <= bottom()) fail('PICKLE', 'expected an object on the stack, got an empty stack (or a MARK)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= bottom()) fail('PICKLE', 'expected an object on the stack, got an empty stack (or a MARK)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    if (marks.length === 0) fail('PICKLE', 'expected a MARK on the stack, got none');
    const at = marks.pop()!;
    return stack.splice(at);
  };
  const push = (v: unknown): void => {
    stack.push(v);
  };
  const memoPut = (i: number, v: unknown): void => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) fail('LIMIT', `expected at most ${limits.maxMemo} memo entries, got more`);
    memo.set(i, v);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail('PICKLE', `expected memo entry ${i} to be set before it is read, got none`);
    return memo.get(i);
  };
  const tuple = (items: unknown[]): unknown[] => {
    created();
    containers.tuples.add(items);
    return items;
  };
  const asList = (v: unknown, op: string): unknown[] => {
    if (!Array.isArray(v) || containers.tuples.has(v)) fail('PICKLE', `expected a list under ${op}, got ${kindOf(v, containers)}`);
    return v as unknown[];
  };
  const asDict = (v: unknown, op: string): Map<unknown, unknown> => {
    if (!(v instanceof Map)) fail('PICKLE', `expected a dict under ${op}, got ${kindOf(v, containers)}`);
    return v as Map<unknown, unknown>;
  };
  const asArgs = (v: unknown, op: string): unknown[] => {
    if (!Array.isArray(v)) fail('PICKLE', `expected an argument tuple for ${op}, got ${kindOf(v, containers)}`);
    return v as unknown[];
  };
  const intText = (b: Uint8Array, op: string): number | bigint => {
    let s = ascii(b).trim();
    if (op === 'LONG' && s.endsWith('L')) s = s.slice(0, -1);
    if (!/^[+-]?\d+$/.test(s)) fail('PICKLE', `expected a decimal integer after ${op}, got '${s.slice(0, 40)}'`);
    if (s.length > limits.maxIntBytes * 3) fail('LIMIT', `expected an integer of at most ${limits.maxIntBytes} bytes, got ${s.length} digits`);
    return pyInt(BigInt(s));
  };
  const indexText = (b: Uint8Array, op: string): number => {
    const v = intText(b, op);
    if (typeof v !== 'number' || v < 0) fail('PICKLE', `expected a memo index after ${op}, got ${String(v)}`);
    return v as number;
  };
  const setItems = (target: unknown, items: unknown[], op: string): void => {
    const d = asDict(target, op);
    if (items.length % 2 !== 0) fail('PICKLE', `expected key/value pairs under ${op}, got ${items.length} items`);
    for (let k = 0; k < items.length; k += 2) d.set(items[k], items[k + 1]);
  };

  for (;;) {
    opStart = pos;
    if (pos >= n) {
      if (options.partial) throw new NeedMoreBytes();
      fail('TRUNCATED', 'expected an opcode, got the end of the stream (no STOP)');
    }
    const op = bytes[pos++];
    switch (op) {
      case PROTO: {
        const p = u8();
        if (p > HIGHEST_PROTOCOL) fail('PICKLE', `expected pickle protocol 0 to ${HIGHEST_PROTOCOL}, got ${p}`);
        protocol = Math.max(protocol, p);
        break;
      }
      case FRAME: {
        // framing (protocol 4+) only groups opcodes; the frame must lie within the stream
        const len = u64();
        need(len);
        break;
      }
      case STOP: {
        if (marks.length > 0) fail('PICKLE', `expected every MARK to be closed at STOP, got ${marks.length} open`);
        if (stack.length !== 1) fail('PICKLE', `expected exactly one object on the stack at STOP, got ${stack.length}`);
        if (options.exactEnd && pos !== n) fail('PICKLE', `expected the stream to end at STOP, got ${n - pos} more bytes`);
        return { value: stack[0], end: pos, protocol };
      }
      case MARK:
        marks.push(stack.length);
        break;
      case POP:
        if (stack.length > bottom()) stack.pop();
        else if (marks.length > 0 && stack.length === bottom()) marks.pop(); // CPython pops the MARK too
        else fail('PICKLE', 'expected an object to POP, got an empty stack');
        break;
      case POP_MARK:
        popMark();
        break;
      case DUP:
        push(top());
        break;
      // constants
      case NONE:
        push(null);
        break;
      case NEWTRUE:
        push(true);
        break;
      case NEWFALSE:
        push(false);
        break;
      // integers
      case BININT:
        push(i32());
        break;
      case BININT1:
        push(u8());
        break;
      case BININT2:
        push(u16());
        break;
      case LONG1:
      case LONG4: {
        const len = op === LONG1 ? u8() : i32();
        if (len < 0) fail('PICKLE', `expected a non-negative LONG4 length, got ${len}`);
        if (len > limits.maxIntBytes) fail('LIMIT', `expected an integer of at most ${limits.maxIntBytes} bytes, got ${len}`);
        push(decodeLong(take(len)));
        break;
      }
      case INT: {
        const b = line();
        const s = ascii(b);
        // protocol 0 writes booleans as I01 / I00
        if (s === '01') push(true);
        else if (s === '00') push(false);
        else push(intText(b, 'INT'));
        break;
      }
      case LONG:
        push(intText(line(), 'LONG'));
        break;
      // floats
      case BINFLOAT:
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case FLOAT: {
        const s = ascii(line()).trim();
        if (!/^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i.test(s)) fail('PICKLE', `expected a float after FLOAT, got '${s.slice(0, 40)}'`);
        const low = s.toLowerCase().replace(/^\+/, '');
        push(low.endsWith('nan') ? NaN : low === 'inf' || low === 'infinity' ? Infinity : low === '-inf' || low === '-infinity' ? -Infinity : Number(s));
        break;
      }
      // text
      case BINUNICODE:
      case SHORT_BINUNICODE:
      case BINUNICODE8: {
        const len = op === SHORT_BINUNICODE ? u8() : op === BINUNICODE ? u32() : u64();
        created();
        push(decodeUtf8(take(len)));
        break;
      }
      case UNICODE: {
        const s = rawUnicodeEscape(line());
        if (s === undefined) fail('PICKLE', 'expected raw-unicode-escape text after UNICODE, got an invalid escape');
        created();
        push(s);
        break;
      }
      // Python 2 str: decoded as UTF-8 text, as torch.load does by default (encoding='utf-8')
      case BINSTRING:
      case SHORT_BINSTRING: {
        const len = op === SHORT_BINSTRING ? u8() : i32();
        if (len < 0) fail('PICKLE', `expected a non-negative BINSTRING length, got ${len}`);
        created();
        push(decodeUtf8(take(len)));
        break;
      }
      case STRING: {
        const raw = ascii(line()).replace(/\s+$/, '');
        const q = raw[0];
        if (raw.length < 2 || (q !== "'" && q !== '"') || raw[raw.length - 1] !== q) fail('PICKLE', `expected a quoted string after STRING, got '${raw.slice(0, 40)}'`);
        const b = unescapePy2(raw.slice(1, -1));
        if (b === undefined) fail('PICKLE', 'expected a valid escaped string after STRING, got an invalid escape');
        created();
        push(decodeUtf8(b!));
        break;
      }
      // bytes
      case BINBYTES:
      case SHORT_BINBYTES:
      case BINBYTES8:
      case BYTEARRAY8: {
        const len = op === SHORT_BINBYTES ? u8() : op === BINBYTES ? u32() : u64();
        created();
        push(take(len).slice());
        break;
      }
      case NEXT_BUFFER:
      case READONLY_BUFFER:
        fail('PICKLE', 'expected in-band data, got an out-of-band buffer opcode (pickle protocol 5 buffers are not part of a torch.save file)');
        break;
      // containers
      case EMPTY_TUPLE:
        push(tuple([]));
        break;
      case TUPLE1:
        push(tuple([pop()]));
        break;
      case TUPLE2: {
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case TUPLE:
        push(tuple(popMark()));
        break;
      case EMPTY_LIST:
        created();
        push([]);
        break;
      case LIST:
        created();
        push(popMark());
        break;
      case APPEND: {
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case APPENDS: {
        const items = popMark();
        const list = asList(top(), 'APPENDS');
        for (const v of items) list.push(v);
        break;
      }
      case EMPTY_DICT:
        created();
        push(new Map());
        break;
      case DICT: {
        const items = popMark();
        const d = new Map();
        created();
        setItems(d, items, 'DICT');
        push(d);
        break;
      }
      case SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v], 'SETITEM');
        break;
      }
      case SETITEMS: {
        const items = popMark();
        setItems(top(), items, 'SETITEMS');
        break;
      }
      case EMPTY_SET:
        created();
        push(new Set());
        break;
      case ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set) || containers.frozen.has(s)) fail('PICKLE', `expected a set under ADDITEMS, got ${kindOf(s, containers)}`);
        for (const v of items) (s as Set<unknown>).add(v);
        break;
      }
      case FROZENSET: {
        const s = new Set(popMark());
        created();
        containers.frozen.add(s);
        push(s);
        break;
      }
      // memo
      case PUT:
        memoPut(indexText(line(), 'PUT'), top());
        break;
      case BINPUT:
        memoPut(u8(), top());
        break;
      case LONG_BINPUT:
        memoPut(u32(), top());
        break;
      case MEMOIZE:
        memoPut(memo.size, top());
        break;
      case GET:
        push(memoGet(indexText(line(), 'GET')));
        break;
      case BINGET:
        push(memoGet(u8()));
        break;
      case LONG_BINGET:
        push(memoGet(u32()));
        break;
      // names of Python objects: the hooks decide
      case GLOBAL: {
        const module = ascii(line());
        const name = ascii(line());
        created();
        push(hooks.global(module, name));
        break;
      }
      case STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('PICKLE', `expected two strings (module, name) under STACK_GLOBAL, got ${kindOf(module)} and ${kindOf(name)}`);
        created();
        push(hooks.global(module as string, name as string));
        break;
      }
      case EXT1:
      case EXT2:
      case EXT4:
        fail('PICKLE', `expected globals named in the stream, got an extension-registry code (${opName(op)}), which names a global by number`);
        break;
      // calls: the hooks build inert values for allowed ones and refuse the rest
      case REDUCE: {
        const args = asArgs(pop(), 'REDUCE');
        const func = pop();
        created();
        push(hooks.call(func, args));
        break;
      }
      case INST: {
        const module = ascii(line());
        const name = ascii(line());
        const args = popMark();
        const cls = hooks.global(module, name);
        created();
        push(hooks.call(cls, args));
        break;
      }
      case OBJ: {
        const items = popMark();
        if (items.length === 0) fail('PICKLE', 'expected a class under OBJ, got nothing after the MARK');
        created();
        push(hooks.call(items[0], items.slice(1)));
        break;
      }
      case NEWOBJ: {
        const args = asArgs(pop(), 'NEWOBJ');
        const cls = pop();
        created();
        push(hooks.newObject(cls, args, undefined));
        break;
      }
      case NEWOBJ_EX: {
        const kwargs = asDict(pop(), 'NEWOBJ_EX');
        const args = asArgs(pop(), 'NEWOBJ_EX');
        const cls = pop();
        created();
        push(hooks.newObject(cls, args, kwargs));
        break;
      }
      case BUILD: {
        const state = pop();
        const target = pop();
        push(hooks.build(target, state));
        break;
      }
      case BINPERSID: {
        const pid = pop();
        created();
        push(hooks.persistentLoad(pid));
        break;
      }
      case PERSID: {
        const pid = ascii(line());
        created();
        push(hooks.persistentLoad(pid));
        break;
      }
      default:
        fail('PICKLE', `expected a pickle opcode, got unknown opcode ${opName(op)}`);
    }
  }
}

/** A short description of an unpickled value for messages. */
export function kindOf(v: unknown, containers?: PickleContainers): string {
  if (v === null) return 'None';
  // a missing item (the first of an empty persistent-id tuple) is no unpickled value at all
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return containers?.tuples.has(v) ? `a tuple of ${v.length}` : `a list of ${v.length}`;
  if (v instanceof Map) return `a dict of ${v.size}`;
  if (v instanceof Set) return 'a set';
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  switch (typeof v) {
    case 'string':
      return `the string '${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
    case 'number':
      return Number.isInteger(v) ? `the int ${v}` : `the float ${v}`;
    case 'bigint':
      return `the int ${v}`;
    case 'boolean':
      return v ? 'True' : 'False';
  }
  const d = (v as { describe?: () => string }).describe;
  return typeof d === 'function' ? d.call(v) : 'an object';
}
