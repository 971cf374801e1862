// Whether lowp's WebAssembly SIMD kernels are in use here (else the pure-TypeScript twins run).
import { getKernels } from './loader.js';

/**
 * Whether this runtime runs lowp's WebAssembly SIMD kernels (compiling them on first call); false
 * where WebAssembly or its SIMD extension is missing, in which case the pure-TypeScript kernels run.
 *
 * @example
 * ```ts
 * wasmSimdAvailable(); // true on Node ≥ 16.4 and current browsers
 * ```
 */
export function wasmSimdAvailable(): boolean {
  return getKernels() !== null;
}
