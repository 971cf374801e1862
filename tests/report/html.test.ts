// The HTML report of `lowp check --html` in a real browser (headless Chromium through playwright-core):
// it loads from a file with no console error, no page error and no network request besides the file
// itself (self-contained: uPlot, CSS and data are inline), the histograms are drawn (canvases with a
// nonzero size, one per visible tensor card, all of them after scrolling), the shaded bands are painted,
// for the cast report and for the ggml report of `--to q4_k` (histograms of the blocks' scales),
// and a screenshot is taken (kept in a temp folder; path printed). Skipped, with a message, when
// /usr/bin/chromium is not installed (`apt-get install -y chromium`).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { runCli } from '../cli/helpers.js';
import { CHROMIUM as DEFAULT_CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser-page.js';
import { vectorsPath } from '../helpers/vectors.js';

const CHROMIUM = process.env.LOWP_CHROMIUM ?? DEFAULT_CHROMIUM;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`tests/report: ${CHROMIUM} not found, browser checks skipped (apt-get install -y chromium)`);

const out = mkdtempSync(join(tmpdir(), 'lowp-report-'));
let browser: BrowserContext | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  // a fresh, empty profile each run (launchPersistentContext passes it as --user-data-dir)
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lowp-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ['--headless', ...CHROMIUM_ARGS],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  // keep the screenshots for a person to look at; remove only the HTML files
  for (const f of ['sample-fp16.html', 'digits-bf16.html', 'sample-q4k.html', 'digits-q8_0.html']) rmSync(join(out, f), { force: true });
});

async function makeReport(args: string[], file: string): Promise<string> {
  const path = join(out, file);
  const r = await runCli([...args, '--html', path]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('HTML report written');
  return path;
}

describe('HTML report (static checks)', () => {
  it('is one self-contained file: no external URL in src/href, uPlot inlined, data embedded', async () => {
    const path = await makeReport(['check', '--sample', '--to', 'fp16'], 'static.html');
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain('id="lowp-data"');
    expect(html).toMatch(/uPlot/);
    expect(html.match(/class="chart"/g)?.length).toBe(43);
    expect(statSync(path).size).toBeLessThan(2_000_000);
    rmSync(path);
  });

  it('escapes tensor names (no markup injection from a file)', async () => {
    const { renderHtmlReport } = await import('../../src/cli/report-html.js');
    const { runCheck } = await import('../../src/cli/commands/check.js');
    const report = await runCheck(undefined, { sample: true, to: 'bf16', only: 'model.norm.weight$' }, { stdout: { write: () => true }, stderr: { write: () => true } });
    report.tensors[0].name = '<img src=x onerror=alert(1)></script>';
    const html = renderHtmlReport(report);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x');
    // exactly the report's three script elements close: the name did not end one early
    expect(html.split('</script>').length - 1).toBe(3);
  });
});

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  for (const [label, args, file] of [
    ['sample → fp16', ['check', '--sample', '--to', 'fp16'], 'sample-fp16.html'],
    ['digits-transformer → bf16', ['check', vectorsPath('digits-transformer').path, '--to', 'bf16'], 'digits-bf16.html'],
    // the ggml report: histograms of the block scales log2 |d| over fp16's ranges (lost blocks drawn in the flush band)
    ['sample → Q4_K', ['check', '--sample', '--to', 'q4_k'], 'sample-q4k.html'],
    ['digits-transformer → Q8_0', ['check', vectorsPath('digits-transformer').path, '--to', 'q8_0'], 'digits-q8_0.html'],
  ] as const) {
    it(`${label}: loads without errors or network, draws every histogram, screenshot`, async () => {
      const path = await makeReport([...args], file);
      const page = await browser!.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${path}`, { waitUntil: 'load' });
      // cards are drawn as they scroll into view
      await page.locator('.chart[data-i="0"]').scrollIntoViewIfNeeded();
      await page.waitForSelector('.chart[data-drawn] canvas', { timeout: 10_000 });
      await page.evaluate(() => (window as unknown as { __lowpDrawAll: () => void }).__lowpDrawAll());
      const charts = await page.$$eval('.chart[data-i]', (els) =>
        els.map((el) => {
          const c = el.querySelector('canvas');
          return { drawn: el.getAttribute('data-drawn') === '1', w: c?.width ?? 0, h: c?.height ?? 0 };
        }),
      );
      expect(charts.length).toBeGreaterThan(10);
      for (const c of charts) {
        expect(c.drawn).toBe(true);
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(100);
      }
      // the bands and bars are painted: the first chart's canvas holds several distinct colours
      const colours = await page.$eval('.chart[data-i="0"] canvas', (c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        const seen = new Set<string>();
        for (let i = 0; i < d.length; i += 4 * 37) seen.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4},${d[i + 3] >> 4}`);
        return seen.size;
      });
      expect(colours).toBeGreaterThan(3);
      await page.evaluate(() => window.scrollTo(0, 0));
      const shot = join(out, file.replace(/\.html$/, '.png'));
      await page.screenshot({ path: shot, fullPage: false });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      await page.locator('h2', { hasText: 'Histograms' }).scrollIntoViewIfNeeded();
      await page.evaluate(() => document.querySelector('.legend')!.scrollIntoView());
      const shotCharts = join(out, file.replace(/\.html$/, '-charts.png'));
      await page.screenshot({ path: shotCharts, fullPage: false });
      console.log(`tests/report: screenshots ${shot} ${shotCharts}`);
      expect(errors).toEqual([]);
      expect(requests.filter((u) => u !== `file://${path}`)).toEqual([]);
      await page.close();
    });
  }
});
