// Opening what the user named on the command line: a safetensors file, a folder of shards, a
// `*.safetensors.index.json`, or the built-in sample (generated in memory as safetensors bytes). Every
// failure becomes a CliError with one line (exit status 2).
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LowpIoError } from '../io/errors.js';
import { GGML_TYPES } from '../quant/ggml/types.js';
import { openSafetensors } from '../io/safetensors/reader.js';
import type { TensorInfo, TensorReader } from '../io/reader.js';
import { openCheckpoint } from '../io/open.js';
import { CliError } from './io.js';
import { sampleSafetensors } from './sample/transformer.js';

/** What was opened, for reports. */
export interface OpenedInput {
  /** The reader over every tensor. */
  reader: TensorReader;
  /** `'sample'` for the built-in sample, else `'path'`. */
  kind: 'sample' | 'path';
  /** The path as given (absolute form in `resolved`), or 'built-in sample'. */
  label: string;
  /** Absolute path, or null for the sample. */
  resolved: string | null;
  /** The sample's bytes (in memory), or null for a path. */
  bytes: Uint8Array | null;
}

/**
 * The dtypes `lowp check` and `lowp quant-error` analyse (float tensors, ONNX's fp8 fnuz and fp4, and GGUF's ggml block types:
 * Q8_0, Q4_K, MXFP4... dequantized as ggml does); integer and bool tensors are skipped.
 */
export const FLOAT_DTYPES: ReadonlySet<string> = new Set([
  'F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F4',
  ...Object.values(GGML_TYPES).filter((t) => t.quantized).map((t) => t.name),
]);

/**
 * Opens the input of a command: `path` or, with `sample`, the built-in sample. Exactly one of them.
 *
 * @param path - file, folder or index path as typed by the user
 * @param sample - whether `--sample` was given
 * @param cwd - folder that relative paths are relative to
 * @returns the opened reader and a label
 * @example
 * ```ts
 * const { reader } = await openInput(undefined, true, process.cwd());
 * reader.tensors.length; // 43
 * ```
 */
export async function openInput(path: string | undefined, sample: boolean | undefined, cwd: string): Promise<OpenedInput> {
  if (sample && path !== undefined) throw new CliError(`expected either a path or --sample, got both (path '${path}')`);
  if (!sample && path === undefined) throw new CliError('expected a path (a .safetensors file, a folder or a *.safetensors.index.json) or --sample, got neither (see --help)');
  if (sample) {
    const bytes = sampleSafetensors();
    const reader = await openSafetensors(bytes, { name: 'built-in sample' });
    return { reader, kind: 'sample', label: 'built-in sample', resolved: null, bytes };
  }
  const p = path as string;
  const abs = isAbsolute(p) ? p : resolve(cwd, p);
  try {
    statSync(abs);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(code === 'ENOENT' ? `${p}: no such file or folder` : `${p}: cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const reader = await openCheckpoint(abs, { name: p });
    return { reader, kind: 'path', label: p, resolved: abs, bytes: null };
  } catch (e) {
    if (e instanceof LowpIoError) throw new CliError(e.message);
    throw e;
  }
}

/**
 * The tensors a command works on: float dtypes, filtered by `--only`, plus the ones skipped and why.
 *
 * @param tensors - every tensor of the input
 * @param only - the `--only` regular expression source, or undefined
 * @returns selected tensors and skipped ones
 * @example
 * ```ts
 * selectTensors(reader.tensors, 'mlp').selected.map((t) => t.name);
 * ```
 */
export function selectTensors(
  tensors: readonly TensorInfo[],
  only: string | undefined,
): { selected: TensorInfo[]; skipped: { name: string; dtype: string; reason: string }[]; filter: RegExp | null } {
  let filter: RegExp | null = null;
  if (only !== undefined) {
    try {
      filter = new RegExp(only);
    } catch (e) {
      throw new CliError(`--only expects a regular expression, got '${only}' (${(e as Error).message})`);
    }
  }
  const selected: TensorInfo[] = [];
  const skipped: { name: string; dtype: string; reason: string }[] = [];
  for (const t of tensors) {
    if (filter && !filter.test(t.name)) continue;
    if (!FLOAT_DTYPES.has(t.dtype)) {
      skipped.push({ name: t.name, dtype: t.dtype, reason: `${t.dtype} is not a floating-point dtype` });
      continue;
    }
    selected.push(t);
  }
  if (filter && selected.length === 0) {
    throw new CliError(`--only /${only}/ matches no float tensor (of ${tensors.length} tensors; skipped ${skipped.length} non-float)`);
  }
  return { selected, skipped, filter };
}

/**
 * The float tensors a command works on, for {@link OpenedInput} `input`: {@link selectTensors}, refusing
 * an input with none (an empty table with exit status 0 would read as "nothing to worry about").
 *
 * @param input - the opened input
 * @param only - the `--only` regular expression source, or undefined
 * @param purpose - what the command does with them, for the message ('check', 'measure')
 * @returns the selected and skipped tensors, and the bytes of the selected ones
 * @example
 * ```ts
 * const { selected, totalBytes } = selectInputTensors(input, opts.only, 'check');
 * ```
 */
export function selectInputTensors(
  input: OpenedInput,
  only: string | undefined,
  purpose: string,
): { selected: TensorInfo[]; skipped: { name: string; dtype: string; reason: string }[]; totalBytes: number } {
  const all = input.reader.tensors;
  const { selected, skipped } = selectTensors(all, only);
  if (selected.length === 0) {
    throw new CliError(`${input.label}: no floating-point tensor to ${purpose} (${all.length} tensors${skipped.length > 0 ? `, ${skipped.length} of them integer or bool` : ''})`);
  }
  return { selected, skipped, totalBytes: selected.reduce((a, t) => a + t.byteLength, 0) };
}
