// lowp/formats: format descriptors, finfo, correctly rounded scalar and bulk casts.
export { defineFormat } from './spec.js';
export type { FloatFormat, FloatFormatSpec, NanEncoding, OverflowPolicy } from './spec.js';
export {
  FORMATS, FP32, BF16, FP16, FP8_E4M3FN, FP8_E5M2, FP8_E4M3FNUZ, FP8_E5M2FNUZ, FP8_E8M0FNU,
  FP6_E2M3FN, FP6_E3M2FN, FP4_E2M1FN, formatNames, getFormat,
} from './registry.js';
export type { FormatLike } from './registry.js';
export { resolveCastOptions } from './options.js';
export type { CastOptions, ResolvedCastOptions, RoundingMode } from './options.js';
export { finfo } from './finfo.js';
export type { FormatInfo } from './finfo.js';
export { encode, decode, round } from './scalar.js';
export { ulp } from './ulp.js';
export { encodeArray, decodeArray, codeArrayType } from './bulk.js';
export type { CodeArray, FloatSource, EncodeArrayOptions, DecodeArrayOptions, Format16Name, Format8Name } from './bulk.js';
export { pow2, exponentOf } from './pow2.js';
export { pack4, unpack4 } from './pack4.js';
export type { NibbleOrder, Pack4Options, Unpack4Options } from './pack4.js';
export { Lowp16Array } from './typed-array-base.js';
export type { Float16Source, NativeFloat16Array, Lowp16ArrayConstructor } from './typed-array-base.js';
export { BFloat16Array } from './bfloat16-array.js';
export { Fp16Array } from './fp16-array.js';
export type { RandomSource } from '../core/rng.js';
export { createRng } from '../core/rng.js';
