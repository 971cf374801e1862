// lowp/io: checkpoint files. Safetensors (read one tensor at a time by offset from a path, bytes or a
// Blob; stream tensors in chunks; write; sharded checkpoints through *.safetensors.index.json or a
// folder) and NumPy .npy (versions 1.0-3.0). Every file is treated as untrusted: bounded header, strict
// JSON without prototype pollution, offsets and sizes checked, one named error per failure.
export { SafetensorsError, NpyError, type SafetensorsErrorCode, type NpyErrorCode } from './errors.js';
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
  type TensorInfo,
} from './safetensors/header.js';
export {
  DEFAULT_CHUNK_ELEMENTS,
  SafetensorsFile,
  openSafetensors,
  openSafetensorsSync,
  type Tensor,
  type TensorChunk,
  type ChunkOptions,
  type ReadFloatOptions,
  type TensorReader,
} from './safetensors/reader.js';
export {
  writeSafetensors,
  writeSafetensorsFile,
  type NamedTensorInput,
  type TensorInput,
  type TensorsInput,
} from './safetensors/writer.js';
export {
  ShardedSafetensors,
  openCheckpoint,
  openSafetensorsDir,
  openSafetensorsIndex,
  openShardedSafetensors,
  parseSafetensorsIndex,
  type SafetensorsIndex,
  type ShardedTensorInfo,
} from './safetensors/sharded.js';
export {
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
