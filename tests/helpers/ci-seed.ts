// The fixed seed of randomized tests under CI (the CI variable set, as .ci/run sets it), so that a
// landing is judged on the code, not on the luck of a draw; local runs draw a fresh seed each time.
// Used by the fuzz harness (tests/fuzz/suite.ts) and by fast-check properties over mutated files.

/** Whether the CI variable is set (and not '0' or 'false'). */
export const UNDER_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== '0' && process.env.CI !== 'false';

/** The seed of CI runs (any fixed value: the point is that it does not change). */
export const CI_SEED = 20261207;

/** fast-check parameters: the CI seed under CI, nothing (a fresh seed) elsewhere. */
export const ciSeed: { seed?: number } = UNDER_CI ? { seed: CI_SEED } : {};
