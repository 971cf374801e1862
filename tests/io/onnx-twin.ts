// A slow, obviously-correct twin of lowp/io's ONNX reader for tests: the whole file in memory, every
// varint as a bigint, every message decoded into a generic tree by plain recursion (groups skipped,
// scalar fields also taken as packed runs, the last value kept, as protobuf does), then the
// initializers (main graph and subgraphs, named by the documented rule) turned into the little-endian
// bytes of their lowp element type in the simplest possible way. Shares no code with src/io/onnx.

export interface TwinField { field: number; wire: number; value: bigint | Uint8Array }

/** Decodes one message into its fields; throws Error on anything invalid. */
export function twinFields(b: Uint8Array): TwinField[] {
  const out: TwinField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let k = 0; k < 10; k++) {
      if (i >= b.length) throw new Error('varint past the end');
      const x = b[i++];
      if (k === 9 && x > 1) throw new Error('varint over 64 bits');
      v |= BigInt(x & 0x7f) << BigInt(7 * k);
      if ((x & 0x80) === 0) return v;
    }
    throw new Error('varint over 10 bytes');
  };
  const take = (n: number): Uint8Array => {
    if (n > b.length - i) throw new Error('value past the end');
    const s = b.subarray(i, i + n);
    i += n;
    return s;
  };
  const readKey = (): [number, number] => {
    const key = varint();
    if (key >= 1n << 32n) throw new Error('key too big');
    const field = Number(key >> 3n);
    if (field === 0) throw new Error('field 0');
    return [field, Number(key & 7n)];
  };
  // a group (wire types 3 and 4, deprecated): skipped with everything in it, as an unknown field is
  const skipGroup = (field: number, depth: number): void => {
    if (depth > 100) throw new Error('groups too deep');
    for (;;) {
      const [f, w] = readKey();
      if (w === 4) {
        if (f !== field) throw new Error('end group of another field');
        return;
      }
      if (w === 0) varint();
      else if (w === 1) take(8);
      else if (w === 2) {
        const n = varint();
        if (n > BigInt(b.length - i)) throw new Error('length past the end');
        take(Number(n));
      } else if (w === 5) take(4);
      else if (w === 3) skipGroup(f, depth + 1);
      else throw new Error(`wire type ${w}`);
    }
  };
  while (i < b.length) {
    const [field, wire] = readKey();
    if (wire === 3) {
      skipGroup(field, 1);
      continue;
    }
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) out.push({ field, wire, value: take(8) });
    else if (wire === 2) {
      const n = varint();
      if (n > BigInt(b.length - i)) throw new Error('length past the end');
      out.push({ field, wire, value: take(Number(n)) });
    } else if (wire === 5) out.push({ field, wire, value: take(4) });
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function packedVarints(f: TwinField): bigint[] {
  if (f.wire === 0) return [f.value as bigint];
  const b = f.value as Uint8Array;
  const out: bigint[] = [];
  let v = 0n;
  let k = 0;
  for (const x of b) {
    v |= BigInt(x & 0x7f) << BigInt(7 * k);
    k++;
    if ((x & 0x80) === 0) {
      out.push(v);
      v = 0n;
      k = 0;
    }
  }
  if (k !== 0) throw new Error('cut varint');
  return out;
}

function fixedChunks(f: TwinField, size: number): Uint8Array[] {
  const b = f.value as Uint8Array;
  if (f.wire !== 2) return [b];
  const out: Uint8Array[] = [];
  for (let i = 0; i + size <= b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

export interface TwinTensor { name: string; dataType: number; dims: number[]; bytes: Uint8Array | null; external: boolean }

const SIZE: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 24: 1 };
const FOUR_BIT = new Set([21, 22, 23]);

/** The tensor's stored bytes the simplest way (null: a type the twin does not read, or no data). */
export function twinTensor(fields: TwinField[]): TwinTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  const typed = new Map<number, TwinField[]>();
  let external = false;
  for (const f of fields) {
    if (f.field === 1) for (const v of packedVarints(f)) dims.push(Number(v));
    // a scalar field may also come as a packed run (wire type 2): each value in turn, the last one stays
    else if (f.field === 2) for (const v of packedVarints(f)) dataType = Number(BigInt.asIntN(32, v));
    else if (f.field === 8) name = dec.decode(f.value as Uint8Array);
    else if (f.field === 9) raw = f.value as Uint8Array;
    else if (f.field === 14) for (const v of packedVarints(f)) external = BigInt.asIntN(32, v) === 1n;
    else if ([4, 5, 7, 10, 11].includes(f.field)) typed.set(f.field, [...(typed.get(f.field) ?? []), f]);
  }
  const elements = dims.reduce((a, d) => a * d, 1);
  if (raw !== null || external) return { name, dataType, dims, bytes: raw, external };
  const size = SIZE[dataType];
  if (FOUR_BIT.has(dataType)) {
    const vals = (typed.get(5) ?? []).flatMap(packedVarints);
    return { name, dataType, dims, bytes: Uint8Array.from(vals.map((v) => Number(v & 0xffn))), external };
  }
  if (size === undefined) return { name, dataType, dims, bytes: null, external };
  const out = new Uint8Array(elements * size);
  const dv = new DataView(out.buffer);
  let k = 0;
  if (dataType === 1) for (const f of typed.get(4) ?? []) for (const c of fixedChunks(f, 4)) { out.set(c, k * 4); k++; }
  else if (dataType === 11) for (const f of typed.get(10) ?? []) for (const c of fixedChunks(f, 8)) { out.set(c, k * 8); k++; }
  else {
    const field = dataType === 7 ? 7 : dataType === 12 || dataType === 13 ? 11 : 5;
    for (const f of typed.get(field) ?? []) {
      for (const v of packedVarints(f)) {
        if (k >= elements) break;
        if (size === 8) dv.setBigUint64(k * 8, BigInt.asUintN(64, v), true);
        else if (size === 4) dv.setUint32(k * 4, Number(BigInt.asUintN(32, v)), true);
        else if (size === 2) dv.setUint16(k * 2, Number(BigInt.asUintN(16, v)), true);
        else out[k] = dataType === 9 ? (v !== 0n ? 1 : 0) : Number(BigInt.asUintN(8, v));
        k++;
      }
    }
  }
  return { name, dataType, dims, bytes: out, external };
}

/** Every initializer of a model (main graph, then subgraphs depth-first), named as lowp/io names them. */
export function twinInitializers(model: Uint8Array): { name: string; tensor: TwinTensor }[] {
  const graphs = twinFields(model).filter((f) => f.field === 7 && f.wire === 2).map((f) => twinFields(f.value as Uint8Array));
  const main = graphs.flat();
  const out: { name: string; tensor: TwinTensor }[] = [];
  const taken = new Set<string>();
  for (const f of main) {
    if (f.field !== 5) continue;
    const t = twinTensor(twinFields(f.value as Uint8Array));
    taken.add(t.name);
    out.push({ name: t.name, tensor: t });
  }
  const visit = (graph: TwinField[], path: string): void => {
    let index = 0;
    for (const nf of graph) {
      if (nf.field !== 1) continue;
      const node = twinFields(nf.value as Uint8Array);
      let nodeName = '';
      let op = '';
      for (const f of node) {
        if (f.field === 3) nodeName = dec.decode(f.value as Uint8Array);
        if (f.field === 4) op = dec.decode(f.value as Uint8Array);
      }
      const base = (path === '' ? '' : path + '::') + (nodeName !== '' ? nodeName : `${op}#${index}`);
      for (const af of node) {
        if (af.field !== 5) continue;
        const attr = twinFields(af.value as Uint8Array);
        let aname = '';
        for (const f of attr) if (f.field === 1) aname = dec.decode(f.value as Uint8Array);
        const subs = attr.filter((f) => f.field === 6 || f.field === 11);
        let k = 0;
        for (const s of subs) {
          const sub = twinFields(s.value as Uint8Array);
          const p = `${base}::${aname}${s.field === 11 ? `[${k++}]` : ''}`;
          for (const f of sub) {
            if (f.field !== 5) continue;
            const t = twinTensor(twinFields(f.value as Uint8Array));
            let u = `${p}::${t.name}`;
            for (let j = 2; taken.has(u); j++) u = `${p}::${t.name}~${j}`;
            taken.add(u);
            out.push({ name: u, tensor: t });
          }
          visit(sub, p);
        }
      }
      index++;
    }
  };
  visit(main, '');
  return out;
}
