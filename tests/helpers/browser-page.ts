// Shared set-up of the headless-Chromium tests: bundle a lowp entry point as browser ESM (esbuild), check
// that no `node:` import survived, serve it with a page that puts the module on `window[globalName]`
// from 127.0.0.1, and launch Debian's Chromium through playwright-core with the flags this machine
// needs (no sandbox as root, no GPU, no background networking).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Whether the browser tests can run here; outside CI a missing Chromium skips them with a message. */
export function browserTestsEnabled(label: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && !process.env.CI) console.warn(`${label}: skipped: ${CHROMIUM} not found (install with: apt-get install -y chromium)`);
  return available || Boolean(process.env.CI);
}

export interface BrowserPage {
  /** The page's address (http://127.0.0.1:port/). */
  url: string;
  browser: Browser;
  /** The bundled module's source (for assertions about it). */
  js: string;
  close(): Promise<void>;
}

/** What else a page serves, beside the bundle. */
export interface BrowserPageOptions {
  /** Bare imports left out of the bundle (the page's import map says where they are). */
  external?: string[];
  /** The page's import map: bare specifier → URL on this server (e.g. 'onnxruntime-web' → '/ort/ort.min.mjs'). */
  imports?: Record<string, string>;
  /** Folders served read-only: URL prefix (e.g. '/ort/') → folder relative to the repository root. */
  folders?: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** The file a request names inside one of `folders`, or null (unknown prefix, a path leaving the folder, no file). */
function servedFile(url: string, folders: Record<string, string>): string | null {
  const path = decodeURIComponent(url.split('?')[0]);
  for (const [prefix, folder] of Object.entries(folders)) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(root, folder); // no trailing separator
    const file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) return null;
    return file;
  }
  return null;
}

/**
 * Bundles `entry` (relative to the repository root, e.g. 'src/io/index.ts'), serves it as
 * `/lowp.js` with an index page that imports it and sets `window[globalName]` and `window.ready`,
 * and launches Chromium. Throws if the bundle still imports a `node:` module. `options` leaves
 * imports out of the bundle and serves them (and data) from folders through an import map.
 */
export async function openBrowserPage(entry: string, globalName: string, options: BrowserPageOptions = {}): Promise<BrowserPage> {
  const folders = options.folders ?? {};
  const bundle = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    external: options.external ?? [],
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0].text;
  // static and dynamic imports only: lowp/matmul's worker-thread source is a string that the browser
  // never evaluates (it runs in Node's worker_threads) and may name node: modules
  if (/(from\s*|import\(\s*)["']node:/.test(js)) throw new Error(`${entry}: the browser bundle imports a node: module`);
  const importMap = options.imports ? `<script type="importmap">${JSON.stringify({ imports: options.imports })}</script>` : '';
  const html = `<!doctype html><meta charset="utf-8"><title>lowp</title>${importMap}<script type="module">import * as m from "./lowp.js"; window[${JSON.stringify(globalName)}] = m; window.ready = true;</script>`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/lowp.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else {
      const file = servedFile(req.url ?? '', folders);
      if (file === null) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
  // playwright launches with a fresh, empty profile directory of its own (it rejects --user-data-dir)
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    url,
    browser,
    js,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
