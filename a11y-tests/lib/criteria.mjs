// What each check of the suite stands for: the WCAG success criterion it tests and a short
// description. The evidence file (lib/evidence.mjs) groups findings by these; the portal's
// accessibility statement names the criterion and describes the check (Fluent `a11y-check-<id>`).

/** check id -> { criterion (WCAG success criterion, null for none), help (English, one line) } */
export const CHECKS = {
  status: { criterion: null, help: 'the page answers with the expected status and without a redirect' },
  csp: { criterion: null, help: 'a Content-Security-Policy without unsafe-inline' },
  lang: { criterion: '3.1.1', help: 'the language of the page is declared' },
  h1: { criterion: '1.3.1', help: 'exactly one main heading' },
  title: { criterion: '2.4.2', help: 'a page title of its own' },
  reflow: { criterion: '1.4.10', help: 'no horizontal scrolling' },
  tables: { criterion: '1.4.10', help: 'tables keep whole words and scroll in a focusable, labelled region' },
  axe: { criterion: null, help: 'axe-core rules' },
  html: { criterion: '4.1.1', help: 'valid HTML (Nu HTML Checker)' },
  'skip-link': { criterion: '2.4.1', help: 'a visible skip link to <main>' },
  session: { criterion: null, help: 'the signed-in page stays signed in' },
  'error-summary': { criterion: '3.3.1', help: 'an error summary linking to the fields' },
  'error-field': { criterion: '3.3.1', help: 'each error is tied to its field or group (aria-invalid, aria-describedby)' },
  focus: { criterion: '2.4.3', help: 'the focus starts at the error summary' },
  keyboard: { criterion: '2.1.1', help: 'operable with the keyboard' },
  'focus-visible': { criterion: '2.4.7', help: 'a visible focus indicator at every stop' },
  logout: { criterion: '2.1.1', help: 'signing out with the keyboard' },
  'touch-target': { criterion: '2.5.5', help: 'touch targets of at least 44 × 44 CSS px on the kiosk' },
  'target-size': { criterion: '2.5.8', help: 'navigation links and buttons of at least 24 × 24 CSS px' },
  idle: { criterion: '2.2.1', help: 'a warning with a way to continue before the kiosk resets' },
  'meta-refresh': { criterion: '2.2.1', help: 'no automatic reload while a form is being filled in' },
  receipt: { criterion: null, help: 'the kiosk receipt' },
  flow: { criterion: null, help: 'the test flow could run' },
  form: { criterion: null, help: 'the form under test exists' },
  sitemap: { criterion: null, help: 'the sitemap lists the public pages' },
  'focus-obscured': { criterion: '2.4.11', help: 'the focused element is not hidden by sticky or fixed content' },
  dragging: { criterion: '2.5.7', help: 'no function needs a dragging movement' },
  auth: { criterion: '3.3.8', help: 'signing in without a cognitive test; paste and password managers work' },
  'redundant-entry': { criterion: '3.3.7', help: 'nothing asked twice in one process' },
  'consistent-help': { criterion: '3.2.6', help: 'help in the same relative order on every page' },
  'text-spacing': { criterion: '1.4.12', help: 'text spacing overrides hide or clip nothing' },
};

/** The checks the statement describes as the method (the others guard the test run itself). */
export const METHOD_CHECKS = [
  'axe',
  'html',
  'lang',
  'h1',
  'title',
  'reflow',
  'tables',
  'text-spacing',
  'skip-link',
  'keyboard',
  'focus-visible',
  'focus-obscured',
  'error-summary',
  'error-field',
  'auth',
  'redundant-entry',
  'consistent-help',
  'dragging',
  'target-size',
  'touch-target',
  'idle',
  'meta-refresh',
  'csp',
];

/** "wcag1410" -> "1.4.10"; level tags such as "wcag21aa" -> null. */
export function criterionFromTag(tag) {
  const m = /^wcag(\d)(\d)(\d+)$/.exec(tag);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : null;
}

/** The criterion an axe violation's tags name (the first one), or null for best practices. */
export function criterionOfAxeTags(tags) {
  for (const t of tags) {
    const c = criterionFromTag(t);
    if (c) return c;
  }
  return null;
}
