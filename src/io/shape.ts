// The element count of a tensor shape given to a writer (safetensors, GGUF): checked as the readers
// check the shapes they read, with messages that name the tensor.
import { describeValue } from '../core/describe.js';

/**
 * The number of elements of `shape`, the shape of the tensor `name` handed to a writer.
 *
 * @throws TypeError when `shape` is not an array; RangeError when a dimension is not a non-negative
 *   safe integer or the product exceeds 2^53 - 1.
 * @internal
 */
export function shapeElements(name: string, shape: unknown): number {
  if (!Array.isArray(shape)) throw new TypeError(`expected the shape of tensor '${name}' to be an array, got ${describeValue(shape)}`);
  let elements = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`expected the shape of tensor '${name}' to hold non-negative integers, got ${describeValue(d)}`);
    }
    if (elements !== 0 && d > Number.MAX_SAFE_INTEGER / elements) throw new RangeError(`expected the element count of tensor '${name}' to be at most 2^53 - 1, got shape [${shape.join(', ')}]`);
    elements *= d;
  }
  return elements;
}
