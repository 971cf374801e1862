// The error codes each lowp/io error class documents, read from src/io/errors.ts itself: a code counts
// as documented when it is in the class's `XErrorCode` union and in the TSDoc list above it ("- `CODE`:"
// items, plus the common codes where the list says "and the {@link CommonIoErrorCode}s"). The fuzz
// properties accept an error only with a documented code, so a reader that throws a code nobody wrote
// down fails, and a new reader's codes are picked up from the file without a second list to maintain.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IoFormat } from '../../src/io/errors.js';

const ERRORS_TS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'io', 'errors.ts');

const CLASS_OF: Record<IoFormat, string> = {
  safetensors: 'Safetensors',
  npy: 'Npy',
  torch: 'Torch',
  gguf: 'Gguf',
  onnx: 'Onnx',
  checkpoint: 'Checkpoint',
};

let source: string | undefined;
const cache = new Map<string, readonly string[]>();

function commonCodes(text: string): string[] {
  const m = /export type CommonIoErrorCode\s*=([^;]+);/.exec(text);
  return m ? [...m[1].matchAll(/'([A-Z_0-9]+)'/g)].map((x) => x[1]) : [];
}

/** The documented codes of the error class of `format` (empty when errors.ts has no such class). */
export function documentedCodes(format: IoFormat): readonly string[] {
  const hit = cache.get(format);
  if (hit) return hit;
  source ??= readFileSync(ERRORS_TS, 'utf8');
  const cls = CLASS_OF[format];
  const common = commonCodes(source);
  const union = new RegExp(`export type ${cls}ErrorCode\\s*=([^;]+);`).exec(source);
  const unionCodes = new Set<string>();
  if (union) {
    for (const x of union[1].matchAll(/'([A-Z_0-9]+)'/g)) unionCodes.add(x[1]);
    if (/CommonIoErrorCode/.test(union[1])) for (const c of common) unionCodes.add(c);
  }
  // the TSDoc block right before the union
  const at = union ? union.index : -1;
  const docStart = at >= 0 ? source.lastIndexOf('/**', at) : -1;
  const doc = docStart >= 0 ? source.slice(docStart, at) : '';
  const listed = new Set<string>([...doc.matchAll(/^\s*\*\s*-\s*`([A-Z_0-9]+)`/gm)].map((x) => x[1]));
  if (/and the \{@link CommonIoErrorCode\}s/.test(doc)) for (const c of common) listed.add(c);
  const codes = [...unionCodes].filter((c) => listed.has(c));
  cache.set(format, codes);
  return codes;
}
