// The small tables ggml's dequantizers read (ggml-org/ggml d99724f2, src/ggml-common.h): the i-quant
// lattices, decoded once from the generated hex of iq-grids.ts into little-endian bytes (entry i of a
// grid with w bytes per entry is bytes [i·w, i·w + w): its values, first coordinate first), the sign
// patterns of IQ2/IQ3 (derived, not copied: see KSIGNS_IQ2XS) and the two 16-entry codebooks.
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID, type GridSource } from './iq-grids.js';

/** The i-quant grids by ggml's table name. */
export const GRID_SOURCES = {
  iq2xxs_grid: IQ2XXS_GRID,
  iq2xs_grid: IQ2XS_GRID,
  iq2s_grid: IQ2S_GRID,
  iq3xxs_grid: IQ3XXS_GRID,
  iq3s_grid: IQ3S_GRID,
  iq1s_grid: IQ1S_GRID,
} as const;

/** ggml's name of an i-quant grid. */
export type GridName = keyof typeof GRID_SOURCES;

/** The little-endian bytes of a generated grid (entries × width bytes). */
export function decodeGrid(src: GridSource): Uint8Array {
  const words = src.hex.trim().split(/\s+/);
  if (words.length !== src.entries) throw new Error(`${src.ggmlName}: ${words.length} entries, expected ${src.entries}`);
  const w = src.width;
  const out = new Uint8Array(src.entries * w);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word.length !== 2 * w) throw new Error(`${src.ggmlName}[${i}]: expected ${2 * w} hex digits, got ${word}`);
    // the word is most significant byte first; byte b of the entry is digits [2(w-1-b), 2(w-b))
    for (let b = 0; b < w; b++) out[i * w + b] = parseInt(word.slice(2 * (w - 1 - b), 2 * (w - b)), 16);
  }
  return out;
}

const decoded = new Map<GridName, Uint8Array>();

/** A grid's bytes, decoded on first use (the same array afterwards: callers must not write to it). */
export function gridBytes(name: GridName): Uint8Array {
  let g = decoded.get(name);
  if (g === undefined) {
    g = decodeGrid(GRID_SOURCES[name]);
    decoded.set(name, g);
  }
  return g;
}

/**
 * ggml's `ksigns_iq2xs`: for 7 stored sign bits i, the 8 signs of a group of 8 values with the eighth
 * sign chosen so that the number of negative values is even (i plus 0x80 when i has an odd number of
 * set bits). IQ2_XXS, IQ2_XS and IQ3_XXS store the 7 bits; bit j set means value j is negated.
 */
export const KSIGNS_IQ2XS: Uint8Array = /* @__PURE__ */ (() => {
  const t = new Uint8Array(128);
  for (let i = 0; i < 128; i++) {
    let bits = 0;
    for (let v = i; v !== 0; v &= v - 1) bits++;
    t[i] = i | ((bits & 1) << 7);
  }
  return t;
})();

/** ggml's `kvalues_iq4nl`: the 16 levels of IQ4_NL and IQ4_XS (a non-uniform 4-bit codebook, int8). */
export const KVALUES_IQ4NL: Int8Array = /* @__PURE__ */ Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/**
 * ggml's `kvalues_mxfp4`: the 16 fp4 e2m1 values doubled (so they are integers): code c is
 * 2·e2m1(c), c = 8 (−0) giving 0. MXFP4 and NVFP4 halve their scales to compensate.
 */
export const KVALUES_MXFP4: Int8Array = /* @__PURE__ */ Int8Array.of(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
