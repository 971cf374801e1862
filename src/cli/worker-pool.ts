// The CLI's worker-thread pool: both sides of the protocol by which `lowp check` (parallel.ts) and the
// training section (training-workers.ts) hand work items to worker threads started from the CLI entry.
// The calling thread (runInWorkers) starts the workers, hands each the next item, largest first, as the
// worker says it is ready or sends a result, and tells it it is done when no item is left; a worker
// (serveWorker) opens its inputs once, then runs the items it is sent one after another and posts each
// result back. Whatever a worker does (fails to start, throws, stops, never answers an item it was not
// given), the promise settles once and every worker is terminated before it does (issue #13: threaded
// work never hangs and leaks no threads).
import { Worker } from 'node:worker_threads';
import { cleanWorkerOptions } from '../core/workers.js';
import { CliError } from './io.js';

/** The last message a worker is sent: no item is left, close the inputs and stop. */
export interface PoolDone {
  done: true;
}

/** What a worker posts: ready (inputs open), fatal (they could not be opened), an item's result or error. */
export type PoolReply<Key, Result> = { ready: true } | { fatal: string } | { key: Key; result: Result } | { key: Key; error: string };

/** The words of the messages that say why the pool stopped (see {@link runInWorkers}). */
export interface PoolWords {
  /** What a worker is called, e.g. 'worker thread' (followed by its number, from 1). */
  thread: string;
  /** What a worker opens, e.g. 'the input'. */
  input: string;
  /** What the pool does, e.g. 'the check' (a worker "stopped … before the check was done"). */
  work: string;
  /** One item, e.g. 'tensor' (plural with an s). */
  item: string;
}

/** What {@link runInWorkers} does when a worker fails: warn once, and run the items no worker finished here. */
export interface PoolFallback<Item, Result> {
  /** Told once, with one line saying which worker failed and how, and how many items are left. */
  warn(message: string): void;
  /** Runs one item on the calling thread. */
  run(item: Item): Promise<Result>;
}

/** How {@link runInWorkers} hands out items and names what went wrong. */
export interface PoolOptions<Item, Key, Result> {
  /** The item's size: larger items are handed out first (equal sizes in input order). */
  size(item: Item): number;
  /** The item's key, unique among the items: what the worker's reply names. */
  key(item: Item): Key;
  /** The message that hands the item to a worker (anything structured-clonable but a {@link PoolDone}). */
  message(item: Item): object;
  /** Called as each item is finished, by a worker or the fallback (progress). */
  onDone(item: Item): void;
  /** The words of the messages that say why the pool stopped. */
  words: PoolWords;
  /** What to do when a worker fails (default: reject with a CliError naming the cause). */
  fallback?: PoolFallback<Item, Result>;
}

/**
 * Runs `items` on `threads` worker threads started from `entry` with `workerData`, largest first, each
 * worker taking the next item when it is done. Resolves with one result per item, in the order of
 * `items`, whatever the number of threads.
 *
 * Workers start with an empty execArgv and without NODE_OPTIONS ({@link cleanWorkerOptions}), so the
 * flags the process was started with do not reach them. A worker that fails to start, throws, cannot
 * open its inputs, or stops before it was told it is done stops all of them: with `fallback`, the items
 * no worker finished are then run on the calling thread, in input order, after one warning
 * ("worker thread 2 failed: …; the remaining 3 tensors were analysed on the main thread"); without it,
 * the promise rejects with a CliError naming the cause. An item whose run throws in a worker (posts an
 * error) rejects either way, with the worker's message, as it would on one thread. All workers are
 * terminated before the promise settles.
 *
 * @param entry - URL of the module that runs {@link serveWorker} when started as a worker
 * @param workerData - what each worker is started with
 * @param items - the work
 * @param threads - number of workers (at least 1, at most one per item)
 * @param options - sizes, keys, messages, progress, words and fallback
 * @returns the results, in the order of `items`
 */
export async function runInWorkers<Item, Key, Result>(entry: URL, workerData: unknown, items: readonly Item[], threads: number, options: PoolOptions<Item, Key, Result>): Promise<Result[]> {
  if (items.length === 0) return []; // a worker would be started, told it is done, and nothing would settle
  const { size, key, message, onDone, words, fallback } = options;
  const order = [...items].sort((a, b) => size(b) - size(a));
  const byKey = new Map(items.map((item) => [key(item), item]));
  const results = new Map<Key, Result>();
  const workers: Worker[] = [];
  let lost: string | null = null;
  try {
    lost = await new Promise<string | null>((resolve, reject) => {
      let next = 0;
      let settled = false;
      const finish = (why: string | null): void => {
        if (!settled) (settled = true), resolve(why);
      };
      const fail = (e: Error): void => {
        if (!settled) (settled = true), reject(e);
      };
      const retired = new Set<Worker>();
      const give = (w: Worker): void => {
        if (settled) return;
        if (next < order.length) w.postMessage(message(order[next++]));
        else {
          retired.add(w);
          w.postMessage({ done: true } satisfies PoolDone);
        }
      };
      const n = Math.max(1, Math.min(threads, order.length));
      for (let i = 0; i < n && !settled; i++) {
        const id = `${words.thread} ${i + 1}`;
        let w: Worker;
        try {
          w = new Worker(entry, { ...cleanWorkerOptions(), workerData });
        } catch (e) {
          finish(`${id} could not start: ${oneLineError(e)}`);
          break;
        }
        workers.push(w);
        w.on('message', (m: PoolReply<Key, Result>) => {
          if ('ready' in m) return give(w);
          if ('fatal' in m) return finish(`${id} could not open ${words.input}: ${m.fatal}`);
          if ('error' in m) return fail(new CliError(m.error));
          results.set(m.key, m.result);
          onDone(byKey.get(m.key) as Item);
          if (results.size === order.length) finish(null);
          else give(w);
        });
        w.on('error', (e) => finish(`${id} failed: ${oneLineError(e)}`));
        w.on('exit', (code) => {
          if (!retired.has(w)) finish(`${id} stopped (exit code ${code}) before ${words.work} was done`);
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (lost !== null) {
    if (!fallback) throw new CliError(lost);
    const left = items.filter((item) => !results.has(key(item)));
    fallback.warn(`${lost}; the remaining ${left.length} ${words.item}${left.length === 1 ? '' : 's'} ${left.length === 1 ? 'was' : 'were'} analysed on the main thread`);
    for (const item of left) {
      results.set(key(item), await fallback.run(item));
      onDone(item);
    }
  }
  return items.map((item) => results.get(key(item)) as Result);
}

/** The worker side of a pool: how to open the inputs, run one item, and close them. */
export interface PoolServer<Inputs, Task, Key, Result> {
  /** Opens what every item reads (once per worker); a throw is posted as fatal and the worker stops. */
  open(): Promise<Inputs>;
  /** The key of the item a task message hands over (named in its reply, even when the run throws). */
  key(task: Task): Key;
  /** Runs one item. */
  run(inputs: Inputs, task: Task): Promise<Result>;
  /** Buffers of a result to transfer rather than copy (default: none). */
  transfer?(result: Result): ArrayBuffer[];
  /** Closes the inputs (when the worker is told it is done). */
  close(inputs: Inputs): Promise<void>;
}

/** The part of a worker's `parentPort` that {@link serveWorker} uses. */
export interface PoolPort<Task, Key, Result> {
  postMessage(m: PoolReply<Key, Result>, transfer?: ArrayBuffer[]): void;
  on(e: 'message', f: (m: Task | PoolDone) => void): void;
  close(): void;
}

/**
 * The body of a pool's worker thread: opens the inputs, says it is ready, then runs each item it is
 * sent, one at a time in the order sent, and posts its result (or the error's message) back, until told
 * it is done; then closes the inputs and the port, so the thread ends.
 *
 * @param port - the worker's `parentPort`
 * @param server - how to open, run and close
 */
export async function serveWorker<Inputs, Task extends object, Key, Result>(port: PoolPort<Task, Key, Result>, server: PoolServer<Inputs, Task, Key, Result>): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = await server.open();
  } catch (e) {
    port.postMessage({ fatal: (e as Error).message });
    port.close();
    return;
  }
  let queue = Promise.resolve();
  port.on('message', (m) => {
    queue = queue.then(async () => {
      if ('done' in m) {
        await server.close(inputs);
        port.close();
        return;
      }
      const key = server.key(m);
      try {
        const result = await server.run(inputs, m);
        port.postMessage({ key, result }, server.transfer?.(result));
      } catch (e) {
        port.postMessage({ key, error: (e as Error).message });
      }
    });
  });
  port.postMessage({ ready: true });
}

/** An error in one line: its code (if any) and the first line of its message. */
function oneLineError(e: unknown): string {
  const err = e as { code?: string; message?: string } | null;
  const text = err && typeof err === 'object' && typeof err.message === 'string' ? err.message : String(e);
  return (err?.code ? `${err.code}: ` : '') + text.split('\n')[0];
}
