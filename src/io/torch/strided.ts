// Reading a strided view of a storage (a transposed weight, a column slice, an expanded tensor) as the
// contiguous row-major elements it describes, in bounded memory: the requested run of output elements is
// cut into at most 2·ndim boxes; each box is walked in the storage's own order (dimensions sorted by
// stride) as lines of equally spaced elements; lines whose storage ranges lie close together are read
// with one read of at most `windowBytes`, lines far apart with reads of their own, and every element is
// copied to its output position. A whole-tensor read thus reads each needed storage byte about once;
// a chunk of a transposed tensor reads only the bytes it needs. `gatherStridedSlow` is the obviously
// correct twin (one read per element) that the tests compare against.
// Reference: torch's view semantics (element i of a view is storage[offset + Σ index_d · stride_d]).

/** A view of a storage: sizes and strides in elements, the first element, and the element size in bytes. */
export interface StridedView {
  /** Sizes, row-major. */
  readonly shape: readonly number[];
  /** Strides in elements (non-negative; 0 repeats an element). */
  readonly strides: readonly number[];
  /** Offset of element [0, 0, ...] in the storage, in elements. */
  readonly offset: number;
  /** Bytes per element. */
  readonly elementSize: number;
}

/** Reads `target.length` bytes of the storage starting at its byte `byteOffset`. */
export type ReadStorage = (byteOffset: number, target: Uint8Array) => Promise<void>;

/** Tuning of {@link gatherStrided} (defaults suit files on disk). */
export interface GatherOptions {
  /** Largest single read and the buffer it lands in. Default 4 MiB. */
  windowBytes?: number;
  /** Bytes between two lines that are read through rather than skipped: at most max(gapBytes, a line's bytes). Default 4 KiB. */
  gapBytes?: number;
}

/** Default {@link GatherOptions.windowBytes}. */
export const DEFAULT_WINDOW_BYTES = 4 << 20;

/**
 * Whether a view's elements lie in row-major order one after another in its storage (dimensions of
 * size 1 may have any stride; a view without elements is contiguous).
 *
 * @example
 * ```ts
 * isContiguous([2, 3], [3, 1]); // true
 * isContiguous([3, 2], [1, 3]); // false (a transpose)
 * ```
 */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  if (shape.some((s) => s === 0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Row-major suffix products: suffix[d] = shape[d] · shape[d+1] · ...; suffix[ndim] = 1. */
function suffixProducts(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length + 1);
  s[shape.length] = 1;
  for (let d = shape.length - 1; d >= 0; d--) s[d] = s[d + 1] * shape[d];
  return s;
}

/** A box of output elements: per dimension its first index and extent, and its first element's output position. */
interface Box {
  lo: number[];
  ext: number[];
  out: number;
}

/** Cuts the row-major run [first, first + count) of `shape` into boxes (at most 2·ndim). */
function boxesOf(shape: readonly number[], suffix: readonly number[], first: number, count: number): Box[] {
  const nd = shape.length;
  const boxes: Box[] = [];
  const end = first + count;
  let cur = first;
  while (cur < end) {
    const idx = new Array<number>(nd);
    let rem = cur;
    for (let d = 0; d < nd; d++) {
      idx[d] = Math.floor(rem / suffix[d + 1]);
      rem -= idx[d] * suffix[d + 1];
    }
    // the outermost dimension d that can vary: every dimension inside it starts at 0 and fits
    let d = 0;
    let cnt = 0;
    for (; d < nd; d++) {
      let aligned = true;
      for (let k = d + 1; k < nd; k++) if (idx[k] !== 0) aligned = false;
      if (!aligned) continue;
      cnt = Math.min(shape[d] - idx[d], Math.floor((end - cur) / suffix[d + 1]));
      if (cnt >= 1) break;
    }
    const ext = shape.map((s, k) => (k < d ? 1 : k === d ? cnt : s));
    boxes.push({ lo: idx, ext, out: cur - first });
    cur += cnt * suffix[d + 1];
  }
  return boxes;
}

/**
 * Fills `target` with the elements `first`, `first + 1`, ... (row-major order of the view) of a strided
 * view, reading the storage through `read`: at most `windowBytes` at a time, nearby lines in one read.
 * `target.length` must be a whole number of elements, all inside the view (the caller checked the view
 * lies inside its storage).
 *
 * @example
 * ```ts
 * // the transpose of a 2×3 float32 matrix stored row-major
 * const out = new Uint8Array(6 * 4);
 * await gatherStrided({ shape: [3, 2], strides: [1, 3], offset: 0, elementSize: 4 }, 0, out, (at, t) => read(at, t));
 * ```
 */
export async function gatherStrided(view: StridedView, first: number, target: Uint8Array, read: ReadStorage, options: GatherOptions = {}): Promise<void> {
  const E = view.elementSize;
  const count = target.length / E;
  if (count === 0) return;
  const W = Math.max(E, options.windowBytes ?? DEFAULT_WINDOW_BYTES);
  const gap = options.gapBytes ?? 4096;
  const shape = view.shape;
  if (shape.length === 0) {
    await read(view.offset * E, target.subarray(0, E));
    return;
  }
  const suffix = suffixProducts(shape);
  let buf = new Uint8Array(0);
  // pending lines of the current read: storage start (elements), output start (elements), length
  const pb: number[] = [];
  const po: number[] = [];
  const pm: number[] = [];
  const MAX_PENDING = 1 << 16;

  for (const box of boxesOf(shape, suffix, first, count)) {
    let base = view.offset;
    for (let k = 0; k < shape.length; k++) base += box.lo[k] * view.strides[k];
    // the box's varying dimensions, outermost in the storage first, merged where they are one run
    let dims = [];
    for (let k = 0; k < shape.length; k++) if (box.ext[k] > 1) dims.push({ ext: box.ext[k], s: view.strides[k], q: suffix[k + 1] });
    dims.sort((a, b) => b.s - a.s || b.q - a.q);
    const merged: typeof dims = [];
    for (const dim of dims) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.s === dim.s * dim.ext && last.q === dim.q * dim.ext) merged[merged.length - 1] = { ext: last.ext * dim.ext, s: dim.s, q: dim.q };
      else merged.push({ ...dim });
    }
    dims = merged;
    const inner = dims.length > 0 ? dims[dims.length - 1] : { ext: 1, s: 1, q: 1 };
    const outer = dims.slice(0, -1);
    const s = inner.s;
    const q = inner.q;
    // a line may not span more than the window: split long ones
    const perLine = s === 0 ? inner.ext : Math.max(1, Math.min(inner.ext, Math.floor((W / E - 1) / s) + 1));
    const lineBytes = ((perLine - 1) * s + 1) * E;
    const near = Math.max(gap, lineBytes) / E;

    let rs = 0;
    let re = 0;
    const flush = async (): Promise<void> => {
      if (pb.length === 0) return;
      const bytes = (re - rs) * E;
      if (buf.length < bytes) buf = new Uint8Array(Math.min(W, Math.max(bytes, buf.length * 2)));
      const win = buf.subarray(0, bytes);
      await read(rs * E, win);
      for (let j = 0; j < pb.length; j++) {
        const src = (pb[j] - rs) * E;
        const dst = po[j] * E;
        const m = pm[j];
        if (s === 1 && q === 1) {
          target.set(win.subarray(src, src + m * E), dst);
          continue;
        }
        for (let k = 0, a = src, b = dst; k < m; k++, a += s * E, b += q * E) {
          for (let x = 0; x < E; x++) target[b + x] = win[a + x];
        }
      }
      pb.length = 0;
      po.length = 0;
      pm.length = 0;
    };
    // odometer over the outer dimensions
    const idx = new Array<number>(outer.length).fill(0);
    let sb = base;
    let so = box.out;
    for (;;) {
      for (let k = 0; k < inner.ext; k += perLine) {
        const b = sb + k * s;
        const m = Math.min(perLine, inner.ext - k);
        const e = b + (m - 1) * s + 1;
        // joins the current read when it starts inside or shortly after it and keeps it within the window
        if (pb.length > 0 && pb.length < MAX_PENDING && b >= rs && (e - rs) * E <= W && b - re <= near) {
          re = Math.max(re, e);
        } else {
          if (pb.length > 0) await flush();
          rs = b;
          re = e;
        }
        pb.push(b);
        po.push(so + k * q);
        pm.push(m);
      }
      let d = outer.length - 1;
      for (; d >= 0; d--) {
        idx[d]++;
        sb += outer[d].s;
        so += outer[d].q;
        if (idx[d] < outer[d].ext) break;
        sb -= outer[d].s * outer[d].ext;
        so -= outer[d].q * outer[d].ext;
        idx[d] = 0;
      }
      if (d < 0) break;
    }
    await flush();
  }
}

/**
 * The obviously correct twin of {@link gatherStrided}: one read per element, at the storage position
 * the view's definition gives. Only for tests and tiny tensors.
 *
 * @example
 * ```ts
 * await gatherStridedSlow({ shape: [3, 2], strides: [1, 3], offset: 0, elementSize: 4 }, 0, out, read);
 * ```
 */
export async function gatherStridedSlow(view: StridedView, first: number, target: Uint8Array, read: ReadStorage): Promise<void> {
  const E = view.elementSize;
  const count = target.length / E;
  const one = new Uint8Array(E);
  for (let i = 0; i < count; i++) {
    let rem = first + i;
    let at = view.offset;
    for (let d = view.shape.length - 1; d >= 0; d--) {
      const size = view.shape[d];
      at += (rem % size) * view.strides[d];
      rem = Math.floor(rem / size);
    }
    await read(at * E, one);
    target.set(one, i * E);
  }
}
