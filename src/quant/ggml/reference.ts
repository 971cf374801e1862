// Reference twins of ggml's row quantizers: line-by-line TypeScript ports of `quantize_row_<type>_ref`
// (ggml-org/ggml d99724f2, src/ggml-quants.c), written for obviousness, not speed: the same loops in
// the same order, every float operation rounded to float32 (Math.fround), sums sequential as in C, and
// C's integer conversions as x86-64 performs them (c-arith.ts). The fast quantizers that lowp's
// public `quantizeGgml` runs are tested against these on random rows, and both against ggml's own
// outputs (shared/vectors/ggml/ggml-quants.safetensors).
//
// Every function quantizes one row: `k` float32 values from `x[xo]` into whole blocks at `y[yo]`.
import { cvtI32, cvtI8, lroundfLow32, nearestInt, putFp16, roundfAway } from './c-arith.js';
import { e8m0Half, fp16At, scaleMinK4 } from './fields.js';
import { KVALUES_IQ4NL, KVALUES_MXFP4 } from './tables.js';

const f = Math.fround;
/** ggml's FLT_MAX start of a running minimum (Q4_1, Q5_1). */
const FLT_MAX = 3.4028234663852886e38;
/** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is "all zero". */
export const GROUP_MAX_EPS = f(1e-15);
/** fround(0.1f): the step of the K-quants' scale searches. */
const TENTH = f(0.1);

/** The signature every row quantizer shares. */
export type RowQuantizer = (x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number) => void;

// ---------------------------------------------------------------- 32-value blocks

export function refQ4_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 18;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    for (let j = 0; j < 16; j++) {
      const x0 = f(x[b + j] * id);
      const x1 = f(x[b + 16 + j] * id);
      const xi0 = Math.min(15, cvtI8(f(x0 + 8.5))) & 0xff;
      const xi1 = Math.min(15, cvtI8(f(x1 + 8.5))) & 0xff;
      y[o + 2 + j] = xi0 | (xi1 << 4);
    }
  }
}

export function refQ4_1(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 20;
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < 32; j++) {
      const v = x[b + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f(f(max - min) / 15);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    putFp16(y, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = f(f(x[b + j] - min) * id);
      const x1 = f(f(x[b + 16 + j] - min) * id);
      const xi0 = Math.min(15, cvtI8(f(x0 + 0.5))) & 0xff;
      const xi1 = Math.min(15, cvtI8(f(x1 + 0.5))) & 0xff;
      y[o + 4 + j] = xi0 | (xi1 << 4);
    }
  }
}

function putU32(y: Uint8Array, o: number, v: number): void {
  y[o] = v & 0xff;
  y[o + 1] = (v >>> 8) & 0xff;
  y[o + 2] = (v >>> 16) & 0xff;
  y[o + 3] = v >>> 24;
}

export function refQ5_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 22;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -16);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f(x[b + j] * id);
      const x1 = f(x[b + 16 + j] * id);
      const xi0 = Math.min(31, cvtI8(f(x0 + 16.5))) & 0xff;
      const xi1 = Math.min(31, cvtI8(f(x1 + 16.5))) & 0xff;
      y[o + 6 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >>> 4) << j;
      qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
    }
    putU32(y, o + 2, qh);
  }
}

export function refQ5_1(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 24;
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < 32; j++) {
      const v = x[b + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f(f(max - min) / 31);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    putFp16(y, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f(f(x[b + j] - min) * id);
      const x1 = f(f(x[b + 16 + j] - min) * id);
      const xi0 = cvtI32(f(x0 + 0.5)) & 0xff;
      const xi1 = cvtI32(f(x1 + 0.5)) & 0xff;
      y[o + 8 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >>> 4) << j;
      qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
    }
    putU32(y, o + 4, qh);
  }
}

export function refQ8_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 34;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[b + j]);
      amax = amax > a ? amax : a;
    }
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    for (let j = 0; j < 32; j++) y[o + 2 + j] = cvtI8(roundfAway(f(x[b + j] * id)));
  }
}

export function refQ8_1(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 36;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[b + j]);
      amax = amax > a ? amax : a;
    }
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o, d);
    let sum = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = cvtI8(roundfAway(f(x[b + j] * id)));
      const q1 = cvtI8(roundfAway(f(x[b + 16 + j] * id)));
      y[o + 4 + j] = q0;
      y[o + 4 + 16 + j] = q1;
      sum += q0 + q1;
    }
    putFp16(y, o + 2, f(sum * d));
  }
}

function bestIndexMxfp4(x: number, e: number): number {
  let best = 0;
  let bestErr = Math.abs(f(f(KVALUES_MXFP4[0] * e) - x));
  for (let i = 1; i < 16; i++) {
    const err = Math.abs(f(f(KVALUES_MXFP4[i] * e) - x));
    if (err < bestErr) {
      best = i;
      bestErr = err;
    }
  }
  return best;
}

/**
 * glibc's `floorf(log2f(x))` for a positive float32 x: log2f rounds to float32 before the floor, so the
 * last few float32 values below a power of two take the next integer. The fround of the double log2
 * gives the same for every positive float32 (checked against glibc 2.36 over all of them, locally;
 * a test pins the rule at every binade's boundary).
 */
export function floorLog2f(x: number): number {
  return Math.floor(Math.fround(Math.log2(x)));
}

/**
 * The E8M0 byte that ggml's MXFP4 quantizer gives a block with largest magnitude `amax` (a float32 >=
 * 0): `(uint8_t)(floorf(log2f(amax)) - 2 + 127)` (the uint8 conversion keeps the low byte, so blocks
 * whose amax is below 2^-125 wrap to 232..255), 0 for an all-zero block.
 */
export function mxfp4ScaleByte(amax: number): number {
  return amax > 0 ? (floorLog2f(amax) + 125) & 0xff : 0;
}

export function refMxfp4(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 32;
  for (let i = 0; i < nb; i++) {
    const b = xo + i * 32;
    const o = yo + i * 17;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b + j];
      if (amax < Math.abs(v)) amax = Math.abs(v);
    }
    const e = mxfp4ScaleByte(amax);
    const d = e8m0Half(e);
    y[o] = e;
    for (let j = 0; j < 16; j++) {
      y[o + 1 + j] = bestIndexMxfp4(x[b + j], d) | (bestIndexMxfp4(x[b + 16 + j], d) << 4);
    }
  }
}

function bestIndexInt8(val: Int8Array, x: number): number {
  const n = val.length;
  if (x <= val[0]) return 0;
  if (x >= val[n - 1]) return n - 1;
  let ml = 0;
  let mu = n - 1;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < val[mav]) mu = mav;
    else ml = mav;
  }
  return f(x - val[mu - 1]) < f(val[mu] - x) ? mu - 1 : mu;
}

/**
 * ggml's quantize_row_iq4_nl_impl without importance weights, for one super-block of
 * `superBlock` values at `x[xo]` in sub-blocks of 32: IQ4_NL (superBlock 32, ntry −1: one pass) and
 * IQ4_XS (superBlock 256, ntry 7). `L` (superBlock bytes) persists across calls in one row, as the
 * C's local array does. Writes d (fp16), then for IQ4_XS scales_h (u16) and scales_l, then qs.
 */
function iq4Impl(superBlock: number, x: Float32Array, xo: number, y: Uint8Array, o: number, L: Uint8Array, ntry: number): void {
  const values = KVALUES_IQ4NL;
  const nsub = superBlock / 32;
  const weight = new Float32Array(32);
  const scales = new Float32Array(nsub);
  // (ggml's sigma2 = 2/n · Σx² weighs the importance matrix only, which this port does not take)
  const qo = nsub > 1 ? o + 4 + nsub / 2 : o + 2;
  for (let j = 0; j < superBlock / 2; j++) y[qo + j] = 0;
  putFp16(y, o, 0);
  let maxScale = 0;
  let amaxScale = 0;
  for (let ib = 0; ib < nsub; ib++) {
    const xb = xo + ib * 32;
    const lb = ib * 32;
    for (let j = 0; j < 32; j++) weight[j] = f(x[xb + j] * x[xb + j]);
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const ax = Math.abs(x[xb + j]);
      if (ax > amax) {
        amax = ax;
        max = x[xb + j];
      }
    }
    if (amax < GROUP_MAX_EPS) {
      scales[ib] = 0;
      continue;
    }
    let d = ntry > 0 ? f(-max / values[0]) : f(max / values[0]);
    let id = f(1 / d);
    let sumqx = 0;
    let sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const al = f(id * x[xb + j]);
      const l = bestIndexInt8(values, al);
      L[lb + j] = l;
      const q = values[l];
      const w = weight[j];
      sumqx = f(sumqx + f(f(w * q) * x[xb + j]));
      sumq2 = f(sumq2 + f(f(w * q) * q));
    }
    d = sumq2 > 0 ? f(sumqx / sumq2) : 0;
    let best = f(d * sumqx);
    for (let itry = -ntry; itry <= ntry; itry++) {
      id = f((itry + values[0]) / max);
      sumqx = 0;
      sumq2 = 0;
      for (let j = 0; j < 32; j++) {
        const al = f(id * x[xb + j]);
        const l = bestIndexInt8(values, al);
        const q = values[l];
        const w = weight[j];
        sumqx = f(sumqx + f(f(w * q) * x[xb + j]));
        sumq2 = f(sumq2 + f(f(w * q) * q));
      }
      if (sumq2 > 0 && f(sumqx * sumqx) > f(best * sumq2)) {
        d = f(sumqx / sumq2);
        best = f(d * sumqx);
      }
    }
    scales[ib] = d;
    const absD = Math.abs(d);
    if (absD > amaxScale) {
      amaxScale = absD;
      maxScale = d;
    }
  }
  if (nsub > 1) {
    let scalesH = 0;
    const d = f(-maxScale / 32);
    putFp16(y, o, d);
    const id = d !== 0 ? f(1 / d) : 0;
    for (let ib = 0; ib < nsub; ib++) {
      let l = nearestInt(f(id * scales[ib]));
      l = Math.max(-32, Math.min(31, l));
      const dl = f(d * l);
      const idl = dl !== 0 ? f(1 / dl) : 0;
      for (let j = 0; j < 32; j++) L[ib * 32 + j] = bestIndexInt8(values, f(idl * x[xo + ib * 32 + j]));
      l += 32;
      const ll = l & 0xf;
      const lh = (l >> 4) & 0xff;
      if (ib % 2 === 0) y[o + 4 + (ib >> 1)] = ll;
      else y[o + 4 + (ib >> 1)] |= ll << 4;
      scalesH |= lh << (2 * (ib % 8));
    }
    y[o + 2] = scalesH & 0xff;
    y[o + 3] = (scalesH >>> 8) & 0xff;
  } else {
    putFp16(y, o, scales[0]);
    if (ntry > 0) {
      const id = scales[0] !== 0 ? f(1 / scales[0]) : 0;
      for (let j = 0; j < superBlock; j++) L[j] = bestIndexInt8(values, f(id * x[xo + j]));
    }
  }
  for (let i = 0; i < superBlock / 32; i++) {
    for (let j = 0; j < 16; j++) y[qo + 16 * i + j] = L[32 * i + j] | (L[32 * i + 16 + j] << 4);
  }
}

/**
 * The indices an IQ4_NL block keeps when ggml never writes them: ggml leaves an all-zero block's
 * indices as they were in its local array (the previous block's, within a row; uninitialised memory
 * for the row's first blocks). lowp starts every row with index 8 (level +1, so the block dequantizes
 * to +0) and otherwise carries the previous block's indices over, as ggml does.
 */
export const IQ4NL_UNSET_INDEX = 8;

export function refIq4Nl(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const L = new Uint8Array(32).fill(IQ4NL_UNSET_INDEX);
  for (let i = 0; i < k / 32; i++) iq4Impl(32, x, xo + i * 32, y, yo + i * 18, L, -1);
}

export function refIq4Xs(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const L = new Uint8Array(256);
  for (let i = 0; i < k / 256; i++) iq4Impl(256, x, xo + i * 256, y, yo + i * 136, L, 7);
}

// ---------------------------------------------------------------- ternary

export function refTq2_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 256;
  for (let i = 0; i < nb; i++) {
    let b = xo + i * 256;
    const o = yo + i * 66;
    let amax = 0;
    for (let j = 0; j < 256; j++) {
      const a = Math.abs(x[b + j]);
      amax = amax > a ? amax : a;
    }
    const d = amax;
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o + 64, d);
    for (let j = 0; j < 64; j += 32) {
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let n = 0; n < 4; n++) {
          const xi = (lroundfLow32(f(x[b + m + n * 32] * id)) + 1) | 0;
          q += (xi & 3) << (2 * n);
        }
        y[o + j + m] = q;
      }
      b += 128;
    }
  }
}

export function refTq1_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const nb = k / 256;
  for (let i = 0; i < nb; i++) {
    let b = xo + i * 256;
    const o = yo + i * 54; // qs[48], qh[4], d
    let amax = 0;
    for (let j = 0; j < 256; j++) {
      const a = Math.abs(x[b + j]);
      amax = amax > a ? amax : a;
    }
    const d = amax;
    const id = d !== 0 ? f(1 / d) : 0;
    putFp16(y, o + 52, d);
    const trit = (v: number): number => (lroundfLow32(f(v * id)) + 1) | 0;
    // 5 values per byte along 32 bytes
    for (let j = 0; j < 32; j += 32) {
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let n = 0; n < 5; n++) q = (q * 3 + trit(x[b + m + n * 32])) & 0xff;
        y[o + j + m] = ((q * 256 + 242) / 243) | 0;
      }
      b += 160;
    }
    // 5 values per byte along 16 bytes
    for (let j = 32; j < 48; j += 16) {
      for (let m = 0; m < 16; m++) {
        let q = 0;
        for (let n = 0; n < 5; n++) q = (q * 3 + trit(x[b + m + n * 16])) & 0xff;
        y[o + j + m] = ((q * 256 + 242) / 243) | 0;
      }
      b += 80;
    }
    // 4 values per byte, the first in the most significant trit
    for (let j = 0; j < 4; j++) {
      let q = 0;
      for (let m = 0; m < 4; m++) q = (q * 3 + trit(x[b + j + m * 4])) & 0xff;
      q = (q * 3) & 0xff;
      y[o + 48 + j] = ((q * 256 + 242) / 243) | 0;
    }
  }
}

// ---------------------------------------------------------------- K-quant helpers

/**
 * make_qkx2_quants: an asymmetric (scale, min) fit of `n` values at `x[xo]` to levels 0..nmax, weighted,
 * searching `nstep + 1` candidate scales. Levels go to `L[lo..]`; returns the scale and writes −min
 * to `out[0]`.
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array, L: Uint8Array, lo: number,
  out: Float32Array, Laux: Uint8Array, rmin: number, rdelta: number, nstep: number, useMad: boolean,
): number {
  let min = x[xo];
  let max = x[xo];
  let sumW = weights[0];
  let sumX = f(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i];
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    out[0] = -min;
    return 0;
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(f(iscale * f(x[xo + i] - min)));
    L[lo + i] = Math.max(0, Math.min(nmax, l));
    let diff = f(f(f(scale * L[lo + i]) + min) - x[xo + i]);
    diff = useMad ? Math.abs(diff) : f(diff * diff);
    bestError = f(bestError + f(weights[i] * diff));
  }
  if (nstep < 1) {
    out[0] = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      let l = nearestInt(f(iscale * f(x[xo + i] - min)));
      l = Math.max(0, Math.min(nmax, l));
      Laux[i] = l;
      const w = weights[i];
      sumL = f(sumL + f(w * l));
      sumL2 = f(sumL2 + f(f(w * l) * l));
      sumXL = f(sumXL + f(f(w * l) * x[xo + i]));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        let diff = f(f(f(thisScale * Laux[i]) + thisMin) - x[xo + i]);
        diff = useMad ? Math.abs(diff) : f(diff * diff);
        curError = f(curError + f(weights[i] * diff));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  out[0] = -min;
  return scale;
}

/**
 * make_q3_quants (with rmse): a symmetric scale for `n` values at `x[xo]`, levels −nmax..nmax−1 refined
 * by up to 5 rounds of coordinate descent weighted by x²; levels (+nmax) go to `L[lo..]` (int8).
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  const iscale = f(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i];
    let l = nearestInt(f(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l;
    const w = f(xi * xi);
    sumlx = f(sumlx + f(f(w * xi) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let nChanged = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i];
      const w = f(xi * xi);
      const Li = L[lo + i];
      let slx = f(sumlx - f(f(w * xi) * Li));
      if (slx > 0) {
        let sl2 = f(suml2 - f(f(w * Li) * Li));
        let newL = nearestInt(f(f(xi * sl2) / slx));
        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
        if (newL !== Li) {
          slx = f(slx + f(f(w * xi) * newL));
          sl2 = f(sl2 + f(f(w * newL) * newL));
          if (sl2 > 0 && f(f(slx * slx) * suml2) > f(f(sumlx * sumlx) * sl2)) {
            L[lo + i] = newL;
            sumlx = slx;
            suml2 = sl2;
            nChanged++;
          }
        }
      }
    }
    if (!nChanged) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] += nmax;
  return suml2 > 0 ? f(sumlx / suml2) : 0;
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (what Q6_K uses): a symmetric scale for
 * `n` values at `x[xo]`, levels −nmax..nmax−1, the best of 19 candidate scales by Σw·x·l)²/Σw·l² with
 * w = x²; levels (+nmax) go to `L[lo..]` (int8).
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  let iscale = f(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i];
    let l = nearestInt(f(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l + nmax;
    const w = f(xi * xi);
    sumlx = f(sumlx + f(f(w * xi) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  let scale = suml2 !== 0 ? f(sumlx / suml2) : 0;
  let best = f(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i];
      let l = nearestInt(f(iscale * xi));
      l = Math.max(-nmax, Math.min(nmax - 1, l));
      const w = f(xi * xi);
      sumlx = f(sumlx + f(f(w * xi) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(f(iscale * x[xo + i]));
        L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

// ---------------------------------------------------------------- K-quants

export function refQ2_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const L = new Uint8Array(256);
  const Laux = new Uint8Array(16);
  const weights = new Float32Array(16);
  const mins = new Float32Array(16);
  const scales = new Float32Array(16);
  const out = new Float32Array(1);
  const q4scale = 15;
  for (let i = 0; i < k / 256; i++) {
    const b = xo + i * 256;
    const o = yo + i * 84; // scales[16], qs[64], d, dmin
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[b + 16 * j + l]);
      scales[j] = makeQkx2Quants(16, 3, x, b + 16 * j, weights, L, 16 * j, out, Laux, -0.5, TENTH, 15, true);
      mins[j] = out[0];
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    if (maxScale > 0) {
      const iscale = f(q4scale / maxScale);
      for (let j = 0; j < 16; j++) y[o + j] = nearestInt(f(iscale * scales[j]));
      putFp16(y, o + 80, f(maxScale / q4scale));
    } else {
      for (let j = 0; j < 16; j++) y[o + j] = 0;
      putFp16(y, o + 80, 0);
    }
    if (maxMin > 0) {
      const iscale = f(q4scale / maxMin);
      for (let j = 0; j < 16; j++) y[o + j] |= nearestInt(f(iscale * mins[j])) << 4;
      putFp16(y, o + 82, f(maxMin / q4scale));
    } else {
      putFp16(y, o + 82, 0);
    }
    const dAll = fp16At(y, o + 80);
    const mAll = fp16At(y, o + 82);
    for (let j = 0; j < 16; j++) {
      const d = f(dAll * (y[o + j] & 0xf));
      if (d === 0) continue;
      const dm = f(mAll * (y[o + j] >> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f(f(x[b + 16 * j + ii] + dm) / d));
        L[16 * j + ii] = Math.max(0, Math.min(3, l));
      }
    }
    for (let j = 0; j < 256; j += 128) {
      for (let l = 0; l < 32; l++) {
        y[o + 16 + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
      }
    }
  }
}

export function refQ3_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const L = new Int8Array(256);
  const scales = new Float32Array(16);
  for (let i = 0; i < k / 256; i++) {
    const b = xo + i * 256;
    const o = yo + i * 110; // hmask[32], qs[64], scales[12], d
    const sc = o + 96;
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      scales[j] = makeQ3Quants(16, 4, x, b + 16 * j, L, 16 * j);
      const scale = Math.abs(scales[j]);
      if (scale > amax) {
        amax = scale;
        maxScale = scales[j];
      }
    }
    for (let j = 0; j < 12; j++) y[sc + j] = 0;
    if (maxScale !== 0) {
      const iscale = f(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = (nearestInt(f(iscale * scales[j])) << 24) >> 24;
        l = Math.max(-32, Math.min(31, l)) + 32;
        if (j < 8) y[sc + j] = l & 0xf;
        else y[sc + j - 8] |= (l & 0xf) << 4;
        l >>= 4;
        y[sc + (j % 4) + 8] |= l << (2 * (j >> 2));
      }
      putFp16(y, o + 108, f(1 / iscale));
    } else {
      putFp16(y, o + 108, 0);
    }
    const dAll = fp16At(y, o + 108);
    for (let j = 0; j < 16; j++) {
      let s = j < 8 ? y[sc + j] & 0xf : y[sc + j - 8] >> 4;
      s = (s | (((y[sc + 8 + (j % 4)] >> (2 * (j >> 2))) & 3) << 4)) - 32;
      const d = f(dAll * s);
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f(x[b + 16 * j + ii] / d));
        L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
      }
    }
    for (let j = 0; j < 32; j++) y[o + j] = 0;
    let m = 0;
    let hm = 1;
    for (let j = 0; j < 256; j++) {
      if (L[j] > 3) {
        y[o + m] |= hm;
        L[j] -= 4;
      }
      if (++m === 32) {
        m = 0;
        hm <<= 1;
      }
    }
    for (let j = 0; j < 256; j += 128) {
      for (let l = 0; l < 32; l++) {
        y[o + 32 + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
      }
    }
  }
}

/** The shared body of Q4_K (nmax 15) and Q5_K (nmax 31): scales/mins in 6 bits, levels from the fp16 scales. */
function refQ45K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number, five: boolean): void {
  const nmax = five ? 31 : 15;
  const blockBytes = five ? 176 : 144;
  const L = new Uint8Array(256);
  const Laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const mins = new Float32Array(8);
  const scales = new Float32Array(8);
  const out = new Float32Array(1);
  const rmin = five ? -0.5 : -1;
  const nstep = five ? 15 : 20;
  for (let i = 0; i < k / 256; i++) {
    const b = xo + i * 256;
    const o = yo + i * blockBytes; // d, dmin, scales[12], (qh[32]), qs[128]
    const sc = o + 4;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 8; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[b + 32 * j + l] * x[b + 32 * j + l]));
      const avX = f(Math.sqrt(f(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[b + 32 * j + l]));
      scales[j] = makeQkx2Quants(32, nmax, x, b + 32 * j, weights, L, 32 * j, out, Laux, rmin, TENTH, nstep, false);
      mins[j] = out[0];
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(f(invScale * scales[j])) & 0xff);
      const lm = Math.min(63, nearestInt(f(invMin * mins[j])) & 0xff);
      if (j < 4) {
        y[sc + j] = ls;
        y[sc + j + 4] = lm;
      } else {
        y[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        y[sc + j - 4] |= (ls >> 4) << 6;
        y[sc + j] |= (lm >> 4) << 6;
      }
    }
    putFp16(y, o, f(maxScale / 63));
    putFp16(y, o + 2, f(maxMin / 63));
    const dAll = fp16At(y, o);
    const mAll = fp16At(y, o + 2);
    for (let j = 0; j < 8; j++) {
      const [s, m] = scaleMinK4(j, y, sc);
      const d = f(dAll * s);
      if (d === 0) continue;
      const dm = f(mAll * m);
      for (let ii = 0; ii < 32; ii++) {
        const l = nearestInt(f(f(x[b + 32 * j + ii] + dm) / d));
        L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
      }
    }
    if (!five) {
      for (let j = 0, q = o + 16; j < 256; j += 64, q += 32) {
        for (let l = 0; l < 32; l++) y[q + l] = L[j + l] | (L[j + l + 32] << 4);
      }
    } else {
      const qh = o + 16;
      for (let j = 0; j < 32; j++) y[qh + j] = 0;
      let m1 = 1;
      let m2 = 2;
      for (let n = 0, ql = o + 48; n < 256; n += 64, ql += 32) {
        for (let j = 0; j < 32; j++) {
          let l1 = L[n + j];
          if (l1 > 15) {
            l1 -= 16;
            y[qh + j] |= m1;
          }
          let l2 = L[n + j + 32];
          if (l2 > 15) {
            l2 -= 16;
            y[qh + j] |= m2;
          }
          y[ql + j] = l1 | (l2 << 4);
        }
        m1 <<= 2;
        m2 <<= 2;
      }
    }
  }
}

export function refQ4_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  refQ45K(x, xo, y, yo, k, false);
}

export function refQ5_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  refQ45K(x, xo, y, yo, k, true);
}

export function refQ6_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const L = new Int8Array(256);
  const scales = new Float32Array(16);
  for (let i = 0; i < k / 256; i++) {
    const b = xo + i * 256;
    const o = yo + i * 210; // ql[128], qh[64], scales[16] (int8), d
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, x, b + 16 * ib, L, 16 * ib);
      scales[ib] = scale;
      const absScale = Math.abs(scale);
      if (absScale > maxAbsScale) {
        maxAbsScale = absScale;
        maxScale = scale;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      for (let j = 0; j < 210; j++) y[o + j] = 0;
      continue;
    }
    const iscale = f(-128 / maxScale);
    putFp16(y, o + 208, f(1 / iscale));
    for (let ib = 0; ib < 16; ib++) y[o + 192 + ib] = Math.min(127, nearestInt(f(iscale * scales[ib])));
    const dAll = fp16At(y, o + 208);
    for (let j = 0; j < 16; j++) {
      const d = f(dAll * ((y[o + 192 + j] << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f(x[b + 16 * j + ii] / d));
        L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    for (let j = 0, ql = o, qh = o + 128; j < 256; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l] & 0xf;
        const q2 = L[j + l + 32] & 0xf;
        const q3 = L[j + l + 64] & 0xf;
        const q4 = L[j + l + 96] & 0xf;
        y[ql + l] = q1 | (q3 << 4);
        y[ql + l + 32] = q2 | (q4 << 4);
        y[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
      }
    }
  }
}

export function refQ8_K(x: Float32Array, xo: number, y: Uint8Array, yo: number, k: number): void {
  const dv = new DataView(y.buffer, y.byteOffset, y.byteLength);
  for (let i = 0; i < k / 256; i++) {
    const b = xo + i * 256;
    const o = yo + i * 292; // d (float32), qs[256] (int8), bsums[16] (int16)
    let max = 0;
    let amax = 0;
    for (let j = 0; j < 256; j++) {
      const ax = Math.abs(x[b + j]);
      if (ax > amax) {
        amax = ax;
        max = x[b + j];
      }
    }
    if (amax === 0) {
      for (let j = 0; j < 260; j++) y[o + j] = 0;
      continue; // bsums are left as they were (ggml leaves them unwritten)
    }
    const iscale = f(-127 / max);
    for (let j = 0; j < 256; j++) y[o + 4 + j] = Math.min(127, nearestInt(f(iscale * x[b + j])));
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let ii = 0; ii < 16; ii++) sum += (y[o + 4 + j * 16 + ii] << 24) >> 24;
      dv.setInt16(o + 260 + 2 * j, sum, true);
    }
    dv.setFloat32(o, f(1 / iscale), true);
  }
}

/** The reference twin of each supported type. */
export const REFERENCE_QUANTIZERS: Readonly<Record<string, RowQuantizer>> = {
  Q4_0: refQ4_0, Q4_1: refQ4_1, Q5_0: refQ5_0, Q5_1: refQ5_1, Q8_0: refQ8_0, Q8_1: refQ8_1,
  Q2_K: refQ2_K, Q3_K: refQ3_K, Q4_K: refQ4_K, Q5_K: refQ5_K, Q6_K: refQ6_K, Q8_K: refQ8_K,
  MXFP4: refMxfp4, IQ4_NL: refIq4Nl, IQ4_XS: refIq4Xs, TQ1_0: refTq1_0, TQ2_0: refTq2_0,
};
