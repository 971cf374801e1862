// lowp/quant's ggml part: the ggml tensor types (ids, block sizes, bytes per block), dequantizers of
// their blocks to float32 and the reference quantizers, bit for bit as ggml's C reference; and the
// analysis of what storing a tensor in one of them does (error, lost and subnormal block scales).
export { GGML_TYPES, ggmlTypeInfo, ggmlTypeById, ggmlByteLength } from './types.js';
export type { GgmlType, GgmlTypeInfo } from './types.js';
export { dequantizeGgml, dequantizeGgmlInto, GGML_DEQUANTIZE_TYPES } from './dequantize.js';
export type { DequantizeGgmlOptions, GgmlTypeLike } from './dequantize.js';
export { quantizeGgml, GGML_QUANT_TYPES } from './quantize.js';
export type { GgmlQuantType, QuantizeGgmlOptions } from './quantize.js';
export { analyzeGgml, createGgmlAnalyzer } from './analyze.js';
export type { GgmlAnalysis, GgmlAnalyzer, GgmlAnalyzerOptions, GgmlCounts, GgmlBlockExample } from './analyze.js';
export { ggmlScaleLimits, GGML_STORAGE_TYPES } from './scales.js';
export type { GgmlScaleLimits, GgmlStorageType, BlockScanCounts, BlockProblem } from './scales.js';
