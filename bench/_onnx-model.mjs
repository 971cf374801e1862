// Bench helper: the bytes around the tensor data of an ONNX model whose initializers are float32
// tensors in raw_data (or in one external data file), written by hand from onnx.proto's field numbers
// (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto dims = 1, data_type = 2, name = 8,
// raw_data = 9, external_data = 13, data_location = 14), so benchmarks can stream gigabytes of values
// between them without building the model in memory.

/** A protobuf varint's bytes. */
export function varint(n) {
  const out = [];
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A string's UTF-8 bytes. */
export const utf8 = (s) => [...new TextEncoder().encode(s)];
/** A length-delimited field's bytes: its key (`tag`), the length, the payload. */
export const field = (tag, bytes) => [...varint(tag), ...varint(bytes.length), ...bytes];

/** The TensorProto fields before the values: dims, data type FLOAT, name, then raw_data's key and length (or external_data entries). */
function tensorHead(t, external) {
  const dims = field(0x0a, t.shape.flatMap((d) => varint(d)));
  const head = [...dims, 0x10, 0x01, ...field(0x42, utf8(t.name))];
  if (!external) return [...head, ...varint(0x4a), ...varint(t.bytes)];
  const entry = (k, v) => field(0x6a, [...field(0x0a, utf8(k)), ...field(0x12, utf8(v))]);
  return [...head, ...entry('location', external), ...entry('offset', String(t.offset)), ...entry('length', String(t.bytes)), 0x70, 0x01];
}

/**
 * The layout of a model with `tensors` ({ name, shape, bytes, offset }): a list of byte arrays and
 * `{ data: i }` markers (write tensor i's values there), in file order. With `external` (a file
 * name), the values go to that file instead (offsets as given) and the model holds no markers.
 */
export function onnxLayout(tensors, external) {
  const heads = tensors.map((t) => tensorHead(t, external));
  const entries = heads.map((h, i) => [...varint(0x2a), ...varint(h.length + (external ? 0 : tensors[i].bytes))]);
  const graphLen = heads.reduce((a, h, i) => a + entries[i].length + h.length + (external ? 0 : tensors[i].bytes), 0);
  const parts = [Uint8Array.from([0x08, 0x08, ...varint(0x3a), ...varint(graphLen)])];
  heads.forEach((h, i) => {
    parts.push(Uint8Array.from([...entries[i], ...h]));
    if (!external) parts.push({ data: i });
  });
  parts.push(Uint8Array.from(field(0x42, [...field(0x0a, []), 0x10, 17])));
  return parts;
}
