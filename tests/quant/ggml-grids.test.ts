// The lookup tables of ggml's dequantizers (src/quant/ggml/tables.ts, iq-grids.ts). The grids are data
// copied from ggml-common.h by scripts/make-ggml-grids.mjs; here: the decoded bytes hash to what the
// generator recorded from the header, have the shape and value sets the i-quants rely on (distinct
// entries of values from a few levels), and the derived tables equal their definitions. That each grid
// entry is the one ggml reads is proven by tests/quant/ggml-dequant-vectors.test.ts, whose C-made
// vectors index every entry of every grid.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/formats/index.js';
import { decodeGrid, GRID_SOURCES, gridBytes, KSIGNS_IQ2XS, KVALUES_IQ4NL, KVALUES_MXFP4, type GridName } from '../../src/quant/ggml/tables.js';

const SHAPES: Record<GridName, { entries: number; width: number; values: number[] }> = {
  iq2xxs_grid: { entries: 256, width: 8, values: [8, 25, 43] },
  iq2xs_grid: { entries: 512, width: 8, values: [8, 25, 43] },
  iq2s_grid: { entries: 1024, width: 8, values: [8, 25, 43] },
  iq3xxs_grid: { entries: 256, width: 4, values: [4, 12, 20, 28, 36, 44, 52, 62] },
  iq3s_grid: { entries: 512, width: 4, values: [1, 3, 5, 7, 9, 11, 13, 15] },
  iq1s_grid: { entries: 2048, width: 8, values: [0, 1, 255] },
};

describe('i-quant grids', () => {
  for (const name of Object.keys(SHAPES) as GridName[]) {
    describe(name, () => {
      const src = GRID_SOURCES[name];
      const g = gridBytes(name);
      it('decodes to the bytes whose SHA-256 the generator recorded from ggml-common.h', () => {
        expect(createHash('sha256').update(g).digest('hex')).toBe(src.sha256);
      });
      it('has the declared number of entries and width', () => {
        expect(src.ggmlName).toBe(name);
        expect(src.entries).toBe(SHAPES[name].entries);
        expect(src.width).toBe(SHAPES[name].width);
        expect(g.length).toBe(src.entries * src.width);
      });
      it('holds only the levels of its type, each level used', () => {
        expect([...new Set(g)].sort((a, b) => a - b)).toEqual(SHAPES[name].values);
      });
      it('has distinct entries (a lattice codebook, no repeated point)', () => {
        const seen = new Set<string>();
        for (let i = 0; i < src.entries; i++) seen.add(g.subarray(i * src.width, (i + 1) * src.width).join(','));
        expect(seen.size).toBe(src.entries);
      });
      it('is decoded once and reused', () => {
        expect(gridBytes(name)).toBe(g);
      });
    });
  }

  it('reads an entry least significant byte first (ggml reads the uint64 as bytes on a little-endian host)', () => {
    // iq2xxs_grid[1] is 0x080808080808082b in ggml-common.h: its first value is 0x2b
    expect([...gridBytes('iq2xxs_grid').subarray(8, 16)]).toEqual([0x2b, 8, 8, 8, 8, 8, 8, 8]);
    // iq1s_grid[1] is 0xffffffffffffff01: values 1, -1, -1, ... as int8
    expect([...new Int8Array(gridBytes('iq1s_grid').buffer, 8, 8)]).toEqual([1, -1, -1, -1, -1, -1, -1, -1]);
  });

  it('refuses a malformed generated table (wrong count, wrong width)', () => {
    expect(() => decodeGrid({ ...GRID_SOURCES.iq3s_grid, entries: 511 })).toThrow(/entries/);
    expect(() => decodeGrid({ ...GRID_SOURCES.iq3s_grid, hex: GRID_SOURCES.iq3s_grid.hex.replace('01010101', '0101010101') })).toThrow(/hex digits/);
  });
});

describe('derived tables', () => {
  it('ksigns_iq2xs: the 7 stored sign bits plus a parity bit that makes the number of negative signs even', () => {
    expect(KSIGNS_IQ2XS.length).toBe(128);
    for (let i = 0; i < 128; i++) {
      const s = KSIGNS_IQ2XS[i];
      expect(s & 127).toBe(i);
      let bits = 0;
      for (let v = s; v; v >>= 1) bits += v & 1;
      expect(bits % 2).toBe(0);
    }
    // the first row of ggml-common.h's table
    expect([...KSIGNS_IQ2XS.subarray(0, 8)]).toEqual([0, 129, 130, 3, 132, 5, 6, 135]);
  });

  it('kvalues_mxfp4: twice the fp4 e2m1 value of each code (lowp/formats decodes e2m1), -0 as 0', () => {
    for (let c = 0; c < 16; c++) expect(KVALUES_MXFP4[c]).toBe(2 * decode(c, 'fp4-e2m1fn') + 0);
  });

  it('kvalues_iq4nl: 16 increasing int8 levels from -127 to 113', () => {
    expect(KVALUES_IQ4NL.length).toBe(16);
    for (let i = 1; i < 16; i++) expect(KVALUES_IQ4NL[i]).toBeGreaterThan(KVALUES_IQ4NL[i - 1]);
    expect([KVALUES_IQ4NL[0], KVALUES_IQ4NL[15]]).toEqual([-127, 113]);
  });
});
