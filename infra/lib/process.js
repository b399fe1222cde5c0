// @ts-check
/**
 * Process helpers shared by infra/, scripts/ (npm start) and the test support (typed for
 * TypeScript by process.d.ts beside this file): liveness by pid, stopping with a grace period,
 * spawning with output appended to a log, and waiting for a process to answer.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

/** @param {string} name @param {string[]} [extra] @returns {string | null} the executable's path */
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
 * @typedef {object} Spawned
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid                 0 when the spawn failed
 * @property {() => string | null} exited  why it stopped ("exit 1", "signal SIGKILL", a spawn error), or null while it runs
 */

/**
 * Spawn `cmd` with stdout and stderr appended to logFile and remember how it ends.
 * detached: its own process group, not waited for by this one (a server that outlives the caller).
 * @param {string} cmd @param {string[]} args
 * @param {{ logFile?: string, cwd?: string, env?: NodeJS.ProcessEnv, detached?: boolean }} [opts]
 *   logFile: default none (output ignored)
 * @returns {Spawned}
 */
function spawnLogged(cmd, args, opts = {}) {
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const detached = opts.detached ?? false;
  const child = spawn(cmd, args, {
    detached,
    stdio: ['ignore', out, out],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  if (typeof out === 'number') fs.closeSync(out);
  if (detached) child.unref();
  /** @type {string | null} */
  let exited = null;
  child.once('exit', (code, sig) => (exited = sig ? `signal ${sig}` : `exit ${code}`));
  child.once('error', (e) => (exited = e.message));
  return { child, pid: child.pid || 0, exited: () => exited };
}

/**
 * Poll `probe` until it answers true. Fails with what `onExit` makes of the reason once `exited`
 * reports one, or with what `onTimeout` makes once timeoutMs has passed.
 * @param {() => Promise<boolean>} probe
 * @param {{ timeoutMs: number, intervalMs?: number, exited?: () => string | null,
 *   onExit?: (why: string) => Error, onTimeout: () => Error | Promise<Error> }} o
 */
async function waitUntil(probe, { timeoutMs, intervalMs = 100, exited = () => null, onExit, onTimeout }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    const why = exited();
    if (why !== null) throw onExit ? onExit(why) : new Error(`exited during start-up (${why})`);
    if (Date.now() > deadline) throw await onTimeout();
    await sleep(intervalMs);
  }
}

module.exports = { sleep, isAlive, cmdline, isOurProcess, findBin, terminate, lastError, rotateLog, spawnLogged, waitUntil };
