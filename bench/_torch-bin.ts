// Writes a pytorch_model.bin for bench/cli.mjs with the test writer (tests/helpers/torch-writer.ts): a
// torch.save zip archive (pickle protocol 2, storages stored at 64-byte aligned offsets, zip64 where the
// size needs it) holding TENSORS float32 tensors of equal size named layers.<i>.weight, filled with the
// same xorshift32 values as bench/cli.mjs's safetensors file (magnitudes 2^-30 … 2^4), streamed to disk
// chunk by chunk. Run through tsx: node --import tsx bench/_torch-bin.ts OUT TOTAL_BYTES TENSORS
import { closeSync, openSync, writeSync } from 'node:fs';
import { Ordered, T, torchSaveTo, type PyW, type StorageSpec } from '../tests/helpers/torch-writer.js';

const [out, totalArg, tensorsArg] = process.argv.slice(2);
const total = Number(totalArg);
const tensors = Number(tensorsArg);
const per = total / tensors;
if (!out || !Number.isSafeInteger(per) || per % 4096 !== 0) throw new Error('usage: _torch-bin.ts OUT TOTAL_BYTES TENSORS (TOTAL_BYTES / TENSORS a multiple of 4096)');

let s = 2463534242;
const next = (): number => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return (s >>> 0) / 4294967296;
};
const block = new Float32Array(2 ** 20);
function* chunks(bytes: number): Iterable<Uint8Array> {
  for (let done = 0; done < bytes; ) {
    for (let i = 0; i < block.length; i++) block[i] = (next() - 0.5) * 2 ** (4 - Math.floor(next() * 34));
    const n = Math.min(block.byteLength, bytes - done);
    yield new Uint8Array(block.buffer, 0, n);
    done += n;
  }
}
const storages = new Map<string, StorageSpec>();
const state = new Map<PyW, PyW>();
for (let i = 0; i < tensors; i++) {
  storages.set(String(i), { dtype: 'float32', bytes: { size: per, chunks: () => chunks(per) } });
  state.set(`layers.${i}.weight`, new T({ storage: String(i), dtype: 'float32', shape: [per / 4 / 1024, 1024] }));
}
const fd = openSync(out, 'w');
torchSaveTo(new Ordered(state), storages, (c) => writeSync(fd, c), { folder: 'pytorch_model' });
closeSync(fd);
