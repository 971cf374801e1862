// Shared pieces of the packaging tests: the core entry points, a checker for static imports of Node
// built-ins in bundled code, and a browser-like JavaScript realm (no Node globals).
import vm from 'node:vm';

/** The core entry points: the root (which re-exports the areas) and every core area. */
export const CORE_ENTRIES: Record<string, string> = {
  lowp: 'src/index.ts',
  'lowp/formats': 'src/formats/index.ts',
  'lowp/quant': 'src/quant/index.ts',
  'lowp/matmul': 'src/matmul/index.ts',
  'lowp/diagnostics': 'src/diagnostics/index.ts',
};

/** Statements that load a Node built-in: static import/export-from, bare import, require, dynamic import. */
const NODE_IMPORT = [
  /\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?["']node:[^"']+["']/,
  /\bexport\s*[\w*{}\s,$]*\s*from\s*["']node:[^"']+["']/,
  /\bimport\s*\(\s*["']node:[^"']+["']\s*\)/,
];

/**
 * Statically imported Node modules in bundled code, ignoring the text of string and template literals
 * (e.g. a worker's source code kept as a string, only ever used under Node).
 */
export function staticNodeImports(code: string): string[] {
  const stripped = stripStringsAndComments(code);
  const found: string[] = [];
  for (const re of NODE_IMPORT) {
    const g = new RegExp(re.source, 'g');
    for (const m of stripped.matchAll(g)) found.push(m[0]);
  }
  // a bare specifier of a Node built-in without the node: prefix, imported statically
  for (const m of stripped.matchAll(/\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?["'](fs|path|os|url|util|crypto|worker_threads|child_process|stream|buffer|module)["']/g)) {
    found.push(m[0]);
  }
  return found;
}

/** Replaces the contents of comments and template literals with spaces (keeps import specifiers' quotes). */
function stripStringsAndComments(code: string): string {
  let out = '';
  let i = 0;
  const n = code.length;
  while (i < n) {
    const c = code[i];
    const d = code[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (c === '/' && d === '*') {
      const e = code.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      out += ' ';
    } else if (c === '`') {
      // template literal (no nesting of ${`...`} needed for this check: its contents are dropped)
      i++;
      while (i < n && code[i] !== '`') i += code[i] === '\\' ? 2 : 1;
      i++;
      out += '``';
    } else if (c === '"' || c === "'") {
      // keep short string literals (import specifiers), drop long ones
      let j = i + 1;
      while (j < n && code[j] !== c && code[j] !== '\n') j += code[j] === '\\' ? 2 : 1;
      const lit = code.slice(i, j + 1);
      out += lit.length <= 80 ? lit : `${c}${c}`;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A fresh realm with what a browser page has (standard JS, WebAssembly, text codecs, timers), no Node. */
export function browserLikeContext(): vm.Context {
  const sandbox: Record<string, unknown> = {
    console,
    TextEncoder,
    TextDecoder,
    URL,
    atob,
    btoa,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    structuredClone,
    performance,
    navigator: { hardwareConcurrency: 2, userAgent: 'lowp-browser-check' },
  };
  const ctx = vm.createContext(sandbox);
  vm.runInContext('globalThis.self = globalThis; globalThis.window = globalThis;', ctx);
  return ctx;
}

