// powInt: b^t for a float64 b and an integer t >= 0, correctly rounded (to nearest) in practice: the
// power is taken by repeated squaring in double-double arithmetic (about 106 bits, Dekker's exact
// products through Veltkamp splitting; no FMA needed), then rounded once. JavaScript's `**` is
// faithful but not correctly rounded (it differs from glibc's pow, which C and Python use, in the last
// bit for about 1 in 10 of the Adam bias corrections β^t), and the optimizer emulation needs the same
// float64 as PyTorch before the float32 cast.

const SPLIT = 134217729; // 2^27 + 1

/** The exact product a·b as hi + lo (Dekker), for |a·b| well inside the float64 range. */
function twoProd(a: number, b: number, out: Float64Array): void {
  const p = a * b;
  let c = SPLIT * a;
  const ah = c - (c - a), al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b), bl = b - bh;
  out[0] = p;
  out[1] = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * b^t for an integer t >= 0 (b^0 = 1), rounded once from a double-double power (results below 2^-600,
 * and t that is not a non-negative integer, go to `**`).
 *
 * @internal
 */
export function powInt(b: number, t: number): number {
  if (!Number.isInteger(t) || t < 0) return b ** t;
  if (t === 0) return 1;
  if (!Number.isFinite(b) || b === 0 || Math.abs(b) < 2 ** -400 || Math.abs(b) > 2 ** 400) return b ** t;
  const tp = new Float64Array(2);
  let rh = 1, rl = 0; // result
  let bh = b, bl = 0; // b^(2^k)
  let n = t;
  for (;;) {
    if (n % 2 === 1) {
      // r *= b^(2^k)
      twoProd(rh, bh, tp);
      const e = tp[1] + (rh * bl + rl * bh);
      rh = tp[0] + e;
      rl = e - (rh - tp[0]);
    }
    n = Math.floor(n / 2);
    if (n === 0) break;
    twoProd(bh, bh, tp);
    const e = tp[1] + 2 * bh * bl;
    bh = tp[0] + e;
    bl = e - (bh - tp[0]);
    // below 2^-600 the low parts' rounding errors would reach the subnormals: leave such powers to `**`
    // (1 − β^t is 1 there anyway)
    if (Math.abs(bh) < 2 ** -600 || Math.abs(rh) < 2 ** -600) return b ** t;
  }
  return Math.abs(rh) < 2 ** -600 ? b ** t : rh + rl;
}
