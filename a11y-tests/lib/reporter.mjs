// Test reporter: Node's built-in spec reporter, followed by the run's counts, so that the
// output always *ends* with the pass/fail numbers (the spec reporter alone prints its
// "failing tests" recap after them).

import { spec as SpecReporter } from 'node:test/reporters';

const COUNT_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];

export default async function* reporter(source) {
  const spec = new SpecReporter();
  const pending = [];
  spec.on('data', (chunk) => pending.push(chunk));
  const ended = new Promise((resolve) => spec.on('end', resolve));
  const counts = {};

  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
      const m = /^(\w+) ([\d.]+)$/.exec(event.data.message);
      if (m && COUNT_KEYS.includes(m[1])) counts[m[1]] = m[2];
    }
    spec.write(event);
    while (pending.length) yield pending.shift();
  }
  spec.end();
  await ended;
  while (pending.length) yield pending.shift();

  // The spec reporter printed the counts already; after a "failing tests" recap, repeat them.
  if ('pass' in counts && (Number(counts.fail) > 0 || Number(counts.cancelled) > 0)) {
    yield '\n' + COUNT_KEYS.filter((k) => k in counts).map((k) => `ℹ ${k} ${counts[k]}`).join('\n') + '\n';
  }
  // Cancelled tests (e.g. the browser did not start) count as failed in this plain line.
  if ('pass' in counts) {
    const failed = Number(counts.fail ?? 0) + Number(counts.cancelled ?? 0);
    yield `a11y: ${counts.pass} passed, ${failed} failed\n`;
  }
}
