// A strict JSON parser for untrusted headers (RFC 8259, as strict as serde_json): objects become Maps
// (no prototype, so `__proto__` or `constructor` keys can never reach Object.prototype), duplicate keys
// are an error instead of last-wins, nesting depth is bounded (no stack overflow), integers beyond
// 2^53 - 1 are kept exactly as bigint, and numbers written with a fraction or exponent are marked so that
// an integer field can reject `1.0` like serde_json does. Errors are SafetensorsError with one-line
// messages naming the character position.
import { quoteName, SafetensorsError, type SafetensorsErrorCode } from './errors.js';

/**
 * A number written with a fraction or an exponent, `-0`, or an integer of more than 64 characters (never
 * accepted where an integer is expected, as in serde_json).
 *
 * @example
 * ```ts
 * const epoch = state.trainerState?.json instanceof Map ? state.trainerState.json.get('epoch') : undefined;
 * if (epoch instanceof JsonFloat) console.log(epoch.value, 'written as', epoch.raw); // 0 written as '0.0'
 * ```
 */
export class JsonFloat {
  /**
   * @param value - the number's value
   * @param raw - the number as written
   */
  constructor(
    readonly value: number,
    readonly raw: string,
  ) {}
}

/**
 * A parsed JSON value; objects are Maps in source order.
 *
 * @example
 * ```ts
 * const v: JsonValue = new Map([['global_step', 150]]);
 * ```
 */
export type JsonValue = null | boolean | string | number | bigint | JsonFloat | JsonValue[] | JsonObject;
/**
 * A parsed JSON object.
 *
 * @example
 * ```ts
 * const o: JsonObject = new Map([['max_steps', 300]]);
 * ```
 */
export type JsonObject = Map<string, JsonValue>;

/** Keys that could pollute a prototype if a consumer copied them into a plain object. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonParseOptions {
  /** Maximum nesting depth of arrays and objects. Default 64. */
  maxDepth?: number;
  /** Accept `__proto__`, `constructor` and `prototype` as keys. Default false. */
  allowUnsafeKeys?: boolean;
  /** Code used for syntax errors. Default 'BAD_JSON'. */
  syntaxCode?: SafetensorsErrorCode;
  /** File name for error messages. */
  file?: string;
}

/** Describes the character at `i` of `s` for an error message. */
function describeAt(s: string, i: number): string {
  if (i >= s.length) return 'the end of the header';
  const c = s.charCodeAt(i);
  const shown = c >= 0x20 && c < 0x7f ? `'${s[i]}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${shown} at character ${i}`;
}

/**
 * Parses `text` as one JSON value followed only by JSON whitespace. Throws SafetensorsError.
 */
export function parseJsonStrict(text: string, options: JsonParseOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? 64;
  const allowUnsafe = options.allowUnsafeKeys ?? false;
  const code = options.syntaxCode ?? 'BAD_JSON';
  const file = options.file;
  const s = text;
  const n = s.length;
  let i = 0;

  const fail = (expected: string): never => {
    throw new SafetensorsError(code, `invalid JSON: expected ${expected}, got ${describeAt(s, i)}`, file);
  };
  const skipWs = (): void => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const hex4 = (): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else return fail('a hexadecimal digit in a \\u escape');
      v = v * 16 + d;
      i++;
    }
    return v;
  };
  const parseString = (): string => {
    // s[i] === '"'
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) return fail('a closing quote');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) return fail('an escaped control character in a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      i++;
      const e = s.charCodeAt(i);
      i++;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const u = hex4();
          if (u >= 0xd800 && u <= 0xdbff) {
            if (s.charCodeAt(i) !== 0x5c || s.charCodeAt(i + 1) !== 0x75) return fail('a low surrogate escape after a high surrogate');
            i += 2;
            const lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff) return fail('a low surrogate escape after a high surrogate');
            out += String.fromCharCode(u, lo);
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            i -= 6;
            return fail('no lone low surrogate escape');
          } else {
            out += String.fromCharCode(u);
          }
          break;
        }
        default:
          i--;
          return fail('a valid escape character');
      }
      start = i;
    }
  };
  const parseNumber = (): number | bigint | JsonFloat => {
    const begin = i;
    if (s.charCodeAt(i) === 0x2d) i++;
    const c0 = s.charCodeAt(i);
    if (c0 === 0x30) i++;
    else if (c0 >= 0x31 && c0 <= 0x39) {
      while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    } else return fail('a digit');
    let isFloat = false;
    if (s.charCodeAt(i) === 0x2e) {
      isFloat = true;
      i++;
      const d = s.charCodeAt(i);
      if (!(d >= 0x30 && d <= 0x39)) return fail('a digit after the decimal point');
      while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      isFloat = true;
      i++;
      const sg = s.charCodeAt(i);
      if (sg === 0x2b || sg === 0x2d) i++;
      const d = s.charCodeAt(i);
      if (!(d >= 0x30 && d <= 0x39)) return fail('a digit in the exponent');
      while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    }
    const raw = s.slice(begin, i);
    // -0 is no integer either: serde_json reads it as the float -0.0, so a size or offset written -0 is
    // refused as in the reference instead of surfacing as a -0 dimension
    if (isFloat || raw === '-0') return new JsonFloat(Number(raw), raw);
    const v = Number(raw);
    if (Number.isSafeInteger(v)) return v;
    // exact beyond 2^53 (u64 offsets), but never a BigInt of a megabyte of digits (quadratic to parse)
    return raw.length <= 64 ? BigInt(raw) : new JsonFloat(v, raw);
  };
  const expectWord = (word: string): void => {
    if (s.startsWith(word, i)) i += word.length;
    else fail('a JSON value');
  };

  // Iterative-recursive descent with an explicit depth bound.
  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (i >= n) return fail('a JSON value');
    const c = s.charCodeAt(i);
    if (c === 0x7b) {
      if (depth >= maxDepth) return fail(`nesting at most ${maxDepth} deep`);
      i++;
      const obj: JsonObject = new Map();
      skipWs();
      if (s.charCodeAt(i) === 0x7d) {
        i++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (s.charCodeAt(i) !== 0x22) return fail('a string key');
        const keyAt = i;
        const key = parseString();
        if (obj.has(key)) {
          throw new SafetensorsError('DUPLICATE_KEY', `expected unique keys in each JSON object, got key ${quoteName(key)} twice (second at character ${keyAt})`, file);
        }
        if (!allowUnsafe && UNSAFE_KEYS.has(key)) {
          throw new SafetensorsError('UNSAFE_KEY', `expected no '${key}' key (rejected to prevent prototype pollution), got one at character ${keyAt}`, file);
        }
        skipWs();
        if (s.charCodeAt(i) !== 0x3a) return fail("':' after a key");
        i++;
        obj.set(key, parseValue(depth + 1));
        skipWs();
        const d = s.charCodeAt(i);
        if (d === 0x2c) {
          i++;
          continue;
        }
        if (d === 0x7d) {
          i++;
          return obj;
        }
        return fail("',' or '}'");
      }
    }
    if (c === 0x5b) {
      if (depth >= maxDepth) return fail(`nesting at most ${maxDepth} deep`);
      i++;
      const arr: JsonValue[] = [];
      skipWs();
      if (s.charCodeAt(i) === 0x5d) {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        const d = s.charCodeAt(i);
        if (d === 0x2c) {
          i++;
          continue;
        }
        if (d === 0x5d) {
          i++;
          return arr;
        }
        return fail("',' or ']'");
      }
    }
    if (c === 0x22) return parseString();
    if (c === 0x74) {
      expectWord('true');
      return true;
    }
    if (c === 0x66) {
      expectWord('false');
      return false;
    }
    if (c === 0x6e) {
      expectWord('null');
      return null;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber();
    return fail('a JSON value');
  };

  const value = parseValue(0);
  skipWs();
  if (i < n) fail('only whitespace after the JSON value');
  return value;
}

/** Describes a parsed JSON value for an error message. */
export function describeJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'bigint') {
    const t = v.toString();
    return `the number ${t.length > 40 ? t.slice(0, 37) + '...' : t}`;
  }
  if (v instanceof JsonFloat) return `the number ${v.raw.length > 40 ? v.raw.slice(0, 37) + '...' : v.raw}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return `an object with ${v.size} keys`;
}
