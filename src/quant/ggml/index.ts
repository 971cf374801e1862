// lowp/quant's ggml part: the ggml tensor types (ids, block sizes, bytes per block) and dequantizers
// of their blocks to float32, bit for bit as ggml's C reference.
export { GGML_TYPES, ggmlTypeInfo, ggmlTypeById, ggmlByteLength } from './types.js';
export type { GgmlType, GgmlTypeInfo } from './types.js';
export { dequantizeGgml, dequantizeGgmlInto, GGML_DEQUANTIZE_TYPES } from './dequantize.js';
export type { DequantizeGgmlOptions, GgmlTypeLike } from './dequantize.js';
