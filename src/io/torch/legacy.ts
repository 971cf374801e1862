// The legacy torch.save format (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`): five pickles
// one after another (the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict,
// the object itself with persistent ids naming storages, the list of storage keys) and then, for each key
// in that list, an int64 element count and the storage's raw little-endian bytes. Each pickle is read
// through the restricted unpickler from a bounded prefix of the file (grown while the pickle continues),
// then each storage's count is checked against what the pickle declared and the bytes are located, not
// read.
// Reference: torch/serialization.py (`_legacy_save`, `_legacy_load`), torch/csrc/serialization.cpp.
import { TorchError } from '../errors.js';
import { readExact, type ByteSource } from '../source.js';
import type { ParsedTorch, StorageData, TorchLimits } from './archive.js';
import { resolveGlobal } from './allowlist.js';
import { kindOf, NeedMoreBytes, unpickle, type PickleContainers, type PickleHooks } from './pickle.js';
import { rebuildContext, torchHooks, type RebuildContext } from './rebuild.js';
import type { PyValue } from './values.js';

/** The magic number a legacy torch.save file starts with. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The protocol version it announces next. */
export const LEGACY_PROTOCOL = 1001;

/** Hooks for the plain pickles of a legacy file (magic, protocol, sys_info, keys): no global is expected. */
function plainHooks(file: string | undefined, what: string): PickleHooks {
  const refuse = (): never => {
    throw new TorchError('PICKLE', `expected plain values in ${what}, got a call or a persistent id`, file);
  };
  return {
    global(module, name) {
      resolveGlobal(module, name, file); // names a refused global as such
      throw new TorchError('PICKLE', `expected plain values in ${what}, got the global ${module}.${name}`, file);
    },
    call: refuse,
    newObject: refuse,
    build: refuse,
    persistentLoad: refuse,
  };
}

/** Reads and checks a legacy torch.save file (see the module comment). Throws TorchError. */
export async function parseLegacyCheckpoint(source: ByteSource, file: string | undefined, limits: TorchLimits): Promise<ParsedTorch> {
  const size = source.size;
  let pos = 0;
  // one pickle from `pos`, reading more of the file while the pickle continues past what was read
  const next = async <T>(what: string, setup: () => { hooks: PickleHooks; containers: PickleContainers; extra?: T }): Promise<{ value: unknown; extra?: T }> => {
    let len = Math.min(size - pos, 1 << 16);
    for (;;) {
      const bytes = await readExact(source, pos, len, TorchError);
      const run = setup();
      try {
        const r = unpickle(bytes, run.hooks, run.containers, { file, what, partial: pos + len < size, limits });
        pos += r.end;
        return { value: r.value, extra: run.extra };
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        if (len >= limits.maxPickleBytes) throw new TorchError('LIMIT', `expected ${what} to take at most ${limits.maxPickleBytes} bytes, got more`, file);
        len = Math.min(size - pos, len * 4, limits.maxPickleBytes);
      }
    }
  };
  const plain = (what: string) => () => ({ hooks: plainHooks(file, what), containers: { tuples: new WeakSet<unknown[]>(), frozen: new WeakSet<Set<unknown>>() } });

  const magic = (await next('the magic number', plain('the magic number'))).value;
  if (magic !== LEGACY_MAGIC) throw new TorchError('FORMAT', `expected a torch.save file (the legacy format's magic number), got a pickle of ${kindOf(magic)}`, file);
  const protocol = (await next('the protocol version', plain('the protocol version'))).value;
  if (protocol !== LEGACY_PROTOCOL) throw new TorchError('FORMAT', `expected legacy protocol version ${LEGACY_PROTOCOL}, got ${kindOf(protocol)}`, file);
  const sysInfo = (await next('sys_info', plain('sys_info'))).value;
  if (!(sysInfo instanceof Map)) throw new TorchError('FORMAT', `expected a sys_info dict, got ${kindOf(sysInfo)}`, file);
  const main = await next('the pickled object', () => {
    const ctx = rebuildContext('legacy', file);
    return { hooks: torchHooks(ctx), containers: ctx.containers, extra: ctx };
  });
  const ctx = main.extra as RebuildContext;
  const keys = (await next('the storage key list', plain('the storage key list'))).value;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw new TorchError('FORMAT', `expected the list of storage keys (strings), got ${kindOf(keys)}`, file);
  const listed = new Set<string>();
  for (const k of keys as string[]) {
    if (listed.has(k)) throw new TorchError('STORAGE', `expected each storage key once in the key list, got '${k}' twice`, file);
    if (!ctx.storages.has(k)) throw new TorchError('STORAGE', `expected every listed storage to be declared by the pickle, got '${k}' listed only`, file);
    listed.add(k);
  }
  for (const k of ctx.storages.keys()) if (!listed.has(k)) throw new TorchError('STORAGE', `expected storage '${k}' in the file's storage list, got a list without it`, file);
  const storages = new Map<string, StorageData>();
  for (const k of keys as string[]) {
    const ref = ctx.storages.get(k)!;
    const head = await readExact(source, pos, Math.min(8, size - pos), TorchError);
    if (head.length < 8) throw new TorchError('TRUNCATED', `expected the element count of storage '${k}' at byte ${pos}, got the end of the file`, file);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, true);
    if (count !== BigInt(ref.elements)) throw new TorchError('STORAGE', `expected storage '${k}' to hold ${ref.elements} × ${ref.torchDtype} as the pickle declares, got a count of ${count}`, file);
    const bytes = ref.elements * ref.elementSize;
    if (pos + 8 + bytes > size) throw new TorchError('TRUNCATED', `expected ${bytes} bytes of storage '${k}' at byte ${pos + 8}, got a file of ${size} bytes`, file);
    storages.set(k, { ref, fileOffset: pos + 8, byteLength: bytes });
    pos += 8 + bytes;
  }
  if (pos !== size) throw new TorchError('FORMAT', `expected the file to end after its last storage (byte ${pos}), got ${size - pos} more bytes`, file);
  const metadata: Record<string, string> = Object.create(null);
  metadata.format = 'torch legacy';
  metadata.byteorder = 'little';
  metadata.storages = String(storages.size);
  for (const [k, v] of sysInfo as Map<unknown, unknown>) {
    if (typeof k === 'string' && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')) metadata[`sys_info.${k}`] = String(v);
  }
  return { container: 'legacy', root: main.value as PyValue, storages, byteOrder: 'little', metadata };
}
