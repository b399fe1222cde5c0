// @ts-check
/**
 * Throwaway servers for failure tests: a Kafka broker or a MariaDB on a free port with its own data
 * dir, which a test may stop, kill and start again without touching the shared ones.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { InfraError } = require('./lib/errors.js');
const { freePortPair, hasListener } = require('./lib/net.js');
const { findBin, isOurProcess, lastError, spawnLogged, terminate, waitUntil } = require('./lib/process.js');
const { config } = require('./config.js');
const { ensureKafkaJars } = require('./kafka-jars.js');
const { launchKafka } = require('./kafka.js');
const { ensureDatabase, mysqlAnswers, mysqlParts } = require('./mariadb.js');
const state = require('./state.js');
const { PRIVATE_DIR, KAFKA_STOP_GRACE_MS, MARIADB_STOP_GRACE_MS, ensureDirs, logStderr, rel, secs } = state;

/**
 * @typedef {object} PrivateServer what a private broker and a private MariaDB have in common
 * @property {number} port
 * @property {string} dir             its data/config dir
 * @property {string} logFile
 * @property {number | null} pid      null while stopped
 * @property {() => Promise<void>} start  start it again on the same dir and port (no-op if running)
 * @property {() => Promise<void>} stop   clean shutdown (SIGTERM, SIGKILL after a grace period)
 * @property {() => Promise<void>} kill   hard crash (SIGKILL)
 */

/**
 * @typedef {PrivateServer & { brokers: string[], saslBrokers?: string[] }} PrivateKafka
 *   brokers: e.g. ['127.0.0.1:41234'] (kafkajs `brokers`; PLAINTEXT, a super user where `sasl` is on);
 *   saslBrokers: the SASL_PLAINTEXT (SCRAM-SHA-512) listener, only with `sasl`
 */
/** @typedef {PrivateServer & { url: string }} PrivateMariadb  url: mysql://root@127.0.0.1:<port>/<database> (root, empty password) */

/**
 * Its own dir (a new one under .infra/private/ unless given) and whether we made it.
 * @param {string | undefined} given @param {string} kind
 */
function privateDir(given, kind) {
  if (!given) fs.mkdirSync(PRIVATE_DIR, { recursive: true });
  const dir = path.resolve(given || fs.mkdtempSync(path.join(PRIVATE_DIR, `${kind}-`)));
  fs.mkdirSync(dir, { recursive: true });
  return { dir, ownsDir: !given };
}

/**
 * Wait until a freshly spawned private server answers `probe`; if it exits first, or does not answer
 * in time (then it is stopped), an InfraError that names its log and the log's last error.
 * @param {{ pid: number, child: import('node:child_process').ChildProcess, exited: () => string | null }} spawned
 * @param {() => Promise<boolean>} probe
 * @param {{ what: string, host: string, port: number, logFile: string, timeoutMs: number, killGraceMs: number }} o
 */
async function answersOrFails(spawned, probe, { what, host, port, logFile, timeoutMs, killGraceMs }) {
  const see = () => `see ${rel(logFile)}${lastError(logFile)}`;
  await waitUntil(probe, {
    timeoutMs,
    exited: spawned.exited,
    onExit: (why) => new InfraError(`${what} on port ${port} stopped during start-up (${why}); ${see()}`),
    onTimeout: async () => {
      await terminate(spawned.pid, killGraceMs, spawned.child);
      return new InfraError(`${what} did not answer on ${host}:${port}; ${see()}`);
    },
  });
}

/**
 * Stop (graceMs > 0) or kill (0) the server behind a handle, if it still runs, and forget its pid.
 * @param {PrivateServer} handle @param {string} match @param {number} graceMs
 * @param {import('node:child_process').ChildProcess | undefined} child @param {() => void} forget
 */
async function endServer(handle, match, graceMs, child, forget) {
  const pid = handle.pid;
  if (pid && isOurProcess(pid, match)) await terminate(pid, graceMs, child);
  handle.pid = null;
  forget();
}

/** A server an earlier (crashed) test run left running on this dir. @param {string} pidFile @param {string} match @param {number} graceMs */
async function stopLeftover(pidFile, match, graceMs) {
  const leftover = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10);
  if (leftover && isOurProcess(leftover, match)) await terminate(leftover, graceMs);
}

/**
 * Stop a private server for good; removes its dir if it was created for it.
 * @param {PrivateServer} handle @param {{ keepData?: boolean }} [opts]
 */
async function stopPrivate(handle, opts = {}) {
  await handle.stop();
  if (/** @type {any} */ (handle).ownsDir && !opts.keepData) fs.rmSync(handle.dir, { recursive: true, force: true });
}

// ───────────────────────────── Kafka ─────────────────────────────

/**
 * The handle of a private broker in dir (not started yet).
 * @param {{ host: string, port: number, dir: string, ownsDir: boolean, log: (msg: string) => void, timeoutMs?: number, extra: Record<string, string | number> }} o
 * @returns {PrivateKafka}
 */
function privateKafkaHandle({ host, port, dir, ownsDir, log, timeoutMs, extra, scram }) {
  const logFile = path.join(dir, 'kafka.log');
  const serverProps = path.join(dir, 'server.properties');
  const pidFile = path.join(dir, 'kafka.pid');
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  const forget = () => {
    fs.rmSync(pidFile, { force: true });
    state.removeRecord(`private-kafka-${handle.port}`);
  };
  /** @type {PrivateKafka} */
  const handle = {
    brokers: [`${host}:${port}`],
    port,
    dir,
    logFile,
    pid: null,
    async start() {
      if (handle.pid && isOurProcess(handle.pid, serverProps)) return;
      const t0 = Date.now();
      const at = `${host}:${handle.port}`;
      const jvm = ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
      const launched = await launchKafka({
        dir,
        host,
        port: handle.port,
        logFile,
        jvm,
        extra,
        scram,
        timeoutMs,
        label: `private kafka ${at}`,
      });
      child = launched.child;
      handle.pid = launched.pid;
      fs.writeFileSync(pidFile, `${launched.pid}\n`);
      const where = `${at} (private, ${rel(dir)})`;
      state.writeRecord(`private-kafka-${handle.port}`, {
        name: 'kafka',
        pid: launched.pid,
        match: serverProps,
        where,
        log: logFile,
        graceMs: KAFKA_STOP_GRACE_MS,
      });
      log(`kafka: private broker up on ${at} (pid ${launched.pid}, ${secs(t0)})`);
    },
    stop: () => endServer(handle, serverProps, KAFKA_STOP_GRACE_MS, child, forget),
    kill: () => endServer(handle, serverProps, 0, child, forget),
  };
  Object.defineProperty(handle, 'ownsDir', { value: ownsDir, enumerable: false });
  return handle;
}

/**
 * A SASL_PLAINTEXT listener with SCRAM-SHA-512 users (created when the storage is formatted) and ACLs
 * enforced (StandardAuthorizer, nothing allowed without an ACL); the PLAINTEXT listener's anonymous
 * principal is the super user that creates topics and ACLs.
 * @param {string} host @param {Record<string, string>} users name -> password
 */
async function saslListener(host, users) {
  const { freePort } = require('./lib/net.js');
  const at = `${host}:${await freePort(host)}`;
  return {
    at,
    scram: Object.entries(users).map(([name, password]) => `SCRAM-SHA-512=[name=${name},password=${password}]`),
    config: {
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:ANONYMOUS',
      'allow.everyone.if.no.acl.found': 'false',
    },
  };
}

/**
 * Start an extra throwaway single-node KRaft broker (same jars, own data dir and port).
 * @param {{ port?: number, dir?: string, host?: string, timeoutMs?: number, quiet?: boolean, config?: Record<string, string | number>, sasl?: { users: Record<string, string> } }} [opts]
 *   port: default a free one; dir: default a new dir under .infra/private/ (removed by stopPrivateKafka);
 *   config: extra server.properties entries; sasl: a SCRAM-SHA-512 listener with these users and ACLs enforced
 * @returns {Promise<PrivateKafka>}
 */
async function startPrivateKafka(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  await ensureKafkaJars(log);
  const host = opts.host || '127.0.0.1';
  const { dir, ownsDir } = privateDir(opts.dir, 'kafka');
  const sasl = opts.sasl ? await saslListener(host, opts.sasl.users) : undefined;
  const extra = {
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    // after a kill() the restarted broker must wait for its old registration to expire: keep that short
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
    ...(sasl ? sasl.config : {}),
    ...(opts.config || {}),
  };
  await stopLeftover(path.join(dir, 'kafka.pid'), path.join(dir, 'server.properties'), KAFKA_STOP_GRACE_MS);
  const port = opts.port || (await freePortPair(host));
  const handle = privateKafkaHandle({ host, port, dir, ownsDir, log, timeoutMs: opts.timeoutMs, extra, scram: sasl?.scram });
  if (sasl) handle.saslBrokers = [sasl.at];
  for (let attempt = 1; ; attempt++) {
    if (sasl) {
      // The listeners name the PLAINTEXT port too, which a retry below may change.
      extra.listeners = `PLAINTEXT://${host}:${handle.port},CONTROLLER://${host}:${handle.port + 1},SASL_PLAINTEXT://${sasl.at}`;
      extra['advertised.listeners'] = `PLAINTEXT://${host}:${handle.port},SASL_PLAINTEXT://${sasl.at}`;
    }
    try {
      await handle.start();
      return handle;
    } catch (e) {
      // another process may have grabbed the free port we picked: pick again
      const taken =
        fs.existsSync(handle.logFile) && /Address already in use|BindException/.test(fs.readFileSync(handle.logFile, 'utf8'));
      if (opts.port || !taken || attempt >= 3) throw e;
      handle.port = await freePortPair(host);
      handle.brokers = [`${host}:${handle.port}`];
      fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
      fs.rmSync(handle.logFile, { force: true });
    }
  }
}

// ───────────────────────────── MariaDB ─────────────────────────────

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Initialise a MariaDB data dir once. @param {string} installDb @param {string} dir @param {(msg: string) => void} log */
function initMariadbDataDir(installDb, dir, log) {
  const dataDir = path.join(dir, 'data');
  if (fs.existsSync(path.join(dataDir, 'mysql'))) return;
  const t0 = Date.now();
  const r = spawnSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...(asRoot() ? ['--user=root'] : []),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  fs.writeFileSync(path.join(dir, 'install.log'), `${r.stdout || ''}${r.stderr || ''}`);
  if (r.status !== 0)
    throw new InfraError(
      `mysql: mariadb-install-db failed for ${rel(dataDir)} (exit ${r.status ?? r.signal}); see ${rel(path.join(dir, 'install.log'))}`,
    );
  log(`mysql: private data dir initialised in ${rel(dataDir)} (${secs(t0)})`);
}

/** mariadbd's arguments for a private server in dir. @param {string} dir @param {string} host @param {number} port */
function mariadbdArgs(dir, host, port) {
  let socket = path.join(dir, 'mysqld.sock');
  if (socket.length > 100)
    socket = path.join(os.tmpdir(), `fcfs-mariadb-${crypto.createHash('sha1').update(dir).digest('hex').slice(0, 12)}.sock`);
  return [
    '--no-defaults',
    `--datadir=${path.join(dir, 'data')}`,
    `--port=${port}`,
    `--bind-address=${host}`,
    `--socket=${socket}`,
    `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
    `--log-error=${path.join(dir, 'mariadb.log')}`,
    '--skip-log-bin',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--max-connections=500',
    ...(asRoot() ? ['--user=root'] : []),
  ];
}

/**
 * The handle of a private MariaDB in dir (not started yet).
 * @param {{ mariadbd: string, host: string, port: number, dir: string, ownsDir: boolean, database: string, log: (msg: string) => void, timeoutMs?: number }} o
 * @returns {PrivateMariadb}
 */
function privateMariadbHandle({ mariadbd, host, port, dir, ownsDir, database, log, timeoutMs = 60_000 }) {
  const logFile = path.join(dir, 'mariadb.log');
  const match = `--datadir=${path.join(dir, 'data')}`;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  const forget = () => state.removeRecord(`private-mariadb-${port}`);
  /** @type {PrivateMariadb} */
  const handle = {
    url: `mysql://root@${host}:${port}/${encodeURIComponent(database)}`,
    port,
    dir,
    logFile,
    pid: null,
    async start() {
      if (handle.pid && isOurProcess(handle.pid, match)) return;
      const t0 = Date.now();
      const spawned = spawnLogged(mariadbd, mariadbdArgs(dir, host, port), { logFile, cwd: dir, detached: true });
      child = spawned.child;
      await answersOrFails(spawned, () => mysqlAnswers(`mysql://root@${host}:${port}/`), {
        what: 'mysql: private MariaDB',
        host,
        port,
        logFile,
        timeoutMs,
        killGraceMs: 5000,
      });
      handle.pid = spawned.pid;
      const where = `${host}:${port} (private, ${rel(dir)})`;
      state.writeRecord(`private-mariadb-${port}`, {
        name: 'mysql',
        pid: spawned.pid,
        match,
        where,
        log: logFile,
        graceMs: MARIADB_STOP_GRACE_MS,
      });
      if (database) await ensureDatabase(handle.url, () => {});
      log(`mysql: private MariaDB up on ${host}:${port} (pid ${spawned.pid}, ${secs(t0)})`);
    },
    stop: () => endServer(handle, match, MARIADB_STOP_GRACE_MS, child, forget),
    kill: () => endServer(handle, match, 0, child, forget),
  };
  Object.defineProperty(handle, 'ownsDir', { value: ownsDir, enumerable: false });
  return handle;
}

/**
 * Start a throwaway MariaDB server (own data dir and port) — for tests that stop and restart a database.
 * @param {{ port?: number, dir?: string, database?: string, timeoutMs?: number, quiet?: boolean }} [opts]
 *   database: created on first start (default the one in MYSQL_URL, "fcfs")
 * @returns {Promise<PrivateMariadb>}
 */
async function startPrivateMariadb(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  const installDb = findBin('mariadb-install-db') || findBin('mysql_install_db');
  const mariadbd = findBin('mariadbd') || findBin('mysqld');
  if (!installDb || !mariadbd)
    throw new InfraError('mysql: a private MariaDB needs mariadb-install-db and mariadbd: apt-get install mariadb-server');
  const host = '127.0.0.1';
  const port = opts.port || (await freePortPair(host));
  const { dir, ownsDir } = privateDir(opts.dir, 'mariadb');
  const database = opts.database ?? mysqlParts(config().mysqlUrl).database;
  initMariadbDataDir(installDb, dir, log);
  await stopLeftover(path.join(dir, 'mariadbd.pid'), `--datadir=${path.join(dir, 'data')}`, MARIADB_STOP_GRACE_MS);
  const handle = privateMariadbHandle({
    mariadbd,
    host,
    port,
    dir,
    ownsDir,
    database,
    log,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  await handle.start();
  return handle;
}

// ───────────────────────────── Redis and the SES emulator ─────────────────────────────

/** @typedef {PrivateServer & { url: string, host: string }} PrivateRedis  url: redis://127.0.0.1:<port> (rediss:// with tls) */
/** @typedef {{ endpoint: string, port: number, dir: string, logFile: string, pid: number | null, stop: () => Promise<void> }} PrivateSes */

/**
 * A throwaway redis-server (own dir and port, no persistence): FLUSHALL, a kill or a restore on it
 * loses nothing but its own data; never the shared Redis's configuration.
 * With `acl`, an ACL file (users.acl in its dir) of those lines, e.g. `user default off` and
 * `user fcfs-event on >secret ~fcfs:* +@all`: for tests of the parts' Redis users.
 * With `tls` (PEM files) it serves TLS only, on `port`, and asks clients for no certificate.
 * @param {{ acl?: string[], tls?: { cert: string, key: string, ca: string }, port?: number, dir?: string, timeoutMs?: number, quiet?: boolean }} [opts]
 * @returns {Promise<PrivateRedis>}
 */
async function startPrivateRedis(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  const bin = findBin('redis-server');
  if (!bin) throw new InfraError('redis: a private Redis needs redis-server: apt-get install redis-server');
  const host = '127.0.0.1';
  const port = opts.port || (await freePortPair(host));
  const { dir, ownsDir } = privateDir(opts.dir, 'redis');
  const aclFile = opts.acl ? path.join(dir, 'users.acl') : undefined;
  if (aclFile && opts.acl) fs.writeFileSync(aclFile, `${opts.acl.join('\n')}\n`, { mode: 0o600 });
  const logFile = path.join(dir, 'redis.log');
  const match = `${host}:${port}`;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  const forget = () => state.removeRecord(`private-redis-${port}`);
  /** @type {PrivateRedis} */
  const handle = {
    url: `${opts.tls ? 'rediss' : 'redis'}://${host}:${port}`,
    host,
    port,
    dir,
    logFile,
    pid: null,
    async start() {
      if (handle.pid && isOurProcess(handle.pid, match)) return;
      const listen = opts.tls
        ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key]
        : ['--port', String(port)];
      const tlsFiles = opts.tls ? ['--tls-ca-cert-file', opts.tls.ca, '--tls-auth-clients', 'no'] : [];
      const args = [
        '--bind',
        host,
        ...listen,
        ...tlsFiles,
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        ...(aclFile ? ['--aclfile', aclFile] : []),
      ];
      const spawned = spawnLogged(bin, args, { logFile, cwd: dir, detached: true });
      child = spawned.child;
      await answersOrFails(spawned, () => hasListener(host, port), {
        what: 'redis: private Redis',
        host,
        port,
        logFile,
        timeoutMs: opts.timeoutMs ?? 15_000,
        killGraceMs: 2000,
      });
      handle.pid = spawned.pid;
      state.writeRecord(`private-redis-${port}`, {
        name: 'redis',
        pid: spawned.pid,
        match,
        where: `${match} (private, ${rel(dir)})`,
        log: logFile,
        graceMs: 5_000,
      });
      log(`redis: private redis-server up on ${match} (pid ${spawned.pid})`);
    },
    stop: () => endServer(handle, match, 5_000, child, forget),
    kill: () => endServer(handle, match, 0, child, forget),
  };
  Object.defineProperty(handle, 'ownsDir', { value: ownsDir, enumerable: false });
  await handle.start();
  return handle;
}

/**
 * A throwaway SES emulator on a free port (its own store): a test may stall it (SIGSTOP) and count
 * what it received without reading the shared one's.
 * @param {{ dir?: string, quiet?: boolean }} [opts]
 * @returns {Promise<PrivateSes>}
 */
async function startPrivateSes(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  const { startSesEmulator } = require('./ses.js');
  const host = '127.0.0.1';
  const port = await freePortPair(host);
  const { dir, ownsDir } = privateDir(opts.dir, 'ses');
  const logFile = path.join(dir, 'ses.log');
  const spawned = await startSesEmulator({ host, port, logFile, detached: true });
  state.writeRecord(`private-ses-${port}`, {
    name: 'ses',
    pid: spawned.pid,
    match: 'aws-ses-v2-local',
    where: `http://${host}:${port} (private)`,
    log: logFile,
    graceMs: 2_000,
  });
  log(`ses: private emulator up on http://${host}:${port} (pid ${spawned.pid})`);
  /** @type {PrivateSes} */
  const handle = {
    endpoint: `http://${host}:${port}`,
    port,
    dir,
    logFile,
    pid: spawned.pid,
    async stop() {
      if (handle.pid && isOurProcess(handle.pid, 'aws-ses-v2-local')) {
        process.kill(handle.pid, 'SIGCONT'); // a stalled one cannot take its SIGTERM
        await terminate(handle.pid, 2_000, spawned.child);
      }
      handle.pid = null;
      state.removeRecord(`private-ses-${port}`);
      if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

module.exports = {
  startPrivateRedis,
  /** @type {(handle: PrivateRedis, opts?: { keepData?: boolean }) => Promise<void>} */
  stopPrivateRedis: stopPrivate,
  startPrivateSes,
  startPrivateKafka,
  /** @type {(handle: PrivateKafka, opts?: { keepData?: boolean }) => Promise<void>} */
  stopPrivateKafka: stopPrivate,
  startPrivateMariadb,
  /** @type {(handle: PrivateMariadb, opts?: { keepData?: boolean }) => Promise<void>} */
  stopPrivateMariadb: stopPrivate,
};
