// Driver of the WebAssembly SIMD ggml dequantizers (src/wasm/kernels-ggml.ts; F16 and BF16 use the bulk
// conversion kernels of src/wasm/kernels.ts): copies runs of whole blocks into the staging area of the
// private-memory kernels (getStagingKernels) in chunks of up to CHUNK_VALUES values, runs the type's kernel and
// copies the floats out. The lookup tables the kernels read (codebooks, i-quant grids and their sign
// patterns) are written once per kernel memory at GGML_TABLES_BASE. The kernels compute what the
// TypeScript ports of dequantize-ref.ts compute, bit for bit; tests compare the two on random blocks.
import { BULK_BYTES, CONVERT_BASE, GGML_TABLES_BASE, align64, getStagingKernels, type KernelExports, type Kernels } from '../../wasm/loader.js';
import { gridBytes, KSIGNS_IQ2XS, KVALUES_IQ4NL, KVALUES_MXFP4 } from './tables.js';

/** The kernels the ggml dequantizers run (names of {@link KernelExports}). */
export type GgmlKernelName =
  | 'f16ToF32' | 'bf16ToF32'
  | 'dequantQ4_0' | 'dequantQ4_1' | 'dequantQ5_0' | 'dequantQ5_1' | 'dequantQ8_0' | 'dequantMXFP4' | 'dequantIQ4_NL'
  | 'dequantNVFP4' | 'dequantQ1_0' | 'dequantQ2_0'
  | 'dequantQ2_K' | 'dequantQ3_K' | 'dequantQ4_K' | 'dequantQ5_K' | 'dequantQ6_K' | 'dequantQ8_K'
  | 'dequantTQ1_0' | 'dequantTQ2_0' | 'dequantIQ4_XS'
  | 'dequantIQ2_XXS' | 'dequantIQ2_XS' | 'dequantIQ2_S' | 'dequantIQ3_XXS' | 'dequantIQ3_S' | 'dequantIQ1_S' | 'dequantIQ1_M';

// Table layout, offsets from GGML_TABLES_BASE.
const KV_IQ4NL = 0; // kvalues_iq4nl, 16 int8
const KV_MXFP4 = 16; // kvalues_mxfp4, 16 int8
const KSIGNS = 32; // ksigns_iq2xs, 128 bytes
const SIGNS = 256; // 256 sign patterns × 8 float32 (−1 where bit j of the pattern is set, else +1)
const IQ2XXS = SIGNS + 256 * 32;
const IQ2XS = IQ2XXS + 256 * 8;
const IQ2S = IQ2XS + 512 * 8;
const IQ3XXS = IQ2S + 1024 * 8;
const IQ3S = IQ3XXS + 256 * 4;
const IQ1S = IQ3S + 512 * 4;
const TABLES_END = IQ1S + 2048 * 8;

/** The table arguments (offsets from GGML_TABLES_BASE) each kernel takes after (src, dst, nb). */
const TABLE_ARGS: Partial<Record<GgmlKernelName, readonly number[]>> = {
  dequantMXFP4: [KV_MXFP4],
  dequantNVFP4: [KV_MXFP4],
  dequantIQ4_NL: [KV_IQ4NL],
  dequantIQ4_XS: [KV_IQ4NL],
  dequantIQ2_XXS: [IQ2XXS, KSIGNS, SIGNS],
  dequantIQ2_XS: [IQ2XS, KSIGNS, SIGNS],
  dequantIQ2_S: [IQ2S, SIGNS],
  dequantIQ3_XXS: [IQ3XXS, KSIGNS, SIGNS],
  dequantIQ3_S: [IQ3S, SIGNS],
  dequantIQ1_S: [IQ1S],
  dequantIQ1_M: [IQ1S],
};

/**
 * Values per kernel call, at most: 1 MiB of floats, copied out at once (copies of 1 MiB run about twice
 * as fast as smaller ones: see DECODE_CHUNK in src/wasm/convert.ts).
 */
const CHUNK_VALUES = 262144;
/** Staging: blocks at IN_OFF (at most 2 bytes per value: F16/BF16), floats after them. */
const IN_OFF = CONVERT_BASE;

if (2 * CHUNK_VALUES + 4 * CHUNK_VALUES > BULK_BYTES || GGML_TABLES_BASE + TABLES_END > CONVERT_BASE) {
  throw new Error('lowp: ggml dequantizer staging does not fit the kernels memory layout');
}

let image: Uint8Array | undefined;

/** The bytes of the table region (built on first use). */
function tableImage(): Uint8Array {
  if (image !== undefined) return image;
  const t = new Uint8Array(TABLES_END);
  t.set(new Uint8Array(KVALUES_IQ4NL.buffer, KVALUES_IQ4NL.byteOffset, 16), KV_IQ4NL);
  t.set(new Uint8Array(KVALUES_MXFP4.buffer, KVALUES_MXFP4.byteOffset, 16), KV_MXFP4);
  t.set(KSIGNS_IQ2XS, KSIGNS);
  const dv = new DataView(t.buffer);
  for (let s = 0; s < 256; s++) for (let j = 0; j < 8; j++) dv.setFloat32(SIGNS + 32 * s + 4 * j, (s >> j) & 1 ? -1 : 1, true);
  t.set(gridBytes('iq2xxs_grid'), IQ2XXS);
  t.set(gridBytes('iq2xs_grid'), IQ2XS);
  t.set(gridBytes('iq2s_grid'), IQ2S);
  t.set(gridBytes('iq3xxs_grid'), IQ3XXS);
  t.set(gridBytes('iq3s_grid'), IQ3S);
  t.set(gridBytes('iq1s_grid'), IQ1S);
  image = t;
  return t;
}

/** Memories whose table region is written. */
const ready = new WeakSet<WebAssembly.Memory>();

/** Views of the kernels' memory, kept while its buffer stays the same (it changes when memory grows). */
let views: { buf: ArrayBufferLike; u8: Uint8Array; f32: Float32Array } | null = null;

function viewsOf(k: Kernels): { u8: Uint8Array; f32: Float32Array } {
  const buf = k.memory.buffer;
  if (views === null || views.buf !== buf) views = { buf, u8: new Uint8Array(buf), f32: new Float32Array(buf) };
  return views;
}

/**
 * Runs `kernel` over `nb` blocks of `typeSize` bytes (`blockSize` values each) of `src` from byte `off`
 * into `out` from index `o`, chunk by chunk through the kernels' staging area. Returns false, having
 * written nothing, where the WebAssembly kernels are unavailable.
 */
export function dequantGgmlWasm(
  kernel: GgmlKernelName,
  typeSize: number,
  blockSize: number,
  src: Uint8Array,
  off: number,
  nb: number,
  out: Float32Array,
  o: number,
): boolean {
  const per = Math.max(1, Math.floor(Math.min(CHUNK_VALUES, nb * blockSize) / blockSize));
  const outOff = IN_OFF + align64(per * typeSize);
  const k = getStagingKernels(outOff - IN_OFF + 4 * per * blockSize);
  if (k === null) return false;
  if (!ready.has(k.memory)) {
    new Uint8Array(k.memory.buffer).set(tableImage(), GGML_TABLES_BASE);
    ready.add(k.memory);
  }
  const { u8, f32 } = viewsOf(k);
  const fn = k.exports[kernel] as (src: number, dst: number, nb: number, a?: number, b?: number, c?: number) => void;
  const args = (TABLE_ARGS[kernel] ?? []).map((a) => GGML_TABLES_BASE + a);
  const [a0, a1, a2] = args;
  const outBase = outOff >> 2;
  for (let b = 0; b < nb; b += per) {
    const m = Math.min(per, nb - b);
    const s = off + b * typeSize;
    u8.set(src.subarray(s, s + m * typeSize), IN_OFF);
    fn(IN_OFF, outOff, m, a0, a1, a2);
    out.set(f32.subarray(outBase, outBase + m * blockSize), o + b * blockSize);
  }
  return true;
}
