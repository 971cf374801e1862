// shapeElements (src/io/shape.ts), the shape check both writers share: the product of the dimensions
// for valid shapes (against a BigInt product), and the same refusals through writeGguf and
// writeSafetensors as from the helper itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeGguf, writeSafetensors } from '../../src/io/index.js';
import { shapeElements } from '../../src/io/shape.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** The slow twin: the exact product, or 'too many' as soon as a product before a zero passes 2^53 - 1. */
function twin(shape: number[]): bigint | 'too many' {
  let e = 1n;
  for (const d of shape) {
    if (e !== 0n && e * BigInt(d) > MAX) return 'too many';
    e *= BigInt(d);
  }
  return e;
}

describe('shapeElements', () => {
  it('is the exact product of the dimensions, or a RangeError naming the tensor once a product passes 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(8), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 6 }), (shape) => {
        const want = twin(shape);
        if (want === 'too many') expect(() => shapeElements('t', shape)).toThrow(/tensor 't'.*2\^53/);
        else expect(BigInt(shapeElements('t', shape))).toBe(want);
      }),
    );
  });

  it('refuses a non-array (TypeError) and dimensions that are not non-negative safe integers (RangeError), through both writers alike', () => {
    const bad: [unknown, ErrorConstructor][] = [
      ['3', TypeError],
      [null, TypeError],
      [[-1], RangeError],
      [[1.5], RangeError],
      [[Number.NaN], RangeError],
      [['2'], RangeError],
      [[2 ** 53], RangeError],
    ];
    for (const [shape, E] of bad) {
      expect(() => shapeElements('w', shape), String(shape)).toThrow(E);
      const msg = (() => {
        try {
          shapeElements('w', shape);
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })();
      expect(() => writeGguf({ tensors: [{ name: 'w', type: 'F32', shape: shape as number[], data: new Float32Array(0) }] })).toThrow(msg);
      expect(() => writeSafetensors({ w: { dtype: 'F32', shape: shape as number[], data: new Float32Array(0) } })).toThrow(msg);
    }
  });
});
