// The WebAssembly SIMD path of quantizeGgml (kernels in src/wasm/ggml-quant.ts): the values are
// streamed through the staging area of lowp's private-memory kernels in chunks of whole blocks, each
// chunk checked finite first. Blocks are quantized independently of each other, except IQ4_NL's, which
// carry their indices within a row: its kernel is told where rows start and keeps its indices in the
// scratch from chunk to chunk. Where WebAssembly SIMD is unavailable, quantizeGgml runs the reference
// twins (reference.ts).
import { CONVERT_BASE, CONVERT_BYTES, getStagingKernels, type Kernels } from '../../wasm/loader.js';
import { GGML_TYPES } from './types.js';
import type { GgmlQuantType } from './quantize.js';
import { floorLog2f } from './reference.js';

/** A kernel call: `nb` blocks from `src` to `dst`, scratch at `s`, the first block being block `b0` of rows of `rowBlocks` blocks. */
type Kernel = (k: Kernels, src: number, dst: number, nb: number, s: number, b0: number, rowBlocks: number) => void;

let log2Table: Int32Array | undefined;

/**
 * For each f = floor(log2 x) in −149..127, the smallest float32 bits (as int32) with glibc floorf(log2f(x))
 * = f + 1, or 0x7fffffff: what ggmlMxfp4 needs to give ggml's MXFP4 scales (see floorLog2f). A pure
 * function of nothing, computed once.
 */
function mxfp4Log2Table(): Int32Array {
  if (log2Table) return log2Table;
  const t = new Int32Array(277);
  const f32 = new Float32Array(1);
  const u32 = new Int32Array(f32.buffer);
  const at = (bits: number): number => {
    u32[0] = bits;
    return floorLog2f(f32[0]);
  };
  for (let f = -149; f <= 127; f++) {
    const lo = f < -126 ? 1 << (f + 149) : (f + 127) << 23;
    const hi = f < -127 ? 1 << (f + 150) : f === 127 ? 0x7f800000 : (f + 128) << 23; // first bits of the next binade
    if (at(hi - 1) <= f) {
      t[f + 149] = 0x7fffffff;
      continue;
    }
    let a = lo; // at(a) == f; find the smallest b in (a, hi) with at(b) == f + 1
    let b = hi - 1;
    while (b - a > 1) {
      const m = a + Math.floor((b - a) / 2);
      if (at(m) > f) b = m;
      else a = m;
    }
    t[f + 149] = b;
  }
  log2Table = t;
  return t;
}

const KERNELS: Partial<Record<GgmlQuantType, Kernel>> = {
  MXFP4: (k, src, dst, nb, s) => {
    new Int32Array(k.memory.buffer, s, 277).set(mxfp4Log2Table());
    k.exports.ggmlMxfp4(src, dst, nb, s);
  },
  IQ4_NL: (k, src, dst, nb, s, b0, rowBlocks) => k.exports.ggmlIq4nl(src, dst, nb, s, b0, rowBlocks),
  TQ2_0: (k, src, dst, nb) => k.exports.ggmlTq20(src, dst, nb),
  TQ1_0: (k, src, dst, nb) => k.exports.ggmlTq10(src, dst, nb),
  Q8_K: (k, src, dst, nb) => k.exports.ggmlQ8K(src, dst, nb),
  IQ4_XS: (k, src, dst, nb, s) => k.exports.ggmlIq4xs(src, dst, nb, s),
  Q4_0: (k, src, dst, nb) => k.exports.ggmlQ40Q50(src, dst, nb, 0),
  Q5_0: (k, src, dst, nb) => k.exports.ggmlQ40Q50(src, dst, nb, 1),
  Q4_1: (k, src, dst, nb) => k.exports.ggmlQ41Q51(src, dst, nb, 0),
  Q5_1: (k, src, dst, nb) => k.exports.ggmlQ41Q51(src, dst, nb, 1),
  Q8_0: (k, src, dst, nb) => k.exports.ggmlQ80Q81(src, dst, nb, 0),
  Q8_1: (k, src, dst, nb) => k.exports.ggmlQ80Q81(src, dst, nb, 1),
  Q2_K: (k, src, dst, nb, s) => k.exports.ggmlQ2K(src, dst, nb, s),
  Q3_K: (k, src, dst, nb, s) => k.exports.ggmlQ3K(src, dst, nb, s),
  Q4_K: (k, src, dst, nb, s) => k.exports.ggmlQ45K(src, dst, nb, s, 0),
  Q5_K: (k, src, dst, nb, s) => k.exports.ggmlQ45K(src, dst, nb, s, 1),
  Q6_K: (k, src, dst, nb, s) => k.exports.ggmlQ6K(src, dst, nb, s),
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
export function quantizeWasm(type: GgmlQuantType, x: Float32Array, y: Uint8Array, rowLength: number): number {
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
    kernel(k, inOff, outOff, m, CONVERT_BASE, b, rowLength / blockSize);
    y.set(m === blocksPerChunk ? vout : vout.subarray(0, m * typeSize), b * typeSize);
  }
  return -1;
}
