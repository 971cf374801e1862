// The streams and environment a command runs with. `run()` takes them as arguments so that tests run
// commands in-process (collecting stdout/stderr as strings) and the real bin passes process streams.

/** A writable text stream: `process.stdout`, `process.stderr`, or a collector in tests. */
export interface TextOut {
  /** Writes text (no newline is added). */
  write(text: string): unknown;
  /** Whether the stream is a terminal (enables the progress bar on stderr). */
  isTTY?: boolean;
  /** Terminal width in columns, when known. */
  columns?: number;
}

/** What a command needs from its surroundings. */
export interface CliIO {
  /** Standard output: tables, JSON. */
  stdout: TextOut;
  /** Standard error: messages, progress bar. */
  stderr: TextOut;
  /** Environment variables (default `process.env`): `LOWP_DEBUG=1` prints stack traces. */
  env?: Record<string, string | undefined>;
  /** Working directory for relative paths (default `process.cwd()`). */
  cwd?: string;
  /**
   * The module that worker threads start from (the CLI entry, which runs a worker when started with
   * `workerData.lowpWorker`). Without it (in-process use, tests) every tensor is analysed on the calling
   * thread.
   */
  workerEntry?: URL;
}

/** Exit status: success (and, for `check`, nothing that `--fail-on` names was found). */
export const EXIT_OK = 0;
/** Exit status: `lowp check` found a risk named by `--fail-on`. */
export const EXIT_RISK = 1;
/** Exit status: bad usage, or a file that cannot be read. */
export const EXIT_USAGE = 2;

/**
 * An error the CLI reports as one line on stderr (`lowp: <message>`), exiting with status 2
 * (usage error or unreadable file).
 */
export class CliError extends Error {
  /** Exit status to use (2). */
  readonly exitCode: number;

  /**
   * @param message - one line saying what was expected and what came
   * @param exitCode - exit status, default {@link EXIT_USAGE}
   */
  constructor(message: string, exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Writes a line (adds the newline). */
export function println(out: TextOut, line = ''): void {
  out.write(line + '\n');
}
