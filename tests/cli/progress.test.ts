// The progress bar: drawn on a TTY stderr once the work is long (here delayMs 0), never on a pipe, never
// with --no-progress (enabled: false), and removed on stop.
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, columns: 100, write: (s: string) => ((text += s), true) }, text: () => text };
}

describe('progress bar', () => {
  it('draws on a TTY after the delay and shows the current tensor', () => {
    const f = fakeStream(true);
    const p = createProgress({ stream: f.stream, total: 1000, delayMs: 0 });
    p.label('model.embed_tokens.weight');
    p.tick(100);
    p.tick(100);
    p.stop();
    expect(f.text()).toContain('lowp [');
    expect(f.text()).toContain('model.embed_tokens.weight');
  });

  it('stays quiet on a pipe, when disabled, and before the delay', () => {
    for (const [tty, enabled, delay] of [[false, true, 0], [true, false, 0], [true, true, 60_000]] as const) {
      const f = fakeStream(tty);
      const p = createProgress({ stream: f.stream, total: 1000, enabled, delayMs: delay });
      p.tick(500);
      p.stop();
      expect(f.text()).toBe('');
    }
  });
});
