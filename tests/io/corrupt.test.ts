// The corpus of corrupt safetensors files (tests/fixtures/corrupt, made by make-corrupt.mjs): each one
// must fail with a SafetensorsError of the expected code and a one-line message, through every entry
// point (sync bytes, async path, Blob, parseSafetensors, openCheckpoint), without polluting
// Object.prototype. The committed files must equal what the generator makes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corruptCases } from '../fixtures/corrupt/make-corrupt.mjs';
import {
  blobSource,
  openCheckpoint,
  openSafetensors,
  openSafetensorsSync,
  parseSafetensors,
  SafetensorsError,
} from '../../src/io/index.js';
import { expectSameBytes } from './bytes.js';

const CORRUPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corrupt');
const expected = JSON.parse(readFileSync(join(CORRUPT, 'expected.json'), 'utf8')) as Record<string, { code: string; what: string }>;

function expectError(e: unknown, code: string, label: string): void {
  expect(e, label).toBeInstanceOf(SafetensorsError);
  const err = e as SafetensorsError;
  expect(err.name).toBe('SafetensorsError');
  expect(err.code, `${label}: ${err.message}`).toBe(code);
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message.length).toBeGreaterThan(20);
  expect(err.message).toMatch(/expected/);
}

function polluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return 'polluted' in probe || Object.getOwnPropertyNames(Object.prototype).includes('polluted') || typeof (probe as { dtype?: unknown }).dtype !== 'undefined';
}

describe('corrupt safetensors corpus', () => {
  const cases = corruptCases();

  it('the committed files are exactly what make-corrupt.mjs generates, and expected.json lists them all', () => {
    const onDisk = readdirSync(CORRUPT).filter((f) => f.endsWith('.safetensors')).sort();
    expect(onDisk).toEqual(Object.keys(cases).sort());
    expect(Object.keys(expected).sort()).toEqual(onDisk);
    for (const f of onDisk) {
      expectSameBytes(readFileSync(join(CORRUPT, f)), cases[f].bytes, f);
      expect(expected[f].code).toBe(cases[f].code);
    }
    expect(onDisk.length).toBeGreaterThanOrEqual(40);
  });

  for (const [file, { code, what }] of Object.entries(expected)) {
    it(`${file} (${what}) -> ${code}, through every entry point`, async () => {
      const path = join(CORRUPT, file);
      const bytes = new Uint8Array(readFileSync(path));
      const attempts: Array<[string, () => unknown]> = [
        ['parseSafetensors', () => parseSafetensors(bytes)],
        ['openSafetensorsSync(bytes)', () => openSafetensorsSync(bytes)],
        ['openSafetensorsSync(path)', () => openSafetensorsSync(path)],
        ['openSafetensors(path)', () => openSafetensors(path)],
        ['openSafetensors(Blob)', () => openSafetensors(blobSource(new Blob([bytes])))],
        ['openCheckpoint(path)', () => openCheckpoint(path)],
      ];
      for (const [label, run] of attempts) {
        let caught: unknown;
        try {
          await run();
        } catch (e) {
          caught = e;
        }
        expect(caught, `${label} should throw`).toBeDefined();
        expectError(caught, code, `${file} via ${label}`);
        if (label === 'openSafetensorsSync(path)') expect((caught as SafetensorsError).message.startsWith(path)).toBe(true);
      }
      expect(polluted()).toBe(false);
    });
  }

  it('__proto__ and constructor keys are stored safely when explicitly allowed (no pollution either way)', () => {
    const a = openSafetensorsSync(join(CORRUPT, 'proto-key.safetensors'), { allowUnsafeKeys: true });
    expect(a.names()).toEqual(['__proto__']);
    expect(a.info('__proto__').dtype).toBe('F32');
    a.closeSync();
    const m = parseSafetensors(readFileSync(join(CORRUPT, 'proto-key-metadata.safetensors')), { allowUnsafeKeys: true });
    expect(Object.getPrototypeOf(m.metadata)).toBe(null);
    expect(Object.getOwnPropertyDescriptor(m.metadata, '__proto__')?.value).toBe('polluted');
    const c = parseSafetensors(readFileSync(join(CORRUPT, 'constructor-key.safetensors')), { allowUnsafeKeys: true });
    expect(c.tensors[0].name).toBe('constructor');
    expect(polluted()).toBe(false);
    expect(({} as { constructor: unknown }).constructor).toBe(Object);
  });
});
