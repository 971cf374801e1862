// isWellFormedUtf16 (src/io/unicode.ts), the lone-surrogate check both writers (safetensors' JSON
// header, GGUF's strings) make before writing a string as UTF-8: against a slow, obviously correct
// twin (a string is well-formed exactly when UTF-8 encoding and decoding give it back unchanged) and
// against String.prototype.isWellFormed where the engine has it; both writers refuse exactly the strings
// the twin finds changed by UTF-8; and the readers' strict decoder gives back what TextEncoder wrote.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeGguf } from '../../src/io/gguf/writer.js';
import { writeSafetensors } from '../../src/io/safetensors/writer.js';
import { isWellFormedUtf16, strictUtf8 } from '../../src/io/unicode.js';

/** The twin: UTF-8 replaces a lone surrogate with U+FFFD, so the round trip changes exactly those strings. */
function roundTrips(s: string): boolean {
  // ignoreBOM: TextDecoder would otherwise drop a leading U+FEFF, which well-formed strings may start with
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(s)) === s;
}

// code units biased to surrogates: high, low, and other units (ASCII, BMP, U+FFFD itself)
const unit = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdbff }),
  fc.integer({ min: 0xdc00, max: 0xdfff }),
  fc.constantFrom(0x41, 0xfffd, 0xd7ff, 0xe000, 0xfeff),
  fc.integer({ min: 0, max: 0xffff }),
);
const text = fc.array(unit, { maxLength: 12 }).map((u) => String.fromCharCode(...u));

describe('isWellFormedUtf16', () => {
  it('agrees with the UTF-8 round trip and with String.prototype.isWellFormed', () => {
    const native = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
    fc.assert(fc.property(text, (s) => {
      expect(isWellFormedUtf16(s)).toBe(roundTrips(s));
      if (native !== undefined) expect(isWellFormedUtf16(s)).toBe(native.call(s));
    }), { numRuns: 3000 });
  });

  it('corner cases: pairs, lone halves at either end, reversed pairs', () => {
    expect(isWellFormedUtf16('')).toBe(true);
    expect(isWellFormedUtf16('a\uD83D\uDE00b')).toBe(true);
    expect(isWellFormedUtf16('\uD83D')).toBe(false);
    expect(isWellFormedUtf16('\uDE00')).toBe(false);
    expect(isWellFormedUtf16('a\uD83D')).toBe(false);
    expect(isWellFormedUtf16('\uDE00\uD83D')).toBe(false);
    expect(isWellFormedUtf16('\uD83D\uD83D\uDE00')).toBe(false);
    expect(isWellFormedUtf16('\uD83D\uDE00\uDE00')).toBe(false);
  });

  it('the safetensors and GGUF writers refuse exactly the strings that do not survive UTF-8', () => {
    fc.assert(fc.property(text, (s) => {
      const ok = roundTrips(s);
      const key = `k${s}`; // never empty, never a reserved key
      const st = () => writeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, { [key]: s });
      const gg = () => writeGguf({ metadata: { [key]: s }, tensors: [] });
      if (ok) {
        expect(st).not.toThrow();
        expect(gg).not.toThrow();
      } else {
        expect(st).toThrow(/lone surrogate/);
        expect(gg).toThrow(/lone surrogate|UTF-8/);
      }
    }), { numRuns: 500 });
  });
});

describe('strictUtf8', () => {
  it('gives back every well-formed string TextEncoder wrote, a leading U+FEFF included; refuses invalid UTF-8', () => {
    fc.assert(fc.property(text, fc.boolean(), (s, bom) => {
      const t = bom ? `\uFEFF${s}` : s;
      if (roundTrips(t)) expect(strictUtf8.decode(new TextEncoder().encode(t))).toBe(t);
    }), { numRuns: 1000 });
    for (const bad of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) expect(() => strictUtf8.decode(Uint8Array.from(bad)), String(bad)).toThrow(TypeError);
  });
});
