// The evidence file: what a complete run of the suite checked and found, written to
// ../content/a11y-evidence.json and committed. The portal's accessibility statement is made from
// it (src/services/content.rs): its list of what is not accessible, its method and its date.

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CHECKS, METHOD_CHECKS } from './criteria.mjs';
import { PACKAGE_DIR } from './server.mjs';

const require = createRequire(import.meta.url);
export const EVIDENCE_FILE = path.resolve(PACKAGE_DIR, '..', 'content', 'a11y-evidence.json');
export const AXE_VERSION = require('axe-core/package.json').version;

/** Today in the portal's time zone, as YYYY-MM-DD. */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
}

/**
 * Builds the evidence from the run's results: every result ({ url, width, failures }) of the page,
 * signed-in, error-state, logout and kiosk tests, plus `other` failures ({ url, check, message }) of
 * tests that are not about one page (sitemap, titles, the HTML checker).
 */
export function buildEvidence({ results, other, widths, roles, chromium, nuHtmlChecker }) {
  const pages = new Set();
  let runs = 0;
  const groups = new Map();
  const add = (url, f) => {
    const criterion = f.criterion !== undefined ? f.criterion : (CHECKS[f.check]?.criterion ?? null);
    const help = f.help || CHECKS[f.check]?.help || f.check;
    const key = [criterion, f.check, f.rule || ''].join('|');
    if (!groups.has(key)) groups.set(key, { criterion, check: f.check, rule: f.rule || null, help, pages: new Set() });
    groups.get(key).pages.add(url);
  };
  for (const r of results) {
    pages.add(r.url);
    if (r.width) runs++;
    for (const f of r.failures || []) add(r.url, f);
  }
  for (const o of other) add(o.url, o);
  const findings = [...groups.values()]
    .map((g) => ({ ...g, pages: [...g.pages].sort() }))
    .sort((a, b) => (a.criterion || '9').localeCompare(b.criterion || '9', 'en', { numeric: true }) || a.check.localeCompare(b.check));
  return {
    checked_on: today(),
    tools: { axe_core: AXE_VERSION, nu_html_checker: nuHtmlChecker, chromium },
    widths,
    pages: pages.size,
    runs,
    roles,
    checks: METHOD_CHECKS,
    findings,
  };
}

export function writeEvidence(evidence, file = EVIDENCE_FILE) {
  writeFileSync(file, `${JSON.stringify(evidence, null, 2)}\n`);
}
