// A minimal safetensors reader and writer for the fixture makers (make-fixtures.mjs,
// make-adam-fixtures.mjs): they cut subsets of oracle files without going through lowp's own reader,
// which the fixtures are there to test.
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
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const h = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, ...tensors.map(([, t]) => t.bytes)]));
}
