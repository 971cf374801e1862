// The strict JSON parser used for untrusted headers, against JSON.parse (the platform's RFC 8259
// parser) as the reference twin: same acceptance and same values on random JSON texts, plus the
// stricter rules (duplicate and prototype keys) and exact big integers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonFloat, parseJsonStrict, type JsonValue } from '../../src/io/json.js';
import { SafetensorsError } from '../../src/io/index.js';

/** Converts the parser's result to what JSON.parse returns (Maps -> objects, bigint/JsonFloat -> number). */
function plain(v: JsonValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof JsonFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  return v;
}

const parse = (s: string): unknown => parseJsonStrict(s);

describe('parseJsonStrict vs JSON.parse', () => {
  it('random JSON texts (with whitespace variations) parse to the same values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('', ' ', '\n', '\t\r\n '), (v, ws) => {
        const text = ws + JSON.stringify(v, null, ws.length ? 1 : 0) + ws;
        const ref = JSON.parse(text);
        // JSON.parse lets a later duplicate win; stringify never produces one, so results must agree
        expect(plain(parseJsonStrict(text, { allowUnsafeKeys: true }) as JsonValue)).toEqual(ref);
      }),
      { numRuns: 500 },
    );
  });

  it('random strings: accepted exactly when JSON.parse accepts them (absent duplicate/prototype keys)', () => {
    const alphabet = fc.constantFrom(...'{}[]":,0123456789.eE+-tfnrulase \\/ubx'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }).map((a) => a.join('')), (text) => {
        let ref: 'ok' | 'error' = 'ok';
        try {
          JSON.parse(text);
        } catch {
          ref = 'error';
        }
        let got: 'ok' | 'error' = 'ok';
        try {
          parseJsonStrict(text);
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
          if ((e as SafetensorsError).code === 'DUPLICATE_KEY') return; // stricter on purpose
          got = 'error';
        }
        expect(got).toBe(ref);
      }),
      { numRuns: 2000 },
    );
  });

  it('strict syntax: no trailing commas, comments, NaN, leading zeros, single quotes, control characters', () => {
    for (const bad of ['{"a":1,}', '[1,]', '{"a":1}//', '/*x*/{}', 'NaN', '[01]', "{'a':1}", '"a\u0001"', '[1 2]', '{"a" 1}', '[-]', '[1.]', '[.5]', '[1e]', 'tru', '"\\x"', '']) {
      expect(() => parse(bad), bad).toThrow(SafetensorsError);
    }
  });

  it('surrogates: escaped pairs decode, lone surrogate escapes are rejected (as serde_json does)', () => {
    expect(parse('"\\ud83d\\ude00"')).toBe('😀');
    expect(() => parse('"\\ud83d"')).toThrow(SafetensorsError);
    expect(() => parse('"\\ude00"')).toThrow(SafetensorsError);
    expect(() => parse('"\\ud83dx"')).toThrow(SafetensorsError);
  });

  it('integers beyond 2^53 stay exact (bigint); fractions and exponents are marked as floats', () => {
    expect(parse('18446744073709551615')).toBe(18446744073709551615n);
    expect(parse('9007199254740991')).toBe(9007199254740991);
    expect(parse('1.0')).toBeInstanceOf(JsonFloat);
    expect(parse('1e3')).toBeInstanceOf(JsonFloat);
    expect((parse('-0.5') as JsonFloat).value).toBe(-0.5);
    // -0 is a float too (serde_json reads it as -0.0), so no size or offset comes out as -0
    expect(parse('-0')).toBeInstanceOf(JsonFloat);
    expect(parse('0')).toBe(0);
    // a megabyte of digits is not turned into a BigInt (quadratic): kept as a non-integer marker, which
    // only the path that skips the BigInt conversion produces
    const huge = (parse(`[${'9'.repeat(1_000_000)}]`) as JsonValue[])[0];
    expect(huge).toBeInstanceOf(JsonFloat);
  });

  it('duplicate keys, prototype keys and deep nesting are named errors; nothing reaches Object.prototype', () => {
    const code = (s: string, o?: Parameters<typeof parseJsonStrict>[1]) => {
      try {
        parseJsonStrict(s, o);
        return 'ok';
      } catch (e) {
        return (e as SafetensorsError).code;
      }
    };
    expect(code('{"a":1,"a":2}')).toBe('DUPLICATE_KEY');
    expect(code('{"x":{"__proto__":{"polluted":1}}}')).toBe('UNSAFE_KEY');
    expect(code('{"constructor":{"prototype":{"polluted":1}}}')).toBe('UNSAFE_KEY');
    expect(code('[[[[]]]]', { maxDepth: 3 })).toBe('BAD_JSON');
    expect(code('[[[]]]', { maxDepth: 3 })).toBe('ok');
    const m = parseJsonStrict('{"__proto__":{"polluted":1}}', { allowUnsafeKeys: true }) as Map<string, JsonValue>;
    expect(m.get('__proto__')).toBeInstanceOf(Map);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
