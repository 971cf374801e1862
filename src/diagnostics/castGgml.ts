// ggml blocks as the input of a cast analysis (CastAnalyzer.addGgml): the arguments checked, the type
// resolved, and, for the types with a fused WebAssembly kernel (src/wasm/kernels-analyze-ggml.ts:
// Q8_0, Q4_K), the dequantized values of one worst-list group on demand, for the analyzer's rescan.
// The values are lowp/quant's dequantizeGgml's (bit for bit ggml's dequantize_row_*), which is also
// what the analysis of the other types runs on.
import { describeValue } from '../core/describe.js';
import { dequantizeGgmlInto, resolveGgmlType } from '../quant/ggml/dequantize.js';
import type { GgmlTypeInfo } from '../quant/ggml/types.js';
import { ANALYZE_GGML_TYPES } from '../wasm/analyze.js';

/** Checked ggml input: the type, the number of values, and the fused kernel's type name, if any. */
export interface GgmlBlocks {
  /** The ggml type. */
  info: GgmlTypeInfo;
  /** Values the blocks hold. */
  count: number;
  /** 'Q8_0' or 'Q4_K' where a fused kernel analyses the blocks, else null. */
  fused: keyof typeof ANALYZE_GGML_TYPES | null;
}

/**
 * Checks `blocks` (a Uint8Array of whole blocks) and resolves `type` for `fn`.
 *
 * @throws TypeError for blocks that are not a Uint8Array or an unknown type; RangeError for a length
 *   that is not a multiple of the type's block bytes.
 */
export function resolveGgmlBlocks(blocks: unknown, type: unknown, fn: string): GgmlBlocks {
  if (!(blocks instanceof Uint8Array)) throw new TypeError(`${fn}: expected blocks as a Uint8Array of ggml blocks, got ${describeValue(blocks)}`);
  const info = resolveGgmlType(type, fn);
  if (blocks.length % info.typeSize !== 0) {
    throw new RangeError(`${fn}: expected whole ${info.name} blocks (a multiple of ${info.typeSize} bytes), got ${blocks.length} bytes`);
  }
  const fused = Object.hasOwn(ANALYZE_GGML_TYPES, info.name) ? (info.name as keyof typeof ANALYZE_GGML_TYPES) : null;
  return { info, count: (blocks.length / info.typeSize) * info.blockSize, fused };
}

/**
 * A reader of the dequantized values [start, end) of `blocks` (start a multiple of the block size,
 * end − start at most `max`), into one recycled array (valid until the next call).
 */
export function groupReader(blocks: Uint8Array, info: GgmlTypeInfo, max: number): (start: number, end: number) => Float32Array {
  const out = new Float32Array(Math.ceil(max / info.blockSize) * info.blockSize);
  return (start, end) => {
    const b0 = start / info.blockSize;
    const nb = Math.ceil((end - start) / info.blockSize);
    dequantizeGgmlInto(blocks, b0 * info.typeSize, info, nb * info.blockSize, out);
    return out.subarray(0, end - start);
  };
}
