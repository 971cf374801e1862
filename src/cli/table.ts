// Plain-text tables with aligned columns for the terminal: numbers right-aligned, text left-aligned,
// a header rule, no colours (output is often piped or pasted into issues).

/** A column of a {@link renderTable} table. */
export interface Column {
  /** Header text. */
  header: string;
  /** 'left' for text, 'right' for numbers. Default 'left'. */
  align?: 'left' | 'right';
  /** Longest cell before it is shortened with '…' in the middle (default: unlimited). */
  maxWidth?: number;
}

/** The columns that open a check report's table of tensors: name (shortened), dtype, shape, verdict. */
export const CHECK_TENSOR_COLUMNS: readonly Column[] = [{ header: 'tensor', maxWidth: 48 }, { header: 'dtype' }, { header: 'shape', maxWidth: 18 }, { header: 'verdict' }];

/** Display width of a string (every code point counts 1; lowp prints no wide characters). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Shortens a string to `max` display characters, keeping its start and end: `model.la…q_proj.weight`. */
export function ellipsize(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max || max < 5) return s;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - (keep - head)).join('');
}

/**
 * Renders rows as an aligned table: header, a rule of '─', then the rows; columns separated by two
 * spaces; trailing spaces trimmed.
 *
 * @example
 * ```ts
 * renderTable([{ header: 'format' }, { header: 'max', align: 'right' }], [['bf16', '3.39e38'], ['fp16', '65504']]);
 * // format      max
 * // ──────  ───────
 * // bf16    3.39e38
 * // fp16      65504
 * ```
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => columns.map((c, i) => (c.maxWidth !== undefined ? ellipsize(r[i] ?? '', c.maxWidth) : r[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]))));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat(Math.max(0, widths[i] - width(s)));
    return columns[i].align === 'right' ? fill + s : s + fill;
  };
  const line = (r: readonly string[]): string => r.map(pad).join('  ').replace(/\s+$/, '');
  const out = [line(columns.map((c) => c.header)), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of cells) out.push(line(r));
  return out.join('\n') + '\n';
}
