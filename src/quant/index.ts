// lowp/quant: absmax and vector-wise int8, LLM.int8(), bitsandbytes blockwise 8-bit and 4-bit (NF4,
// bnb-FP4), scaled fp8 and OCP MX block scaling, llama.cpp's ggml types (dequantizeGgml, quantizeGgml), error
// metrics, and quantization-error tables.
export { quantizeAbsmax, dequantizeAbsmax, absmaxRoundTrip } from './absmax.js';
export type { AbsmaxGranularity, AbsmaxOptions, AbsmaxInt8, DequantizeAbsmaxOptions } from './absmax.js';
export { int8VectorwiseQuant, int8VectorwiseDequant, INV127_F32 } from './vectorwise.js';
export type { VectorwiseOptions, VectorwiseInt8, VectorwiseDequantOptions } from './vectorwise.js';
export { llmInt8Linear, prepareInt8Weight, INT8_DEQUANT_EXACT, INT8_DEQUANT_BNB_DEFAULT } from './llm-int8.js';
export type {
  LlmInt8Format, PreparedInt8Weight, PrepareInt8WeightOptions, LlmInt8Options, LlmInt8Stats, LlmInt8Result,
} from './llm-int8.js';
export { maxAbsError, maxRelError, meanAbsError, mse, rmse, relL2, sqnrDb, cosine, maxUlpError, compare } from './metrics.js';
export type { MetricInput, MetricOptions, CompareOptions, Verdict, Comparison } from './metrics.js';
export {
  QUANT_METHOD_NAMES, getQuantMethod, parseQuantMethods, quantRoundTrip, BLOCKWISE8_BLOCKSIZE, BLOCKWISE4_BLOCKSIZE,
  MX_BLOCKSIZE, LLM_INT8_THRESHOLD,
} from './methods.js';
export type { QuantMethodName, RoundTrip, QuantMethod, MethodOutput, RoundTripShape } from './methods.js';
export { LINEAR_METHOD_NAMES, linearErrorTable, quantErrorTable, syntheticMatrix, formatErrorTable } from './quant-error.js';
export type {
  LinearMethodName, LinearCase, LinearErrorRow, LinearErrorOptions, TensorCase, QuantErrorRow, QuantErrorOptions,
  SyntheticKind, SyntheticOptions,
} from './quant-error.js';
export type { TensorInput } from './tensor-input.js';
export { quantizeScaledFp8, dequantizeScaledFp8 } from './scaled-fp8.js';
export type { ScaledFp8Format, ScaledFp8Options, ScaledFp8Quantized, FloatValues } from './scaled-fp8.js';
export { quantizeMx, dequantizeMx, mxScaleCode, MX_NAN_SCALE } from './mx.js';
export type { MxElementFormat, MxOptions, MxQuantized } from './mx.js';
export { quantizeBlockwise, dequantizeBlockwise, blockwiseAbsmax, BLOCKWISE_8BIT_BLOCKSIZES } from './blockwise.js';
export type { BlockwiseQuantized, BlockwiseOptions, BlockwiseSource, NestedAbsmax, DequantizeOptions } from './blockwise.js';
export { quantize4bit, dequantize4bit, BLOCKWISE_4BIT_BLOCKSIZES } from './blockwise4.js';
export type { Blockwise4bitQuantized, Quantize4bitOptions, QuantType4bit } from './blockwise4.js';
export { createDynamicMap, createNormalMap, nf4Code, bnbFp4Code, normalQuantile, normalCdf } from './codebooks.js';
export type { DynamicMapOptions, NormalMapOptions } from './codebooks.js';
export {
  GGML_TYPES, ggmlTypeInfo, ggmlTypeById, ggmlByteLength, dequantizeGgml, dequantizeGgmlInto, GGML_DEQUANTIZE_TYPES, quantizeGgml,
  GGML_QUANT_TYPES, analyzeGgml, createGgmlAnalyzer, ggmlScaleLimits, GGML_STORAGE_TYPES,
} from './ggml/index.js';
export type {
  GgmlType, GgmlTypeInfo, DequantizeGgmlOptions, GgmlTypeLike, GgmlQuantType, QuantizeGgmlOptions, GgmlAnalysis, GgmlAnalyzer,
  GgmlAnalyzerOptions, GgmlCounts, GgmlBlockExample, GgmlScaleLimits, GgmlStorageType, BlockScanCounts, BlockProblem,
} from './ggml/index.js';
export type { StreamedError } from './error-stream.js';
