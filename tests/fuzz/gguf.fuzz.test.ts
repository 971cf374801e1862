// Fuzzing the GGUF reader (tests/fuzz/targets/gguf.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('gguf');
