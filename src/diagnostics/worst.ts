// The k worst elements of a cast, kept in a bounded min-heap while the data streams past: O(log k)
// per insertion, no allocation per element. "Worst" is the largest relative error |x − r| / |x|, where
// an overflow (a finite x that becomes ±inf, NaN, or is saturated) counts as +Infinity and a flush to
// zero as 1; equal errors keep the element with the lower index.

/**
 * One element of the worst list.
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([1, 1e-9]), 'fp16').worst[0]; // { index: 1, value: 1e-9, result: 0, absError: 1e-9, relError: 1 }
 * ```
 */
export interface WorstElement {
  /** Position in the input (across all chunks of a streaming analysis). */
  index: number;
  /** The input value. */
  value: number;
  /** What the cast made of it. */
  result: number;
  /** |value − result| (Infinity for overflow). */
  absError: number;
  /** |value − result| / |value| (Infinity for overflow, 1 for a flush to zero). */
  relError: number;
}

/** Bounded heap of the k elements with the largest keys (ties: the lower index wins). */
export class WorstHeap {
  readonly k: number;
  size = 0;
  private readonly keys: Float64Array;
  private readonly idx: Float64Array;
  private readonly val: Float64Array;
  private readonly res: Float64Array;

  constructor(k: number) {
    this.k = k;
    this.keys = new Float64Array(k);
    this.idx = new Float64Array(k);
    this.val = new Float64Array(k);
    this.res = new Float64Array(k);
  }

  /** Keys must exceed this to enter (0 while the heap is not full: exact elements never enter). */
  threshold(): number {
    return this.size < this.k ? 0 : this.keys[0];
  }

  // a is "less" (evicted first) than b when its key is smaller, or equal with a larger index
  private less(i: number, j: number): boolean {
    const ki = this.keys[i], kj = this.keys[j];
    return ki < kj || (ki === kj && this.idx[i] > this.idx[j]);
  }

  private swap(i: number, j: number): void {
    const { keys, idx, val, res } = this;
    let t = keys[i]; keys[i] = keys[j]; keys[j] = t;
    t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    t = val[i]; val[i] = val[j]; val[j] = t;
    t = res[i]; res[i] = res[j]; res[j] = t;
  }

  /** Offers an element; callers check `key > threshold()` first (cheap rejection in hot loops). */
  push(key: number, index: number, value: number, result: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      this.keys[i] = key; this.idx[i] = index; this.val[i] = value; this.res[i] = result;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    // full: replace the root when the new element is "greater"
    if (key < this.keys[0] || (key === this.keys[0] && index > this.idx[0])) return;
    this.keys[0] = key; this.idx[0] = index; this.val[0] = value; this.res[0] = result;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.size && this.less(l, m)) m = l;
      if (r < this.size && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** The elements, worst first (ties: lower index first). */
  sorted(): WorstElement[] {
    const out: WorstElement[] = [];
    for (let i = 0; i < this.size; i++) {
      const value = this.val[i], result = this.res[i], key = this.keys[i];
      const absError = key === Infinity ? Infinity : Math.abs(value - result);
      out.push({ index: this.idx[i], value, result, absError, relError: key });
    }
    out.sort((a, b) => (b.relError - a.relError) || (a.index - b.index) || 0);
    return out;
  }
}
