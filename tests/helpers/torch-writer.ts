// A small writer of torch.save files for tests and benchmarks, written from the format's description
// (PyTorch's torch/serialization.py layout, CPython's pickle opcodes, PKWARE's zip APPNOTE), independent of
// lowp's reader: pickles of plain values and tensors in the protocols torch.save and Python use (2 as
// torch.save does, 4 with frames and STACK_GLOBAL, 0 with text opcodes), zip archives laid out as
// torch.save lays them out (one top folder, data.pkl, byteorder, version, data/<key> stored at 64-byte
// aligned offsets, local headers with zero sizes and a data descriptor, zip64 when needed or asked), and
// the legacy format (magic, protocol 1001, sys_info, the object, the storage keys, then each storage as an
// int64 count and raw bytes). Storages can be bytes or generated chunks, so a 1 GiB file is written
// without holding it in memory.
import { deflateRawSync } from 'node:zlib';

/** A float written as a float even when integral. */
export class F {
  constructor(readonly value: number) {}
}
/** A tuple. */
export class Tuple {
  constructor(readonly items: PyW[]) {}
}
/** An OrderedDict (REDUCE of collections.OrderedDict, then SETITEMS). */
export class Ordered {
  constructor(readonly map: Map<PyW, PyW>) {}
}
/** A set (protocol 4: EMPTY_SET + ADDITEMS; else builtins.set([...])). */
export class PySet {
  constructor(readonly items: PyW[], readonly frozen = false) {}
}
/** A global (`module.name`) as a value. */
export class G {
  constructor(readonly name: string) {}
}
/** REDUCE: a global called with arguments. */
export class Call {
  constructor(readonly func: string, readonly args: PyW[]) {}
}
/** NEWOBJ of a global, then BUILD with a state dict. */
export class NewObj {
  constructor(readonly cls: string, readonly state: Map<PyW, PyW> | null) {}
}
/** Opcodes written as they are. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A tensor: a view of a storage. */
export interface TensorSpec {
  storage: string;
  dtype: string;
  shape: number[];
  strides?: number[];
  offset?: number;
  requiresGrad?: boolean;
  parameter?: boolean;
  /** Force _rebuild_tensor_v3 (an UntypedStorage and a dtype global); automatic for dtypes without a storage class. */
  v3?: boolean;
  /** Wrap in torch._tensor._rebuild_from_type_v2(func, torch.Tensor, args, {}). */
  fromType?: boolean;
}
/** A tensor value (the same instance written twice is the same tensor: tied weights). */
export class T {
  constructor(readonly spec: TensorSpec) {}
}

/** A value the writer can pickle. Numbers are ints when integral (use F for integral floats), bigints are ints. */
export type PyW = null | boolean | number | bigint | string | Uint8Array | PyW[] | Map<PyW, PyW> | F | Tuple | Ordered | PySet | G | Call | NewObj | Raw | T;

/** A storage's bytes: in memory, or a size and a generator of chunks (for big files). */
export type StorageBytes = Uint8Array | { size: number; chunks: () => Iterable<Uint8Array> };

/** A storage: its dtype and its bytes (elements = bytes / element size). */
export interface StorageSpec {
  dtype: string;
  bytes: StorageBytes;
  location?: string;
}

export const ELEMENT_SIZE: Record<string, number> = {
  float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
  uint16: 2, uint32: 4, uint64: 8, float8_e4m3fn: 1, float8_e5m2: 1, float8_e4m3fnuz: 1, float8_e5m2fnuz: 1,
  float8_e8m0fnu: 1, complex64: 8, complex128: 16, qint8: 1, quint8: 1, qint32: 4,
};
const STORAGE_CLASS: Record<string, string> = {
  float64: 'DoubleStorage', float32: 'FloatStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage', int64: 'LongStorage',
  int32: 'IntStorage', int16: 'ShortStorage', int8: 'CharStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
  complex64: 'ComplexFloatStorage', complex128: 'ComplexDoubleStorage',
};

export interface PickleOptions {
  /** 0 (text opcodes), 2 (torch.save's default), 4 or 5 (frames, STACK_GLOBAL, MEMOIZE). Default 2. */
  protocol?: 0 | 2 | 3 | 4 | 5;
  /** Storages named by tensors (for the element counts in persistent ids). */
  storages?: ReadonlyMap<string, StorageSpec>;
  /** 'zip' persistent ids (5 items) or 'legacy' (6 items). Default 'zip'. */
  persistent?: 'zip' | 'legacy';
}

function storageBytesLength(b: StorageBytes): number {
  return b instanceof Uint8Array ? b.length : b.size;
}

class Out {
  private parts: number[] = [];
  byte(...b: number[]): void {
    for (const x of b) this.parts.push(x & 0xff);
  }
  bytes(b: Uint8Array | number[]): void {
    for (const x of b) this.parts.push(x);
  }
  u16(v: number): void {
    this.byte(v, v >> 8);
  }
  u32(v: number): void {
    this.byte(v, v >>> 8, v >>> 16, v >>> 24);
  }
  u64(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.bytes(b);
  }
  text(s: string): void {
    this.bytes(new TextEncoder().encode(s));
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Pickles `value` the way CPython's pickler (protocol 0, 2, 3, 4 or 5) and torch.save would. */
export function pickle(value: PyW, options: PickleOptions = {}): Uint8Array {
  const proto = options.protocol ?? 2;
  const storages = options.storages ?? new Map();
  const persistent = options.persistent ?? 'zip';
  const o = new Out();
  const memo = new Map<unknown, number>();
  const put = (key: unknown): void => {
    const i = memo.size;
    memo.set(key, i);
    if (proto >= 4) o.byte(0x94);
    else if (proto === 0) o.text(`p${i}\n`);
    else if (i < 256) o.byte(0x71, i);
    else {
      o.byte(0x72);
      o.u32(i);
    }
  };
  const get = (key: unknown): boolean => {
    const i = memo.get(key);
    if (i === undefined) return false;
    if (proto === 0) o.text(`g${i}\n`);
    else if (i < 256) o.byte(0x68, i);
    else {
      o.byte(0x6a);
      o.u32(i);
    }
    return true;
  };
  const str = (s: string, memoize = true): void => {
    const b = new TextEncoder().encode(s);
    if (proto === 0) {
      let esc = '';
      for (const ch of s) {
        const c = ch.codePointAt(0)!;
        esc += c < 0x80 && c !== 0x5c && c !== 0x0a ? ch : c <= 0xffff ? `\\u${c.toString(16).padStart(4, '0')}` : `\\U${c.toString(16).padStart(8, '0')}`;
      }
      o.text(`V${esc}\n`);
    } else if (proto >= 4 && b.length < 256) o.byte(0x8c, b.length), o.bytes(b);
    else {
      o.byte(0x58);
      o.u32(b.length);
      o.bytes(b);
    }
    if (memoize) put({});
  };
  const int = (v: number | bigint): void => {
    const n = BigInt(v);
    if (proto === 0) {
      o.text(n >= -(2n ** 31n) && n < 2n ** 31n ? `I${n}\n` : `L${n}L\n`);
    } else if (n >= 0n && n < 256n) o.byte(0x4b, Number(n));
    else if (n >= 0n && n < 65536n) o.byte(0x4d), o.u16(Number(n));
    else if (n >= -(2n ** 31n) && n < 2n ** 31n) o.byte(0x4a), o.u32(Number(BigInt.asUintN(32, n)));
    else {
      // LONG1: little-endian two's complement, shortest
      const bytes: number[] = [];
      let x = n;
      while (true) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const sign = bytes[bytes.length - 1] & 0x80;
        if ((x === 0n && !sign) || (x === -1n && sign)) break;
      }
      o.byte(0x8a, bytes.length);
      o.bytes(bytes);
    }
  };
  const float = (v: number): void => {
    if (proto === 0) {
      o.text(`F${Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v)}\n`);
      return;
    }
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    o.byte(0x47);
    o.bytes(b);
  };
  const global = (full: string): void => {
    if (get(`global:${full}`)) return;
    const dot = full.lastIndexOf('.');
    const mod = full.slice(0, dot);
    const name = full.slice(dot + 1);
    if (proto >= 4) {
      str(mod);
      str(name);
      o.byte(0x93);
    } else o.text(`c${mod}\n${name}\n`);
    put(`global:${full}`);
  };
  const tuple = (items: PyW[]): void => {
    if (items.length === 0) return void (proto === 0 ? o.text('(t') : o.byte(0x29));
    if (proto >= 2 && items.length <= 3) {
      for (const x of items) w(x);
      o.byte(0x84 + items.length);
    } else {
      o.byte(0x28);
      for (const x of items) w(x);
      o.byte(0x74);
    }
  };
  const emptyTuple = (): void => (proto === 0 ? o.text('(t') : o.byte(0x29));
  const reduce = (func: string, args: PyW[]): void => {
    global(func);
    tuple(args);
    o.byte(0x52);
  };
  const dictItems = (m: Map<PyW, PyW>): void => {
    if (m.size === 0) return;
    o.byte(0x28);
    for (const [k, v] of m) {
      w(k);
      w(v);
    }
    o.byte(0x75);
  };
  const tensor = (t: T): void => {
    if (get(t)) return;
    const s = t.spec;
    const st = storages.get(s.storage);
    const stDtype = st?.dtype ?? s.dtype;
    const v3 = s.v3 || STORAGE_CLASS[s.dtype] === undefined;
    const shape = s.shape;
    const strides = s.strides ?? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const size = st ? storageBytesLength(st.bytes) : 0;
    const numel = v3 ? size : size / ELEMENT_SIZE[stDtype];
    const fn = v3 ? 'torch._utils._rebuild_tensor_v3' : 'torch._utils._rebuild_tensor_v2';
    const writeArgs = (): void => {
      o.byte(0x28); // MARK of the argument tuple
      // persistent id
      o.byte(0x28);
      str('storage');
      global(v3 ? 'torch.storage.UntypedStorage' : `torch.${STORAGE_CLASS[stDtype]}`);
      str(s.storage);
      str(st?.location ?? 'cpu');
      int(numel);
      if (persistent === 'legacy') o.byte(0x4e);
      o.byte(0x74);
      o.byte(0x51); // BINPERSID
      int(s.offset ?? 0);
      tuple(shape);
      tuple(strides);
      o.byte(s.requiresGrad ? 0x88 : 0x89);
      reduce('collections.OrderedDict', []);
      if (v3) global(`torch.${s.dtype}`);
      o.byte(0x74);
    };
    const writeCore = (): void => {
      global(fn);
      writeArgs();
      o.byte(0x52);
    };
    if (s.fromType) {
      global('torch._tensor._rebuild_from_type_v2');
      o.byte(0x28);
      global(fn);
      global(s.parameter ? 'torch.nn.parameter.Parameter' : 'torch.Tensor');
      writeArgs();
      o.byte(0x7d); // state {}
      o.byte(0x74);
      o.byte(0x52);
    } else if (s.parameter) {
      global('torch._utils._rebuild_parameter');
      o.byte(0x28);
      writeCore();
      o.byte(s.requiresGrad ? 0x88 : 0x89);
      reduce('collections.OrderedDict', []);
      o.byte(0x74);
      o.byte(0x52);
    } else writeCore();
    put(t);
  };
  const w = (v: PyW): void => {
    if (v === null) return void o.byte(0x4e);
    if (v === true || v === false) return void (proto === 0 ? o.text(v ? 'I01\n' : 'I00\n') : o.byte(v ? 0x88 : 0x89));
    if (typeof v === 'bigint') return int(v);
    if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    if (typeof v === 'string') return str(v);
    if (v instanceof F) return float(v.value);
    if (v instanceof Uint8Array) {
      if (proto >= 3) {
        if (v.length < 256) o.byte(0x43, v.length);
        else o.byte(0x42), o.u32(v.length);
        o.bytes(v);
        return;
      }
      if (v.length === 0) return reduce('builtins.bytes', []);
      return reduce('_codecs.encode', [String.fromCharCode(...v), 'latin1']);
    }
    if (v instanceof Raw) return void o.bytes(v.bytes);
    if (v instanceof T) return tensor(v);
    if (v instanceof G) return global(v.name);
    if (v instanceof Call) {
      global(v.func);
      tuple(v.args);
      o.byte(0x52);
      return;
    }
    if (v instanceof NewObj) {
      global(v.cls);
      emptyTuple();
      o.byte(0x81);
      if (v.state !== null) {
        o.byte(0x7d);
        dictItems(v.state);
        o.byte(0x62);
      }
      return;
    }
    if (v instanceof Tuple) return tuple(v.items);
    if (v instanceof PySet) {
      if (proto >= 4 && !v.frozen) {
        o.byte(0x8f);
        if (v.items.length > 0) {
          o.byte(0x28);
          for (const x of v.items) w(x);
          o.byte(0x90);
        }
        return;
      }
      if (proto >= 4) {
        o.byte(0x28);
        for (const x of v.items) w(x);
        o.byte(0x91);
        return;
      }
      return reduce(v.frozen ? 'builtins.frozenset' : 'builtins.set', [v.items]);
    }
    if ((Array.isArray(v) || v instanceof Map || v instanceof Ordered) && get(v)) return;
    if (Array.isArray(v)) {
      if (proto === 0) {
        o.text('(l');
        put(v);
        for (const x of v) {
          w(x);
          o.byte(0x61);
        }
        return;
      }
      o.byte(0x5d);
      put(v);
      if (v.length > 0) {
        o.byte(0x28);
        for (const x of v) w(x);
        o.byte(0x65);
      }
      return;
    }
    if (v instanceof Ordered) {
      reduce('collections.OrderedDict', []);
      put(v);
      dictItems(v.map);
      return;
    }
    if (v instanceof Map) {
      if (proto === 0) {
        o.text('(d');
        put(v);
        for (const [k, x] of v) {
          w(k);
          w(x);
          o.byte(0x73);
        }
        return;
      }
      o.byte(0x7d);
      put(v);
      dictItems(v);
      return;
    }
    throw new TypeError(`cannot pickle ${String(v)}`);
  };
  if (proto >= 2) o.byte(0x80, proto);
  const frameAt = o.length;
  w(value);
  o.byte(0x2e);
  const body = o.done();
  if (proto < 4) return body;
  // one frame around everything after PROTO
  const frameLen = body.length - frameAt;
  const out = new Uint8Array(body.length + 9);
  out.set(body.subarray(0, frameAt));
  out[frameAt] = 0x95;
  new DataView(out.buffer).setBigUint64(frameAt + 1, BigInt(frameLen), true);
  out.set(body.subarray(frameAt), frameAt + 9);
  return out;
}

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crcUpdate(c: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) c = CRC[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return c;
}

/** One zip entry: a name under the folder and its bytes. */
export interface ZipEntrySpec {
  name: string;
  bytes: StorageBytes;
  /** Deflate it (in-memory bytes only). */
  deflate?: boolean;
}

export interface ZipOptions {
  /** Write zip64 records (end record, locator, extra fields) even when nothing overflows. */
  zip64?: boolean;
  /** Align each entry's data to this many bytes (torch: 64). Default 64. */
  alignment?: number;
}

/** Writes a zip archive the way torch.save's writer (miniz) lays it out, chunk by chunk into `sink`. */
export function writeZip(entries: ZipEntrySpec[], sink: (chunk: Uint8Array) => void, options: ZipOptions = {}): void {
  const align = options.alignment ?? 64;
  let pos = 0;
  const emit = (b: Uint8Array): void => {
    sink(b);
    pos += b.length;
  };
  const central: Array<{ name: Uint8Array; offset: number; crc: number; csize: number; usize: number; method: number }> = [];
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    let data: StorageBytes = e.bytes;
    let method = 0;
    let usize = storageBytesLength(e.bytes);
    let crc = 0xffffffff;
    if (e.deflate) {
      if (!(e.bytes instanceof Uint8Array)) throw new TypeError('deflate needs bytes');
      crc = crcUpdate(crc, e.bytes);
      data = new Uint8Array(deflateRawSync(e.bytes));
      method = 8;
    }
    const offset = pos;
    const headerLen = 30 + name.length;
    // an 'FB' extra field pads the data to the alignment, as torch's writer does
    let pad = (align - ((offset + headerLen + 4) % align)) % align;
    const extraLen = align > 1 ? 4 + pad : 0;
    if (align <= 1) pad = 0;
    const h = new Out();
    h.u32(0x04034b50);
    h.u16(options.zip64 ? 45 : 0);
    h.u16(0x0808);
    h.u16(method);
    h.u16(0);
    h.u16(0x21);
    h.u32(0);
    h.u32(0);
    h.u32(0);
    h.u16(name.length);
    h.u16(extraLen);
    h.bytes(name);
    if (extraLen > 0) {
      h.u16(0x4246);
      h.u16(pad);
      for (let i = 0; i < pad; i++) h.byte(0x5a);
    }
    emit(h.done());
    if (data instanceof Uint8Array) {
      if (!e.deflate) crc = crcUpdate(crc, data);
      emit(data);
    } else {
      for (const c of data.chunks()) {
        crc = crcUpdate(crc, c);
        emit(c);
      }
    }
    const csize = storageBytesLength(data);
    crc = (crc ^ 0xffffffff) >>> 0;
    const d = new Out();
    d.u32(0x08074b50);
    d.u32(crc);
    if (options.zip64) {
      d.u64(csize);
      d.u64(usize);
    } else {
      d.u32(csize);
      d.u32(usize);
    }
    emit(d.done());
    central.push({ name, offset, crc, csize, usize, method });
  }
  const cdStart = pos;
  for (const c of central) {
    const big = options.zip64 || c.offset >= 0xffffffff || c.csize >= 0xffffffff;
    const x = new Out();
    x.u32(0x02014b50);
    x.u16(big ? 45 : 0);
    x.u16(big ? 45 : 0);
    x.u16(0x0808);
    x.u16(c.method);
    x.u16(0);
    x.u16(0x21);
    x.u32(c.crc);
    x.u32(big ? 0xffffffff : c.csize);
    x.u32(big ? 0xffffffff : c.usize);
    x.u16(c.name.length);
    x.u16(big ? 28 : 0);
    x.u16(0);
    x.u16(0);
    x.u16(0);
    x.u32(0);
    x.u32(big ? 0xffffffff : c.offset);
    x.bytes(c.name);
    if (big) {
      x.u16(1);
      x.u16(24);
      x.u64(c.usize);
      x.u64(c.csize);
      x.u64(c.offset);
    }
    emit(x.done());
  }
  const cdSize = pos - cdStart;
  const big = options.zip64 || cdStart >= 0xffffffff || central.length >= 0xffff;
  if (big) {
    const z = new Out();
    const recAt = pos;
    z.u32(0x06064b50);
    z.u64(44);
    z.u16(45);
    z.u16(45);
    z.u32(0);
    z.u32(0);
    z.u64(central.length);
    z.u64(central.length);
    z.u64(cdSize);
    z.u64(cdStart);
    z.u32(0x07064b50);
    z.u32(0);
    z.u64(recAt);
    z.u32(1);
    emit(z.done());
  }
  const eo = new Out();
  eo.u32(0x06054b50);
  eo.u16(0);
  eo.u16(0);
  eo.u16(big ? 0xffff : central.length);
  eo.u16(big ? 0xffff : central.length);
  eo.u32(big ? 0xffffffff : cdSize);
  eo.u32(big ? 0xffffffff : cdStart);
  eo.u16(0);
  emit(eo.done());
}

export interface SaveOptions extends ZipOptions {
  /** The archive's top folder (torch: the file name's stem). Default 'archive'. */
  folder?: string;
  /** Pickle protocol of data.pkl. Default 2. */
  protocol?: 0 | 2 | 3 | 4 | 5;
  /** 'little' (default), 'big', or null to leave the record out. */
  byteorder?: 'little' | 'big' | null;
  /** Deflate data.pkl. */
  deflatePickle?: boolean;
  /** Deflate the storages too (torch never does). */
  deflateStorages?: boolean;
  /** Write the legacy format instead of a zip archive. */
  legacy?: boolean;
  /** data.pkl as these bytes instead of the pickle of the object (a hand-made or mutated pickle). */
  rawPickle?: Uint8Array;
}

/** torch.save of `obj` whose tensors view `storages`, into `sink` chunk by chunk. */
export function torchSaveTo(obj: PyW, storages: ReadonlyMap<string, StorageSpec>, sink: (chunk: Uint8Array) => void, options: SaveOptions = {}): void {
  if (options.legacy) return legacySaveTo(obj, storages, sink);
  const folder = options.folder ?? 'archive';
  const pkl = options.rawPickle ?? pickle(obj, { protocol: options.protocol ?? 2, storages });
  const entries: ZipEntrySpec[] = [{ name: `${folder}/data.pkl`, bytes: pkl, deflate: options.deflatePickle }];
  entries.push({ name: `${folder}/.format_version`, bytes: new TextEncoder().encode('1') });
  entries.push({ name: `${folder}/.storage_alignment`, bytes: new TextEncoder().encode('64') });
  if (options.byteorder !== null) entries.push({ name: `${folder}/byteorder`, bytes: new TextEncoder().encode(options.byteorder ?? 'little') });
  for (const [key, s] of storages) entries.push({ name: `${folder}/data/${key}`, bytes: s.bytes, deflate: options.deflateStorages });
  entries.push({ name: `${folder}/version`, bytes: new TextEncoder().encode('3\n') });
  writeZip(entries, sink, options);
}

/** The legacy format: five pickles, then each storage's int64 element count and bytes. */
function legacySaveTo(obj: PyW, storages: ReadonlyMap<string, StorageSpec>, sink: (chunk: Uint8Array) => void): void {
  sink(pickle(0x1950a86a20f9469cfc6cn));
  sink(pickle(1001));
  sink(pickle(new Map<PyW, PyW>([['protocol_version', 1001], ['little_endian', true], ['type_sizes', new Map<PyW, PyW>([['short', 2], ['int', 4], ['long', 4]])]])));
  sink(pickle(obj, { storages, persistent: 'legacy' }));
  const keys = [...storages.keys()].sort();
  sink(pickle(keys));
  for (const k of keys) {
    const s = storages.get(k)!;
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(storageBytesLength(s.bytes) / ELEMENT_SIZE[s.dtype]), true);
    sink(count);
    if (s.bytes instanceof Uint8Array) sink(s.bytes);
    else for (const c of s.bytes.chunks()) sink(c);
  }
}

/** torch.save into memory. */
export function torchSave(obj: PyW, storages: ReadonlyMap<string, StorageSpec> = new Map(), options: SaveOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  torchSaveTo(obj, storages, (c) => parts.push(c), options);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
