// lowp/io's PyTorch reader: torch.save files (zip and legacy formats) read through a restricted
// unpickler that builds inert values and never calls anything; tensors read lazily by offset, views
// gathered in bounded memory; training checkpoint folders found (Node).
export { TorchFile, openTorch, type TorchReadOptions, type TorchTensorInfo, type TorchUnsupportedInfo, type TorchStorageInfo } from './reader.js';
export {
  PyGlobal,
  PyComplex,
  PyObject,
  TorchStorageRef,
  TorchTensorRef,
  TorchUnsupportedTensor,
  keyText,
  valueAt,
  toJsonValue,
  type PyValue,
} from './values.js';
export { allowedGlobals, isDangerousGlobal } from './allowlist.js';
export { DEFAULT_TORCH_LIMITS, type TorchLimits } from './archive.js';
export { readOptimizerState, isOptimizerStateDict, type OptimizerState, type OptimizerParamGroup, type OptimizerParamState } from './optimizer.js';
export {
  findTrainingCheckpoint,
  openTrainingCheckpoint,
  type TrainingCheckpoint,
  type TrainingCheckpointFiles,
  type TrainingCheckpointOptions,
  type TrainerState,
  type SkippedFile,
} from './training.js';
