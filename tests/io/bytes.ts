// Fast byte-for-byte comparison for tests (vitest's deep equality is slow on multi-MB typed arrays).
import { expect } from 'vitest';

/** The bytes of a typed array, as a view. */
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Asserts that two arrays hold the same bytes; on failure names the first differing byte. */
export function expectSameBytes(got: ArrayBufferView, want: ArrayBufferView, label = ''): void {
  const a = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  const b = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  if (a.length === b.length && Buffer.compare(a, b) === 0) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  expect.fail(`${label}: bytes differ (lengths ${a.length} vs ${b.length}); first difference at byte ${i}: ${a[i]} vs ${b[i]}`);
}
