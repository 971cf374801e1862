// Fuzzing the safetensors reader (tests/fuzz/targets/safetensors.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('safetensors');
