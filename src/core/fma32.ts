// fmaF32: the correctly rounded float32 fused multiply-add a·b + c of float32 operands (one rounding,
// as the FMA instruction does), for emulating kernels whose compiler contracts a multiply and an add
// (PyTorch's CPU lerp_ calls vec::fmadd explicitly; GCC contracts `x*y + z` in others).
//
// Method: a·b is exact in float64 (two 24-bit significands give at most 48 bits, and float32 operands
// cannot overflow or underflow a double product). The sum s = a·b + c is rounded once to float64 and its
// error recovered exactly (Knuth's TwoSum). A double rounding float64 → float32 is avoided by rounding
// to float64 *to odd* first (s, or its neighbour toward the exact sum, whichever has an odd last bit):
// with 53 ≥ 24 + 2 bits, rounding a round-to-odd value to nearest float32 equals rounding the exact sum
// directly (Boldo & Melquiond, "When double rounding is odd", 2005).

const F64 = /* @__PURE__ */ new Float64Array(1);
const W32 = /* @__PURE__ */ new Uint32Array(F64.buffer);
/** Index of the low 32-bit word of a float64 in W32 (0 on little-endian platforms). */
const LO = /* @__PURE__ */ (() => { F64[0] = 1; return W32[0] === 0 ? 0 : 1; })();
const HI = 1 - LO;

/**
 * The float32 nearest (ties to even) to the exact a·b + c, for float32 values a, b, c (numbers that
 * `Math.fround` leaves unchanged). Infinities and NaN follow IEEE 754 (inf·0 → NaN, inf − inf → NaN).
 *
 * @internal
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b; // exact
  const s = p + c;
  if (s - s !== 0) return Math.fround(s); // ±inf or NaN
  const bv = s - p;
  const err = (p - (s - bv)) + (c - bv); // exact: p + c = s + err
  if (err === 0) return Math.fround(s);
  F64[0] = s;
  if ((W32[LO] & 1) === 1) return Math.fround(s); // already odd: s is the round-to-odd value
  // s is even and inexact: the round-to-odd value is its neighbour toward the exact sum (s != 0 here:
  // a sum that rounds to 0 is exact in binary floating point)
  const up = (err > 0) === (s > 0); // away from zero
  if (up) {
    const lo = (W32[LO] + 1) >>> 0;
    W32[LO] = lo;
    if (lo === 0) W32[HI] = W32[HI] + 1;
  } else {
    const lo = W32[LO];
    if (lo === 0) W32[HI] = W32[HI] - 1;
    W32[LO] = (lo - 1) >>> 0;
  }
  return Math.fround(F64[0]);
}
