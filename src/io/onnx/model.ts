// Decoding an ONNX model (ModelProto and the messages it holds) into plain objects, with the walkers of
// walk.ts: the graph's nodes, attributes, inputs/outputs/value_info with their types, and every
// TensorProto (initializers, Constant values, subgraph initializers) with its data located, not read:
// raw_data and the typed fields (float_data, int32_data, ...) are kept as byte ranges of the file, so a
// 2 GB model decodes in the memory its structure needs. Field numbers and meanings follow onnx.proto
// (onnx/onnx, IR version 11: data types up to FLOAT8E8M0 = 24, UINT2/INT2 = 25/26), read and not copied.
// Protobuf merge rules: a ModelProto that holds `graph` more than once gets one graph whose repeated
// fields are concatenated in file order (what protobuf libraries do); other repeated singular fields:
// the last one wins.
import { describeValue } from '../../core/describe.js';
import { OnnxError } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import {
  countVarints,
  cutVarints,
  int64Number,
  ProtoCursor,
  ProtoReader,
  uint53,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  type ByteRange,
} from './protobuf.js';
import { SMALL_MESSAGE, walkAsync, walkSync, type FieldEvent, type FieldKind, type MessageSpec, type WalkContext } from './walk.js';
import type { ByteSource } from '../source.js';

/**
 * ONNX `TensorProto.DataType` numbers (onnx.proto).
 *
 * @example
 * ```ts
 * ONNX_DATA_TYPES.FLOAT16; // 10
 * ```
 */
export const ONNX_DATA_TYPES = Object.freeze({
  /** no type (invalid for a tensor) */
  UNDEFINED: 0,
  /** float32 */
  FLOAT: 1,
  /** uint8 */
  UINT8: 2,
  /** int8 */
  INT8: 3,
  /** uint16 */
  UINT16: 4,
  /** int16 */
  INT16: 5,
  /** int32 */
  INT32: 6,
  /** int64 */
  INT64: 7,
  /** UTF-8 strings (listed, not read) */
  STRING: 8,
  /** booleans, one byte each */
  BOOL: 9,
  /** IEEE binary16 */
  FLOAT16: 10,
  /** float64 */
  DOUBLE: 11,
  /** uint32 */
  UINT32: 12,
  /** uint64 */
  UINT64: 13,
  /** two float32 (listed, not read) */
  COMPLEX64: 14,
  /** two float64 (listed, not read) */
  COMPLEX128: 15,
  /** bfloat16 */
  BFLOAT16: 16,
  /** fp8 e4m3fn (no inf) */
  FLOAT8E4M3FN: 17,
  /** fp8 e4m3fnuz (no inf, no -0) */
  FLOAT8E4M3FNUZ: 18,
  /** fp8 e5m2 (IEEE-like) */
  FLOAT8E5M2: 19,
  /** fp8 e5m2fnuz (no inf, no -0) */
  FLOAT8E5M2FNUZ: 20,
  /** uint4, two per byte, first in the low nibble */
  UINT4: 21,
  /** int4, two per byte */
  INT4: 22,
  /** fp4 e2m1, two per byte */
  FLOAT4E2M1: 23,
  /** fp8 e8m0 (power-of-two scales) */
  FLOAT8E8M0: 24,
  /** uint2, four per byte (listed, not read) */
  UINT2: 25,
  /** int2, four per byte (listed, not read) */
  INT2: 26,
} as const);

/**
 * A key/value entry (`StringStringEntryProto`: metadata_props, external_data).
 *
 * @example
 * ```ts
 * const e: OnnxEntry = { key: 'location', value: 'model.onnx.data' };
 * ```
 */
export interface OnnxEntry {
  /** Key. */
  key: string;
  /** Value. */
  value: string;
}

/**
 * An operator set a model imports (`OperatorSetIdProto`).
 *
 * @example
 * ```ts
 * const o: OnnxOpset = { domain: '', version: 17 }; // '' is ai.onnx
 * ```
 */
export interface OnnxOpset {
  /** Domain ('' is the default ONNX domain, ai.onnx). */
  domain: string;
  /** Opset version. */
  version: number;
}

/**
 * One run of a typed data field of a TensorProto (`float_data`, `int32_data`, `int64_data`,
 * `double_data`, `uint64_data`) in the file: a packed payload, or consecutive unpacked values (keys
 * included).
 *
 * @example
 * ```ts
 * const seg: OnnxTypedSegment = { offset: 120, length: 16, packed: true, count: 4 };
 * ```
 */
export interface OnnxTypedSegment {
  /** Absolute offset of the run. */
  readonly offset: number;
  /** Bytes of the run. */
  readonly length: number;
  /** True: a packed payload (values only); false: key/value pairs of unpacked values. */
  readonly packed: boolean;
  /** Values in the run, or -1 when not yet counted (packed varints of a message walked on disk). */
  count: number;
}

/**
 * A typed data field of a TensorProto, located in the file.
 *
 * @example
 * ```ts
 * if (t.typed?.field === 5) console.log('int32_data,', t.typed.segments.length, 'runs');
 * ```
 */
export interface OnnxTypedData {
  /** Field number: 4 float_data, 5 int32_data, 7 int64_data, 10 double_data, 11 uint64_data. */
  readonly field: number;
  /** The runs, in file order. */
  readonly segments: OnnxTypedSegment[];
}

/**
 * A TensorProto as decoded: everything but its values, which are located (`raw`, `typed`,
 * `externalData`), not read.
 *
 * @example
 * ```ts
 * for (const t of model.graph.initializers) console.log(t.name, t.dataType, t.dims);
 * ```
 */
export interface OnnxTensorProto {
  /** Tensor name ('' when absent). */
  name: string;
  /** `TensorProto.DataType` number (see {@link ONNX_DATA_TYPES}); 0 when absent. */
  dataType: number;
  /** Dimensions, outermost first (each a non-negative integer below 2^53). */
  dims: number[];
  /** The `raw_data` payload's range, when present. */
  raw: ByteRange | undefined;
  /** The typed data fields present (valid tensors have at most one). */
  typed: OnnxTypedData[];
  /** Number of `string_data` entries. */
  stringCount: number;
  /** `external_data` key/value entries in file order. */
  externalData: OnnxEntry[];
  /** `data_location`: 0 DEFAULT, 1 EXTERNAL. */
  dataLocation: number;
  /** Whether a `segment` (a tensor stored in chunks) is present. */
  segmented: boolean;
  /** The TensorProto's own bytes in the file. */
  range: ByteRange;
}

/**
 * The type of a value (`TypeProto`), as far as lowp reads it: tensors with their element type and
 * shape; other kinds by name.
 *
 * @example
 * ```ts
 * const t: OnnxType = { kind: 'tensor', elemType: 1, shape: ['batch', 24, 64] };
 * ```
 */
export interface OnnxType {
  /** What the value is. */
  kind: 'tensor' | 'sparse_tensor' | 'sequence' | 'map' | 'optional' | 'unknown';
  /** Element type of a tensor (`TensorProto.DataType`), 0 when absent. */
  elemType: number;
  /** Dimensions: a number, a symbolic name, or null when unknown; undefined when the rank is unknown. */
  shape: (number | string | null)[] | undefined;
}

/**
 * A `ValueInfoProto`: a named value and its type, when given.
 *
 * @example
 * ```ts
 * for (const i of model.graph.inputs) console.log(i.name, i.type?.shape);
 * ```
 */
export interface OnnxValueInfo {
  /** Value name. */
  name: string;
  /** Its type, when the file gives one. */
  type: OnnxType | undefined;
}

/**
 * An `AttributeProto`. Only the field of its type is set (`f`, `i`, `s`, `t`, `g`, `floats`...).
 *
 * @example
 * ```ts
 * const to = node.attributes.find((a) => a.name === 'to')?.i;
 * ```
 */
export interface OnnxAttribute {
  /** Attribute name. */
  name: string;
  /** `AttributeProto.AttributeType`: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS, 9 TENSORS, 10 GRAPHS; 0 when absent. */
  type: number;
  /** Name of the function attribute this one refers to ('' when none). */
  refAttrName: string;
  /** FLOAT value. */
  f?: number;
  /** INT value (exact below 2^53). */
  i?: number;
  /** STRING value (bytes decoded as UTF-8). */
  s?: string;
  /** TENSOR value. */
  t?: OnnxTensorProto;
  /** GRAPH value (If/Loop/Scan bodies). */
  g?: OnnxGraph;
  /** FLOATS values. */
  floats?: number[];
  /** INTS values. */
  ints?: number[];
  /** STRINGS values. */
  strings?: string[];
  /** TENSORS values. */
  tensors?: OnnxTensorProto[];
  /** GRAPHS values. */
  graphs?: OnnxGraph[];
}

/**
 * A `NodeProto`, with where it is stored (for tools that rewrite the graph).
 *
 * @example
 * ```ts
 * for (const n of model.graph.nodes) console.log(n.opType, n.inputs, '->', n.outputs);
 * ```
 */
export interface OnnxNode {
  /** Node name ('' when absent). */
  name: string;
  /** Operator type. */
  opType: string;
  /** Operator domain ('' is the default ONNX domain). */
  domain: string;
  /** Input value names ('' for an omitted optional input). */
  inputs: string[];
  /** Output value names ('' for an omitted optional output). */
  outputs: string[];
  /** Attributes in file order. */
  attributes: OnnxAttribute[];
  /** The node's bytes (its payload) in the file. */
  range: ByteRange;
  /** Absolute offset of the node's field key in its graph. */
  keyAt: number;
}

/**
 * A `GraphProto`.
 *
 * @example
 * ```ts
 * const { nodes, initializers, inputs, outputs } = model.graph;
 * ```
 */
export interface OnnxGraph {
  /** Graph name. */
  name: string;
  /** Nodes in file order (ONNX requires a topological order). */
  nodes: OnnxNode[];
  /** Initializers (constant tensors) in file order. */
  initializers: OnnxTensorProto[];
  /** Number of sparse initializers (listed, not read). */
  sparseInitializers: number;
  /** Graph inputs. */
  inputs: OnnxValueInfo[];
  /** Graph outputs. */
  outputs: OnnxValueInfo[];
  /** Types of intermediate values, when the file gives them (optional in ONNX). */
  valueInfo: OnnxValueInfo[];
  /** The graph's payload ranges in the file (more than one when the field is repeated and merged). */
  ranges: ByteRange[];
}

/**
 * A decoded `ModelProto`.
 *
 * @example
 * ```ts
 * import { decodeModelBytes } from 'lowp/io';
 * const model = decodeModelBytes(bytes);
 * model.opsetImports; // [{ domain: '', version: 17 }]
 * ```
 */
export interface OnnxModel {
  /** `ir_version` (0 when absent). */
  irVersion: number;
  /** `producer_name`. */
  producerName: string;
  /** `producer_version`. */
  producerVersion: string;
  /** `domain`. */
  domain: string;
  /** `model_version`. */
  modelVersion: number;
  /** `opset_import` entries ('' is the default ONNX domain). */
  opsetImports: OnnxOpset[];
  /** `metadata_props` in file order. */
  metadataProps: OnnxEntry[];
  /** Number of model-local functions (not decoded). */
  functions: number;
  /** The main graph (an empty graph when the file has none: check {@link OnnxModel.hasGraph}). */
  graph: OnnxGraph;
  /** Whether the file holds a graph. */
  hasGraph: boolean;
  /** Absolute offsets of the `graph` field keys of the ModelProto, in file order. */
  graphKeys: number[];
}


function text(ev: FieldEvent, what: string, ctx: WalkContext): string {
  try {
    return strictUtf8.decode(ev.bytes);
  } catch {
    throw new OnnxError('MODEL', `expected ${what} as UTF-8 text at offset ${ev.range.offset}, got invalid UTF-8`, ctx.name);
  }
}

/** A non-negative integer below 2^53 (a dimension, a version), else `MODEL`. */
function natural(lo: number, hi: number, what: string, at: number, ctx: WalkContext): number {
  const v = uint53(lo, hi);
  if (v < 0) throw new OnnxError('MODEL', `expected ${what} to be a non-negative integer below 2^53 at offset ${at}, got ${int64Number(lo, hi)}`, ctx.name);
  return v;
}

/** Every value of a scalar field: one unpacked value, or a packed run (varints or fixed-size). */
function eachScalar(ev: FieldEvent, wire: number, ctx: WalkContext, f: (lo: number, hi: number, at: number) => void): void {
  if (ev.wire !== WIRE_LEN) {
    f(ev.lo, ev.hi, ev.range.offset);
    return;
  }
  const b = ev.bytes as Uint8Array;
  const r = new ProtoReader(b, ev.range.offset, ctx.name, false);
  while (!r.eof()) {
    const at = r.offset;
    if (wire === WIRE_VARINT) r.varint();
    else if (wire === WIRE_FIXED64) r.fixed64();
    else {
      r.lo = r.fixed32();
      r.hi = 0;
    }
    f(r.lo, r.hi, at);
  }
}

function floatOf(lo: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, lo, true);
  return dv.getFloat32(0, true);
}

type Fields = Map<number, FieldKind>;
const msg = (spec: MessageSpec<unknown, unknown>): FieldKind => ({ kind: 'message', spec });
const BYTES: FieldKind = { kind: 'bytes' };
const VARINT: FieldKind = { kind: 'scalar', wire: WIRE_VARINT };
const FIXED32: FieldKind = { kind: 'scalar', wire: WIRE_FIXED32 };

/** Most dimensions of one tensor or shape (a bound on attacker-controlled lists; ONNX sets none). */
export const MAX_RANK = 1024;

// ---- StringStringEntryProto, OperatorSetIdProto

const entrySpec: MessageSpec<OnnxEntry, OnnxEntry> = {
  name: 'StringStringEntryProto',
  fields: new Map<number, FieldKind>([[1, BYTES], [2, BYTES]]),
  begin: () => ({ key: '', value: '' }),
  field(s, ev, ctx) {
    if (ev.field === 1) s.key = text(ev, 'a key', ctx);
    else s.value = text(ev, 'a value', ctx);
  },
  end: (s) => s,
};

const opsetSpec: MessageSpec<OnnxOpset, OnnxOpset> = {
  name: 'OperatorSetIdProto',
  fields: new Map<number, FieldKind>([[1, BYTES], [2, VARINT]]),
  begin: () => ({ domain: '', version: 0 }),
  field(s, ev, ctx) {
    if (ev.field === 1) s.domain = text(ev, 'an opset domain', ctx);
    else s.version = natural(ev.lo, ev.hi, 'an opset version', ev.range.offset, ctx);
  },
  end: (s) => s,
};

/** A message whose content lowp does not need: only counted. */
const opaqueSpec: MessageSpec<null, null> = { name: 'message', fields: new Map(), begin: () => null, field() {}, end: () => null };

// ---- TypeProto and its parts

const dimSpec: MessageSpec<{ v: number | string | null }, number | string | null> = {
  name: 'TensorShapeProto.Dimension',
  fields: new Map<number, FieldKind>([[1, VARINT], [2, BYTES]]),
  begin: () => ({ v: null }),
  field(s, ev, ctx) {
    if (ev.field === 1) {
      const v = int64Number(ev.lo, ev.hi);
      // a negative dim_value is invalid; treat it as unknown rather than refusing the model
      s.v = v >= 0 && Number.isSafeInteger(v) ? v : null;
    } else s.v = text(ev, 'a dim_param', ctx);
  },
  end: (s) => s.v,
};

const shapeSpec: MessageSpec<(number | string | null)[], (number | string | null)[]> = {
  name: 'TensorShapeProto',
  fields: new Map<number, FieldKind>([[1, msg(dimSpec as MessageSpec<unknown, unknown>)]]),
  begin: () => [],
  field(s, ev, ctx) {
    if (s.length >= MAX_RANK) throw new OnnxError('MODEL', `expected a shape of at most ${MAX_RANK} dimensions, got more at offset ${ev.keyAt}`, ctx.name);
    s.push(ev.message as number | string | null);
  },
  end: (s) => s,
};

const typeTensorSpec: MessageSpec<{ elemType: number; shape: (number | string | null)[] | undefined }, { elemType: number; shape: (number | string | null)[] | undefined }> = {
  name: 'TypeProto.Tensor',
  fields: new Map<number, FieldKind>([[1, VARINT], [2, msg(shapeSpec as MessageSpec<unknown, unknown>)]]),
  begin: () => ({ elemType: 0, shape: undefined }),
  field(s, ev) {
    if (ev.field === 1) s.elemType = ev.lo | 0;
    else s.shape = ev.message as (number | string | null)[];
  },
  end: (s) => s,
};

const TYPE_KINDS = new Map<number, OnnxType['kind']>([[1, 'tensor'], [4, 'sequence'], [5, 'map'], [8, 'sparse_tensor'], [9, 'optional']]);

const typeSpec: MessageSpec<OnnxType, OnnxType> = {
  name: 'TypeProto',
  fields: new Map<number, FieldKind>([
    [1, msg(typeTensorSpec as MessageSpec<unknown, unknown>)],
    [4, msg(opaqueSpec as MessageSpec<unknown, unknown>)],
    [5, msg(opaqueSpec as MessageSpec<unknown, unknown>)],
    [8, msg(typeTensorSpec as MessageSpec<unknown, unknown>)],
    [9, msg(opaqueSpec as MessageSpec<unknown, unknown>)],
  ]),
  begin: () => ({ kind: 'unknown', elemType: 0, shape: undefined }),
  field(s, ev) {
    s.kind = TYPE_KINDS.get(ev.field) ?? 'unknown';
    if (ev.field === 1 || ev.field === 8) {
      const t = ev.message as { elemType: number; shape: (number | string | null)[] | undefined };
      s.elemType = t.elemType;
      s.shape = t.shape;
    } else {
      s.elemType = 0;
      s.shape = undefined;
    }
  },
  end: (s) => s,
};

const valueInfoSpec: MessageSpec<OnnxValueInfo, OnnxValueInfo> = {
  name: 'ValueInfoProto',
  fields: new Map<number, FieldKind>([[1, BYTES], [2, msg(typeSpec as MessageSpec<unknown, unknown>)]]),
  begin: () => ({ name: '', type: undefined }),
  field(s, ev, ctx) {
    if (ev.field === 1) s.name = text(ev, 'a value name', ctx);
    else s.type = ev.message as OnnxType;
  },
  end: (s) => s,
};

// ---- TensorProto

/** The typed data fields of TensorProto with the wire type of their values. */
export const TYPED_FIELDS: ReadonlyMap<number, number> = new Map([
  [4, WIRE_FIXED32], // float_data
  [5, WIRE_VARINT], // int32_data
  [7, WIRE_VARINT], // int64_data
  [10, WIRE_FIXED64], // double_data
  [11, WIRE_VARINT], // uint64_data
]);

const tensorFields: Fields = new Map<number, FieldKind>([
  [1, VARINT], // dims
  [2, VARINT], // data_type
  [3, msg(opaqueSpec as MessageSpec<unknown, unknown>)], // segment
  [6, { kind: 'payload', wire: WIRE_LEN }], // string_data (counted)
  [8, BYTES], // name
  [9, { kind: 'payload', wire: WIRE_LEN }], // raw_data
  [13, msg(entrySpec as MessageSpec<unknown, unknown>)], // external_data
  [14, VARINT], // data_location
]);
for (const [f, wire] of TYPED_FIELDS) tensorFields.set(f, { kind: 'payload', wire });

/** Adds one run of a typed field (a packed payload or one unpacked value), merging adjacent unpacked values. */
function addTyped(t: OnnxTensorProto, ev: FieldEvent, ctx: WalkContext): void {
  const wire = TYPED_FIELDS.get(ev.field) as number;
  let typed = t.typed.find((d) => d.field === ev.field);
  if (typed === undefined) {
    typed = { field: ev.field, segments: [] };
    t.typed.push(typed);
  }
  const segs = typed.segments;
  if (ev.wire === WIRE_LEN) {
    const { offset, length } = ev.range;
    let count = -1;
    if (wire === WIRE_FIXED32 || wire === WIRE_FIXED64) {
      const size = wire === WIRE_FIXED32 ? 4 : 8;
      if (length % size !== 0) throw new OnnxError('PROTOBUF', `expected a packed field ${ev.field} of TensorProto at offset ${offset} to hold whole ${size}-byte values, got ${length} bytes`, ctx.name);
      count = length / size;
    } else if (ev.bytes !== undefined) count = countVarints(ev.bytes, 0, ev.bytes.length, offset, ctx.name);
    else if (ev.last >= 0x80) throw cutVarints(offset + length, ctx.name); // counted when read (tensors.ts)
    if (length > 0) segs.push({ offset, length, packed: true, count });
    return;
  }
  const end = ev.range.offset + ev.range.length;
  const last = segs[segs.length - 1];
  if (last !== undefined && !last.packed && last.offset + last.length === ev.keyAt) {
    segs[segs.length - 1] = { offset: last.offset, length: end - last.offset, packed: false, count: last.count + 1 };
  } else segs.push({ offset: ev.keyAt, length: end - ev.keyAt, packed: false, count: 1 });
}

const tensorSpec: MessageSpec<OnnxTensorProto, OnnxTensorProto> = {
  name: 'TensorProto',
  fields: tensorFields,
  begin: () => ({ name: '', dataType: 0, dims: [], raw: undefined, typed: [], stringCount: 0, externalData: [], dataLocation: 0, segmented: false, range: { offset: 0, length: 0 } }),
  field(t, ev, ctx) {
    switch (ev.field) {
      case 1:
        eachScalar(ev, WIRE_VARINT, ctx, (lo, hi, at) => {
          if (t.dims.length >= MAX_RANK) throw new OnnxError('MODEL', `expected a tensor of at most ${MAX_RANK} dimensions, got more at offset ${at}`, ctx.name);
          t.dims.push(natural(lo, hi, 'a tensor dimension', at, ctx));
        });
        break;
      case 2:
        eachScalar(ev, WIRE_VARINT, ctx, (lo) => { t.dataType = lo | 0; });
        break;
      case 3: t.segmented = true; break;
      case 6: t.stringCount++; break;
      case 8: t.name = text(ev, 'a tensor name', ctx); break;
      case 9: t.raw = ev.range; break;
      case 13: t.externalData.push(ev.message as { key: string; value: string }); break;
      case 14: eachScalar(ev, WIRE_VARINT, ctx, (lo) => { t.dataLocation = lo | 0; }); break;
      default: addTyped(t, ev, ctx);
    }
  },
  end(t, range) {
    t.range = range;
    return t;
  },
};

// ---- NodeProto, AttributeProto, GraphProto (mutually recursive through GRAPH attributes)

const graphFields: Fields = new Map();
const attributeFields: Fields = new Map();

const graphSpec: MessageSpec<OnnxGraph, OnnxGraph> = {
  name: 'GraphProto',
  fields: graphFields,
  begin: () => emptyGraph(),
  field(g, ev, ctx) {
    switch (ev.field) {
      case 1: g.nodes.push(ev.message as OnnxNode); break;
      case 2: g.name = text(ev, 'a graph name', ctx); break;
      case 5: g.initializers.push(ev.message as OnnxTensorProto); break;
      case 15: g.sparseInitializers++; break;
      case 11: g.inputs.push(ev.message as OnnxValueInfo); break;
      case 12: g.outputs.push(ev.message as OnnxValueInfo); break;
      case 13: g.valueInfo.push(ev.message as OnnxValueInfo); break;
    }
  },
  end(g, range) {
    g.ranges.push(range);
    return g;
  },
};

/** A graph with nothing in it. */
export function emptyGraph(): OnnxGraph {
  return { name: '', nodes: [], initializers: [], sparseInitializers: 0, inputs: [], outputs: [], valueInfo: [], ranges: [] };
}

const attributeSpec: MessageSpec<OnnxAttribute, OnnxAttribute> = {
  name: 'AttributeProto',
  fields: attributeFields,
  begin: () => ({ name: '', type: 0, refAttrName: '' }),
  field(a, ev, ctx) {
    switch (ev.field) {
      case 1: a.name = text(ev, 'an attribute name', ctx); break;
      case 21: a.refAttrName = text(ev, 'a ref_attr_name', ctx); break;
      case 20: eachScalar(ev, WIRE_VARINT, ctx, (lo) => { a.type = lo | 0; }); break;
      case 2: eachScalar(ev, WIRE_FIXED32, ctx, (lo) => { a.f = floatOf(lo); }); break;
      case 3: eachScalar(ev, WIRE_VARINT, ctx, (lo, hi) => { a.i = int64Number(lo, hi); }); break;
      case 4: a.s = text(ev, 'a string attribute', ctx); break;
      case 5: a.t = ev.message as OnnxTensorProto; break;
      case 6: a.g = ev.message as OnnxGraph; break;
      case 7: eachScalar(ev, WIRE_FIXED32, ctx, (lo) => { (a.floats ??= []).push(floatOf(lo)); }); break;
      case 8: eachScalar(ev, WIRE_VARINT, ctx, (lo, hi) => { (a.ints ??= []).push(int64Number(lo, hi)); }); break;
      case 9: (a.strings ??= []).push(text(ev, 'a string attribute', ctx)); break;
      case 10: (a.tensors ??= []).push(ev.message as OnnxTensorProto); break;
      case 11: (a.graphs ??= []).push(ev.message as OnnxGraph); break;
    }
  },
  end: (a) => a,
};

const nodeSpec: MessageSpec<OnnxNode, OnnxNode> = {
  name: 'NodeProto',
  fields: new Map<number, FieldKind>([
    [1, BYTES], [2, BYTES], [3, BYTES], [4, BYTES], [7, BYTES],
    [5, msg(attributeSpec as MessageSpec<unknown, unknown>)],
  ]),
  begin: () => ({ name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [], range: { offset: 0, length: 0 }, keyAt: 0 }),
  field(n, ev, ctx) {
    switch (ev.field) {
      case 1: n.inputs.push(text(ev, 'a node input', ctx)); break;
      case 2: n.outputs.push(text(ev, 'a node output', ctx)); break;
      case 3: n.name = text(ev, 'a node name', ctx); break;
      case 4: n.opType = text(ev, 'an op_type', ctx); break;
      case 7: n.domain = text(ev, 'a node domain', ctx); break;
      case 5: n.attributes.push(ev.message as OnnxAttribute); break;
    }
  },
  end(n, range) {
    n.range = range;
    return n;
  },
};

for (const [f, k] of [
  [1, msg(nodeSpec as MessageSpec<unknown, unknown>)],
  [2, BYTES],
  [5, msg(tensorSpec as MessageSpec<unknown, unknown>)],
  [15, msg(opaqueSpec as MessageSpec<unknown, unknown>)],
  [11, msg(valueInfoSpec as MessageSpec<unknown, unknown>)],
  [12, msg(valueInfoSpec as MessageSpec<unknown, unknown>)],
  [13, msg(valueInfoSpec as MessageSpec<unknown, unknown>)],
] as [number, FieldKind][]) graphFields.set(f, k);

for (const [f, k] of [
  [1, BYTES], [21, BYTES], [20, VARINT], [2, FIXED32], [3, VARINT], [4, BYTES],
  [5, msg(tensorSpec as MessageSpec<unknown, unknown>)],
  [6, msg(graphSpec as MessageSpec<unknown, unknown>)],
  [7, FIXED32], [8, VARINT], [9, BYTES],
  [10, msg(tensorSpec as MessageSpec<unknown, unknown>)],
  [11, msg(graphSpec as MessageSpec<unknown, unknown>)],
] as [number, FieldKind][]) attributeFields.set(f, k);

// the node's key offset is known to the graph walker only: record it from the event
const graphField = graphSpec.field;
graphSpec.field = (g, ev, ctx) => {
  if (ev.field === 1) (ev.message as OnnxNode).keyAt = ev.keyAt;
  graphField(g, ev, ctx);
};

// ---- ModelProto

function mergeGraph(into: OnnxGraph, g: OnnxGraph): void {
  if (g.name !== '') into.name = g.name;
  into.nodes.push(...g.nodes);
  into.initializers.push(...g.initializers);
  into.sparseInitializers += g.sparseInitializers;
  into.inputs.push(...g.inputs);
  into.outputs.push(...g.outputs);
  into.valueInfo.push(...g.valueInfo);
  into.ranges.push(...g.ranges);
}

const modelSpec: MessageSpec<OnnxModel, OnnxModel> = {
  name: 'ModelProto',
  fields: new Map<number, FieldKind>([
    [1, VARINT], [2, BYTES], [3, BYTES], [4, BYTES], [5, VARINT],
    [7, msg(graphSpec as MessageSpec<unknown, unknown>)],
    [8, msg(opsetSpec as MessageSpec<unknown, unknown>)],
    [14, msg(entrySpec as MessageSpec<unknown, unknown>)],
    [25, msg(opaqueSpec as MessageSpec<unknown, unknown>)],
  ]),
  begin: () => ({
    irVersion: 0, producerName: '', producerVersion: '', domain: '', modelVersion: 0, opsetImports: [], metadataProps: [],
    functions: 0, graph: emptyGraph(), hasGraph: false, graphKeys: [],
  }),
  field(m, ev, ctx) {
    switch (ev.field) {
      case 1: eachScalar(ev, WIRE_VARINT, ctx, (lo, hi) => { m.irVersion = int64Number(lo, hi); }); break;
      case 2: m.producerName = text(ev, 'producer_name', ctx); break;
      case 3: m.producerVersion = text(ev, 'producer_version', ctx); break;
      case 4: m.domain = text(ev, 'domain', ctx); break;
      case 5: eachScalar(ev, WIRE_VARINT, ctx, (lo, hi) => { m.modelVersion = int64Number(lo, hi); }); break;
      case 7:
        mergeGraph(m.graph, ev.message as OnnxGraph);
        m.hasGraph = true;
        m.graphKeys.push(ev.keyAt);
        break;
      case 8: m.opsetImports.push(ev.message as { domain: string; version: number }); break;
      case 14: m.metadataProps.push(ev.message as { key: string; value: string }); break;
      case 25: m.functions++; break;
    }
  },
  end: (m) => m,
};

/**
 * Limits of {@link decodeModelFrom} and {@link openOnnx} on untrusted files.
 *
 * @example
 * ```ts
 * await openOnnx(bytes, { maxDepth: 32 });
 * ```
 */
export interface OnnxDecodeOptions {
  /** Name of the file in messages. */
  name?: string;
  /** Deepest nesting of protobuf messages (default 64: about 20 levels of If/Loop subgraphs). */
  maxDepth?: number;
  /** Most protobuf messages decoded (nodes, attributes, tensors, value infos...; default 10,000,000). */
  maxMessages?: number;
  /**
   * Messages of at most this many bytes are read whole and decoded in memory; larger ones are walked
   * field by field with their tensor data skipped (default 4 MiB). Lower it to bound the memory of
   * decoding further; it changes nothing in the result.
   */
  smallMessage?: number;
}

/**
 * Default {@link OnnxDecodeOptions.maxDepth}.
 *
 * @example
 * ```ts
 * DEFAULT_MAX_DEPTH; // 64
 * ```
 */
export const DEFAULT_MAX_DEPTH = 64;
/**
 * Default {@link OnnxDecodeOptions.maxMessages}.
 *
 * @example
 * ```ts
 * DEFAULT_MAX_MESSAGES; // 10000000
 * ```
 */
export const DEFAULT_MAX_MESSAGES = 10_000_000;

function limit(v: unknown, what: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)) {
    throw new RangeError(`expected options.${what} to be a positive integer, got ${describeValue(v)}`);
  }
}

function context(options: OnnxDecodeOptions | undefined, name: string | undefined): WalkContext {
  limit(options?.maxDepth, 'maxDepth');
  limit(options?.maxMessages, 'maxMessages');
  limit(options?.smallMessage, 'smallMessage');
  return {
    name: options?.name ?? name,
    maxDepth: options?.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxMessages: options?.maxMessages ?? DEFAULT_MAX_MESSAGES,
    smallMessage: options?.smallMessage ?? SMALL_MESSAGE,
    messages: 0,
  };
}

/**
 * Decodes the ModelProto of a file read through `source`: the structure, with tensor data located and
 * not read (a large model is walked field by field; messages up to 4 MiB are read whole). Throws
 * {@link OnnxError} (`PROTOBUF`, `MODEL`, `TRUNCATED`, `TOO_LARGE`).
 *
 * @example
 * ```ts
 * import { decodeModelFrom, fileSource } from 'lowp/io';
 * const src = fileSource('model.onnx');
 * const model = await decodeModelFrom(src);
 * console.log(model.graph.nodes.map((n) => n.opType));
 * src.close!();
 * ```
 */
export async function decodeModelFrom(source: ByteSource, options?: OnnxDecodeOptions): Promise<OnnxModel> {
  const ctx = context(options, source.name);
  return walkAsync(new ProtoCursor(source, 0, source.size), modelSpec, ctx, 0);
}

/**
 * Decodes a ModelProto held in memory (see {@link decodeModelFrom}); offsets in the result are offsets
 * into `bytes`.
 *
 * @example
 * ```ts
 * import { decodeModelBytes, encodeOnnxModel } from 'lowp/io';
 * const model = decodeModelBytes(encodeOnnxModel({ graph: { nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }] } }));
 * model.graph.nodes[0].opType; // 'Relu'
 * ```
 */
export function decodeModelBytes(bytes: Uint8Array, options?: OnnxDecodeOptions): OnnxModel {
  const ctx = context(options, undefined);
  return walkSync(new ProtoReader(bytes, 0, ctx.name, true), modelSpec, ctx, 0);
}

/** Decodes one NodeProto held in memory (tools that rewrite graphs use it on copied node bytes). */
export function decodeNodeBytes(bytes: Uint8Array, options?: OnnxDecodeOptions): OnnxNode {
  const ctx = context(options, undefined);
  return walkSync(new ProtoReader(bytes, 0, ctx.name, false), nodeSpec, ctx, 0);
}
