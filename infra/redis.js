// @ts-check
/** Redis: the machine's redis-server, started daemonised without persistence when nothing answers. */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { InfraError } = require('./lib/errors.js');
const { hasListener, isLocalHost } = require('./lib/net.js');
const { findBin, lastError, sleep, waitUntil } = require('./lib/process.js');
const { urlHostPort } = require('./config.js');
const {
  STATE_DIR,
  LOG_DIR,
  RUN_DIR,
  DEFAULT_STOP_GRACE_MS,
  foundRunning,
  liveRecord,
  rel,
  secs,
  writeRecord,
} = require('./state.js');

/** @param {string} url @returns {Promise<boolean>} */
async function redisAnswers(url) {
  const { Redis } = require('ioredis');
  const r = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch (e) {
    const msg = /** @type {Error} */ (e).message || '';
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(msg)) {
      throw new InfraError(`redis: ${url} answers but refuses our credentials (${msg}); fix REDIS_URL`);
    }
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * Run redis-server daemonised on host:port; the pid file it is to write.
 * @param {string} bin @param {string} host @param {number} port @param {string} logFile
 */
function daemonize(bin, host, port, logFile) {
  const dir = path.join(STATE_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const pidFile = path.join(RUN_DIR, `redis-${port}.pid`);
  fs.rmSync(pidFile, { force: true });
  // a fixed process title "redis-server host:port" is what we match on later
  const args = ['--daemonize', 'yes', '--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no'];
  const r = spawnSync(bin, [...args, '--dir', dir, '--logfile', logFile, '--pidfile', pidFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new InfraError(
      `redis: redis-server failed to start (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim()}; see ${rel(logFile)}`,
    );
  return pidFile;
}

/** @param {string} pidFile the pid redis-server wrote there, waiting a moment for it (0 if none) */
async function readPid(pidFile) {
  let pid = 0;
  for (let i = 0; i < 20 && !pid; i++) {
    pid = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10) || 0;
    if (!pid) await sleep(50);
  }
  return pid;
}

/** @param {import('./config.js').InfraConfig} cfg @param {(msg: string) => void} log */
async function redisUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = urlHostPort(cfg.redisUrl, 6379);
  const id = `redis-${port}`;
  const rec = liveRecord(id);
  if (await redisAnswers(cfg.redisUrl)) {
    log(`redis: up on ${host}:${port} (${foundRunning(rec)})`);
    return { url: cfg.redisUrl, started: false, pid: rec ? rec.pid : null };
  }
  const bin = findBin('redis-server');
  if (!bin)
    throw new InfraError(
      `redis: nothing answers at ${cfg.redisUrl} and redis-server is not installed: apt-get install redis-server (or start Redis there)`,
    );
  if (!isLocalHost(host))
    throw new InfraError(`redis: nothing answers at ${cfg.redisUrl}, and ${host} is not this machine: start Redis there`);
  if (await hasListener(host, port)) throw new InfraError(`redis: something listens on ${host}:${port} but does not answer PING`);
  const logFile = path.join(LOG_DIR, 'redis.log');
  log(`redis: starting redis-server on ${host}:${port}…`);
  const pidFile = daemonize(bin, host, port, logFile);
  await waitUntil(() => redisAnswers(cfg.redisUrl), {
    timeoutMs: 15_000,
    onTimeout: () =>
      new InfraError(
        `redis: redis-server did not answer on ${host}:${port} within 15 s; see ${rel(logFile)}${lastError(logFile)}`,
      ),
  });
  const pid = await readPid(pidFile);
  if (pid) {
    writeRecord(id, {
      name: 'redis',
      pid,
      match: 'redis-server',
      where: `${host}:${port}`,
      log: logFile,
      graceMs: DEFAULT_STOP_GRACE_MS,
    });
  }
  log(`redis: up on ${host}:${port} (started, pid ${pid || '?'}, ${secs(t0)})`);
  return { url: cfg.redisUrl, started: true, pid: pid || null };
}

module.exports = { redisAnswers, redisUp };
