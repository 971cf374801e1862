// Number formatting for the sentences the diagnostics write ("312 of 40,960 values (0.76%) flush to
// zero in fp16; the smallest nonzero |x| is 3.1e-9, 2^-28.3"). Locale-independent, so reports are the
// same on every machine.

/** An integer count with thousands separators: 40960 → "40,960". */
export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = Math.round(Math.abs(n)).toString();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? '-' + out : out;
}

/** A fraction as a percentage with two significant digits: 0.0076 → "0.76%". */
export function fmtPercent(fraction: number): string {
  if (fraction === 0) return '0%';
  if (!Number.isFinite(fraction)) return String(fraction);
  const p = fraction * 100;
  if (p === 100) return '100%';
  if (p >= 10) {
    const s = p.toFixed(1);
    return p < 100 && s === '100.0' ? '>99.9%' : `${s}%`;
  }
  if (p >= 0.01) return `${trimZeros(p.toPrecision(2))}%`;
  return `${p.toExponential(1)}%`;
}

function trimZeros(s: string): string {
  if (!s.includes('.') || s.includes('e')) return s;
  return s.replace(/\.?0+$/, '');
}

/** A value in short form: integers as they are, others with 2–3 significant digits ("3.1e-9", "0.0039"). */
export function fmtValue(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e7) return String(x);
  if (a >= 1e-3 && a < 1e5) return trimZeros(x.toPrecision(3));
  const s = x.toExponential(1);
  return s.replace('e+', 'e');
}

/** log2 of a positive number as "2^-28.3" (one decimal; exact powers of two without it: "2^-24"). */
export function fmtLog2(x: number): string {
  if (!(x > 0) || x === Infinity) return fmtValue(x);
  const l = Math.log2(x);
  return Number.isInteger(l) ? `2^${l}` : `2^${l.toFixed(1)}`;
}

/** A number of bits/dB with one decimal, or "inf". */
export function fmtFixed(x: number, digits = 1): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x !== x) return 'NaN';
  return x.toFixed(digits);
}

/** "1 value" / "2 values". */
export function plural(n: number, word: string, pluralWord = word + 's'): string {
  return `${fmtCount(n)} ${n === 1 ? word : pluralWord}`;
}

/** A value with up to 7 significant digits (for constants, where "1.0e9" would hide a change). */
export function fmtPrecise(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return fmtValue(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const s = x.toPrecision(7);
  if (s.includes('e')) return s.replace(/\.?0+e/, 'e').replace('e+', 'e');
  return trimZeros(s);
}
