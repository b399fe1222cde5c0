// @ts-check
/* global AbortSignal */
/**
 * The whole platform on one machine: the missing infrastructure (infra/infra.js), the
 * migrations, then auth, event, issuer and the BFF as child processes, each waited for
 * until it is ready. Used by `npm start` (scripts/start.js) and by the load test:
 *
 *   const { startPlatform } = require('./scripts/platform.js');
 *   const platform = await startPlatform({ env: { BFF_RATE_LIMIT_IP_PER_MINUTE: '0' } });
 *   // platform.bffUrl, platform.sesUrl ... then
 *   await platform.stop(); // BFF first, then event, issuer, auth
 *
 * Logs of each part go to .infra/logs/<part>.log; the terminal gets a short line for
 * lifecycle events and for warnings and errors.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

const ROOT = path.resolve(__dirname, '..');
const LOG_DIR = path.join(ROOT, '.infra', 'logs');
const { DEFAULT_ENV, assertBuilt, configureParts, mainOf } = require('./parts.js');

/** @typedef {import('./parts.js').Part} Part */

/** Whether `port` can be listened on now. */
function canListen(host, port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** Whether something accepts connections on `port`. */
function hasListener(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

/** How long a port held only by a closed connection's TIME_WAIT is waited for (Linux keeps it 60 s). */
const TIME_WAIT_GRACE_MS = 75_000;

/**
 * Refuses to start over another process's ports: its health check would answer for
 * ours, and the platform would report "up" while our part died on EADDRINUSE.
 * A port in Linux's ephemeral range (32768-60999) can be held with nobody listening: by the local
 * end of an outgoing connection, or one closed a moment ago and now in TIME_WAIT. Such a port is
 * waited for, not refused. (The parts' default ports lie below that range for this reason.)
 * @param {{ what: string, host: string, port: number }[]} wanted
 * @param {(line: string) => void} [log]
 */
async function assertPortsFree(wanted, log = () => undefined) {
  const deadline = Date.now() + TIME_WAIT_GRACE_MS;
  let told = false;
  for (;;) {
    const busy = [];
    const held = [];
    for (const { what, host, port } of wanted) {
      if (!port || (await canListen(host, port))) continue;
      ((await hasListener(host, port)) ? busy : held).push(`${what} ${host}:${port}`);
    }
    if (busy.length > 0) {
      throw new Error(
        `already in use: ${busy.join(', ')}. Is another platform running? Stop it, or move a part with ` +
          `e.g. AUTH_GRPC_PORT / BFF_PORT (see bff/README.md).`,
      );
    }
    if (held.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`still held by closed connections after ${TIME_WAIT_GRACE_MS / 1000} s: ${held.join(', ')}`);
    }
    if (!told) {
      log(`waiting for ${held.join(', ')}: nobody listens, a closed connection's TIME_WAIT holds it (up to 60 s)`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Order of `stop()`: the entry point first, the service everyone depends on last. */
const STOP_ORDER = ['bff', 'event', 'issuer', 'auth'];
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
 * @param {Part} part
 * @param {Record<string, string>} env
 * @param {{ log: (line: string) => void, stdio: 'summary' | 'inherit' | 'quiet', onUnexpectedExit: (name: string, code: number | null) => void }} io
 * @returns {Child}
 */
function spawnPart(part, env, io) {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${part.name}.log`);
  const file = fs.createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(process.execPath, [path.join(ROOT, mainOf(part))], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${part.name}]`.padEnd(9);
  /** @param {NodeJS.ReadableStream} stream */
  const pipe = (stream) => {
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
  };
  if (proc.stdout) pipe(proc.stdout);
  if (proc.stderr) pipe(proc.stderr);
  /** @type {Child} */
  const child = {
    name: part.name,
    proc,
    logFile,
    stopping: false,
    exited: new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        file.end();
        if (!child.stopping) io.onUnexpectedExit(part.name, code ?? (signal ? 128 : null));
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
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${child.name} exited during startup; the end of ${child.logFile}:\n${tail(child.logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name} was not ready at ${url} after ${READY_TIMEOUT_MS / 1000} s; see ${child.logFile}`);
    await sleep(250);
  }
}

/** @param {Child} child */
async function terminate(child, graceMs = STOP_GRACE_MS) {
  child.stopping = true;
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout');
  if ((await Promise.race([child.exited, timer])) === 'timeout') {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * @typedef {object} Platform
 * @property {string} bffUrl            the GraphQL endpoint (HTTP POST and WebSocket)
 * @property {string} sesUrl            where the sent e-mails can be read (the SES emulator's store)
 * @property {string} adminEmail        the address that signs in as admin
 * @property {Record<string, string>} env  the environment the parts run with
 * @property {Record<string, { pid: number | undefined, logFile: string }>} parts
 * @property {() => Promise<void>} stop  stops the BFF, then event, issuer, auth
 */

/**
 * @param {{
 *   env?: Record<string, string>,
 *   parts?: Partial<Record<'auth' | 'event' | 'issuer' | 'bff', Record<string, string>>>,
 *   log?: (line: string) => void,
 *   stdio?: 'summary' | 'inherit' | 'quiet',
 *   onUnexpectedExit?: (name: string, code: number | null) => void,
 * }} [options]
 *   env: overrides for every part; parts: overrides for one part (e.g. its GRPC_PORT);
 *   stdio: what reaches `log` of the parts' output (short lines by default).
 * @returns {Promise<Platform>}
 */
async function startPlatform(options = {}) {
  const { env: overrides = {}, parts: partOverrides = {}, log = console.error, stdio = 'summary' } = options;
  const onUnexpectedExit =
    options.onUnexpectedExit ??
    ((name, code) => log(`[${name}] exited unexpectedly (code ${code}); see ${path.join(LOG_DIR, `${name}.log`)}`));

  assertBuilt();

  const infra = require('../infra/infra.js');
  log('platform: starting the infrastructure (Kafka, MariaDB, Redis, SES emulator)...');
  const up = await infra.up();

  const { shared, configured } = configureParts({ ...up.env, ...overrides }, overrides, partOverrides);
  await assertPortsFree(
    configured.flatMap(({ part, ports }) =>
      ports.map(([what, { host, port }]) => ({ what: `${part.name} ${what}`, host, port })),
    ),
    (line) => log(`platform: ${line}`),
  );

  log('platform: running the migrations...');
  const migrate = spawnSync(process.execPath, [path.join(ROOT, 'packages/db/dist/cli.js'), 'up'], {
    cwd: ROOT,
    env: shared,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stderr || migrate.stdout}`);

  /** @type {Map<string, Child>} */
  const children = new Map();
  let stopping = false;
  const io = {
    log,
    stdio,
    onUnexpectedExit: (/** @type {string} */ name, /** @type {number | null} */ code) => {
      if (!stopping) onUnexpectedExit(name, code);
    },
  };

  const stop = async () => {
    stopping = true;
    for (const name of STOP_ORDER) {
      const child = children.get(name);
      if (!child) continue;
      await terminate(child);
      log(`platform: ${name} stopped`);
    }
  };

  /** @param {string[]} names */
  const startGroup = async (names) => {
    await Promise.all(
      configured
        .filter(({ part }) => names.includes(part.name))
        .map(async ({ part, env, http }) => {
          const child = spawnPart(part, env, io);
          children.set(part.name, child);
          await waitReady(child, `${http}/readyz`);
          log(`platform: ${part.name} ready (pid ${child.proc.pid})`);
        }),
    );
  };

  try {
    await startGroup(['auth']);
    await startGroup(['event', 'issuer']);
    await startGroup(['bff']);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    bffUrl: `${configured.find(({ part }) => part.name === 'bff')?.http}/graphql`,
    sesUrl: `${(shared.SES_ENDPOINT ?? 'http://127.0.0.1:8005').replace(/\/+$/, '')}/store`,
    adminEmail: (shared.AUTH_ADMIN_EMAILS ?? '').split(',')[0]?.trim() ?? '',
    env: shared,
    parts: Object.fromEntries([...children].map(([name, c]) => [name, { pid: c.proc.pid, logFile: c.logFile }])),
    stop,
  };
}

module.exports = { startPlatform, DEFAULT_ENV, LOG_DIR };
