// Fuzzing checkpoint (tests/fuzz/targets/checkpoint.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('checkpoint');
