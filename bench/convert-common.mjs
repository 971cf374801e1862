// Shared pieces of bench/convert*.mjs (a helper module, not a benchmark): the option reader, seeded
// test data, the timer, and the "straightforward" peers: plain, obviously-written bit-twiddling
// loops (round to nearest even) and a table-driven fp16 decode, the baselines the issue names.

/** Command-line option value (`--name value`), or the default. */
export function option(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}

/**
 * Seeded float32 test data of n values.
 * - 'normal': Gaussian, mean 0, standard deviation 1 (weights/activations; almost all in fp16's normal
 *   range, a few fp16 subnormals);
 * - 'range': wide-range magnitudes, (u − 0.5) · 2^k with u uniform in [0, 1) and k uniform in −20…19
 *   (as bench/convert-wasm.mjs): about a fifth of the values are fp16 subnormals, a tenth overflow fp16;
 * - 'wide': uniformly random float32 bit patterns (every exponent: fp16 overflow, underflow, subnormals,
 *   NaN; the worst case for branchy code).
 */
export function makeData(n, kind = 'normal', seed = 20240601) {
  let s = seed >>> 0;
  const next = () => {
    // xorshift32
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  const f32 = new Float32Array(n);
  if (kind === 'wide') {
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < n; i++) u32[i] = next();
    return f32;
  }
  if (kind === 'range') {
    for (let i = 0; i < n; i++) f32[i] = (next() / 4294967296 - 0.5) * 2 ** ((next() % 40) - 20);
    return f32;
  }
  if (kind !== 'normal') throw new Error(`unknown data kind '${kind}' (normal | range | wide)`);
  for (let i = 0; i < n; i += 2) {
    const u1 = (next() + 1) / 4294967297;
    const u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    f32[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) f32[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return f32;
}

/**
 * Times fn (one call converts n values): one warm-up call, then `reps` timed calls; returns the median
 * rate in millions of values per second and the individual rates.
 */
export function measure(fn, n, reps) {
  fn();
  const rates = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    const ms = performance.now() - t;
    rates.push(n / ms / 1e3);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { mps: median, rates };
}

/**
 * Times several conversions in interleaved rounds: one warm-up call of each, then `reps` rounds that
 * time each in turn, so that every round compares them under the same conditions (the machine's load
 * changes between rounds; a ratio taken within a round changes less). `cases` maps a name to [fn, n]
 * (one call converts n values); a timed sample calls fn enough times to convert at least 2^22 values
 * (once for large arrays), so that short calls are not lost in the timer's resolution. Returns, per
 * name, the median rate in millions of values per second and the rate of every round (aligned by round
 * across names).
 */
export function measureRounds(cases, reps) {
  const entries = Object.entries(cases);
  for (const [, [fn]] of entries) fn();
  const rates = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let r = 0; r < reps; r++) {
    for (const [name, [fn, n]] of entries) {
      const calls = Math.max(1, Math.ceil(2 ** 22 / n));
      const t = performance.now();
      for (let c = 0; c < calls; c++) fn();
      rates[name].push((n * calls) / (performance.now() - t) / 1e3);
    }
  }
  return Object.fromEntries(entries.map(([name]) => [name, { mps: median(rates[name]), rates: rates[name] }]));
}

/** Median of numbers (mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Per-round ratios a[r] / b[r] of two aligned rate lists: median, min and max; and `best`, the ratio of
 * the two best rounds (on a shared machine a slow round is one the scheduler or a neighbour's memory
 * traffic interrupted, so the best rates are each conversion's least disturbed speed).
 */
export function roundRatios(a, b) {
  const r = a.map((x, i) => x / b[i]);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r), best: Math.max(...a) / Math.max(...b), rounds: r.length };
}

// ---- straightforward peers: what one writes first, correct but not tuned ----------------------------

/** float32 bits -> fp16 codes, round to nearest even, written the obvious way. */
export function straightF32ToF16(src32, out16) {
  const n = src32.length;
  for (let i = 0; i < n; i++) {
    const x = src32[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    let h;
    if (exp === 0xff) {
      h = sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // inf or (quiet) NaN
    } else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) {
        h = sign | 0x7c00; // overflow
      } else if (e <= 0) {
        if (e < -10) {
          h = sign; // below half the smallest subnormal
        } else {
          const m = mant | 0x800000;
          const shift = 14 - e;
          let hm = m >>> shift;
          const rem = m & ((1 << shift) - 1);
          const half = 1 << (shift - 1);
          if (rem > half || (rem === half && (hm & 1) !== 0)) hm++;
          h = sign | hm;
        }
      } else {
        const rem = mant & 0x1fff;
        h = sign | (e << 10) | (mant >>> 13);
        if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry may reach infinity: correct
      }
    }
    out16[i] = h;
  }
}

/** fp16 codes -> float32 bits, written the obvious way. */
export function straightF16ToF32(in16, out32) {
  const n = in16.length;
  for (let i = 0; i < n; i++) {
    const h = in16[i];
    const sign = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    let u;
    if (e === 0) {
      if (m === 0) u = sign;
      else {
        let ee = 113;
        let mm = m;
        while ((mm & 0x400) === 0) { mm <<= 1; ee--; }
        u = sign | (ee << 23) | ((mm & 0x3ff) << 13);
      }
    } else if (e === 0x1f) {
      u = sign | 0x7f800000 | (m << 13);
    } else {
      u = sign | ((e + 112) << 23) | (m << 13);
    }
    out32[i] = u;
  }
}

/** A 65,536-entry fp16 -> float32-bits table (built from the straightforward decoder). */
export function fp16Table() {
  const codes = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) codes[c] = c;
  const t = new Uint32Array(65536);
  straightF16ToF32(codes, t);
  return t;
}

/** fp16 codes -> float32 bits by table lookup. */
export function tableF16ToF32(table, in16, out32) {
  const n = in16.length;
  for (let i = 0; i < n; i++) out32[i] = table[in16[i]];
}

/** float32 bits -> bf16 codes, round to nearest even, NaN kept quiet. */
export function straightF32ToBf16(src32, out16) {
  const n = src32.length;
  for (let i = 0; i < n; i++) {
    const x = src32[i];
    if ((x & 0x7fffffff) > 0x7f800000) out16[i] = (x >>> 16) | 0x40;
    else out16[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

/** bf16 codes -> float32 bits. */
export function straightBf16ToF32(in16, out32) {
  const n = in16.length;
  for (let i = 0; i < n; i++) out32[i] = in16[i] << 16;
}

/** Number of positions where two code arrays differ, NaN codes of the format counting as equal. */
export function mismatches(a, b, isNan) {
  let bad = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(isNan(a[i]) && isNan(b[i]))) bad++;
  return bad;
}

export const isNanFp16 = (h) => (h & 0x7fff) > 0x7c00;
export const isNanBf16 = (h) => (h & 0x7fff) > 0x7f80;
export const isNanF32Bits = (u) => (u & 0x7fffffff) > 0x7f800000;

/** Formats a rate for tables: "1,234". */
export function fmt(mps) {
  return mps === undefined || mps === null ? '—' : Math.round(mps).toLocaleString('en-US');
}
