// @ts-check
/** MySQL / MariaDB: the machine's system MariaDB, started (as root) when nothing answers; the database is created if missing. */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { InfraError } = require('./lib/errors.js');
const { hasListener, isLocalHost } = require('./lib/net.js');
const { findBin, isAlive, lastError, waitUntil } = require('./lib/process.js');
const { urlHostPort } = require('./config.js');
const { LOG_DIR, RUN_DIR, MARIADB_STOP_GRACE_MS, foundRunning, liveRecord, rel, secs, writeRecord } = require('./state.js');

/** @param {string} mysqlUrl */
function mysqlParts(mysqlUrl) {
  const { host, port, url } = urlHostPort(mysqlUrl, 3306);
  return {
    host,
    port,
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password) || undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

/**
 * Connect without a database. Resolves to a connection, or null if nothing answers.
 * @param {string} mysqlUrl
 */
async function mysqlConnect(mysqlUrl) {
  const mysql = require('mysql2/promise');
  const p = mysqlParts(mysqlUrl);
  try {
    return await mysql.createConnection({ host: p.host, port: p.port, user: p.user, password: p.password, connectTimeout: 2000 });
  } catch (e) {
    const err = /** @type {any} */ (e);
    if (err && (/^ER_(DB)?ACCESS_DENIED/.test(String(err.code)) || [1044, 1045, 1698].includes(err.errno))) {
      throw new InfraError(`mysql: ${p.host}:${p.port} answers but refuses user "${p.user}" (${err.message}); fix MYSQL_URL`);
    }
    return null;
  }
}

/** @param {string} mysqlUrl */
async function mysqlAnswers(mysqlUrl) {
  const c = await mysqlConnect(mysqlUrl);
  if (!c) return false;
  await c.end().catch(() => {});
  return true;
}

/** @param {string} mysqlUrl @param {(msg: string) => void} log */
async function ensureDatabase(mysqlUrl, log) {
  const { database } = mysqlParts(mysqlUrl);
  if (!database) return;
  const c = await mysqlConnect(mysqlUrl);
  if (!c) throw new InfraError(`mysql: lost the connection to ${mysqlUrl} while creating the database`);
  try {
    const [rows] = await c.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    if (/** @type {any[]} */ (rows).length === 0) {
      await c.query(`CREATE DATABASE IF NOT EXISTS ${c.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      log(`mysql: created database ${database} (utf8mb4)`);
    }
  } catch (e) {
    throw new InfraError(`mysql: creating database ${database} failed: ${/** @type {Error} */ (e).message}`);
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * The system MariaDB's server binary and start-stop-daemon, or why infra.js cannot start it at host:port.
 * @param {string} host @param {number} port
 */
async function systemMariadbStarter(host, port) {
  const bin = findBin('mariadbd') || findBin('mysqld');
  if (!bin)
    throw new InfraError(
      `mysql: nothing answers at ${host}:${port} and MariaDB is not installed: apt-get install mariadb-server (or start MySQL/MariaDB there)`,
    );
  if (!isLocalHost(host))
    throw new InfraError(`mysql: nothing answers at ${host}:${port}, and ${host} is not this machine: start MySQL/MariaDB there`);
  if (await hasListener(host, port))
    throw new InfraError(`mysql: something listens on ${host}:${port} but does not answer as MySQL`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new InfraError(
      `mysql: nothing answers at ${host}:${port}; start MariaDB (e.g. sudo service mariadb start) — infra.js starts the system MariaDB only when run as root`,
    );
  }
  const ssd = findBin('start-stop-daemon');
  if (!ssd)
    throw new InfraError(
      `mysql: nothing answers at ${host}:${port}; start MariaDB (start-stop-daemon is missing, so infra.js cannot)`,
    );
  return { bin, ssd };
}

/**
 * Start the system MariaDB on port with start-stop-daemon and wait until it answers.
 * @param {string} mysqlUrl @param {string} id its pid record @param {(msg: string) => void} log
 */
async function startSystemMariadb(mysqlUrl, id, log) {
  const t0 = Date.now();
  const { host, port } = mysqlParts(mysqlUrl);
  const { bin, ssd } = await systemMariadbStarter(host, port);
  // the Debian packaging creates the socket dir at boot; a container-like machine may lack it
  if (!fs.existsSync('/run/mysqld')) {
    fs.mkdirSync('/run/mysqld', { recursive: true });
    spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
  }
  const logFile = path.join(LOG_DIR, 'mariadb.log');
  const pidFile = path.join(RUN_DIR, `mariadb-${port}.pid`);
  log(`mysql: starting MariaDB (${bin}) on port ${port}…`);
  const daemon = ['--start', '--oknodo', '--background', '--make-pidfile', '--pidfile', pidFile, '--output', logFile];
  const r = spawnSync(ssd, [...daemon, '--exec', bin, '--', `--port=${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new InfraError(
      `mysql: start-stop-daemon could not start ${bin} (exit ${r.status ?? r.signal}): ${(r.stderr || '').trim()}`,
    );
  const pid = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10) || null;
  if (pid) {
    writeRecord(id, {
      name: 'mysql',
      pid,
      match: 'mariadbd',
      where: `${host}:${port}`,
      log: logFile,
      graceMs: MARIADB_STOP_GRACE_MS,
    });
  }
  const failed = () =>
    new InfraError(
      `mysql: MariaDB did not come up on ${host}:${port}; see ${rel(logFile)} and the server's log-error (e.g. /var/log/mysql/error.log)${lastError(logFile)}`,
    );
  await waitUntil(() => mysqlAnswers(mysqlUrl), {
    timeoutMs: 60_000,
    intervalMs: 200,
    exited: () => (pid && !isAlive(pid) ? 'gone' : null),
    onExit: failed,
    onTimeout: failed,
  });
  log(`mysql: up on ${host}:${port} (started, pid ${pid || '?'}, ${secs(t0)})`);
  return pid;
}

/** @param {import('./config.js').InfraConfig} cfg @param {(msg: string) => void} log */
async function mysqlUp(cfg, log) {
  const { host, port } = mysqlParts(cfg.mysqlUrl);
  const id = `mysql-${port}`;
  const rec = liveRecord(id);
  let started = false;
  let pid = rec ? rec.pid : null;
  if (await mysqlAnswers(cfg.mysqlUrl)) {
    log(`mysql: up on ${host}:${port} (${foundRunning(rec)})`);
  } else {
    pid = await startSystemMariadb(cfg.mysqlUrl, id, log);
    started = true;
  }
  await ensureDatabase(cfg.mysqlUrl, log);
  return { url: cfg.mysqlUrl, started, pid };
}

module.exports = { mysqlParts, mysqlAnswers, ensureDatabase, mysqlUp };
