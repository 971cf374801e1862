// The vitest side of the fuzz harness: `fuzzSuite('<target>')` runs the target's properties in a guarded
// worker (launch.mjs) once, in beforeAll, and reports each property as a test. The CI size is the
// targets' default run counts; FUZZ_SEED / FUZZ_SCALE / FUZZ_PROPERTY / FUZZ_PATH / FUZZ_MINUTES change
// it (npm run fuzz uses run.mjs instead, without vitest). Under CI (the CI variable set, as .ci/run sets
// it) the seed is fixed unless FUZZ_SEED says otherwise, so that a landing is judged on the code, not on
// the luck of a draw; local runs draw a fresh seed each time and `npm run fuzz` explores at length.
import { beforeAll, describe, expect, it } from 'vitest';
import { ciSeed } from '../helpers/ci-seed.js';
import { fuzzOptionsFromEnv, launchFuzz, PROPERTIES, type LaunchOptions, type LaunchReport } from './launch.mjs';

/** Declares the fuzz tests of one target (tests/fuzz/targets/<name>.ts). */
export function fuzzSuite(name: string, options: LaunchOptions = {}): void {
  const env = fuzzOptionsFromEnv(process.env);
  const merged: LaunchOptions = { target: name, ...ciSeed, ...options, ...env };
  const minutes = merged.timeLimitMs !== undefined ? merged.timeLimitMs * PROPERTIES.length : 0;
  const timeout = 120_000 * Math.max(1, merged.scale ?? 1) + minutes;
  describe(`fuzz: ${name}`, () => {
    let report: LaunchReport;
    beforeAll(async () => {
      report = await launchFuzz(merged);
    }, timeout);
    for (const property of PROPERTIES) {
      it(property, (ctx) => {
        const f = report.failure;
        const r = report.results.find((x) => x.property === property);
        if (r === undefined) {
          if (f !== undefined && (f.property === property || f.property === undefined)) expect.fail(`${name}/${property}: ${f.message}`);
          if (f !== undefined) ctx.skip(`not run: the worker stopped earlier (${f.kind})`);
          if (merged.only !== undefined) ctx.skip('not selected');
          expect.fail(`${name}/${property}: no result from the fuzz worker`);
        }
        if (r.status === 'skipped') ctx.skip(r.message);
        if (r.status === 'failed') expect.fail(`${name}/${property} (seed ${r.seed}, ${r.runs} runs):\n${r.message}`);
        expect(r.stats.cases).toBeGreaterThan(0);
      });
    }
  });
}
