// Page-level accessibility checks, shared by the test file.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import {
  checkAccessibleAuth,
  checkConsistentHelp,
  checkDateFieldFocus,
  checkFocusNotObscured,
  checkNoDragging,
  checkNoFieldTwice,
  checkNavigationTargets,
  checkNoRefreshOverForm,
  checkTables,
  checkTextSpacing,
  recordDragListeners,
} from './beyond.mjs';
import { criterionOfAxeTags } from './criteria.mjs';
import { PACKAGE_DIR } from './server.mjs';
import { collectSource } from './vnu.mjs';

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];
export const RESULTS_DIR = path.join(PACKAGE_DIR, 'test-results');
export const DEFAULT_LANG = 'de';
const MAX_NODES_PER_VIOLATION = 8;

// ---------------------------------------------------------------------------
// Sitemap
// ---------------------------------------------------------------------------

const decodeXml = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/g, '&');

/**
 * Fetches /sitemap.xml. Returns { urls, problems, status, body }.
 * `urls` are absolute URLs re-rooted onto baseUrl (so a wrong host in <loc> is
 * reported as a problem but the pages are still tested).
 */
export async function loadSitemap(baseUrl) {
  const problems = [];
  let res;
  try {
    res = await fetch(`${baseUrl}/sitemap.xml`, { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    return { urls: [], problems: [`GET /sitemap.xml failed: ${err.cause?.code || err.message}`] };
  }
  const body = await res.text();
  if (res.status !== 200) problems.push(`GET /sitemap.xml answered ${res.status}, expected 200`);
  const ctype = res.headers.get('content-type') || '';
  if (!/xml/i.test(ctype)) problems.push(`/sitemap.xml has Content-Type "${ctype}", expected an XML type`);

  const base = new URL(baseUrl);
  const seen = new Set();
  const urls = [];
  for (const m of body.matchAll(/<loc>\s*([\s\S]*?)\s*<\/loc>/gi)) {
    const raw = decodeXml(m[1].trim());
    let u;
    try {
      u = new URL(raw);
    } catch {
      problems.push(`<loc> is not an absolute URL: "${raw}"`);
      try {
        u = new URL(raw, base);
      } catch {
        continue;
      }
    }
    if (u.origin !== base.origin) {
      problems.push(`<loc> ${raw} does not use the base URL ${base.origin} (TEILHABE_BASE_URL); testing it on ${base.origin}`);
      u = new URL(u.pathname + u.search, base);
    }
    u.hash = '';
    const key = u.href;
    if (seen.has(key)) {
      problems.push(`<loc> listed twice: ${raw}`);
      continue;
    }
    seen.add(key);
    urls.push(key);
  }
  if (urls.length === 0) problems.push('/sitemap.xml lists no <loc> URLs');
  return { urls, problems, status: res.status, body };
}

/** Short, stable label for a URL (path + query, no host/port). */
export function label(url) {
  const u = new URL(url);
  return u.pathname + u.search;
}

/** Language the page must be in: ?lang=xx, otherwise German. */
export function expectedLang(url) {
  return (new URL(url).searchParams.get('lang') || DEFAULT_LANG).toLowerCase();
}

// ---------------------------------------------------------------------------
// Page checks
// ---------------------------------------------------------------------------

export const ALL_CHECKS = [
  'status',
  'csp',
  'lang',
  'h1',
  'title',
  'reflow',
  'tables',
  'target-size',
  'axe',
  'html',
  'text-spacing',
  'dragging',
  'auth',
  'redundant-entry',
  'consistent-help',
  'meta-refresh',
  'focus-obscured',
  'focus-visible',
  'skip-link',
];
/** The checks of a page that comes back from a form (its focus starts at the error summary, so no skip link check). */
export const FORM_RESULT_CHECKS = ALL_CHECKS.filter((c) => !['status', 'skip-link'].includes(c));

/**
 * Loads `url` in a context without cookies (so no language or session carries over) at the
 * given viewport and runs the checks. Never throws for a page problem: returns
 * { title, failures: [{check, message}], warnings: [string], screenshot }.
 *
 * options.expectedStatus: defaults to 200.
 * options.checks: subset of ALL_CHECKS, defaults to all.
 * options.sourceLabel: the name of the page's HTML for the Nu HTML Checker (defaults to the URL's label).
 */
export async function checkPage(browser, url, { width, height = 800, ...options } = {}) {
  const idle = idleContexts.get(browser) ?? [];
  idleContexts.set(browser, idle);
  const context = idle.pop() ?? (await newContext(browser, { width, height }));
  try {
    await context.clearCookies();
    return await checkPageIn(context, url, { width, height, ...options });
  } finally {
    idle.push(context);
  }
}

// A check in a new context costs about 2.6 CPU seconds, most of it for starting a renderer
// process and running axe cold in it; in a tab that is only navigated again, about half of that.
// So the checks borrow a context and a tab and give them back: each check still gets a new
// document, and checkPage's context has no cookies. (The portal's scripts keep nothing in the
// browser's storage.) Contexts and tabs end with the browser.
const idleContexts = new WeakMap(); // browser -> contexts not in use
const idlePages = new WeakMap(); // context -> tabs not in use

async function borrowPage(context) {
  const idle = idlePages.get(context) ?? [];
  idlePages.set(context, idle);
  const page = idle.pop();
  return page && !page.isClosed() ? page : context.newPage();
}

function giveBack(context, page) {
  if (!page.isClosed()) idlePages.get(context).push(page);
}

/** A browser context as the suite uses it: German browser, reduced motion, drag listeners recorded. */
export async function newContext(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'de-DE', // ?lang=en must work by itself, not through Accept-Language
    reducedMotion: 'reduce',
  });
  await context.addInitScript(recordDragListeners);
  return context;
}

/**
 * Like checkPage, but in a tab of an existing context (which may hold a signed-in
 * session), with the tab's viewport set to `width` × `height`.
 * options.shotName: screenshot file name stem (defaults to one made from the URL).
 * options.extraChecks: async (page, fail) => void, run after the standard checks.
 */
export async function checkPageIn(
  context,
  url,
  { width, height = 800, expectedStatus = 200, checks = ALL_CHECKS, shotName, extraChecks, sourceLabel } = {},
) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  let title = null;
  let screenshot = null;
  let status = null;

  const page = await borrowPage(context);
  page.setDefaultTimeout(30_000);
  const stopCollecting = collectWarnings(page, warnings);
  try {
    await page.setViewportSize({ width, height });
    let response;
    try {
      response = await page.goto(url, { waitUntil: 'load' });
    } catch (err) {
      fail('status', `navigation failed: ${err.message.split('\n')[0]}`);
      return { status, title, failures, warnings, screenshot };
    }
    const html = response ? await response.text().catch(() => null) : null;
    ({ status, title } = await runChecks(page, { url, width, response, html, sourceLabel, expectedStatus, checks, fail, warnings }));
    if (extraChecks) await extraChecks(page, fail);
    if (failures.length) {
      screenshot = await saveScreenshot(page, shotName || label(url), width);
    }
  } finally {
    stopCollecting();
    giveBack(context, page);
  }
  return { status, title, failures, warnings, screenshot };
}

/**
 * Collects browser console errors, page errors and failed subresources as warnings.
 * Returns a function that stops collecting (for a tab that is used again).
 */
export function collectWarnings(page, warnings) {
  // Collected as warnings: they do not fail the test but usually explain failures.
  const listeners = {
    console: (msg) => {
      // "Failed to load resource" carries no URL; the 'response' handler reports those with the URL.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) warnings.push(`browser console error: ${msg.text()}`);
    },
    pageerror: (err) => warnings.push(`uncaught page error: ${err.message}`),
    requestfailed: (req) => warnings.push(`request failed: ${req.method()} ${label(req.url())} (${req.failure()?.errorText})`),
    response: (res) => {
      if (res.status() >= 400 && !res.request().isNavigationRequest()) {
        warnings.push(`subresource ${label(res.url())} answered ${res.status()}`);
      }
    },
  };
  for (const [event, listener] of Object.entries(listeners)) page.on(event, listener);
  return () => {
    for (const [event, listener] of Object.entries(listeners)) page.off(event, listener);
  };
}

/**
 * Runs `checks` on a loaded page. `response` is the navigation's response,
 * `expectedStatus` a status or a list of acceptable ones. Problems go to `fail(check, message)`.
 * With `trace` ({ current: null, ms: {} }), the check under way is kept in `trace.current` and each
 * check's time in `trace.ms`, so a caller that bounds the checks can say which one did not end.
 * Returns { status, title }.
 */
export async function runChecks(
  page,
  { url, width, response, html = null, sourceLabel = label(url), expectedStatus = 200, checks = ALL_CHECKS, fail, warnings, trace = null },
) {
  const on = new Set(checks);
  const okStatuses = [].concat(expectedStatus);
  const timed = async (name, fn) => {
    if (!trace) return fn();
    trace.current = name;
    const started = Date.now();
    try {
      return await fn();
    } finally {
      trace.ms[name] = Date.now() - started;
      trace.current = null;
    }
  };

  // 6. HTTP status + CSP ---------------------------------------------------
  const status = response ? response.status() : null;
  if (on.has('status')) {
    if (!response) fail('status', 'no HTTP response for the navigation');
    else {
      const redirectedFrom = response.request().redirectedFrom();
      if (redirectedFrom) {
        const before = await timed('status', () => redirectedFrom.response());
        fail('status', `${label(url)} redirects (${before?.status()}) to ${response.url()}; the sitemap should list the final URL`);
      }
      if (!okStatuses.includes(response.status())) {
        fail('status', `HTTP status ${response.status()}, expected ${okStatuses.join(' or ')}`);
      }
    }
  }
  if (on.has('csp') && response) {
    const csps = (await timed('csp', () => response.headersArray()))
      .filter((h) => h.name.toLowerCase() === 'content-security-policy')
      .map((h) => h.value);
    if (csps.length === 0) {
      fail('csp', 'no Content-Security-Policy response header');
    } else {
      for (const v of csps) {
        if (/'unsafe-inline'/i.test(v)) fail('csp', `Content-Security-Policy allows 'unsafe-inline': ${v}`);
      }
    }
  }

  // 7. <html lang> ------------------------------------------------------------
  if (on.has('lang')) {
    const want = expectedLang(url);
    const got = await timed('lang', () => page.evaluate(() => document.documentElement.getAttribute('lang')));
    if (got === null || got.trim() === '') fail('lang', `<html> has no lang attribute, expected "${want}"`);
    else if (got.trim().toLowerCase().split('-')[0] !== want) {
      fail('lang', `<html lang="${got}">, expected "${want}"`);
    }
  }

  // 4. exactly one <h1> ---------------------------------------------------------
  if (on.has('h1')) {
    const problem = await timed('h1', () => checkOneH1(page));
    if (problem) fail('h1', problem);
  }

  // 5. non-empty <title> (uniqueness is checked across pages by the caller) ---
  const title = (await timed('title', () => page.title())).trim();
  if (on.has('title') && title === '') fail('title', '<title> is missing or empty');

  // 2. reflow: no horizontal scrolling --------------------------------------------
  if (on.has('reflow')) {
    const problem = await timed('reflow', () => checkReflow(page, width));
    if (problem) fail('reflow', problem);
  }

  if (on.has('tables')) await timed('tables', () => checkTables(page, fail));
  if (on.has('target-size')) await timed('target-size', () => checkNavigationTargets(page, fail));
  // Before axe, which adds listeners of its own to the page.
  if (on.has('dragging')) await timed('dragging', () => checkNoDragging(page, fail));

  // 1. axe -------------------------------------------------------------------------
  if (on.has('axe')) await timed('axe', () => runAxe(page, fail, warnings));

  // Beyond the automated rules -------------------------------------------------------
  if (on.has('html')) collectSource(sourceLabel, html);
  if (on.has('text-spacing')) await timed('text-spacing', () => checkTextSpacing(page, fail));
  if (on.has('auth')) await timed('auth', () => checkAccessibleAuth(page, fail));
  if (on.has('redundant-entry')) await timed('redundant-entry', () => checkNoFieldTwice(page, fail));
  if (on.has('consistent-help')) await timed('consistent-help', () => checkConsistentHelp(page, fail, label(url)));
  if (on.has('meta-refresh')) await timed('meta-refresh', () => checkNoRefreshOverForm(page, fail, html));

  // 3. skip link: the first Tab press of the page, so before the checks that move the focus -----
  if (on.has('skip-link')) {
    for (const problem of await timed('skip-link', () => checkSkipLink(page))) fail('skip-link', problem);
  }
  if (on.has('focus-obscured')) await timed('focus-obscured', () => checkFocusNotObscured(page, fail));
  if (on.has('focus-visible')) await timed('focus-visible', () => checkDateFieldFocus(page, fail));
  return { status, title };
}

/** null if the page has exactly one <h1>, otherwise the problem. */
export async function checkOneH1(page) {
  const h1s = await page.$$eval('h1', (els) => els.map((e) => (e.textContent || '').trim().replace(/\s+/g, ' ')));
  if (h1s.length === 1) return null;
  return `${h1s.length} <h1> elements, expected exactly 1${h1s.length ? ': ' + h1s.map((t) => JSON.stringify(t)).join(', ') : ''}`;
}

/** null if the page does not scroll horizontally, otherwise the problem with the elements that stick out. */
export async function checkReflow(page, width) {
  const r = await page.evaluate(() => {
    const de = document.documentElement;
    const cw = de.clientWidth;
    const res = { scrollWidth: de.scrollWidth, clientWidth: cw, culprits: [] };
    if (res.scrollWidth <= cw) return res;
    const describe = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += '#' + el.id;
      if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
      return s;
    };
    // Innermost elements that stick out to the right.
    const wide = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > cw + 0.5);
    const innermost = wide.filter((el) => !wide.some((o) => o !== el && el.contains(o)));
    res.culprits = innermost.slice(0, 6).map((el) => {
      const rect = el.getBoundingClientRect();
      const path = [];
      for (let e = el; e && e !== document.body && path.length < 4; e = e.parentElement) path.unshift(describe(e));
      return `${path.join(' > ')} (right edge at ${Math.round(rect.right)} px, width ${Math.round(rect.width)} px): ${el.outerHTML.slice(0, 140).replace(/\s+/g, ' ')}`;
    });
    return res;
  });
  if (r.scrollWidth <= r.clientWidth) return null;
  return (
    `horizontal scrolling at ${width} px: scrollWidth ${r.scrollWidth} > clientWidth ${r.clientWidth}` +
    (r.culprits.length ? '\n  elements sticking out:\n' + r.culprits.map((c) => `    - ${c}`).join('\n') : '')
  );
}

/** Runs axe with AXE_TAGS; each violation becomes fail('axe', …), "needs review" items warnings. */
export async function runAxe(page, fail, warnings) {
  try {
    // Legacy mode runs axe in the page itself instead of opening an extra page for
    // finishRun: half the time per page. It only skips cross-origin iframes, which the
    // portal's CSP does not allow anyway.
    const result = await new AxeBuilder({ page }).setLegacyMode(true).withTags(AXE_TAGS).analyze();
    for (const v of result.violations) fail('axe', formatViolation(v), { rule: v.id, help: v.help, criterion: criterionOfAxeTags(v.tags) });
    for (const inc of result.incomplete || []) {
      if (inc.id === 'color-contrast') continue; // very common "needs review", noisy
      warnings.push(`axe needs review: ${inc.id} (${inc.nodes.length} node(s)): ${inc.help}`);
    }
  } catch (err) {
    fail('axe', `axe could not run: ${err.message}`);
  }
}

export async function checkSkipLink(page) {
  const problems = [];
  // Start from a clean state: nothing focused, top of the page.
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  await page.keyboard.press('Tab');
  const info = await page.evaluate(() => {
    const el = document.activeElement;
    const mains = [...document.querySelectorAll('main')];
    const out = {
      tag: el ? el.tagName.toLowerCase() : null,
      html: el && el !== document.body ? el.outerHTML.slice(0, 200) : null,
      href: el ? el.getAttribute('href') : null,
      mainCount: mains.length,
      mainId: mains[0]?.id || null,
      mainTabindex: mains[0]?.getAttribute('tabindex') ?? null,
      targetTag: null,
    };
    if (out.href && out.href.startsWith('#') && out.href.length > 1) {
      let id = out.href.slice(1);
      try {
        id = decodeURIComponent(id);
      } catch {}
      const t = document.getElementById(id);
      out.targetTag = t ? t.tagName.toLowerCase() : null;
      out.targetIsMain = !!t && t === mains[0];
    }
    return out;
  });

  if (info.mainCount !== 1) problems.push(`${info.mainCount} <main> elements, expected exactly 1`);
  if (info.mainCount >= 1 && !info.mainId) problems.push('<main> has no id, so no skip link can point to it');
  if (info.mainCount >= 1 && info.mainTabindex !== '-1') {
    problems.push(`<main> has ${info.mainTabindex === null ? 'no tabindex' : `tabindex="${info.mainTabindex}"`}, expected tabindex="-1"`);
  }
  if (!info.html) {
    problems.push('the first Tab press focused nothing');
    return problems;
  }
  if (info.tag !== 'a' || !info.href || !info.href.startsWith('#')) {
    problems.push(`the first Tab press focused ${info.html}, expected a skip link <a href="#${info.mainId || 'main-id'}">`);
    return problems;
  }
  if (!info.targetIsMain) {
    problems.push(
      `the first focusable link ${info.html} points to ${info.href}, ` +
        (info.targetTag ? `which is a <${info.targetTag}>, not <main>` : 'which matches no element id') +
        (info.mainId ? ` (main has id="${info.mainId}")` : ''),
    );
    return problems;
  }
  // Visible once focused (WCAG 2.4.7); allow 1 s for a slide-in transition.
  try {
    await page.waitForFunction(isFocusedElementVisible, null, { timeout: 1_000 });
  } catch {
    const rect = await page.evaluate(() => {
      const r = document.activeElement.getBoundingClientRect();
      return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
    });
    problems.push(`the skip link is not visible when focused (box ${JSON.stringify(rect)}): ${info.html}`);
  }

  await page.keyboard.press('Enter');
  try {
    await page.waitForFunction(
      () => {
        const m = document.querySelector('main');
        return !!m && !!document.activeElement && (document.activeElement === m || m.contains(document.activeElement));
      },
      null,
      { timeout: 2_000 },
    );
  } catch {
    const now = await page.evaluate(() => {
      const el = document.activeElement;
      return el && el !== document.body ? el.outerHTML.slice(0, 160) : '<body> (nothing)';
    });
    problems.push(`after Enter on the skip link, focus is on ${now}, not on or inside <main>`);
  }
  return problems;
}

/** Runs in the page: is the focused element on screen and not hidden? */
export function isFocusedElementVisible() {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  return (
    r.width >= 2 && r.height >= 2 && r.right > 0 && r.bottom > 0 &&
    r.left < window.innerWidth && r.top < window.innerHeight &&
    cs.visibility !== 'hidden' && Number(cs.opacity) > 0 &&
    !/rect\(\s*0(px)?[ ,]+0(px)?[ ,]+0(px)?[ ,]+0(px)?\s*\)/.test(cs.clip) && cs.clipPath !== 'inset(50%)'
  );
}

function formatViolation(v) {
  const lines = [`${v.id} [${v.impact ?? 'n/a'}] ${v.help} — ${v.nodes.length} element(s)`, `  ${v.helpUrl}`];
  for (const [i, n] of v.nodes.slice(0, MAX_NODES_PER_VIOLATION).entries()) {
    lines.push(`  ${i + 1}. target: ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', ')}`);
    lines.push(`     html:   ${n.html.replace(/\s+/g, ' ').slice(0, 300)}`);
    const summary = (n.failureSummary || '').split('\n').map((s) => s.trim()).filter(Boolean).slice(0, 3).join(' / ');
    if (summary) lines.push(`     why:    ${summary.slice(0, 300)}`);
  }
  if (v.nodes.length > MAX_NODES_PER_VIOLATION) lines.push(`  … and ${v.nodes.length - MAX_NODES_PER_VIOLATION} more`);
  return lines.join('\n');
}

/** Full-page screenshot in test-results/screenshots/<name>@<width>.png; `name` is e.g. a URL label. */
export async function saveScreenshot(page, name, width) {
  try {
    const dir = path.join(RESULTS_DIR, 'screenshots');
    mkdirSync(dir, { recursive: true });
    const slug = (name.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'home') + `@${width}.png`;
    const file = path.join(dir, slug);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
    return path.relative(PACKAGE_DIR, file);
  } catch {
    return null;
  }
}

/** Formats a checkPage() result as an assertion message. */
export function formatFailures(name, failures) {
  const checks = [...new Set(failures.map((f) => f.check))];
  return (
    `${name}: ${failures.length} problem(s) in check(s) ${checks.join(', ')}\n` +
    failures.map((f) => `[${f.check}] ${f.message}`).join('\n')
  );
}
