// Checks beyond axe's automated rules, run on every page kind: tables at narrow widths (1.4.10),
// a visible focus on date fields' calendar button (2.4.7), focus not obscured (2.4.11), no dragging
// (2.5.7), accessible authentication (3.3.8), no field asked twice in a form (3.3.7), help in the
// same place (3.2.6), text spacing (1.4.12) and no automatic reload of a form (2.2.1).
// Each takes the Playwright page and `fail(check, message)`.

/** Cells narrower than this (CSS px) fail the table check: the size of the smallest target (2.5.8). */
const MIN_CELL_PX = 24;
const MAX_REPORTED = 6;

// ---------------------------------------------------------------------------
// Tables (WCAG 1.4.10)
// ---------------------------------------------------------------------------

/**
 * Every table in <main>: no word broken across lines, no cell with content narrower than 24 px, and a
 * table wider than its box scrolls inside a focusable, labelled region (tabindex="0", role="region",
 * aria-label or aria-labelledby). Returns the narrowest cell's width (for the report), or null.
 */
export async function checkTables(page, fail) {
  const r = await page.evaluate((minCell) => {
    const out = { broken: [], narrow: [], regions: [], narrowest: null };
    const describe = (el) => {
      const t = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `<${el.tagName.toLowerCase()}> "${t}"`;
    };
    const hidden = (el) => {
      for (let e = el; e && e !== document.body; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.display === 'none' || cs.visibility === 'hidden') return true;
        if (e.classList.contains('visually-hidden')) return true;
      }
      return false;
    };
    const range = document.createRange();
    for (const table of document.querySelectorAll('main table')) {
      if (!table.getClientRects().length || hidden(table)) continue;
      for (const cell of table.querySelectorAll('th, td')) {
        const box = cell.getBoundingClientRect();
        if (box.width === 0) continue;
        const hasContent = [...cell.querySelectorAll('*'), cell].some(
          (e) => !hidden(e) && ([...e.childNodes].some((n) => n.nodeType === 3 && n.data.trim()) || e.matches('button, a, input, select, textarea')),
        );
        if (!hasContent) continue;
        if (out.narrowest === null || box.width < out.narrowest) out.narrowest = box.width;
        if (box.width + 0.5 < minCell) out.narrow.push(`${describe(cell)} is ${Math.round(box.width)} px wide`);
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (!node.data.trim() || hidden(node.parentElement)) continue;
          // Lines may break at spaces, hyphens, dashes and slashes; anywhere else a word is split.
          for (const m of node.data.matchAll(/[^\s\-‐–—/]{2,}/g)) {
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const tops = new Set([...range.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
            if (tops.size > 1) out.broken.push(`"${m[0]}" in ${describe(cell)}`);
          }
        }
      }
      // A table wider than its box needs a region to scroll in that the keyboard reaches.
      let scroller = table.parentElement;
      while (scroller && scroller !== document.body && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowX)) {
        scroller = scroller.parentElement;
      }
      if (scroller && scroller !== document.body && scroller.scrollWidth > scroller.clientWidth + 1) {
        const named = (scroller.getAttribute('aria-label') || '').trim() || (scroller.getAttribute('aria-labelledby') || '').trim();
        const missing = [];
        if (scroller.getAttribute('tabindex') !== '0') missing.push('tabindex="0"');
        if (scroller.getAttribute('role') !== 'region') missing.push('role="region"');
        if (!named) missing.push('aria-label');
        if (missing.length) {
          out.regions.push(
            `the table ${describe(table.querySelector('caption') || table)} is ${Math.round(table.scrollWidth)} px wide in a ` +
              `${scroller.clientWidth} px box that lacks ${missing.join(', ')}`,
          );
        }
      }
    }
    return out;
  }, MIN_CELL_PX);
  if (r.broken.length) {
    fail('tables', `${r.broken.length} word(s) split across lines in table cells: ${r.broken.slice(0, MAX_REPORTED).join('; ')}`);
  }
  if (r.narrow.length) {
    fail('tables', `${r.narrow.length} table cell(s) narrower than ${MIN_CELL_PX} px: ${r.narrow.slice(0, MAX_REPORTED).join('; ')}`);
  }
  for (const p of r.regions) fail('tables', p);
  return r.narrowest;
}

// ---------------------------------------------------------------------------
// Date, time and month fields: a visible focus at each of their Tab stops (WCAG 2.4.7)
// ---------------------------------------------------------------------------

const FOCUS_PROPS = ['outlineStyle', 'outlineWidth', 'outlineColor', 'boxShadow', 'backgroundColor', 'borderTopColor', 'borderTopWidth'];
const MAX_STOPS_IN_FIELD = 8;

/**
 * Tabs through every visible date, time and month field (Chromium gives each part and the calendar
 * button a Tab stop of its own) and checks that the field looks different from its unfocused self at
 * every stop inside it.
 */
export async function checkDateFieldFocus(page, fail) {
  const ids = await page.$$eval(
    'input[type="date"], input[type="time"], input[type="month"], input[type="datetime-local"], input[type="week"]',
    (els) => els.filter((e) => e.getClientRects().length && e.id).map((e) => e.id),
  );
  for (const id of ids) {
    const style = () =>
      page.evaluate(
        ({ id, props }) => {
          const el = document.getElementById(id);
          const cs = getComputedStyle(el);
          return { inside: el === document.activeElement, style: props.map((p) => cs[p]).join('|') };
        },
        { id, props: FOCUS_PROPS },
      );
    await page.evaluate(() => document.activeElement?.blur?.());
    const unfocused = (await style()).style;
    await page.evaluate((id) => document.getElementById(id).focus(), id);
    let stop = 0;
    for (let now = await style(); now.inside && stop < MAX_STOPS_IN_FIELD; now = await style()) {
      stop++;
      if (now.style === unfocused) {
        fail('focus-visible', `#${id}: at Tab stop ${stop} inside the field (its calendar button or a part of the date) nothing shows the focus`);
        break;
      }
      await page.keyboard.press('Tab');
    }
  }
}

// ---------------------------------------------------------------------------
// Navigation targets of at least 24 × 24 px (WCAG 2.5.8, without its spacing exception)
// ---------------------------------------------------------------------------

/**
 * Every link and button in a navigation landmark (main menu, language switch, footer) is at least
 * 24 × 24 CSS px. axe's rule accepts smaller targets with enough space around them; menus are
 * tapped often, so the portal holds them to the size itself.
 */
export async function checkNavigationTargets(page, fail) {
  const small = await page.$$eval('nav a, nav button', (els) =>
    els
      .map((el) => {
        const r = el.getBoundingClientRect();
        if (!el.getClientRects().length || r.width === 0 || r.bottom <= 0) return null;
        if (r.width + 0.5 >= 24 && r.height + 0.5 >= 24) return null;
        return `"${(el.textContent || '').trim().slice(0, 30)}" is ${Math.round(r.width)}×${Math.round(r.height)} px`;
      })
      .filter(Boolean),
  );
  if (small.length) fail('target-size', `navigation targets smaller than 24×24 px: ${small.slice(0, MAX_REPORTED).join('; ')}`);
}

// ---------------------------------------------------------------------------
// Focus not obscured (WCAG 2.4.11)
// ---------------------------------------------------------------------------

/** Every focusable element, once focused (and scrolled into view), is not wholly hidden by fixed or sticky content. */
export async function checkFocusNotObscured(page, fail) {
  const hidden = await page.evaluate(() => {
    const stuck = [...document.body.querySelectorAll('*')].filter((e) => {
      const cs = getComputedStyle(e);
      return (cs.position === 'fixed' || cs.position === 'sticky') && cs.display !== 'none' && cs.visibility !== 'hidden' && e.getClientRects().length;
    });
    if (!stuck.length) return [];
    const focusable = [...document.querySelectorAll('a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')].filter(
      (e) => e.getClientRects().length && !e.disabled,
    );
    const out = [];
    const before = document.activeElement;
    for (const el of focusable) {
      if (stuck.some((s) => s.contains(el))) continue;
      el.focus();
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const covered = stuck.some((s) => {
        const q = s.getBoundingClientRect();
        return q.left <= r.left && q.right >= r.right && q.top <= r.top && q.bottom >= r.bottom;
      });
      if (covered) out.push(el.outerHTML.replace(/\s+/g, ' ').slice(0, 100));
    }
    before?.focus?.();
    window.scrollTo(0, 0);
    return out;
  });
  if (hidden.length) {
    fail('focus-obscured', `${hidden.length} focused element(s) entirely hidden by fixed or sticky content: ${hidden.slice(0, MAX_REPORTED).join('; ')}`);
  }
}

// ---------------------------------------------------------------------------
// Dragging movements (WCAG 2.5.7)
// ---------------------------------------------------------------------------

/**
 * Added to every browser context before any page script runs: records listeners for drag and
 * pointer-movement events, which are how a page builds functions that need dragging.
 */
export function recordDragListeners() {
  const watched = new Set(['dragstart', 'drag', 'dragend', 'dragenter', 'dragover', 'dragleave', 'drop', 'pointermove', 'mousemove', 'touchmove']);
  const seen = [];
  Object.defineProperty(window, '__a11yDragListeners', { value: seen });
  const original = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    // Playwright's own injected script listens for pointer movement while it runs an action: not the page's.
    if (watched.has(type) && !/InjectedScript|HitTargetInterceptor/.test(new Error().stack || '')) {
      seen.push(`${type} on ${this === window ? 'window' : this.nodeName ? this.nodeName.toLowerCase() : 'object'}`);
    }
    return original.call(this, type, ...rest);
  };
}

export async function checkNoDragging(page, fail) {
  const r = await page.evaluate(() => ({
    listeners: window.__a11yDragListeners ? [...window.__a11yDragListeners] : [],
    draggable: [...document.querySelectorAll('[draggable="true"]')].map((e) => e.outerHTML.slice(0, 80)),
  }));
  if (r.listeners.length) fail('dragging', `the page listens for dragging or pointer movement: ${[...new Set(r.listeners)].join(', ')}`);
  if (r.draggable.length) fail('dragging', `draggable elements: ${r.draggable.slice(0, MAX_REPORTED).join('; ')}`);
}

// ---------------------------------------------------------------------------
// Accessible authentication (WCAG 3.3.8)
// ---------------------------------------------------------------------------

/**
 * On a page with a password field: password managers can fill it (autocomplete current-password or
 * new-password, an e-mail or username field beside it, no autocomplete="off"), pasting works in every
 * field of the form, and the form sets no puzzle (nothing named or labelled captcha, no question to solve).
 */
export async function checkAccessibleAuth(page, fail) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const form of document.querySelectorAll('form')) {
      const passwords = [...form.querySelectorAll('input[type="password"]')];
      if (!passwords.length) continue;
      const where = form.getAttribute('action') || '(form)';
      if ((form.getAttribute('autocomplete') || '').toLowerCase() === 'off') out.push(`${where}: the form has autocomplete="off"`);
      for (const p of passwords) {
        const ac = (p.getAttribute('autocomplete') || '').toLowerCase();
        if (!['current-password', 'new-password'].includes(ac)) {
          out.push(`${where}: password field #${p.id || p.name} has autocomplete="${ac}", expected current-password or new-password`);
        }
      }
      const user = form.querySelector('input[autocomplete~="username"], input[autocomplete~="email"]');
      const anyEmail = form.querySelector('input[type="email"], input[name="email"]');
      if (anyEmail && !user) out.push(`${where}: the e-mail field has no autocomplete="email" or "username", so password managers cannot fill it`);
      for (const field of form.querySelectorAll('input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]), textarea')) {
        if (!field.getClientRects().length) continue;
        const paste = new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: new DataTransfer() });
        field.dispatchEvent(paste);
        if (paste.defaultPrevented) out.push(`${where}: pasting into #${field.id || field.name} is blocked`);
      }
      const text = [...form.querySelectorAll('*')].map((e) => `${e.id} ${e.getAttribute('name') || ''} ${e.className}`).join(' ');
      if (/captcha|recaptcha|hcaptcha/i.test(text) || form.querySelector('iframe, canvas')) out.push(`${where}: the form has a CAPTCHA or puzzle`);
    }
    return out;
  });
  for (const p of problems) fail('auth', p);
}

// ---------------------------------------------------------------------------
// Redundant entry within a form (WCAG 3.3.7)
// ---------------------------------------------------------------------------

/** No form asks for the same thing twice: two visible fields with the same autocomplete purpose or label. */
export async function checkNoFieldTwice(page, fail) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const form of document.querySelectorAll('form')) {
      const seen = new Map();
      for (const f of form.querySelectorAll('input:not([type="hidden"]):not([type="radio"]):not([type="checkbox"]):not([type="submit"]), select, textarea')) {
        if (!f.getClientRects().length) continue;
        const ac = (f.getAttribute('autocomplete') || '').toLowerCase().trim();
        const label = (f.labels?.[0]?.textContent || '').trim().replace(/\s+/g, ' ').toLowerCase();
        for (const key of [ac && !['off', 'on'].includes(ac) ? `purpose ${ac}` : null, label ? `label "${label}"` : null]) {
          if (!key) continue;
          if (seen.has(key)) out.push(`${form.getAttribute('action') || '(form)'}: #${seen.get(key)} and #${f.id || f.name} both ask for ${key}`);
          else seen.set(key, f.id || f.name);
        }
      }
    }
    return out;
  });
  for (const p of problems) fail('redundant-entry', p);
}

// ---------------------------------------------------------------------------
// Consistent help (WCAG 3.2.6)
// ---------------------------------------------------------------------------

/** The help mechanisms outside <main>, in document order: help, contact, barrier report, easy language, phone, mail. */
export async function helpSequence(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('a[href]')]
      // The language switch links to the same page in another language: not a help mechanism.
      .filter((a) => !a.closest('main') && !a.hasAttribute('hreflang') && !a.getAttribute('href').startsWith('#'))
      .map((a) => {
        const href = a.getAttribute('href');
        if (/^tel:/i.test(href)) return 'tel';
        if (/^mailto:/i.test(href)) return 'mailto';
        const path = new URL(href, location.href).pathname;
        return ['/hilfe', '/kontakt', '/barriere-melden', '/leichte-sprache', '/gebaerdensprache', '/kiosk/hilfe'].includes(path) ? path : null;
      })
      .filter(Boolean),
  );
}

/** layout ("site" or "kiosk") -> the first help sequence seen; every later page must match it. */
const helpSequences = new Map();

export async function checkConsistentHelp(page, fail, pageLabel) {
  const layout = (await page.evaluate(() => document.body.classList.contains('kiosk'))) ? 'kiosk' : 'site';
  const seq = await helpSequence(page);
  const key = seq.join(' → ');
  const first = helpSequences.get(layout);
  if (!first) {
    helpSequences.set(layout, { key, page: pageLabel });
    return;
  }
  if (first.key !== key) {
    fail('consistent-help', `help outside <main> is "${key || '(none)'}", but "${first.key || '(none)'}" on ${first.page} (same layout)`);
  }
}

// ---------------------------------------------------------------------------
// Text spacing (WCAG 1.4.12)
// ---------------------------------------------------------------------------

const TEXT_SPACING_CSS = `
* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }`;

/**
 * With the text spacing of WCAG 1.4.12 forced on every element, the page does not scroll sideways
 * and no element that clips its overflow cuts off content. The override is removed afterwards.
 */
export async function checkTextSpacing(page, fail) {
  const r = await page.evaluate((css) => {
    // A constructed style sheet: the page's Content-Security-Policy (style-src 'self') blocks an
    // injected <style> element, which would leave the check measuring the page without the spacing.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    const before = document.adoptedStyleSheets;
    document.adoptedStyleSheets = [...before, sheet];
    const de = document.documentElement;
    const probe = document.querySelector('main p, main') || document.body;
    const applied = getComputedStyle(probe).wordSpacing !== '0px' && getComputedStyle(probe).letterSpacing !== 'normal';
    const out = { applied, overflow: de.scrollWidth > de.clientWidth ? `${de.scrollWidth} > ${de.clientWidth}` : null, clipped: [] };
    for (const el of document.body.querySelectorAll('*')) {
      const cs = getComputedStyle(el);
      if (!/(hidden|clip)/.test(cs.overflowX + cs.overflowY)) continue;
      if (el.classList.contains('visually-hidden') || el.closest('.honeypot, [hidden]') || !el.getClientRects().length) continue;
      if (el.clientWidth <= 1 || el.clientHeight <= 1) continue;
      // Form fields scroll their own text (a long value in a narrow field is not clipped); a text
      // field whose line no longer fits its height is.
      if (el.matches('textarea, select')) continue;
      const field = el.matches('input');
      const clipsY = /(hidden|clip)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 1;
      const clipsX = !field && /(hidden|clip)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
      if (clipsX || clipsY) out.clipped.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().split(/\s+/).join('.') : ''}: ${(el.textContent || '').trim().slice(0, 40)}`);
    }
    document.adoptedStyleSheets = before;
    return out;
  }, TEXT_SPACING_CSS);
  if (!r.applied) fail('text-spacing', 'the WCAG text spacing could not be applied to the page, so nothing was measured');
  if (r.overflow) fail('text-spacing', `with WCAG text spacing the page scrolls sideways (scrollWidth ${r.overflow})`);
  if (r.clipped.length) fail('text-spacing', `with WCAG text spacing, content is clipped in: ${r.clipped.slice(0, MAX_REPORTED).join('; ')}`);
}

// ---------------------------------------------------------------------------
// Automatic reload while a form is filled in (WCAG 2.2.1)
// ---------------------------------------------------------------------------

/** `html` is the page's source (the refresh sits in <noscript>, which the DOM of a scripted page does not parse). */
export async function checkNoRefreshOverForm(page, fail, html) {
  if (!html) return;
  const m = /<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']([^"']*)["']/i.exec(html);
  if (!m) return;
  if (!/^\s*\d+\s*(;\s+url=\S+)?\s*$/i.test(m[1])) fail('meta-refresh', `invalid refresh content "${m[1]}" (expected "<seconds>; url=<address>")`);
  const fields = await page.$$eval('main form', (forms) =>
    forms.filter((f) => [...f.querySelectorAll('input:not([type="hidden"]), select, textarea')].some((e) => e.getClientRects().length)).length,
  );
  if (fields) fail('meta-refresh', `the page reloads itself after ${parseInt(m[1], 10)} s (meta refresh) while it shows a form to fill in`);
}
