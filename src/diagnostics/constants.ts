// Constants that vanish (or explode) in a low-precision format: optimizer and normalisation epsilons,
// attention-mask fill values, clamp values, thresholds, loss-scale initial values. Each constant is cast
// and classified; WELL_KNOWN_CONSTANTS lists the ones popular libraries use, with their source.
import { describeValue } from '../core/describe.js';
import { finfo } from '../formats/finfo.js';
import type { CastOptions } from '../formats/options.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { round } from '../formats/scalar.js';
import { unboundedOverflowOf } from './overflow.js';
import { fmtPrecise as fmtValue } from './text.js';

/**
 * What a cast does to a constant. When several apply, the first in this order wins:
 * `'overflow'` (beyond the range: ±inf, NaN or saturated) > `'flush-to-zero'` (nonzero → 0) >
 * `'subnormal'` (a nonzero subnormal result) > `'absorbed'` (0 < |value| < 1 and 1 + value == 1 when
 * computed in the format, e.g. 1 + 1e-4 in bf16) > `'rounded'` (changed) > `'exact'` (unchanged).
 *
 * @example
 * ```ts
 * checkConstants({ eps: 1e-8 }, 'fp16')[0].kind; // 'flush-to-zero'
 * ```
 */
export type ConstantKind = 'exact' | 'rounded' | 'flush-to-zero' | 'subnormal' | 'overflow' | 'absorbed';

/**
 * The role of a constant, which shapes the suggestion.
 *
 * @example
 * ```ts
 * checkConstants([{ name: 'mask', value: -1e9, role: 'mask' }], 'fp16')[0].suggestion;
 * ```
 */
export type ConstantRole = 'epsilon' | 'mask' | 'clamp' | 'threshold' | 'scale' | 'other';

/**
 * A named constant of a well-known library.
 *
 * @example
 * ```ts
 * const c: WellKnownConstant = { name: 'my.eps', value: 1e-7, role: 'epsilon', source: 'my model' };
 * ```
 */
export interface WellKnownConstant {
  /** Identifier, e.g. `'torch.optim.Adam.eps'`. */
  name: string;
  /** The value the library uses. */
  value: number;
  /** What it is used for. */
  role: ConstantRole;
  /** Where it comes from. */
  source: string;
}

/**
 * One checked constant.
 *
 * @example
 * ```ts
 * checkConstants({ eps: 1e-5 }, 'fp16')[0]; // { value: 1e-5, castsTo: 0.000010013580322265625, kind: 'subnormal', ... }
 * ```
 */
export interface ConstantCheck {
  /** The constant's name. */
  name: string;
  /** Its value. */
  value: number;
  /** The value after the cast. */
  castsTo: number;
  /** See {@link ConstantKind}. */
  kind: ConstantKind;
  /** Relative change |castsTo − value| / |value| (0 for exact; Infinity for overflow). */
  relError: number;
  /** What to do about it. */
  suggestion: string;
  /** The constant's role (from the well-known list, else guessed from the value: 'other'). */
  role: ConstantRole;
  /** Where the constant comes from, for well-known ones. */
  source?: string;
}

const FP32_MIN = -3.4028234663852886e38;

/**
 * Constants that popular libraries put into models and optimizers, with their source. Check them with
 * `checkConstants(WELL_KNOWN_CONSTANTS, 'fp16')`.
 *
 * @example
 * ```ts
 * WELL_KNOWN_CONSTANTS.find((c) => c.name === 'torch.optim.Adam.eps')?.value; // 1e-8
 * ```
 */
export const WELL_KNOWN_CONSTANTS: readonly WellKnownConstant[] = Object.freeze([
  { name: 'torch.optim.Adam.eps', value: 1e-8, role: 'epsilon', source: 'PyTorch torch.optim.Adam/AdamW default eps=1e-8' },
  { name: 'transformers.AdamW.eps', value: 1e-6, role: 'epsilon', source: 'Hugging Face transformers.AdamW (deprecated) default eps=1e-6' },
  { name: 'keras.optimizers.Adam.epsilon', value: 1e-7, role: 'epsilon', source: 'Keras Adam default epsilon=1e-7' },
  { name: 'torch.optim.Adagrad.eps', value: 1e-10, role: 'epsilon', source: 'PyTorch torch.optim.Adagrad default eps=1e-10' },
  { name: 'transformers.Adafactor.eps[0]', value: 1e-30, role: 'epsilon', source: 'Hugging Face Adafactor default eps=(1e-30, 1e-3)' },
  { name: 'torch.nn.LayerNorm.eps', value: 1e-5, role: 'epsilon', source: 'PyTorch nn.LayerNorm/BatchNorm default eps=1e-5' },
  { name: 'bert.layer_norm_eps', value: 1e-12, role: 'epsilon', source: 'BERT config layer_norm_eps=1e-12 (Hugging Face BertConfig)' },
  { name: 'llama.rms_norm_eps', value: 1e-6, role: 'epsilon', source: 'RMSNorm eps=1e-6 (Hugging Face LlamaConfig default, T5 layer_norm_epsilon)' },
  { name: 'attention.mask_fill.-1e9', value: -1e9, role: 'mask', source: 'masked_fill(mask, -1e9) in many attention implementations' },
  { name: 'bert.extended_attention_mask.-10000', value: -1e4, role: 'mask', source: 'original BERT: (1.0 - mask) * -10000.0' },
  { name: 'attention.mask_fill.-inf', value: -Infinity, role: 'mask', source: "masked_fill(mask, float('-inf'))" },
  { name: 'transformers.mask_fill.finfo(float32).min', value: FP32_MIN, role: 'mask', source: 'Hugging Face transformers: torch.finfo(dtype).min with dtype float32' },
  { name: 't5.fp16_clamp_value', value: 64504, role: 'clamp', source: 'Hugging Face T5: torch.finfo(torch.float16).max - 1000' },
  { name: 'llm_int8.threshold', value: 6, role: 'threshold', source: 'bitsandbytes LLM.int8() outlier threshold 6.0' },
  { name: 'torch.amp.GradScaler.init_scale', value: 65536, role: 'scale', source: 'PyTorch GradScaler init_scale=2.**16' },
  { name: 'deepspeed.fp16.initial_scale', value: 65536, role: 'scale', source: 'DeepSpeed fp16.initial_scale_power=16' },
]);

function suggestionFor(kind: ConstantKind, role: ConstantRole, value: number, castsTo: number, fmtName: string, fi: ReturnType<typeof finfo>): string {
  switch (kind) {
    case 'exact':
      return `no change: ${fmtValue(value)} is exact in ${fmtName}.`;
    case 'rounded':
      return `harmless for most uses: ${fmtValue(value)} becomes ${fmtValue(castsTo)} in ${fmtName}.`;
    case 'absorbed':
      return `1 + ${fmtValue(value)} == 1 in ${fmtName}: where it is added to values near 1 it does nothing; add it in float32, or use |value| > ${fmtValue(fi.eps / 2)} (half of ${fmtName}'s eps).`;
    case 'subnormal':
      return role === 'epsilon'
        ? `becomes a subnormal ${fmtValue(castsTo)} with reduced precision; use at least ${fmtValue(fi.smallestNormal)} (${fmtName}'s smallest normal, safeEpsilon('${fmtName}')) or keep this computation in float32.`
        : `becomes a subnormal ${fmtValue(castsTo)}; keep it in float32 or rescale.`;
    case 'flush-to-zero':
      return role === 'epsilon'
        ? `becomes 0 in ${fmtName}, so the division it guards can give inf/NaN; use at least ${fmtValue(fi.smallestNormal)} (safeEpsilon('${fmtName}')) or keep this computation in float32.`
        : `becomes 0 in ${fmtName}; keep it in float32 or rescale.`;
    case 'overflow':
      if (role === 'mask') {
        return fi.hasInfinity
          ? `overflows ${fmtName} (max ${fmtValue(fi.max)}); use ${fmtValue(value < 0 ? -fi.max : fi.max)} (torch.finfo(${fmtName}).min/max) or -inf with a softmax that handles fully masked rows.`
          : `overflows ${fmtName} (max ${fmtValue(fi.max)}); use ${fmtValue(value < 0 ? -fi.max : fi.max)}.`;
      }
      if (role === 'scale') return `overflows ${fmtName} (max ${fmtValue(fi.max)}): keep the scale in float32 (as GradScaler does) and never cast it to ${fmtName}.`;
      return `overflows ${fmtName} (max ${fmtValue(fi.max)}); use a value at most ${fmtValue(fi.max)} or keep it in float32.`;
  }
}

/**
 * Casts each constant to `to` and classifies the result (see {@link ConstantKind} for the kinds and
 * their precedence), with a suggestion per constant.
 *
 * @param constants - `{ name: value }`, or a list such as {@link WELL_KNOWN_CONSTANTS}.
 * @param to - target format.
 * @param opts - cast options.
 * @example
 * ```ts
 * const r = checkConstants({ adamEps: 1e-8, layerNormEps: 1e-12, maskValue: -1e9 }, 'fp16');
 * r.map((c) => c.kind); // ['flush-to-zero', 'flush-to-zero', 'overflow']
 * checkConstants({ tiny: 1e-4 }, 'bf16')[0].kind; // 'absorbed'
 * ```
 */
export function checkConstants(
  constants: Readonly<Record<string, number>> | readonly WellKnownConstant[],
  to: FormatLike,
  opts?: CastOptions,
): ConstantCheck[] {
  const f = getFormat(to);
  const fi = finfo(f);
  let list: { name: string; value: number; role: ConstantRole; source?: string }[];
  if (Array.isArray(constants)) {
    list = constants.map((c, i) => {
      if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || typeof c.value !== 'number') {
        throw new TypeError(`checkConstants: constants[${i}] must be { name, value, role?, source? }, got ${describeValue(c)}`);
      }
      return { name: c.name, value: c.value, role: (c.role ?? 'other') as ConstantRole, source: c.source };
    });
  } else if (constants !== null && typeof constants === 'object' && !ArrayBuffer.isView(constants)) {
    list = Object.keys(constants).map((name) => {
      const value = (constants as Record<string, unknown>)[name];
      if (typeof value !== 'number') throw new TypeError(`checkConstants: constant '${name}' must be a number, got ${describeValue(value)}`);
      const known = WELL_KNOWN_CONSTANTS.find((k) => k.value === value);
      const role: ConstantRole = /eps|epsilon/i.test(name) ? 'epsilon' : /mask|fill/i.test(name) ? 'mask' : /clamp/i.test(name) ? 'clamp' : /scale/i.test(name) ? 'scale' : /threshold/i.test(name) ? 'threshold' : known?.role ?? 'other';
      return { name, value, role };
    });
  } else {
    throw new TypeError(`checkConstants: constants must be an object { name: value } or a list of { name, value }, got ${describeValue(constants)}`);
  }
  if (list.length === 0) throw new RangeError('checkConstants: no constants given');
  return list.map(({ name, value, role, source }) => {
    if (Number.isNaN(value)) throw new RangeError(`checkConstants: constant '${name}' is NaN; expected a number`);
    const castsTo = round(value, f, opts);
    let kind: ConstantKind;
    const a = Math.abs(value);
    if (a === Infinity) kind = castsTo === value ? 'exact' : 'overflow';
    else if (Number.isNaN(castsTo) || !Number.isFinite(castsTo) || (Math.abs(castsTo) === f.max && unboundedOverflowOf(a, f, opts?.rounding ?? 'nearest-even'))) kind = 'overflow';
    else if (value !== 0 && castsTo === 0) kind = 'flush-to-zero';
    else if (castsTo !== 0 && f.subnormals && Math.abs(castsTo) < fi.smallestNormal) kind = 'subnormal';
    else if (value !== 0 && a < 1 && round(1 + castsTo, f, opts) === 1) kind = 'absorbed';
    else if (castsTo !== value) kind = 'rounded';
    else kind = 'exact';
    const relError = kind === 'overflow' ? Infinity : value === 0 || a === Infinity ? 0 : Math.abs(castsTo - value) / a;
    const out: ConstantCheck = { name, value, castsTo, kind, relError, suggestion: suggestionFor(kind, role, value, castsTo, f.name, fi), role };
    if (source !== undefined) out.source = source;
    return out;
  });
}
