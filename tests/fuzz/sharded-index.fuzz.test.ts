// Fuzzing sharded-index (tests/fuzz/targets/sharded-index.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('sharded-index');
