// lowp: the root entry re-exports every area. Subpaths (lowp/formats, lowp/quant, lowp/matmul,
// lowp/diagnostics, lowp/io) give the same functions for smaller imports.
export * from './formats/index.js';
export { describeValue } from './core/describe.js';
export { createRng } from './core/rng.js';
export type { RandomSource } from './core/rng.js';
export { validateMatrix, validateInt8Matrix } from './core/matrix.js';
export type { Matrix, MatrixData, Int8Matrix } from './core/matrix.js';
