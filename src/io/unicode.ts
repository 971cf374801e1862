// Unicode checks shared by lowp/io's writers: a JavaScript string is written as UTF-8 (JSON headers,
// GGUF strings), and a lone surrogate would silently become U+FFFD there, so writers refuse it.

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
