// A multi-GB checkpoint is checked with bounded memory: a 2 GiB float32 tensor (a sparse file of zeros
// made with ftruncate in os.tmpdir(), deleted afterwards) is streamed chunk by chunk by the real command
// (a child process); its peak RSS (process.resourceUsage().maxRSS, printed by LOWP_DEBUG=1) stays far
// below the file size, and every value is counted.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lowp-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a safetensors header for one F32 tensor of `bytes` bytes and extends the file sparsely. */
function sparseSafetensors(path: string, bytes: number): number {
  const n = bytes / 4;
  let json = JSON.stringify({ __metadata__: { what: 'sparse zeros' }, big: { dtype: 'F32', shape: [n / 1024, 1024], data_offsets: [0, bytes] } });
  while (json.length % 8 !== 0) json += ' ';
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length));
  head.write(json, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    ftruncateSync(fd, head.length + bytes);
  } finally {
    closeSync(fd);
  }
  return n;
}

describe('lowp check on a 2 GiB file', () => {
  it('streams it with a peak RSS far below the file size and counts every value', async () => {
    const bytes = 2 * 2 ** 30;
    const path = join(dir, 'big.safetensors');
    const n = sparseSafetensors(path, bytes);
    const r = await spawnCli(['check', path, '--to', 'fp16', '--json'], { env: { LOWP_DEBUG: '1' }, timeoutMs: 120_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const m = /peak RSS ([\d.]+) MiB/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const peakMiB = Number(m![1]);
    console.log(`tests/cli/bigfile: peak RSS ${peakMiB} MiB for a ${bytes / 2 ** 30} GiB tensor`);
    expect(peakMiB).toBeLessThan(512); // the file is 2,048 MiB
    const report = JSON.parse(r.stdout);
    expect(report.tensors[0].elements).toBe(n);
    expect(report.summary.counts.zeros).toBe(n);
    expect(report.check.verdict).toBe('safe');
  }, 120_000);
});
