// lowp/quant's ggml area: llama.cpp's ggml types (the type table) and the reference quantizers.
export { GGML_TYPES, ggmlTypeInfo, ggmlTypeById, ggmlByteLength } from './types.js';
export type { GgmlType, GgmlTypeInfo } from './types.js';
export { quantizeGgml, GGML_QUANT_TYPES } from './quantize.js';
export type { GgmlQuantType, QuantizeGgmlOptions } from './quantize.js';
