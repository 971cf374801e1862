// A small seeded pseudo-random source (xoshiro128**, Blackman & Vigna) for stochastic rounding and
// for deterministic test/benchmark data. Each call of `createRng` returns an independent generator
// whose state lives in its closure: there is no global random state in lowp.

/** A source of uniform random numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a seeded generator of uniform numbers in [0, 1) with 53 random bits each
 * (xoshiro128**, two 32-bit outputs per number). The same seed gives the same sequence on every
 * platform.
 *
 * @param seed - any integer (only its low 32 bits are used).
 * @example
 * ```ts
 * const rand = createRng(42);
 * const u = rand(); // 0 <= u < 1, the same on every run
 * ```
 */
export function createRng(seed: number): RandomSource {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new TypeError(`createRng: expected a finite number as seed, got ${String(seed)}`);
  }
  const init = splitmix32(Math.trunc(seed));
  let a = init(), b = init(), c = init(), d = init();
  if ((a | b | c | d) === 0) a = 1;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
    return result;
  };
  // 21 high bits of one output and 32 of the next: a uniform multiple of 2^-53 in [0, 1)
  return () => ((next() >>> 11) * 4294967296 + next()) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
