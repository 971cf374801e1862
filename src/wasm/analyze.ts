// Driver of the `analyzeF32` WebAssembly SIMD kernel (src/wasm/kernels-analyze.ts): the fast path of analyzeCast
// (src/diagnostics/analyzeCast.ts) for float32 data cast to a signed format with subnormals (bf16, fp16,
// the fp8/fp6/fp4 formats), nearest-even rounding, subnormals kept, any overflow policy. The data is
// copied in chunks of 32K values into the kernels' staging area (getStagingKernels: a private-memory
// instance where the thread's kernels use a shared memory); each call returns the chunk's aggregates — counts, max/min |x|
// bits, error sums and maxima, the log2 histogram — and, per group of 256 values, the largest worst-list
// key (relative error, +Infinity for an overflow), so that the caller rescans (with its exact TypeScript
// code) only the groups that can still enter its worst list. The pure-TypeScript twin is analyzeCast's
// `loopF32`; tests compare the two (counts, histogram, range, maxima and worst list equal; sums within
// the bound below).
//
// Summation order: per vector of 4 values, lanes 0 + 2 and 1 + 3 are added and the two results go to
// two running float64 partial sums; a chunk's result is their sum, and the chunk results are added in
// order. Every term is non-negative and the same as in TypeScript (err, err², x² are exact in float64
// for float32 x; rel = err/|x| is the same correctly rounded division), so both this order and the
// sequential TypeScript order are within γ(n−1) = (n−1)u/(1 − (n−1)u), u = 2^-53, of the exact sum S
// (Higham, Accuracy and Stability of Numerical Algorithms, §4.2): |wasm − ts| ≤ 2γ(n−1)·S.
//
// Also the driver of the fused kernels `analyzeQ8_0` and `analyzeQ4_K` (src/wasm/kernels-analyze-ggml.ts):
// the same aggregates, bit for bit, of the values ggml blocks hold (as analyzeF32Wasm gives for the
// values dequantizeGgml decodes), from the blocks themselves, chunk by chunk and group by group as
// analyzeF32Wasm goes; the caller rescans a group from its own dequantized values.
import { CONVERT_BASE, CONVERT_BYTES, getStagingKernels, type Kernels } from './loader.js';

/** Values per kernel call. */
export const ANALYZE_CHUNK = 32768;
/** Values per group of the worst-list keys (a multiple of 4 dividing ANALYZE_CHUNK). */
export const ANALYZE_GROUP = 256;
/** Bytes of one histogram copy in the kernel's layout (288 u32 counts). */
const HIST_COPY = 1152;

/**
 * Whether the kernel handles a signed target with subnormals, `m` mantissa bits and smallest normal
 * exponent `emin`: float32's own exponent range (emin = −126, bf16), or a narrower one whose scale
 * factors stay normal float32 numbers (−126 < emin, 127 + m − emin ≤ 254); m ≤ 22.
 *
 * @example
 * ```ts
 * analyzeKernelSupports(10, -14); // true (fp16)
 * ```
 */
export function analyzeKernelSupports(m: number, emin: number): boolean {
  if (!Number.isInteger(m) || !Number.isInteger(emin) || m < 0 || m > 22) return false;
  return emin === -126 || (emin > -126 && 127 + m - emin <= 254);
}

const IN_OFF = CONVERT_BASE;
const OUT_OFF = IN_OFF + ANALYZE_CHUNK * 4;
const HIST_OFF = OUT_OFF + 128;
const GROUPS_OFF = HIST_OFF + 4 * HIST_COPY;
/** The kernels' state (ANALYZE_STATE = 304 bytes in kernels-analyze.ts). */
const STATE_OFF = GROUPS_OFF + (ANALYZE_CHUNK / ANALYZE_GROUP) * 8;
/** The fused kernels' scratch (at least ANALYZE_GGML_SCRATCH = 3904 bytes in kernels-analyze-ggml.ts). */
const SCRATCH_OFF = STATE_OFF + 320;
const END_OFF = SCRATCH_OFF + 4096;

/** Views of the kernel's staging area, kept while the memory's buffer stays the same. */
interface Views {
  buf: ArrayBufferLike; vin: Float32Array; bin: Uint8Array; outF: Float64Array; outU: Uint32Array; h: Uint32Array; grp: Float64Array;
}
let views: Views | null = null;

function viewsOf(k: Kernels): Views {
  const buf = k.memory.buffer;
  if (views === null || views.buf !== buf) {
    views = {
      buf,
      vin: new Float32Array(buf, IN_OFF, ANALYZE_CHUNK),
      bin: new Uint8Array(buf, IN_OFF, ANALYZE_CHUNK * 4),
      outF: new Float64Array(buf, OUT_OFF, 7),
      outU: new Uint32Array(buf, OUT_OFF + 64, 9),
      h: new Uint32Array(buf, HIST_OFF, HIST_COPY),
      grp: new Float64Array(buf, GROUPS_OFF, ANALYZE_CHUNK / ANALYZE_GROUP),
    };
  }
  return views;
}

/**
 * Aggregates over the values of one {@link analyzeF32Wasm} call (counts partition the input:
 * zeros + nan + inf + exact + rounded + flushed + over, where rounded is the rest).
 *
 * @example
 * ```ts
 * const t = analyzeF32Wasm(x, 10, -14, 0x477ff000, hist, 1074, () => Infinity, () => {}); // fp16
 * t && t.sumSqE / t.sumSqX; // noise-to-signal power ratio
 * ```
 */
export interface F32CastTotals {
  /** ±0 inputs. */
  zeros: number;
  /** NaN inputs. */
  nan: number;
  /** ±Infinity inputs. */
  inf: number;
  /** Finite nonzero inputs below the overflow threshold the cast leaves unchanged. */
  exact: number;
  /** Finite nonzero inputs that become ±0. */
  flushed: number;
  /** Finite inputs whose result is a nonzero subnormal of the target. */
  sub: number;
  /** Finite inputs at or beyond the overflow threshold. */
  over: number;
  /** Largest float32 |x| bit pattern over finite nonzero inputs (0 if none). */
  maxAbsBits: number;
  /** Smallest float32 |x| bit pattern over finite nonzero inputs (0x7f800000 if none). */
  minAbsBits: number;
  /** Σ|x − r| over the measured inputs (finite, below the overflow threshold). */
  sumAbs: number;
  /** Σ|x − r|/|x| over the measured nonzero inputs. */
  sumRel: number;
  /** Σx² over the measured inputs. */
  sumSqX: number;
  /** Σ(x − r)² over the measured inputs. */
  sumSqE: number;
  /** max |x − r|. */
  maxErr: number;
  /** max |x − r|/|x|. */
  maxRel: number;
  /** max |x − r| / ulp(x) in the target. */
  maxUlp: number;
}

/**
 * Runs the kernel over `data`. Adds the log2 histogram to `hist` (bin of exponent e at `hist[offset +
 * e]`), calls `rescan(start, end)` for every group of values whose largest key exceeds `threshold()`
 * (read again after each rescan), and returns the totals; null where the WebAssembly SIMD kernels are
 * unavailable (the caller runs its TypeScript loop).
 *
 * @param data - float32 values (not modified).
 * @param m - mantissa bits of the target (see {@link analyzeKernelSupports}).
 * @param emin - smallest normal exponent of the target.
 * @param ovBits - smallest float32 |x| bit pattern that overflows the target (per the caller's rule).
 * @param hist - raw histogram bins, added to.
 * @param offset - index in `hist` of the binade [1, 2).
 * @param threshold - the caller's worst-list threshold (keys must exceed it).
 * @param rescan - called with [start, end) indices into `data` of groups that may hold worst elements.
 * @example
 * ```ts
 * const hist = new Float64Array(2098);
 * // bf16: 7 mantissa bits, emin −126, overflow from the bits 0x7f7f8000
 * const t = analyzeF32Wasm(new Float32Array([1, 0.1, 0]), 7, -126, 0x7f7f8000, hist, 1074, () => 0, () => {});
 * t?.exact; // 1
 * ```
 */
export function analyzeF32Wasm(
  data: Float32Array, m: number, emin: number, ovBits: number, hist: Float64Array, offset: number,
  threshold: () => number, rescan: (start: number, end: number) => void,
): F32CastTotals | null {
  const k = kernelsFor(m, emin, ovBits);
  if (k === null) return null;
  const v = viewsOf(k);
  const fn = k.exports.analyzeF32;
  const t = emptyTotals();
  const n = data.length;
  v.h.fill(0); // the kernel adds to its histogram; read once at the end
  const keys = new Float64Array(ANALYZE_CHUNK / ANALYZE_GROUP);
  for (let i = 0; i < n; i += ANALYZE_CHUNK) {
    const len = Math.min(ANALYZE_CHUNK, n - i);
    v.vin.set(data.subarray(i, i + len));
    // pad to a multiple of 4 with zeros (they add to zeros and to nothing else; taken off below)
    const m4 = (len + 3) & ~3;
    for (let j = len; j < m4; j++) v.vin[j] = 0;
    fn(IN_OFF, m4, m, emin, ovBits, OUT_OFF, HIST_OFF, GROUPS_OFF, ANALYZE_GROUP, STATE_OFF);
    addCall(t, v, m4 - len);
    rescanGroups(v, keys, i, len, m4, threshold, rescan);
  }
  return finishTotals(t, v, hist, offset);
}

/**
 * The ggml types with a fused kernel ({@link analyzeGgmlWasm}), with their block size and bytes per block.
 *
 * @example
 * ```ts
 * ANALYZE_GGML_TYPES.Q8_0; // { blockSize: 32, typeSize: 34 }
 * ```
 */
export const ANALYZE_GGML_TYPES: Readonly<Record<'Q8_0' | 'Q4_K', { readonly blockSize: number; readonly typeSize: number }>> = Object.freeze({
  Q8_0: Object.freeze({ blockSize: 32, typeSize: 34 }),
  Q4_K: Object.freeze({ blockSize: 256, typeSize: 144 }),
});

/**
 * {@link analyzeF32Wasm} for the values of whole ggml blocks of `type`, read from the blocks by a fused
 * kernel: the same totals, histogram and worst-list groups (`rescan(start, end)` for the same groups,
 * in the same order, indices of values) as analyzeF32Wasm gives for their dequantized values. Null
 * where analyzeF32Wasm would return null.
 *
 * @param blocks - whole blocks (not modified).
 * @param type - 'Q8_0' or 'Q4_K'.
 * @param m - mantissa bits of the target.
 * @param emin - smallest normal exponent of the target.
 * @param ovBits - smallest float32 |x| bit pattern that overflows the target.
 * @param hist - raw histogram bins, added to.
 * @param offset - index in `hist` of the binade [1, 2).
 * @param threshold - the caller's worst-list threshold (keys must exceed it).
 * @param rescan - called with [start, end) value indices of groups that may hold worst elements (the
 *   staging memory may be used by the callback: the driver reads nothing from it afterwards).
 * @example
 * ```ts
 * const hist = new Float64Array(2098);
 * const t = analyzeGgmlWasm(blocks, 'Q8_0', 10, -14, 0x477ff000, hist, 1074, () => 0, (s, e) => {}); // fp16
 * ```
 */
export function analyzeGgmlWasm(
  blocks: Uint8Array, type: 'Q8_0' | 'Q4_K', m: number, emin: number, ovBits: number, hist: Float64Array, offset: number,
  threshold: () => number, rescan: (start: number, end: number) => void,
): F32CastTotals | null {
  const k = kernelsFor(m, emin, ovBits);
  if (k === null) return null;
  const { blockSize, typeSize } = ANALYZE_GGML_TYPES[type];
  const fn = type === 'Q8_0' ? k.exports.analyzeQ8_0 : k.exports.analyzeQ4_K;
  const t = emptyTotals();
  const n = (blocks.length / typeSize) * blockSize;
  viewsOf(k).h.fill(0);
  const keys = new Float64Array(ANALYZE_CHUNK / ANALYZE_GROUP);
  for (let i = 0; i < n; i += ANALYZE_CHUNK) {
    const len = Math.min(ANALYZE_CHUNK, n - i);
    const at = (i / blockSize) * typeSize;
    // views again for each call: a rescan may run other kernels, which may grow the memory
    const v = viewsOf(k);
    v.bin.set(blocks.subarray(at, at + (len / blockSize) * typeSize));
    fn(IN_OFF, len, m, emin, ovBits, OUT_OFF, HIST_OFF, GROUPS_OFF, SCRATCH_OFF);
    addCall(t, v, 0);
    rescanGroups(v, keys, i, len, len, threshold, rescan);
  }
  return finishTotals(t, viewsOf(k), hist, offset);
}

/** The staging kernels where they can run the analysis of this target (see analyzeF32Wasm), else null. */
function kernelsFor(m: number, emin: number, ovBits: number): Kernels | null {
  const k = getStagingKernels();
  if (k === null || !analyzeKernelSupports(m, emin)) return null;
  // a narrower target rounds with the float32 constant 2^(e + 23 − m) for every exponent e below the
  // overflow threshold, which must stay finite: true of every built-in format; a custom format whose
  // overflow threshold exceeds 2^(105 + m) runs the caller's TypeScript loop
  if (emin > -126 && ((ovBits - 1) >>> 23) + 23 - m > 254) return null;
  if (END_OFF > CONVERT_BASE + CONVERT_BYTES) return null;
  return k;
}

function emptyTotals(): F32CastTotals {
  return {
    zeros: 0, nan: 0, inf: 0, exact: 0, flushed: 0, sub: 0, over: 0, maxAbsBits: 0, minAbsBits: 0x7f800000,
    sumAbs: 0, sumRel: 0, sumSqX: 0, sumSqE: 0, maxErr: 0, maxRel: 0, maxUlp: 0,
  };
}

/** Adds one kernel call's aggregates to `t` (`pad` zeros of padding taken off). */
function addCall(t: F32CastTotals, v: Views, pad: number): void {
  const { outF, outU } = v;
  t.sumAbs += outF[0]; t.sumRel += outF[1]; t.sumSqX += outF[2]; t.sumSqE += outF[3];
  if (outF[4] > t.maxErr) t.maxErr = outF[4];
  if (outF[5] > t.maxRel) t.maxRel = outF[5];
  if (outF[6] > t.maxUlp) t.maxUlp = outF[6];
  t.zeros += outU[0] - pad; t.nan += outU[1]; t.inf += outU[2]; t.exact += outU[3];
  t.flushed += outU[4]; t.sub += outU[5]; t.over += outU[6];
  if (outU[7] > t.maxAbsBits) t.maxAbsBits = outU[7];
  if (outU[8] < t.minAbsBits) t.minAbsBits = outU[8];
}

/**
 * Calls `rescan` for the groups of one kernel call (values [i, i + len), `m4` of them analysed) whose key
 * exceeds the threshold, in order; the keys are copied first (a rescan may use the staging memory).
 */
function rescanGroups(v: Views, keys: Float64Array, i: number, len: number, m4: number, threshold: () => number, rescan: (start: number, end: number) => void): void {
  const groups = Math.ceil(m4 / ANALYZE_GROUP);
  keys.set(v.grp.subarray(0, groups));
  let thr = threshold(); // changes only in a rescan
  for (let g = 0; g < groups; g++) {
    if (keys[g] > thr) {
      rescan(i + g * ANALYZE_GROUP, Math.min(i + (g + 1) * ANALYZE_GROUP, i + len));
      thr = threshold();
    }
  }
}

/** Adds the kernels' histogram to `hist` and returns `t`. */
function finishTotals(t: F32CastTotals, v: Views, hist: Float64Array, offset: number): F32CastTotals {
  const h = v.h;
  if (t.maxAbsBits === 0) return t; // no finite nonzero value: empty histogram
  const eBase = offset - 127; // bin of float32 exponent field E (1…254): offset + E − 127
  const sBase = offset - 149; // float32 subnormal with top bit p: offset + p − 149
  // only the exponents between the smallest and the largest |x| can hold counts
  for (let E = Math.max(1, t.minAbsBits >>> 23), top = t.maxAbsBits >>> 23; E <= top; E++) {
    const c = h[E] + h[288 + E] + h[576 + E] + h[864 + E];
    if (c !== 0) hist[eBase + E] += c;
  }
  if (t.minAbsBits < 0x00800000) {
    for (let p = 0; p < 23; p++) {
      const c = h[256 + p];
      if (c !== 0) hist[sBase + p] += c;
    }
  }
  return t;
}
