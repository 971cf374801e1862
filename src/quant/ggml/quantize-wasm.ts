// The WebAssembly SIMD path of quantizeGgml (kernels in src/wasm/ggml-quant.ts): the values are
// streamed through the staging area of lowp's private-memory kernels in chunks of whole blocks. Every
// type with a kernel quantizes its blocks independently of each other, so rows need no bookkeeping
// here. Where WebAssembly SIMD is unavailable, quantizeGgml runs the TypeScript row quantizers.
import { CONVERT_BASE, CONVERT_BYTES, getStagingKernels, type KernelExports } from '../../wasm/loader.js';
import { GGML_TYPES } from './types.js';
import type { GgmlQuantType } from './quantize.js';

type Kernel = (k: KernelExports, src: number, dst: number, nb: number, s: number) => void;

const KERNELS: Partial<Record<GgmlQuantType, Kernel>> = {
  Q4_0: (k, src, dst, nb) => k.ggmlQ40Q50(src, dst, nb, 0),
  Q5_0: (k, src, dst, nb) => k.ggmlQ40Q50(src, dst, nb, 1),
  Q4_1: (k, src, dst, nb) => k.ggmlQ41Q51(src, dst, nb, 0),
  Q5_1: (k, src, dst, nb) => k.ggmlQ41Q51(src, dst, nb, 1),
  Q8_0: (k, src, dst, nb) => k.ggmlQ80Q81(src, dst, nb, 0),
  Q8_1: (k, src, dst, nb) => k.ggmlQ80Q81(src, dst, nb, 1),
  Q2_K: (k, src, dst, nb, s) => k.ggmlQ2K(src, dst, nb, s),
  Q3_K: (k, src, dst, nb, s) => k.ggmlQ3K(src, dst, nb, s),
  Q4_K: (k, src, dst, nb, s) => k.ggmlQ45K(src, dst, nb, s, 0),
  Q5_K: (k, src, dst, nb, s) => k.ggmlQ45K(src, dst, nb, s, 1),
  Q6_K: (k, src, dst, nb, s) => k.ggmlQ6K(src, dst, nb, s),
};

/** Scratch bytes the kernels use, at the start of the staging area. */
const SCRATCH = 4096;
/** Values per chunk (128 KiB of float32; with the blocks and the scratch it fits the staging area). */
const CHUNK = 32768;

/** Whether `type` has a WebAssembly kernel. */
export function hasWasmKernel(type: GgmlQuantType): boolean {
  return KERNELS[type] !== undefined;
}

/** quantizeWasm's answer where there is no kernel for the type or WebAssembly SIMD is unavailable. */
export const WASM_UNAVAILABLE = -2;

/**
 * Quantizes all of `x` (whole blocks) into `y` with the type's WebAssembly kernel, checking on the way
 * that every value is finite. Returns −1 when done, the index of the first NaN or ±infinity (`y` then
 * partly written), or WASM_UNAVAILABLE (nothing written).
 */
export function quantizeWasm(type: GgmlQuantType, x: Float32Array, y: Uint8Array): number {
  const kernel = KERNELS[type];
  if (kernel === undefined) return WASM_UNAVAILABLE;
  const k = getStagingKernels();
  if (k === null) return WASM_UNAVAILABLE;
  const { blockSize, typeSize } = GGML_TYPES[type];
  const blocksPerChunk = CHUNK / blockSize;
  const inOff = CONVERT_BASE + SCRATCH;
  const outOff = inOff + CHUNK * 4;
  if (outOff + blocksPerChunk * typeSize > CONVERT_BASE + CONVERT_BYTES) return WASM_UNAVAILABLE;
  const buf = k.memory.buffer;
  const vin = new Float32Array(buf, inOff, CHUNK);
  const vout = new Uint8Array(buf, outOff, blocksPerChunk * typeSize);
  const nb = x.length / blockSize;
  for (let b = 0; b < nb; b += blocksPerChunk) {
    const m = Math.min(blocksPerChunk, nb - b);
    vin.set(x.subarray(b * blockSize, (b + m) * blockSize));
    const bad = k.exports.ggmlFirstNonFinite(inOff, m * blockSize);
    if (bad >= 0) return b * blockSize + bad;
    kernel(k.exports, inOff, outOff, m, CONVERT_BASE);
    y.set(m === blocksPerChunk ? vout : vout.subarray(0, m * typeSize), b * typeSize);
  }
  return -1;
}
