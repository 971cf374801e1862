// Strided views (src/io/torch/strided.ts): gatherStrided against its element-by-element twin on random
// shapes, strides (0 and overlapping included), offsets, sub-ranges, element sizes and window sizes; every
// read stays inside the storage and within the window; a whole-tensor read of a transpose reads each
// storage byte once; a chunk of a transpose reads only what it needs. Plus isContiguous against its
// definition.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherStrided, gatherStridedSlow, isContiguous, type StridedView } from '../../src/io/torch/strided.js';

/** A storage of `n` bytes (byte i = a hash of i) and a reader over it that records every read. */
function storage(n: number) {
  const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 8) * 7 + 17) & 0xff);
  const reads: Array<[number, number]> = [];
  const read = async (at: number, target: Uint8Array): Promise<void> => {
    if (at < 0 || at + target.length > n) throw new Error(`read [${at}, ${at + target.length}) outside a storage of ${n} bytes`);
    reads.push([at, target.length]);
    target.set(bytes.subarray(at, at + target.length));
  };
  return { bytes, reads, read };
}

const viewArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
    elementSize: fc.constantFrom(1, 2, 4, 8),
    offset: fc.nat({ max: 20 }),
    extra: fc.nat({ max: 9 }),
    strideKind: fc.constantFrom('contiguous', 'permuted', 'random'),
    seed: fc.array(fc.nat({ max: 7 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ shape, elementSize, offset, extra, strideKind, seed }) => {
    let strides: number[];
    if (strideKind === 'random') strides = shape.map((_, i) => seed[i]);
    else {
      // row-major strides of a permutation of the dimensions (a transpose), or of the shape itself
      const order = shape.map((_, i) => i);
      if (strideKind === 'permuted') order.sort((a, b) => seed[a] - seed[b] || a - b);
      strides = new Array(shape.length).fill(0);
      let acc = 1;
      for (let k = order.length - 1; k >= 0; k--) {
        strides[order[k]] = acc;
        acc *= Math.max(1, shape[order[k]]);
      }
    }
    const elements = shape.reduce((a, b) => a * b, 1);
    const reach = elements === 0 ? 0 : shape.reduce((a, s, i) => a + (s - 1) * strides[i], 0) + 1;
    const view: StridedView = { shape, strides, offset, elementSize };
    return { view, elements, storageBytes: (offset + reach + extra) * elementSize };
  });

describe('gatherStrided agrees with the element-by-element twin', () => {
  it('random views, sub-ranges, window and gap sizes: the same bytes; reads inside the storage and the window', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 8, 4096), async ({ view, elements, storageBytes }, a, b, windowElems, gap) => {
        if (elements === 0) return;
        const first = a % elements;
        const count = 1 + (b % (elements - first));
        const s = storage(storageBytes);
        const fast = new Uint8Array(count * view.elementSize);
        const windowBytes = windowElems * view.elementSize;
        await gatherStrided(view, first, fast, s.read, { windowBytes, gapBytes: gap });
        for (const [, len] of s.reads) expect(len).toBeLessThanOrEqual(windowBytes);
        const slow = new Uint8Array(count * view.elementSize);
        await gatherStridedSlow(view, first, slow, storage(storageBytes).read);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 600 },
    );
  });

  it('the twin is the definition: element i of a [2, 3] transpose of a [3, 2] matrix', async () => {
    const s = storage(6);
    const out = new Uint8Array(6);
    await gatherStridedSlow({ shape: [2, 3], strides: [1, 2], offset: 0, elementSize: 1 }, 0, out, s.read);
    const m = s.bytes;
    expect([...out]).toEqual([m[0], m[2], m[4], m[1], m[3], m[5]]);
  });
});

describe('gatherStrided reads what it needs, in bounded pieces', () => {
  it('a whole transposed 64×48 float32 matrix: each storage byte read once, in reads of at most the window', async () => {
    const s = storage(64 * 48 * 4);
    const out = new Uint8Array(64 * 48 * 4);
    await gatherStrided({ shape: [48, 64], strides: [1, 48], offset: 0, elementSize: 4 }, 0, out, s.read, { windowBytes: 1024 });
    expect(s.reads.reduce((acc, [, n]) => acc + n, 0)).toBe(64 * 48 * 4);
    expect(Math.max(...s.reads.map(([, n]) => n))).toBeLessThanOrEqual(1024);
  });

  it('a chunk of 4 rows of a transposed 256×256 int8 matrix reads 4 bytes per storage row, not the whole storage', async () => {
    const s = storage(256 * 256);
    const out = new Uint8Array(4 * 256);
    await gatherStrided({ shape: [256, 256], strides: [1, 256], offset: 0, elementSize: 1 }, 8 * 256, out, s.read, { gapBytes: 16 });
    const total = s.reads.reduce((acc, [, n]) => acc + n, 0);
    expect(total).toBe(4 * 256);
    const slow = new Uint8Array(4 * 256);
    await gatherStridedSlow({ shape: [256, 256], strides: [1, 256], offset: 0, elementSize: 1 }, 8 * 256, slow, storage(256 * 256).read);
    expect(out).toEqual(slow);
  });

  it('a column slice (every other pair of a row) is coalesced into few reads', async () => {
    const s = storage(100 * 8 * 4);
    const out = new Uint8Array(100 * 2 * 4);
    await gatherStrided({ shape: [100, 2], strides: [8, 1], offset: 3, elementSize: 4 }, 0, out, s.read);
    expect(s.reads.length).toBe(1);
  });

  it('a stride-0 expand of one element reads that element once', async () => {
    const s = storage(8);
    const out = new Uint8Array(1000 * 4 * 2);
    await gatherStrided({ shape: [1000, 4], strides: [0, 0], offset: 1, elementSize: 2 }, 0, out, s.read);
    expect(s.reads).toEqual([[2, 2]]);
    for (let i = 0; i < out.length; i += 2) expect([out[i], out[i + 1]]).toEqual([s.bytes[2], s.bytes[3]]);
  });
});

describe('isContiguous', () => {
  it('is true exactly when every element lies at its row-major position', () => {
    fc.assert(
      fc.property(viewArb, ({ view, elements }) => {
        let definition = true;
        const suffix: number[] = [];
        let acc = 1;
        for (let d = view.shape.length - 1; d >= 0; d--) {
          suffix[d] = acc;
          acc *= view.shape[d];
        }
        for (let i = 0; i < elements; i++) {
          let rem = i;
          let at = 0;
          for (let d = 0; d < view.shape.length; d++) {
            at += Math.floor(rem / suffix[d]) * view.strides[d];
            rem %= suffix[d];
          }
          if (at !== i) definition = false;
        }
        expect(isContiguous(view.shape, view.strides)).toBe(definition);
      }),
      { numRuns: 500 },
    );
  });
});
