// Fuzz target: openCheckpoint's dispatch on bytes. Any bytes must give a reader (whose tensors then read
// back whole and in chunks) or a LowpIoError of some reader with a documented code. The seeds are
// valid files of every format lowp/io reads by content; mutants cross the formats' magic numbers. Each
// case opens the file as a counting ByteSource, as a Uint8Array and under names with a .safetensors and
// a .npy extension (the fallback for unrecognised content): every way must give a reader or a
// LowpIoError, and the first two the same outcome. An accepted file must be read as its own format's
// reference decoder says, and detectFormat must have named that format.
import { CheckpointError, detectFormat, DETECT_BYTES, LowpIoError, openCheckpoint, type TensorReader } from '../../../src/io/index.js';
import { FuzzCheckError, readAll, utf8, type FuzzTarget, type ReadTensor, type ReferenceResult } from '../harness.js';
import { referenceGguf, SEEDS as GGUF_SEEDS } from './gguf.js';
import { referenceNpy, SEEDS as NPY_SEEDS } from './npy.js';
import { referenceOnnx, SEEDS as ONNX_SEEDS } from './onnx.js';
import { referenceSafetensors, SEEDS as ST_SEEDS } from './safetensors.js';
import { referenceTorch, SEEDS as TORCH_SEEDS } from './torch.js';

/** The reader format each detected kind opens as. */
const READER_OF: Record<string, string> = { 'torch-zip': 'torch', pickle: 'torch' };

const KINDS = new Set(['safetensors', 'torch-zip', 'pickle', 'gguf', 'npy', 'json', 'onnx', 'unknown']);

function outcome(e: unknown): string {
  if (e instanceof LowpIoError) return `${e.name} ${e.code}`;
  throw new FuzzCheckError(`expected a reader or a LowpIoError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
}

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  const kind = detectFormat(bytes.subarray(0, DETECT_BYTES), bytes.length);
  if (!KINDS.has(kind)) throw new FuzzCheckError(`detectFormat returned ${String(kind)}`);
  // under names whose extension picks a reader for unrecognised content: a reader or a LowpIoError
  for (const name of ['model.safetensors', 'x.npy', 'model.gguf', 'model.bin', 'model.pt', 'model.onnx']) {
    try {
      await (await openCheckpoint(bytes, { name })).close();
    } catch (e) {
      outcome(e);
    }
  }
  let viaBytes = 'success';
  try {
    await (await openCheckpoint(bytes)).close();
  } catch (e) {
    viaBytes = outcome(e);
  }
  let reader: TensorReader;
  try {
    reader = await openCheckpoint(ctx.source(bytes, undefined, CheckpointError));
  } catch (e) {
    if (outcome(e) !== viaBytes) throw new FuzzCheckError(`openCheckpoint gave ${viaBytes} on bytes, ${outcome(e)} on a ByteSource`);
    throw e;
  }
  if (viaBytes !== 'success') throw new FuzzCheckError(`openCheckpoint gave ${viaBytes} on bytes, a reader on a ByteSource`);
  if (reader.format !== (READER_OF[kind] ?? kind)) throw new FuzzCheckError(`detectFormat says ${kind}, openCheckpoint returned a ${String(reader.format)} reader`);
  // ONNX initializers of types lowp lists but does not read refuse reads with DTYPE (checked by the onnx target)
  return readAll(reader, { skip: (t) => (t as { storage?: unknown }).storage === 'unread' });
}

function reference(bytes: Uint8Array): ReferenceResult {
  const kind = detectFormat(bytes.subarray(0, DETECT_BYTES), bytes.length);
  if (kind === 'safetensors') return referenceSafetensors(bytes);
  if (kind === 'gguf') return referenceGguf(bytes);
  if (kind === 'torch-zip') return referenceTorch(bytes);
  if (kind === 'onnx') return referenceOnnx(bytes);
  // openCheckpoint names a .npy tensor after the file; bytes have no name, so 'array', as the reference
  if (kind === 'npy') return referenceNpy(bytes);
  return 'unknown';
}

const target: FuzzTarget = {
  name: 'checkpoint',
  errors: LowpIoError,
  seeds: [ST_SEEDS[0], ST_SEEDS[2], NPY_SEEDS[0], NPY_SEEDS[2], GGUF_SEEDS[0], TORCH_SEEDS[0], TORCH_SEEDS[2], ONNX_SEEDS[0], ONNX_SEEDS[1]],
  read,
  reference,
  prefixes: [
    utf8('PK\x03\x04'), utf8('PK\x05\x06'), utf8('GGUF'), utf8('FUGG'), Uint8Array.of(0x80, 0x02), Uint8Array.of(0x80, 0x05), Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0),
    utf8(' {'), Uint8Array.of(0x08, 0x07), Uint8Array.of(0x3a, 0x7f), Uint8Array.of(0x10, 0, 0, 0, 0, 0, 0, 0, 0x7b),
  ],
  runs: { mutations: 300, random: 300 },
  // PyTorch files reach the torch reader, whose FORBIDDEN_GLOBAL messages lack 'expected' (see targets/torch.ts)
  messagePattern: /expected|^(\S+: )?refused global/,
  // tied PyTorch views may hold more bytes than the file (bounded by the torch reader's maxExpansion, 16)
  expansion: 16,
};
export default target;
