// Transposes a dense row-major rows × cols matrix into a new one of the same array type (cols × rows).
// The operand layouts of the TypeScript kernels differ (A·B wants B row-major, A·Wᵀ wants W's rows), so
// each kernel transposes the operand it receives in the other layout once, up front.

/** Any typed array with a length constructor. */
type Dense = Float32Array | Float64Array | Int8Array;

/**
 * `src` (rows × cols, row-major) transposed into a new array of the same type.
 *
 * @internal
 */
export function transposed<T extends Dense>(src: T, rows: number, cols: number): T {
  const out = new (src.constructor as { new (n: number): T })(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}
