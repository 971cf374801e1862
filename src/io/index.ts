// lowp/io: checkpoint files, every format behind one TensorReader and one openCheckpoint that recognises
// files by content. Safetensors (read one tensor at a time by offset from a path, bytes or a Blob; stream
// tensors in chunks; write; sharded checkpoints through an index JSON or a folder), NumPy .npy
// (versions 1.0-3.0), GGUF (versions 2 and 3; ggml's quantized blocks dequantized as ggml does),
// PyTorch torch.save files (zip and legacy formats, through a restricted unpickler that never calls
// anything) and ONNX models (their initializers, raw_data, typed fields or external data). Every file
// is treated as untrusted: bounded headers, strict parsing without
// prototype pollution, offsets and sizes checked against the file before any allocation, one named error
// (a LowpIoError subclass with a stable code) per failure.
export {
  LowpIoError,
  CheckpointError,
  SafetensorsError,
  NpyError,
  TorchError,
  GgufError,
  OnnxError,
  type IoFormat,
  type IoErrorClass,
  type CommonIoErrorCode,
  type CheckpointErrorCode,
  type SafetensorsErrorCode,
  type NpyErrorCode,
  type TorchErrorCode,
  type GgufErrorCode,
  type OnnxErrorCode,
} from './errors.js';
export {
  DEFAULT_CHUNK_ELEMENTS,
  TensorReaderBase,
  type TensorInfo,
  type TensorReader,
  type TensorReaderInit,
  type Tensor,
  type TensorChunk,
  type ChunkOptions,
  type RawChunkOptions,
  type ReadFloatOptions,
} from './reader.js';
export { elementCodec, isTensorDType, type ElementCodec, type PackedDType, type TensorDType } from './elements.js';
export { ShardedCheckpoint, type ShardedTensorInfo } from './sharded.js';
export { openCheckpoint, detectFormat, DETECT_BYTES, type CheckpointOptions, type DetectedFormat } from './open.js';
export {
  DTYPES,
  dtypeSize,
  dtypeArrayType,
  isDType,
  swapBytes,
  type DType,
  type DTypeArrayMap,
  type DTypeArrayConstructor,
  type TensorData,
} from './dtypes.js';
export { exactFloatType, toFloatArray, type FloatType, type FloatArrayOf } from './float-convert.js';
export { JsonFloat, type JsonValue, type JsonObject } from './json.js';
export {
  bytesSource,
  blobSource,
  fileSource,
  toByteSource,
  type ByteSource,
  type SourceInput,
  type OwnedByteSource,
} from './source.js';
export {
  DEFAULT_MAX_HEADER_BYTES,
  parseSafetensors,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
  type SafetensorsTensorInfo,
} from './safetensors/header.js';
export { SafetensorsFile, openSafetensors, openSafetensorsSync } from './safetensors/reader.js';
export {
  writeSafetensors,
  writeSafetensorsFile,
  type NamedTensorInput,
  type TensorInput,
  type TensorsInput,
} from './safetensors/writer.js';
export {
  ShardedSafetensors,
  openSafetensorsDir,
  openSafetensorsIndex,
  openShardedSafetensors,
  parseSafetensorsIndex,
  type SafetensorsIndex,
} from './safetensors/sharded.js';
// each format's folder lists its public API once, in its index.ts
export * from './gguf/index.js';
export { NpyFile, openNpy, type NpyOpenOptions, type NpyTensorInfo } from './npy/reader.js';
export {
  parseNpyHeader,
  type NpyHeader,
  readNpy,
  readNpyFile,
  writeNpy,
  writeNpyFile,
  type NpyArray,
  type NpyDType,
  type NpyReadOptions,
  type NpyReadResult,
  type NpyWriteOptions,
} from './npy/npy.js';
export * from './torch/index.js';
export * from './onnx/index.js';
