// The zip container of torch.save files (PyTorch >= 1.6): the end of central directory record (and its
// zip64 twin past 4 GiB or 65,535 entries), the central directory with each entry's method, sizes, CRC-32
// and local header offset, and the local headers whose name and extra field say where each entry's bytes
// begin. Sizes come from the central directory only: torch writes local headers with zero sizes and a
// data descriptor. Entries are read stored (method 0) or, for small records such as data.pkl, deflated
// (method 8, through the platform's DecompressionStream, checked against the declared size and CRC-32);
// anything else is refused, never misread. The archive must keep every entry under one top folder.
// Reference: PKWARE APPNOTE.TXT 6.3 (sections 4.3.7-4.3.16, 4.5.3); caffe2/serialize/inline_container.cc.
import { TorchError } from '../errors.js';
import { strictUtf8 } from '../unicode.js';
import { readExact, type ByteSource } from '../source.js';

/** One entry of the central directory. */
export interface ZipEntry {
  /** Its full name (`archive/data/0`). */
  readonly name: string;
  /** Compression method (0 stored, 8 deflated). */
  readonly method: number;
  /** General purpose flags (bit 0: encrypted). */
  readonly flags: number;
  /** CRC-32 of the uncompressed bytes. */
  readonly crc32: number;
  /** Bytes as stored. */
  readonly compressedSize: number;
  /** Bytes once uncompressed. */
  readonly size: number;
  /** Offset of the local header. */
  readonly localHeaderOffset: number;
  /** The name's bytes as stored (compared with the local header's). */
  readonly rawName: Uint8Array;
}

/** A validated central directory. */
export interface ZipDirectory {
  /** Entries by full name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The single top folder every entry lies in (`archive`). */
  readonly folder: string;
  /** Whether zip64 records were used. */
  readonly zip64: boolean;
  /** Where the central directory starts: every entry's bytes end before it. */
  readonly dataLimit: number;
}

/** Limits of {@link readZipDirectory}. */
export interface ZipLimits {
  /** Largest central directory read into memory. Default 256 MiB. */
  maxDirectoryBytes: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const u16max = 0xffff;
const u32max = 0xffffffff;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC-32 (IEEE 802.3, as zip uses it) of some bytes.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function entryName(b: Uint8Array): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    // not UTF-8: the legacy zip code page, close enough to windows-1252 for a name in a message
    return new TextDecoder('windows-1252').decode(b);
  }
}

/** Reads a little-endian u64 as a number; past 2^53 - 1 it is reported as that (larger than any file). */
function u64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * Reads and validates the central directory of a zip archive: one end record that ends the file (an
 * archive comment is allowed), zip64 records where fields overflow, entries that each start after the
 * previous one ends and before the directory, unique names, all under one top folder with no `..`,
 * empty or absolute parts. Throws TorchError `ZIP` (or `TRUNCATED`, `LIMIT`).
 */
export async function readZipDirectory(source: ByteSource, file: string | undefined, limits: ZipLimits = { maxDirectoryBytes: 256 << 20 }): Promise<ZipDirectory> {
  const size = source.size;
  const bad = (message: string): never => {
    throw new TorchError('ZIP', message, file);
  };
  if (size < 22) throw new TorchError('TRUNCATED', `expected a zip archive of at least 22 bytes, got ${size}`, file);
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = await readExact(source, size - tailLen, tailLen, TorchError);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) === tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) bad('expected an end of central directory record at the end of the zip archive, got none (a truncated or damaged file?)');
  const eocdPos = size - tailLen + at;
  const disk = tv.getUint16(at + 4, true);
  const cdDisk = tv.getUint16(at + 6, true);
  let entriesOnDisk = tv.getUint16(at + 8, true);
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  let zip64 = false;
  let cdLimit = eocdPos;
  if (at >= 20 && tv.getUint32(at - 20, true) === LOCATOR64) {
    zip64 = true;
    const recPos = u64(tv, at - 20 + 8);
    if (tv.getUint32(at - 20 + 4, true) !== 0 || tv.getUint32(at - 20 + 16, true) > 1) bad('expected a single-disk zip archive, got a zip64 locator naming other disks');
    if (recPos + 56 > eocdPos - 20) bad(`expected the zip64 end record before its locator, got offset ${recPos}`);
    const rec = await readExact(source, recPos, 56, TorchError);
    const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    if (rv.getUint32(0, true) !== EOCD64) bad(`expected a zip64 end of central directory record at offset ${recPos}, got another signature`);
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) bad('expected a single-disk zip archive, got zip64 disk numbers');
    entriesOnDisk = u64(rv, 24);
    count = u64(rv, 32);
    cdSize = u64(rv, 40);
    cdOffset = u64(rv, 48);
    cdLimit = recPos;
  } else if (count === u16max || cdSize === u32max || cdOffset === u32max) {
    bad('expected a zip64 locator where the end record overflows, got none');
  }
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== count) bad('expected a single-disk zip archive, got a multi-disk one');
  if (count === 0) bad('expected a zip archive with entries, got an empty one');
  if (cdOffset + cdSize > cdLimit) bad(`expected the central directory before the end records at ${cdLimit}, got offset ${cdOffset} and ${cdSize} bytes, which run past them`);
  if (cdSize > limits.maxDirectoryBytes) throw new TorchError('LIMIT', `expected a central directory of at most ${limits.maxDirectoryBytes} bytes, got ${cdSize}`, file);
  if (count * 46 > cdSize) bad(`expected ${count} central directory entries of at least 46 bytes each, got ${cdSize} bytes`);
  const cd = await readExact(source, cdOffset, cdSize, TorchError);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== CENTRAL) bad(`expected central directory entry ${n} at offset ${cdOffset + p}, got ${p + 46 > cdSize ? 'the end of the directory' : 'another signature'}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressed = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const diskStart = dv.getUint16(p + 34, true);
    let local = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) bad(`expected central directory entry ${n} to fit in the directory, got one that runs past it`);
    const rawName = cd.slice(p + 46, p + 46 + nameLen);
    const name = entryName(rawName);
    // zip64 extended information: the fields that overflowed, in this order
    if (compressedSize === u32max || uncompressed === u32max || local === u32max || diskStart === u16max) {
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      let found = false;
      while (e + 4 <= extraEnd) {
        const id = dv.getUint16(e, true);
        const len = dv.getUint16(e + 2, true);
        if (e + 4 + len > extraEnd) break;
        if (id === 0x0001) {
          let q = e + 4;
          const next = (): number => {
            if (q + 8 > e + 4 + len) bad(`expected the zip64 sizes of '${name}' in its extra field, got a short field`);
            const v = u64(dv, q);
            q += 8;
            return v;
          };
          if (uncompressed === u32max) uncompressed = next();
          if (compressedSize === u32max) compressedSize = next();
          if (local === u32max) local = next();
          found = true;
          break;
        }
        e += 4 + len;
      }
      if (!found) bad(`expected a zip64 extra field for '${name}', whose sizes overflow 32 bits, got none`);
    }
    if (diskStart !== 0 && diskStart !== u16max) bad(`expected '${name}' on disk 0, got disk ${diskStart}`);
    if (entries.has(name)) bad(`expected each entry name once, got '${name}' twice`);
    if (flags & 0x41) bad(`expected unencrypted entries, got '${name}' encrypted`);
    if (method === 0 && compressedSize !== uncompressed) bad(`expected a stored entry's sizes to agree, got '${name}' with ${compressedSize} stored and ${uncompressed} declared bytes`);
    entries.set(name, Object.freeze({ name, method, flags, crc32: crc, compressedSize, size: uncompressed, localHeaderOffset: local, rawName }));
    p = end;
  }
  // entries lie one after another before the central directory (no overlap, nothing past it)
  const sorted = [...entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  let prevEnd = 0;
  let prevName = '';
  for (const e of sorted) {
    if (e.localHeaderOffset < prevEnd) bad(`expected entries not to overlap, got '${e.name}' at offset ${e.localHeaderOffset} inside '${prevName}'`);
    prevEnd = e.localHeaderOffset + 30 + e.rawName.length + e.compressedSize;
    prevName = e.name;
    if (prevEnd > cdOffset) bad(`expected '${e.name}' before the central directory at ${cdOffset}, got ${e.compressedSize} bytes at offset ${e.localHeaderOffset} that run past it`);
  }
  return { entries, folder: topFolder(entries.keys(), file), zip64, dataLimit: cdOffset };
}

/** The single top folder of the entries; refuses names outside it or with `..`, empty or absolute parts. */
function topFolder(names: Iterable<string>, file: string | undefined): string {
  let folder: string | undefined;
  for (const name of names) {
    const parts = name.split('/');
    const shownName = name.length > 100 ? name.slice(0, 97) + '...' : name;
    if (parts.length < 2 || parts[0] === '' || parts.some((s, i) => s === '..' || s === '.' || (s === '' && i < parts.length - 1)) || name.includes('\\') || name.includes('\0')) {
      throw new TorchError('ZIP', `expected every entry inside the archive's folder ('<folder>/...'), got '${shownName}'`, file);
    }
    if (folder === undefined) folder = parts[0];
    else if (parts[0] !== folder) throw new TorchError('ZIP', `expected every entry inside the archive's folder '${folder}/', got '${shownName}'`, file);
  }
  return folder!;
}

/**
 * Where an entry's bytes begin: after its local header's name and extra field. Checks the local
 * header's signature and name against the central directory, and that the bytes fit before `limit`.
 */
export async function entryDataOffset(source: ByteSource, entry: ZipEntry, limit: number, file: string | undefined): Promise<number> {
  const nameBytes = entry.rawName;
  if (entry.localHeaderOffset + 30 + nameBytes.length > limit) throw new TorchError('ZIP', `expected the local header of '${entry.name}' inside the archive, got offset ${entry.localHeaderOffset}`, file);
  const h = await readExact(source, entry.localHeaderOffset, 30 + nameBytes.length, TorchError);
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  if (dv.getUint32(0, true) !== LOCAL) throw new TorchError('ZIP', `expected a local header for '${entry.name}' at offset ${entry.localHeaderOffset}, got another signature`, file);
  const nameLen = dv.getUint16(26, true);
  const extraLen = dv.getUint16(28, true);
  const same = nameLen === nameBytes.length && nameBytes.every((b, i) => h[30 + i] === b);
  if (!same) throw new TorchError('ZIP', `expected the local header at offset ${entry.localHeaderOffset} to name '${entry.name}' as the central directory does, got another name`, file);
  const start = entry.localHeaderOffset + 30 + nameLen + extraLen;
  if (start + entry.compressedSize > limit) throw new TorchError('ZIP', `expected the ${entry.compressedSize} bytes of '${entry.name}' inside the archive, got them running past the central directory`, file);
  return start;
}

/**
 * The whole uncompressed content of a small entry (data.pkl, byteorder, version): stored, or deflated
 * when the platform has `DecompressionStream`. Checks the size and the CRC-32. Refuses other methods
 * (`COMPRESSED`) and entries larger than `maxBytes` (`LIMIT`).
 */
export async function readEntry(source: ByteSource, entry: ZipEntry, limit: number, maxBytes: number, file: string | undefined): Promise<Uint8Array> {
  if (entry.size > maxBytes) throw new TorchError('LIMIT', `expected '${entry.name}' to hold at most ${maxBytes} bytes, got ${entry.size}`, file);
  // deflate never needs much more room than the data itself: a larger compressed size is not read
  if (entry.compressedSize > entry.size + (entry.size >> 3) + 1024) {
    throw new TorchError('ZIP', `expected '${entry.name}' to take at most about its ${entry.size} bytes compressed, got ${entry.compressedSize}`, file);
  }
  if (entry.method !== 0 && entry.method !== 8) throw new TorchError('COMPRESSED', `expected '${entry.name}' stored or deflated, got compression method ${entry.method}`, file);
  const start = await entryDataOffset(source, entry, limit, file);
  const raw = await readExact(source, start, entry.compressedSize, TorchError);
  const bytes = entry.method === 0 ? raw : await inflate(raw, entry, file);
  const crc = crc32(bytes);
  if (crc !== entry.crc32) throw new TorchError('ZIP', `expected '${entry.name}' to match its CRC-32 ${entry.crc32.toString(16)}, got ${crc.toString(16)} (a damaged file)`, file);
  return bytes;
}

/**
 * Inflates raw deflate data to exactly `entry.size` bytes (never more is kept). The output is allocated
 * as it arrives, not from the declared size: a few bytes of damaged deflate data must not make the
 * reader allocate the megabytes their entry declares.
 */
async function inflate(raw: Uint8Array, entry: ZipEntry, file: string | undefined): Promise<Uint8Array> {
  const DS = (globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).DecompressionStream;
  if (DS === undefined) throw new TorchError('COMPRESSED', `expected '${entry.name}' stored, got it deflated and no DecompressionStream in this runtime to inflate it`, file);
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DS('deflate-raw'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (got + value.length > entry.size) {
        await reader.cancel();
        throw new TorchError('ZIP', `expected '${entry.name}' to inflate to ${entry.size} bytes, got more`, file);
      }
      parts.push(value);
      got += value.length;
    }
  } catch (e) {
    if (e instanceof TorchError) throw e;
    throw new TorchError('ZIP', `expected valid deflate data in '${entry.name}', got data that does not inflate (${e instanceof Error ? e.message : String(e)})`, file);
  }
  if (got !== entry.size) throw new TorchError('ZIP', `expected '${entry.name}' to inflate to ${entry.size} bytes, got ${got}`, file);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(got);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
