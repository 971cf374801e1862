// A safe parser for the Python literals found in .npy headers (what numpy writes with repr() and reads
// with ast.literal_eval): dicts, tuples, lists, strings, integers, True/False/None. No evaluation, depth
// and length bounded; dicts become Maps, so no key can reach Object.prototype. Errors are NpyError HEADER.
import { NpyError } from '../errors.js';

/** A parsed Python literal. Tuples and lists are both arrays; `tuple` marks which. */
export type PyValue = null | boolean | string | number | bigint | PyValue[] | Map<string, PyValue> | PyTuple;

/** A Python tuple. */
export class PyTuple {
  /** @param items - the tuple's elements */
  constructor(readonly items: PyValue[]) {}
}

/**
 * Parses `text` as one Python literal (optionally followed by whitespace). Dict keys must be strings.
 */
export function parsePythonLiteral(text: string, file?: string, maxDepth = 32): PyValue {
  const s = text;
  const n = s.length;
  let i = 0;
  const fail = (expected: string): never => {
    const got = i >= n ? 'the end of the header' : `'${s.slice(i, i + 12)}' at character ${i}`;
    throw new NpyError('HEADER', `expected ${expected} in the header dict, got ${got}`, file);
  };
  const ws = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const str = (): string => {
    const q = s[i++];
    let out = '';
    while (i < n && s[i] !== q) {
      if (s[i] === '\n') return fail('a closing quote');
      if (s[i] === '\\') {
        const e = s[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e === undefined || !(e in map)) return fail('a simple escape (\\n \\t \\r \\\\ \\\' \\")');
        out += map[e];
        i += 2;
      } else out += s[i++];
    }
    if (i >= n) return fail('a closing quote');
    i++;
    return out;
  };
  const seq = (close: string, depth: number): { items: PyValue[]; trailingComma: boolean } => {
    const items: PyValue[] = [];
    let trailingComma = false;
    ws();
    while (s[i] !== close) {
      items.push(value(depth + 1));
      ws();
      trailingComma = false;
      if (s[i] === ',') {
        i++;
        trailingComma = true;
        ws();
      } else if (s[i] !== close) return fail(`',' or '${close}'`);
    }
    i++;
    return { items, trailingComma };
  };
  const value = (depth: number): PyValue => {
    if (depth > maxDepth) return fail(`nesting at most ${maxDepth} deep`);
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const m = new Map<string, PyValue>();
      ws();
      while (s[i] !== '}') {
        if (s[i] !== "'" && s[i] !== '"') return fail('a string key');
        const k = str();
        if (m.has(k)) return fail(`no repeated key '${k}'`);
        ws();
        if (s[i] !== ':') return fail("':'");
        i++;
        m.set(k, value(depth + 1));
        ws();
        if (s[i] === ',') {
          i++;
          ws();
        } else if (s[i] !== '}') return fail("',' or '}'");
      }
      i++;
      return m;
    }
    if (c === '(') {
      i++;
      const { items, trailingComma } = seq(')', depth);
      // (x) is a parenthesised value, (x,) a 1-tuple
      if (items.length === 1 && !trailingComma) return items[0];
      return new PyTuple(items);
    }
    if (c === '[') {
      i++;
      return seq(']', depth).items;
    }
    if (c === "'" || c === '"') return str();
    const m = /^(?:True|False|None)\b/.exec(s.slice(i, i + 6));
    if (m) {
      i += m[0].length;
      return m[0] === 'True' ? true : m[0] === 'False' ? false : null;
    }
    const num = /^[+-]?\d+L?/.exec(s.slice(i, i + 40));
    if (num && !/[\d.eEjx_]/.test(s[i + num[0].length] ?? '')) {
      i += num[0].length;
      const digits = num[0].replace(/L$/, '');
      // + 0 turns -0 into 0: Python integers have no negative zero (ast.literal_eval('-0') == 0)
      const v = Number(digits) + 0;
      return Number.isSafeInteger(v) ? v : BigInt(digits);
    }
    return fail('a Python literal (dict, tuple, list, string, integer, True, False, None)');
  };
  const v = value(0);
  ws();
  if (i < n) fail('nothing after the dict');
  return v;
}
