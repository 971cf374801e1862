// The fuzz harness catches what it claims to: toy readers with one planted bug each
// (tests/fuzz/selftest/toy.ts) fail with the right reason, and the correct toy passes every property.
// Without this, a harness that checked nothing would pass every reader.
import { describe, expect, it } from 'vitest';
import { launchFuzz, type LaunchReport } from './launch.mjs';

const TOY = new URL('./selftest/toy.ts', import.meta.url).href;
const run = (exportName: string, caseTimeoutMs = 10_000): Promise<LaunchReport> =>
  launchFuzz({ module: TOY, exportName, seed: 42, caseTimeoutMs });

function failures(r: LaunchReport): string {
  return [...r.results.filter((x) => x.status === 'failed').map((x) => `${x.property}: ${x.message}`), r.failure?.message ?? ''].join('\n');
}

describe('fuzz harness self-test (planted bugs)', () => {
  it('a correct reader passes every property, exercising both outcomes', async () => {
    const r = await run('none');
    expect(r.failure).toBeUndefined();
    expect(failures(r).trim()).toBe('');
    const mutations = r.results.find((x) => x.property === 'mutations')!;
    expect(mutations.stats.accepted).toBeGreaterThan(0);
    expect(mutations.stats.rejected).toBeGreaterThan(0);
    expect(r.results.find((x) => x.property === 'payload')!.stats.accepted).toBe(40);
    const corpus = r.results.find((x) => x.property === 'corpus')!;
    expect(corpus.status).toBe('passed');
    expect(corpus.stats).toMatchObject({ cases: 2, accepted: 1, rejected: 1 });
  });

  const DOES: Record<string, string> = {
    code: 'throws an undocumented code',
    mutate: 'modifies its input',
    multiline: 'throws a message of two lines',
    vague: 'throws a message that does not say what was expected',
  };
  const planted: Array<[string, RegExp]> = [
    ['rangeerror', /expected a ToyError, got RangeError/],
    ['alloc', /allocation budget exceeded/],
    ['allocbuffer', /allocation budget exceeded.*Buffer\.allocUnsafeSlow/],
    ['misread', /differ/],
    ['pollute', /prototype pollution: Object\.prototype\.seen was added/],
    ['rereads', /read budget exceeded/],
    ['mutate', /the reader modified its input/],
    ['multiline', /ToyError TRAILING: expected a one-line message/],
    ['vague', /ToyError TRAILING: the message does not say what was expected/],
    ['code', /code 'WHATEVER' is not documented/],
  ];
  for (const [bug, reason] of planted) {
    it.concurrent(`catches a reader that ${DOES[bug] ?? bug}`, async () => {
      const r = await run(bug);
      expect(failures(r)).toMatch(reason);
      // a failure of a random property names its seed, path and a replay command, and saves the input
      const failed = r.results.find((x) => x.status === 'failed' && x.property !== 'seeds');
      expect(failed, 'a random property fails').toBeDefined();
      expect(failed!.message).toMatch(/seed: 42, path: "[\d:]+"/);
      expect(failed!.message).toMatch(/replay: npm run fuzz -- --target toy-\w+ --property \w+ --seed 42 --path/);
      expect(failed!.saved).toBeDefined();
    });
  }

  it.concurrent('catches a reader that loops forever (watchdog, worker terminated)', async () => {
    const r = await run('hang', 1000);
    expect(r.failure?.kind).toBe('hang');
    expect(r.failure?.message).toMatch(/ran for more than 1000 ms/);
    expect(r.failure?.saved).toBeDefined();
  });

  it.concurrent('catches a reader that crashes its worker (an uncaught exception mid-case)', async () => {
    const r = await run('crash');
    expect(r.failure?.kind).toBe('crash');
    expect(r.failure?.message).toMatch(/the fuzz worker died \(toy reader crashed\) in case \d+ of property '\w+' \(seed 42\)/);
    expect(r.failure?.saved).toBeDefined();
  });

  it.concurrent('replays the corpus: a documented but wrong code for a corpus file fails only the corpus property', async () => {
    const r = await run('wrongcode');
    expect(r.failure).toBeUndefined();
    const corpus = r.results.find((x) => x.property === 'corpus')!;
    expect(corpus.status).toBe('failed');
    expect(corpus.message).toMatch(/truncated\.bin \(.*\): expected TRUNCATED, got TRAILING/);
    expect(r.results.filter((x) => x.status === 'failed').map((x) => x.property)).toEqual(['corpus']);
  });

  it.concurrent('catches a reader whose await never settles (the worker stops mid-case, or the watchdog fires)', async () => {
    const r = await run('asynchang', 1000);
    expect(['exit', 'hang']).toContain(r.failure?.kind);
    expect(r.failure?.property).toBeDefined();
    expect(r.failure?.saved).toBeDefined();
  });
});
