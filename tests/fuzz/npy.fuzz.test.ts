// Fuzzing the .npy reader (tests/fuzz/targets/npy.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('npy');
