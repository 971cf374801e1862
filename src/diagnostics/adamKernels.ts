// The kernels of simulateAdamStep: rounding to bf16/fp16/fp32 on float32 bit patterns, and one Adam step
// of PyTorch's CPU implementations, 'foreach' (the for-loop path: every op rounds to the precision) and
// 'fused' (float32 math, one rounding per stored tensor). Two forms of each: a per-element reference
// (foreachElement, fusedElement: one op per line, as docs/training.md lists them) and bulk kernels over
// typed arrays (foreachBulk, fusedBulk: one pass per op, float32 rounding by the Float32Array stores,
// rounding to the precision on the bit patterns in place), which tests compare with the reference on
// every special value.
import { fmaF32 } from '../core/fma32.js';
import { bf16ToF32Bits, f32BitsToBf16, f32BitsToFp16, fp16ToF32Bits, roundToOddF32Bits } from '../formats/fast16.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { getFormat } from '../formats/registry.js';
import type { AdamPrecision } from './adamStep.js';

// ---------------------------------------------------------------------------------------------------
// precisions

const F32 = /* @__PURE__ */ new Float32Array(1);
const U32 = /* @__PURE__ */ new Uint32Array(F32.buffer);

/** The rounding of a precision: float32 → nearest value, its code, and its neighbours. @internal */
export interface PrecisionOps {
  name: AdamPrecision;
  /** Significand bits including the implicit one. */
  p: number;
  /** Smallest positive normal. */
  minNormal: number;
  /** Nearest value of a float32 value (ties to even). */
  round(x: number): number;
  /** Nearest value of any float64 value, rounded once. */
  cast(x: number): number;
  /** The bit pattern of a value of the precision (16-bit code, or float32 bits). */
  bits(x: number): number;
  /** Value of a bit pattern. */
  value(bits: number): number;
}

function bitsF32(x: number): number { F32[0] = x; return U32[0]; }
function valueF32(b: number): number { U32[0] = b; return F32[0]; }

// Rounding is on the hot path of every op: the common case works on the float32 bits in place, and the
// kernels call it through rnd(kind, x), a direct call V8 inlines (a call through ops.round would be
// polymorphic and box every result). NaN, fp16 overflow and fp16 subnormals go through fast16.
function roundBf16(x: number): number {
  F32[0] = x;
  const u = U32[0];
  if ((u & 0x7fffffff) > 0x7f800000) { U32[0] = bf16ToF32Bits(f32BitsToBf16(u)); return F32[0]; }
  U32[0] = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000; // nearest even; a carry moves into the exponent
  return F32[0];
}
function roundFp16(x: number): number {
  F32[0] = x;
  const u = U32[0];
  const a = u & 0x7fffffff;
  if (a < 0x38800000 || a >= 0x477ff000) { U32[0] = fp16ToF32Bits(f32BitsToFp16(u)); return F32[0]; } // subnormal, 0, overflow, inf, NaN
  U32[0] = (u & 0x80000000) | ((a + 0xfff + ((a >>> 13) & 1)) & 0x7fffe000);
  return F32[0];
}
/** Rounds a float32 value to precision kind 0 (bf16), 1 (fp16) or 2 (fp32). */
export function rnd(kind: number, x: number): number {
  return kind === 0 ? roundBf16(x) : kind === 1 ? roundFp16(x) : Math.fround(x);
}
/** The ops of a 16-bit precision: its rounding, and its codec on float32 bit patterns. */
function ops16(name: 'bf16' | 'fp16', p: number, minNormal: number, round: (x: number) => number, encode: (f32Bits: number) => number, decode: (code: number) => number): PrecisionOps {
  return {
    name, p, minNormal, round,
    // float64 → float32 by round-to-odd, then to the 16-bit code: one correct rounding of the float64 value
    cast: (x) => { U32[0] = decode(encode(roundToOddF32Bits(x))); return F32[0]; },
    bits: (x) => { F32[0] = x; return encode(U32[0]); },
    value: (b) => { U32[0] = decode(b); return F32[0]; },
  };
}
const BF16 = ops16('bf16', 8, 2 ** -126, roundBf16, f32BitsToBf16, bf16ToF32Bits);
const FP16 = ops16('fp16', 11, 2 ** -14, roundFp16, f32BitsToFp16, fp16ToF32Bits);
const FP32P: PrecisionOps = {
  name: 'fp32', p: 24, minNormal: 2 ** -126,
  round: Math.fround,
  cast: Math.fround,
  bits: bitsF32,
  value: valueF32,
};

/** The rounding of a precision. @internal */
export function precisionOps(p: AdamPrecision): PrecisionOps {
  return p === 'bf16' ? BF16 : p === 'fp16' ? FP16 : FP32P;
}

/**
 * Half the distance from x (a value of the precision) to its neighbour in direction `dir` (+1 up,
 * −1 down); Infinity when that neighbour is an infinity or x is not finite.
 *
 * @internal
 */
export function halfGap(ops: PrecisionOps, x: number, dir: number): number {
  if (!Number.isFinite(x)) return Infinity;
  const b = ops.bits(x);
  const signBit = ops.name === 'fp32' ? 0x80000000 : 0x8000;
  const mag = (b & (signBit - 1)) >>> 0;
  const neg = (b & signBit) !== 0 && x !== 0 ? true : false;
  // moving away from zero increments the magnitude code, toward zero decrements it
  const away = x === 0 ? true : (dir > 0) !== neg;
  let nb: number;
  if (x === 0) nb = dir > 0 ? 1 : (signBit | 1) >>> 0;
  else nb = away ? b + 1 : mag === 0 ? b : b - 1;
  const y = ops.value(nb >>> 0);
  if (!Number.isFinite(y)) return Infinity;
  return Math.abs(y - x) / 2;
}

// ---------------------------------------------------------------------------------------------------
// the kernels

/** Per-call constants of a step. @internal */
export interface StepConstants {
  ops: PrecisionOps;
  kind: number; // 0 bf16, 1 fp16, 2 fp32 (for rnd)
  hasWd: boolean;
  decoupled: boolean;
  wdF: number; // float32(wd)
  wd: number; // float64 wd (for the lr thresholds)
  decay: number; // float32(1 − lr·wd)
  lerpSmall: boolean; // |1 − β1| < 0.5: lerp as m + w·(g − m), else g − (1 − w)·(g − m)
  w: number; // float32(1 − β1)
  wc: number; // float32(w − 1)
  beta2: number; // float32(β2)
  c2: number; // float32(1 − β2)
  bc2sqrt: number; // float32(√(1 − β2^t))
  eps: number; // eps as the denominator receives it: float32(eps) rounded to the precision for 'foreach', float32(eps) for 'fused'
  negStep: number; // float32(−lr / (1 − β1^t))
  bc1: number; // 1 − β1^t (float64, for the lr thresholds)
  maximize: boolean;
  amsgrad: boolean;
}

/** What one element's step produced (a reused scratch object). @internal */
export interface ElementOut {
  p: number; m: number; v: number; vmax: number;
  /** The new weight in float32 before its final rounding (with unrounded decay), for stochastic rounding. */
  y: number;
  /** Denominator, and √v̂ (the part before eps). */
  d: number; q: number;
  decayNoop: boolean; vDecayAbsorbed: boolean;
  /** Update per unit lr (the weight moves by −lr·a), for the lr thresholds. */
  a: number;
}

const f = Math.fround;

function lerpF32(k: StepConstants, m: number, g: number): number {
  return k.lerpSmall ? fmaF32(k.w, f(g - m), m) : fmaF32(k.wc, f(g - m), g);
}

/**
 * The for-loop / foreach path on one element: p, m, v (and vmax) are values of the precision, g the
 * gradient already cast to it. Every op rounds to the precision.
 *
 * @internal
 */
export function foreachElement(k: StepConstants, p0: number, m0: number, v0: number, vmax0: number, g0: number, o: ElementOut): void {
  const K = k.kind;
  let g = k.maximize ? -g0 : g0;
  let p = p0;
  o.decayNoop = false;
  if (k.hasWd) {
    if (k.decoupled) {
      p = rnd(K, f(p0 * k.decay)); // param.mul_(1 - lr * weight_decay)
      o.decayNoop = p === p0 && p0 !== 0 && Number.isFinite(p0);
    } else {
      g = rnd(K, fmaF32(p0, k.wdF, g)); // grad.add(param, alpha=weight_decay): vec::fmadd(param, alpha, grad)
    }
  }
  const m = rnd(K, lerpF32(k, m0, g)); // exp_avg.lerp_(grad, 1 - beta1)
  const vb = rnd(K, f(v0 * k.beta2)); // exp_avg_sq.mul_(beta2)
  o.vDecayAbsorbed = vb === v0 && v0 !== 0;
  const v = rnd(K, fmaF32(f(k.c2 * g), g, vb)); // .addcmul_(grad, grad, value=1 - beta2), contracted
  let vd = v;
  if (k.amsgrad) {
    vd = vmax0 !== vmax0 || v !== v ? NaN : vmax0 > v ? vmax0 : v; // torch.maximum(max, v, out=max)
    o.vmax = vd;
  }
  const s = rnd(K, f(Math.sqrt(vd))); // .sqrt()
  const q = rnd(K, f(s / k.bc2sqrt)); // / bias_correction2_sqrt
  const d = rnd(K, f(q + k.eps)); // .add_(eps)
  const upd = f(f(k.negStep * m) / d); // addcdiv_: value * t1 / t2
  const y = f(p + upd);
  o.p = rnd(K, y);
  o.m = m;
  o.v = v;
  o.q = q;
  o.d = d;
  o.y = k.hasWd && k.decoupled ? f(f(p0 * k.decay) + upd) : y;
  // per unit lr: the update −lr·m/(bc1·d); the decay threshold is separate (it rounds on its own)
  o.a = m / (k.bc1 * d);
}

/**
 * The fused CPU kernel on one element: loads the rounded values, computes in float32, rounds each stored
 * tensor once.
 *
 * @internal
 */
export function fusedElement(k: StepConstants, p0: number, m0: number, v0: number, vmax0: number, g0: number, o: ElementOut): void {
  const K = k.kind;
  let g = k.maximize ? -g0 : g0;
  let p = p0;
  o.decayNoop = false;
  if (k.hasWd) {
    if (k.decoupled) {
      p = f(p0 * k.decay);
      o.decayNoop = rnd(K, p) === p0 && p0 !== 0 && Number.isFinite(p0);
    } else {
      g = fmaF32(p0, k.wdF, g); // grad += param * wd, contracted
    }
  }
  const M = lerpF32(k, m0, g);
  const vb = f(v0 * k.beta2);
  o.vDecayAbsorbed = vb === v0 && v0 !== 0;
  const V = fmaF32(f(k.c2 * g), g, vb); // v·β2 + ((1−β2)·g)·g, contracted as the compiler does
  let vd = V;
  if (k.amsgrad) {
    vd = vmax0 !== vmax0 || V !== V ? NaN : vmax0 > V ? vmax0 : V;
    o.vmax = rnd(K, vd);
  }
  const q = f(f(Math.sqrt(vd)) / k.bc2sqrt);
  const d = f(q + k.eps);
  const y = f(p + f(f(k.negStep * M) / d));
  o.p = rnd(K, y);
  o.m = rnd(K, M);
  o.v = rnd(K, V);
  o.q = q;
  o.d = d;
  o.y = y;
  o.a = (k.hasWd && k.decoupled ? p0 * k.wd : 0) + M / (k.bc1 * d);
}


const TOWARD_ZERO = /* @__PURE__ */ { rounding: 'toward-zero', overflow: 'inf', flushSubnormals: false, random: undefined } as const;

/**
 * The probability that stochastic rounding (lowp's 'stochastic' mode: away from zero with probability
 * equal to the distance from the value toward zero over the spacing) of the float32 value y to the
 * precision gives a value other than p0. Reference twin of srMoveBulk, on lowp's generic codec.
 *
 * @internal
 */
export function srMoveProbability(ops: PrecisionOps, y: number, p0: number): number {
  const same = (a: number, b: number) => (a !== a && b !== b) || (a === b && (a !== 0 || 1 / a === 1 / b));
  if (y !== y || y - y !== 0) return same(y, p0) ? 0 : 1;
  const fmt = getFormat(ops.name);
  const lo = decodeGeneric(encodeGeneric(y, fmt, TOWARD_ZERO), fmt); // saturates at ±max
  const a = Math.abs(y), l = Math.abs(lo);
  if (l === a) return same(lo, p0) ? 0 : 1;
  let q = 2 * halfGap(ops, l, 1);
  if (q === Infinity) q = 2 * halfGap(ops, l, -1); // l is the largest finite value: the spacing below it
  const pAway = (a - l) / q;
  const inf = y < 0 ? -Infinity : Infinity;
  if (pAway >= 1) return same(inf, p0) ? 0 : 1; // beyond max + one spacing: always ±inf
  const hi = l + q > fmt.max ? inf : y < 0 ? -(l + q) : l + q;
  if (same(lo, p0)) return pAway;
  if (same(hi, p0)) return 1 - pAway;
  return 1;
}

/** Significand bits (p − 1 stored), smallest normal exponent and largest finite value per kind. */
const KIND_M = [7, 10, 23], KIND_EMIN = [-126, -14, -126], KIND_MAX = [3.3895313892515355e38, 65504, 3.4028234663852886e38];

/** 2^k for k in [−200, 199] (index k + 200): exact powers of two without Math.pow on the hot path. */
const POW2 = /* @__PURE__ */ (() => {
  const t = new Float64Array(400);
  for (let i = 0; i < 400; i++) t[i] = 2 ** (i - 200);
  return t;
})();

/**
 * halfGap for a value x of precision kind (0 bf16, 1 fp16, 2 fp32), on the float32 bits: half the
 * spacing to the neighbour in direction dir; Infinity past the largest finite value or for non-finite x.
 *
 * @internal
 */
export function halfGapFast(kind: number, x: number, dir: number): number {
  const a = x < 0 ? -x : x;
  if (!(a < Infinity)) return Infinity;
  const m = KIND_M[kind], emin = KIND_EMIN[kind];
  if (a === 0) return POW2[emin - m - 1 + 200];
  F32[0] = a;
  const bits = U32[0];
  const be = bits >>> 23;
  const e = be === 0 ? -127 : be - 127; // float32 subnormals lie below every kind's emin here
  const away = (dir > 0) === (x > 0);
  if (away && a === KIND_MAX[kind]) return Infinity;
  let qe = (e > emin ? e : emin) - m;
  // just below a power of two (above the subnormals) the spacing halves
  if (!away && e > emin && (bits & 0x7fffff) === 0) qe -= 1;
  return POW2[qe - 1 + 200];
}

/**
 * srMoveProbability over n elements, on the float32 bits: out[i] = the probability that stochastic
 * rounding of the float32 value y[i] to precision kind gives a value other than x[i].
 *
 * @internal
 */
export function srMoveBulk(kind: number, n: number, y: Float32Array, x: Float32Array, out: Float64Array): void {
  const yu = new Uint32Array(y.buffer, y.byteOffset, n);
  const m = KIND_M[kind], emin = KIND_EMIN[kind], max = KIND_MAX[kind];
  for (let i = 0; i < n; i++) {
    const yi = y[i], xi = x[i];
    if (yi - yi !== 0 || kind === 2) {
      out[i] = (yi === xi && (xi !== 0 || 1 / yi === 1 / xi)) || (yi !== yi && xi !== xi) ? 0 : 1;
      continue;
    }
    const be = (yu[i] >>> 23) & 0xff;
    const e = be === 0 ? -127 : be - 127;
    const qi = (e > emin ? e : emin) - m + 200;
    const q = POW2[qi];
    const a = yi < 0 ? -yi : yi;
    const lo = Math.floor(a * POW2[400 - qi]) * q; // toward zero: exact (power-of-two scalings, a floor)
    const inf = yi < 0 ? -Infinity : Infinity;
    let r: number;
    if (lo > max) r = xi === inf ? 0 : 1; // beyond max + one spacing: always ±inf
    else if (lo === a) r = yi === xi && (xi !== 0 || 1 / yi === 1 / xi) ? 0 : 1;
    else {
      const hi = lo + q; // the next value away from zero (past the largest finite one: the overflow)
      const pHi = (a - lo) / q;
      const sLo = yi < 0 ? -lo : lo, sHi = hi > max ? inf : yi < 0 ? -hi : hi;
      r = xi === sLo && (xi !== 0 || 1 / xi === 1 / sLo) ? pHi : xi === sHi ? 1 - pHi : 1;
    }
    out[i] = r;
  }
}

// ---------------------------------------------------------------------------------------------------
// bulk kernels

/**
 * Rounds float32 bit patterns to the precision in place (kind 0 bf16, 1 fp16; 2 fp32 leaves them):
 * the same results as rnd(), on integers only except for NaN and, in fp16, overflow and subnormals.
 *
 * @internal
 */
export function roundBitsInPlace(kind: number, u: Uint32Array, n: number): void {
  if (kind === 0) {
    for (let i = 0; i < n; i++) {
      const x = u[i];
      u[i] = (x & 0x7fffffff) > 0x7f800000 ? bf16ToF32Bits(f32BitsToBf16(x)) : (x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000;
    }
  } else if (kind === 1) {
    for (let i = 0; i < n; i++) {
      const x = u[i];
      const a = x & 0x7fffffff;
      u[i] = a < 0x38800000 || a >= 0x477ff000 ? fp16ToF32Bits(f32BitsToFp16(x)) : (x & 0x80000000) | ((a + 0xfff + ((a >>> 13) & 1)) & 0x7fffe000);
    }
  }
}

/** Scratch and results of the bulk kernels, for chunks of up to `size` elements. @internal */
export interface BulkBuffers {
  size: number;
  /** New weight (rounded). */
  P: Float32Array; PU: Uint32Array;
  /** New exp_avg, exp_avg_sq, max_exp_avg_sq (rounded). */
  M: Float32Array; MU: Uint32Array;
  V: Float32Array; VU: Uint32Array;
  VM: Float32Array; VMU: Uint32Array;
  /** Denominator, and √v̂ before eps. */
  D: Float32Array; DU: Uint32Array;
  Q: Float32Array; QU: Uint32Array;
  /** The new weight in float32 before its rounding, decay unrounded (stochastic rounding). */
  Y: Float32Array;
  /** Update per unit lr. */
  A: Float64Array;
  /** Stochastic rounding: probability that the weight moves (filled by the caller's srMoveBulk). */
  SR: Float64Array;
  /** Bit 0: the decay alone left the weight unchanged; bit 1: v·β2 left v unchanged. */
  flags: Uint8Array;
  /** Scratch. */
  G: Float32Array; GU: Uint32Array;
  T: Float32Array; TU: Uint32Array;
  PD: Float32Array;
  VB: Float32Array; VBU: Uint32Array;
}

/** Buffers for chunks of `size` elements. @internal */
export function bulkBuffers(size: number): BulkBuffers {
  const f32 = () => new Float32Array(size);
  const P = f32(), M = f32(), V = f32(), VM = f32(), D = f32(), Q = f32(), G = f32(), T = f32(), VB = f32();
  const u = (a: Float32Array) => new Uint32Array(a.buffer);
  return {
    size, P, PU: u(P), M, MU: u(M), V, VU: u(V), VM, VMU: u(VM), D, DU: u(D), Q, QU: u(Q), Y: f32(), A: new Float64Array(size), SR: new Float64Array(size),
    flags: new Uint8Array(size), G, GU: u(G), T, TU: u(T), PD: f32(), VB, VBU: u(VB),
  };
}

/**
 * The gradient as both kernels use it first: negated for maximize, plus Adam's L2 term wd·p (a float32
 * FMA, not yet rounded to the precision) when the decay is not decoupled; in b.G unless it is g0 itself.
 */
function startGrad(k: StepConstants, n: number, p0: Float32Array, g0: Float32Array, b: BulkBuffers): Float32Array {
  const l2 = k.hasWd && !k.decoupled;
  if (!k.maximize && !l2) return g0;
  const G = b.G;
  if (!l2) for (let i = 0; i < n; i++) G[i] = -g0[i];
  else if (k.maximize) for (let i = 0; i < n; i++) G[i] = fmaF32(p0[i], k.wdF, -g0[i]); // grad.add(param, alpha=wd)
  else for (let i = 0; i < n; i++) G[i] = fmaF32(p0[i], k.wdF, g0[i]);
  return G;
}

/**
 * The for-loop path over n elements (the twin of foreachElement): inputs are values of the precision;
 * results in b.P, b.M, b.V (b.VM with amsgrad), b.D, b.Q, b.Y, b.A, b.flags.
 *
 * @internal
 */
export function foreachBulk(k: StepConstants, n: number, p0: Float32Array, m0: Float32Array, v0: Float32Array, vm0: Float32Array | null, g0: Float32Array, b: BulkBuffers): void {
  const K = k.kind;
  const { P, M, V, VM, D, Q, Y, A, T, PD, VB, flags } = b;
  const G = startGrad(k, n, p0, g0, b);
  if (k.hasWd && !k.decoupled) roundBitsInPlace(K, b.GU, n); // grad.add(param, alpha=wd) rounds
  if (k.hasWd && k.decoupled) {
    for (let i = 0; i < n; i++) P[i] = PD[i] = p0[i] * k.decay; // param.mul_(1 - lr*wd)
    roundBitsInPlace(K, b.PU, n);
    for (let i = 0; i < n; i++) {
      const x = p0[i];
      flags[i] = P[i] === x && x !== 0 && x - x === 0 ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) { P[i] = PD[i] = p0[i]; flags[i] = 0; }
  }
  for (let i = 0; i < n; i++) T[i] = G[i] - m0[i];
  if (k.lerpSmall) for (let i = 0; i < n; i++) M[i] = fmaF32(k.w, T[i], m0[i]); // exp_avg.lerp_
  else for (let i = 0; i < n; i++) M[i] = fmaF32(k.wc, T[i], G[i]);
  roundBitsInPlace(K, b.MU, n);
  for (let i = 0; i < n; i++) VB[i] = v0[i] * k.beta2; // exp_avg_sq.mul_(beta2)
  roundBitsInPlace(K, b.VBU, n);
  for (let i = 0; i < n; i++) if (VB[i] === v0[i] && v0[i] !== 0) flags[i] |= 2;
  for (let i = 0; i < n; i++) T[i] = k.c2 * G[i];
  for (let i = 0; i < n; i++) V[i] = fmaF32(T[i], G[i], VB[i]); // .addcmul_(grad, grad, value=1 - beta2)
  roundBitsInPlace(K, b.VU, n);
  let VD = V;
  if (k.amsgrad && vm0) {
    for (let i = 0; i < n; i++) { const a = vm0[i], c = V[i]; VM[i] = a !== a || c !== c ? NaN : a > c ? a : c; }
    VD = VM;
  }
  for (let i = 0; i < n; i++) Q[i] = Math.sqrt(VD[i]); // .sqrt()
  roundBitsInPlace(K, b.QU, n);
  for (let i = 0; i < n; i++) Q[i] = Q[i] / k.bc2sqrt; // / bias_correction2_sqrt
  roundBitsInPlace(K, b.QU, n);
  for (let i = 0; i < n; i++) D[i] = Q[i] + k.eps; // .add_(eps)
  roundBitsInPlace(K, b.DU, n);
  for (let i = 0; i < n; i++) T[i] = k.negStep * M[i]; // addcdiv_: value * t1 / t2
  for (let i = 0; i < n; i++) T[i] = T[i] / D[i];
  for (let i = 0; i < n; i++) { Y[i] = PD[i] + T[i]; P[i] = P[i] + T[i]; }
  roundBitsInPlace(K, b.PU, n);
  for (let i = 0; i < n; i++) A[i] = M[i] / (k.bc1 * D[i]);
}

/**
 * The fused kernel over n elements (the twin of fusedElement); results as {@link foreachBulk}.
 *
 * @internal
 */
export function fusedBulk(k: StepConstants, n: number, p0: Float32Array, m0: Float32Array, v0: Float32Array, vm0: Float32Array | null, g0: Float32Array, b: BulkBuffers): void {
  const K = k.kind;
  const { P, M, V, VM, D, Q, Y, A, T, PD, VB, flags } = b;
  const G = startGrad(k, n, p0, g0, b); // grad += param * wd, contracted (not rounded)
  if (k.hasWd && k.decoupled) {
    for (let i = 0; i < n; i++) T[i] = PD[i] = p0[i] * k.decay;
    roundBitsInPlace(K, b.TU, n);
    for (let i = 0; i < n; i++) {
      const x = p0[i];
      flags[i] = T[i] === x && x !== 0 && x - x === 0 ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) { PD[i] = p0[i]; flags[i] = 0; }
  }
  for (let i = 0; i < n; i++) T[i] = G[i] - m0[i];
  if (k.lerpSmall) for (let i = 0; i < n; i++) M[i] = fmaF32(k.w, T[i], m0[i]);
  else for (let i = 0; i < n; i++) M[i] = fmaF32(k.wc, T[i], G[i]);
  for (let i = 0; i < n; i++) VB[i] = v0[i] * k.beta2;
  for (let i = 0; i < n; i++) if (VB[i] === v0[i] && v0[i] !== 0) flags[i] |= 2;
  for (let i = 0; i < n; i++) T[i] = k.c2 * G[i];
  for (let i = 0; i < n; i++) V[i] = fmaF32(T[i], G[i], VB[i]);
  let VD = V;
  if (k.amsgrad && vm0) {
    for (let i = 0; i < n; i++) { const a = vm0[i], c = V[i]; VM[i] = a !== a || c !== c ? NaN : a > c ? a : c; }
    VD = VM;
  }
  for (let i = 0; i < n; i++) Q[i] = Math.sqrt(VD[i]);
  for (let i = 0; i < n; i++) Q[i] = Q[i] / k.bc2sqrt;
  for (let i = 0; i < n; i++) D[i] = Q[i] + k.eps;
  for (let i = 0; i < n; i++) T[i] = k.negStep * M[i];
  for (let i = 0; i < n; i++) T[i] = T[i] / D[i];
  for (let i = 0; i < n; i++) P[i] = Y[i] = PD[i] + T[i];
  roundBitsInPlace(K, b.PU, n);
  if (k.hasWd && k.decoupled) for (let i = 0; i < n; i++) A[i] = p0[i] * k.wd + M[i] / (k.bc1 * D[i]);
  else for (let i = 0; i < n; i++) A[i] = M[i] / (k.bc1 * D[i]);
  roundBitsInPlace(K, b.MU, n);
  roundBitsInPlace(K, b.VU, n);
  if (k.amsgrad) roundBitsInPlace(K, b.VMU, n);
}
