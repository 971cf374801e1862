// Short, human descriptions of values for error messages ("a Float32Array of length 3", "the string 'fp12'"),
// so every error can say what was expected and what came.

/**
 * Describes a value for an error message: its type, and its length or content where that helps.
 *
 * @example
 * ```ts
 * describeValue(new Float32Array(3)); // 'a Float32Array of length 3'
 * describeValue('fp12');              // "the string 'fp12'"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return `the string '${value.length > 40 ? value.slice(0, 37) + '...' : value}'`;
    case 'number':
      return `the number ${value}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'typed array';
    const len = (value as unknown as { length?: number }).length;
    return len === undefined ? article(name) : `${article(name)} of length ${len}`;
  }
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? article(name) : 'an object';
}

/** 'a Uint8Array', 'an Int8Array': the indefinite article by the name's first letter. */
function article(name: string): string {
  return /^[AEIO]/i.test(name) ? `an ${name}` : `a ${name}`; // 'a Uint…' (you-int), 'an Int…'
}
