// Starts (and stops) a throwaway Teilhabe server for the accessibility suite.
//
// Contract: `<bin> serve` with TEILHABE_DATA_DIR, TEILHABE_BIND, TEILHABE_BASE_URL,
// TEILHABE_RATE_LIMITS=off and TEILHABE_JOB_INTERVAL_SECONDS=2; ready when GET /health answers 200.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const STARTUP_TIMEOUT_MS = Number(process.env.A11Y_STARTUP_TIMEOUT_MS || 60_000);
const MAX_LOG_CHARS = 200_000;

/** Binary from TEILHABE_BIN (relative paths are taken relative to a11y-tests/). */
export function serverBinary() {
  const bin = process.env.TEILHABE_BIN || '../target/debug/teilhabe';
  return path.resolve(PACKAGE_DIR, bin);
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server and resolves once /health answers 200.
 * Returns { baseUrl, stop(), logs() }. On failure it throws an Error whose message
 * contains the server's stderr, after having cleaned up.
 *
 * If A11Y_BASE_URL is set, no server is spawned: the suite runs against that URL.
 */
export async function startServer() {
  if (process.env.A11Y_BASE_URL) {
    const baseUrl = process.env.A11Y_BASE_URL.replace(/\/+$/, '');
    await waitForHealth(baseUrl, () => null);
    const none = () => '(external server, no logs)';
    return { baseUrl, stop: async () => {}, logs: none, stderrTail: none, exitInfo: () => null, external: true, dataDir: null };
  }

  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `Server binary not found: ${bin}\n` +
        'Build it first (cargo build) or point TEILHABE_BIN at it, or set A11Y_BASE_URL to test a running server.',
    );
  }

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'teilhabe-a11y-'));

  let stdout = '';
  let stderr = '';
  const append = (buf, chunk) => {
    const s = buf + chunk.toString('utf8');
    return s.length > MAX_LOG_CHARS ? s.slice(s.length - MAX_LOG_CHARS) : s;
  };

  const child = spawn(bin, ['serve'], {
    cwd: path.resolve(PACKAGE_DIR, '..'),
    env: {
      ...process.env,
      TEILHABE_DATA_DIR: dataDir,
      TEILHABE_BIND: `127.0.0.1:${port}`,
      TEILHABE_BASE_URL: baseUrl,
      TEILHABE_RATE_LIMITS: 'off',
      // The scheduled jobs every 2 s instead of every minute, so the course alert journey gets its mail
      // within seconds (the pages checked do not depend on whether a job has run yet).
      TEILHABE_JOB_INTERVAL_SECONDS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => (stdout = append(stdout, c)));
  child.stderr.on('data', (c) => (stderr = append(stderr, c)));

  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on('error', (err) => {
      exited = { code: null, signal: null, error: err };
      resolve(exited);
    });
  });

  let stopped = false;
  const cleanupSync = () => {
    if (exited === null) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
    try {
      rmSync(dataDir, { recursive: true, force: true });
    } catch {}
  };
  // Safety net: never leave a server or a temp dir behind, even if the runner dies.
  process.once('exit', cleanupSync);

  const lastLines = (text, n) => text.replace(/\x1b\[[0-9;]*m/g, '').trimEnd().split('\n').slice(-n).join('\n') || '(empty)';
  /** Last `n` lines of the server's stderr, without colour codes. */
  const stderrTail = (n = 25) => lastLines(stderr, n);
  const logs = () =>
    `--- server stderr (last 80 lines) ---\n${lastLines(stderr, 80)}\n--- server stdout (last 20 lines) ---\n${lastLines(stdout, 20)}`;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
      const outcome = await Promise.race([exitPromise, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        process.stderr.write('a11y: server ignored SIGTERM for 10 s, sending SIGKILL\n');
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    process.removeListener('exit', cleanupSync);
  };

  try {
    await waitForHealth(baseUrl, () => exited);
  } catch (err) {
    await stop();
    throw new Error(
      `${err.message}\nCommand: ${bin} serve (TEILHABE_BIND=127.0.0.1:${port}, TEILHABE_DATA_DIR=${dataDir})\n${logs()}`,
    );
  }
  /** null while the server runs; a sentence saying how it ended once it has exited. */
  const exitInfo = () =>
    exited === null || stopped
      ? null
      : `the server process exited during the run (code ${exited.code}, signal ${exited.signal})`;
  return { baseUrl, stop, logs, stderrTail, exitInfo, external: false, dataDir };
}

async function waitForHealth(baseUrl, exitedFn) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const ex = exitedFn();
    if (ex) {
      throw new Error(
        `Server exited before becoming healthy (code ${ex.code}, signal ${ex.signal}` +
          `${ex.error ? `, error ${ex.error.message}` : ''}).`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastProblem = `GET /health answered ${res.status}`;
    } catch (err) {
      lastProblem = `GET /health failed: ${err.cause?.code || err.message}`;
    }
    await sleep(250);
  }
  throw new Error(`Server not healthy after ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem}).`);
}
