// lowp: the root entry re-exports every area. The subpaths (lowp/formats, lowp/quant, lowp/matmul,
// lowp/diagnostics, lowp/io) give the same functions for smaller imports.
export * from './formats/index.js';
export * from './quant/index.js';
export * from './matmul/index.js';
export * from './diagnostics/index.js';
export * from './io/index.js';
// two areas name a type TensorInput: the root's is the quantizers' (a Matrix or a float array); the
// safetensors writer's is available from 'lowp/io'
export type { TensorInput } from './quant/index.js';
export { describeValue } from './core/describe.js';
export { validateMatrix, validateInt8Matrix } from './core/matrix.js';
