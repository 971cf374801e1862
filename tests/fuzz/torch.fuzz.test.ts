// Fuzzing the PyTorch torch.save reader (tests/fuzz/targets/torch.ts) with the shared harness.
import { fuzzSuite } from './suite.js';

fuzzSuite('torch');
