#!/usr/bin/env node
// @ts-check
/**
 * Local infrastructure without containers: a real single-node Apache Kafka (KRaft) run from the
 * Maven Central jars, the machine's MariaDB and Redis, and the aws-ses-v2-local SES v2 emulator.
 *
 *   node infra/infra.js up|down|status
 *
 * or, as a module (jest globalSetup, the platform start script):
 *
 *   const infra = require('./infra/infra.js');
 *   const { env } = await infra.up();          // idempotent, safe to call concurrently
 *
 * State lives in <repo>/.infra/: jars, Kafka data, logs (.infra/logs/*.log) and the pid records
 * (.infra/pids/*.json) of the processes this script started. `down()` stops only those.
 */
/* global AbortSignal */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const STATE_DIR = path.join(ROOT, '.infra');
const LOG_DIR = path.join(STATE_DIR, 'logs');
const PID_DIR = path.join(STATE_DIR, 'pids');
const RUN_DIR = path.join(STATE_DIR, 'run');
const KAFKA_DIR = path.join(STATE_DIR, 'kafka');
const KAFKA_LIBS = path.join(KAFKA_DIR, 'libs');
const PRIVATE_DIR = path.join(STATE_DIR, 'private');
const LOCK_FILE = path.join(STATE_DIR, 'infra.lock');
const POM = path.join(__dirname, 'kafka', 'pom.xml');

/** Kafka topic names the platform uses. */
const TOPIC_APPLICATIONS = 'applications';
const TOPIC_APPLICATIONS_DLQ = 'applications.dlq';
const TOPICS = Object.freeze({ applications: TOPIC_APPLICATIONS, applicationsDlq: TOPIC_APPLICATIONS_DLQ });
const APPLICATIONS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const KAFKA_START_TIMEOUT_MS = 60_000;
const KAFKA_STOP_GRACE_MS = 15_000;
const MARIADB_STOP_GRACE_MS = 30_000;
const DEFAULT_STOP_GRACE_MS = 5_000;

/** An expected failure: the CLI prints only its message (no stack) and exits 1. */
class InfraError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InfraError';
  }
}

// ───────────────────────────── configuration ─────────────────────────────

/**
 * @typedef {object} InfraConfig
 * @property {string[]} kafkaBrokers
 * @property {string} redisUrl
 * @property {string} mysqlUrl
 * @property {string} sesEndpoint
 * @property {number} applicationsPartitions
 */

/** @returns {InfraConfig} configuration from the environment, with the local defaults */
function config() {
  const env = process.env;
  const kafkaBrokers = (env.KAFKA_BROKERS || '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const partitions = Number.parseInt(env.KAFKA_APPLICATIONS_PARTITIONS || '6', 10);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new InfraError(`KAFKA_APPLICATIONS_PARTITIONS must be a positive integer (got "${env.KAFKA_APPLICATIONS_PARTITIONS}")`);
  }
  return {
    kafkaBrokers,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    mysqlUrl: env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/fcfs',
    sesEndpoint: (env.SES_ENDPOINT || 'http://127.0.0.1:8005').replace(/\/+$/, ''),
    applicationsPartitions: partitions,
  };
}

/** @param {string} hostPort @param {number} defPort */
function splitHostPort(hostPort, defPort) {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort.trim());
  if (!m || !m[1]) throw new InfraError(`cannot parse host:port "${hostPort}"`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defPort };
}

/** @param {string} url @param {number} defPort */
function urlHostPort(url, defPort) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new InfraError(`cannot parse URL "${url}"`);
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : defPort, url: u };
}

/** @param {string} host */
function isLocalHost(host) {
  if (['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::'].includes(host) || host.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((list) => (list || []).some((i) => i.address === host));
}

// ───────────────────────────── small helpers ─────────────────────────────

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {string} msg */
function logStderr(msg) {
  process.stderr.write(`${msg}\n`);
}

/** @param {number} t0 */
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** @param {string} p */
const rel = (p) => path.relative(process.cwd(), p) || p;

function ensureDirs() {
  for (const d of [STATE_DIR, LOG_DIR, PID_DIR, RUN_DIR]) fs.mkdirSync(d, { recursive: true });
}

/** @param {number} pid */
function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM';
  }
  // a zombie (exited, not yet reaped) is not alive for our purposes
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc: trust kill(0) */
  }
  return true;
}

/** @param {number} pid @returns {string | null} the process's command line, or null if unknown */
function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

/** Is `pid` alive and (where /proc tells) running a command that contains `match`? */
function isOurProcess(/** @type {number} */ pid, /** @type {string} */ match) {
  if (!isAlive(pid)) return false;
  const cl = cmdline(pid);
  return cl === null || cl.includes(match);
}

/** @param {string} name @param {string[]} [extra] */
function findBin(name, extra = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin']) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), ...extra];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function javaBin() {
  if (process.env.JAVA_HOME) {
    const p = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(p)) return p;
  }
  const p = findBin('java');
  if (!p) throw new InfraError('kafka: Java is not installed: apt-get install openjdk-17-jre-headless (or set JAVA_HOME)');
  return p;
}

/** @param {string} host @param {number} port @param {number} [timeoutMs] @returns {Promise<boolean>} */
function tcpOpen(host, port, timeoutMs = 700) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (/** @type {boolean} */ ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** @param {string} host @param {number} port @returns {Promise<boolean>} can we bind host:port? */
function portFree(host, port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port p such that p and p+1 are both free on host (Kafka uses p+1 for its controller). */
async function freePortPair(host = '127.0.0.1') {
  for (let i = 0; i < 50; i++) {
    const p = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen({ host, port: 0 }, () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (p > 0 && p < 65535 && (await portFree(host, p)) && (await portFree(host, p + 1))) return p;
  }
  throw new InfraError('could not find two free consecutive ports');
}

/** The last lines of a log that look like errors, for a one-line failure message. */
function lastError(/** @type {string} */ file) {
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    fs.closeSync(fd);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    const err = [...lines].reverse().find((l) => /\b(ERROR|FATAL|Exception|Error:|\[ERROR\])/.test(l));
    const line = (err || lines[lines.length - 1] || '').trim();
    return line ? ` (last: ${line.length > 300 ? `${line.slice(0, 300)}…` : line})` : '';
  } catch {
    return '';
  }
}

/** Rotate a log once it grows past 20 MB, so repeated restarts keep the folder small. */
function rotateLog(/** @type {string} */ file) {
  try {
    if (fs.statSync(file).size > 20 * 1024 * 1024) fs.renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
}

/**
 * Send SIGTERM, wait up to graceMs, then SIGKILL (graceMs 0: SIGKILL at once); resolves when the process is gone.
 * @param {number} pid @param {number} graceMs @param {import('node:child_process').ChildProcess} [child]
 */
async function terminate(pid, graceMs, child) {
  const exited = () => (child ? child.exitCode !== null || child.signalCode !== null || !isAlive(pid) : !isAlive(pid));
  try {
    process.kill(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (exited()) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && !exited(); i++) await sleep(100);
}

// ───────────────────────────── pid records ─────────────────────────────

/**
 * @typedef {object} PidRecord
 * @property {string} name      component ("kafka", "redis", "mysql", "ses", "private-kafka-…")
 * @property {number} pid
 * @property {string} match     a substring of its command line (guards against pid reuse)
 * @property {string} where     what it serves (host:port or URL)
 * @property {string} log       its log file
 * @property {number} graceMs   how long SIGTERM may take before SIGKILL
 * @property {string} startedAt ISO time
 */

/** @param {string} id */
const recordFile = (id) => path.join(PID_DIR, `${id}.json`);

/** @param {string} id @param {PidRecord} rec */
function writeRecord(id, rec) {
  fs.mkdirSync(PID_DIR, { recursive: true });
  const tmp = `${recordFile(id)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`);
  fs.renameSync(tmp, recordFile(id));
}

/** @param {string} id @returns {PidRecord | null} */
function readRecord(id) {
  try {
    return JSON.parse(fs.readFileSync(recordFile(id), 'utf8'));
  } catch {
    return null;
  }
}

/** @param {string} id */
function removeRecord(id) {
  fs.rmSync(recordFile(id), { force: true });
}

/** The live process recorded under id, or null (and a stale record is removed). @param {string} id */
function liveRecord(id) {
  const rec = readRecord(id);
  if (!rec) return null;
  if (isOurProcess(rec.pid, rec.match)) return rec;
  removeRecord(id);
  return null;
}

function recordIds() {
  try {
    return fs
      .readdirSync(PID_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

// ───────────────────────────── the lock ─────────────────────────────

let inProcessQueue = Promise.resolve();

/**
 * Run fn holding the exclusive infra lock (one `up`/`down`/jar fetch at a time across processes).
 * @template T @param {() => Promise<T>} fn @param {(msg: string) => void} log @returns {Promise<T>}
 */
async function withLock(fn, log) {
  const prev = inProcessQueue;
  /** @type {() => void} */
  let releaseQueue = () => {};
  inProcessQueue = new Promise((r) => (releaseQueue = r));
  await prev;
  try {
    const release = await acquireFileLock(log);
    try {
      return await fn();
    } finally {
      release();
    }
  } finally {
    releaseQueue();
  }
}

/** @param {(msg: string) => void} log @returns {Promise<() => void>} */
async function acquireFileLock(log, timeoutMs = 10 * 60_000) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const token = `${process.pid} ${Date.now()} ${crypto.randomBytes(6).toString('hex')}\n`;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(LOCK_FILE, 'wx');
      fs.writeSync(fd, token);
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(LOCK_FILE, 'utf8') === token) fs.unlinkSync(LOCK_FILE);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
    }
    let content;
    let mtime;
    try {
      content = fs.readFileSync(LOCK_FILE, 'utf8');
      mtime = fs.statSync(LOCK_FILE).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    const [pidS, tsS] = content.split(' ');
    const holder = Number(pidS);
    const stale = content
      ? !isAlive(holder) || holder === process.pid || Date.now() - Number(tsS) > 15 * 60_000
      : Date.now() - mtime > 10_000; // a writer that died between create and write
    if (stale) {
      try {
        if (fs.readFileSync(LOCK_FILE, 'utf8') === content) fs.unlinkSync(LOCK_FILE);
      } catch {
        /* someone else removed it */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfraError(`infra: timed out waiting for the lock ${rel(LOCK_FILE)} held by pid ${holder}`);
    }
    if (!announced) {
      log(`infra: waiting for another infra.js run (pid ${holder}) to finish…`);
      announced = true;
    }
    await sleep(200);
  }
}

// ───────────────────────────── Kafka ─────────────────────────────

function kafkaVersion() {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  return m ? m[1] : 'unknown';
}

function jarsReady() {
  const marker = path.join(KAFKA_LIBS, '.complete');
  const key = crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
  try {
    return fs.readFileSync(marker, 'utf8').trim() === key;
  } catch {
    return false;
  }
}

/**
 * Fetch the Kafka jars with Maven into .infra/kafka/libs unless they are already there.
 * Callers hold the lock.
 * @param {(msg: string) => void} log
 */
async function fetchKafkaJars(log) {
  if (jarsReady()) return;
  const mvn = findBin('mvn');
  if (!mvn) throw new InfraError('kafka: Maven is not installed (needed once to fetch the Kafka jars): apt-get install maven');
  javaBin();
  const t0 = Date.now();
  log(`kafka: fetching jars (Apache Kafka ${kafkaVersion()}) from Maven Central…`);
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  const tmp = `${KAFKA_LIBS}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const logFile = path.join(LOG_DIR, 'kafka-fetch.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(mvn, ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
    stdio: ['ignore', out, out],
    cwd: path.dirname(POM),
  });
  fs.closeSync(out);
  /** @type {string} */
  const exit = await new Promise((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (code, sig) => resolve(sig ? `signal ${sig}` : `exit ${code}`));
  });
  if (exit !== 'exit 0' || !fs.existsSync(path.join(tmp, `kafka_2.13-${kafkaVersion()}.jar`))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new InfraError(`kafka: fetching the jars with Maven failed (${exit}); see ${rel(logFile)}${lastError(logFile)}`);
  }
  const key = crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
  fs.writeFileSync(path.join(tmp, '.complete'), `${key}\n`);
  fs.rmSync(KAFKA_LIBS, { recursive: true, force: true });
  fs.renameSync(tmp, KAFKA_LIBS);
  log(`kafka: jars fetched (${fs.readdirSync(KAFKA_LIBS).length - 1} jars, ${secs(t0)})`);
}

/** Make sure the jars exist; takes the lock only if they don't. @param {(msg: string) => void} log */
async function ensureKafkaJars(log) {
  if (jarsReady()) return;
  ensureDirs();
  await withLock(() => fetchKafkaJars(log), log);
}

/**
 * Does a Kafka broker answer at these brokers (admin listTopics)?
 * @param {string[]} brokers @param {number} [timeoutMs]
 */
async function kafkaAnswers(brokers, timeoutMs = 2000) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'infra-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Write server.properties and log4j.properties for a broker living in dir.
 * @param {{ dir: string, host: string, port: number, logFile: string, extra?: Record<string, string | number> }} o
 */
function writeKafkaConfig({ dir, host, port, logFile, extra = {} }) {
  fs.mkdirSync(dir, { recursive: true });
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${port + 1}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${port + 1}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(dir, 'data'),
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'min.insync.replicas': 1,
    'default.replication.factor': 1,
    'num.partitions': 1,
    'delete.topic.enable': 'true',
    'log.retention.hours': 168,
    ...extra,
  };
  const serverProps = path.join(dir, 'server.properties');
  fs.writeFileSync(
    serverProps,
    `# written by infra/infra.js: single-node KRaft (broker+controller)\n${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const log4j = path.join(dir, 'log4j.properties');
  fs.writeFileSync(
    log4j,
    [
      '# written by infra/infra.js',
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${logFile}`,
      'log4j.appender.file.Append=true',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.kafka.log.LogCleaner=WARN',
      'log4j.logger.org.apache.kafka.storage.internals.log=WARN',
      'log4j.logger.kafka.log=WARN',
      'log4j.logger.org.apache.kafka.clients=WARN',
      'log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN',
      '',
    ].join('\n'),
  );
  return { serverProps, log4j };
}

/**
 * A KRaft cluster id: 16 random bytes in base64url. Like Kafka's own
 * Uuid.randomUuid(), never one that starts with '-', which the storage tool's
 * argument parser would take for an option (it did, 1 format in 64).
 * @returns {string}
 */
function newKafkaClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (isKafkaClusterId(id)) return id;
  }
}

/** @param {string} id */
function isKafkaClusterId(id) {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id);
}

/**
 * Format a KRaft data dir once (cluster id kept in <dir>/cluster.id).
 * @param {{ dir: string, serverProps: string, log4j: string, logFile: string }} o
 */
function formatKafkaStorage({ dir, serverProps, log4j, logFile }) {
  if (fs.existsSync(path.join(dir, 'data', 'meta.properties'))) return;
  const idFile = path.join(dir, 'cluster.id');
  let clusterId = '';
  try {
    clusterId = fs.readFileSync(idFile, 'utf8').trim();
  } catch {
    /* new */
  }
  if (!isKafkaClusterId(clusterId)) {
    clusterId = newKafkaClusterId();
    fs.writeFileSync(idFile, `${clusterId}\n`);
  }
  const out = fs.openSync(logFile, 'a');
  const r = spawnSync(
    javaBin(),
    [
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      `${KAFKA_LIBS}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      `--cluster-id=${clusterId}`,
      '-c',
      serverProps,
    ],
    { stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  if (r.status !== 0) {
    throw new InfraError(
      `kafka: formatting the storage in ${rel(path.join(dir, 'data'))} failed (exit ${r.status ?? r.signal}); see ${rel(logFile)}${lastError(logFile)}`,
    );
  }
}

/**
 * Spawn a detached broker for dir and wait until it answers.
 * @param {{ dir: string, host: string, port: number, logFile: string, jvm: string[], extra?: Record<string, string | number>, timeoutMs?: number, label: string }} o
 * @returns {Promise<{ pid: number, child: import('node:child_process').ChildProcess }>}
 */
async function launchKafka({ dir, host, port, logFile, jvm, extra, timeoutMs = KAFKA_START_TIMEOUT_MS, label }) {
  const { serverProps, log4j } = writeKafkaConfig({ dir, host, port, logFile, extra });
  rotateLog(logFile);
  formatKafkaStorage({ dir, serverProps, log4j, logFile });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    javaBin(),
    [
      ...jvm,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${log4j}`,
      `-Dkafka.logs.dir=${path.dirname(logFile)}`,
      '-cp',
      `${KAFKA_LIBS}/*`,
      'kafka.Kafka',
      serverProps,
    ],
    { detached: true, stdio: ['ignore', out, out], cwd: dir },
  );
  fs.closeSync(out);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new InfraError(`${label}: could not spawn java; see ${rel(logFile)}`);
  /** @type {string | null} */
  let exited = null;
  child.once('exit', (code, sig) => (exited = sig ? `signal ${sig}` : `exit ${code}`));
  child.once('error', (e) => (exited = e.message));
  const brokers = [`${host}:${port}`];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited)
      throw new InfraError(`${label}: the broker stopped during start-up (${exited}); see ${rel(logFile)}${lastError(logFile)}`);
    if (await kafkaAnswers(brokers, 1500)) return { pid, child };
    if (Date.now() > deadline) {
      await terminate(pid, 5000, child);
      throw new InfraError(
        `${label}: the broker did not answer on ${host}:${port} within ${timeoutMs / 1000} s; see ${rel(logFile)}${lastError(logFile)}`,
      );
    }
    await sleep(250);
  }
}

/** @param {InfraConfig} cfg @param {(msg: string) => void} log */
async function kafkaUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = splitHostPort(cfg.kafkaBrokers[0] || '', 9092);
  const where = cfg.kafkaBrokers.join(',');
  const id = `kafka-${port}`;
  const rec = liveRecord(id);
  if (await kafkaAnswers(cfg.kafkaBrokers)) {
    log(`kafka: up on ${where} (${rec ? `started earlier by infra.js, pid ${rec.pid}` : 'already running, not ours'})`);
    return { brokers: cfg.kafkaBrokers, started: false, pid: rec ? rec.pid : null };
  }
  if (rec) {
    // ours, alive, but not answering: a start-up still in progress (or wedged): give it time
    log(`kafka: waiting for the broker we started earlier (pid ${rec.pid})…`);
    const deadline = Date.now() + KAFKA_START_TIMEOUT_MS;
    while (Date.now() < deadline && isOurProcess(rec.pid, rec.match)) {
      if (await kafkaAnswers(cfg.kafkaBrokers)) {
        log(`kafka: up on ${where} (started earlier by infra.js, pid ${rec.pid}, ${secs(t0)})`);
        return { brokers: cfg.kafkaBrokers, started: false, pid: rec.pid };
      }
      await sleep(300);
    }
    throw new InfraError(
      `kafka: the broker we started (pid ${rec.pid}) does not answer on ${where}; see ${rel(rec.log)}${lastError(rec.log)} — run "node infra/infra.js down" and retry`,
    );
  }
  if (!isLocalHost(host)) {
    throw new InfraError(
      `kafka: nothing answers at ${where}, and ${host} is not this machine, so no broker can be started for it`,
    );
  }
  if (await tcpOpen(host, port)) {
    throw new InfraError(
      `kafka: something listens on ${host}:${port} but does not answer as a Kafka broker; free the port or point KAFKA_BROKERS elsewhere`,
    );
  }
  if (await tcpOpen(host, port + 1)) {
    throw new InfraError(
      `kafka: port ${port + 1} (the controller port, KAFKA_BROKERS port + 1) on ${host} is taken; free it or use another KAFKA_BROKERS port`,
    );
  }
  await fetchKafkaJars(log);
  const dir = path.join(KAFKA_DIR, `broker-${port}`);
  const logFile = path.join(LOG_DIR, `kafka-${port}.log`);
  log(`kafka: starting a KRaft broker on ${host}:${port} (data in ${rel(path.join(dir, 'data'))})…`);
  const serverProps = path.join(dir, 'server.properties');
  const { pid } = await launchKafka({
    dir,
    host,
    port,
    logFile,
    jvm: ['-Xms256m', '-Xmx512m'],
    label: 'kafka',
  });
  writeRecord(id, {
    name: 'kafka',
    pid,
    match: serverProps,
    where: `${host}:${port}`,
    log: logFile,
    graceMs: KAFKA_STOP_GRACE_MS,
    startedAt: new Date().toISOString(),
  });
  log(`kafka: up on ${host}:${port} (started, pid ${pid}, ${secs(t0)})`);
  return { brokers: cfg.kafkaBrokers, started: true, pid };
}

/**
 * Create the platform's topics if missing (idempotent).
 * @param {string[]} brokers @param {number} partitions @param {(msg: string) => void} log
 */
/**
 * Waits until every partition of `topics` has a leader. kafkajs's own `waitForLeaders`
 * gives up on "This server does not host this topic-partition", which a broker that has
 * just started answers for a moment after creating a topic.
 * @param {import('kafkajs').Admin} admin
 * @param {string[]} topics
 */
async function waitForLeaders(admin, topics, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics });
      if (md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`no leader for ${topics.join(', ')} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ensureTopics(brokers, partitions, log) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({ clientId: 'infra-topics', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const wanted = [
      {
        topic: TOPIC_APPLICATIONS,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: String(APPLICATIONS_RETENTION_MS) }],
      },
      { topic: TOPIC_APPLICATIONS_DLQ, numPartitions: 1, replicationFactor: 1 },
    ];
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length) {
      await admin.createTopics({ topics: missing, waitForLeaders: false, timeout: 15_000 });
      await waitForLeaders(
        admin,
        missing.map((t) => t.topic),
      );
      log(
        `kafka: created topics ${missing.map((t) => `${t.topic} (${t.numPartitions} partition${t.numPartitions === 1 ? '' : 's'})`).join(', ')}`,
      );
    }
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC_APPLICATIONS] });
    const have = md.topics[0]?.partitions.length ?? 0;
    if (have !== partitions) {
      log(
        `kafka: warning: topic ${TOPIC_APPLICATIONS} has ${have} partitions, KAFKA_APPLICATIONS_PARTITIONS asks for ${partitions} (left as is)`,
      );
    }
  } catch (e) {
    throw new InfraError(`kafka: creating the topics on ${brokers.join(',')} failed: ${/** @type {Error} */ (e).message}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ───────────────────────────── Redis ─────────────────────────────

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

/** @param {InfraConfig} cfg @param {(msg: string) => void} log */
async function redisUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = urlHostPort(cfg.redisUrl, 6379);
  const id = `redis-${port}`;
  const rec = liveRecord(id);
  if (await redisAnswers(cfg.redisUrl)) {
    log(`redis: up on ${host}:${port} (${rec ? `started earlier by infra.js, pid ${rec.pid}` : 'already running, not ours'})`);
    return { url: cfg.redisUrl, started: false, pid: rec ? rec.pid : null };
  }
  const bin = findBin('redis-server');
  if (!bin)
    throw new InfraError(
      `redis: nothing answers at ${cfg.redisUrl} and redis-server is not installed: apt-get install redis-server (or start Redis there)`,
    );
  if (!isLocalHost(host))
    throw new InfraError(`redis: nothing answers at ${cfg.redisUrl}, and ${host} is not this machine: start Redis there`);
  if (await tcpOpen(host, port)) throw new InfraError(`redis: something listens on ${host}:${port} but does not answer PING`);
  const dir = path.join(STATE_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(LOG_DIR, 'redis.log');
  const pidFile = path.join(RUN_DIR, `redis-${port}.pid`);
  fs.rmSync(pidFile, { force: true });
  log(`redis: starting redis-server on ${host}:${port}…`);
  // a fixed process title "redis-server host:port" is what we match on later
  const r = spawnSync(
    bin,
    [
      '--daemonize',
      'yes',
      '--bind',
      host,
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      logFile,
      '--pidfile',
      pidFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (r.status !== 0)
    throw new InfraError(
      `redis: redis-server failed to start (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim()}; see ${rel(logFile)}`,
    );
  const deadline = Date.now() + 15_000;
  while (!(await redisAnswers(cfg.redisUrl))) {
    if (Date.now() > deadline)
      throw new InfraError(
        `redis: redis-server did not answer on ${host}:${port} within 15 s; see ${rel(logFile)}${lastError(logFile)}`,
      );
    await sleep(100);
  }
  let pid = 0;
  for (let i = 0; i < 20 && !pid; i++) {
    pid = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10) || 0;
    if (!pid) await sleep(50);
  }
  if (pid) {
    writeRecord(id, {
      name: 'redis',
      pid,
      match: 'redis-server',
      where: `${host}:${port}`,
      log: logFile,
      graceMs: DEFAULT_STOP_GRACE_MS,
      startedAt: new Date().toISOString(),
    });
  }
  log(`redis: up on ${host}:${port} (started, pid ${pid || '?'}, ${secs(t0)})`);
  return { url: cfg.redisUrl, started: true, pid: pid || null };
}

// ───────────────────────────── MySQL / MariaDB ─────────────────────────────

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

/** @param {InfraConfig} cfg @param {(msg: string) => void} log */
async function mysqlUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = mysqlParts(cfg.mysqlUrl);
  const id = `mysql-${port}`;
  const rec = liveRecord(id);
  let started = false;
  let pid = rec ? rec.pid : null;
  if (await mysqlAnswers(cfg.mysqlUrl)) {
    log(`mysql: up on ${host}:${port} (${rec ? `started earlier by infra.js, pid ${rec.pid}` : 'already running, not ours'})`);
  } else {
    const bin = findBin('mariadbd') || findBin('mysqld');
    if (!bin)
      throw new InfraError(
        `mysql: nothing answers at ${host}:${port} and MariaDB is not installed: apt-get install mariadb-server (or start MySQL/MariaDB there)`,
      );
    if (!isLocalHost(host))
      throw new InfraError(
        `mysql: nothing answers at ${host}:${port}, and ${host} is not this machine: start MySQL/MariaDB there`,
      );
    if (await tcpOpen(host, port))
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
    // the Debian packaging creates the socket dir at boot; a container-like machine may lack it
    if (!fs.existsSync('/run/mysqld')) {
      fs.mkdirSync('/run/mysqld', { recursive: true });
      spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
    }
    const logFile = path.join(LOG_DIR, 'mariadb.log');
    const pidFile = path.join(RUN_DIR, `mariadb-${port}.pid`);
    log(`mysql: starting MariaDB (${bin}) on port ${port}…`);
    const r = spawnSync(
      ssd,
      [
        '--start',
        '--oknodo',
        '--background',
        '--make-pidfile',
        '--pidfile',
        pidFile,
        '--output',
        logFile,
        '--exec',
        bin,
        '--',
        `--port=${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new InfraError(
        `mysql: start-stop-daemon could not start ${bin} (exit ${r.status ?? r.signal}): ${(r.stderr || '').trim()}`,
      );
    pid = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10) || null;
    if (pid) {
      writeRecord(id, {
        name: 'mysql',
        pid,
        match: 'mariadbd',
        where: `${host}:${port}`,
        log: logFile,
        graceMs: MARIADB_STOP_GRACE_MS,
        startedAt: new Date().toISOString(),
      });
    }
    const deadline = Date.now() + 60_000;
    while (!(await mysqlAnswers(cfg.mysqlUrl))) {
      if (Date.now() > deadline || (pid && !isAlive(pid))) {
        throw new InfraError(
          `mysql: MariaDB did not come up on ${host}:${port}; see ${rel(logFile)} and the server's log-error (e.g. /var/log/mysql/error.log)${lastError(logFile)}`,
        );
      }
      await sleep(200);
    }
    started = true;
    log(`mysql: up on ${host}:${port} (started, pid ${pid || '?'}, ${secs(t0)})`);
  }
  await ensureDatabase(cfg.mysqlUrl, log);
  return { url: cfg.mysqlUrl, started, pid };
}

// ───────────────────────────── SES v2 emulator ─────────────────────────────

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

function sesCli() {
  try {
    return require.resolve('aws-ses-v2-local/dist/cli.js', { paths: [ROOT] });
  } catch {
    const p = path.join(ROOT, 'node_modules', '.bin', 'aws-ses-v2-local');
    if (fs.existsSync(p)) return fs.realpathSync(p);
    throw new InfraError('ses: the aws-ses-v2-local emulator is not installed: run npm install at the repository root');
  }
}

/** @param {InfraConfig} cfg @param {(msg: string) => void} log */
async function sesUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = urlHostPort(cfg.sesEndpoint, 80);
  const id = `ses-${port}`;
  const rec = liveRecord(id);
  if (await sesAnswers(cfg.sesEndpoint)) {
    log(`ses: up on ${cfg.sesEndpoint} (${rec ? `started earlier by infra.js, pid ${rec.pid}` : 'already running, not ours'})`);
    return { endpoint: cfg.sesEndpoint, started: false, pid: rec ? rec.pid : null };
  }
  if (rec) {
    await terminate(rec.pid, DEFAULT_STOP_GRACE_MS);
    removeRecord(id);
  }
  if (!isLocalHost(host))
    throw new InfraError(`ses: nothing answers at ${cfg.sesEndpoint}/store, and ${host} is not this machine`);
  if (await tcpOpen(host, port))
    throw new InfraError(
      `ses: something listens on ${host}:${port} but GET /store does not answer; free the port or set SES_ENDPOINT`,
    );
  const cli = sesCli();
  const logFile = path.join(LOG_DIR, 'ses.log');
  rotateLog(logFile);
  log(`ses: starting aws-ses-v2-local on ${host}:${port}…`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [cli, '--host', host, '--port', String(port)], {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: ROOT,
  });
  fs.closeSync(out);
  child.unref();
  /** @type {string | null} */
  let exited = null;
  child.once('exit', (code, sig) => (exited = sig ? `signal ${sig}` : `exit ${code}`));
  child.once('error', (e) => (exited = e.message));
  const pid = child.pid || 0;
  const deadline = Date.now() + 20_000;
  while (!(await sesAnswers(cfg.sesEndpoint))) {
    if (exited)
      throw new InfraError(`ses: the emulator stopped during start-up (${exited}); see ${rel(logFile)}${lastError(logFile)}`);
    if (Date.now() > deadline) {
      await terminate(pid, 2000, child);
      throw new InfraError(
        `ses: the emulator did not answer ${cfg.sesEndpoint}/store within 20 s; see ${rel(logFile)}${lastError(logFile)}`,
      );
    }
    await sleep(150);
  }
  writeRecord(id, {
    name: 'ses',
    pid,
    match: 'aws-ses-v2-local',
    where: cfg.sesEndpoint,
    log: logFile,
    graceMs: DEFAULT_STOP_GRACE_MS,
    startedAt: new Date().toISOString(),
  });
  log(`ses: up on ${cfg.sesEndpoint} (started, pid ${pid}, ${secs(t0)})`);
  return { endpoint: cfg.sesEndpoint, started: true, pid };
}

// ───────────────────────────── up / down / status ─────────────────────────────

/** @typedef {'kafka' | 'redis' | 'mysql' | 'ses'} Component */
const COMPONENTS = /** @type {Component[]} */ (['kafka', 'redis', 'mysql', 'ses']);

/**
 * @typedef {object} UpResult
 * @property {{ brokers: string[], started: boolean, pid: number | null, topics: typeof TOPICS } | undefined} kafka
 * @property {{ url: string, started: boolean, pid: number | null } | undefined} redis
 * @property {{ url: string, started: boolean, pid: number | null } | undefined} mysql
 * @property {{ endpoint: string, started: boolean, pid: number | null } | undefined} ses
 * @property {{ KAFKA_BROKERS: string, REDIS_URL: string, MYSQL_URL: string, SES_ENDPOINT: string }} env
 */

/**
 * Start whatever is missing; idempotent and safe to call from several processes at once.
 * @param {{ quiet?: boolean, only?: Component[] }} [opts]
 *   quiet: no progress lines; only: a subset of the components (default all four)
 * @returns {Promise<UpResult>}
 */
async function up(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  const only = new Set(opts.only && opts.only.length ? opts.only : COMPONENTS);
  for (const c of only)
    if (!COMPONENTS.includes(c)) throw new InfraError(`unknown component "${c}" (known: ${COMPONENTS.join(', ')})`);
  const cfg = config();
  ensureDirs();
  return withLock(async () => {
    const tasks = {
      kafka: only.has('kafka')
        ? kafkaUp(cfg, log).then(async (k) => {
            await ensureTopics(cfg.kafkaBrokers, cfg.applicationsPartitions, log);
            return { ...k, topics: TOPICS };
          })
        : undefined,
      redis: only.has('redis') ? redisUp(cfg, log) : undefined,
      mysql: only.has('mysql') ? mysqlUp(cfg, log) : undefined,
      ses: only.has('ses') ? sesUp(cfg, log) : undefined,
    };
    const names = /** @type {Component[]} */ (Object.keys(tasks));
    const settled = await Promise.allSettled(names.map((n) => tasks[n]));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    if (failures.length) {
      const unexpected = failures.find((f) => !(f instanceof InfraError));
      if (unexpected && failures.length === 1) throw unexpected;
      throw new InfraError(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
    }
    /** @type {any} */
    const result = {};
    names.forEach((n, i) => {
      const s = settled[i];
      result[n] = s && s.status === 'fulfilled' ? s.value : undefined;
    });
    result.env = {
      KAFKA_BROKERS: cfg.kafkaBrokers.join(','),
      REDIS_URL: cfg.redisUrl,
      MYSQL_URL: cfg.mysqlUrl,
      SES_ENDPOINT: cfg.sesEndpoint,
    };
    return /** @type {UpResult} */ (result);
  }, log);
}

/**
 * Stop only what infra.js started (by pid record): SIGTERM, wait, SIGKILL after a grace period.
 * Also stops leftover private brokers/databases started by startPrivateKafka/startPrivateMariadb.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<{ stopped: { name: string, pid: number, where: string }[] }>}
 */
async function down(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  return withLock(async () => {
    /** @type {{ name: string, pid: number, where: string }[]} */
    const stopped = [];
    const order = (/** @type {string} */ id) =>
      id.startsWith('ses') ? 0 : id.startsWith('private') ? 1 : id.startsWith('kafka') ? 2 : 3;
    const ids = recordIds().sort((a, b) => order(a) - order(b));
    await Promise.all(
      ids.map(async (id) => {
        const rec = readRecord(id);
        if (!rec) return removeRecord(id);
        if (!isOurProcess(rec.pid, rec.match)) {
          log(`${rec.name}: pid ${rec.pid} already gone (record removed)`);
          return removeRecord(id);
        }
        const t0 = Date.now();
        await terminate(rec.pid, rec.graceMs || DEFAULT_STOP_GRACE_MS);
        removeRecord(id);
        stopped.push({ name: rec.name, pid: rec.pid, where: rec.where });
        log(`${rec.name}: stopped (pid ${rec.pid}, ${rec.where}, ${secs(t0)})`);
      }),
    );
    if (!stopped.length) log('infra: nothing to stop (nothing running was started by infra.js)');
    return { stopped };
  }, log);
}

/**
 * @typedef {object} ComponentStatus
 * @property {Component} name
 * @property {boolean} up
 * @property {string} where
 * @property {boolean} ours   started by infra.js (and still alive)
 * @property {number | null} pid
 */

/**
 * Print one line per component (up/down, where, whether infra.js started it) and return the same.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<ComponentStatus[]>}
 */
async function status(opts = {}) {
  const cfg = config();
  const k = splitHostPort(cfg.kafkaBrokers[0] || '', 9092);
  const r = urlHostPort(cfg.redisUrl, 6379);
  const m = mysqlParts(cfg.mysqlUrl);
  const s = urlHostPort(cfg.sesEndpoint, 80);
  const probes = [
    {
      name: /** @type {Component} */ ('kafka'),
      where: cfg.kafkaBrokers.join(','),
      id: `kafka-${k.port}`,
      probe: () => kafkaAnswers(cfg.kafkaBrokers),
    },
    {
      name: /** @type {Component} */ ('redis'),
      where: `${r.host}:${r.port}`,
      id: `redis-${r.port}`,
      probe: () => redisAnswers(cfg.redisUrl).catch(() => true),
    },
    {
      name: /** @type {Component} */ ('mysql'),
      where: `${m.host}:${m.port}/${m.database}`,
      id: `mysql-${m.port}`,
      probe: () => mysqlAnswers(cfg.mysqlUrl).catch(() => true),
    },
    {
      name: /** @type {Component} */ ('ses'),
      where: cfg.sesEndpoint,
      id: `ses-${s.port}`,
      probe: () => sesAnswers(cfg.sesEndpoint),
    },
  ];
  const out = await Promise.all(
    probes.map(async (p) => {
      const isUp = await p.probe();
      const rec = liveRecord(p.id);
      return { name: p.name, up: isUp, where: p.where, ours: !!rec, pid: rec ? rec.pid : null };
    }),
  );
  if (!opts.quiet) {
    for (const c of out) {
      const who = c.ours ? `started by infra.js (pid ${c.pid})` : c.up ? 'not started by infra.js' : '';
      process.stdout.write(
        `${c.name.padEnd(6)} ${(c.up ? 'up' : 'down').padEnd(5)} ${c.where.padEnd(32)} ${who}`.trimEnd() + '\n',
      );
    }
    for (const id of recordIds().filter((i) => i.startsWith('private-'))) {
      const rec = liveRecord(id);
      if (rec)
        process.stdout.write(
          `${rec.name.padEnd(6)} up    ${rec.where.padEnd(32)} private, started by infra.js (pid ${rec.pid})\n`,
        );
    }
  }
  return out;
}

// ───────────────────────────── private brokers / databases for failure tests ─────────────────────────────

/**
 * @typedef {object} PrivateKafka
 * @property {string[]} brokers       e.g. ['127.0.0.1:41234'] (kafkajs `brokers`)
 * @property {number} port            its PLAINTEXT port (the controller uses port + 1)
 * @property {string} dir             its data/config dir
 * @property {string} logFile
 * @property {number | null} pid      null while stopped
 * @property {() => Promise<void>} start  start it again on the same dir and port (no-op if running)
 * @property {() => Promise<void>} stop   clean shutdown (SIGTERM, SIGKILL after ~15 s)
 * @property {() => Promise<void>} kill   hard crash (SIGKILL)
 */

/**
 * Start an extra throwaway single-node KRaft broker (same jars, own data dir and port).
 * @param {{ port?: number, dir?: string, host?: string, timeoutMs?: number, quiet?: boolean, config?: Record<string, string | number> }} [opts]
 *   port: default a free one; dir: default a new dir under .infra/private/ (removed by stopPrivateKafka);
 *   config: extra server.properties entries
 * @returns {Promise<PrivateKafka>}
 */
async function startPrivateKafka(opts = {}) {
  const log = opts.quiet ? () => {} : logStderr;
  ensureDirs();
  await ensureKafkaJars(log);
  const host = opts.host || '127.0.0.1';
  const autoPort = !opts.port;
  let port = opts.port || (await freePortPair(host));
  const ownsDir = !opts.dir;
  if (!opts.dir) fs.mkdirSync(PRIVATE_DIR, { recursive: true });
  const dir = path.resolve(opts.dir || fs.mkdtempSync(path.join(PRIVATE_DIR, 'kafka-')));
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'kafka.log');
  const serverProps = path.join(dir, 'server.properties');
  const pidFile = path.join(dir, 'kafka.pid');
  const extra = {
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    // after a kill() the restarted broker must wait for its old registration to expire: keep that short
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
    ...(opts.config || {}),
  };

  // a broker left running on this dir by an earlier (crashed) test run
  const leftover = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10);
  if (leftover && isOurProcess(leftover, serverProps)) await terminate(leftover, KAFKA_STOP_GRACE_MS);

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
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
      const launched = await launchKafka({
        dir,
        host,
        port,
        logFile,
        jvm: ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'],
        extra,
        timeoutMs: opts.timeoutMs,
        label: `private kafka ${host}:${port}`,
      });
      child = launched.child;
      handle.pid = launched.pid;
      fs.writeFileSync(pidFile, `${launched.pid}\n`);
      writeRecord(`private-kafka-${port}`, {
        name: 'kafka',
        pid: launched.pid,
        match: serverProps,
        where: `${host}:${port} (private, ${rel(dir)})`,
        log: logFile,
        graceMs: KAFKA_STOP_GRACE_MS,
        startedAt: new Date().toISOString(),
      });
      log(`kafka: private broker up on ${host}:${port} (pid ${launched.pid}, ${secs(t0)})`);
    },
    async stop() {
      const pid = handle.pid;
      if (pid && isOurProcess(pid, serverProps)) await terminate(pid, KAFKA_STOP_GRACE_MS, child);
      handle.pid = null;
      fs.rmSync(pidFile, { force: true });
      removeRecord(`private-kafka-${port}`);
    },
    async kill() {
      const pid = handle.pid;
      if (pid && isOurProcess(pid, serverProps)) await terminate(pid, 0, child);
      handle.pid = null;
      fs.rmSync(pidFile, { force: true });
      removeRecord(`private-kafka-${port}`);
    },
  };
  Object.defineProperty(handle, 'ownsDir', { value: ownsDir, enumerable: false });

  for (let attempt = 1; ; attempt++) {
    try {
      await handle.start();
      return handle;
    } catch (e) {
      // another process may have grabbed the free port we picked: pick again
      const taken = fs.existsSync(logFile) && /Address already in use|BindException/.test(fs.readFileSync(logFile, 'utf8'));
      if (!autoPort || !taken || attempt >= 3) throw e;
      port = await freePortPair(host);
      handle.port = port;
      handle.brokers = [`${host}:${port}`];
      fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
      fs.rmSync(logFile, { force: true });
    }
  }
}

/**
 * Stop a private broker for good; removes its dir if startPrivateKafka created it.
 * @param {PrivateKafka} handle @param {{ keepData?: boolean }} [opts]
 */
async function stopPrivateKafka(handle, opts = {}) {
  await handle.stop();
  if (/** @type {any} */ (handle).ownsDir && !opts.keepData) fs.rmSync(handle.dir, { recursive: true, force: true });
}

/**
 * @typedef {object} PrivateMariadb
 * @property {string} url           mysql://root@127.0.0.1:<port>/<database> (root, empty password)
 * @property {number} port
 * @property {string} dir
 * @property {string} logFile
 * @property {number | null} pid    null while stopped
 * @property {() => Promise<void>} start  start again on the same data dir (no-op if running)
 * @property {() => Promise<void>} stop   clean shutdown (SIGTERM, SIGKILL after ~30 s)
 * @property {() => Promise<void>} kill   hard crash (SIGKILL)
 */

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
  const ownsDir = !opts.dir;
  if (!opts.dir) fs.mkdirSync(PRIVATE_DIR, { recursive: true });
  const dir = path.resolve(opts.dir || fs.mkdtempSync(path.join(PRIVATE_DIR, 'mariadb-')));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'mariadb.log');
  const pidFile = path.join(dir, 'mariadbd.pid');
  let socket = path.join(dir, 'mysqld.sock');
  if (socket.length > 100)
    socket = path.join(os.tmpdir(), `fcfs-mariadb-${crypto.createHash('sha1').update(dir).digest('hex').slice(0, 12)}.sock`);
  const database = opts.database ?? mysqlParts(config().mysqlUrl).database;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const url = `mysql://root@${host}:${port}/${encodeURIComponent(database)}`;

  if (!fs.existsSync(path.join(dataDir, 'mysql'))) {
    const t0 = Date.now();
    const r = spawnSync(
      installDb,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...(asRoot ? ['--user=root'] : []),
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
  const match = `--datadir=${dataDir}`;
  const leftover = Number.parseInt(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '', 10);
  if (leftover && isOurProcess(leftover, match)) await terminate(leftover, MARIADB_STOP_GRACE_MS);

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {PrivateMariadb} */
  const handle = {
    url,
    port,
    dir,
    logFile,
    pid: null,
    async start() {
      if (handle.pid && isOurProcess(handle.pid, match)) return;
      const t0 = Date.now();
      const out = fs.openSync(logFile, 'a');
      child = spawn(
        mariadbd,
        [
          '--no-defaults',
          match,
          `--port=${port}`,
          `--bind-address=${host}`,
          `--socket=${socket}`,
          `--pid-file=${pidFile}`,
          `--log-error=${logFile}`,
          '--skip-log-bin',
          '--skip-name-resolve',
          '--innodb-buffer-pool-size=64M',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_unicode_ci',
          '--max-connections=500',
          ...(asRoot ? ['--user=root'] : []),
        ],
        { detached: true, stdio: ['ignore', out, out], cwd: dir },
      );
      fs.closeSync(out);
      child.unref();
      const pid = child.pid || 0;
      /** @type {string | null} */
      let exited = null;
      child.once('exit', (code, sig) => (exited = sig ? `signal ${sig}` : `exit ${code}`));
      child.once('error', (e) => (exited = e.message));
      const deadline = Date.now() + (opts.timeoutMs || 60_000);
      const rootUrl = `mysql://root@${host}:${port}/`;
      while (!(await mysqlAnswers(rootUrl))) {
        if (exited)
          throw new InfraError(
            `mysql: private MariaDB on port ${port} stopped during start-up (${exited}); see ${rel(logFile)}${lastError(logFile)}`,
          );
        if (Date.now() > deadline) {
          await terminate(pid, 5000, child);
          throw new InfraError(
            `mysql: private MariaDB did not answer on ${host}:${port}; see ${rel(logFile)}${lastError(logFile)}`,
          );
        }
        await sleep(100);
      }
      handle.pid = pid;
      writeRecord(`private-mariadb-${port}`, {
        name: 'mysql',
        pid,
        match,
        where: `${host}:${port} (private, ${rel(dir)})`,
        log: logFile,
        graceMs: MARIADB_STOP_GRACE_MS,
        startedAt: new Date().toISOString(),
      });
      if (database) await ensureDatabase(url, () => {});
      log(`mysql: private MariaDB up on ${host}:${port} (pid ${pid}, ${secs(t0)})`);
    },
    async stop() {
      const pid = handle.pid;
      if (pid && isOurProcess(pid, match)) await terminate(pid, MARIADB_STOP_GRACE_MS, child);
      handle.pid = null;
      removeRecord(`private-mariadb-${port}`);
    },
    async kill() {
      const pid = handle.pid;
      if (pid && isOurProcess(pid, match)) await terminate(pid, 0, child);
      handle.pid = null;
      removeRecord(`private-mariadb-${port}`);
    },
  };
  Object.defineProperty(handle, 'ownsDir', { value: ownsDir, enumerable: false });
  await handle.start();
  return handle;
}

/**
 * Stop a private MariaDB for good; removes its dir if startPrivateMariadb created it.
 * @param {PrivateMariadb} handle @param {{ keepData?: boolean }} [opts]
 */
async function stopPrivateMariadb(handle, opts = {}) {
  await handle.stop();
  if (/** @type {any} */ (handle).ownsDir && !opts.keepData) fs.rmSync(handle.dir, { recursive: true, force: true });
}

module.exports = {
  up,
  down,
  status,
  config,
  startPrivateKafka,
  stopPrivateKafka,
  startPrivateMariadb,
  stopPrivateMariadb,
  kafkaAnswers,
  waitForLeaders,
  InfraError,
  TOPICS,
  newKafkaClusterId,
  TOPIC_APPLICATIONS,
  TOPIC_APPLICATIONS_DLQ,
  STATE_DIR,
  LOG_DIR,
};

// ───────────────────────────── CLI ─────────────────────────────

if (require.main === module) {
  const cmd = process.argv[2];
  /** @type {Record<string, () => Promise<unknown>>} */
  const commands = { up: () => up(), down: () => down(), status: () => status() };
  const run = cmd ? commands[cmd] : undefined;
  if (!run) {
    process.stderr.write('usage: node infra/infra.js up|down|status\n');
    process.exit(2);
  }
  const t0 = Date.now();
  run().then(
    () => {
      if (cmd === 'up') logStderr(`infra: all up (${secs(t0)})`);
      process.exit(0);
    },
    (e) => {
      logStderr(e instanceof InfraError ? e.message : `infra ${cmd} failed unexpectedly: ${(e && e.stack) || e}`);
      process.exit(1);
    },
  );
}
