// Accessibility suite for Teilhabe: starts the server, reads /sitemap.xml and checks every
// page at 1280 px and 320 px; then signs in as each demo role and checks the protected pages,
// submits forms empty to check their error state, and logs out by keyboard. A kiosk terminal is
// registered in the back office by the demo admin and paired in a browser context of its own;
// every kiosk page is checked there, with 44 × 44 px touch targets, and the inactivity warning.
// At the end the Nu HTML Checker validates every page's HTML, and a complete run writes its result to
// ../content/a11y-evidence.json, from which the portal's accessibility statement is made.
// Run with `npm test` (see README.md).

import { after, before, describe, test } from 'node:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../lib/server.mjs';
import { RESULTS_DIR, checkPage, checkPageIn, formatFailures, label, loadSitemap, newContext } from '../lib/checks.mjs';
import { buildEvidence, writeEvidence, EVIDENCE_FILE } from '../lib/evidence.mjs';
import { VNU_VERSION, sources as htmlSources, validateSources } from '../lib/vnu.mjs';
import {
  DEMO_USERS_CSV,
  ERROR_FORMS,
  CITIZEN_BOOKING_FORM,
  SIGNED_IN_ERROR_FORMS,
  checkNothingAskedTwice,
  FIRST_USER_PAGE,
  KIOSK_PAGES,
  ALERT_PAGES,
  checkAlertJourney,
  ALERT_JOURNEY_BUDGET_MS,
  formatSteps,
  orderOwnAlert,
  ROLES,
  checkErrorState,
  checkKioskBooking,
  checkKioskIdleWarning,
  checkKioskReadAloud,
  checkTouchTargets,
  kioskBookingUrl,
  pairKiosk,
  registerTerminal,
  checkLogoutByKeyboard,
  checkStillSignedIn,
  firstUserUrl,
  loadDemoAccounts,
  signIn,
  checkAttendancePerDate,
  COURSE_LATER_DATE,
} from '../lib/flows.mjs';

const WIDTHS = (process.env.A11Y_WIDTHS || '1280,320').split(',').map((w) => Number(w.trim())).filter(Boolean);
const HEIGHT = 800;
/**
 * Widths for the signed-in pages of every role but the admin (the admin's pages, which are
 * all protected pages, are checked at every width in WIDTHS). Default: the narrowest width.
 */
const ROLE_WIDTHS = (process.env.A11Y_ROLE_WIDTHS || String(Math.min(...WIDTHS)))
  .split(',')
  .map((w) => Number(w.trim()))
  .filter(Boolean);
const CONCURRENCY = Math.max(1, Number(process.env.A11Y_CONCURRENCY || 2));
/**
 * Only a complete run (no test name filter, both the default widths) writes the evidence file that the
 * accessibility statement is made from; A11Y_EVIDENCE=0 turns it off, A11Y_EVIDENCE=1 forces it.
 */
const FILTERED = [...process.execArgv, ...process.argv].some((a) => a.startsWith('--test-name-pattern') || a.startsWith('--test-skip-pattern'));
const WRITE_EVIDENCE =
  process.env.A11Y_EVIDENCE === '1' ||
  (process.env.A11Y_EVIDENCE !== '0' && !FILTERED && WIDTHS.includes(1280) && WIDTHS.includes(320));
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

/**
 * Public pages that the sitemap cannot list: a printed programme with dates, and a person's own booking
 * page behind its secret link (made here through the JSON API, as a partner app would).
 */
async function pagesOutsideTheSitemap(base) {
  const pages = [
    `${base}/kurse/programm?kreis=16051&zeitraum=monat`,
    `${base}/vorschlaege?q=Glasfaser&sortierung=unterstuetzung`,
    `${base}/vorschlaege/2/melden`,
    ...ALERT_PAGES.map((p) => `${base}${p}`),
  ];
  const dates = await fetch(`${base}/api/v1/dates?frei=1`).then((r) => r.json());
  const date = dates.items?.[0];
  if (!date) throw new Error('GET /api/v1/dates?frei=1 lists no date to book for the booking page');
  const res = await fetch(`${base}/api/v1/dates/${date.id}/bookings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Barriere Test', email: 'a11y-test@example.org', places: 1 }),
  });
  const booked = await res.json();
  if (res.status !== 201) throw new Error(`booking through the API answered ${res.status}: ${JSON.stringify(booked)}`);
  pages.push(`${base}${new URL(booked.manage_url).pathname}`);
  return pages;
}

let server = null;
let sitemap = null;
let setupError = null;
try {
  server = await startServer();
  sitemap = await loadSitemap(server.baseUrl).catch((err) => ({ urls: [], problems: [`sitemap: ${err.message}`] }));
  const extra = await pagesOutsideTheSitemap(server.baseUrl).catch((err) => {
    sitemap.problems.push(`pages outside the sitemap: ${err.message}`);
    return [];
  });
  sitemap.urls.push(...extra);
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
  // Proposal pages share one template; a few of them (with and without an answer) stand for all.
  let proposalPages = 0;
  const pageUrls = (sitemap.urls.length ? [...sitemap.urls] : [`${base}/`]).filter(
    (u) => !/^\/vorschlaege\/\d+$/.test(new URL(u).pathname) || ++proposalPages <= 6,
  );
  const home = pageUrls.find((u) => new URL(u).pathname === '/' && !new URL(u).search) || `${base}/`;
  const homeEn = new URL(home);
  homeEn.searchParams.set('lang', 'en');
  const targets = [...pageUrls, homeEn.href];

  /** label -> title, filled by the page tests, read by the uniqueness test. */
  const titles = new Map();
  const report = {
    baseUrl: base,
    widths: WIDTHS,
    roleWidths: ROLE_WIDTHS,
    sitemap: { urls: sitemap.urls.map(label), problems: sitemap.problems },
    pages: [],
    signedIn: [],
    errorStates: [],
    logout: [],
    kiosk: [],
    flows: [],
    html: { pages: 0, errors: {} },
    /** Failures of tests that are not about one page: { url, check, message }. */
    other: [],
  };
  let browserVersion = null;
  let demoAccounts = null;
  let demoAccountsError = null;
  try {
    demoAccounts = loadDemoAccounts();
  } catch (err) {
    demoAccountsError = `cannot read the demo accounts from ${DEMO_USERS_CSV}: ${err.message}`;
  }
  /** Prints a result's warnings and throws its failures, if any. */
  const reportResult = (t, name, res) => {
    for (const w of [...new Set(res.warnings)].slice(0, 10)) t.diagnostic(`warning: ${w}`);
    if (res.failures.length) {
      throw problem(
        formatFailures(name, res.failures) + (res.screenshot ? `\nscreenshot: ${res.screenshot}` : '') + serverLogHint(res),
      );
    }
  };
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
        browserVersion = `Chromium ${browser.version()}`;
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
        report.signedIn.sort((a, b) => a.role.localeCompare(b.role) || a.url.localeCompare(b.url) || b.width - a.width);
        report.errorStates.sort((a, b) => a.url.localeCompare(b.url) || b.width - a.width);
        writeFileSync(path.join(RESULTS_DIR, 'a11y-report.json'), JSON.stringify(report, null, 2));
      } catch {}
      if (WRITE_EVIDENCE && browserVersion) {
        const results = [
          ...report.pages,
          ...report.signedIn.map((r) => ({ ...r, url: r.url })),
          ...report.errorStates.map((r) => ({ ...r, url: `${r.url} (submitted empty)` })),
          ...report.logout.map((r) => ({ ...r, url: '/konto (logout by keyboard)' })),
          ...report.kiosk,
          ...report.flows,
        ];
        writeEvidence(
          buildEvidence({
            results,
            other: report.other,
            widths: WIDTHS,
            roles: ROLES.map((r) => r.role),
            chromium: browserVersion,
            nuHtmlChecker: VNU_VERSION,
          }),
        );
        console.log(`a11y: evidence for the accessibility statement written to ${path.relative(process.cwd(), EVIDENCE_FILE)}`);
      }
    });

    test(`sitemap.xml lists the public pages as absolute ${base} URLs`, () => {
      const problems = [...sitemap.problems];
      if (sitemap.urls.length && !sitemap.urls.some((u) => new URL(u).pathname === '/')) {
        problems.push('the home page / is not listed');
      }
      for (const p of problems) report.other.push({ url: '/sitemap.xml', check: 'sitemap', message: p });
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
        checks: ['status', 'h1', 'axe', 'html'],
        sourceLabel: '(unknown URL, 404)',
      });
      report.pages.push({ url: label(url), width: WIDTHS[0], notFound: true, ...res });
      for (const w of [...new Set(res.warnings)].slice(0, 10)) t.diagnostic(`warning: ${w}`);
      if (res.failures.length) throw problem(formatFailures(label(url), res.failures) + serverLogHint(res));
    });

    // Signed-in pages: one fresh context per role, signed in through the /anmelden form.
    // The roles run one after the other; each role's pages CONCURRENCY at a time.
    describe('signed-in pages', () => {
      for (const { role, pages, forbidden = [], allWidths } of ROLES) {
        const widths = allWidths ? WIDTHS : ROLE_WIDTHS;
        const account = demoAccounts?.get(role);
        describe(`${role} (${account?.email ?? 'no demo account'})`, { concurrency: CONCURRENCY }, () => {
          let context = null;
          let signInError = null;
          let askedTwice = null;
          let attendancePerDate = null;
          const urls = new Map(); // page path or placeholder -> absolute URL
          before(async () => {
            context = await newContext(browser, { width: widths[0] || 1280, height: HEIGHT });
            try {
              if (!account) throw new Error(demoAccountsError || `no demo account with role "${role}" in ${DEMO_USERS_CSV}`);
              await signIn(context, base, account);
              for (const p of pages) {
                urls.set(p, p === FIRST_USER_PAGE ? await firstUserUrl(context, base).catch((e) => e) : `${base}${p}`);
              }
              // Booked before the pages are checked, so the account page shows a booking.
              if (role === 'citizen') askedTwice = await checkNothingAskedTwice(context, base, account, { width: widths[0] || 1280, height: HEIGHT });
              // Marked before the pages are checked, so the course's pages show attendance per date.
              if (role === 'admin') attendancePerDate = await checkAttendancePerDate(context, base, { width: widths[0] || 1280, height: HEIGHT });
              // An alert too, so the account page shows its list of alerts with the remove buttons.
              if (role === 'citizen') await orderOwnAlert(context, base);
            } catch (err) {
              signInError = err.message.split('\n')[0];
            }
          });
          after(async () => {
            if (context) await context.close().catch(() => {});
          });

          test(`${role}: signs in through the /anmelden form`, { timeout: PAGE_TEST_TIMEOUT_MS }, () => {
            if (signInError) throw problem(`${role}: ${signInError}` + serverLogHint({}));
          });

          if (role === 'citizen') {
            const name = `${role}: booking and proposal forms ask nothing the account knows; /konto lists the booking`;
            test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, (t) => {
              if (signInError) return t.skip(`not signed in as ${role}`);
              report.flows.push({ url: `${CITIZEN_BOOKING_FORM} (signed in)`, ...askedTwice });
              reportResult(t, name, askedTwice);
            });
          }

          if (role === 'admin') {
            const name = `${role}: attendance at a later date of a course, by keyboard, counted per date on the first date`;
            test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, (t) => {
              if (signInError) return t.skip(`not signed in as ${role}`);
              report.flows.push({ url: `/verwaltung/termine/${COURSE_LATER_DATE} (attendance)`, ...attendancePerDate });
              reportResult(t, name, attendancePerDate);
            });
          }

          for (const { path: p, form } of SIGNED_IN_ERROR_FORMS.filter((f) => f.role === role)) {
            for (const width of widths) {
              const name = `${role}: ${p} submitted empty @ ${width}px`;
              test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
                if (signInError) return t.skip(`not signed in as ${role}`);
                const res = await checkErrorState(browser, `${base}${p}`, { width, height: HEIGHT, context, form, name: `${role}: ${p}` });
                report.errorStates.push({ url: `${role}: ${p}`, width, ...res });
                if (res.focus) t.diagnostic(`keyboard starts at: ${res.focus}; summary links: ${res.summaryLinks.join(' ') || '(none)'}`);
                reportResult(t, name, res);
              });
            }
          }

          for (const p of pages) {
            for (const width of widths) {
              const name = `${role}: ${p} @ ${width}px`;
              test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
                if (signInError) return t.skip(`not signed in as ${role}`);
                const url = urls.get(p);
                if (url instanceof Error) throw problem(`${name}: ${url.message}`);
                if (url !== `${base}${p}`) t.diagnostic(`checked ${label(url)}`);
                const res = await checkPageIn(context, url, {
                  width,
                  height: HEIGHT,
                  shotName: `${role}_${label(url)}`,
                  sourceLabel: `${role}: ${label(url)}`,
                  extraChecks: checkStillSignedIn,
                });
                if (res.title !== null && !titles.has(label(url))) titles.set(label(url), res.title);
                report.signedIn.push({ role, url: label(url), width, ...res });
                reportResult(t, url === `${base}${p}` ? name : `${role}: ${label(url)} @ ${width}px`, res);
              });
            }
          }

          for (const p of forbidden) {
            const width = WIDTHS[0] || 1280;
            const name = `${role}: ${p} answers 403 with an accessible page @ ${width}px`;
            test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
              if (signInError) return t.skip(`not signed in as ${role}`);
              const res = await checkPageIn(context, `${base}${p}`, {
                width,
                height: HEIGHT,
                expectedStatus: 403,
                checks: ['status', 'lang', 'h1', 'title', 'axe', 'html'],
                sourceLabel: `${role}: ${p} (403)`,
                shotName: `${role}_${p}_403`,
              });
              report.signedIn.push({ role, url: p, width, forbidden: true, ...res });
              reportResult(t, name, res);
            });
          }
        });
      }
    });

    describe(`forms submitted empty (${ERROR_FORMS.join(', ')})`, { concurrency: CONCURRENCY }, () => {
      for (const p of ERROR_FORMS) {
        for (const width of WIDTHS) {
          const name = `${p} submitted empty @ ${width}px`;
          test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
            const res = await checkErrorState(browser, `${base}${p}`, { width, height: HEIGHT });
            report.errorStates.push({ url: p, width, ...res });
            if (res.focus) t.diagnostic(`keyboard starts at: ${res.focus}; summary links: ${res.summaryLinks.join(' ') || '(none)'}`);
            reportResult(t, name, res);
          });
        }
      }
    });

    describe('logout button in the header', { concurrency: CONCURRENCY }, () => {
      const role = 'citizen';
      for (const width of WIDTHS) {
        const name = `${role}: logout button reachable and operable by keyboard @ ${width}px`;
        test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
          const account = demoAccounts?.get(role);
          if (!account) throw problem(demoAccountsError || `no demo account with role "${role}" in ${DEMO_USERS_CSV}`);
          const res = await checkLogoutByKeyboard(browser, base, account, { width, height: HEIGHT });
          report.logout.push({ role, width, ...res });
          if (res.tabPresses) t.diagnostic(`reached after ${res.tabPresses} Tab presses: ${res.stops.join(' → ')}`);
          reportResult(t, name, res);
        });
      }
    });

    // The journey of a course alert: sign-up, confirmation, the weekly mail sent by the server's
    // own job after staff publish a new date, and unsubscribe. It reads the server's mail folder.
    // The server of the suite runs its jobs every 2 s (lib/server.mjs), so the mail comes within seconds.
    // One width after the other: the two journeys share the admin's context and the course they add dates to.
    describe('course alert journey', { concurrency: 1 }, () => {
      let admin = null;
      let adminError = null;
      before(async () => {
        admin = await newContext(browser, { width: WIDTHS[0] || 1280, height: HEIGHT });
        try {
          const account = demoAccounts?.get('admin');
          if (!account) throw new Error(demoAccountsError || `no demo admin account in ${DEMO_USERS_CSV}`);
          await signIn(admin, base, account);
        } catch (err) {
          adminError = err.message.split('\n')[0];
        }
      }, { timeout: PAGE_TEST_TIMEOUT_MS });
      after(async () => {
        // Bounded: a page of the admin's that did not close (see checkAlertJourney) must not hold up the run.
        if (admin) {
          let timer;
          await Promise.race([admin.close().catch(() => {}), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
          clearTimeout(timer);
        }
      }, { timeout: 30_000 });
      for (const width of WIDTHS) {
        const name = `alert from sign-up to weekly mail and unsubscribe (keyboard) @ ${width}px`;
        // The journey bounds each of its steps and its whole run (ALERT_JOURNEY_BUDGET_MS) and then takes up
        // to 30 s to clean up, so it reports which step stalled before this timeout ends the test.
        test(name, { timeout: ALERT_JOURNEY_BUDGET_MS + 40_000 }, async (t) => {
          if (!server.dataDir) return t.skip('the server\'s mail folder is not known (external server)');
          if (adminError) throw problem(`${name}: ${adminError}`);
          const res = await checkAlertJourney(browser, base, { outboxDir: path.join(server.dataDir, 'outbox'), admin, width, height: HEIGHT });
          report.flows.push({ url: 'course alert journey', width, ...res });
          const total = res.steps.reduce((sum, s) => sum + (s.ms || 0), 0);
          t.diagnostic(`steps (${(total / 1000).toFixed(1)} s): ${formatSteps(res.steps)}`);
          // On failure the message lists the steps' times, and for a stalled step the server's last log
          // lines (whether it was still being asked for pages).
          const more = [];
          if (res.failures.length) {
            more.push({ check: 'journey', message: `steps and their times: ${formatSteps(res.steps)}; then ${formatSteps(res.cleanup) || 'no cleanup'}` });
          }
          if (res.stalled && !server.external) {
            more.push({ check: 'journey', message: `last lines of the server's stderr:\n${server.stderrTail(15)}` });
          }
          reportResult(t, name, { ...res, failures: [...res.failures, ...more] });
        });
      }
    });

    // Kiosk terminals: the demo admin registers one in the back office; a context of its own pairs
    // with the code, as the terminal's browser would.
    // One after the other: the pages share one terminal, and its start page ends the kiosk session.
    describe('kiosk terminal', { concurrency: 1 }, () => {
      let kiosk = null;
      let pairError = null;
      let bookingUrl = null;
      before(async () => {
        const account = demoAccounts?.get('admin');
        const admin = await newContext(browser, { width: WIDTHS[0] || 1280, height: HEIGHT });
        kiosk = await newContext(browser, { width: WIDTHS[0] || 1280, height: HEIGHT });
        try {
          if (!account) throw new Error(demoAccountsError || `no demo admin account in ${DEMO_USERS_CSV}`);
          await signIn(admin, base, account);
          const code = await registerTerminal(admin, base, 'Barrierefreiheitstest');
          await pairKiosk(kiosk, base, code);
          bookingUrl = await kioskBookingUrl(kiosk, base).catch((e) => e);
        } catch (err) {
          pairError = err.message.split('\n')[0];
        } finally {
          await admin.close().catch(() => {});
        }
      });
      after(async () => {
        if (kiosk) await kiosk.close().catch(() => {});
      });

      test('kiosk: the demo admin registers a terminal and a browser pairs with its code', { timeout: PAGE_TEST_TIMEOUT_MS }, () => {
        if (pairError) throw problem(`kiosk: ${pairError}` + serverLogHint({}));
      });

      for (const width of WIDTHS) {
        const name = `kiosk: pairing form (unpaired browser) @ ${width}px`;
        test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
          const res = await checkPage(browser, `${base}/kiosk`, { width, height: HEIGHT, extraChecks: checkTouchTargets, sourceLabel: 'kiosk: pairing form' });
          report.kiosk.push({ url: '/kiosk (unpaired)', width, ...res });
          reportResult(t, name, res);
        });
      }

      for (const p of [...KIOSK_PAGES, 'booking form']) {
        for (const width of WIDTHS) {
          const name = `kiosk: ${p} @ ${width}px`;
          test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
            if (pairError) return t.skip('no paired kiosk');
            let url = `${base}${p}`;
            if (p === 'booking form') {
              if (bookingUrl instanceof Error) throw problem(`${name}: ${bookingUrl.message}`);
              url = bookingUrl;
            }
            const res = await checkPageIn(kiosk, url, {
              width,
              height: HEIGHT,
              shotName: `kiosk_${label(url)}`,
              sourceLabel: `kiosk: ${p}`,
              extraChecks: checkTouchTargets,
            });
            if (res.title !== null && !titles.has(label(url))) titles.set(label(url), res.title);
            report.kiosk.push({ url: label(url), width, ...res });
            reportResult(t, name, res);
          });
        }
      }

      for (const width of WIDTHS) {
        const name = `kiosk: booking submitted empty, then with a name; the receipt @ ${width}px`;
        test(name, { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
          if (pairError) return t.skip('no paired kiosk');
          if (bookingUrl instanceof Error) throw problem(`${name}: ${bookingUrl.message}`);
          const res = await checkKioskBooking(kiosk, bookingUrl, { width, height: HEIGHT });
          report.kiosk.push({ url: 'booking + receipt', width, ...res });
          reportResult(t, name, res);
        });
      }

      test('kiosk: inactivity warning (alertdialog) before the reset, continue button, return to the start', { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
        if (pairError) return t.skip('no paired kiosk');
        const width = Math.min(...WIDTHS);
        const res = await checkKioskIdleWarning(kiosk, `${base}/kiosk/hilfe`, { width, height: HEIGHT });
        report.kiosk.push({ url: 'idle warning', width, ...res });
        reportResult(t, 'kiosk: inactivity warning', res);
      });

      test('kiosk: reading aloud only with a voice of the device, never a network voice', { timeout: PAGE_TEST_TIMEOUT_MS }, async (t) => {
        if (pairError) return t.skip('no paired kiosk');
        const width = Math.min(...WIDTHS);
        const res = await checkKioskReadAloud(kiosk, `${base}/kiosk/hilfe`, { width, height: HEIGHT });
        report.kiosk.push({ url: 'read aloud', width, ...res });
        reportResult(t, 'kiosk: read aloud', res);
      });
    });

    test('Nu HTML Checker: no errors in the HTML of any page checked', { timeout: 15 * 60_000 }, async (t) => {
      report.html.pages = htmlSources.size;
      if (htmlSources.size === 0) return t.skip('no page was checked');
      const errors = await validateSources();
      report.html.errors = Object.fromEntries(errors);
      for (const [page, messages] of errors) {
        for (const m of messages) report.other.push({ url: page, check: 'html', message: m });
      }
      t.diagnostic(`validated ${htmlSources.size} pages with vnu ${VNU_VERSION}`);
      if (errors.size) {
        const lines = [...errors].map(([page, ms]) => `- ${page}: ${ms.length} error(s)\n${ms.slice(0, 5).map((m) => `    ${m}`).join('\n')}`);
        throw problem(`HTML errors on ${errors.size} of ${htmlSources.size} pages:\n${lines.join('\n')}`);
      }
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
      for (const [title, ls] of dups) for (const l of ls) report.other.push({ url: l, check: 'title', message: `"${title}" is not unique` });
      const lines = dups.map(([title, ls]) => `- "${title}" is used by ${ls.length} pages: ${ls.join(', ')}`);
      if (missing.length) lines.push(`- (title unknown because the page did not load: ${missing.join(', ')})`);
      if (dups.length) throw problem(`duplicate <title>s:\n${lines.join('\n')}`);
    });
  });
}
