// One check for every options argument in the core: when given, it must be a plain options object.
// A format name, a number, null, an array or the `out` array itself passed in its place would
// otherwise be ignored without a word (and an `out` left unwritten).
import { describeValue } from './describe.js';

/**
 * Throws a TypeError unless `opts` is undefined or an options object (not null, an array or a typed
 * array).
 *
 * @param fn - the calling function's name, for the message.
 * @param example - an example of the options, for the message (e.g. `'{ out }'`).
 * @internal
 */
export function checkOptionsObject(opts: unknown, fn: string, example?: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || ArrayBuffer.isView(opts)) {
    throw new TypeError(`${fn}: options must be an object${example ? ` (e.g. ${example})` : ''}, got ${describeValue(opts)}`);
  }
}
