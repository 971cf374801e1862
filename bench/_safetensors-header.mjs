// Bench helper: the bytes that start a safetensors file (8-byte little-endian length, then the JSON
// header padded with spaces to a multiple of 8), for benchmarks that write big files block by block;
// the one implementation is scripts/safetensors-lite.mjs's.
export { safetensorsHeader } from '../scripts/safetensors-lite.mjs';
