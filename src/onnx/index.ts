// lowp/onnx: run an ONNX model once with onnxruntime and find where fp16/bf16/fp8 activations overflow,
// flush to zero or diverge (traceActivations, `lowp trace`). onnxruntime (onnxruntime-node in Node,
// onnxruntime-web in browsers) is an optional peer dependency, imported when a trace runs; the model is
// read with lowp/io's ONNX reader and rewritten by appending protobuf fields.
export {
  traceActivations,
  DEFAULT_MAX_ACTIVATION_BYTES,
  type OverflowKind,
  type TraceOptions,
  type TraceOutput,
  type TraceRef,
  type TraceReport,
  type TraceModelInfo,
  type TraceRuntimeInfo,
  type TraceFormatInfo,
  type TraceSkipped,
  type TraceGraphOutput,
  type TraceEmulation,
  type TracePasses,
  type TraceSeconds,
} from './trace.js';
export { TraceError, type TraceErrorCode } from './errors.js';
export type { TraceInput, TraceInputInfo, RandomTokens } from './inputs.js';
export type { SqnrDb } from './summarize.js';
export type { EmulationMethod } from './emulate.js';
export type { InlinedIf } from './inline.js';
export { loadRuntime, type OrtModuleLike, type OrtSessionLike, type OrtTensorLike, type OrtValueMetadata, type LoadedRuntime, type OrtSessionFactory, type OrtTensorConstructor, type OrtEnvLike } from './runtime.js';
