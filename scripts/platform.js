// @ts-check
/**
 * The whole platform on one machine: the missing infrastructure (infra/infra.js), the
 * migrations, then auth, event, issuer and the BFF as child processes (parts.js), each waited
 * for until it is ready. Used by `npm start` (scripts/start.js) and by the load test:
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
const { spawnSync } = require('node:child_process');
const { canListen, hasListener } = require('../infra/lib/net.js');
const { sleep } = require('../infra/lib/process.js');
const { ROOT, LOG_DIR, PARTS, STOP_ORDER, partNamed, hostForUrl, spawnPart, waitReady, stopPart } = require('./parts.js');

/** The development defaults every part gets unless the environment says otherwise. */
const DEFAULT_ENV = Object.freeze({
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  /** Admins are configured e-mail addresses; this one signs in as admin in development. */
  AUTH_ADMIN_EMAILS: 'admin@fcfs.local',
  AUTH_ADDRESS: '127.0.0.1:7051',
  EVENT_ADDRESS: '127.0.0.1:7052',
  ISSUER_ADDRESS: '127.0.0.1:7053',
  BFF_HOST: '127.0.0.1',
  BFF_PORT: '4000',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
});

const PER_PART_KEYS = ['GRPC_HOST', 'GRPC_PORT', 'METRICS_PORT'];

/** How long a port held only by a closed connection's TIME_WAIT is waited for (Linux keeps it 60 s). */
const TIME_WAIT_GRACE_MS = 75_000;

/**
 * Refuses to start over another process's ports: its health check would answer for
 * ours, and the platform would report "up" while our part died on EADDRINUSE.
 * A port in Linux's ephemeral range (32768-60999) can be held with nobody listening: by the local
 * end of an outgoing connection, or one closed a moment ago and now in TIME_WAIT. Such a port is
 * waited for, not refused. (The local platform's own ports lie below that range for this reason:
 * the services' default gRPC ports, 50051-50053, do not.)
 * @param {{ what: string, host: string, port: number }[]} wanted
 * @param {(line: string) => void} [log]
 */
async function assertPortsFree(wanted, log = () => undefined) {
  const deadline = Date.now() + TIME_WAIT_GRACE_MS;
  let told = false;
  for (;;) {
    /** @type {string[]} */
    const busy = [];
    /** @type {string[]} */
    const held = [];
    for (const { what, host, port } of wanted) {
      if (!port || (await canListen(host, port))) continue;
      ((await hasListener(host, port, 1_000)) ? busy : held).push(`${what} ${host}:${port}`);
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
    await sleep(1_000);
  }
}

/**
 * The environment every part shares, and each part's own on top of it.
 * @param {Record<string, string>} infraEnv what infra.up() answered
 * @param {Record<string, string>} overrides @param {Partial<Record<string, Record<string, string>>>} partOverrides
 */
function environment(infraEnv, overrides, partOverrides) {
  /** @type {Record<string, string>} */
  const shared = {};
  for (const [key, value] of Object.entries({ ...DEFAULT_ENV, ...process.env, ...infraEnv, ...overrides })) {
    if (value !== undefined && !PER_PART_KEYS.includes(key)) shared[key] = String(value);
  }
  /** @param {import('./parts.js').Part} part @returns {Record<string, string>} */
  const envOf = (part) => {
    /** @type {Record<string, string>} */
    const own = { ...part.ports };
    for (const key of PER_PART_KEYS) {
      const specific = process.env[`${part.name.toUpperCase()}_${key}`];
      if (specific) own[key] = specific;
    }
    return { ...shared, ...own, ...(partOverrides[part.name] ?? {}) };
  };
  // The services find each other at their own gRPC ports.
  const portOf = (/** @type {string} */ name) => envOf(partNamed(name)).GRPC_PORT;
  shared.AUTH_ADDRESS = overrides.AUTH_ADDRESS ?? `127.0.0.1:${portOf('auth')}`;
  shared.EVENT_ADDRESS = overrides.EVENT_ADDRESS ?? `127.0.0.1:${portOf('event')}`;
  shared.ISSUER_ADDRESS = overrides.ISSUER_ADDRESS ?? `127.0.0.1:${portOf('issuer')}`;
  return { shared, envOf };
}

/** Every port a part will listen on. @param {(part: import('./parts.js').Part) => Record<string, string>} envOf */
function listenersOf(envOf) {
  return PARTS.flatMap((part) => {
    const env = envOf(part);
    return part.name === 'bff'
      ? [{ what: 'bff HTTP', host: env.BFF_HOST ?? '127.0.0.1', port: Number(env.BFF_PORT) }]
      : [
          { what: `${part.name} gRPC`, host: env.GRPC_HOST ?? '127.0.0.1', port: Number(env.GRPC_PORT) },
          { what: `${part.name} metrics`, host: env.GRPC_HOST ?? '127.0.0.1', port: Number(env.METRICS_PORT) },
        ];
  });
}

/** @param {Record<string, string>} env */
function migrate(env) {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'packages/db/dist/cli.js'), 'up'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stderr || run.stdout}`);
}

/**
 * Starts the parts in dependency order (auth; event and issuer; the BFF); on a failure, stops what started.
 * @param {(part: import('./parts.js').Part) => Record<string, string>} envOf
 * @param {(line: string) => void} log @param {'summary' | 'inherit' | 'quiet'} stdio
 * @param {(name: string, code: number | null) => void} onUnexpectedExit
 */
async function startParts(envOf, log, stdio, onUnexpectedExit) {
  /** @type {Map<string, import('./parts.js').Child>} */
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
      await stopPart(child);
      log(`platform: ${name} stopped`);
    }
  };
  /** @param {string[]} group */
  const startGroup = (group) =>
    Promise.all(
      group.map(async (name) => {
        const part = partNamed(name);
        const child = spawnPart(part, envOf(part), io);
        children.set(name, child);
        await waitReady(child, part.ready(envOf(part)));
        log(`platform: ${name} ready (pid ${child.proc.pid})`);
      }),
    );
  try {
    await startGroup(['auth']);
    await startGroup(['event', 'issuer']);
    await startGroup(['bff']);
  } catch (err) {
    await stop();
    throw err;
  }
  return { children, stop };
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

  for (const part of PARTS) {
    if (!fs.existsSync(path.join(ROOT, part.main))) throw new Error(`${part.main} is missing: run \`npm run build\` first`);
  }

  const infra = require('../infra/infra.js');
  log('platform: starting the infrastructure (Kafka, MariaDB, Redis, SES emulator)...');
  const up = await infra.up();
  const { shared, envOf } = environment(up.env, overrides, partOverrides);
  await assertPortsFree(listenersOf(envOf), (line) => log(`platform: ${line}`));

  log('platform: running the migrations...');
  migrate(shared);
  const { children, stop } = await startParts(envOf, log, stdio, onUnexpectedExit);

  const bffEnv = envOf(partNamed('bff'));
  return {
    bffUrl: `http://${hostForUrl(bffEnv.BFF_HOST ?? '127.0.0.1')}:${bffEnv.BFF_PORT}/graphql`,
    sesUrl: `${(shared.SES_ENDPOINT ?? 'http://127.0.0.1:8005').replace(/\/+$/, '')}/store`,
    adminEmail: (shared.AUTH_ADMIN_EMAILS ?? '').split(',')[0]?.trim() ?? '',
    env: shared,
    parts: Object.fromEntries([...children].map(([name, c]) => [name, { pid: c.proc.pid, logFile: c.logFile }])),
    stop,
  };
}

module.exports = { startPlatform, DEFAULT_ENV, LOG_DIR };
