// The CLI's worker pool (src/cli/worker-pool.ts), which `lowp check --threads` and the training section
// run on: with a tiny worker (tests/fixtures/pool/worker.mjs) every item is run exactly once, largest
// first, the results come back in input order, a worker that fails (cannot start, cannot open its inputs,
// throws, exits) stops them all, with or without a fallback that finishes the rest on this thread, and
// no worker thread is left running once the promise settles (issue #13). serveWorker, the worker side,
// is run here over a MessageChannel. The CLI's own workers are tested end to end in workers.test.ts and
// training.test.ts.
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/io.js';
import { runInWorkers, serveWorker, type PoolOptions, type PoolReply } from '../../src/cli/worker-pool.js';

// every Worker the pool starts, and whether it has exited
const started = vi.hoisted(() => [] as { exited: boolean }[]);
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Tracked extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      const record = { exited: false };
      started.push(record);
      this.once('exit', () => (record.exited = true));
    }
  }
  return { ...real, Worker: Tracked };
});

const entry = new URL('../fixtures/pool/worker.mjs', import.meta.url);
const words = { thread: 'test thread', input: 'the inputs', work: 'the test', item: 'item' };

interface Item {
  key: number;
  size: number;
  delay: number;
}

type Fail = { kind: 'throw' | 'exit' | 'error'; key: number } | { kind: 'fatal' };

/** Runs `items` in the pool; what each worker ran (counts per key, the order taken), progress and warnings. */
async function pool(items: Item[], threads: number, opts: { fail?: Fail; fallback?: boolean; entry?: URL } = {}) {
  const runs = new SharedArrayBuffer(4 * Math.max(1, ...items.map((i) => i.key + 1)));
  const taken = new SharedArrayBuffer(4 * (items.length + 1));
  const done: number[] = [];
  const warnings: string[] = [];
  const here: number[] = [];
  const from = started.length;
  const options: PoolOptions<Item, number, number> = {
    size: (i) => i.size,
    key: (i) => i.key,
    message: (i) => ({ item: i }),
    onDone: (i) => done.push(i.key),
    words,
    fallback: opts.fallback ? { warn: (m) => warnings.push(m), run: async (i) => (here.push(i.key), i.key * 10) } : undefined,
  };
  const result = await runInWorkers(opts.entry ?? entry, { runs, taken, fail: opts.fail }, items, threads, options).then(
    (value) => ({ value, error: null }),
    (error: unknown) => ({ value: null, error: error as Error }),
  );
  const mine = started.slice(from);
  const order = new Int32Array(taken);
  return {
    ...result,
    counts: [...new Int32Array(runs)],
    taken: [...order.subarray(1, 1 + order[0])],
    done,
    warnings,
    here,
    workers: mine.length,
    alive: mine.filter((w) => !w.exited).length,
  };
}

function items(n: number, size: (k: number) => number = (k) => k, delay: (k: number) => number = () => 0): Item[] {
  return Array.from({ length: n }, (_, key) => ({ key, size: size(key), delay: delay(key) }));
}

describe('runInWorkers', () => {
  it('every item once, largest first (ties in input order), results in input order', async () => {
    const list = items(7, (k) => [5, 1, 5, 9, 0, 1, 5][k]);
    const r = await pool(list, 1);
    expect(r.error).toBe(null);
    expect(r.value).toEqual(list.map((i) => i.key * 10));
    expect(r.counts).toEqual(list.map(() => 1));
    expect(r.taken).toEqual([3, 0, 2, 6, 1, 5, 4]);
    expect(r.done).toEqual([3, 0, 2, 6, 1, 5, 4]);
    expect(r.workers).toBe(1);
    expect(r.alive).toBe(0);
  });

  it('any sizes, delays and threads: each item run and reported once, results in input order, no thread left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 4 }), delay: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, threads) => {
          const list = specs.map((s, key) => ({ key, ...s }));
          const r = await pool(list, threads);
          expect(r.error).toBe(null);
          expect(r.value).toEqual(list.map((i) => i.key * 10));
          expect(r.counts).toEqual(list.map(() => 1));
          expect([...r.done].sort((a, b) => a - b)).toEqual(list.map((i) => i.key));
          expect(r.workers).toBe(Math.min(threads, list.length));
          expect(r.alive).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('no items: no worker, no results', async () => {
    const r = await pool([], 3);
    expect(r.value).toEqual([]);
    expect(r.workers).toBe(0);
  });

  it.each([
    [{ kind: 'throw', key: 4 } as Fail, /^test thread [12] failed: boom at 4$/],
    [{ kind: 'exit', key: 4 } as Fail, /^test thread [12] stopped \(exit code 3\) before the test was done$/],
    [{ kind: 'fatal' } as Fail, /^test thread [12] could not open the inputs: no inputs here$/],
  ])('a worker that fails (%o) stops them all: without a fallback, a CliError naming it', async (fail, why) => {
    const r = await pool(items(8, (k) => 8 - k, () => 1), 2, { fail });
    expect(r.error).toBeInstanceOf(CliError);
    expect(r.error?.message).toMatch(why);
    expect(r.alive).toBe(0);
  });

  // item 4 (the fifth handed out) fails: what remains is 4, the items not yet handed out (5, 6, 7; fewer
  // when the other worker took and finished some first) and at most the one the other worker still holds
  // (3 on a loaded machine), so 1 to 5 items
  it.each([
    [{ kind: 'throw', key: 4 } as Fail, /^test thread [12] failed: boom at 4; the remaining [1-5] items? (was|were) analysed on the main thread$/],
    [{ kind: 'exit', key: 4 } as Fail, /^test thread [12] stopped \(exit code 3\) before the test was done; the remaining [1-5] items? (was|were) analysed on the main thread$/],
    [{ kind: 'fatal' } as Fail, /^test thread [12] could not open the inputs: no inputs here; the remaining 8 items were analysed on the main thread$/],
  ])('a worker that fails (%o): the fallback runs what no worker finished, in input order, after one warning', async (fail, warning) => {
    const list = items(8, (k) => 8 - k, () => 1);
    const r = await pool(list, 2, { fail, fallback: true });
    expect(r.error).toBe(null);
    expect(r.value).toEqual(list.map((i) => i.key * 10));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(warning);
    expect(r.here).toEqual([...r.here].sort((a, b) => a - b));
    expect(r.here).toContain(4);
    expect(r.warnings[0]).toContain(`remaining ${r.here.length} item`);
    expect([...r.done].sort((a, b) => a - b)).toEqual(list.map((i) => i.key));
    expect(r.done.slice(-r.here.length)).toEqual(r.here);
    expect(r.alive).toBe(0);
  });

  it('a worker fails while the other still holds an item: that item is run here too (5 items)', async () => {
    // item 3 sleeps 3 s: whoever holds it is still busy when the other worker takes item 4 and throws
    const list = items(8, (k) => 8 - k, (k) => (k === 3 ? 3000 : 1));
    const r = await pool(list, 2, { fail: { kind: 'throw', key: 4 }, fallback: true });
    expect(r.value).toEqual(list.map((i) => i.key * 10));
    expect(r.here).toEqual([3, 4, 5, 6, 7]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^test thread [12] failed: boom at 4; the remaining 5 items were analysed on the main thread$/);
    expect(r.alive).toBe(0);
  });

  it('a worker that cannot start: the fallback runs everything', async () => {
    const r = await pool(items(3), 2, { entry: new URL('http://example.invalid/worker.mjs'), fallback: true });
    expect(r.value).toEqual([0, 10, 20]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^test thread 1 could not start: .+; the remaining 3 items were analysed on the main thread$/);
    expect(r.here).toEqual([0, 1, 2]);
  });

  it("an item's error rejects with the worker's message, fallback or not", async () => {
    for (const fallback of [false, true]) {
      const r = await pool(items(6, () => 1, () => 1), 2, { fail: { kind: 'error', key: 2 }, fallback });
      expect(r.error).toBeInstanceOf(CliError);
      expect(r.error?.message).toBe('bad item 2');
      expect(r.warnings).toEqual([]);
      expect(r.here).toEqual([]);
      expect(r.alive).toBe(0);
    }
  });
});

describe('serveWorker', () => {
  it('ready, then one reply per task in the order sent (results, errors), then closes on done', async () => {
    const { port1, port2 } = new MessageChannel();
    const replies: PoolReply<number, string>[] = [];
    const closed = new Promise<void>((resolve) => port2.once('close', () => resolve()));
    port2.on('message', (m: PoolReply<number, string>) => replies.push(m));
    const log: string[] = [];
    await serveWorker<string[], { n: number }, number, string>(port1, {
      open: async () => (log.push('open'), ['a', 'b']),
      key: (m) => m.n,
      run: async (inputs, m) => {
        await new Promise((resolve) => setTimeout(resolve, m.n === 0 ? 5 : 0));
        if (m.n >= inputs.length) throw new Error(`no item ${m.n}`);
        return inputs[m.n];
      },
      close: async () => void log.push('close'),
    });
    port2.postMessage({ n: 0 });
    port2.postMessage({ n: 5 });
    port2.postMessage({ n: 1 });
    port2.postMessage({ done: true });
    await closed;
    expect(replies).toEqual([{ ready: true }, { key: 0, result: 'a' }, { key: 5, error: 'no item 5' }, { key: 1, result: 'b' }]);
    expect(log).toEqual(['open', 'close']);
  });

  it('inputs that cannot be opened: fatal, and the port closes', async () => {
    const { port1, port2 } = new MessageChannel();
    const replies: unknown[] = [];
    const closed = new Promise<void>((resolve) => port2.once('close', () => resolve()));
    port2.on('message', (m) => replies.push(m));
    await serveWorker(port1, {
      open: async () => {
        throw new Error('cannot open');
      },
      key: (m: { n: number }) => m.n,
      run: async () => 0,
      close: async () => {},
    });
    await closed;
    expect(replies).toEqual([{ fatal: 'cannot open' }]);
  });
});
