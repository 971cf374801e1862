// `lowp trace`: run an ONNX model once with onnxruntime (lowp/onnx's traceActivations) and show, in the
// graph's order, which activations overflow, flush to zero or become subnormal in the target format,
// the first node that overflows, literals told from activations, and with --emulate the SQNR of every
// output of the graph run in that format and where it breaks; as a table with sentences, as JSON
// (schema lowp.trace/1, see docs/onnx.md), and optionally as a self-contained HTML report.
import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readNpyFile } from '../../io/npy/npy.js';
import { LowpIoError } from '../../io/errors.js';
import { fmtSqnr } from '../../onnx/findings.js';
import type { RandomTokens, TraceInput } from '../../onnx/inputs.js';
import { traceActivations, type TraceOutput, type TraceReport } from '../../onnx/trace.js';
import { CliError, EXIT_OK, println, type CliIO } from '../io.js';
import { renderTable } from '../table.js';
import { fmtTraceInputs, renderTraceHtml } from '../trace-html.js';
import { fmtCount, fmtNum, fmtSeconds } from '../units.js';

/** Options of {@link traceCommand} (the command-line flags). */
export interface TraceCliOptions {
  /** `name=file.npy` or `name=random:1x24` entries. */
  input?: string[];
  /** Target format (default fp16). */
  to?: string;
  /** Also run the graph rounded to the target and compare. */
  emulate?: boolean;
  /** Print the JSON report. */
  json?: boolean;
  /** Also write the HTML report to this file. */
  html?: string;
  /** Vocabulary size of random token ids. */
  vocab?: number;
  /** Tokens of generated inputs. */
  seqLen?: number;
  /** Batch of generated inputs. */
  batch?: number;
  /** Seed of random token ids. */
  seed?: number;
  /** Memory bound of one run's outputs, MiB. */
  maxMemory?: number;
  /** Rows of the table (0: every traced output). */
  top?: number;
}

/** Parses `--input name=file.npy` / `name=random:1x24` entries into inputs, reading the .npy files. */
export function parseInputs(entries: readonly string[], cwd: string): Record<string, TraceInput> {
  const inputs: Record<string, TraceInput> = Object.create(null);
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0 || eq === e.length - 1) throw new CliError(`--input expects name=file.npy or name=random:SHAPE (e.g. input_ids=random:1x24), got '${e}'`);
    const name = e.slice(0, eq);
    const value = e.slice(eq + 1);
    if (name in inputs) throw new CliError(`--input gives '${name}' twice`);
    const random = /^random:(\d+(?:x\d+)*)$/.exec(value);
    if (random !== null) {
      inputs[name] = { random: random[1].split('x').map(Number) } satisfies RandomTokens;
      continue;
    }
    const path = isAbsolute(value) ? value : resolve(cwd, value);
    try {
      inputs[name] = readNpyFile(path, { name: value });
    } catch (e2) {
      if (e2 instanceof LowpIoError) throw new CliError(`--input ${name}: ${e2.message}`);
      throw e2;
    }
  }
  return inputs;
}

/** Rows of the table: outputs that overflow, flush or become subnormal, or where the emulated run turns non-finite by itself (not the cascade after it). */
function isNotable(o: TraceOutput): boolean {
  return o.overflowed + o.flushedToZero + o.subnormal + o.nan + o.inf > 0 || o.emulatedOrigin === true;
}

const KIND: Record<string, string> = { literal: 'literal', mask: 'mask', propagated: 'carried', activation: 'ACTIVATION' };

/** The text report: header, a table of the notable outputs in graph order, the findings. */
export function renderTraceText(r: TraceReport, top: number): string {
  const lines: string[] = [];
  const emu = r.emulation !== null;
  lines.push(`lowp trace ${r.model.name} → ${r.to}: ${fmtCount(r.outputs.length)} float outputs of ${fmtCount(r.model.nodes)} nodes, ${r.runtime.name} ${r.runtime.version ?? ''} (graph optimisations off: the graph as written), ${r.passes.count} run${r.passes.count === 1 ? '' : 's'}${emu ? ' with the emulated graph' : ''}, ${fmtSeconds(r.seconds.total)}`);
  lines.push(`inputs: ${fmtTraceInputs(r)}`);
  lines.push('');
  const notable = r.outputs.filter(isNotable);
  const shown = top === 0 ? r.outputs : notable.slice(0, top);
  if (shown.length === 0) lines.push(`No output overflows, flushes to zero or becomes subnormal in ${r.to}.`);
  else {
    const cols = [
      { header: '#', align: 'right' as const },
      { header: 'node', maxWidth: 36 },
      { header: 'op', maxWidth: 18 },
      { header: 'elements', align: 'right' as const },
      { header: 'max |x|', align: 'right' as const },
      { header: 'overflow', align: 'right' as const },
      { header: 'why', maxWidth: 10 },
      { header: 'flushed to 0', align: 'right' as const },
      { header: 'subnormal', align: 'right' as const },
    ];
    if (emu) cols.push({ header: `SQNR ${r.to}`, align: 'right' as const });
    const rows = shown.map((o) => {
      const row = [String(o.index), o.node, o.op, fmtCount(o.elements), fmtNum(o.maxAbs), fmtCount(o.overflowed), o.overflowKind ? KIND[o.overflowKind] : '', fmtCount(o.flushedToZero), fmtCount(o.subnormal)];
      if (emu) row.push(fmtSqnr(o.emulatedSqnrDb));
      return row;
    });
    lines.push(renderTable(cols, rows).trimEnd());
    if (top !== 0 && notable.length > top) lines.push(`(the first ${top} of ${notable.length} outputs that overflow, flush or become subnormal; --top 0 lists every output)`);
    else if (top !== 0) lines.push(`(${notable.length} of ${r.outputs.length} outputs overflow, flush or become subnormal${emu ? ', or turn non-finite first when emulated' : ''}; --top 0 lists every output)`);
  }
  lines.push('');
  for (const f of r.findings) lines.push(f);
  return lines.join('\n') + '\n';
}

/**
 * `lowp trace <model>`: runs the trace and prints the table and findings, the JSON report, and/or
 * writes the HTML report. Returns the exit status (0; errors throw and exit 2).
 *
 * @example
 * ```ts
 * await traceCommand('model.onnx', { input: ['input_ids=ids.npy'], to: 'fp16', emulate: true }, io);
 * ```
 */
export async function traceCommand(path: string, opts: TraceCliOptions, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  const inputs = parseInputs(opts.input ?? [], cwd);
  let report: TraceReport;
  try {
    report = await traceActivations(abs, inputs, {
      to: opts.to ?? 'fp16',
      emulate: opts.emulate === true,
      vocab: opts.vocab,
      sequenceLength: opts.seqLen,
      batch: opts.batch,
      seed: opts.seed,
      maxActivationBytes: opts.maxMemory !== undefined ? opts.maxMemory * 2 ** 20 : undefined,
    });
  } catch (e) {
    if (e instanceof LowpIoError) throw new CliError(e.message.startsWith(abs) ? path + e.message.slice(abs.length) : e.message);
    throw e;
  }
  report.model.name = path;
  if (opts.html !== undefined) {
    const out = isAbsolute(opts.html) ? opts.html : resolve(cwd, opts.html);
    try {
      writeFileSync(out, renderTraceHtml(report));
    } catch (e) {
      throw new CliError(`--html: cannot write '${opts.html}' (${(e as Error).message})`);
    }
  }
  if (opts.json) println(io.stdout, JSON.stringify(report, null, 2));
  else {
    io.stdout.write(renderTraceText(report, opts.top ?? 30));
    if (opts.html !== undefined) println(io.stdout, `\nHTML report: ${opts.html}`);
  }
  return EXIT_OK;
}
