// Fuzzing the ONNX reader (tests/fuzz/targets/onnx.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('onnx');
