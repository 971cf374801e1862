// The built-in formats and name lookup. Names follow lowp's scheme ('fp8-e4m3fn'); the names users
// already type in PyTorch and ml_dtypes ('bfloat16', 'float8_e4m3fn', 'half') are aliases.
import { describeValue } from '../core/describe.js';
import { defineFormat, type FloatFormat } from './spec.js';

/** IEEE 754 binary32 (float32): the reference every other format is compared with. */
export const FP32: FloatFormat = defineFormat({
  name: 'fp32', aliases: ['float32', 'float', 'f32', 'binary32'],
  exponentBits: 8, mantissaBits: 23, bias: 127, infinity: true, nan: 'ieee', defaultOverflow: 'inf',
  description: 'IEEE 754 binary32, the usual training precision',
});
/** bfloat16: float32's 8-bit exponent with 7 mantissa bits (TPUs, A100/H100 training). */
export const BF16: FloatFormat = defineFormat({
  name: 'bf16', aliases: ['bfloat16'],
  exponentBits: 8, mantissaBits: 7, bias: 127, infinity: true, nan: 'ieee', defaultOverflow: 'inf',
  description: 'bfloat16: float32 range, 8 significant bits',
});
/** IEEE 754 binary16 (half precision). */
export const FP16: FloatFormat = defineFormat({
  name: 'fp16', aliases: ['float16', 'half', 'f16', 'binary16'],
  exponentBits: 5, mantissaBits: 10, bias: 15, infinity: true, nan: 'ieee', defaultOverflow: 'inf',
  description: 'IEEE 754 binary16: 11 significant bits, max 65504',
});
/** OCP fp8 E4M3 ("FN": finite, no infinity; NaN is S.1111.111; max 448). */
export const FP8_E4M3FN: FloatFormat = defineFormat({
  name: 'fp8-e4m3fn', aliases: ['float8_e4m3fn', 'e4m3fn', 'e4m3', 'f8e4m3fn', 'f8_e4m3'],
  exponentBits: 4, mantissaBits: 3, bias: 7, infinity: false, nan: 'all-ones', defaultOverflow: 'nan',
  description: 'OCP fp8 E4M3: Hopper/Blackwell forward pass, max 448, no infinity',
});
/** OCP fp8 E5M2 (IEEE-like, with infinity; max 57344). */
export const FP8_E5M2: FloatFormat = defineFormat({
  name: 'fp8-e5m2', aliases: ['float8_e5m2', 'e5m2', 'f8e5m2', 'f8_e5m2'],
  exponentBits: 5, mantissaBits: 2, bias: 15, infinity: true, nan: 'ieee', defaultOverflow: 'inf',
  description: 'OCP fp8 E5M2: gradients, IEEE-like with infinity, max 57344',
});
/** fp8 E4M3 "FNUZ" (Graphcore/AMD MI300): no infinity, no −0, NaN is 0x80, bias 8, max 240. */
export const FP8_E4M3FNUZ: FloatFormat = defineFormat({
  name: 'fp8-e4m3fnuz', aliases: ['float8_e4m3fnuz', 'e4m3fnuz', 'f8e4m3fnuz'],
  exponentBits: 4, mantissaBits: 3, bias: 8, infinity: false, nan: 'negative-zero', defaultOverflow: 'nan',
  description: 'fp8 E4M3 FNUZ (AMD MI300, Graphcore): NaN = 0x80, no -0, max 240',
});
/** fp8 E5M2 "FNUZ": no infinity, no −0, NaN is 0x80, bias 16, max 57344. */
export const FP8_E5M2FNUZ: FloatFormat = defineFormat({
  name: 'fp8-e5m2fnuz', aliases: ['float8_e5m2fnuz', 'e5m2fnuz', 'f8e5m2fnuz'],
  exponentBits: 5, mantissaBits: 2, bias: 16, infinity: false, nan: 'negative-zero', defaultOverflow: 'nan',
  description: 'fp8 E5M2 FNUZ (AMD MI300, Graphcore): NaN = 0x80, no -0, max 57344',
});
/** OCP MX scale format E8M0: unsigned powers of two 2^-127 … 2^127, no zero, NaN is 0xFF. */
export const FP8_E8M0FNU: FloatFormat = defineFormat({
  name: 'fp8-e8m0fnu', aliases: ['float8_e8m0fnu', 'e8m0fnu', 'e8m0'],
  exponentBits: 8, mantissaBits: 0, bias: 127, signed: false, subnormals: false,
  infinity: false, nan: 'all-ones', defaultOverflow: 'nan',
  description: 'OCP MX block scale: powers of two, unsigned, no zero',
});
/** OCP MX fp6 E2M3 (no infinity or NaN, max 7.5). */
export const FP6_E2M3FN: FloatFormat = defineFormat({
  name: 'fp6-e2m3fn', aliases: ['float6_e2m3fn', 'e2m3fn', 'e2m3'],
  exponentBits: 2, mantissaBits: 3, bias: 1, infinity: false, nan: 'none', defaultOverflow: 'saturate',
  description: 'OCP MX fp6 E2M3: max 7.5, no infinity or NaN',
});
/** OCP MX fp6 E3M2 (no infinity or NaN, max 28). */
export const FP6_E3M2FN: FloatFormat = defineFormat({
  name: 'fp6-e3m2fn', aliases: ['float6_e3m2fn', 'e3m2fn', 'e3m2'],
  exponentBits: 3, mantissaBits: 2, bias: 3, infinity: false, nan: 'none', defaultOverflow: 'saturate',
  description: 'OCP MX fp6 E3M2: max 28, no infinity or NaN',
});
/** OCP MX fp4 E2M1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6; no infinity or NaN). */
export const FP4_E2M1FN: FloatFormat = defineFormat({
  name: 'fp4-e2m1fn', aliases: ['float4_e2m1fn', 'e2m1fn', 'e2m1', 'fp4'],
  exponentBits: 2, mantissaBits: 1, bias: 1, infinity: false, nan: 'none', defaultOverflow: 'saturate',
  description: 'OCP MX fp4 E2M1: ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}',
});

/** Every built-in format, narrowest last. */
export const FORMATS: readonly FloatFormat[] = Object.freeze([
  FP32, BF16, FP16, FP8_E4M3FN, FP8_E5M2, FP8_E4M3FNUZ, FP8_E5M2FNUZ, FP8_E8M0FNU, FP6_E2M3FN, FP6_E3M2FN, FP4_E2M1FN,
]);

/** A format, or the name or alias of a built-in one. */
export type FormatLike = FloatFormat | string;

const BY_NAME: ReadonlyMap<string, FloatFormat> = /* @__PURE__ */ (() => {
  const m = new Map<string, FloatFormat>();
  for (const f of FORMATS) for (const n of [f.name, ...f.aliases]) m.set(n.toLowerCase(), f);
  return m;
})();

/**
 * The canonical names of the built-in formats.
 *
 * @example
 * ```ts
 * formatNames(); // ['fp32', 'bf16', 'fp16', 'fp8-e4m3fn', ...]
 * ```
 */
export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

/**
 * Looks up a format by name or alias (case-insensitive); a {@link FloatFormat} object is returned as
 * is. An unknown name is a `RangeError` that lists the known names.
 *
 * @example
 * ```ts
 * getFormat('bfloat16').name; // 'bf16'
 * getFormat('float8_e4m3fn').max; // 448
 * ```
 */
export function getFormat(format: FormatLike): FloatFormat {
  if (typeof format === 'string') {
    const f = BY_NAME.get(format.toLowerCase());
    if (f) return f;
    throw new RangeError(`unknown format '${format}': expected one of ${formatNames().join(', ')} (or an alias such as 'bfloat16', 'half', 'float8_e4m3fn')`);
  }
  if (format !== null && typeof format === 'object' && typeof (format as FloatFormat).mantissaBits === 'number' && typeof (format as FloatFormat).maxMagnitudeCode === 'number') {
    return format;
  }
  throw new TypeError(`expected a format name (e.g. 'bf16') or a FloatFormat, got ${describeValue(format)}`);
}
