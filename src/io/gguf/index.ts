// lowp/io's GGUF part: the header parser (versions 2 and 3, little-endian; every metadata value type;
// tensor infos checked against the file), the reader of tensors (raw blocks, or dequantized values
// streamed in whole blocks) and the minimal canonical writer.
export {
  DEFAULT_MAX_GGUF_HEADER_BYTES,
  GGUF_DEFAULT_ALIGNMENT,
  parseGguf,
  readGguf,
  type GgufHeader,
  type GgufReadOptions,
  type GgufTensorInfo,
} from './header.js';
export { GgufFile, openGguf } from './reader.js';
export { writeGguf, writeGgufFile, type GgufTensorInput, type GgufWriteInput } from './writer.js';
export {
  ggufValueToString,
  inferGgufType,
  type GgufNumericArray,
  type GgufScalarType,
  type GgufValue,
  type GgufValueInput,
  type GgufValueType,
} from './values.js';
