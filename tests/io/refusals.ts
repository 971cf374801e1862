// What every reader fuzz test asks of a refusal: it is the reader's own named error with a one-line
// message, and parsing the hostile bytes left Object.prototype untouched.

/** Rethrows `e` unless it is an instance of `ErrorClass` with a one-line message; returns it otherwise. */
export function expectRefusal<E extends Error>(e: unknown, ErrorClass: abstract new (...args: never[]) => E): E {
  if (!(e instanceof ErrorClass)) throw e;
  if (/[\r\n]/.test(e.message)) throw new Error(`multi-line message: ${e.message}`);
  return e;
}

/** Throws when Object.prototype gained an enumerable key, or an own `polluted` or one of `names`. */
export function expectPrototypeClean(...names: string[]): void {
  const own = (k: string): boolean => Object.prototype.hasOwnProperty.call(Object.prototype, k);
  if (Object.keys(Object.prototype).length > 0 || own('polluted') || names.some(own)) throw new Error('Object.prototype was polluted');
}
