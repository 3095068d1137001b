// Accessibility suite for Teilhabe: starts the server, reads /sitemap.xml and checks every
// page at 1280 px and 320 px. Run with `npm test` (see README.md).

import { after, before, describe, test } from 'node:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../lib/server.mjs';
import { RESULTS_DIR, checkPage, formatFailures, label, loadSitemap } from '../lib/checks.mjs';

const WIDTHS = (process.env.A11Y_WIDTHS || '1280,320').split(',').map((w) => Number(w.trim())).filter(Boolean);
const HEIGHT = 800;
const CONCURRENCY = Math.max(1, Number(process.env.A11Y_CONCURRENCY || 2));
const PAGE_TEST_TIMEOUT_MS = 120_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** An Error whose printed form is just the message (no stack trace noise). */
function problem(message) {
  const err = new Error(message);
  err.stack = `${message}\n`; // the spec reporter wraps it in [ ]; keep the "]" on a line of its own
  return err;
}

// ---------------------------------------------------------------------------
// Setup happens before the tests are declared, because the tests come from the sitemap.
// ---------------------------------------------------------------------------

rmSync(RESULTS_DIR, { recursive: true, force: true }); // no stale screenshots from an earlier run

let server = null;
let sitemap = null;
let setupError = null;
try {
  server = await startServer();
  sitemap = await loadSitemap(server.baseUrl).catch((err) => ({ urls: [], problems: [`sitemap: ${err.message}`] }));
} catch (err) {
  setupError = err;
}

if (setupError) {
  test('server starts and answers GET /health with 200', () => {
    throw problem(setupError.message);
  });
} else {
  declareSuite();
}

function declareSuite() {
  const base = server.baseUrl;
  const pageUrls = sitemap.urls.length ? [...sitemap.urls] : [`${base}/`];
  const home = pageUrls.find((u) => new URL(u).pathname === '/' && !new URL(u).search) || `${base}/`;
  const homeEn = new URL(home);
  homeEn.searchParams.set('lang', 'en');
  const targets = [...pageUrls, homeEn.href];

  /** label -> title, filled by the page tests, read by the uniqueness test. */
  const titles = new Map();
  const report = { baseUrl: base, widths: WIDTHS, sitemap: { urls: sitemap.urls.map(label), problems: sitemap.problems }, pages: [] };
  let browser = null;
  let serverLogShown = false;

  /**
   * For a 5xx page or a dead server, the server's own log says why: show it (once, it is long).
   * If the server has died, every later failure says so.
   */
  const serverLogHint = (res) => {
    const died = server.exitInfo();
    if (died && !serverLogShown) {
      serverLogShown = true;
      return `\n${died}; last lines of its stderr:\n${server.stderrTail(40)}`;
    }
    if (died) return `\n(${died}, see above)`;
    if (!(res.status >= 500) || serverLogShown || server.external) return '';
    serverLogShown = true;
    return `\nlast lines of the server's stderr:\n${server.stderrTail(25)}`;
  };

  describe('Teilhabe accessibility', () => {
    before(async () => {
      const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
      try {
        browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
      } catch (err) {
        throw problem(`Chromium did not start (${executablePath}); run ./install-deps.sh or set CHROMIUM_PATH.\n${err.message}`);
      }
    });

    after(async () => {
      if (browser) await browser.close().catch(() => {});
      if (server) await server.stop();
      try {
        mkdirSync(RESULTS_DIR, { recursive: true });
        report.pages.sort((a, b) => a.url.localeCompare(b.url) || b.width - a.width);
        writeFileSync(path.join(RESULTS_DIR, 'a11y-report.json'), JSON.stringify(report, null, 2));
      } catch {}
    });

    test(`sitemap.xml lists the public pages as absolute ${base} URLs`, () => {
      const problems = [...sitemap.problems];
      if (sitemap.urls.length && !sitemap.urls.some((u) => new URL(u).pathname === '/')) {
        problems.push('the home page / is not listed');
      }
      if (problems.length) {
        throw problem(
          `sitemap problems:\n${problems.map((p) => `- ${p}`).join('\n')}` +
            (sitemap.status >= 500 ? serverLogHint({ status: sitemap.status }) : ''),
        );
      }
    });

    describe(`pages (${targets.length} URLs × widths ${WIDTHS.join(', ')} px)`, { concurrency: CONCURRENCY }, () => {
      for (const url of targets) {
        for (const width of WIDTHS) {
          const name = `${label(url)} @ ${width}px`;
          test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
            const res = await checkPage(browser, url, { width, height: HEIGHT });
            if (res.title !== null && !titles.has(label(url))) titles.set(label(url), res.title);
            report.pages.push({ url: label(url), width, ...res });
            for (const w of [...new Set(res.warnings)].slice(0, 10)) t.diagnostic(`warning: ${w}`);
            if (res.failures.length) {
              throw problem(
                formatFailures(name, res.failures) +
                  (res.screenshot ? `\nscreenshot: ${res.screenshot}` : '') +
                  serverLogHint(res),
              );
            }
          });
        }
      }
    });

    test('unknown URL answers 404 with an accessible error page', { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
      const url = `${base}/diese-seite-gibt-es-nicht-${Date.now().toString(36)}`;
      const res = await checkPage(browser, url, {
        width: WIDTHS[0] || 1280,
        height: HEIGHT,
        expectedStatus: 404,
        checks: ['status', 'h1', 'axe'],
      });
      report.pages.push({ url: label(url), width: WIDTHS[0], notFound: true, ...res });
      for (const w of [...new Set(res.warnings)].slice(0, 10)) t.diagnostic(`warning: ${w}`);
      if (res.failures.length) throw problem(formatFailures(label(url), res.failures) + serverLogHint(res));
    });

    test('every page has a unique <title>', () => {
      const missing = targets.map(label).filter((l) => !titles.has(l));
      const byTitle = new Map();
      for (const [l, title] of titles) {
        if (!title) continue; // empty titles already fail the page's own test
        if (!byTitle.has(title)) byTitle.set(title, []);
        byTitle.get(title).push(l);
      }
      const dups = [...byTitle].filter(([, ls]) => ls.length > 1);
      const lines = dups.map(([title, ls]) => `- "${title}" is used by ${ls.length} pages: ${ls.join(', ')}`);
      if (missing.length) lines.push(`- (title unknown because the page did not load: ${missing.join(', ')})`);
      if (dups.length) throw problem(`duplicate <title>s:\n${lines.join('\n')}`);
    });
  });
}
