// Bench helper: the bytes that start a safetensors file (8-byte little-endian length, then the JSON
// header padded with spaces to a multiple of 8), for benchmarks that write big files block by block.

/** The header bytes for `json` (a JSON object text). */
export function safetensorsHeader(json) {
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + padded.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded.length), true);
  head.set(new TextEncoder().encode(padded), 8);
  return head;
}
