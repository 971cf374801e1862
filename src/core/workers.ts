// The options every worker thread lowp starts is given (the matmul pool's keeper and workers, `lowp
// check`'s analysis workers), so that a worker does not depend on the flags its process was started
// with: an empty execArgv (no --input-type, --eval, --require/--import hooks, --experimental-* or
// --inspect from the parent; a worker's execArgv is otherwise a copy of the parent's), the environment
// without NODE_OPTIONS (which Node would otherwise parse again for the worker, running its --require
// and --import preloads there) and no stdin. Node only; reads `process` through globalThis so that the
// core still bundles for browsers.

/** The isolation options of {@link cleanWorkerOptions}. */
export interface CleanWorkerOptions {
  execArgv: string[];
  env: Record<string, string | undefined>;
  stdin: false;
}

/**
 * Options that make a Node worker thread independent of its parent's command-line flags and
 * NODE_OPTIONS: `{ execArgv: [], env: process.env without NODE_OPTIONS, stdin: false }`.
 *
 * @example
 * ```ts
 * new Worker(url, { ...cleanWorkerOptions(), workerData });
 * ```
 */
export function cleanWorkerOptions(): CleanWorkerOptions {
  const env = { ...((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}) };
  delete env.NODE_OPTIONS;
  return { execArgv: [], env, stdin: false };
}
