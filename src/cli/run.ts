// The `lowp` command line: argument parsing (commander), help with examples for every command, and
// the mapping of outcomes to exit statuses: 0 ok, 1 a risk named by `--fail-on`, 2 usage or file error
// (one line on stderr, no stack trace unless LOWP_DEBUG=1). `run()` is the whole program as a function
// of argv and streams, so tests run it in-process; src/cli/main.ts calls it with the process streams.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { oneLine } from '../io/errors.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand, FAIL_ON_KINDS } from './commands/check.js';
import { formatsCommand } from './commands/formats.js';
import { quantErrorCommand, DEFAULT_METHODS } from './commands/quant-error.js';
import { traceCommand } from './commands/trace.js';
import { CliError, EXIT_OK, EXIT_USAGE, println, type CliIO } from './io.js';
import { packageVersion } from './version.js';

function parsePositiveInt(name: string, allowZero: boolean, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
      throw new InvalidArgumentError(`${name} expects ${allowZero ? 'a non-negative' : 'a positive'} integer.`);
    }
    if (n > max) throw new InvalidArgumentError(`${name} expects an integer of at most ${max}.`);
    return n;
  };
}

/** Largest `--size` of `lowp bench`: its four arrays of that many values then take about 1.9 GB. */
const BENCH_MAX_SIZE = 2 ** 27;

function parseNonNegative(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} expects a number >= 0 (e.g. 1e-5).`);
    return n;
  };
}

function parseThreads(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return parsePositiveInt('--threads', false)(value);
}

const CHECK_EXAMPLES = `
Examples:
  $ lowp check --sample --to bf16                    built-in sample: weights, gradients, Adam moments, activations
  $ lowp check --sample --to fp16 --fail-on underflow,overflow
  $ lowp check model.safetensors --to fp16           one file
  $ lowp check ./checkpoint --to bf16                a folder (its *.safetensors.index.json, or every *.safetensors)
  $ lowp check model.safetensors.index.json --to fp8-e4m3fn --only 'mlp|attn' --top 10
  $ lowp check model.safetensors --to fp16 --json > report.json
  $ lowp check model.safetensors --to fp16 --html report.html
  $ lowp check out/checkpoint-150 --to bf16          an HF Trainer folder (optimizer.pt): adds the training section
  $ lowp check last.ckpt --to fp16 --lr 1e-5 --optimizer adam   a Lightning checkpoint, at another lr
  $ lowp check model.safetensors --to q4_k           what llama.cpp's Q4_K would do (any ggml type: q8_0, q6_k, iq4_nl, mxfp4…)
  $ lowp check --sample --to q8_0 --fail-on underflow,overflow,unsupported

Verdicts (per tensor, from lowp/diagnostics analyzeCast; the overall verdict is the worst one):
  overflow-risk   some finite value overflows (becomes inf/NaN, or saturates to the format's max)
  underflow-risk  more than 0.01% of the nonzero values flush to zero, or more than 1% become subnormal
  lossy           in range, but the rounding error is large: SQNR below 40 dB
  safe            none of the above: values round, SQNR at least 40 dB
For a ggml type (--to q4_k), per tensor: overflow-risk when a block's fp16 scale overflows to inf (or
a block holds NaN/inf, undefined in ggml);
underflow-risk when more than 0.01% of the nonzero values sit in blocks whose scale rounds to 0 (or
K-quant sub-blocks whose 6-bit scale does), or more than 1% in blocks whose subnormal fp16 scale keeps
fewer bits than the codes it scales; lossy below 40 dB (as 4-bit types are); tensors whose rows are
not whole blocks (32 or 256 values) are listed as not storable, never padded.

--fail-on kinds (exit status 1 when found; default: none, so exit status 0 whatever the verdict):
  overflow    a tensor's verdict is overflow-risk (some finite value overflows)
  underflow   a tensor's verdict is underflow-risk
  lossy       a tensor's verdict is anything but safe
  constants   a well-known constant (Adam eps, LayerNorm eps, mask fill...) flushes to zero or overflows
  unsupported a ggml target (--to q4_k) cannot store a tensor (its rows are not whole blocks)
  any         all of the above

Training checkpoints (--to bf16 or fp16): an HF Trainer folder (model.safetensors or pytorch_model.bin,
optimizer.pt, trainer_state.json, scheduler.pt), a Lightning .ckpt, or a torch.save file with an Adam
state adds a training section: what the next optimizer step does with weights and both moments kept in
that format (weights left unchanged, weights that become inf/NaN, weight decay, moments, eps, the fp16
loss scale), for PyTorch's for-loop and fused AdamW, estimated from the saved moments. Optimizer indices
are paired with parameters by param_names, else HF Trainer's order, checked shape by shape; what cannot
be paired with certainty is said, and analysed through its moments only.

Exit status: 0 ok, 1 a risk named by --fail-on was found, 2 usage or file error.
`;

const QUANT_EXAMPLES = `
Examples:
  $ lowp quant-error --sample
  $ lowp quant-error model.safetensors --methods int8-row,llm-int8,nf4
  $ lowp quant-error model.safetensors --methods q8_0,q6_k,q4_k,nf4,ggml-mxfp4,mxfp4   llama.cpp's types beside NF4 and MX
  $ lowp quant-error model.safetensors --only 'proj\\.weight$' --json > errors.json

Methods: fp16, bf16, int8-tensor, int8-row, int8-col, llm-int8, fp8-e4m3fn, fp8-e5m2, mxfp8-e4m3, mxfp4 (OCP),
  blockwise8, nf4, bnb-fp4, and llama.cpp's ggml types q8_0, q6_k, q5_1, q5_k, q5_0, q4_1, q4_k, q4_0, iq4_nl,
  iq4_xs, ggml-mxfp4, q3_k, q2_k, tq2_0, tq1_0 (any case; along each row, in whole blocks: a tensor whose
  innermost dimension is not a multiple of the block size, 32 or 256, is n/a, never padded).

Metrics (per tensor and method, against the float values in the file):
  SQNR     10·log10(Σx² / Σ(x − q)²) in dB (higher is better; each 6 dB ≈ one bit)
  rel L2   ‖q − x‖₂ / ‖x‖₂
  max err  max |q − x|

Exit status: 0 ok, 2 usage or file error.
`;

const TRACE_EXAMPLES = `
Examples:
  $ lowp trace model.onnx --input input_ids=ids.npy --to fp16
  $ lowp trace model.onnx --input input_ids=random:1x128 --to fp16 --emulate
  $ lowp trace decoder_model.onnx --to fp16 --emulate       token ids, attention mask, positions and an empty KV cache are made
  $ lowp trace model.onnx --to bf16 --json > trace.json
  $ lowp trace model.onnx --to fp8-e4m3fn --emulate --html trace.html

What it does: runs the model once with onnxruntime (onnxruntime-node, an optional peer dependency),
the graph as written (graph optimisations off), with every float node output exposed, and measures
each output against --to (lowp/diagnostics' cast analysis): values that overflow, flush to zero,
become subnormal. Overflows are told apart: a literal (a -1e9 mask, harmless in a softmax), an
activation that carries one, or an activation that overflows by itself (fatal). --emulate runs the
graph a second time with every float output rounded to --to and reports each output's SQNR and
where the run first turns inf/NaN. An If whose condition is a fed bool input (a merged decoder's
use_cache_branch) is replaced by the branch that runs; other If/Loop/Scan bodies are not traced.

Exit status: 0 ok, 2 usage, file or runtime error.
`;

const TOP_EXAMPLES = `
Examples:
  $ lowp check --sample --to bf16      the main job: can this model switch to bf16?
  $ lowp check model.safetensors --to fp16 --html report.html
  $ lowp quant-error model.safetensors --methods int8-row,nf4
  $ lowp trace model.onnx --input input_ids=ids.npy --to fp16 --emulate
  $ lowp formats
  $ lowp bench

Exit status: 0 ok, 1 a risk named by --fail-on was found (check), 2 usage or file error.
Set LOWP_DEBUG=1 to see stack traces.
`;

/**
 * Builds the commander program. Each command's action stores its exit status in `state.exitCode`.
 */
function buildProgram(io: CliIO, state: { exitCode: number }): Command {
  const program = new Command();
  program
    .name('lowp')
    .description('Low-precision number formats: can this tensor, this checkpoint, move to bf16, fp16, fp8 or int8, and what will it cost?')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', TOP_EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`lowp: ${s.replace(/^error: /, '').trimEnd().replace(/\n+/g, ' ')}\n`),
    });

  program
    .command('check')
    .description('check whether a checkpoint survives a cast: per tensor flushed/subnormal/overflow counts, error and a verdict')
    .argument('[path]', 'a .safetensors file, a folder (an HF Trainer checkpoint folder too), a *.safetensors.index.json, a .bin/.pt/.ckpt, a .gguf')
    .option('--sample', 'check the built-in sample (a small transformer: weights, gradients, Adam moments, activations; a training checkpoint too)')
    .option('-t, --to <format>', 'target format (see `lowp formats`), or a ggml type to quantize to (q8_0, q4_k, … any case)', 'bf16')
    .option('--json', 'print the JSON report (lowp.cast-report/1, or lowp.ggml-check/1 for a ggml type; versioned) instead of the table')
    .option('--html <file>', 'also write a self-contained HTML report with histograms')
    .option('--only <regex>', 'check only tensors whose name matches this regular expression')
    .option('--fail-on <kinds>', `exit with status 1 when one of these is found: ${FAIL_ON_KINDS.join(', ')} (comma-separated)`)
    .option('--top <n>', 'tensors listed in the table, worst first (0: all)', parsePositiveInt('--top', true), 20)
    .addOption(new Option('--chunk <elements>', 'elements read per chunk (memory bound)').argParser(parsePositiveInt('--chunk', false)).default(1 << 20))
    .option('--threads <n>', "worker threads, or 'auto' (up to 8 for inputs of 64 MiB or more)", parseThreads, 'auto')
    .option('--no-progress', 'never show the progress bar')
    .option('--lr <lr>', 'training checkpoints: the lr of the next step (default: the lr saved in the optimizer\'s param groups)', parseNonNegative('--lr'))
    .addOption(new Option('--optimizer <kind>', 'training checkpoints: adam or adamw (default: what the param groups say, else adamw)').choices(['adam', 'adamw']))
    .addOption(new Option('--schedule <kind>', 'training checkpoints: the lr schedule of the remaining steps (auto: fitted to trainer_state.json\'s logged lrs)').choices(['auto', 'linear', 'cosine', 'constant', 'none']).default('auto'))
    .option('--param-names <file>', 'training checkpoints: the model\'s parameter names in named_parameters() order (one per line, or a JSON array), to pair optimizer indices with weights')
    .option('--sample-elements <n>', 'training checkpoints: elements per tensor the estimate of the next step evaluates', parsePositiveInt('--sample-elements', false), 16384)
    .option('--no-training', 'no training section, even for a training checkpoint')
    .addHelpText('after', CHECK_EXAMPLES)
    .action(async (path: string | undefined, opts) => {
      state.exitCode = await checkCommand(path, opts, io);
    });

  program
    .command('quant-error')
    .description('error of tensor quantization methods (int8, LLM.int8, nf4, fp8, MX, llama.cpp\'s q4_k…) per tensor: SQNR, relative L2, max error, bits per value')
    .argument('[path]', 'a .safetensors file, a folder, or a *.safetensors.index.json')
    .option('--sample', 'use the built-in sample')
    .option('-m, --methods <list>', 'comma-separated methods', DEFAULT_METHODS.join(','))
    .option('--only <regex>', 'only tensors whose name matches this regular expression')
    .option('--json', 'print JSON instead of the table')
    .option('--no-progress', 'never show the progress bar')
    .addHelpText('after', QUANT_EXAMPLES)
    .action(async (path: string | undefined, opts) => {
      state.exitCode = await quantErrorCommand(path, opts, io);
    });

  program
    .command('trace')
    .description('run an ONNX model once and find where fp16/bf16/fp8 activations overflow, flush to zero or diverge, node by node')
    .argument('<model>', 'an .onnx model (external data next to it is found)')
    .option('-i, --input <name=value>', 'an input: name=file.npy, or name=random:SHAPE for random token ids (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-t, --to <format>', 'target format (see `lowp formats`)', 'fp16')
    .option('--emulate', 'also run the graph with every float output rounded to --to: SQNR per output, where it breaks')
    .option('--json', 'print the JSON report (schema lowp.trace/1) instead of the table')
    .option('--html <file>', 'also write a self-contained HTML report with the figures along the graph')
    .option('--top <n>', 'rows of the table: outputs that overflow, flush or become subnormal (0: every output)', parsePositiveInt('--top', true), 30)
    .option('--vocab <n>', 'vocabulary size of random token ids (default: the rows of the embedding table)', parsePositiveInt('--vocab', false))
    .option('--seq-len <n>', 'tokens of generated inputs when no input fixes it', parsePositiveInt('--seq-len', false))
    .option('--batch <n>', 'batch of generated inputs when no input fixes it', parsePositiveInt('--batch', false))
    .option('--seed <n>', 'seed of random token ids', parsePositiveInt('--seed', true))
    .option('--max-memory <MiB>', 'activations one run may return, in MiB (more are traced in several runs)', parsePositiveInt('--max-memory', false))
    .addHelpText('after', TRACE_EXAMPLES)
    .action(async (path: string, opts) => {
      state.exitCode = await traceCommand(path, opts, io);
    });

  program
    .command('formats')
    .description('print the constants (finfo) of every format: bits, max, smallest normal and subnormal, eps...')
    .option('--json', 'print JSON instead of the table')
    .addHelpText('after', '\nExamples:\n  $ lowp formats\n  $ lowp formats --json\n')
    .action((opts) => {
      state.exitCode = formatsCommand(opts, io);
    });

  program
    .command('bench')
    .description('a short benchmark of this machine (a few seconds): f32→bf16/fp16 conversion throughput, GEMM GFLOP/s')
    .option('--json', 'print JSON instead of the table')
    .option('--size <n>', 'values per conversion run', parsePositiveInt('--size', false, BENCH_MAX_SIZE), 1 << 22)
    .option('--budget <ms>', 'time spent on each measurement, in milliseconds', parsePositiveInt('--budget', false), 400)
    .addHelpText('after', '\nExamples:\n  $ lowp bench\n  $ lowp bench --json\n')
    .action(async (opts) => {
      state.exitCode = await benchCommand(opts, io);
    });

  return program;
}

function debugEnabled(io: CliIO): boolean {
  const v = (io.env ?? process.env).LOWP_DEBUG;
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Runs the `lowp` command line with `argv` (the arguments after the program name) and returns the
 * exit status: 0 ok, 1 a risk named by `--fail-on`, 2 usage or file error. Output goes to
 * `io.stdout`/`io.stderr`; errors are one line on stderr (`lowp: …`), with the stack only when
 * `LOWP_DEBUG=1`. Never calls `process.exit`.
 *
 * @param argv - arguments, e.g. `['check', '--sample', '--to', 'fp16']`
 * @param io - streams and environment
 * @returns the exit status
 * @example
 * ```ts
 * const code = await run(['formats'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const state = { exitCode: EXIT_OK };
  const program = buildProgram(io, state);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_OK;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
      // `lowp help [command]` exits 0; help shown because of an error (a missing command) exits 2
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      // commander already printed its one-line message through outputError
      return EXIT_USAGE;
    }
    println(io.stderr, `lowp: ${oneLine((e instanceof Error ? e.message : String(e)).trim(), 600)}`);
    if (debugEnabled(io) && e instanceof Error && e.stack) println(io.stderr, e.stack);
    return e instanceof CliError ? e.exitCode : EXIT_USAGE;
  } finally {
    if (debugEnabled(io)) {
      const rss = process.resourceUsage().maxRSS; // KiB
      println(io.stderr, `lowp: debug: peak RSS ${(rss / 1024).toFixed(1)} MiB (maxRSS ${rss} KiB)`);
    }
  }
}
