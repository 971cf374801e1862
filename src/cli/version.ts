// The package version, for `lowp --version` and the reports.
import { readFileSync } from 'node:fs';

/**
 * The version in package.json (found two folders up, from src/cli and from dist/cli alike).
 *
 * @example
 * ```ts
 * packageVersion(); // '0.2.0'
 * ```
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
