// Browser flows for the signed-in and error-state tests: signing in through the /anmelden
// form, submitting forms empty, and operating the header's logout button by keyboard.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from './server.mjs';
import {
  FORM_RESULT_CHECKS,
  collectWarnings,
  isFocusedElementVisible,
  label,
  newContext,
  runChecks,
  saveScreenshot,
} from './checks.mjs';

export const DEMO_USERS_CSV = path.resolve(PACKAGE_DIR, '..', 'content', 'demo', 'users.csv');

/** The pages of a signed-in account (every role). */
const ACCOUNT_PAGES = ['/konto', '/konto/email', '/konto/loeschen'];
/** Placeholder for the first user's page, found on /verwaltung/nutzer after signing in. */
export const FIRST_USER_PAGE = '/verwaltung/nutzer/{id}';
const ADMIN_PAGES = [
  '/verwaltung/nutzer',
  FIRST_USER_PAGE,
  '/verwaltung/protokoll',
  '/verwaltung/barrieren',
  '/verwaltung/wirkung',
  '/verwaltung/terminals',
  '/verwaltung/export',
  '/verwaltung/unzustellbar',
];
/** The back office for offers; demo offer 1, its date 1 and booking 1 belong to the provider's organisation. */
const OFFER_PAGES = [
  '/verwaltung/angebote',
  '/verwaltung/angebote/neu',
  '/verwaltung/angebote/1',
  '/verwaltung/angebote/1/termine/neu',
  '/verwaltung/termine/1',
  '/verwaltung/termine/1/bearbeiten',
  '/verwaltung/termine/1/folgetermin',
  '/verwaltung/buchungen/1/beleg',
  '/verwaltung/buchungen/1/adresse',
  '/verwaltung/aufgaben',
  '/verwaltung/termine/1/rueckmeldungen',
  '/verwaltung/termine/1/rueckmeldung-qr',
  '/verwaltung/benachrichtigung',
];

/**
 * A course of several dates booked as a whole (content/demo/courses.csv "mein-erstes-smartphone-altenburg",
 * dates 79 to 81 of course_dates.csv in file order): the first date, with the attendance per date, and a
 * later date with its own attendance list. They belong to another organisation than the demo provider's,
 * so the admin checks them.
 */
export const COURSE_LEAD_DATE = 79;
export const COURSE_LATER_DATE = 80;
const COURSE_SESSION_PAGES = [`/verwaltung/termine/${COURSE_LEAD_DATE}`, `/verwaltung/termine/${COURSE_LATER_DATE}`];

/**
 * Volunteer sessions (content/demo/volunteer_shifts.csv, in file order): 1 upcoming with the demo
 * volunteer, 3 helpers for a course date (attendance list), 5 past with hours waiting for approval.
 * User 2 is the demo volunteer.
 */
const SHIFT_PAGES = [
  '/verwaltung/einsaetze',
  '/verwaltung/einsaetze/neu',
  '/verwaltung/einsaetze/1',
  '/verwaltung/einsaetze/1/bearbeiten',
  '/verwaltung/einsaetze/3',
  '/verwaltung/einsaetze/5',
  '/verwaltung/einsaetze/5/liste',
  '/verwaltung/stunden',
  '/verwaltung/stunden/person/2',
];
const VOLUNTEER_PAGES = [
  '/freiwillige',
  '/freiwillige/einsaetze',
  '/freiwillige/stunden',
  '/verwaltung/einsaetze/1',
  '/verwaltung/einsaetze/5',
];

/**
 * Proposal moderation and answers; demo proposal 1 is from Sömmerda, the demo moderator's district.
 * The queue is also checked as it looks after a decision, with the confirmation banner.
 */
const PROPOSAL_PAGES = [
  '/verwaltung/vorschlaege',
  '/verwaltung/vorschlaege?erledigt=veroeffentlicht',
  '/verwaltung/vorschlaege/1',
  '/verwaltung/vorschlaege/erfassen',
];

/**
 * Which protected pages each demo role may see (the role names of content/demo/users.csv).
 * The admin sees them all, so checking the admin at every width covers every protected page
 * at every width; the other roles show the same pages with role-dependent content.
 */
export const ROLES = [
  // The account page after choosing the language of one's mails, with its confirmation.
  { role: 'citizen', pages: [...ACCOUNT_PAGES, '/konto?erledigt=sprache-gespeichert'], forbidden: ['/verwaltung'] },
  { role: 'volunteer', pages: [...ACCOUNT_PAGES, '/verwaltung', ...VOLUNTEER_PAGES] },
  { role: 'provider_staff', pages: [...ACCOUNT_PAGES, '/verwaltung', ...OFFER_PAGES, ...SHIFT_PAGES, '/verwaltung/vorschlaege/erfassen'] },
  { role: 'municipality_editor', pages: [...ACCOUNT_PAGES, '/verwaltung', '/verwaltung/angebote', '/verwaltung/angebote/neu', ...PROPOSAL_PAGES, '/verwaltung/wirkung'] },
  { role: 'moderator', pages: [...ACCOUNT_PAGES, '/verwaltung', ...PROPOSAL_PAGES] },
  { role: 'admin', pages: [...ACCOUNT_PAGES, '/verwaltung', ...ADMIN_PAGES, ...OFFER_PAGES, ...COURSE_SESSION_PAGES, ...SHIFT_PAGES, ...PROPOSAL_PAGES], allWidths: true },
];

/**
 * Forms of signed-in pages submitted empty, with the role that opens them and the form in <main> to send:
 * staff typing in a paper feedback form (radio and checkbox groups) and a moderator's decision (radio group).
 */
export const SIGNED_IN_ERROR_FORMS = [
  { role: 'admin', path: '/verwaltung/termine/1/rueckmeldungen', form: 'main form[method="post"]' },
  { role: 'admin', path: '/verwaltung/vorschlaege/1', form: 'main form[action$="/moderation"]' },
  { role: 'admin', path: '/verwaltung/export', form: 'main form[action="/verwaltung/export"]' },
  // Staff setting up a course alert for a caller.
  { role: 'admin', path: '/verwaltung/benachrichtigung', form: 'main form[action="/verwaltung/benachrichtigung"]' },
];

/** Forms that are submitted empty to check their error state. */
export const ERROR_FORMS = [
  '/barriere-melden',
  '/registrieren',
  '/anmelden',
  '/passwort-vergessen',
  // The first demo course's first date (content/demo/courses.csv, course_dates.csv).
  '/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen',
  '/vorschlaege/neu',
  '/vorschlaege/2/melden',
  // The course alert's sign-up, reached from the catalogue filtered by a district (Erfurt).
  '/benachrichtigung?bereich=kurse&kreis=16051',
];

/** Course alert pages without a secret link: the sign-up from a catalogue filter and the page after it. */
export const ALERT_PAGES = ['/benachrichtigung?bereich=kurse&kreis=16051&thema=videotelefonie&stufenlos=1', '/benachrichtigung/gesendet'];

/** The booking form the citizen fills in while signed in (the first demo course's first date). */
export const CITIZEN_BOOKING_FORM = '/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen';

/** Status codes a form may answer with when it shows its errors again. */
const ERROR_PAGE_STATUSES = [200, 400, 422];
const LOGOUT_BUTTON = 'form[action="/abmelden"] button';
const MAX_TAB_PRESSES = 40;

// ---------------------------------------------------------------------------
// Demo accounts
// ---------------------------------------------------------------------------

/** Parses a small CSV file (header row, optional "quoted" fields) into objects. */
function parseCsv(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const fields = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') fields.push(cur), (cur = '');
      else cur += c;
    }
    fields.push(cur);
    rows.push(fields);
  }
  const [header = [], ...data] = rows;
  return data.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), (r[i] ?? '').trim()])));
}

/**
 * role -> { email, password } from content/demo/users.csv (the first account of each role).
 * Throws if the file cannot be read.
 */
export function loadDemoAccounts(file = DEMO_USERS_CSV) {
  const accounts = new Map();
  for (const row of parseCsv(readFileSync(file, 'utf8'))) {
    if (row.role && row.email && row.password && !accounts.has(row.role)) {
      accounts.set(row.role, { email: row.email, password: row.password, name: row.name });
    }
  }
  return accounts;
}

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

/** Waits for the main frame's next POST navigation response (the first one, before any redirect). */
function nextPostNavigation(page) {
  return page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.frame() === page.mainFrame(),
    { timeout: 30_000 },
  );
}

/** The submit button of a form locator. */
const submitButton = (form) => form.locator('button[type="submit"], button:not([type]), input[type="submit"]').first();

/** Text of the page's error summary, if any (for failure messages). */
async function errorSummaryText(page) {
  const t = await page.locator('.error-summary').first().innerText({ timeout: 1_000 }).catch(() => '');
  return t.replace(/\s+/g, ' ').trim();
}

/**
 * Signs in as a person would: opens /anmelden, types e-mail and password into the form and
 * presses its submit button. Afterwards the context holds the session cookie.
 * Throws an Error saying what went wrong. Returns { landedOn } (the path after the redirect).
 */
export async function signIn(context, baseUrl, { email, password }) {
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  try {
    const res = await page.goto(`${baseUrl}/anmelden`, { waitUntil: 'load' });
    if (!res || res.status() !== 200) throw new Error(`GET /anmelden answered ${res?.status()}, expected 200`);
    const forms = page.locator('main form:has([name="email"]):has([name="password"])');
    const n = await forms.count();
    if (n !== 1) throw new Error(`/anmelden has ${n} forms with fields "email" and "password" in <main>, expected 1`);
    const form = forms.first();
    await form.locator('[name="email"]').fill(email);
    await form.locator('[name="password"]').fill(password);
    const posted = nextPostNavigation(page);
    await submitButton(form).click();
    const resp = await posted;
    await page.waitForLoadState('load');
    if ((await page.locator(LOGOUT_BUTTON).count()) === 0) {
      const summary = await errorSummaryText(page);
      throw new Error(
        `signing in as ${email} failed: POST /anmelden answered ${resp.status()}, the browser is on ` +
          `${label(page.url())} without a logout button${summary ? `; error summary: "${summary}"` : ''}`,
      );
    }
    return { landedOn: label(page.url()) };
  } finally {
    await page.close().catch(() => {});
  }
}

/** The absolute URL of the first user link on /verwaltung/nutzer, or throws. */
export async function firstUserUrl(context, baseUrl) {
  const page = await context.newPage();
  try {
    const res = await page.goto(`${baseUrl}/verwaltung/nutzer`, { waitUntil: 'load' });
    if (!res || res.status() !== 200) throw new Error(`GET /verwaltung/nutzer answered ${res?.status()}, expected 200`);
    const hrefs = await page.$$eval('main a[href]', (as) => as.map((a) => a.href));
    const href = hrefs.find((h) => /^\/verwaltung\/nutzer\/[^/]+$/.test(new URL(h).pathname));
    if (!href) throw new Error('/verwaltung/nutzer has no link to a user page (/verwaltung/nutzer/<id>) in <main>');
    return href;
  } finally {
    await page.close().catch(() => {});
  }
}

/** extraChecks for checkPageIn: the page must still be shown signed in. */
export async function checkStillSignedIn(page, fail) {
  if ((await page.locator(LOGOUT_BUTTON).count()) === 0) {
    fail('session', `the page is not shown signed in (no ${LOGOUT_BUTTON} in the page), now on ${label(page.url())}`);
  }
}

// ---------------------------------------------------------------------------
// Error state of a form submitted empty
// ---------------------------------------------------------------------------

/**
 * Opens `url` in a fresh context at `width`, waits like a person filling in the form, presses
 * the submit button of the form in <main> with all fields empty, and checks the page that
 * comes back: status (no redirect: the empty form must not be accepted), csp, lang, h1, title,
 * reflow, axe, the error summary and where the keyboard focus starts.
 * Returns { status, title, failures, warnings, screenshot, summaryLinks, focus }.
 */
export async function checkErrorState(browser, url, { width, height = 800, context: signedIn = null, form: formSelector = 'main form[method="post" i]', name }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  const out = { status: null, title: null, failures, warnings, screenshot: null, summaryLinks: [], focus: null };

  const context = signedIn || (await newContext(browser, { width, height }));
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  collectWarnings(page, warnings);
  try {
    await page.setViewportSize({ width, height });
    const first = await page.goto(url, { waitUntil: 'load' }).catch((err) => err);
    if (first instanceof Error || !first || first.status() !== 200) {
      fail('status', `GET ${label(url)} ${first instanceof Error ? `failed: ${first.message.split('\n')[0]}` : `answered ${first?.status()}`}, expected 200`);
      return out;
    }
    const titleBefore = (await page.title()).trim();
    const forms = page.locator(formSelector);
    if ((await forms.count()) === 0) {
      fail('form', `${label(url)} has no ${formSelector}`);
      return out;
    }
    const posted = nextPostNavigation(page);
    await submitButton(forms.first()).click();
    const response = await posted;
    await page.waitForLoadState('load');
    out.status = response.status();

    if (!ERROR_PAGE_STATUSES.includes(response.status())) {
      const where = response.headers().location ? ` to ${response.headers().location}` : '';
      fail(
        'status',
        `submitting the empty form answered ${response.status()}${where}, expected the form again with errors ` +
          `(${ERROR_PAGE_STATUSES.join(', ')}); now on ${label(page.url())}`,
      );
      out.screenshot = await saveScreenshot(page, `${label(url)}_empty`, width);
      return out;
    }

    // Autofocus is applied at the next rendering step; give it a moment.
    const summaryFocused = await page
      .waitForFunction(() => !!document.activeElement?.closest?.('.error-summary'), null, { timeout: 1_000 })
      .then(() => true, () => false);

    ({ title: out.title } = await runChecks(page, {
      url,
      width,
      response,
      html: await response.text().catch(() => null),
      sourceLabel: `${name || label(url)} (submitted empty)`,
      checks: FORM_RESULT_CHECKS,
      fail,
      warnings,
    }));
    await checkErrorFields(page, fail);
    if (out.title && out.title === titleBefore) {
      warnings.push(`the <title> is the same as before submitting ("${out.title}"); an error prefix tells screen reader users at once`);
    }

    // The error summary and its links ---------------------------------------------------
    const summary = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll('.error-summary')];
      const links = boxes.flatMap((b) => [...b.querySelectorAll('a')]).map((a) => {
        const href = a.getAttribute('href') || '';
        const text = (a.textContent || '').trim().replace(/\s+/g, ' ');
        let id = href.startsWith('#') ? href.slice(1) : null;
        try {
          if (id) id = decodeURIComponent(id);
        } catch {}
        const el = id ? document.getElementById(id) : null;
        const isField =
          !!el &&
          (el.matches('select, textarea, input:not([type="hidden"])') ||
            (el.matches('fieldset') && !!el.querySelector('select, textarea, input:not([type="hidden"])')));
        return {
          href,
          text,
          target: el ? el.outerHTML.slice(0, 140).replace(/\s+/g, ' ') : null,
          isField,
          fieldHidden: isField && el.matches('input, select, textarea') && el.getClientRects().length === 0,
        };
      });
      return { count: boxes.length, html: boxes[0] ? boxes[0].outerHTML.slice(0, 300).replace(/\s+/g, ' ') : null, links };
    });
    out.summaryLinks = summary.links.map((l) => l.href);
    if (summary.count === 0) {
      fail('error-summary', 'no error summary (.error-summary) on the page after submitting the empty form');
    } else {
      if (summary.count > 1) fail('error-summary', `${summary.count} error summaries (.error-summary), expected 1`);
      if (summary.links.length === 0) fail('error-summary', `the error summary has no links to the fields: ${summary.html}`);
      for (const l of summary.links) {
        if (!l.href.startsWith('#') || l.href.length < 2) {
          fail('error-summary', `summary link "${l.text}" has href="${l.href}", expected "#<field id>"`);
        } else if (!l.target) {
          fail('error-summary', `summary link "${l.text}" points to ${l.href}, but no element has that id`);
        } else if (!l.isField) {
          fail('error-summary', `summary link "${l.text}" points to ${l.href}, which is not a form field: ${l.target}`);
        } else if (l.fieldHidden) {
          fail('error-summary', `summary link "${l.text}" points to ${l.href}, a field that is not displayed: ${l.target}`);
        }
      }
    }

    // Where the keyboard starts: the focused error summary, or else the skip link --------
    if (summaryFocused) {
      out.focus = 'error summary';
      const visible = await page
        .waitForFunction(isFocusedElementVisible, null, { timeout: 1_000 })
        .then(() => true, () => false);
      if (!visible) fail('focus', 'the error summary has focus but is not visible on screen');
    } else {
      const before = await page.evaluate(() => {
        const el = document.activeElement;
        return el && el !== document.body ? el.outerHTML.slice(0, 140).replace(/\s+/g, ' ') : null;
      });
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => {
        const el = document.activeElement;
        const main = document.querySelector('main');
        const href = el?.getAttribute?.('href') || '';
        let target = null;
        if (href.startsWith('#') && href.length > 1) {
          try {
            target = document.getElementById(decodeURIComponent(href.slice(1)));
          } catch {}
        }
        return {
          html: el && el !== document.body ? el.outerHTML.slice(0, 140).replace(/\s+/g, ' ') : null,
          isSkipLink: !!el && el.tagName === 'A' && !!main && target === main,
        };
      });
      if (first.isSkipLink) out.focus = 'skip link';
      else {
        fail(
          'focus',
          'the error summary does not have focus after the page loads ' +
            `(focus is on ${before || '<body>'}), and the first Tab press focuses ` +
            `${first.html || 'nothing'} instead of the skip link to <main>`,
        );
      }
    }

    if (failures.length) out.screenshot = await saveScreenshot(page, `${label(url)}_empty`, width);
  } catch (err) {
    fail('flow', `the flow broke off: ${err.message.split('\n')[0]}`);
  } finally {
    if (signedIn) await page.close().catch(() => {});
    else await context.close();
  }
  return out;
}

/**
 * Every error is tied to its control (WCAG 3.3.1, 1.3.1): a field named by the error summary has
 * aria-invalid and is described by its error message; for a group of radio buttons or checkboxes the
 * summary points at the first option, the fieldset is described by the error and every option has
 * aria-invalid. No error message next to a field is left unreferenced.
 */
export async function checkErrorFields(page, fail) {
  const problems = await page.evaluate(() => {
    const out = [];
    const describedBy = (el) => (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    const describedByError = (el) =>
      describedBy(el).some((id) => {
        const d = document.getElementById(id);
        return !!d && d.classList.contains('form-error') && d.textContent.trim().length > 0;
      });
    const ids = [...document.querySelectorAll('.error-summary a[href^="#"]')].map((a) => decodeURIComponent(a.getAttribute('href').slice(1)));
    for (const id of ids) {
      const el = document.getElementById(id);
      if (!el) continue; // the error-summary check reports it
      if (el.matches('fieldset')) {
        out.push(`the summary link #${id} points at a <fieldset>, not at its first option`);
        continue;
      }
      if (el.matches('input[type="radio"], input[type="checkbox"]')) {
        const group = el.closest('fieldset');
        const options = group ? [...group.querySelectorAll(`input[name="${CSS.escape(el.name)}"]`)] : [el];
        if (!group) out.push(`#${id} is an option outside a <fieldset>`);
        else {
          if (options[0] !== el) out.push(`the summary link #${id} points at an option that is not the group's first`);
          if (!describedByError(group)) out.push(`the group of #${id} (<fieldset>) is not described by its error message (aria-describedby)`);
        }
        const unmarked = options.filter((o) => o.getAttribute('aria-invalid') !== 'true');
        if (unmarked.length) out.push(`${unmarked.length} option(s) of the group of #${id} lack aria-invalid="true"`);
        continue;
      }
      if (el.getAttribute('aria-invalid') !== 'true') out.push(`#${id} has an error but no aria-invalid="true"`);
      if (!describedByError(el)) out.push(`#${id} is not described by its error message (aria-describedby)`);
    }
    const referenced = new Set([...document.querySelectorAll('[aria-describedby]')].flatMap(describedBy));
    for (const msg of document.querySelectorAll('main .form-error')) {
      if (!msg.id || !referenced.has(msg.id)) {
        out.push(`the error message "${msg.textContent.trim().replace(/\s+/g, ' ').slice(0, 60)}" is tied to no field${msg.id ? '' : ' (it has no id)'}`);
      }
    }
    return out;
  });
  for (const p of problems) fail('error-field', p);
}

// ---------------------------------------------------------------------------
// No information asked twice (WCAG 3.3.7), and the account lists the booking
// ---------------------------------------------------------------------------

/**
 * As a signed-in citizen (`context`): the booking form and the proposal form do not ask again for
 * the name and e-mail address the account already holds (the fields are absent or filled in); the
 * booking is sent, and the account page then lists it.
 * Returns { failures, warnings, screenshot }.
 */
export async function checkNothingAskedTwice(context, baseUrl, account, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  let screenshot = null;
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  collectWarnings(page, warnings);
  const known = { name: account.name, email: account.email };
  const askedAgain = async (where) => {
    const fields = await page.$$eval('main form input[name="name"], main form input[name="email"]', (els) =>
      els.filter((e) => e.getClientRects().length).map((e) => ({ name: e.name, value: e.value })),
    );
    for (const f of fields) {
      if (f.value.trim() !== (known[f.name] || '').trim()) {
        fail('redundant-entry', `${where} asks the signed-in person for their ${f.name} again (the field holds "${f.value}", the account "${known[f.name]}")`);
      }
    }
  };
  try {
    await page.setViewportSize({ width, height });
    const booking = await page.goto(`${baseUrl}${CITIZEN_BOOKING_FORM}`, { waitUntil: 'load' });
    if (!booking || booking.status() !== 200) throw new Error(`GET ${CITIZEN_BOOKING_FORM} answered ${booking?.status()}`);
    await askedAgain(`the booking form ${CITIZEN_BOOKING_FORM}`);
    const course = (await page.locator('main .lead, main h1').first().innerText()).trim();
    // Sent at once, as autofill or someone who knows the form would: nobody is refused for being quick.
    const posted = nextPostNavigation(page);
    await submitButton(page.locator('main form[method="post" i]').first()).click();
    const sent = await posted;
    await page.waitForLoadState('load');
    if (!new URL(page.url()).pathname.startsWith('/buchung/')) {
      fail('flow', `booking while signed in answered ${sent.status()} and led to ${label(page.url())}, not to the booking's page: ${await errorSummaryText(page)}`);
    }
    const bookingPage = new URL(page.url()).pathname;

    await page.goto(`${baseUrl}/vorschlaege/neu`, { waitUntil: 'load' });
    await askedAgain('the proposal form /vorschlaege/neu');

    await page.goto(`${baseUrl}/konto`, { waitUntil: 'load' });
    const links = await page.$$eval('main a[href^="/buchung/"]', (as) => as.map((a) => a.getAttribute('href')));
    if (bookingPage.startsWith('/buchung/') && !links.includes(bookingPage)) {
      fail('flow', `/konto does not list the booking just made (${course}); its booking links: ${links.join(', ') || 'none'}`);
    }
    if (failures.length) screenshot = await saveScreenshot(page, 'citizen_nothing_twice', width);
  } catch (err) {
    fail('flow', `the flow broke off: ${err.message.split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
  }
  return { failures, warnings, screenshot };
}

// ---------------------------------------------------------------------------
// Logout by keyboard
// ---------------------------------------------------------------------------

const FOCUS_STYLE_PROPS = [
  'outlineStyle', 'outlineWidth', 'outlineColor', 'outlineOffset', 'boxShadow', 'backgroundColor',
  'color', 'textDecorationLine', 'textDecorationThickness', 'borderTopColor', 'borderBottomWidth', 'borderBottomColor',
];

/**
 * Signs in (fresh context at `width`), opens /konto, and presses Tab from the top of the page
 * until the header's logout button has focus. Checks it gets there, is visible and looks
 * different when focused, and that Enter signs out (POST /abmelden, then no logout button,
 * and /konto no longer opens).
 * Returns { failures, warnings, tabPresses, stops, screenshot }.
 */
export async function checkLogoutByKeyboard(browser, baseUrl, account, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  const out = { failures, warnings, tabPresses: null, stops: [], screenshot: null };
  const context = await newContext(browser, { width, height });
  let page = null;
  try {
    await signIn(context, baseUrl, account);
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    collectWarnings(page, warnings);
    await page.goto(`${baseUrl}/konto`, { waitUntil: 'load' });
    if ((await page.locator(LOGOUT_BUTTON).count()) === 0) {
      fail('logout', `/konto shows no logout button (${LOGOUT_BUTTON})`);
      return out;
    }
    await page.evaluate(() => {
      if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
      window.scrollTo(0, 0);
    });

    const focusInfo = (sel) =>
      page.evaluate(
        ({ sel, props }) => {
          const el = document.activeElement;
          const desc = !el || el === document.body ? '<body>' : el.outerHTML.replace(/\s+/g, ' ').replace(/>.*$/, '>').slice(0, 90) + ` "${(el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 30)}"`;
          const button = document.querySelector(sel);
          const cs = button ? getComputedStyle(button) : null;
          return {
            desc,
            onButton: !!el && el === button,
            style: cs ? Object.fromEntries(props.map((p) => [p, cs[p]])) : null,
          };
        },
        { sel, props: FOCUS_STYLE_PROPS },
      );

    let reached = null;
    for (let i = 1; i <= MAX_TAB_PRESSES; i++) {
      await page.keyboard.press('Tab');
      const info = await focusInfo(LOGOUT_BUTTON);
      out.stops.push(info.desc);
      if (info.onButton) {
        reached = i;
        break;
      }
    }
    if (!reached) {
      fail(
        'keyboard',
        `the logout button was not reached in ${MAX_TAB_PRESSES} Tab presses from the top of /konto; focus stops:\n` +
          out.stops.slice(0, 15).map((s, i) => `    ${i + 1}. ${s}`).join('\n'),
      );
      out.screenshot = await saveScreenshot(page, '_logout', width);
      return out;
    }
    out.tabPresses = reached;

    // Visible and with a visible focus indicator (WCAG 2.4.7) ------------------------------
    const visible = await page
      .waitForFunction(isFocusedElementVisible, null, { timeout: 1_000 })
      .then(() => true, () => false);
    if (!visible) fail('focus-visible', 'the logout button has focus but is not visible on screen');
    await page.waitForTimeout(250); // let a focus transition finish
    const focused = (await focusInfo(LOGOUT_BUTTON)).style;
    await page.keyboard.press('Shift+Tab');
    await page.waitForTimeout(250);
    const unfocused = (await focusInfo(LOGOUT_BUTTON)).style;
    const changed = FOCUS_STYLE_PROPS.filter((p) => focused[p] !== unfocused[p]);
    if (changed.length === 0) {
      fail(
        'focus-visible',
        'the logout button looks the same focused and unfocused (outline, box-shadow, colours, underline, border): ' +
          `no visible focus indicator; its style: outline ${focused.outlineStyle} ${focused.outlineWidth}, box-shadow ${focused.boxShadow}`,
      );
    }
    await page.keyboard.press('Tab');
    if (!(await focusInfo(LOGOUT_BUTTON)).onButton) {
      fail('keyboard', 'Shift+Tab and Tab again did not bring the focus back to the logout button');
      await page.locator(LOGOUT_BUTTON).focus();
    }

    // Enter signs out ---------------------------------------------------------------------
    const posted = nextPostNavigation(page);
    await page.keyboard.press('Enter');
    const resp = await posted.catch(() => null);
    if (!resp) {
      fail('logout', 'pressing Enter on the focused logout button sent no form');
    } else {
      await page.waitForLoadState('load');
      if (!label(resp.url()).startsWith('/abmelden')) fail('logout', `Enter sent a form to ${label(resp.url())}, expected /abmelden`);
      if ((await page.locator(LOGOUT_BUTTON).count()) > 0) {
        fail('logout', `after Enter on the logout button (answer ${resp.status()}), ${label(page.url())} still shows a logout button`);
      }
      const check = await context.newPage();
      const r = await check.goto(`${baseUrl}/konto`, { waitUntil: 'load' }).catch(() => null);
      if (r && label(check.url()) === '/konto' && r.status() === 200) {
        fail('logout', 'after logging out, /konto still opens (200) in the same browser');
      }
      await check.close();
    }
    if (failures.length) out.screenshot = await saveScreenshot(page, '_logout', width);
  } catch (err) {
    fail('flow', `the flow broke off: ${err.message.split('\n')[0]}`);
  } finally {
    await context.close();
  }
  return out;
}

// ---------------------------------------------------------------------------
// Attendance per date of a course booked as a whole
// ---------------------------------------------------------------------------

/**
 * Attendance at a later date of a course booked as a whole, with the keyboard, in a signed-in
 * context of staff: on the later date's page the first participant's "Da" button gets focus and
 * Enter sends its form (no script involved). The page must come back with the confirmation banner
 * and that button pressed (`aria-pressed="true"`), and the first date's page must count the place as
 * present at the later date in its table "Anwesenheit je Termin", while its own list stays unmarked.
 */
export async function checkAttendancePerDate(context, baseUrl, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  const out = { failures, warnings, screenshot: null };
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.setViewportSize({ width, height });
  collectWarnings(page, warnings);
  const later = `/verwaltung/termine/${COURSE_LATER_DATE}`;
  const present = `main form[action="${later}/anwesenheit"] button[value="present"]`;
  try {
    await page.goto(`${baseUrl}${later}`, { waitUntil: 'load' });
    const buttons = page.locator(present);
    if ((await buttons.count()) === 0) {
      fail('attendance', `${later} shows no attendance buttons (${present})`);
      return out;
    }
    await buttons.first().focus();
    const visible = await page
      .waitForFunction(isFocusedElementVisible, null, { timeout: 1_000 })
      .then(() => true, () => false);
    if (!visible) fail('focus-visible', `the first "Da" button on ${later} has focus but is not visible`);
    const posted = nextPostNavigation(page);
    await page.keyboard.press('Enter');
    const resp = await posted.catch(() => null);
    if (!resp) {
      fail('attendance', 'Enter on the focused "Da" button sent no form');
      return out;
    }
    // The answer is a redirect (post/redirect/get) to the page with its confirmation.
    await page.waitForURL((u) => u.search.includes('erledigt=anwesenheit'), { timeout: 10_000 }).catch(() => {});
    await page.waitForLoadState('load');
    if (!label(page.url()).startsWith(`${later}?erledigt=anwesenheit`)) {
      fail('attendance', `after saving, the browser is on ${label(page.url())}, expected ${later}?erledigt=anwesenheit`);
    }
    if ((await page.locator('.notification-banner[role="alert"]').count()) !== 1) {
      fail('attendance', 'no confirmation banner after saving the attendance');
    }
    if ((await page.locator(present).first().getAttribute('aria-pressed')) !== 'true') {
      fail('attendance', 'the "Da" button is not marked as pressed after saving (aria-pressed)');
    }

    await page.goto(`${baseUrl}/verwaltung/termine/${COURSE_LEAD_DATE}`, { waitUntil: 'load' });
    const rows = await page.$$eval('#anwesenheit-je-termin + p + div table tbody tr', (trs) =>
      trs.map((tr) => ({
        link: tr.querySelector('th a')?.getAttribute('href') || '',
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
      })),
    );
    const row = rows.find((r) => r.link.startsWith(later));
    if (!row) fail('attendance', `the first date's table "Anwesenheit je Termin" has no row for ${later}`);
    else if (!(Number(row.cells[0]) > 0)) fail('attendance', `the row of ${later} counts nobody present: ${row.cells.join(' | ')}`);
    const own = await page.locator(`main form[action="/verwaltung/termine/${COURSE_LEAD_DATE}/anwesenheit"] button[aria-pressed="true"]`).count();
    if (own !== 0) fail('attendance', `marking the later date also marked ${own} people at the first date`);
    if (failures.length) out.screenshot = await saveScreenshot(page, '_attendance_per_date', width);
  } catch (err) {
    fail('flow', `the flow broke off: ${err.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  return out;
}

// ---------------------------------------------------------------------------
// Kiosk terminals
// ---------------------------------------------------------------------------

/** Kiosk pages checked in a paired browser (the booking form and the receipt are found by the flow). */
export const KIOSK_PAGES = [
  '/kiosk',
  '/kiosk/kurse',
  '/kiosk/rueckmeldung',
  '/kiosk/vorschlag',
  '/kiosk/leichte-sprache',
  '/kiosk/hilfe',
  '/kiosk/danke/vorschlag',
  '/kiosk/danke/rueckmeldung',
  '/kiosk/benachrichtigung',
  '/kiosk/danke/benachrichtigung',
];

/** Interactive elements on kiosk pages must be at least this big (CSS px, WCAG 2.5.5). */
export const KIOSK_TARGET_PX = 44;

/**
 * extraChecks for kiosk pages: every visible interactive element is at least 44 × 44 CSS px.
 * Elements that are hidden, have no size, or sit off-screen until focused (the skip link) are left out.
 */
export async function checkTouchTargets(page, fail) {
  const small = await page.$$eval(
    'a, button, input, select, textarea, summary, [role=button]',
    (els, min) =>
      els
        .map((el) => {
          const style = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          if (style.visibility === 'hidden' || style.display === 'none' || r.width === 0 || r.height === 0) return null;
          if (r.bottom <= 0 || r.right <= 0) return null; // off-screen until focused
          if (r.width + 0.5 >= min && r.height + 0.5 >= min) return null;
          const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.getAttribute('type') || '')
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 40);
          return `<${el.tagName.toLowerCase()}${el.id ? ` id="${el.id}"` : ''}> "${name}" is ${Math.round(r.width)}×${Math.round(r.height)} px`;
        })
        .filter(Boolean),
    KIOSK_TARGET_PX,
  );
  for (const s of small) fail('touch-target', `${s}, smaller than ${KIOSK_TARGET_PX}×${KIOSK_TARGET_PX}`);
}

/**
 * Registers a kiosk terminal as the demo admin would, in the back office (/verwaltung/terminals,
 * in `adminContext`, already signed in), and returns the one-time pairing code shown there.
 */
export async function registerTerminal(adminContext, baseUrl, name) {
  const page = await adminContext.newPage();
  page.setDefaultTimeout(30_000);
  try {
    const res = await page.goto(`${baseUrl}/verwaltung/terminals`, { waitUntil: 'load' });
    if (!res || res.status() !== 200) throw new Error(`GET /verwaltung/terminals answered ${res?.status()}, expected 200`);
    const form = page.locator('main form[action="/verwaltung/terminals"]');
    await form.locator('[name="name"]').fill(name);
    const venue = await form.locator('select[name="venue"] option[value]:not([value=""])').first().getAttribute('value');
    await form.locator('select[name="venue"]').selectOption(venue);
    const posted = nextPostNavigation(page);
    await submitButton(form).click();
    const resp = await posted;
    await page.waitForLoadState('load');
    const code = (await page.locator('.kiosk-pairing-code').first().innerText({ timeout: 2_000 }).catch(() => '')).trim();
    if (!code) {
      const summary = await errorSummaryText(page);
      throw new Error(`registering a terminal: POST answered ${resp.status()} without a pairing code${summary ? `; error summary: "${summary}"` : ''}`);
    }
    return code;
  } finally {
    await page.close().catch(() => {});
  }
}

/** Pairs `context` (a fresh browser context) by typing `code` into the form at /kiosk. */
export async function pairKiosk(context, baseUrl, code) {
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  try {
    await page.goto(`${baseUrl}/kiosk`, { waitUntil: 'load' });
    const form = page.locator('main form[action="/kiosk/koppeln"]');
    await form.locator('[name="code"]').fill(code);
    const posted = nextPostNavigation(page);
    await submitButton(form).click();
    await posted;
    await page.waitForLoadState('load');
    if ((await page.locator('a.kiosk-choice').count()) === 0) {
      throw new Error(`pairing with code ${code} did not lead to the kiosk start page (now on ${label(page.url())}): ${await errorSummaryText(page)}`);
    }
  } finally {
    await page.close().catch(() => {});
  }
}

/** The first "book a place" link on /kiosk/kurse, as an absolute URL. */
export async function kioskBookingUrl(context, baseUrl) {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}/kiosk/kurse`, { waitUntil: 'load' });
    const href = await page.$$eval('main a[href]', (as) => as.map((a) => a.href).find((h) => /\/kiosk\/kurse\/\d+\/buchen$/.test(h)));
    if (!href) throw new Error('/kiosk/kurse lists no date to book at the demo venue or in its district');
    return href;
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Books at the kiosk in `context`: submits the form empty first (error state: 422, summary, axe,
 * touch targets), then with a name, and checks the receipt page (shown once) the same way.
 * Returns { failures, warnings, screenshot }.
 */
export async function checkKioskBooking(context, bookingUrl, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  let screenshot = null;
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  collectWarnings(page, warnings);
  try {
    await page.setViewportSize({ width, height });
    await page.goto(bookingUrl, { waitUntil: 'load' });
    const form = page.locator('main form[method="post"]').first();
    let posted = nextPostNavigation(page);
    await submitButton(form).click();
    let response = await posted;
    await page.waitForLoadState('load');
    // The error summary takes the focus (as in checkErrorState), so the skip-link check does not apply.
    const errorChecks = ['status', ...FORM_RESULT_CHECKS];
    const html = await response.text().catch(() => null);
    await runChecks(page, { url: bookingUrl, width, response, html, sourceLabel: 'kiosk booking (submitted empty)', expectedStatus: 422, checks: errorChecks, fail, warnings });
    await checkErrorFields(page, fail);
    if ((await page.locator('.error-summary').count()) !== 1) fail('error-summary', 'the empty kiosk booking form shows no error summary');
    const summaryFocused = await page
      .waitForFunction(() => !!document.activeElement?.closest?.('.error-summary'), null, { timeout: 1_000 })
      .then(() => true, () => false);
    if (!summaryFocused) fail('error-summary', 'the error summary does not take the focus');
    await checkTouchTargets(page, fail);

    await page.locator('main form [name="name"]').fill('Barriere Test');
    posted = nextPostNavigation(page);
    await submitButton(page.locator('main form[method="post"]').first()).click();
    response = await posted;
    await page.waitForLoadState('load');
    if (!new URL(page.url()).pathname.endsWith('/kiosk/beleg')) {
      fail('status', `booking at the kiosk led to ${label(page.url())}, expected /kiosk/beleg`);
    } else {
      // The POST answers 303 to the receipt: check the page the browser shows.
      const receiptChecks = FORM_RESULT_CHECKS.filter((c) => c !== 'html').concat('skip-link');
      await runChecks(page, { url: page.url(), width, response: null, checks: receiptChecks, fail, warnings });
      if ((await page.locator('figure.qr svg').count()) !== 1) fail('receipt', 'the receipt shows no QR code');
      await checkTouchTargets(page, fail);
    }
    if (failures.length) screenshot = await saveScreenshot(page, `kiosk_booking`, width);
  } catch (err) {
    fail('flow', err.message.split('\n')[0]);
  } finally {
    await page.close().catch(() => {});
  }
  return { failures, warnings, screenshot };
}

/**
 * The inactivity warning (WCAG 2.2.1): with the page clock fast-forwarded to 25 seconds before the
 * reset, the alertdialog shows with the focus on its continue button and passes axe; the button
 * hides it again; without a touch the terminal returns to /kiosk at the end.
 */
// The kiosk's read-aloud button speaks only with a voice of the device itself: a network voice would
// send the screen (a receipt with a name on it) to the voice's provider. The browser's voices are
// replaced by a stub that records what it is asked to speak.
export async function checkKioskReadAloud(context, url, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  const withVoices = async (voices, { eventTarget = true } = {}) => {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    collectWarnings(page, warnings);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.errors = errors;
    await page.addInitScript(([given, asTarget]) => {
      window.__spoken = [];
      const fake = {
        getVoices: () => given,
        speak: (u) => window.__spoken.push({ voice: u.voice && u.voice.name, text: u.text }),
        cancel: () => {},
      };
      // Older engines: `onvoiceschanged` only, no EventTarget.
      if (asTarget) fake.addEventListener = () => {};
      Object.defineProperty(window, 'speechSynthesis', { value: fake, configurable: true });
      window.SpeechSynthesisUtterance = function (text) { this.text = text; };
    }, [voices, eventTarget]);
    await page.setViewportSize({ width, height });
    await page.goto(url, { waitUntil: 'load' });
    return page;
  };
  const network = { name: 'Google Deutsch', lang: 'de-DE', localService: false };
  const local = { name: 'eSpeak Deutsch', lang: 'de-DE', localService: true };
  let page = null;
  try {
    page = await withVoices([network]);
    const reader = page.locator('[data-read-aloud]');
    if (await reader.isVisible()) fail('read-aloud', 'the button shows with only a network voice');
    await page.close();
    page = await withVoices([network, local]);
    const offered = page.locator('[data-read-aloud]');
    if (!(await offered.isVisible())) {
      fail('read-aloud', 'no button with a voice of the device');
    } else {
      await offered.click();
      const spoken = await page.evaluate(() => window.__spoken);
      if (spoken.length !== 1 || spoken[0].voice !== local.name) {
        fail('read-aloud', `spoke with ${JSON.stringify(spoken.map((s) => s.voice))}, not only with the device's voice`);
      }
    }
    await page.close();
    page = await withVoices([local], { eventTarget: false });
    if (!(await page.locator('[data-read-aloud]').isVisible())) {
      fail('read-aloud', 'no button where speechSynthesis is no EventTarget (older engines)');
    }
    if (page.errors.length) fail('read-aloud', `script errors: ${page.errors.join('; ')}`);
  } catch (err) {
    fail('flow', err.message.split('\n')[0]);
  } finally {
    if (page) await page.close().catch(() => {});
  }
  return { failures, warnings, screenshot: null };
}

export async function checkKioskIdleWarning(context, url, { width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  let screenshot = null;
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  collectWarnings(page, warnings);
  try {
    await page.setViewportSize({ width, height });
    await page.clock.install();
    await page.goto(url, { waitUntil: 'load' });
    const idle = Number(await page.locator('body').getAttribute('data-idle-seconds'));
    if (!(idle > 0)) throw new Error(`${label(url)} has no data-idle-seconds on <body>`);
    const dialog = page.locator('[role="alertdialog"]');
    if (await dialog.isVisible()) fail('idle', 'the warning shows at once');
    await page.clock.runFor((idle - 25) * 1000);
    if (!(await dialog.isVisible())) {
      fail('idle', `no visible warning 25 seconds before the reset (after ${idle - 25} s)`);
    } else {
      const focused = await page.evaluate(() => document.activeElement?.closest('[role="alertdialog"]') !== null);
      if (!focused) fail('idle', 'the focus is not in the warning');
      await runChecks(page, { url, width, response: null, checks: ['axe'], fail, warnings });
      await checkTouchTargets(page, fail);
      await dialog.locator('button').click();
      if (await dialog.isVisible()) fail('idle', 'the continue button does not close the warning');
      const navigated = page.waitForURL((u) => u.pathname === '/kiosk', { timeout: 10_000 });
      await page.clock.runFor((idle + 1) * 1000);
      await navigated.catch(() => fail('idle', `no return to /kiosk ${idle} s after the last touch (still on ${label(page.url())})`));
    }
    if (failures.length) screenshot = await saveScreenshot(page, 'kiosk_idle', width);
  } catch (err) {
    fail('flow', err.message.split('\n')[0]);
  } finally {
    await page.close().catch(() => {});
  }
  return { failures, warnings, screenshot };
}


// ---------------------------------------------------------------------------
// Course alert: from sign-up to the weekly mail and unsubscribe
// ---------------------------------------------------------------------------

/** Mails the server wrote to its outbox folder (file transport), decoded enough to read links. */
function outboxMails(outboxDir) {
  let names = [];
  try {
    names = readdirSync(outboxDir).filter((n) => n.endsWith('.eml'));
  } catch {
    return [];
  }
  return names.map((n) =>
    readFileSync(path.join(outboxDir, n), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='),
  );
}

/** Waits up to `timeoutMs` for a mail to `to` that contains `needle`; returns its text or null. */
async function waitForMail(outboxDir, to, needle, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = outboxMails(outboxDir).find((m) => m.includes(`To: ${to}`) && m.includes(needle));
    if (found) return found;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What the outbox holds for `to`, for a failure message: the subject of each mail. */
function mailsTo(outboxDir, to) {
  const subjects = outboxMails(outboxDir)
    .filter((m) => m.includes(`To: ${to}`))
    .map((m) => m.match(/^Subject: (.*)$/m)?.[1]?.trim() || '(no subject)');
  return subjects.length ? subjects.map((s) => `"${s}"`).join(', ') : 'none';
}

/**
 * Runs `act` and returns the main frame's navigation response whose path is `pathname` (after redirects),
 * once the page it brought has loaded. The response comes before the new document replaces the old one,
 * so page.waitForLoadState('load') right after it may answer for the old document (the checks then ran
 * on a page whose style sheet had not loaded: navigation links 17 px high at 320 px); the page's next
 * load event is the new document's.
 */
async function navigationTo(page, pathname, act) {
  const response = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && new URL(r.url()).pathname === pathname && r.status() < 300,
    { timeout: 30_000 },
  );
  const loaded = page.waitForEvent('load', { timeout: 30_000 });
  // Awaited below; not unhandled if `act` throws first.
  response.catch(() => {});
  loaded.catch(() => {});
  await act();
  const r = await response;
  await loaded;
  return r;
}

/** The day in `days` days as yyyy-mm-dd. */
function dayIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** A step of a journey that did not end in its time. */
class StepTimeout extends Error {}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The clock of a journey with `budgetMs` in all: `step(name, ms, fn)` runs `fn` for at most `ms` (and at
 * most what is left of the budget), records { step, ms } in `steps`, and throws a StepTimeout naming the
 * step when the time is up. Playwright bounds its own waits (goto, locators, waitForResponse), but not
 * every await: response.text() and headersArray() wait for the browser's network events, page.evaluate()
 * (axe and most checks) and keyboard.press() for the page. So every step is bounded here as well.
 */
function journeyClock(budgetMs) {
  const started = Date.now();
  const steps = [];
  const step = async (name, ms, fn, detail = () => '') => {
    const left = started + budgetMs - Date.now();
    const limit = Math.max(0, Math.min(ms, left));
    const entry = { step: name, ms: null };
    steps.push(entry);
    const t0 = Date.now();
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        entry.timedOut = true;
        const why = limit < ms ? `the journey's ${seconds(budgetMs)} were up` : `its limit is ${seconds(ms)}`;
        const more = detail();
        reject(new StepTimeout(`step "${name}" did not end within ${seconds(limit)} (${why})${more ? `; ${more}` : ''}`));
      }, limit);
    });
    try {
      return await Promise.race([Promise.resolve().then(fn), timeout]);
    } finally {
      clearTimeout(timer);
      entry.ms = Date.now() - t0;
    }
  };
  return { steps, step, elapsed: () => Date.now() - started };
}

/** `steps` as "name 1.2 s, …" for a message. */
export function formatSteps(steps) {
  return steps.map((s) => `${s.step} ${s.ms === null ? '(running)' : seconds(s.ms)}${s.timedOut ? ' (timed out)' : ''}`).join(', ');
}

/**
 * The whole journey's budget: it takes about 10 s (20 s on a busy 2-core machine). The test's own timeout
 * leaves room for the cleanup after it (at most 30 s), so the journey always reports what stalled.
 */
export const ALERT_JOURNEY_BUDGET_MS = 80_000;
/**
 * How long the journey waits for the alert mail: the server of the suite runs its jobs every 2 s
 * (TEILHABE_JOB_INTERVAL_SECONDS in lib/server.mjs) and delivers mail every 5 s.
 */
const ALERT_MAIL_WAIT_MS = 30_000;
/** Limits of the journey's steps: a navigation, reading a response, a page's checks, a mail. */
const NAVIGATION_MS = 40_000;
const BODY_MS = 10_000;
const CHECKS_MS = 45_000;
const CONFIRMATION_MAIL_WAIT_MS = 30_000;

/**
 * The journey "alert from sign-up to weekly mail and unsubscribe", by keyboard where a person would
 * use it: the catalogue filtered by a district offers the alert; the person types an address and
 * sends the form; the confirmation mail's link opens a page with a button, which confirms; staff
 * (`admin`, a signed-in context) publish a new date of a course in that district; the server's own
 * job sends the weekly mail (with List-Unsubscribe and List-Unsubscribe-Post headers) within
 * ALERT_MAIL_WAIT_MS; its unsubscribe link opens a page with a button, which ends the alert. Every page
 * on the way gets the checks of a page that comes back from a form. `outboxDir` is the server's mail folder.
 * Every step is bounded (see journeyClock); `steps` says how long each took ({ step, ms, timedOut }),
 * `cleanup` the same for the screenshot and closing afterwards, `stalled` is true when a step did not
 * end in its time. `formatSteps(out)` makes them a line for the test's output.
 */
export async function checkAlertJourney(browser, baseUrl, { outboxDir, admin, width, height = 800 }) {
  const failures = [];
  const warnings = [];
  const clock = journeyClock(ALERT_JOURNEY_BUDGET_MS);
  const out = { failures, warnings, screenshot: null, steps: clock.steps, cleanup: [], pages: [], stalled: false };
  const email = `a11y-alarm-${width}@example.org`;
  const fail = (check, message, meta = {}) => failures.push({ check, message, ...meta });
  const { step } = clock;
  let context = null;
  let page = null;
  let staff = null;
  const where = () => (page ? label(page.url()) : '(no page)');
  const checkHere = async (response, what) => {
    out.pages.push(what);
    const html = response ? await step(`${what}: read the HTML`, BODY_MS, () => response.text().catch(() => null)) : null;
    const trace = { current: null, ms: {} };
    await step(
      `${what}: checks`,
      CHECKS_MS,
      () =>
        runChecks(page, {
          url: page.url(),
          width,
          response,
          html,
          sourceLabel: `alert journey: ${what}`,
          checks: FORM_RESULT_CHECKS,
          fail: (check, message, meta) => fail(check, `${what}: ${message}`, meta),
          warnings,
          trace,
        }),
      () => `the check under way was "${trace.current}", done: ${Object.entries(trace.ms).map(([c, ms]) => `${c} ${seconds(ms)}`).join(', ') || 'none'}`,
    );
  };
  const pressEnterOn = async (locator) => {
    await locator.focus();
    await page.keyboard.press('Enter');
  };
  try {
    ({ context, page } = await step('open a browser context', NAVIGATION_MS, async () => {
      const c = await newContext(browser, { width, height });
      const p = await c.newPage();
      return { context: c, page: p };
    }));
    page.setDefaultTimeout(30_000);
    collectWarnings(page, warnings);

    const offer = await step('catalogue /kurse?kreis=16051', NAVIGATION_MS, async () => {
      await page.goto(`${baseUrl}/kurse?kreis=16051`, { waitUntil: 'load' });
      const link = page.locator('main a[href^="/benachrichtigung?"]').first();
      return (await link.count()) === 0 ? null : link;
    });
    if (!offer) {
      fail('journey', '/kurse?kreis=16051 has no link to the alert sign-up (/benachrichtigung?…)');
      return out;
    }
    let response = await step('Enter on the alert link', NAVIGATION_MS, () => navigationTo(page, '/benachrichtigung', () => pressEnterOn(offer)));
    await checkHere(response, 'sign-up form');

    response = await step('send the sign-up form', NAVIGATION_MS, async () => {
      const form = page.locator('main form[action="/benachrichtigung"]');
      await form.locator('[name="email"]').fill(email);
      return navigationTo(page, '/benachrichtigung/gesendet', () => pressEnterOn(form.locator('button[type="submit"]')));
    });
    await checkHere(response, 'check your mail');

    const confirmation = await step('wait for the confirmation mail', CONFIRMATION_MAIL_WAIT_MS + 5_000, () =>
      waitForMail(outboxDir, email, '/benachrichtigung/bestaetigen/', CONFIRMATION_MAIL_WAIT_MS),
    );
    const confirmPath = confirmation?.match(/\/benachrichtigung\/bestaetigen\/[0-9a-f]+/)?.[0];
    if (!confirmPath) {
      fail('journey', `no confirmation mail with a /benachrichtigung/bestaetigen/ link to ${email} within ${seconds(CONFIRMATION_MAIL_WAIT_MS)} (mails to it: ${mailsTo(outboxDir, email)})`);
      return out;
    }
    response = await step('open the confirmation link', NAVIGATION_MS, () => page.goto(`${baseUrl}${confirmPath}`, { waitUntil: 'load' }));
    await checkHere(response, 'confirmation link');
    response = await step('Enter on the confirm button', NAVIGATION_MS, () =>
      navigationTo(page, confirmPath, () => pressEnterOn(page.locator('main form button[type="submit"]'))),
    );
    await checkHere(response, 'alert confirmed');

    // Staff publish a new date of demo course 1 (Erfurt) in the back office.
    const published = await step('staff publish a new date', NAVIGATION_MS, async () => {
      staff = await admin.newPage();
      staff.setDefaultTimeout(30_000);
      await staff.goto(`${baseUrl}/verwaltung/angebote/1/termine/neu`, { waitUntil: 'load' });
      const dateForm = staff.locator('main form[method="post"]');
      await dateForm.locator('[name="day"]').fill(dayIn(40 + (width % 7)));
      await dateForm.locator('[name="start"]').fill('10:00');
      await dateForm.locator('[name="end"]').fill('11:30');
      for (const [name, value] of [['capacity', '10'], ['max_places', '2'], ['min_participants', '0'], ['walk_in_places', '0']]) {
        await dateForm.locator(`[name="${name}"]`).fill(value);
      }
      const saved = staff.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest(), { timeout: 30_000 });
      saved.catch(() => {});
      await dateForm.locator('button[type="submit"]').click();
      const status = (await saved).status();
      // The 303 leads to the new date's page. Closing a page while the browser follows a redirect can
      // wait forever (page.close() never returned in about one of five tries, and this is what stalled
      // the journey with no more requests to the server), so the staff page is closed once that page
      // has loaded.
      if (status === 303) await staff.waitForURL((u) => /^\/verwaltung\/termine\/\d+$/.test(u.pathname), { waitUntil: 'load' });
      return status;
    }, () => `the staff page is on ${staff ? label(staff.url()) : '(not open)'}`);
    const closed = await step('close the staff page', 5_000, () => staff.close()).then(() => true, () => false);
    if (!closed) warnings.push('the staff page did not close within 5 s; it is left to the admin context');
    staff = null;
    if (published !== 303) {
      fail('journey', `adding a date to course 1 in the back office answered ${published}, expected 303`);
      return out;
    }

    const weekly = await step('wait for the alert mail', ALERT_MAIL_WAIT_MS + 5_000, () =>
      waitForMail(outboxDir, email, 'List-Unsubscribe:', ALERT_MAIL_WAIT_MS),
    );
    if (!weekly) {
      fail('journey', `no alert mail (with a List-Unsubscribe header) to ${email} within ${seconds(ALERT_MAIL_WAIT_MS)} of the new date (mails to it: ${mailsTo(outboxDir, email)})`);
      return out;
    }
    if (!/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m.test(weekly)) {
      fail('journey', 'the alert mail has no "List-Unsubscribe-Post: List-Unsubscribe=One-Click" header (RFC 8058)');
    }
    const unsubscribePath = weekly.match(/^List-Unsubscribe: <[^>]*?(\/benachrichtigung\/abmelden\/[0-9a-f]+)>/m)?.[1];
    if (!unsubscribePath) {
      fail('journey', 'the alert mail\'s List-Unsubscribe header has no /benachrichtigung/abmelden/ link');
      return out;
    }
    if (!weekly.includes(`${baseUrl}${unsubscribePath}`)) fail('journey', 'the unsubscribe link is not in the mail\'s text');
    response = await step('open the unsubscribe link', NAVIGATION_MS, () => page.goto(`${baseUrl}${unsubscribePath}`, { waitUntil: 'load' }));
    await checkHere(response, 'unsubscribe link');
    response = await step('Enter on the unsubscribe button', NAVIGATION_MS, () =>
      navigationTo(page, unsubscribePath, () => pressEnterOn(page.locator('main form button[type="submit"]'))),
    );
    await checkHere(response, 'unsubscribed');
    const again = await step('the unsubscribe link again', NAVIGATION_MS, () => page.goto(`${baseUrl}${unsubscribePath}`, { waitUntil: 'load' }));
    if (again?.status() !== 404) fail('journey', `the unsubscribe link still answers ${again?.status()} after unsubscribing, expected 404`);
  } catch (err) {
    if (err instanceof StepTimeout) out.stalled = true;
    fail('journey', `the journey stopped at step "${clock.steps.at(-1)?.step}" after ${seconds(clock.elapsed())}: ${err.message.split('\n')[0]} (now on ${where()})`);
  } finally {
    // Bounded too: a page that stopped answering must not keep the test from reporting.
    const cleanup = journeyClock(30_000);
    if (failures.length && page) {
      out.screenshot = await cleanup.step('screenshot', 15_000, () => saveScreenshot(page, 'alert_journey', width)).catch(() => null);
    }
    if (staff) await cleanup.step('close the staff page', 5_000, () => staff.close()).catch(() => {});
    if (context) {
      await cleanup.step('close the context', 10_000, () => context.close()).catch((err) => {
        warnings.push(`the journey's browser context did not close: ${err.message}`);
      });
    }
    out.cleanup = cleanup.steps;
  }
  return out;
}

/**
 * Orders a course alert as the signed-in person in `context` (their own address, so it is active at
 * once), so that the account page shows its list of alerts. Throws when it does not lead to /konto.
 */
export async function orderOwnAlert(context, baseUrl) {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}/benachrichtigung?bereich=kurse&kreis=16051`, { waitUntil: 'load' });
    const form = page.locator('main form[action="/benachrichtigung"]');
    await form.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.pathname === '/konto', { timeout: 30_000 });
  } catch (err) {
    throw new Error(`ordering a course alert as the signed-in person did not lead to /konto (now on ${label(page.url())}): ${err.message.split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
  }
}
