// The Nu HTML Checker (vnu.jar from the npm package vnu-jar, run with the system's Java 11+):
// the page tests collect each page's HTML as the server sent it, and one run of the checker
// validates them all at the end (one JVM start instead of one per page).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const VNU_JAR = String(require('vnu-jar'));
export const VNU_VERSION = require('vnu-jar/package.json').version;
const JAVA = process.env.JAVA || 'java';
const VNU_TIMEOUT_MS = 10 * 60_000;

/** page label -> HTML source, in the order the pages were checked. */
export const sources = new Map();

/** Keeps the first source seen for a page (a page checked at two widths is the same HTML). */
export function collectSource(label, html) {
  if (typeof html === 'string' && html.length && !sources.has(label)) sources.set(label, html);
}

/**
 * Validates every collected source. Resolves to Map(label -> [error message]) for the pages with
 * errors; rejects if Java or the checker cannot run.
 */
export async function validateSources() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teilhabe-vnu-'));
  try {
    const byName = new Map(); // the checker names files as file:/…, so match by file name
    const files = [];
    let i = 0;
    for (const [label, html] of sources) {
      const file = path.join(dir, `page-${String(++i).padStart(4, '0')}.html`);
      writeFileSync(file, html);
      files.push(file);
      byName.set(path.basename(file), label);
    }
    if (!files.length) return new Map();
    const out = await run(JAVA, ['-Xss2m', '-jar', VNU_JAR, '--errors-only', '--format', 'json', '--stdout', '--exit-zero-always', ...files]);
    const report = JSON.parse(out.stdout.trim() || '{"messages":[]}');
    const errors = new Map();
    for (const m of report.messages || []) {
      if (m.type !== 'error' && m.subType !== 'fatal') continue;
      const label = byName.get(path.basename(m.url || '')) || m.url;
      const where = m.lastLine ? ` (line ${m.lastLine})` : '';
      const extract = m.extract ? `: …${m.extract.replace(/\s+/g, ' ').slice(0, 100)}…` : '';
      if (!errors.has(label)) errors.set(label, []);
      errors.get(label).push(`${m.message}${where}${extract}`);
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), VNU_TIMEOUT_MS);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd} (${err.code || err.message}); install Java 11 or newer (./install-deps.sh) or set JAVA`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`the Nu HTML Checker exited with ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}
