// Fast, correctly rounded float64 → fp16 / bf16 rounding (round to nearest, ties to even), used by the
// emulated fp16/bf16 accumulation kernels. Reference twin: `round(x, 'fp16' | 'bf16')` from
// lowp/formats (tests/matmul/accumulate.test.ts compares them). Method: round the float64 to float32 with
// round-to-odd (fast16's roundToOddF32Bits; NaN stays NaN), then round the float32 bits to
// nearest even: rounding to odd at 24 bits followed by nearest-even at ≤ 22 bits is the correctly rounded
// result (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
// rounding to odd", 2008).
import { f32BitsToBf16, f32BitsToFp16, fp16ToF32Bits, roundToOddF32Bits } from '../formats/fast16.js';

const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);

let FP16_VALUES: Float32Array | undefined;
function fp16Values(): Float32Array {
  if (!FP16_VALUES) {
    const bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = fp16ToF32Bits(h);
    FP16_VALUES = new Float32Array(bits.buffer);
  }
  return FP16_VALUES;
}

/** `x` rounded to the nearest fp16 value (ties to even; overflow → ±∞), as a number. */
export function roundFp16(x: number): number {
  return fp16Values()[f32BitsToFp16(roundToOddF32Bits(x))];
}

/** `x` rounded to the nearest bf16 value (ties to even; overflow → ±∞), as a number. */
export function roundBf16(x: number): number {
  U[0] = f32BitsToBf16(roundToOddF32Bits(x)) << 16;
  return F[0];
}

/** The rounding function of an emulated accumulation format. */
export function rounder(format: 'fp16' | 'bf16'): (x: number) => number {
  if (format === 'fp16') {
    fp16Values();
    return roundFp16;
  }
  return roundBf16;
}
