// lowp/matmul: mixed-precision matrix products (bf16/fp16/fp8/fp32 inputs; fp32, fp64 or emulated
// fp16/bf16 accumulation; any output format), the exact int8 GEMM, their reference twins, and the
// WebAssembly SIMD bulk float32 ⇄ fp16/bf16 conversions. See docs/matmul.md.
export { matmul, matmulTransposed } from './matmul.js';
export { int8Matmul } from './int8.js';
export { matmulReference, int8MatmulReference } from './reference.js';
export type { MatmulOptions, AccumulateFormat, KernelChoice } from './options.js';
export { INT8_INT32_MAX_K } from './int8-options.js';
export { FP32_BLOCK_K, HOPPER_FP8_PROMOTE_K } from './options.js';
export type { Int8MatmulOptions, Int8MatmulResult } from './int8-options.js';
export { availableThreads, shutdownThreads } from './threads.js';
export { f32ToFp16, fp16ToF32, f32ToBf16, bf16ToF32 } from '../wasm/convert.js';
export { wasmSimdAvailable } from '../wasm/status.js';
export type { Matrix, MatrixData, Int8Matrix } from '../core/matrix.js';
