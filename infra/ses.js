// @ts-check
/* global AbortSignal */
/** SES v2: the aws-ses-v2-local emulator (`GET /store` shows what was sent). */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { InfraError } = require('./lib/errors.js');
const { hasListener, isLocalHost } = require('./lib/net.js');
const { lastError, rotateLog, spawnLogged, terminate, waitUntil } = require('./lib/process.js');
const { urlHostPort } = require('./config.js');
const {
  ROOT,
  LOG_DIR,
  DEFAULT_STOP_GRACE_MS,
  foundRunning,
  liveRecord,
  rel,
  removeRecord,
  secs,
  writeRecord,
} = require('./state.js');

/**
 * Whether the SES emulator answers at `endpoint`: its `GET /store`, asked only for e-mails from an
 * hour ahead. The whole store grows by every run's e-mails (12,000 a benchmark run) and, after a
 * few dozen runs, took longer than the check's 1.5 s to serialise.
 * @param {string} endpoint
 */
async function sesAnswers(endpoint) {
  try {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const r = await fetch(`${endpoint}/store?since=${future}`, { signal: AbortSignal.timeout(1500) });
    if (!r.ok) return false;
    const body = /** @type {{ emails?: unknown }} */ (await r.json());
    return Array.isArray(body.emails);
  } catch {
    return false;
  }
}

/** The emulator's command-line entry point. */
function sesCli() {
  try {
    return require.resolve('aws-ses-v2-local/dist/cli.js', { paths: [ROOT] });
  } catch {
    const p = path.join(ROOT, 'node_modules', '.bin', 'aws-ses-v2-local');
    if (fs.existsSync(p)) return fs.realpathSync(p);
    throw new InfraError('ses: the aws-ses-v2-local emulator is not installed: run npm install at the repository root');
  }
}

/**
 * Start an emulator on host:port and wait until it answers.
 * @param {{ host: string, port: number, endpoint?: string, logFile?: string, detached?: boolean, timeoutMs?: number }} o
 *   endpoint: where it is asked (default http://host:port); logFile: where its output goes (default none);
 *   detached: it outlives this process
 */
async function startSesEmulator({ host, port, logFile, detached = false, timeoutMs = 20_000, ...o }) {
  const endpoint = o.endpoint ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const see = () => (logFile ? `; see ${rel(logFile)}${lastError(logFile)}` : '');
  const spawned = spawnLogged(process.execPath, [sesCli(), '--host', host, '--port', String(port)], {
    ...(logFile ? { logFile } : {}),
    cwd: ROOT,
    detached,
  });
  await waitUntil(() => sesAnswers(endpoint), {
    timeoutMs,
    intervalMs: 150,
    exited: spawned.exited,
    onExit: (why) => new InfraError(`ses: the emulator stopped during start-up (${why})${see()}`),
    onTimeout: async () => {
      await terminate(spawned.pid, 2000, spawned.child);
      return new InfraError(`ses: the emulator did not answer ${endpoint}/store within ${timeoutMs / 1000} s${see()}`);
    },
  });
  return spawned;
}

/** @param {import('./config.js').InfraConfig} cfg @param {(msg: string) => void} log */
async function sesUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = urlHostPort(cfg.sesEndpoint, 80);
  const id = `ses-${port}`;
  const rec = liveRecord(id);
  if (await sesAnswers(cfg.sesEndpoint)) {
    log(`ses: up on ${cfg.sesEndpoint} (${foundRunning(rec)})`);
    return { endpoint: cfg.sesEndpoint, started: false, pid: rec ? rec.pid : null };
  }
  if (rec) {
    await terminate(rec.pid, DEFAULT_STOP_GRACE_MS);
    removeRecord(id);
  }
  if (!isLocalHost(host))
    throw new InfraError(`ses: nothing answers at ${cfg.sesEndpoint}/store, and ${host} is not this machine`);
  if (await hasListener(host, port))
    throw new InfraError(
      `ses: something listens on ${host}:${port} but GET /store does not answer; free the port or set SES_ENDPOINT`,
    );
  const logFile = path.join(LOG_DIR, 'ses.log');
  rotateLog(logFile);
  log(`ses: starting aws-ses-v2-local on ${host}:${port}…`);
  const { pid } = await startSesEmulator({ host, port, endpoint: cfg.sesEndpoint, logFile, detached: true });
  writeRecord(id, {
    name: 'ses',
    pid,
    match: 'aws-ses-v2-local',
    where: cfg.sesEndpoint,
    log: logFile,
    graceMs: DEFAULT_STOP_GRACE_MS,
  });
  log(`ses: up on ${cfg.sesEndpoint} (started, pid ${pid}, ${secs(t0)})`);
  return { endpoint: cfg.sesEndpoint, started: true, pid };
}

module.exports = { sesAnswers, startSesEmulator, sesUp };
