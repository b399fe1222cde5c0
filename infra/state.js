// @ts-check
/**
 * What infra.js keeps in <repo>/.infra/: the folders, the pid records of the processes it
 * started (.infra/pids/*.json, all `down()` ever stops) and the lock that serialises `up`/`down`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { InfraError } = require('./lib/errors.js');
const { isAlive, isOurProcess, sleep } = require('./lib/process.js');

const ROOT = path.resolve(__dirname, '..');
const STATE_DIR = path.join(ROOT, '.infra');
const LOG_DIR = path.join(STATE_DIR, 'logs');
const PID_DIR = path.join(STATE_DIR, 'pids');
const RUN_DIR = path.join(STATE_DIR, 'run');
const PRIVATE_DIR = path.join(STATE_DIR, 'private');
const LOCK_FILE = path.join(STATE_DIR, 'infra.lock');

const KAFKA_STOP_GRACE_MS = 15_000;
const MARIADB_STOP_GRACE_MS = 30_000;
const DEFAULT_STOP_GRACE_MS = 5_000;

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

/** @param {string} id @param {Omit<PidRecord, 'startedAt'>} rec */
function writeRecord(id, rec) {
  fs.mkdirSync(PID_DIR, { recursive: true });
  const tmp = `${recordFile(id)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ ...rec, startedAt: new Date().toISOString() }, null, 2)}\n`);
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

/** How `up` reports a component found running: whether infra.js started it. @param {PidRecord | null} rec */
const foundRunning = (rec) => (rec ? `started earlier by infra.js, pid ${rec.pid}` : 'already running, not ours');

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

/** Create the lock file; a release function, or null if someone holds it. @param {string} token */
function tryCreateLock(token) {
  try {
    const fd = fs.openSync(LOCK_FILE, 'wx');
    fs.writeSync(fd, token);
    fs.closeSync(fd);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
    return null;
  }
  return () => {
    try {
      if (fs.readFileSync(LOCK_FILE, 'utf8') === token) fs.unlinkSync(LOCK_FILE);
    } catch {
      /* already gone */
    }
  };
}

/**
 * The holder of the lock, after removing the lock if its holder is gone (then holder is null).
 * @returns {{ holder: number | null }}
 */
function inspectLock() {
  let content;
  let mtime;
  try {
    content = fs.readFileSync(LOCK_FILE, 'utf8');
    mtime = fs.statSync(LOCK_FILE).mtimeMs;
  } catch {
    return { holder: null }; // released meanwhile
  }
  const [pidS, tsS] = content.split(' ');
  const holder = Number(pidS);
  const stale = content
    ? !isAlive(holder) || holder === process.pid || Date.now() - Number(tsS) > 15 * 60_000
    : Date.now() - mtime > 10_000; // a writer that died between create and write
  if (!stale) return { holder };
  try {
    if (fs.readFileSync(LOCK_FILE, 'utf8') === content) fs.unlinkSync(LOCK_FILE);
  } catch {
    /* someone else removed it */
  }
  return { holder: null };
}

/** @param {(msg: string) => void} log @returns {Promise<() => void>} */
async function acquireFileLock(log, timeoutMs = 10 * 60_000) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const token = `${process.pid} ${Date.now()} ${crypto.randomBytes(6).toString('hex')}\n`;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const release = tryCreateLock(token);
    if (release) return release;
    const { holder } = inspectLock();
    if (holder === null) continue;
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

module.exports = {
  ROOT,
  STATE_DIR,
  LOG_DIR,
  PID_DIR,
  RUN_DIR,
  PRIVATE_DIR,
  KAFKA_STOP_GRACE_MS,
  MARIADB_STOP_GRACE_MS,
  DEFAULT_STOP_GRACE_MS,
  logStderr,
  secs,
  rel,
  ensureDirs,
  writeRecord,
  readRecord,
  removeRecord,
  liveRecord,
  recordIds,
  foundRunning,
  withLock,
};
