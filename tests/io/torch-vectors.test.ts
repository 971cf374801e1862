// The torch.save oracle (../shared/vectors/torch-checkpoints, made by PyTorch 2.13; fixtures copy it):
// every tensor of reader/*.pt comes back bit for bit with torch's dtype and shape (expected.safetensors,
// manifest.json), through openCheckpoint (content sniffing) and openTorch, whole and in small chunks; the
// hostile files of evil/ get what their manifest says: refused with one line naming the global, read
// without prototype pollution, or refused/read but never misread.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowpIoError, openCheckpoint, openTorch, TorchError, TorchFile, TorchTensorRef } from '../../src/io/index.js';
import { LOWP_DTYPE, rawTensors, TORCH_VECTORS } from '../helpers/torch-vectors.js';

const READER = join(TORCH_VECTORS, 'reader');
const EVIL = join(TORCH_VECTORS, 'evil');
const manifest = JSON.parse(readFileSync(join(READER, 'manifest.json'), 'utf8')) as Record<string, Record<string, { dtype: string; shape: number[] } | number>>;
const expected = rawTensors(join(READER, 'expected.safetensors'));

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

describe('torch.save files of every kind come back bit for bit (reader/)', () => {
  const files = readdirSync(READER).filter((f) => f.endsWith('.pt'));

  it('the oracle is there', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(manifest).sort()).toEqual([...files].sort());
  });

  for (const file of files) {
    it(`${file}: every tensor of the manifest, its dtype, shape and bits`, async () => {
      const r = await openCheckpoint(join(READER, file));
      expect(r).toBeInstanceOf(TorchFile);
      const want = manifest[file];
      if (typeof want.__count__ === 'number') expect(r.tensors.length).toBe(want.__count__);
      for (const [name, m] of Object.entries(want)) {
        if (name === '__count__') continue;
        const { dtype, shape } = m as { dtype: string; shape: number[] };
        const info = r.info(name);
        expect(info.dtype, `${file}/${name}`).toBe(LOWP_DTYPE[dtype]);
        expect([...info.shape], `${file}/${name}`).toEqual(shape);
        const t = await r.tensor(name);
        const exp = expected.get(`${file}/${name}`);
        expect(exp, `expected.safetensors has ${file}/${name}`).toBeDefined();
        expect(bytesOf(t.data), `${file}/${name} bits`).toEqual(exp!.bytes);
        // the same bits through chunks of 1 and 5 elements (strided gathers start mid-view)
        for (const elements of [1, 5]) {
          const parts: Uint8Array[] = [];
          for await (const c of r.chunks(name, { elements })) parts.push(new Uint8Array(bytesOf(c.data)));
          const joined = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
          let at = 0;
          for (const p of parts) (joined.set(p, at), (at += p.length));
          expect(joined, `${file}/${name} in chunks of ${elements}`).toEqual(exp!.bytes);
        }
      }
      await r.close();
    });
  }

  it('views.pt: the tied weight is one tensor under two names, views are strided, the Parameter is marked', async () => {
    const r = await openTorch(join(READER, 'views.pt'));
    expect(r.info('lm_head.weight').sameAs).toBe('emb.weight');
    expect(r.info('emb.weight').sameAs).toBeUndefined();
    expect(r.info('transposed').contiguous).toBe(false);
    expect(r.info('expanded').strides).toEqual([0, 1]);
    expect(r.info('row_slice').storageOffset).toBe(8);
    expect(r.info('param').parameter).toBe(true);
    const ref = r.value('lm_head.weight');
    expect(ref).toBeInstanceOf(TorchTensorRef);
    expect((ref as TorchTensorRef).names).toEqual(['emb.weight', 'lm_head.weight']);
    await r.close();
  });

  it('nested.pt: Lightning-style names, and the non-tensor values by path', async () => {
    const r = await openTorch(join(READER, 'nested.pt'));
    expect(r.value('epoch')).toBe(3);
    expect(r.value('global_step')).toBe(1200);
    expect(r.value('optimizer_states.0.param_groups.0.lr')).toBe(0.0001);
    expect(r.value(['optimizer_states', 0, 'param_groups', 0, 'betas'])).toEqual([0.9, 0.999]);
    expect(r.value('hyper_parameters.layers')).toEqual([1, 2, 3]);
    expect(r.value('hyper_parameters.nope')).toBeUndefined();
    expect(r.value(['optimizer_states', 0, 'state', 0, 'step'])).toBeInstanceOf(TorchTensorRef);
    await r.close();
  });

  it('legacy.pt and protocol4.pt say what they are in their metadata', async () => {
    const legacy = await openTorch(join(READER, 'legacy.pt'));
    expect(legacy.container).toBe('legacy');
    expect(legacy.metadata.format).toBe('torch legacy');
    const p4 = await openTorch(join(READER, 'protocol4.pt'));
    expect(p4.metadata.pickle_protocol).toBe('4');
    expect(p4.container).toBe('zip');
  });
});

describe('hostile and broken files (evil/): what their manifest says', () => {
  const evil = JSON.parse(readFileSync(join(EVIL, 'manifest.json'), 'utf8')) as { marker: string; files: Record<string, { expect: string; global?: string }> };

  for (const [file, rule] of Object.entries(evil.files)) {
    it(`${file}: ${rule.expect}${rule.global ? ` (${rule.global})` : ''}`, async () => {
      let reader: TorchFile | undefined;
      let error: unknown;
      try {
        reader = (await openCheckpoint(join(EVIL, file))) as TorchFile;
      } catch (e) {
        error = e;
      }
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      if (error !== undefined) {
        expect(error, String(error)).toBeInstanceOf(LowpIoError);
        expect((error as Error).message).not.toMatch(/[\r\n]/);
        expect((error as Error).message).toContain(file);
      }
      switch (rule.expect) {
        case 'refused':
          expect(error).toBeDefined();
          if (rule.global) {
            expect(error).toBeInstanceOf(TorchError);
            expect((error as TorchError).code).toBe('FORBIDDEN_GLOBAL');
            expect((error as Error).message).toContain(`'${rule.global}'`);
            expect((error as Error).message).toMatch(/known to be dangerous/);
          }
          break;
        case 'no-pollution': {
          expect(error).toBeUndefined();
          const root = reader!.objects as Map<unknown, unknown>;
          expect(root).toBeInstanceOf(Map);
          expect(root.get('__proto__')).toBeInstanceOf(Map);
          expect(reader!.value('__proto__.polluted')).toBe(true);
          break;
        }
        default:
          // read or refused: when read, every tensor reads in full (never a silent short read)
          if (reader !== undefined) for (const t of reader.tensors) expect((await reader.tensor(t.name)).data.length).toBe(t.elements);
      }
      await reader?.close();
    });
  }
});
