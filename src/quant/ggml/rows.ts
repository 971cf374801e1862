// Which ggml types can store a tensor, and what llama.cpp does when one cannot. ggml quantizes a tensor
// row by row (a row is the innermost dimension, GGUF's ne[0]) in whole blocks, so a row of 300 values
// cannot be Q4_K (blocks of 256). lowp never pads: the round trip methods, the analyzer and `lowp check`
// report such a tensor as not storable, with the type llama-quantize would fall back to for it
// (llama.cpp src/llama-quant.cpp, `convert_incompatible_tensor`: K-quants and IQ4_XS go to a 32-value
// type, TQ1_0/TQ2_0 to Q4_0, then F16 when the row is not a multiple of 32 either).
import { GGML_TYPES } from './types.js';
import type { GgmlQuantType } from './quantize.js';

/** llama-quantize's fallback for a tensor whose rows are not whole blocks of the type asked for. */
const FALLBACK: Partial<Record<GgmlQuantType, GgmlQuantType>> = {
  Q2_K: 'IQ4_NL',
  Q3_K: 'IQ4_NL',
  IQ4_XS: 'IQ4_NL',
  Q4_K: 'Q5_0',
  Q5_K: 'Q5_1',
  Q6_K: 'Q8_0',
  TQ1_0: 'Q4_0',
  TQ2_0: 'Q4_0',
};

/**
 * Why rows of `rowLength` values cannot be stored in `type`, or null when they can (a multiple of the
 * block size, 0 included). The sentence names the block size and what llama-quantize does instead.
 *
 * @param type - a type {@link quantizeGgml} writes (upper case)
 * @param rowLength - values per row (the tensor's innermost dimension)
 * @returns the reason, or null
 * @example
 * ```ts
 * ggmlRowProblem('Q4_K', 300);
 * // 'row length 300 is not a multiple of 256 (Q4_K stores whole blocks of 256 values per row; llama-quantize would store this tensor as Q5_0, or F16 when rows are not whole 32-value blocks either)'
 * ggmlRowProblem('Q4_K', 4096); // null
 * ```
 * @internal
 */
export function ggmlRowProblem(type: GgmlQuantType, rowLength: number): string | null {
  const block = GGML_TYPES[type].blockSize;
  if (rowLength % block === 0) return null;
  const fb = FALLBACK[type];
  const instead =
    fb === undefined
      ? 'llama-quantize refuses such a tensor'
      : rowLength % GGML_TYPES[fb].blockSize === 0
        ? `llama-quantize would store this tensor as ${fb}`
        : `llama-quantize would store this tensor as F16 (its rows are not whole ${GGML_TYPES[fb].blockSize}-value ${fb} blocks either)`;
  return `row length ${rowLength} is not a multiple of ${block} (${type} stores whole blocks of ${block} values per row; ${instead})`;
}
