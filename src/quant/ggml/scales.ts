// The scales inside ggml blocks, and what happens to them: where each type keeps its block scale (an
// fp16 `d`, ggml-common.h's block layouts; MXFP4's E8M0 byte), its minimum (`m`/`dmin` of the types
// with an offset) and its sub-block scales (the K-quants' 4/6/8-bit scales, IQ4_XS's 6-bit ones); a scan
// of quantized blocks against their inputs that counts the blocks whose values are lost because a scale
// became 0 (fp16 rounds d = max|x|/127 of a Q8_0 block to 0 below about 3.8e-6), whose scale is an fp16
// subnormal (fewer significant bits), or whose scale overflowed to inf (ggml converts float32 to fp16
// with overflow to infinity); and the thresholds on a block's max |x| at which this happens, derived by
// running the type's own quantizer (so they are exact, never typed in) where the scale depends on the
// block's largest magnitude alone.
import { GGML_TYPES } from './types.js';
import type { GgmlQuantType } from './quantize.js';
import { e8m0Half, f32FromBits, fp16At, i8, iq4xsScale, q3kScales, scaleMinK4, u16 } from './fields.js';
import { REFERENCE_QUANTIZERS } from './reference.js';

/**
 * The ggml types lowp's analyses and round trips handle: the storage types of llama.cpp's model files
 * that {@link quantizeGgml} writes (its Q8_1 and Q8_K are the intermediate types of ggml's dot products,
 * never stored in a model file).
 *
 * @example
 * ```ts
 * GGML_STORAGE_TYPES.includes('Q4_K'); // true
 * ```
 */
export const GGML_STORAGE_TYPES: readonly GgmlStorageType[] = Object.freeze([
  'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4',
] as const);

/**
 * A type of {@link GGML_STORAGE_TYPES}.
 *
 * @example
 * ```ts
 * const t: GgmlStorageType = 'Q6_K';
 * ```
 */
export type GgmlStorageType = Exclude<GgmlQuantType, 'Q8_1' | 'Q8_K'>;

/**
 * Bits of the largest integer that multiplies each type's d: Q8_0's codes (127: 7 bits), Q4_0's (8: 4),
 * the K-quants' sub-block scales (Q4_K's 63: 6 bits; Q6_K's int8 127: 7)… A subnormal d that keeps fewer
 * significant bits than this rounds the block's values more coarsely than the type itself does.
 */
export const MULTIPLIER_BITS: Readonly<Record<GgmlStorageType, number>> = {
  Q4_0: 4, Q4_1: 4, Q5_0: 5, Q5_1: 5, Q8_0: 7, Q2_K: 4, Q3_K: 6, Q4_K: 6, Q5_K: 6, Q6_K: 7,
  IQ4_NL: 7, IQ4_XS: 6, TQ1_0: 1, TQ2_0: 1, MXFP4: 0,
};

/** Where a block keeps its scales. */
export interface ScaleLayout {
  /** 'fp16': an fp16 d; 'e8m0': MXFP4's power-of-two byte. */
  readonly scale: 'fp16' | 'e8m0';
  /** Byte offset of d (or of the E8M0 byte) in the block. */
  readonly d: number;
  /** Byte offset of the fp16 minimum (m of Q4_1/Q5_1, dmin of Q2_K/Q4_K/Q5_K), or -1. */
  readonly min: number;
  /** Sub-blocks with their own integer scale: values per sub-block, and the multiplier of each (0 zeroes the sub-block). */
  readonly sub: { readonly size: number; readonly count: number; multipliers(s: Uint8Array, off: number, into: Int32Array): void } | null;
  /** One line for reports: what the scales are. */
  readonly description: string;
}

const q3 = new Int8Array(16);

const plain = (d: number, min: number, description: string): ScaleLayout => ({ scale: 'fp16', d, min, sub: null, description });

/** Each storage type's scales (ggml-common.h, the dequantizers in dequantize-ref.ts). */
export const SCALE_LAYOUTS: Readonly<Record<GgmlStorageType, ScaleLayout>> = {
  Q4_0: plain(0, -1, 'one fp16 scale d = max/−8 per 32 values'),
  Q4_1: plain(0, 2, 'fp16 scale d = (max − min)/15 and fp16 minimum m per 32 values'),
  Q5_0: plain(0, -1, 'one fp16 scale d = max/−16 per 32 values'),
  Q5_1: plain(0, 2, 'fp16 scale d = (max − min)/31 and fp16 minimum m per 32 values'),
  Q8_0: plain(0, -1, 'one fp16 scale d = max|x|/127 per 32 values'),
  Q2_K: {
    scale: 'fp16', d: 80, min: 82, description: 'fp16 super-block scale d and min dmin per 256 values, 4-bit scales and mins per 16 values',
    sub: { size: 16, count: 16, multipliers: (s, off, into) => { for (let k = 0; k < 16; k++) into[k] = s[off + k] & 0x0f; } },
  },
  Q3_K: {
    scale: 'fp16', d: 108, min: -1, description: 'fp16 super-block scale d per 256 values, 6-bit signed scales per 16 values',
    sub: { size: 16, count: 16, multipliers: (s, off, into) => { q3kScales(s, off + 96, q3); for (let k = 0; k < 16; k++) into[k] = q3[k] - 32; } },
  },
  Q4_K: {
    scale: 'fp16', d: 0, min: 2, description: 'fp16 super-block scale d and min dmin per 256 values, 6-bit scales and mins per 32 values',
    sub: { size: 32, count: 8, multipliers: (s, off, into) => { for (let k = 0; k < 8; k++) into[k] = scaleMinK4(k, s, off + 4)[0]; } },
  },
  Q5_K: {
    scale: 'fp16', d: 0, min: 2, description: 'fp16 super-block scale d and min dmin per 256 values, 6-bit scales and mins per 32 values',
    sub: { size: 32, count: 8, multipliers: (s, off, into) => { for (let k = 0; k < 8; k++) into[k] = scaleMinK4(k, s, off + 4)[0]; } },
  },
  Q6_K: {
    scale: 'fp16', d: 208, min: -1, description: 'fp16 super-block scale d per 256 values, 8-bit signed scales per 16 values',
    sub: { size: 16, count: 16, multipliers: (s, off, into) => { for (let k = 0; k < 16; k++) into[k] = i8(s[off + 192 + k]); } },
  },
  IQ4_NL: plain(0, -1, 'one fp16 scale d per 32 values (non-linear 4-bit levels)'),
  IQ4_XS: {
    scale: 'fp16', d: 0, min: -1, description: 'fp16 super-block scale d per 256 values, 6-bit signed scales per 32 values (non-linear 4-bit levels)',
    sub: {
      size: 32, count: 8,
      multipliers: (s, off, into) => { for (let k = 0; k < 8; k++) into[k] = iq4xsScale(s, off, k) - 32; },
    },
  },
  TQ1_0: plain(52, -1, 'one fp16 scale d = max|x| per 256 ternary values'),
  TQ2_0: plain(64, -1, 'one fp16 scale d = max|x| per 256 ternary values'),
  MXFP4: { scale: 'e8m0', d: 0, min: -1, sub: null, description: 'one E8M0 (power of two) scale per 32 e2m1 values' },
};

/** log2 of a scale as an integer exponent (floor), exact from the code bits; null for 0, inf, NaN. */
function scaleExponent(layout: ScaleLayout, s: Uint8Array, off: number): number | null {
  if (layout.scale === 'e8m0') return s[off + layout.d] - 128; // ggml's half scale 2^(e − 128)
  const c = u16(s, off + layout.d) & 0x7fff;
  const e = c >> 10;
  if (c === 0 || e === 31) return null;
  if (e > 0) return e - 15;
  return Math.floor(Math.log2(c)) - 24; // subnormal: c · 2^-24, c < 1024 (log2 of an integer below 2^10 floors exactly)
}

/** The decoded primary scale of a block (for examples in reports). */
function blockScale(layout: ScaleLayout, s: Uint8Array, off: number): number {
  return layout.scale === 'e8m0' ? e8m0Half(s[off + layout.d]) : fp16At(s, off + layout.d);
}

/**
 * What the block scan counts (analyzeGgml's counts, the ggml round trips' details). Values are inputs
 * (finite, nonzero unless said otherwise).
 */
export interface BlockScanCounts {
  /** Blocks scanned. */
  blocks: number;
  /** Blocks whose information is lost: the scale d rounded to 0 (MXFP4: its E8M0 byte wrapped), every value 0 or the block's offset. */
  lostBlocks: number;
  /** Nonzero inputs in lost blocks. */
  lostValues: number;
  /** Sub-blocks whose integer scale is 0 though their values differ: they keep only an offset, or 0. */
  zeroedSubBlocks: number;
  /** Nonzero inputs in zeroed sub-blocks. */
  zeroedSubBlockValues: number;
  /** Blocks whose fp16 scale d is a nonzero subnormal (fewer than 11 significant bits). */
  subnormalScaleBlocks: number;
  /** Nonzero inputs in those blocks. */
  subnormalScaleValues: number;
  /**
   * Blocks whose subnormal d keeps fewer significant bits than the integers it multiplies
   * (7 for Q8_0's codes, 6 for the 6-bit sub-scales of Q4_K…): their values are rounded more coarsely than the type's own resolution.
   */
  coarseScaleBlocks: number;
  /** Nonzero inputs in those blocks. */
  coarseScaleValues: number;
  /** Blocks with an fp16 scale or minimum that is inf or NaN. */
  infScaleBlocks: number;
  /** Outputs that are inf or NaN (from finite inputs). */
  overflowValues: number;
}

/** A new zeroed BlockScanCounts. */
export function emptyScanCounts(): BlockScanCounts {
  return { blocks: 0, lostBlocks: 0, lostValues: 0, zeroedSubBlocks: 0, zeroedSubBlockValues: 0, subnormalScaleBlocks: 0, subnormalScaleValues: 0, coarseScaleBlocks: 0, coarseScaleValues: 0, infScaleBlocks: 0, overflowValues: 0 };
}

/** Kinds of a block problem, for examples in reports. */
export type BlockProblem = 'inf-scale' | 'lost' | 'zeroed-sub-block' | 'coarse-scale';

/** Offset of exponent 0 in a {@link ScanSinks} histogram (E8M0 exponents reach -128, fp16's -24). */
export const HISTOGRAM_OFFSET = 160;
/** Slot of a {@link ScanSinks} histogram counting the blocks whose d is 0 (above every exponent's: E8M0's 127 is at 287). */
export const HISTOGRAM_ZERO = 318;
/** Slot of a {@link ScanSinks} histogram counting the blocks whose d is inf or NaN. */
export const HISTOGRAM_NON_FINITE = 319;
/** Length of a {@link ScanSinks} histogram. */
export const HISTOGRAM_LENGTH = 320;

/** Extra outputs of a scan: the scale histogram and a callback for problem blocks. */
export interface ScanSinks {
  /**
   * Counts of blocks by floor(log2 |d|), at index exponent + HISTOGRAM_OFFSET (length HISTOGRAM_LENGTH);
   * then the blocks whose d is 0 at HISTOGRAM_ZERO and inf or NaN at HISTOGRAM_NON_FINITE.
   */
  histogram?: Float64Array;
  /** Called for each problem block with the block index within the scan and the block's max |x|. */
  problem?: (kind: BlockProblem, block: number, maxAbs: number, scale: number) => void;
}

function blockMaxAbs(x: Float32Array, i0: number, n: number): number {
  let m = 0;
  for (let i = i0; i < i0 + n; i++) { const a = Math.abs(x[i]); if (a > m) m = a; }
  return m;
}

function nonFiniteCount(y: Float32Array, j0: number, n: number): number {
  let bad = 0;
  for (let j = j0; j < j0 + n; j++) { const v = y[j]; if (v - v !== 0) bad++; }
  return bad;
}

/**
 * Whether inputs x[i0..i1) carry information a zero scale loses: they are not all equal, or they are all
 * the same nonzero value and the outputs are all 0.
 */
function informative(x: Float32Array, i0: number, i1: number, y: Float32Array, y0: number): boolean {
  const first = x[i0];
  for (let i = i0 + 1; i < i1; i++) if (x[i] !== first) return true;
  if (first === 0) return false;
  for (let i = 0; i < i1 - i0; i++) if (y[y0 + i] !== 0) return false;
  return true;
}

function nonzeros(x: Float32Array, i0: number, i1: number): number {
  let n = 0;
  for (let i = i0; i < i1; i++) if (x[i] !== 0) n++;
  return n;
}

/**
 * Scans `nb` quantized blocks of `type` (bytes at `bo` of `blocks`) against their finite inputs
 * (`x` from `xo`) and dequantized outputs (`y` from `yo`), adding to `counts`:
 * - a block is **lost** when its scale d is ±0 (MXFP4: every output is 0) while its inputs carried
 *   information (not all equal, or all the same nonzero value that became 0);
 * - a sub-block (K-quants, IQ4_XS) is **zeroed** when d is finite and nonzero but its integer scale is 0
 *   while its inputs carried information;
 * - a block has a **subnormal scale** when d is a nonzero fp16 subnormal, and a **coarse scale** when
 *   that subnormal keeps fewer significant bits than the integers d multiplies;
 * - a block has an **inf scale** when d or its minimum is inf/NaN; `overflowValues` counts non-finite
 *   outputs.
 *
 * @internal
 */
export function scanGgmlBlocks(
  type: GgmlStorageType, x: Float32Array, xo: number, y: Float32Array, yo: number, blocks: Uint8Array, bo: number, nb: number,
  counts: BlockScanCounts, sinks?: ScanSinks,
): void {
  const layout = SCALE_LAYOUTS[type];
  const { blockSize: bs, typeSize: ts } = GGML_TYPES[type];
  const sub = layout.sub;
  const multBits = MULTIPLIER_BITS[type];
  const mult = sub ? new Int32Array(sub.count) : null;
  counts.blocks += nb;
  const hist = sinks?.histogram;
  const problem = sinks?.problem;
  for (let b = 0; b < nb; b++) {
    const off = bo + b * ts;
    const i0 = xo + b * bs;
    const j0 = yo + b * bs;
    if (hist !== undefined) {
      const ex = scaleExponent(layout, blocks, off);
      if (ex !== null) hist[ex + HISTOGRAM_OFFSET]++;
      else if (layout.scale === 'fp16' && (u16(blocks, off + layout.d) & 0x7c00) === 0x7c00) hist[HISTOGRAM_NON_FINITE]++;
      else hist[HISTOGRAM_ZERO]++;
    }
    if (layout.scale === 'e8m0') {
      // the byte is a power of two for every value; a block is lost only when the byte wrapped (every
      // output 0); the largest byte times the largest level can pass float32's range, so outputs are checked
      counts.overflowValues += nonFiniteCount(y, j0, bs);
      let allZero = true;
      for (let j = j0; j < j0 + bs; j++) if (y[j] !== 0) { allZero = false; break; }
      if (allZero) {
        const maxAbs = blockMaxAbs(x, i0, bs);
        if (maxAbs > 0) {
          counts.lostBlocks++;
          counts.lostValues += nonzeros(x, i0, i0 + bs);
          problem?.('lost', b, maxAbs, blockScale(layout, blocks, off));
        }
      }
      continue;
    }
    const dc = u16(blocks, off + layout.d) & 0x7fff;
    const mc = layout.min >= 0 ? u16(blocks, off + layout.min) & 0x7fff : 0;
    if ((dc & 0x7c00) === 0x7c00 || (mc & 0x7c00) === 0x7c00) {
      // (with finite d and minimum every output is finite: |code · d| ≤ 127 · 65504, and the K-quants'
      // d · scale · code and dmin · min stay far below float32's range)
      counts.infScaleBlocks++;
      counts.overflowValues += nonFiniteCount(y, j0, bs);
      problem?.('inf-scale', b, blockMaxAbs(x, i0, bs), blockScale(layout, blocks, off));
      continue;
    }
    if (dc === 0) {
      if (informative(x, i0, i0 + bs, y, j0)) {
        counts.lostBlocks++;
        counts.lostValues += nonzeros(x, i0, i0 + bs);
        problem?.('lost', b, blockMaxAbs(x, i0, bs), 0);
      }
      continue;
    }
    if (dc < 0x0400) {
      const nz = nonzeros(x, i0, i0 + bs);
      counts.subnormalScaleBlocks++;
      counts.subnormalScaleValues += nz;
      // significant bits of a subnormal code c: floor(log2 c) + 1
      if (32 - Math.clz32(dc) < multBits) {
        counts.coarseScaleBlocks++;
        counts.coarseScaleValues += nz;
        problem?.('coarse-scale', b, blockMaxAbs(x, i0, bs), blockScale(layout, blocks, off));
      }
    }
    if (sub !== null && mult !== null) {
      sub.multipliers(blocks, off, mult);
      let reported = false;
      for (let k = 0; k < sub.count; k++) {
        if (mult[k] !== 0) continue;
        const s0 = i0 + k * sub.size;
        if (!informative(x, s0, s0 + sub.size, y, j0 + k * sub.size)) continue;
        counts.zeroedSubBlocks++;
        counts.zeroedSubBlockValues += nonzeros(x, s0, s0 + sub.size);
        if (!reported) {
          reported = true;
          problem?.('zeroed-sub-block', b, blockMaxAbs(x, i0, bs), blockScale(layout, blocks, off));
        }
      }
    }
  }
}

/**
 * Where a type's block scale fails, as thresholds on one block's largest magnitude (or, for Q4_1 and
 * Q5_1, its max − min): found by running the type's quantizer on probe blocks, so they are what ggml
 * does, rounding included, not typed-in constants.
 *
 * @example
 * ```ts
 * const l = ggmlScaleLimits('Q8_0')!;
 * l.zeroAtOrBelow;     // 3.784...e-6: d = max|x|/127 rounds to 0 in fp16 (the block's values are lost)
 * l.subnormalBelow;    // 0.00775...: d is an fp16 subnormal below this
 * l.coarseBelow;       // 1.9e-4: d keeps fewer than 7 significant bits below this
 * l.overflowAtOrAbove; // 8318...: d overflows fp16 (inf) from this
 * ```
 */
export interface GgmlScaleLimits {
  /** What the thresholds apply to: the block's max |x|, or its max − min (types with a minimum). */
  basis: 'max|x|' | 'max-min';
  /** Largest basis value whose block is lost (scale 0; MXFP4: wrapped scale byte), or null. */
  zeroAtOrBelow: number | null;
  /** Below this basis value the fp16 scale is subnormal (or 0); null for E8M0 scales. */
  subnormalBelow: number | null;
  /** Below this basis value the subnormal scale is coarse (fewer bits than the integers it multiplies); null for E8M0 scales. */
  coarseBelow: number | null;
  /** From this basis value on the fp16 scale is inf; null when no float32 reaches it. */
  overflowAtOrAbove: number | null;
}

/** Types whose block scale depends on the block's largest magnitude (or range) alone. */
const LIMIT_BASIS: Partial<Record<GgmlStorageType, GgmlScaleLimits['basis']>> = {
  Q4_0: 'max|x|', Q5_0: 'max|x|', Q8_0: 'max|x|', TQ1_0: 'max|x|', TQ2_0: 'max|x|', MXFP4: 'max|x|',
  Q4_1: 'max-min', Q5_1: 'max-min',
};

const MAX_BITS = 0x7f7fffff; // float32's largest finite

/** Smallest positive float32 bit pattern in [1, MAX_BITS] where `p` holds (p monotone: false then true), or -1. */
function firstTrue(p: (v: number) => boolean): number {
  if (!p(f32FromBits(MAX_BITS))) return -1;
  let lo = 0, hi = MAX_BITS; // p(lo) false (0 is not probed), p(hi) true
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (p(f32FromBits(mid))) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The thresholds of {@link GgmlScaleLimits} for `type`, or null for the types whose scale comes out of a
 * search over the block's values (the K-quants, IQ4_NL, IQ4_XS): their failures are counted from the
 * quantized blocks themselves.
 *
 * @param type - a storage type
 * @returns the limits, or null
 * @example
 * ```ts
 * ggmlScaleLimits('Q8_0')!.zeroAtOrBelow; // 3.7848e-6 (= 127 · 2^-25, up to float32 rounding)
 * ggmlScaleLimits('Q4_K');               // null
 * ```
 */
export function ggmlScaleLimits(type: GgmlStorageType): GgmlScaleLimits | null {
  const basis = LIMIT_BASIS[type];
  if (basis === undefined) return null;
  const { blockSize: bs, typeSize: ts } = GGML_TYPES[type];
  const q = REFERENCE_QUANTIZERS[type];
  const x = new Float32Array(bs);
  const y = new Uint8Array(ts);
  const layout = SCALE_LAYOUTS[type];
  // the probe block: one value v, the rest 0 (max|x| = v, and max − min = v)
  const probe = (v: number): Uint8Array => {
    x[0] = v;
    q(x, 0, y, 0, bs);
    return y;
  };
  const prev = (bits: number): number | null => (bits <= 1 ? null : f32FromBits(bits - 1));
  if (layout.scale === 'e8m0') {
    // the value survives when its code is nonzero (the scale byte did not wrap)
    const kept = firstTrue((v) => (probe(v)[1] & 0x0f) !== 0);
    return { basis, zeroAtOrBelow: kept < 0 ? null : prev(kept), subnormalBelow: null, coarseBelow: null, overflowAtOrAbove: null };
  }
  const codeOf = (v: number): number => u16(probe(v), layout.d) & 0x7fff;
  const nonzero = firstTrue((v) => codeOf(v) !== 0);
  const normal = firstTrue((v) => codeOf(v) >= 0x0400);
  const coarse = firstTrue((v) => codeOf(v) >= 1 << (MULTIPLIER_BITS[type] - 1));
  const inf = firstTrue((v) => codeOf(v) >= 0x7c00);
  return {
    basis,
    zeroAtOrBelow: nonzero < 0 ? null : prev(nonzero),
    subnormalBelow: normal < 0 ? null : f32FromBits(normal),
    coarseBelow: coarse < 0 ? null : f32FromBits(coarse),
    overflowAtOrAbove: inf < 0 ? null : f32FromBits(inf),
  };
}
