// Builds tiny ONNX models (a single MatMul or MatMulInteger node) as protobuf bytes, so the benchmark
// can run onnxruntime-web / onnxruntime-node without an `onnx` Python package or model files.
// Protobuf wire format by hand: ModelProto{ir_version=1, graph=7, opset_import=8}, GraphProto{node=1,
// name=2, input=11, output=12}, NodeProto{input=1, output=2, op_type=4}, ValueInfoProto{name=1,
// type=2}, TypeProto{tensor_type=1{elem_type=1, shape=2{dim=1{dim_value=1}}}}.

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const enc = new TextEncoder();
const field = (no, bytes) => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
const fieldVarint = (no, n) => [...varint(no << 3), ...varint(n)];
const str = (no, s) => field(no, [...enc.encode(s)]);

/** ONNX element types. */
export const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6 };

function valueInfo(name, elem, shape) {
  const dims = shape.flatMap((d) => field(1, fieldVarint(1, d)));
  const tensorType = [...fieldVarint(1, elem), ...field(2, dims)];
  return [...str(1, name), ...field(2, field(1, tensorType))];
}

/**
 * A model computing C = A·B with one node `op` ('MatMul' or 'MatMulInteger').
 * @param {string} op
 * @param {[number, number, number]} mkn
 * @param {{a: number, b: number, c: number}} types ONNX element types
 */
export function matmulModel(op, [M, K, N], types) {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(4, op)];
  const graph = [
    ...field(1, node),
    ...str(2, 'g'),
    ...field(11, valueInfo('A', types.a, [M, K])),
    ...field(11, valueInfo('B', types.b, [K, N])),
    ...field(12, valueInfo('C', types.c, [M, N])),
  ];
  const opset = [...str(1, ''), ...fieldVarint(2, 13)];
  return Uint8Array.from([...fieldVarint(1, 8), ...field(7, graph), ...field(8, opset)]);
}
