// The ggml tensor types (ggml/include/ggml.h `enum ggml_type`, ggml/src/ggml.c `type_traits`): their
// numeric ids as stored in GGUF files, the number of values per block and the bytes per block. Names are
// spelled as gguf-py's `GGMLQuantizationType` spells them ('Q4_K', 'IQ4_NL', 'MXFP4'); lookups are
// case-insensitive. Reference: ggml-org/ggml d99724f2 (src/ggml-common.h for the block layouts).
import { describeValue } from '../../core/describe.js';

/**
 * A ggml tensor type name, as gguf-py spells it.
 *
 * @example
 * ```ts
 * const t: GgmlType = 'Q4_K';
 * ```
 */
export type GgmlType =
  | 'F32' | 'F16' | 'BF16' | 'F64' | 'I8' | 'I16' | 'I32' | 'I64'
  | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q8_1'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K'
  | 'IQ2_XXS' | 'IQ2_XS' | 'IQ2_S' | 'IQ3_XXS' | 'IQ3_S' | 'IQ1_S' | 'IQ1_M' | 'IQ4_NL' | 'IQ4_XS'
  | 'TQ1_0' | 'TQ2_0' | 'MXFP4' | 'NVFP4' | 'Q1_0' | 'Q2_0';

/**
 * What ggml says of one type: id in GGUF files, values per block, bytes per block.
 *
 * @example
 * ```ts
 * ggmlTypeInfo('q4_k'); // { name: 'Q4_K', id: 12, blockSize: 256, typeSize: 144, quantized: true }
 * ```
 */
export interface GgmlTypeInfo {
  /** The name (gguf-py's spelling). */
  readonly name: GgmlType;
  /** `enum ggml_type` value, as stored in a GGUF tensor info. */
  readonly id: number;
  /** Values per block (1 for plain types, 32 for Q8_0, 256 for the K-quants). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Whether the values are stored in blocks with scales (ggml's `is_quantized`). */
  readonly quantized: boolean;
}

const ROWS: readonly (readonly [GgmlType, number, number, number])[] = [
  // name, id, values per block, bytes per block
  ['F32', 0, 1, 4],
  ['F16', 1, 1, 2],
  ['Q4_0', 2, 32, 18],
  ['Q4_1', 3, 32, 20],
  ['Q5_0', 6, 32, 22],
  ['Q5_1', 7, 32, 24],
  ['Q8_0', 8, 32, 34],
  ['Q8_1', 9, 32, 36],
  ['Q2_K', 10, 256, 84],
  ['Q3_K', 11, 256, 110],
  ['Q4_K', 12, 256, 144],
  ['Q5_K', 13, 256, 176],
  ['Q6_K', 14, 256, 210],
  ['Q8_K', 15, 256, 292],
  ['IQ2_XXS', 16, 256, 66],
  ['IQ2_XS', 17, 256, 74],
  ['IQ3_XXS', 18, 256, 98],
  ['IQ1_S', 19, 256, 50],
  ['IQ4_NL', 20, 32, 18],
  ['IQ3_S', 21, 256, 110],
  ['IQ2_S', 22, 256, 82],
  ['IQ4_XS', 23, 256, 136],
  ['I8', 24, 1, 1],
  ['I16', 25, 1, 2],
  ['I32', 26, 1, 4],
  ['I64', 27, 1, 8],
  ['F64', 28, 1, 8],
  ['IQ1_M', 29, 256, 56],
  ['BF16', 30, 1, 2],
  ['TQ1_0', 34, 256, 54],
  ['TQ2_0', 35, 256, 66],
  ['MXFP4', 39, 32, 17],
  ['NVFP4', 40, 64, 36],
  ['Q1_0', 41, 128, 18],
  ['Q2_0', 42, 64, 18],
];

const PLAIN = new Set<GgmlType>(['F32', 'F16', 'BF16', 'F64', 'I8', 'I16', 'I32', 'I64']);

/**
 * Every ggml type lowp knows, by name.
 *
 * @example
 * ```ts
 * import { GGML_TYPES } from 'lowp/quant';
 * GGML_TYPES.Q8_0.typeSize; // 34 (an fp16 scale and 32 int8 values)
 * ```
 */
export const GGML_TYPES: Readonly<Record<GgmlType, GgmlTypeInfo>> = Object.freeze(
  Object.fromEntries(
    ROWS.map(([name, id, blockSize, typeSize]) => [name, Object.freeze({ name, id, blockSize, typeSize, quantized: !PLAIN.has(name) })]),
  ) as Record<GgmlType, GgmlTypeInfo>,
);

const BY_ID = new Map<number, GgmlTypeInfo>(Object.values(GGML_TYPES).map((t) => [t.id, t]));
const BY_UPPER = new Map<string, GgmlTypeInfo>(Object.values(GGML_TYPES).map((t) => [t.name, t]));

/**
 * The type info of a ggml type, by name (case-insensitive: 'q4_k', 'Q4_K') or by GGUF id. Throws a
 * `TypeError` naming the known types for anything else.
 *
 * @example
 * ```ts
 * import { ggmlTypeInfo } from 'lowp/quant';
 * ggmlTypeInfo('q6_k').blockSize; // 256
 * ggmlTypeInfo(8).name;           // 'Q8_0'
 * ```
 */
export function ggmlTypeInfo(type: string | number): GgmlTypeInfo {
  const t = typeof type === 'number' ? BY_ID.get(type) : typeof type === 'string' ? BY_UPPER.get(type.toUpperCase()) : undefined;
  if (t === undefined) {
    throw new TypeError(`expected a ggml type (${ROWS.map((r) => r[0]).join(', ')}, or its GGUF id), got ${describeValue(type)}`);
  }
  return t;
}

/**
 * The ggml type with this GGUF id, or undefined (ids 4, 5, 31-33 and 36-38 were removed from ggml).
 *
 * @example
 * ```ts
 * ggmlTypeById(12)?.name; // 'Q4_K'
 * ggmlTypeById(4);        // undefined
 * ```
 */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

/**
 * Bytes that `elements` values of a type take, or a `RangeError` when they are not whole blocks.
 *
 * @example
 * ```ts
 * ggmlByteLength('Q4_K', 512); // 288
 * ```
 */
export function ggmlByteLength(type: string | number, elements: number): number {
  const t = ggmlTypeInfo(type);
  if (!Number.isSafeInteger(elements) || elements < 0 || elements % t.blockSize !== 0) {
    throw new RangeError(`expected a whole number of ${t.name} blocks (a multiple of ${t.blockSize} values), got ${describeValue(elements)} values`);
  }
  return (elements / t.blockSize) * t.typeSize;
}

/**
 * The name of a type of `allowed` that `type` spells in any case, or an error listing them: a
 * TypeError for a non-string, a RangeError for an unknown name and for a known type that is not
 * allowed, with `refusal(type)`'s reason. (quantizeGgml's and analyzeGgml's type arguments.)
 *
 * @internal
 */
export function resolveTypeIn<T extends GgmlType>(type: unknown, allowed: readonly T[], fn: string, refusal: (t: GgmlTypeInfo) => string): T {
  const list = allowed.join(', ');
  if (typeof type !== 'string') throw new TypeError(`${fn}: type must be a ggml type name (${list}; any case), got ${describeValue(type)}`);
  const upper = type.toUpperCase();
  if ((allowed as readonly string[]).includes(upper)) return upper as T;
  const known = BY_UPPER.get(upper);
  throw new RangeError(`${fn}: ${known === undefined ? 'unknown ggml type' : refusal(known)}; expected one of ${list} (any case), got ${describeValue(type)}`);
}
