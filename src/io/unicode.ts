// Unicode shared by lowp/io's readers and writers. Readers decode text (names, headers, JSON, pickled
// strings) with one strict UTF-8 decoder; writers refuse strings with a lone surrogate, which UTF-8
// would silently turn into U+FFFD.

/**
 * The UTF-8 decoder of lowp/io's readers: invalid UTF-8 throws (`fatal`), and a leading U+FEFF stays
 * part of the text (`ignoreBOM`; by default TextDecoder drops it). So names and pickled strings are read
 * as written, as Python reads them, and a JSON text that starts with a byte-order mark stays invalid
 * JSON, as Python's `json` finds it. Decoding whole buffers (no `stream` option) keeps no state, so one
 * instance serves every reader.
 *
 * @example
 * ```ts
 * strictUtf8.decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)); // '\uFEFFa'
 * strictUtf8.decode(Uint8Array.of(0xc3, 0x28));             // throws TypeError (invalid UTF-8)
 * ```
 */
export const strictUtf8: TextDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether a JavaScript string is well-formed UTF-16: every high surrogate (U+D800–U+DBFF) followed by a
 * low one (U+DC00–U+DFFF), no low surrogate without a high one before it. Only such strings encode to
 * UTF-8 and decode back unchanged (`String.prototype.isWellFormed`, ES2024, answers the same).
 *
 * @param s - the string.
 * @returns true when `s` has no lone surrogate.
 * @example
 * ```ts
 * isWellFormedUtf16('a\uD83D\uDE00'); // true (an emoji: a surrogate pair)
 * isWellFormedUtf16('a\uD83D');       // false (a lone high surrogate)
 * ```
 */
export function isWellFormedUtf16(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}
