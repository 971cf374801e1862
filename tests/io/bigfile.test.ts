// Bounded memory on a multi-GB checkpoint: a sparse 6 GiB safetensors file (header written, then the
// file extended with ftruncate, so the data reads as zeros without using disk) holding a 4 GiB F32
// tensor and, after it (at offsets past 2^32), a 2 GiB F32 tensor. The 2 GiB tensor is streamed end to
// end with the chunk iterator (the 4 GiB one only at its ends, to keep the test fast: first reads of a
// sparse file cost the kernel ~0.3-2 GB/s); peak RSS growth, sampled at every chunk, must stay far
// below the file size (< 512 MiB).
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint, openSafetensors, type SafetensorsTensorInfo } from '../../src/io/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lowp-io-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LEAD = 2 ** 30; // 4 GiB of float32, read only at its ends
const ELEMENTS = 2 ** 29; // 2 GiB of float32, streamed whole, starting past 2^32 bytes
const CHUNK = 1 << 20; // the default chunk: 4 MiB of float32

function makeSparse(path: string): number {
  const a = LEAD * 4;
  const b = a + ELEMENTS * 4;
  const json = `{"__metadata__":{"kind":"sparse"},"lead":{"dtype":"F32","shape":[32768,32768],"data_offsets":[0,${a}]},"big":{"dtype":"F32","shape":[16384,32768],"data_offsets":[${a},${b}]},"tail":{"dtype":"U8","shape":[3],"data_offsets":[${b},${b + 3}]}}`;
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + padded.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded.length), true);
  head.set(new TextEncoder().encode(padded), 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const size = head.length + LEAD * 4 + ELEMENTS * 4 + 3;
    ftruncateSync(fd, size);
    return size;
  } finally {
    closeSync(fd);
  }
}

// Windows extends files with real zeros (not sparse) unless asked: 6 GiB of disk writes, so skip there.
const sparseFiles = process.platform !== 'win32';
if (!sparseFiles) console.warn('tests/io/bigfile: skipped on Windows (ftruncate does not make sparse files)');

describe.skipIf(!sparseFiles)('multi-GB file with bounded memory', () => {
  it('streams a 2 GiB tensor stored past 4 GiB in a 6 GiB sparse file, RSS growth far below the file size', async () => {
    const path = join(dir, 'big.safetensors');
    const size = makeSparse(path);
    expect(size).toBeGreaterThan(6 * 2 ** 30);
    const ck = await openCheckpoint(path);
    expect(ck.info('lead')).toMatchObject({ dtype: 'F32', shape: [32768, 32768], elements: LEAD });
    expect(ck.info('big')).toMatchObject({ dtype: 'F32', shape: [16384, 32768], elements: ELEMENTS });
    expect((ck.info('big') as SafetensorsTensorInfo).byteOffset).toBeGreaterThan(2 ** 32);
    // the 4 GiB tensor: the first chunk, then stop (the iterator must release its prefetch)
    for await (const { start, data } of ck.chunks('lead', { elements: CHUNK })) {
      expect([start, data.length, data[0], data[data.length - 1]]).toEqual([0, CHUNK, 0, 0]);
      break;
    }
    const base = process.memoryUsage().rss;
    let peak = base;
    let seen = 0;
    let nonZero = 0;
    let chunks = 0;
    for await (const { start, data } of ck.chunks('big', { elements: CHUNK })) {
      expect(start).toBe(seen);
      const d = data as Float32Array;
      // check a strided sample of every chunk (all must be zero in a sparse file) and both ends
      for (let i = 0; i < d.length; i += 4093) if (d[i] !== 0) nonZero++;
      if (d[d.length - 1] !== 0) nonZero++;
      seen += d.length;
      chunks++;
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    }
    expect(seen).toBe(ELEMENTS);
    expect(chunks).toBe(ELEMENTS / CHUNK);
    expect(nonZero).toBe(0);
    const growth = peak - base;
    expect(growth).toBeLessThan(512 * 2 ** 20);
    // the last tensor sits past 6 GiB
    expect([...(await ck.tensor('tail')).data]).toEqual([0, 0, 0]);
    await ck.close();
    console.log(`2 GiB streamed in ${chunks} chunks from a ${(size / 2 ** 30).toFixed(1)} GiB file; peak RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
  });

  it('float conversion while streaming also stays bounded (as: float64, first 1 GiB, then stop early)', async () => {
    const path = join(dir, 'big.safetensors');
    const st = await openSafetensors(path);
    const base = process.memoryUsage().rss;
    let peak = base;
    let seen = 0;
    for await (const { data } of st.chunks('big', { elements: CHUNK, as: 'float64' })) {
      expect(data).toBeInstanceOf(Float64Array);
      seen += data.length;
      peak = Math.max(peak, process.memoryUsage().rss);
      if (seen >= 2 ** 28) break; // stop early: the iterator must clean up its prefetch
    }
    expect(peak - base).toBeLessThan(512 * 2 ** 20);
    await st.close();
  });
});
