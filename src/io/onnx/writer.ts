// The protobuf wire format, written, and ONNX messages built from plain objects: what lowp's tests use to
// make models (a few nodes with planted values, every data type in raw_data and in the typed fields,
// external data, subgraphs, broken files), and what lowp/onnx uses to add outputs and Cast nodes to a
// model before running it. Field numbers follow onnx.proto (onnx/onnx), as in model.ts.
import { describeValue } from '../../core/describe.js';
import type { OnnxOpset } from './model.js';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf.js';

const utf8 = new TextEncoder();

/**
 * A growable protobuf writer: fields are appended in call order; `finish()` returns the bytes.
 * Integers are written as varints (negative int64 values as 10 bytes, two's complement).
 */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** Appends a raw varint (no key). `value` is an integer number (|v| < 2^53) or a bigint (64-bit two's complement). */
  rawVarint(value: number | bigint): this {
    let v: bigint;
    if (typeof value === 'bigint') v = BigInt.asUintN(64, value);
    else {
      if (!Number.isSafeInteger(value)) throw new RangeError(`expected a safe integer for a varint, got ${describeValue(value)}`);
      if (value >= 0 && value < 0x80000000) {
        // fast path: small non-negative values
        this.ensure(5);
        let x = value;
        while (x >= 0x80) {
          this.buf[this.len++] = (x & 0x7f) | 0x80;
          x >>>= 7;
        }
        this.buf[this.len++] = x;
        return this;
      }
      v = BigInt.asUintN(64, BigInt(value));
    }
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  /** Appends raw bytes (already encoded fields). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Appends a field key. */
  key(field: number, wire: number): this {
    return this.rawVarint(field * 8 + wire);
  }

  /** A varint field (int32, int64, uint64, bool, enum). */
  varint(field: number, value: number | bigint): this {
    return this.key(field, WIRE_VARINT).rawVarint(value);
  }

  /** A fixed32 field holding the bits of a float32. */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  /** A fixed64 field holding the bits of a float64. */
  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64);
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  /** A length-delimited field. */
  bytes(field: number, value: Uint8Array): this {
    return this.key(field, WIRE_LEN).rawVarint(value.length).raw(value);
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A nested message field built by `build`. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated varint field. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const w = new ProtoWriter();
    for (let i = 0; i < values.length; i++) w.rawVarint(values[i]);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(4 * i, values[i], true);
    return this.bytes(field, b);
  }

  /** A packed repeated double field. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat64(8 * i, values[i], true);
    return this.bytes(field, b);
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * A TensorProto to encode with {@link encodeOnnxModel}: dims, data type and at most one place for the
 * values (`raw` bytes, a typed field, or `externalData` entries).
 *
 * @example
 * ```ts
 * const w: OnnxTensorInit = { name: 'w', dataType: 1, dims: [2], floatData: [1, 2] };
 * ```
 */
export interface OnnxTensorInit {
  /** Tensor name. */
  name?: string;
  /** `TensorProto.DataType` number (1 FLOAT, 10 FLOAT16, 16 BFLOAT16...). */
  dataType: number;
  /** Dimensions. */
  dims: readonly number[];
  /** raw_data bytes (little-endian values). */
  raw?: Uint8Array;
  /** float_data values. */
  floatData?: ArrayLike<number>;
  /** int32_data values (fp16/bf16/fp8 bits, int8, bool, 4-bit pairs as bytes...). */
  int32Data?: ArrayLike<number>;
  /** int64_data values. */
  int64Data?: ArrayLike<number | bigint>;
  /** double_data values. */
  doubleData?: ArrayLike<number>;
  /** uint64_data values. */
  uint64Data?: ArrayLike<number | bigint>;
  /** Write the typed field unpacked (one key per value) instead of packed. */
  unpacked?: boolean;
  /** external_data entries (location, offset, length, checksum...); sets data_location EXTERNAL. */
  externalData?: Readonly<Record<string, string>>;
}

/**
 * An attribute to encode: its name and one value (the type is inferred from which field is set, or
 * given as `type`).
 *
 * @example
 * ```ts
 * const to: OnnxAttributeInit = { name: 'to', i: 10 };
 * ```
 */
export interface OnnxAttributeInit {
  /** Attribute name. */
  name: string;
  /** `AttributeProto.AttributeType` (inferred when absent). */
  type?: number;
  /** FLOAT. */
  f?: number;
  /** INT. */
  i?: number | bigint;
  /** STRING. */
  s?: string;
  /** TENSOR. */
  t?: OnnxTensorInit;
  /** GRAPH. */
  g?: OnnxGraphInit;
  /** FLOATS. */
  floats?: readonly number[];
  /** INTS. */
  ints?: readonly (number | bigint)[];
  /** STRINGS. */
  strings?: readonly string[];
  /** GRAPHS. */
  graphs?: readonly OnnxGraphInit[];
}

/**
 * A node to encode.
 *
 * @example
 * ```ts
 * const n: OnnxNodeInit = { opType: 'Add', inputs: ['x', 'y'], outputs: ['z'], name: 'add' };
 * ```
 */
export interface OnnxNodeInit {
  /** Node name. */
  name?: string;
  /** Operator type. */
  opType: string;
  /** Operator domain ('' or absent: ONNX). */
  domain?: string;
  /** Input names. */
  inputs: readonly string[];
  /** Output names. */
  outputs: readonly string[];
  /** Attributes. */
  attributes?: readonly OnnxAttributeInit[];
}

/**
 * A value (graph input/output, value_info) to encode: a tensor of `elemType` and `shape` (numbers,
 * symbolic names, or null for unknown), or a name alone.
 *
 * @example
 * ```ts
 * const x: OnnxValueInit = { name: 'x', elemType: 1, shape: ['batch', 64] };
 * ```
 */
export interface OnnxValueInit {
  /** Value name. */
  name: string;
  /** Tensor element type; absent: no type is written. */
  elemType?: number;
  /** Shape; absent: no shape is written. */
  shape?: readonly (number | string | null)[];
}

/**
 * A graph to encode.
 *
 * @example
 * ```ts
 * const g: OnnxGraphInit = { nodes: [], inputs: [{ name: 'x', elemType: 1, shape: [1] }], outputs: [] };
 * ```
 */
export interface OnnxGraphInit {
  /** Graph name. */
  name?: string;
  /** Nodes, in topological order. */
  nodes: readonly OnnxNodeInit[];
  /** Initializers. */
  initializers?: readonly OnnxTensorInit[];
  /** Graph inputs. */
  inputs?: readonly OnnxValueInit[];
  /** Graph outputs. */
  outputs?: readonly OnnxValueInit[];
  /** value_info entries. */
  valueInfo?: readonly OnnxValueInit[];
}

/**
 * A model to encode with {@link encodeOnnxModel}.
 *
 * @example
 * ```ts
 * const m: OnnxModelInit = { opset: 17, graph: { nodes: [] } };
 * ```
 */
export interface OnnxModelInit {
  /** `ir_version` (default 8). */
  irVersion?: number;
  /** Version of the default ONNX opset (default 17). */
  opset?: number;
  /** Further opset imports. */
  opsetImports?: readonly OnnxOpset[];
  /** `producer_name` (default 'lowp'). */
  producerName?: string;
  /** `metadata_props`. */
  metadata?: Readonly<Record<string, string>>;
  /** The graph. */
  graph: OnnxGraphInit;
}

/** Writes a TensorProto's fields into `w`. */
export function writeTensor(w: ProtoWriter, t: OnnxTensorInit): void {
  if (t.dims.length > 0) w.packedVarints(1, t.dims);
  w.varint(2, t.dataType);
  if (t.name !== undefined) w.string(8, t.name);
  const typed = (field: number, values: ArrayLike<number | bigint>, kind: 'varint' | 'float' | 'double'): void => {
    if (!t.unpacked) {
      if (kind === 'float') w.packedFloats(field, values as ArrayLike<number>);
      else if (kind === 'double') w.packedDoubles(field, values as ArrayLike<number>);
      else w.packedVarints(field, values);
      return;
    }
    for (let i = 0; i < values.length; i++) {
      if (kind === 'float') w.float(field, values[i] as number);
      else if (kind === 'double') w.double(field, values[i] as number);
      else w.varint(field, values[i]);
    }
  };
  if (t.floatData !== undefined) typed(4, t.floatData, 'float');
  if (t.int32Data !== undefined) typed(5, t.int32Data, 'varint');
  if (t.int64Data !== undefined) typed(7, t.int64Data, 'varint');
  if (t.raw !== undefined) w.bytes(9, t.raw);
  if (t.doubleData !== undefined) typed(10, t.doubleData, 'double');
  if (t.uint64Data !== undefined) typed(11, t.uint64Data, 'varint');
  if (t.externalData !== undefined) {
    for (const [k, v] of Object.entries(t.externalData)) w.message(13, (e) => e.string(1, k).string(2, v));
    w.varint(14, 1);
  }
}

function attributeType(a: OnnxAttributeInit): number {
  if (a.type !== undefined) return a.type;
  if (a.f !== undefined) return 1;
  if (a.i !== undefined) return 2;
  if (a.s !== undefined) return 3;
  if (a.t !== undefined) return 4;
  if (a.g !== undefined) return 5;
  if (a.floats !== undefined) return 6;
  if (a.ints !== undefined) return 7;
  if (a.strings !== undefined) return 8;
  if (a.graphs !== undefined) return 10;
  return 0;
}

/** Writes an AttributeProto's fields into `w`. */
export function writeAttribute(w: ProtoWriter, a: OnnxAttributeInit): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.varint(3, a.i);
  if (a.s !== undefined) w.string(4, a.s);
  if (a.t !== undefined) w.message(5, (x) => writeTensor(x, a.t as OnnxTensorInit));
  if (a.g !== undefined) w.message(6, (x) => writeGraph(x, a.g as OnnxGraphInit));
  if (a.floats !== undefined) w.packedFloats(7, a.floats);
  if (a.ints !== undefined) w.packedVarints(8, a.ints);
  if (a.strings !== undefined) for (const s of a.strings) w.string(9, s);
  if (a.graphs !== undefined) for (const g of a.graphs) w.message(11, (x) => writeGraph(x, g));
  w.varint(20, attributeType(a));
}

/** Writes a NodeProto's fields into `w`. */
export function writeNode(w: ProtoWriter, n: OnnxNodeInit): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, (x) => writeAttribute(x, a));
  if (n.domain !== undefined && n.domain !== '') w.string(7, n.domain);
}

/** Writes a ValueInfoProto's fields into `w`. */
export function writeValueInfo(w: ProtoWriter, v: OnnxValueInit): void {
  w.string(1, v.name);
  if (v.elemType === undefined) return;
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.varint(1, v.elemType as number);
      if (v.shape !== undefined) {
        tt.message(2, (shape) => {
          for (const d of v.shape as readonly (number | string | null)[]) {
            shape.message(1, (dim) => {
              if (typeof d === 'number') dim.varint(1, d);
              else if (typeof d === 'string') dim.string(2, d);
            });
          }
        });
      }
    }),
  );
}

/** Writes a GraphProto's fields into `w`. */
export function writeGraph(w: ProtoWriter, g: OnnxGraphInit): void {
  for (const n of g.nodes) w.message(1, (x) => writeNode(x, n));
  if (g.name !== undefined) w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, (x) => writeTensor(x, t));
  for (const v of g.inputs ?? []) w.message(11, (x) => writeValueInfo(x, v));
  for (const v of g.outputs ?? []) w.message(12, (x) => writeValueInfo(x, v));
  for (const v of g.valueInfo ?? []) w.message(13, (x) => writeValueInfo(x, v));
}

/**
 * Encodes an ONNX model (ModelProto) from plain objects: nodes, initializers in raw_data, typed fields
 * or external data, subgraphs, inputs and outputs with types. The result is what `onnx.save` writes
 * for the same model, field for field (in lowp's field order).
 *
 * @example
 * ```ts
 * import { encodeOnnxModel, openOnnx } from 'lowp/io';
 * const bytes = encodeOnnxModel({
 *   graph: {
 *     nodes: [{ opType: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
 *     initializers: [{ name: 'w', dataType: 1, dims: [2], floatData: [0.5, 2] }],
 *     inputs: [{ name: 'x', elemType: 1, shape: [2] }],
 *     outputs: [{ name: 'y', elemType: 1, shape: [2] }],
 *   },
 * });
 * const model = await openOnnx(bytes);
 * await model.readFloat('w'); // Float32Array [0.5, 2]
 * ```
 */
export function encodeOnnxModel(m: OnnxModelInit): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, m.irVersion ?? 8);
  w.string(2, m.producerName ?? 'lowp');
  w.message(7, (g) => writeGraph(g, m.graph));
  w.message(8, (o) => o.string(1, '').varint(2, m.opset ?? 17));
  for (const o of m.opsetImports ?? []) w.message(8, (x) => x.string(1, o.domain).varint(2, o.version));
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.string(1, k).string(2, v));
  return w.finish();
}
