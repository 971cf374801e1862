// Switches lowp's WebAssembly kernels off and on for the ggml dequantizer tests.
export { setWasmEnabled } from '../../src/wasm/loader.js';
export { wasmSimdAvailable as wasmAvailable } from '../../src/wasm/status.js';
