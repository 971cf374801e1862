// Lazy loader for lowp's WebAssembly SIMD kernels (src/wasm/kernels.ts, AssemblyScript, embedded as
// base64 by scripts/build-wasm.mjs). Compiles on first use, only where `WebAssembly.validate` accepts
// the SIMD binary; callers fall back to their pure-TypeScript twins when `getKernels()` returns null.
// Memory is a bump arena owned by the calling thread: every call lays its operands out from BASE.
// Streaming kernels (conversions, cast analysis) run on a second, private-memory instance of the same
// module (getStagingKernels) where the thread's kernels use a shared memory.
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels.generated.js';

/** Raw exports of the kernel module (byte offsets into the linear memory; see src/wasm/kernels.ts). */
export interface KernelExports {
  packB(b: number, dst: number, K: number, N: number): void;
  packBT(w: number, dst: number, K: number, N: number): void;
  sgemm(a: number, bp: number, c: number, K: number, kBegin: number, kEnd: number, ldc: number, i0: number, i1: number, p0: number, p1: number, kc: number, mc: number, split: number): void;
  sgemvT(a: number, w: number, c: number, M: number, N: number, K: number, j0: number, j1: number, bk: number): void;
  packB64(b: number, dst: number, K: number, N: number, trans: number): void;
  dgemm(a: number, bp: number, c: number, K: number, kBegin: number, kEnd: number, ldc: number, i0: number, i1: number, p0: number, p1: number, kc: number): void;
  packI8(src: number, dst: number, rows: number, K: number, Kp: number, R: number, kMajor: number): void;
  igemvT(a: number, w: number, c: number, M: number, N: number, K: number, j0: number, j1: number, k0: number, k1: number, beta: number): void;
  igemm(ap: number, wp: number, c: number, Kp: number, M: number, N: number, ip0: number, ip1: number, jp0: number, jp1: number, k0: number, k1: number, beta: number): void;
  f32ToF16(src: number, dst: number, n: number): void;
  f16ToF32(src: number, dst: number, n: number): void;
  f32ToBf16(src: number, dst: number, n: number): void;
  bf16ToF32(src: number, dst: number, n: number): void;
  analyzeF32(src: number, n: number, m: number, emin: number, ovBits: number, out: number, hist: number, groups: number, groupSize: number, st: number): void;
  /** Fused ggml cast analysis (src/wasm/kernels-analyze-ggml.ts): analyzeF32's aggregates of the values of n/blockSize blocks at `src`; `buf`: scratch. */
  analyzeQ8_0(src: number, n: number, m: number, emin: number, ovBits: number, out: number, hist: number, groups: number, buf: number): void;
  analyzeQ4_K(src: number, n: number, m: number, emin: number, ovBits: number, out: number, hist: number, groups: number, buf: number): void;
  /** ggml quantizers (src/wasm/ggml-quant.ts): `nb` blocks from `src` (float32) to `dst`, 4 KiB of scratch at `s`. */
  ggmlQ2K(src: number, dst: number, nb: number, s: number): void;
  ggmlQ3K(src: number, dst: number, nb: number, s: number): void;
  ggmlQ45K(src: number, dst: number, nb: number, s: number, five: number): void;
  ggmlQ6K(src: number, dst: number, nb: number, s: number): void;
  ggmlQ40Q50(src: number, dst: number, nb: number, five: number): void;
  ggmlQ41Q51(src: number, dst: number, nb: number, five: number): void;
  ggmlQ80Q81(src: number, dst: number, nb: number, q81: number): void;
  ggmlFirstNonFinite(src: number, n: number): number;
  ggmlMxfp4(src: number, dst: number, nb: number, table: number): void;
  ggmlIq4nl(src: number, dst: number, nb: number, s: number, b0: number, rowBlocks: number): void;
  ggmlTq20(src: number, dst: number, nb: number): void;
  ggmlQ8K(src: number, dst: number, nb: number): void;
  ggmlTq10(src: number, dst: number, nb: number): void;
  ggmlIq4xs(src: number, dst: number, nb: number, s: number): void;
  // ggml dequantizers (src/wasm/kernels-ggml.ts; driver src/quant/ggml/dequantize-wasm.ts): nb whole
  // blocks at src to float32 at dst; the trailing arguments are the addresses of lookup tables.
  dequantQ4_0(src: number, dst: number, nb: number): void;
  dequantQ4_1(src: number, dst: number, nb: number): void;
  dequantQ5_0(src: number, dst: number, nb: number): void;
  dequantQ5_1(src: number, dst: number, nb: number): void;
  dequantQ8_0(src: number, dst: number, nb: number): void;
  dequantMXFP4(src: number, dst: number, nb: number, kvalues: number): void;
  dequantIQ4_NL(src: number, dst: number, nb: number, kvalues: number): void;
  dequantNVFP4(src: number, dst: number, nb: number, kvalues: number): void;
  dequantQ1_0(src: number, dst: number, nb: number): void;
  dequantQ2_0(src: number, dst: number, nb: number): void;
  dequantQ2_K(src: number, dst: number, nb: number): void;
  dequantQ3_K(src: number, dst: number, nb: number): void;
  dequantQ4_K(src: number, dst: number, nb: number): void;
  dequantQ5_K(src: number, dst: number, nb: number): void;
  dequantQ6_K(src: number, dst: number, nb: number): void;
  dequantQ8_K(src: number, dst: number, nb: number): void;
  dequantTQ1_0(src: number, dst: number, nb: number): void;
  dequantTQ2_0(src: number, dst: number, nb: number): void;
  dequantIQ4_XS(src: number, dst: number, nb: number, kvalues: number): void;
  dequantIQ2_XXS(src: number, dst: number, nb: number, grid: number, ksigns: number, signs: number): void;
  dequantIQ2_XS(src: number, dst: number, nb: number, grid: number, ksigns: number, signs: number): void;
  dequantIQ2_S(src: number, dst: number, nb: number, grid: number, signs: number): void;
  dequantIQ3_XXS(src: number, dst: number, nb: number, grid: number, ksigns: number, signs: number): void;
  dequantIQ3_S(src: number, dst: number, nb: number, grid: number, signs: number): void;
  dequantIQ1_S(src: number, dst: number, nb: number, grid: number): void;
  dequantIQ1_M(src: number, dst: number, nb: number, grid: number): void;
}

/** A compiled and instantiated kernel module with its memory. */
export interface Kernels {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** The compiled module (for worker threads when `shared`). */
  readonly module: WebAssembly.Module;
  /** Whether `memory` is a shared memory (usable from worker_threads). */
  readonly shared: boolean;
  /** Grows the memory to hold at least `bytes` bytes; false if that is impossible (over 4 GiB). */
  ensure(bytes: number): boolean;
}

/**
 * First byte of the ggml dequantizers' lookup tables (codebooks, i-quant grids, sign patterns), which
 * src/quant/ggml/dequantize-wasm.ts writes once per memory; they end below {@link CONVERT_BASE}.
 */
export const GGML_TABLES_BASE = 16384;
/** First byte of the bulk-conversion staging area (below it: the module's constant tables at 1024 and the ggml tables at GGML_TABLES_BASE; the rest of the first 64 KiB is left alone). */
export const CONVERT_BASE = 65536;
/**
 * Bytes of the staging area that the chunked streams use (cast analysis, ggml quantizers and
 * dequantizers), so that they never clobber a product's operands; {@link getStagingKernels} makes sure
 * that they exist.
 */
export const CONVERT_BYTES = 262144;
/**
 * Bytes reserved from {@link CONVERT_BASE} for the bulk conversions (src/wasm/convert.ts), which copy
 * their results out in chunks of 1 MiB (see there); they ask {@link getStagingKernels} for what they use.
 */
export const BULK_BYTES = 3 * 1048576;
/** First byte of the matrix-product arena. */
export const BASE = CONVERT_BASE + BULK_BYTES;
const PAGE = 65536;
/** Largest wasm32 memory: 65536 pages = 4 GiB (offsets are u32). */
const MAX_BYTES = 65536 * PAGE;

/** Rounds a byte count up to a multiple of 64 (cache line). */
export function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const g = globalThis as { Buffer?: { from(s: string, e: string): Uint8Array }; atob?: (s: string) => string };
  if (g.Buffer) {
    const b = g.Buffer.from(b64, 'base64');
    return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  }
  const s = g.atob!(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let state: Kernels | null | undefined;
let disabled = false;

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory, shared: boolean): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('lowp wasm abort'); } } });
  const exports = instance.exports as unknown as KernelExports;
  return {
    exports,
    memory,
    module,
    shared,
    ensure(bytes: number): boolean {
      if (bytes > MAX_BYTES) return false;
      const have = memory.buffer.byteLength;
      if (bytes <= have) return true;
      try {
        memory.grow(Math.ceil((bytes - have) / PAGE));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The kernels for the calling thread, compiled on first use: the shared-memory build where shared
 * WebAssembly memory can be created (Node; cross-origin-isolated pages), else the private-memory build;
 * null where WebAssembly SIMD is unavailable (or disabled with {@link setWasmEnabled}).
 */
export function getKernels(): Kernels | null {
  if (disabled) return null;
  if (state !== undefined) return state;
  state = null;
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
  try {
    let sharedMem: WebAssembly.Memory | null = null;
    try {
      sharedMem = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
      if (!(typeof SharedArrayBuffer !== 'undefined' && sharedMem.buffer instanceof SharedArrayBuffer)) sharedMem = null;
    } catch {
      sharedMem = null;
    }
    if (sharedMem) {
      const bytes = decodeBase64(KERNELS_SHARED_WASM_BASE64);
      if (WebAssembly.validate(bytes)) {
        state = instantiate(new WebAssembly.Module(bytes), sharedMem, true);
        return state;
      }
    }
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    state = instantiate(new WebAssembly.Module(bytes), new WebAssembly.Memory({ initial: 2 }), false);
  } catch {
    state = null;
  }
  return state;
}

/**
 * The kernels for a product whose caller chose `kernel` ('auto', 'wasm' or 'js'): null for 'js', and
 * for 'auto' where WebAssembly SIMD is unavailable (the caller runs its TypeScript kernel); an Error
 * naming `fn` when 'wasm' was asked for where it is unavailable.
 */
export function requestedKernels(kernel: 'auto' | 'wasm' | 'js', fn: string): Kernels | null {
  if (kernel === 'js') return null;
  const k = getKernels();
  if (!k && kernel === 'wasm') throw new Error(`${fn}: kernel "wasm" requested, but WebAssembly SIMD is not available here`);
  return k;
}

let staging: Kernels | null | undefined;

/**
 * The kernels for streaming work that copies caller data in and out in chunks (bulk conversions, cast
 * analysis), with `bytes` of staging area from CONVERT_BASE in place (CONVERT_BYTES unless said; at
 * most BULK_BYTES): where the thread's kernels ({@link getKernels}) use a shared memory, a second
 * instance of the private-memory build on a private memory (320 KiB at first, grown on demand),
 * because V8 copies into and out of a SharedArrayBuffer with a relaxed-atomic loop about half as fast
 * as a memcpy (measured 3,700 against 7,500 M float32 values/s in 128 KiB chunks, Node 20), which alone
 * cost these streams a third of their speed. Null where WebAssembly SIMD is unavailable (or disabled).
 */
export function getStagingKernels(bytes: number = CONVERT_BYTES): Kernels | null {
  const k = getKernels();
  if (k === null || bytes > BULK_BYTES) return null;
  const use = k.shared ? (privateStaging() ?? k) : k;
  return use.ensure(CONVERT_BASE + bytes) ? use : null;
}

/** The private-memory instance for a thread whose kernels share their memory (made once; null if it cannot be). */
function privateStaging(): Kernels | null {
  if (staging === undefined) {
    staging = null;
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil((CONVERT_BASE + CONVERT_BYTES) / PAGE) });
      staging = instantiate(new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64)), memory, false);
    } catch {
      // stays null: the shared kernels stage instead
    }
  }
  return staging;
}

/** Forgets this thread's kernels (and so their memory, once unreferenced); the next use recompiles. */
export function resetKernels(): void {
  state = undefined;
  staging = undefined;
}

/**
 * Turns the WebAssembly kernels off (`false`) or back on (`true`) for this thread, e.g. to compare the
 * pure-TypeScript fallbacks against them. Returns the previous setting.
 */
export function setWasmEnabled(enabled: boolean): boolean {
  const prev = !disabled;
  disabled = !enabled;
  return prev;
}
