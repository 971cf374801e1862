// Fuzzing the PyTorch reader with hostile pickles (tests/fuzz/targets/torch-pickles.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('torch-pickles');
