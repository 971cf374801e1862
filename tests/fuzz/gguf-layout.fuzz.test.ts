// Fuzzing the GGUF reader (tests/fuzz/targets/gguf-layout.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('gguf-layout');
