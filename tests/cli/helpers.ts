// Runs the lowp command line in-process (run() from src/cli/run.ts) with collected stdout/stderr, or as a
// child process through tsx (the real bin path: argv, streams, exit status).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { run } from '../../src/cli/run.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN_TS = join(ROOT, 'src', 'cli', 'main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lowp <args>` in-process. */
export async function runCli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; tty?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (s: string) => ((stdout += s), true), isTTY: false },
    stderr: { write: (s: string) => ((stderr += s), true), isTTY: opts.tty ?? false },
    env: opts.env ?? {},
    cwd: opts.cwd ?? ROOT,
  });
  return { code, stdout, stderr };
}

/** Runs `lowp <args>` as a child process (node + tsx loader), with a hard timeout. */
export function spawnCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOWP_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}

/**
 * Asserts the CLI's answer to a file it refuses: exit status 2, nothing on stdout, one line on stderr
 * that starts with `lowp: ` and carries no stack trace; with `mentions`, the line also contains that
 * text. Returns the line. `label` names the case in failure messages.
 */
export function expectOneLineError(r: { code: number; stderr: string; stdout: string }, label: string, mentions?: string): string {
  expect(r.code, `${label}: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, label).toHaveLength(1);
  expect(lines[0]).toMatch(/^lowp: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (mentions !== undefined) expect(lines[0]).toContain(mentions);
  return lines[0];
}

/** The built command line (`npm run build`'s dist/cli/main.js, or LOWP_CLI_BIN): worker threads start from it. */
export const CLI_BIN = process.env.LOWP_CLI_BIN ?? join(ROOT, 'dist', 'cli', 'main.js');

/** Runs the built `lowp <args> --json --threads <threads>` as a child process; asserts exit status 0 and returns the parsed report. */
export function runBuiltJson(args: string[], threads: number): any {
  const r = spawnSync(process.execPath, [CLI_BIN, ...args, '--json', '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000 });
  expect(r.status, `signal ${r.signal}, ${r.error?.message ?? 'no spawn error'}; stderr: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}
