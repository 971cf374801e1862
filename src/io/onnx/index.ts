// lowp/io's ONNX reader: the model's structure decoded by a protobuf reader of its own (no generated
// code, every length checked against the file), initializers of every data type lowp knows listed as
// tensors and read on demand (raw_data, typed fields, external data), subgraph initializers included.
export { OnnxFile, openOnnx, SUBGRAPH_SEPARATOR, type OnnxOpenOptions, type OnnxTensorInfo, type OnnxExternalRef } from './reader.js';
export { checkLocation, type ExternalDataOption } from './external.js';
export { onnxElementType } from './tensors.js';
export {
  ONNX_DATA_TYPES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MESSAGES,
  decodeModelBytes,
  decodeModelFrom,
  type OnnxAttribute,
  type OnnxEntry,
  type OnnxOpset,
  type OnnxDecodeOptions,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensorProto,
  type OnnxType,
  type OnnxTypedData,
  type OnnxTypedSegment,
  type OnnxValueInfo,
} from './model.js';
export type { ByteRange } from './protobuf.js';
export {
  encodeOnnxModel,
  type OnnxAttributeInit,
  type OnnxGraphInit,
  type OnnxModelInit,
  type OnnxNodeInit,
  type OnnxTensorInit,
  type OnnxValueInit,
} from './writer.js';
