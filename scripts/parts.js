// @ts-check
/* global AbortSignal */
/**
 * The platform's parts as child processes (used by platform.js): which they are, how each is
 * spawned with its output in .infra/logs/<part>.log and short lines on the terminal, how it is
 * waited for until ready, and stopped.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { terminate, waitUntil } = require('../infra/lib/process.js');

const ROOT = path.resolve(__dirname, '..');
const LOG_DIR = path.join(ROOT, '.infra', 'logs');

/**
 * Each part's process; `ports` are its own defaults (GRPC_PORT / METRICS_PORT are per part,
 * so they are never taken from the shared environment), `ready` is where readiness is asked.
 * @typedef {{ name: string, main: string, ports: Record<string, string>, ready: (env: Record<string, string>) => string }} Part
 */
/** @type {Part[]} */
const PARTS = [
  {
    name: 'auth',
    main: 'services/auth/dist/main.js',
    ports: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '7051', METRICS_PORT: '9101' },
    ready: (env) => `http://127.0.0.1:${env.METRICS_PORT}/readyz`,
  },
  {
    name: 'event',
    main: 'services/event/dist/main.js',
    ports: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '7052', METRICS_PORT: '9102' },
    ready: (env) => `http://127.0.0.1:${env.METRICS_PORT}/readyz`,
  },
  {
    name: 'issuer',
    main: 'services/issuer/dist/main.js',
    ports: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '7053', METRICS_PORT: '9103' },
    ready: (env) => `http://127.0.0.1:${env.METRICS_PORT}/readyz`,
  },
  {
    name: 'bff',
    main: 'bff/dist/main.js',
    ports: {},
    ready: (env) => `http://${hostForUrl(env.BFF_HOST)}:${env.BFF_PORT}/readyz`,
  },
];

/** Order of `stop()`: the entry point first, the service everyone depends on last. */
const STOP_ORDER = ['bff', 'event', 'issuer', 'auth'];
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;

/** @param {string} name @returns {Part} */
const partNamed = (name) => /** @type {Part} */ (PARTS.find((p) => p.name === name));

/** The most replicas of one part on one machine (each takes ports 10 apart, see platform.js). */
const MAX_REPLICAS = 9;

/**
 * `bff=2,event=3,issuer=2` (the `--replicas` option) as counts per part; a part not named runs once.
 * @param {string} text @returns {Record<string, number>}
 */
function parseReplicas(text) {
  /** @type {Record<string, number>} */
  const counts = Object.fromEntries(PARTS.map((p) => [p.name, 1]));
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z]+)=(\d+)$/.exec(item);
    if (!m) throw new Error(`--replicas: "${item}" is not part=count (e.g. bff=2,event=3,issuer=2)`);
    const name = /** @type {string} */ (m[1]);
    const count = /** @type {string} */ (m[2]);
    if (!PARTS.some((p) => p.name === name))
      throw new Error(`--replicas: no part named "${name}" (the parts: ${PARTS.map((p) => p.name).join(', ')})`);
    const n = Number(count);
    if (n < 1 || n > MAX_REPLICAS) throw new Error(`--replicas: ${name}=${count}: from 1 to ${MAX_REPLICAS} replicas`);
    counts[name] = n;
  }
  return counts;
}

/** A replica's name: the part's for the first (its log stays <part>.log), <part>-<n> for the others. @param {string} part @param {number} index 0-based */
const replicaName = (part, index) => (index === 0 ? part : `${part}-${index + 1}`);

/** @param {string} host */
function hostForUrl(host) {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * A short terminal line for a pino JSON line worth showing (warn and above, and the few
 * lifecycle messages), or undefined.
 * @param {string} line
 */
function summarize(line) {
  if (!line.startsWith('{')) return line.trim() ? line : undefined;
  try {
    const entry = JSON.parse(line);
    const level = String(entry.level);
    const lifecycle = /listening|shutting down|shutdown complete/.test(String(entry.msg));
    if (!['warn', 'error', 'fatal', '40', '50', '60'].includes(level) && !lifecycle) return undefined;
    const err = entry.err ? `: ${typeof entry.err === 'string' ? entry.err : entry.err.message}` : '';
    return `${level === 'info' || level === '30' ? '' : `${level.toUpperCase()} `}${entry.msg}${err}`;
  } catch {
    return line;
  }
}

/**
 * @typedef {object} Child
 * @property {string} name
 * @property {import('node:child_process').ChildProcess} proc
 * @property {string} logFile
 * @property {Promise<number | null>} exited
 * @property {boolean} stopping
 */

/**
 * @typedef {{ log: (line: string) => void, stdio: 'summary' | 'inherit' | 'quiet', onUnexpectedExit: (name: string, code: number | null) => void, logDir?: string }} PartIo
 *   logDir: where <name>.log goes (default .infra/logs)
 */

/**
 * Copies a part's output to its log file and, as `io.stdio` says, lines of it to `io.log`.
 * @param {NodeJS.ReadableStream} stream @param {fs.WriteStream} file @param {string} prefix @param {PartIo} io
 */
function pipeOutput(stream, file, prefix, io) {
  let rest = '';
  // Node's process warnings (e.g. the AWS SDK's Node version notice) span several lines; the log file keeps them.
  let inWarning = false;
  stream.on('data', (chunk) => {
    file.write(chunk);
    if (io.stdio === 'quiet') return;
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (io.stdio === 'summary') {
        if (/^\(node:\d+\) \w*Warning/.test(line)) inWarning = true;
        if (inWarning) {
          if (/^\(Use `node --trace-warnings/.test(line) || line.startsWith('{')) inWarning = false;
          if (!line.startsWith('{')) continue;
        }
      }
      const shown = io.stdio === 'inherit' ? line : summarize(line);
      if (shown !== undefined) io.log(`${prefix} ${shown}`);
    }
  });
}

/**
 * @param {Part} part
 * @param {Record<string, string>} env
 * @param {PartIo} io
 * @param {string} [name] the replica's name (default the part's)
 * @returns {Child}
 */
function spawnPart(part, env, io, name = part.name) {
  const logDir = io.logDir ?? LOG_DIR;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const file = fs.createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(process.execPath, [path.join(ROOT, part.main)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}]`.padEnd(10);
  if (proc.stdout) pipeOutput(proc.stdout, file, prefix, io);
  if (proc.stderr) pipeOutput(proc.stderr, file, prefix, io);
  /** @type {Child} */
  const child = {
    name,
    proc,
    logFile,
    stopping: false,
    exited: new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        file.end();
        if (!child.stopping) io.onUnexpectedExit(name, code ?? (signal ? 128 : null));
        resolve(code);
      });
      proc.on('error', (err) => {
        io.log(`${prefix} could not start: ${err.message}`);
        resolve(1);
      });
    }),
  };
  return child;
}

/** @param {string} file */
function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Polls `url` until it answers 200, the process exits, or the timeout passes.
 * @param {Child} child
 * @param {string} url
 */
async function waitReady(child, url) {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const answers = async () => {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false; // not listening yet
    }
  };
  await waitUntil(answers, {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
    exited: () => (exited ? 'exited' : null),
    onExit: () => new Error(`${child.name} exited during startup; the end of ${child.logFile}:\n${tail(child.logFile)}`),
    onTimeout: () => new Error(`${child.name} was not ready at ${url} after ${READY_TIMEOUT_MS / 1000} s; see ${child.logFile}`),
  });
}

/** SIGTERM, SIGKILL after the grace period; resolves once the part has exited. @param {Child} child */
async function stopPart(child, graceMs = STOP_GRACE_MS) {
  child.stopping = true;
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  if (child.proc.pid) await terminate(child.proc.pid, graceMs, child.proc);
  await child.exited;
}

module.exports = {
  ROOT,
  LOG_DIR,
  PARTS,
  STOP_ORDER,
  MAX_REPLICAS,
  partNamed,
  parseReplicas,
  replicaName,
  hostForUrl,
  spawnPart,
  waitReady,
  stopPart,
};
