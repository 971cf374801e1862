// Conformance and properties of the small formats: fp8 (e4m3fn, e5m2, e4m3fnuz, e5m2fnuz), the E8M0
// scale format, fp6 (e2m3fn, e3m2fn) and fp4 (e2m1fn).
// Oracles: PyTorch/ml_dtypes casts and decode tables and the exact rational oracle (../shared/vectors,
// or the subsets in tests/fixtures), plus a slow BigInt reference written here from the format
// definitions alone (it never calls lowp's codec): every finite value of the format as an exact
// rational m·2^e, nearest chosen by comparing 2|x| with the sum of the two neighbours, ties to the
// even significand (the even code, except in E8M0: see refEncode).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { decode, decodeArray, encode, encodeArray, finfo, getFormat, round, ulp } from '../../src/formats/index.js';
import { loadVectors } from '../helpers/vectors.js';
import { add, cmp, exactAbs, minifloatValue, toNumber, type Exact } from '../helpers/exact.js';

// ---------------------------------------------------------------------------------------------------
// The BigInt reference
// ---------------------------------------------------------------------------------------------------

interface RefSpec {
  name: string;
  E: number;
  M: number;
  bias: number;
  signed: boolean;
  subnormals: boolean;
  /** 'nan' | 'inf' for the special codes, given the magnitude bits and the sign. */
  special: (mag: number, negative: boolean) => 'nan' | 'inf' | null;
  hasInf: boolean;
  hasNaN: boolean;
  /** no −0: the code 1000…0 is NaN */
  fnuz: boolean;
}

const SPECS: RefSpec[] = [
  { name: 'fp8-e4m3fn', E: 4, M: 3, bias: 7, signed: true, subnormals: true, special: (m) => (m === 0x7f ? 'nan' : null), hasInf: false, hasNaN: true, fnuz: false },
  { name: 'fp8-e5m2', E: 5, M: 2, bias: 15, signed: true, subnormals: true, special: (m) => (m >> 2 === 31 ? (m & 3 ? 'nan' : 'inf') : null), hasInf: true, hasNaN: true, fnuz: false },
  { name: 'fp8-e4m3fnuz', E: 4, M: 3, bias: 8, signed: true, subnormals: true, special: (m, neg) => (neg && m === 0 ? 'nan' : null), hasInf: false, hasNaN: true, fnuz: true },
  { name: 'fp8-e5m2fnuz', E: 5, M: 2, bias: 16, signed: true, subnormals: true, special: (m, neg) => (neg && m === 0 ? 'nan' : null), hasInf: false, hasNaN: true, fnuz: true },
  { name: 'fp8-e8m0fnu', E: 8, M: 0, bias: 127, signed: false, subnormals: false, special: (m) => (m === 0xff ? 'nan' : null), hasInf: false, hasNaN: true, fnuz: false },
  { name: 'fp6-e2m3fn', E: 2, M: 3, bias: 1, signed: true, subnormals: true, special: () => null, hasInf: false, hasNaN: false, fnuz: false },
  { name: 'fp6-e3m2fn', E: 3, M: 2, bias: 3, signed: true, subnormals: true, special: () => null, hasInf: false, hasNaN: false, fnuz: false },
  { name: 'fp4-e2m1fn', E: 2, M: 1, bias: 1, signed: true, subnormals: true, special: () => null, hasInf: false, hasNaN: false, fnuz: false },
];

function bitsOf(spec: RefSpec): number {
  return spec.E + spec.M + (spec.signed ? 1 : 0);
}
function signBitOf(spec: RefSpec): number {
  return spec.signed ? 1 << (spec.E + spec.M) : 0;
}

/** The exact value of a magnitude code (sign bit clear), from the definition. */
function magValue(spec: RefSpec, mag: number): Exact {
  return minifloatValue(mag, spec.M, spec.bias, spec.subnormals);
}

interface RefTable {
  spec: RefSpec;
  /** finite non-negative values with their magnitude codes, ascending */
  values: { v: Exact; mag: number }[];
  /** the value the next code would have with an unbounded exponent (overflow threshold partner) */
  top: Exact;
  maxMag: number;
}

const TABLES = new Map<string, RefTable>();
function table(spec: RefSpec): RefTable {
  let t = TABLES.get(spec.name);
  if (!t) {
    const values: { v: Exact; mag: number }[] = [];
    const nmag = 1 << (spec.E + spec.M);
    for (let mag = 0; mag < nmag; mag++) if (spec.special(mag, false) === null) values.push({ v: magValue(spec, mag), mag });
    for (let i = 1; i < values.length; i++) if (cmp(values[i - 1].v, values[i].v) >= 0) throw new Error('reference: values not ascending');
    const last = values[values.length - 1];
    t = { spec, values, top: { num: last.v.num + 1n, exp: last.v.exp }, maxMag: last.mag };
    TABLES.set(spec.name, t);
  }
  return t;
}

type Policy = 'inf' | 'nan' | 'saturate';
const NAN = 'NaN' as const;

/** The reference code of x (x not NaN): 'NaN' when the result is NaN (any NaN code is accepted). */
function refEncode(x: number, spec: RefSpec, mode: 'ne' | 'tz', overflow: Policy): number | typeof NAN {
  const t = table(spec);
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? signBitOf(spec) : 0;
  if (!spec.signed && neg && x !== 0) return NAN;
  const over = (): number | typeof NAN => {
    if (overflow === 'saturate') return sign + t.maxMag;
    if (overflow === 'inf') return sign + t.maxMag + 1;
    return NAN;
  };
  const zeroOr = (mag: number): number => (mag === 0 && (spec.fnuz || !spec.signed) ? 0 : sign + mag);
  if (Math.abs(x) === Infinity) return spec.hasInf ? sign + t.maxMag + 1 : over();
  const a = exactAbs(x);
  const L = t.values;
  // largest L[i] <= a
  let i = -1;
  for (let lo = 0, hi = L.length - 1; lo <= hi;) {
    const mid = (lo + hi) >> 1;
    if (cmp(L[mid].v, a) <= 0) { i = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (i < 0) return zeroOr(L[0].mag); // below the smallest value (only E8M0, which has no zero)
  if (mode === 'tz' || cmp(L[i].v, a) === 0) return zeroOr(L[i].mag);
  const upper = i + 1 < L.length ? L[i + 1].v : t.top;
  const upperMag = i + 1 < L.length ? L[i + 1].mag : t.maxMag + 1;
  const c = cmp({ num: a.num, exp: a.exp + 1 }, add(L[i].v, upper));
  // ties to even: the neighbour whose significand integer is even. With mantissa bits that is the even
  // code; E8M0 has none (every significand is the implicit 1, the upper neighbour's is 2), so its ties
  // go up to the larger power of two, as PyTorch's float8_e8m0fnu cast does (ml_dtypes instead picks
  // the even exponent; the from-f32 vectors contain no such tie).
  const pickUpper = c > 0 || (c === 0 && (spec.M === 0 || upperMag % 2 === 0));
  if (!pickUpper) return zeroOr(L[i].mag);
  if (i + 1 >= L.length) return over();
  return sign + upperMag;
}

function checkAgainstRef(x: number, spec: RefSpec, mode: 'ne' | 'tz', overflow: Policy | undefined): void {
  const f = getFormat(spec.name);
  const pol = overflow ?? f.defaultOverflow;
  const opts = { rounding: mode === 'ne' ? 'nearest-even' : 'toward-zero', overflow } as const;
  const ref = refEncode(x, spec, mode, pol);
  const got = encode(x, spec.name, opts);
  if (ref === NAN) {
    if (!Number.isNaN(decode(got, spec.name))) throw new Error(`${spec.name} ${mode} ${pol}: encode(${x}) = ${got}, expected NaN`);
  } else if (got !== ref) {
    throw new Error(`${spec.name} ${mode} ${pol}: encode(${x}) = 0x${got.toString(16)}, reference 0x${ref.toString(16)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------

function nextUp64(x: number, k: number): number {
  // k steps of one double ulp away from zero (k may be negative), for finite positive x
  const b = new Float64Array([x]);
  const u = new BigInt64Array(b.buffer);
  u[0] += BigInt(k);
  return b[0];
}
function nextUp32(x: number, k: number): number {
  const b = new Float32Array([x]);
  const u = new Int32Array(b.buffer);
  u[0] += k;
  return b[0];
}

/** Exact midpoints between neighbours (and the overflow midpoint), nudged by ±1/±2 double or float32 ulps. */
function tieArb(spec: RefSpec): fc.Arbitrary<number> {
  const t = table(spec);
  const n = t.values.length;
  return fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom(0, 0, 1, -1, 2, -2), fc.boolean(), fc.boolean(), fc.boolean()).map(([i, k, f32, negative, rel]) => {
    const lo = toNumber(t.values[i].v);
    const hi = i + 1 < n ? toNumber(t.values[i + 1].v) : toNumber(t.top);
    let m = (lo + hi) / 2;
    if (k !== 0) {
      if (rel) m = m * (1 + k * 2 ** -30);
      else m = f32 ? nextUp32(m, k) : nextUp64(m, k);
    } else if (f32) m = Math.fround(m);
    return negative && spec.signed ? -m : m;
  });
}

function specialArb(spec: RefSpec): fc.Arbitrary<number> {
  const fi = finfo(spec.name);
  return fc.oneof(
    fc.double({ min: 0, max: 2 * fi.smallestNormal, noNaN: true }), // subnormal range
    fc.double({ min: fi.max * 0.75, max: fi.max * 1.5, noNaN: true }), // around the overflow threshold
    fc.double({ min: 1e30, max: 1e308, noNaN: true }), // huge
    fc.double({ min: 1e-320, max: 1e-30, noNaN: true }), // tiny
    fc.constantFrom(0, -0, Infinity, -Infinity, fi.max, -fi.max, fi.smallestSubnormal / 2),
  ).chain((v) => (spec.signed ? fc.constantFrom(v, -v) : fc.constant(v)));
}

const RUNS = 250;

// ---------------------------------------------------------------------------------------------------
// Oracles: PyTorch / ml_dtypes / exact oracle vectors
// ---------------------------------------------------------------------------------------------------

const FROM_F32: [string, string][] = [
  ['fp8_e4m3fn_torch', 'fp8-e4m3fn'], ['fp8_e5m2_torch', 'fp8-e5m2'], ['fp8_e8m0fnu_mldtypes', 'fp8-e8m0fnu'],
  ['fp6_e2m3fn_mldtypes', 'fp6-e2m3fn'], ['fp6_e3m2fn_mldtypes', 'fp6-e3m2fn'], ['fp4_e2m1fn_mldtypes', 'fp4-e2m1fn'],
];

describe('small formats agree with PyTorch / ml_dtypes on from-f32 (vectors)', () => {
  const v = loadVectors('from-f32');
  const bits = v.get('input_f32_bits').data as Uint32Array;
  const x = new Float32Array(bits.buffer, bits.byteOffset, bits.length);
  for (const [key, fmt] of FROM_F32) {
    if (!v.has(key)) continue;
    it(`${key}: zero mismatches on non-NaN inputs; NaN gives NaN (or ±0 where the format has no NaN)`, () => {
      const expected = v.get(key).data as Uint8Array;
      const ours = encodeArray(x, fmt) as Uint8Array;
      const f = getFormat(fmt);
      const mismatches: number[] = [];
      for (let i = 0; i < x.length; i++) {
        if (Number.isNaN(x[i])) {
          if (f.nan === 'none') expect(ours[i] === 0 || ours[i] === f.signBit).toBe(true);
          else {
            expect(Number.isNaN(decode(ours[i], f))).toBe(true);
            expect(Number.isNaN(decode(expected[i], f))).toBe(true);
          }
        } else if (ours[i] !== expected[i]) mismatches.push(i);
      }
      if (fmt !== 'fp8-e8m0fnu') {
        expect(mismatches.map((i) => [x[i], ours[i], expected[i]])).toEqual([]);
        return;
      }
      // E8M0: ml_dtypes rounds every float32 SUBNORMAL in (2^-127, 2^-126) up to 2^-126 (a bit-level
      // artefact of its converter); lowp rounds to nearest. Those, and only those, may differ, and
      // lowp's answer there must be the reference's.
      const spec = SPECS.find((s) => s.name === fmt)!;
      for (const i of mismatches) {
        const a = x[i];
        expect(a > 2 ** -127 && a < 2 ** -126, `unexpected E8M0 mismatch at ${a}: lowp ${ours[i]}, ml_dtypes ${expected[i]}`).toBe(true);
        expect(expected[i]).toBe(1);
        expect(ours[i]).toBe(refEncode(a, spec, 'ne', 'nan'));
      }
      if (v.source === 'shared') expect(mismatches.length).toBe(44);
    });
  }
});

describe('fp8 agrees with the exact rational oracle on from-f64 (vectors)', () => {
  const v = loadVectors('from-f64');
  for (const [key, fmt] of [['fp8_e4m3fn', 'fp8-e4m3fn'], ['fp8_e5m2', 'fp8-e5m2']] as const) {
    if (!v.has(`${key}.input_f64`)) continue;
    it(`${key}: every non-NaN expected code equals lowp's (doubles rounded once, directly)`, () => {
      const x = v.get(`${key}.input_f64`).data as Float64Array;
      const expected = v.get(`${key}.expected_code_u16`).data as Uint16Array;
      const ours = encodeArray(x, fmt) as Uint8Array;
      const bad: unknown[] = [];
      for (let i = 0; i < x.length; i++) {
        const e = expected[i];
        if (Number.isNaN(decode(e, fmt))) {
          if (!Number.isNaN(decode(ours[i], fmt))) bad.push([x[i], ours[i], e]);
        } else if (ours[i] !== e) bad.push([x[i], ours[i], e]);
      }
      expect(bad).toEqual([]);
    });
  }
});

describe('decoding every code agrees with PyTorch and ml_dtypes (decode-tables)', () => {
  const v = loadVectors('decode-tables');
  const NAMES: Record<string, string> = {
    float8_e4m3fn: 'fp8-e4m3fn', float8_e5m2: 'fp8-e5m2', float8_e4m3fnuz: 'fp8-e4m3fnuz', float8_e5m2fnuz: 'fp8-e5m2fnuz',
    float8_e8m0fnu: 'fp8-e8m0fnu', float6_e2m3fn: 'fp6-e2m3fn', float6_e3m2fn: 'fp6-e3m2fn', float4_e2m1fn: 'fp4-e2m1fn',
  };
  const keys = v.keys.filter((k) => /^float[468]_/.test(k));
  it('has the small-format tables', () => expect(keys.length).toBeGreaterThanOrEqual(8));
  for (const key of keys) {
    const fmt = NAMES[key.replace(/_to_f32_(torch|mldtypes)$/, '')];
    it(`${key}: all ${2 ** getFormat(fmt).bits} codes, NaN (with the library's sign) where the library has NaN, -0 kept`, () => {
      const expected = v.get(key).data as Float32Array;
      const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
      const codes = Uint8Array.from({ length: expected.length }, (_, i) => i);
      const ours = decodeArray(codes, fmt);
      const ours64 = decodeArray(codes, fmt, { out: new Float64Array(codes.length) });
      const signOf = (x: Float32Array | Float64Array, i: number) =>
        new Uint32Array(x.buffer)[x instanceof Float32Array ? i : 2 * i + 1] >>> 31;
      // fnuz's one NaN code is the sign bit: lowp decodes it to a positive NaN, as PyTorch does
      // (ml_dtypes gives a negative one); every other NaN keeps its code's sign in both libraries
      const checkSign = !(getFormat(fmt).nan === 'negative-zero' && key.endsWith('_mldtypes'));
      for (let c = 0; c < codes.length; c++) {
        if (Number.isNaN(expected[c])) {
          expect(ours[c], `code ${c}`).toBeNaN();
          expect(ours64[c], `code ${c}`).toBeNaN();
          if (checkSign) expect([signOf(ours, c), signOf(ours64, c)], `NaN sign of code ${c}`).toEqual([expectedBits[c] >>> 31, expectedBits[c] >>> 31]);
        } else {
          expect(Object.is(ours[c], expected[c]), `code ${c}: lowp ${ours[c]}, ${key} ${expected[c]}`).toBe(true);
          expect(Object.is(ours64[c], expected[c]), `code ${c} (Float64Array out)`).toBe(true);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Exhaustive round trips and the reference's own sanity
// ---------------------------------------------------------------------------------------------------

describe('every code round-trips (exhaustive)', () => {
  for (const spec of SPECS) {
    it(`${spec.name}: decode then encode gives the code back for every mode; NaN codes give the canonical NaN`, () => {
      const f = getFormat(spec.name);
      const n = 2 ** bitsOf(spec);
      const all = Uint8Array.from({ length: n }, (_, i) => i);
      const values = decodeArray(all, f, { out: new Float64Array(n) });
      for (let c = 0; c < n; c++) {
        const x = values[c];
        // the reference agrees on what each code is
        const sign = spec.signed && c >= signBitOf(spec);
        const mag = sign ? c - signBitOf(spec) : c;
        const sp = spec.special(mag, sign);
        if (sp === 'nan') { expect(x).toBeNaN(); continue; }
        if (sp === 'inf') { expect(x).toBe(sign ? -Infinity : Infinity); }
        else expect(Object.is(x, (sign ? -1 : 1) * toNumber(magValue(spec, mag))), `code ${c}`).toBe(true);
        for (const rounding of ['nearest-even', 'toward-zero', 'stochastic'] as const) {
          expect(encode(x, f, { rounding, seed: 1 }), `${rounding} code ${c}`).toBe(c);
        }
        expect(encode(x, f, { overflow: 'saturate' })).toBe(c); // infinity stays infinity
      }
      // bulk paths: Float32Array and Float64Array sources give the same codes back
      const finite = all.filter((c) => !Number.isNaN(values[c]));
      const f64 = Float64Array.from(finite, (c) => values[c]);
      expect(Array.from(encodeArray(f64, f) as Uint8Array)).toEqual(Array.from(finite));
      expect(Array.from(encodeArray(Float32Array.from(f64), f) as Uint8Array)).toEqual(Array.from(finite));
      // NaN → the canonical NaN (fnuz: the single NaN code 0x80; no-NaN formats: ±0)
      if (f.nan === 'none') {
        expect(encode(NaN, f)).toBe(0);
        expect(encode(-NaN, f) === 0 || encode(-NaN, f) === f.signBit).toBe(true);
      } else {
        expect(encode(NaN, f) & ~f.signBit).toBe(f.nanCode & ~f.signBit);
        expect(Number.isNaN(decode(encode(NaN, f), f))).toBe(true);
      }
      if (spec.fnuz) {
        expect(encode(-0, f)).toBe(0); // no −0
        expect(encode(NaN, f)).toBe(0x80);
        expect(encode(-1e-30, f)).toBe(0); // underflow of a negative number gives +0, never the NaN code
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// fast-check properties against the BigInt reference
// ---------------------------------------------------------------------------------------------------

describe('casts equal the BigInt reference (fast-check)', () => {
  for (const spec of SPECS) {
    const f = getFormat(spec.name);
    const policies: (Policy | undefined)[] = [undefined, 'saturate'];
    it(`${spec.name}: random float32 and float64, nearest-even and toward-zero, default and saturating overflow`, () => {
      fc.assert(fc.property(fc.oneof(fc.float({ noNaN: true }), fc.double({ noNaN: true })), (x) => {
        for (const p of policies) { checkAgainstRef(x, spec, 'ne', p); checkAgainstRef(x, spec, 'tz', p); }
      }), { numRuns: RUNS, seed: 11 });
    });
    it(`${spec.name}: exact ties, ties ± one float32/float64 ulp or 2^-30 relative (rounding-trap inputs)`, () => {
      fc.assert(fc.property(tieArb(spec), (x) => {
        for (const p of policies) { checkAgainstRef(x, spec, 'ne', p); checkAgainstRef(x, spec, 'tz', p); }
      }), { numRuns: RUNS * 2, seed: 12 });
    });
    it(`${spec.name}: subnormals, the overflow threshold, huge/tiny values, ±0, ±Infinity`, () => {
      fc.assert(fc.property(specialArb(spec), (x) => {
        for (const p of policies) { checkAgainstRef(x, spec, 'ne', p); checkAgainstRef(x, spec, 'tz', p); }
      }), { numRuns: RUNS, seed: 13 });
    });
    it(`${spec.name}: encodeArray (Float32Array and Float64Array) equals the scalar reference`, () => {
      fc.assert(fc.property(fc.array(fc.oneof(tieArb(spec), fc.double({ noNaN: true, min: -2 * f.max, max: 2 * f.max })), { maxLength: 40 }), (xs) => {
        const f64 = Float64Array.from(xs);
        const c64 = encodeArray(f64, f) as Uint8Array;
        const f32 = Float32Array.from(xs);
        const c32 = encodeArray(f32, f, { overflow: 'saturate' }) as Uint8Array;
        const same = (code: number, ref: number | typeof NAN) => {
          if (ref === NAN) expect(Number.isNaN(decode(code, f))).toBe(true);
          else expect(code).toBe(ref);
        };
        for (let i = 0; i < xs.length; i++) {
          same(c64[i], refEncode(f64[i], spec, 'ne', f.defaultOverflow));
          same(c32[i], refEncode(f32[i], spec, 'ne', 'saturate'));
        }
      }), { numRuns: 100, seed: 14 });
    });
  }
});

describe('rounding properties', () => {
  for (const spec of SPECS) {
    const f = getFormat(spec.name);
    const fi = finfo(f);
    const inRange = fc.oneof(fc.double({ min: -fi.max, max: fi.max, noNaN: true }), tieArb(spec).filter((x) => Math.abs(x) <= fi.max));
    it(`${spec.name}: round is monotone (saturating overflow; and default overflow where it is ±inf)`, () => {
      fc.assert(fc.property(fc.double({ noNaN: true }), fc.oneof(fc.double({ noNaN: true }), tieArb(spec)), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (!spec.signed && lo < 0) return;
        expect(round(lo, f, { overflow: 'saturate' })).toBeLessThanOrEqual(round(hi, f, { overflow: 'saturate' }));
        if (spec.hasInf) expect(round(lo, f)).toBeLessThanOrEqual(round(hi, f));
      }), { numRuns: RUNS, seed: 21 });
    });
    it(`${spec.name}: |round(x) − x| <= ulp(x)/2 in range, and ulp is the gap between the neighbours of x`, () => {
      fc.assert(fc.property(inRange, (x) => {
        if (!spec.signed && x < 0) x = -x;
        if (!spec.subnormals && Math.abs(x) < fi.smallestNormal) x = fi.smallestNormal + Math.abs(x);
        const u = ulp(x, f);
        expect(Math.abs(round(x, f) - x)).toBeLessThanOrEqual(u / 2);
        // the reference's gap around |x|
        const t = table(spec);
        const a = exactAbs(x);
        let i = 0;
        while (i + 1 < t.values.length && cmp(t.values[i + 1].v, a) <= 0) i++;
        if (i + 1 < t.values.length) expect(u).toBe(toNumber(t.values[i + 1].v) - toNumber(t.values[i].v));
      }), { numRuns: RUNS, seed: 22 });
    });
    it(`${spec.name}: toward-zero never grows |x|${spec.subnormals ? '' : ' (above the smallest value: E8M0 has no zero)'}`, () => {
      fc.assert(fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), tieArb(spec)), (x) => {
        if (!spec.signed && x < 0) x = -x;
        if (!spec.subnormals && Math.abs(x) < fi.smallestNormal) return;
        for (const overflow of [undefined, 'saturate'] as const) {
          const r = round(x, f, { rounding: 'toward-zero', overflow });
          expect(Math.abs(r)).toBeLessThanOrEqual(Math.abs(x));
          expect(Number.isNaN(r)).toBe(false); // finite values never overflow toward zero
        }
      }), { numRuns: RUNS, seed: 23 });
    });
  }

  it('stochastic rounding is unbiased: the mean of N roundings is x within 5 standard deviations', () => {
    const rng = createRng(2024);
    const N = 3000;
    for (const spec of SPECS) {
      const f = getFormat(spec.name);
      const t = table(spec);
      for (let trial = 0; trial < 6; trial++) {
        const i = Math.floor(rng() * (t.values.length - 1));
        const lo = toNumber(t.values[i].v);
        const hi = toNumber(t.values[i + 1].v);
        const p = 0.05 + 0.9 * rng();
        const x = lo + p * (hi - lo);
        const random = createRng(trial * 97 + spec.bias);
        let sum = 0;
        let ups = 0;
        for (let k = 0; k < N; k++) {
          const r = round(x, f, { rounding: 'stochastic', random });
          expect(r === lo || r === hi, `${spec.name}: ${r} is not a neighbour of ${x}`).toBe(true);
          sum += r;
          if (r === hi) ups++;
        }
        const gap = hi - lo;
        const pe = (x - lo) / gap;
        const sigma = gap * Math.sqrt((pe * (1 - pe)) / N);
        expect(Math.abs(sum / N - x), `${spec.name} x=${x}`).toBeLessThanOrEqual(5 * sigma);
        expect(Math.abs(ups / N - pe)).toBeLessThanOrEqual(5 * Math.sqrt((pe * (1 - pe)) / N));
      }
    }
  });

  it('stochastic rounding with a seed is reproducible and leaves representable values alone', () => {
    const xs = new Float64Array([0.3, 1.1, -2.7, 100.5, 5e-3]);
    const a = encodeArray(xs, 'fp8-e4m3fn', { rounding: 'stochastic', seed: 7 });
    const b = encodeArray(xs, 'fp8-e4m3fn', { rounding: 'stochastic', seed: 7 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(encode(448, 'fp8-e4m3fn', { rounding: 'stochastic', seed: 3 })).toBe(0x7e);
  });
});

// ---------------------------------------------------------------------------------------------------
// Overflow policies and finfo
// ---------------------------------------------------------------------------------------------------

describe('overflow policies', () => {
  it('defaults follow PyTorch/ml_dtypes: e4m3fn → NaN, e5m2 → inf, e2m1 → saturate, fnuz → NaN, e8m0 → NaN', () => {
    expect(encode(1000, 'fp8-e4m3fn')).toBe(0x7f);
    expect(encode(-1000, 'fp8-e4m3fn')).toBe(0xff);
    expect(encode(Infinity, 'fp8-e4m3fn')).toBe(0x7f);
    expect(encode(1e6, 'fp8-e5m2')).toBe(0x7c);
    expect(encode(-1e6, 'fp8-e5m2')).toBe(0xfc);
    expect(encode(100, 'fp4-e2m1fn')).toBe(0x7);
    expect(encode(-100, 'fp4-e2m1fn')).toBe(0xf);
    expect(encode(100, 'fp6-e2m3fn')).toBe(0x1f);
    expect(encode(1000, 'fp6-e3m2fn')).toBe(0x1f);
    expect(encode(1000, 'fp8-e4m3fnuz')).toBe(0x80);
    expect(encode(-1e6, 'fp8-e5m2fnuz')).toBe(0x80);
    expect(encode(2 ** 129, 'fp8-e8m0fnu')).toBe(0xff);
  });
  it("'saturate' is available everywhere and gives ±max (infinities too, where the format has none)", () => {
    for (const spec of SPECS) {
      const f = getFormat(spec.name);
      const maxCode = table(spec).maxMag;
      expect(encode(f.max * 4, f, { overflow: 'saturate' })).toBe(maxCode);
      if (spec.signed) expect(encode(-f.max * 4, f, { overflow: 'saturate' })).toBe(f.signBit + maxCode);
      if (!spec.hasInf) expect(encode(Infinity, f, { overflow: 'saturate' })).toBe(maxCode);
      else expect(encode(Infinity, f, { overflow: 'saturate' })).toBe(maxCode + 1); // infinity stays infinity
    }
  });
  it("'inf' on a format without infinity and 'nan' on a format without NaN are RangeErrors", () => {
    for (const spec of SPECS) {
      if (!spec.hasInf) expect(() => encode(1, spec.name, { overflow: 'inf' })).toThrow(RangeError);
      if (!spec.hasNaN) expect(() => encode(1, spec.name, { overflow: 'nan' })).toThrow(RangeError);
    }
    expect(() => encode(1, 'fp8-e4m3fn', { overflow: 'inf' })).toThrow(/no infinity/);
    expect(() => encodeArray(new Float32Array(2), 'fp4-e2m1fn', { overflow: 'nan' })).toThrow(/no NaN/);
  });
});

describe('finfo of every small format (invariants and known values)', () => {
  const KNOWN: Record<string, [number, number]> = {
    'fp8-e4m3fn': [448, 2 ** -9], 'fp8-e5m2': [57344, 2 ** -16], 'fp8-e4m3fnuz': [240, 2 ** -10], 'fp8-e5m2fnuz': [57344, 2 ** -17],
    'fp8-e8m0fnu': [2 ** 127, 2 ** -127], 'fp6-e2m3fn': [7.5, 0.125], 'fp6-e3m2fn': [28, 0.0625], 'fp4-e2m1fn': [6, 0.5],
  };
  for (const spec of SPECS) {
    it(`${spec.name}: max round-trips, the next value up overflows per policy, tiny/2 → 0, eps = gap above 1`, () => {
      const f = getFormat(spec.name);
      const fi = finfo(f);
      expect([fi.max, fi.smallestSubnormal]).toEqual(KNOWN[spec.name]);
      expect(fi.max).toBe(toNumber(table(spec).values[table(spec).values.length - 1].v));
      expect(round(fi.max, f)).toBe(fi.max);
      // the overflow threshold: max + ulp/2 (a tie), just above it overflows per the default policy
      const gapAtMax = toNumber(table(spec).top) - fi.max;
      const above = nextUp64(fi.max + gapAtMax / 2, 1);
      const over = round(above, f);
      if (f.defaultOverflow === 'inf') expect(over).toBe(Infinity);
      else if (f.defaultOverflow === 'nan') expect(over).toBeNaN();
      else expect(over).toBe(fi.max);
      expect(round(above, f, { overflow: 'saturate' })).toBe(fi.max);
      expect(round(nextUp64(fi.max + gapAtMax / 2, -1), f)).toBe(fi.max);
      // below the smallest subnormal
      if (spec.subnormals) {
        expect(round(fi.smallestSubnormal / 2, f)).toBe(0); // a tie, to even (0)
        expect(round(nextUp64(fi.smallestSubnormal / 2, 1), f)).toBe(fi.smallestSubnormal);
        expect(fi.maxSubnormal).toBe(fi.smallestNormal - fi.smallestSubnormal);
        expect(round(fi.maxSubnormal, f)).toBe(fi.maxSubnormal);
      } else {
        expect(round(fi.smallestSubnormal / 2, f)).toBe(fi.smallestSubnormal); // E8M0 has no zero
        expect(fi.smallestSubnormal).toBe(fi.smallestNormal);
      }
      expect(round(fi.smallestNormal, f)).toBe(fi.smallestNormal);
      expect(fi.tiny).toBe(fi.smallestNormal);
      // eps is the gap above 1
      const one = encode(1, f);
      expect(decode(one, f)).toBe(1);
      expect(decode(one + 1, f) - 1).toBe(fi.eps);
      // every integer up to maxExactInteger is representable, the next one is not
      if (spec.M > 0) {
        for (let k = 0; k <= fi.maxExactInteger; k++) expect(round(k, f)).toBe(k);
        if (fi.maxExactInteger + 1 < fi.max) expect(round(fi.maxExactInteger + 1, f)).not.toBe(fi.maxExactInteger + 1);
      }
      expect(fi.hasInfinity).toBe(spec.hasInf);
      expect(fi.hasNaN).toBe(spec.hasNaN);
      expect(fi.signed).toBe(spec.signed);
      expect(fi.min).toBe(spec.signed ? -fi.max : fi.smallestNormal);
      expect(fi.bits).toBe(bitsOf(spec));
    });
  }
  it('known constants', () => {
    expect(finfo('fp8-e4m3fn').eps).toBe(0.125);
    expect(finfo('fp8-e5m2').eps).toBe(0.25);
    expect(finfo('fp4-e2m1fn').eps).toBe(0.5);
    expect(finfo('fp8-e8m0fnu').eps).toBe(1);
    expect(finfo('fp8-e4m3fn').smallestNormal).toBe(2 ** -6);
    expect(finfo('fp8-e5m2').smallestNormal).toBe(2 ** -14);
  });
});
