// A minimal safetensors reader and writer for the fixture makers (make-fixtures.mjs,
// make-adam-fixtures.mjs), which cut subsets of oracle files without going through lowp's own reader
// (the fixtures are there to test it), and the header bytes the benchmarks' file writers start with.
import { readFileSync, writeFileSync } from 'node:fs';

/** The header (tensor name -> { dtype, shape, data_offsets }, and __metadata__) and the data section of a file. */
export function readSafetensors(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  return { header, data: buf.subarray(8 + n) };
}

/** Writes tensors ([name, { dtype, shape, bytes }], in file order) and optional metadata; the header is padded to 8 bytes. */
export function writeSafetensors(path, tensors, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  writeFileSync(path, Buffer.concat([safetensorsHeader(JSON.stringify(header)), ...tensors.map(([, t]) => t.bytes)]));
}

/**
 * The bytes that start a safetensors file: the 8-byte little-endian length, then the JSON header (a
 * JSON object text) padded with spaces to a multiple of 8 bytes. Also what the benchmarks that write big
 * files block by block put first (bench/_safetensors-header.mjs).
 */
export function safetensorsHeader(json) {
  const text = new TextEncoder().encode(json);
  const padded = text.length + ((8 - (text.length % 8)) % 8);
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + text.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(text, 8);
  return head;
}
