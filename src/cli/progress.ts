// A progress bar on stderr (cli-progress) that appears only when stderr is a terminal and the work turns
// out to be long (still running after `delayMs`), so short runs, pipes and CI logs stay quiet.
import cliProgress from 'cli-progress';
import type { TextOut } from './io.js';
import { fmtBytes } from './units.js';

/** A progress reporter: `tick` adds done work (bytes), `label` names the current item, `stop` clears it. */
export interface Progress {
  /** Adds `amount` units of finished work. */
  tick(amount: number): void;
  /** Sets the label shown next to the bar (the current tensor). */
  label(text: string): void;
  /** Stops and removes the bar (idempotent). */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where the bar is drawn (stderr). */
  stream: TextOut;
  /** Total amount of work, in bytes. */
  total: number;
  /** Set false to never show the bar (`--no-progress`). Default true. */
  enabled?: boolean;
  /** Show the bar only once the work has run this long. Default 800 ms. */
  delayMs?: number;
}

const QUIET: Progress = { tick() {}, label() {}, stop() {} };

/**
 * Creates a progress reporter. Quiet (does nothing) unless the stream is a TTY and `enabled`; the bar
 * itself starts only after `delayMs`.
 *
 * @example
 * ```ts
 * const p = createProgress({ stream: process.stderr, total: 1 << 30 });
 * p.label('model.embed_tokens.weight');
 * p.tick(4 << 20);
 * p.stop();
 * ```
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream, total } = options;
  if (options.enabled === false || !stream.isTTY || !(total > 0)) return QUIET;
  const delay = options.delayMs ?? 800;
  const t0 = Date.now();
  let done = 0;
  let current = '';
  let bar: cliProgress.SingleBar | null = null;
  let stopped = false;
  const payload = (): { tensor: string; size: string } => ({
    tensor: current.length > 40 ? '…' + current.slice(-39) : current,
    size: `${fmtBytes(done)}/${fmtBytes(total)}`,
  });
  return {
    tick(amount: number) {
      if (stopped) return;
      done += amount;
      if (bar === null && Date.now() - t0 >= delay && done < total) {
        bar = new cliProgress.SingleBar(
          {
            stream: stream as unknown as NodeJS.WritableStream,
            format: 'lowp [{bar}] {percentage}% {size} eta {eta_formatted} {tensor}',
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
            fps: 8,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, payload());
      } else if (bar !== null) {
        bar.update(done, payload());
      }
    },
    label(text: string) {
      current = text;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (bar !== null) bar.stop();
    },
  };
}
