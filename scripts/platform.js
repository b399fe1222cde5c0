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
 *
 * Production shape: `startPlatform({ replicas: { bff: 2, event: 3, issuer: 2 } })` (`npm start --
 * --replicas bff=2,event=3,issuer=2`) runs several processes of a part, as Kubernetes runs pods:
 * the BFF replicas behind one port (a TCP round-robin front, infra/lib/front.js, like a Service),
 * every gRPC client balancing round-robin over all the callee's replicas (a static `ipv4:` target),
 * the issuers one consumer group. Replica i of a part listens on the part's ports + 10 i
 * (event: 7052, 7062, 7072); the BFF replicas on BFF_PORT + 1, + 2, ...; their logs are
 * <part>-<n>.log. The chaos suite (tools/chaos) kills and restarts them through `platform.replicas`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { canListen, distinctFreePorts, hasListener } = require('../infra/lib/net.js');
const { startFront } = require('../infra/lib/front.js');
const { sleep } = require('../infra/lib/process.js');
const {
  ROOT,
  LOG_DIR,
  PARTS,
  STOP_ORDER,
  parseReplicas,
  replicaName,
  hostForUrl,
  spawnPart,
  waitReady,
  stopPart,
} = require('./parts.js');

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
 * @typedef {object} Instance one replica of one part
 * @property {import('./parts.js').Part} part
 * @property {number} index     0-based
 * @property {string} name      `event`, `event-2`, ...
 * @property {Record<string, string>} env
 */

/** How far apart the ports of a part's replicas are (replica i: the part's port + 10 i). */
const REPLICA_PORT_STEP = 10;

/** The gRPC target of a part's replicas: one `host:port`, or grpc-js's static list (balanced round-robin). @param {string[]} addresses */
const targetOf = (addresses) => (addresses.length === 1 ? /** @type {string} */ (addresses[0]) : `ipv4:${addresses.join(',')}`);

/**
 * The environment every part shares, and each replica's own on top of it: its ports (the part's
 * defaults, or <PART>_GRPC_PORT / _METRICS_PORT, plus 10 per replica; any free port with `freePorts`),
 * the services' addresses (every replica's), and the BFF replicas' ports behind the front on BFF_PORT.
 * @param {Record<string, string>} infraEnv what infra.up() answered
 * @param {Record<string, string>} overrides @param {Partial<Record<string, Record<string, string>>>} partOverrides
 * @param {Record<string, number>} replicas @param {boolean} freePorts
 */
async function plan(infraEnv, overrides, partOverrides, replicas, freePorts) {
  /** @type {Record<string, string>} */
  const shared = {};
  for (const [key, value] of Object.entries({ ...DEFAULT_ENV, ...process.env, ...infraEnv, ...overrides })) {
    if (value !== undefined && !PER_PART_KEYS.includes(key)) shared[key] = String(value);
  }
  const freePort = distinctFreePorts();
  if (freePorts) shared.BFF_PORT = overrides.BFF_PORT ?? String(await freePort());
  /** @type {Instance[]} */
  const instances = [];
  for (const part of PARTS) {
    for (let index = 0; index < (replicas[part.name] ?? 1); index++) {
      /** @type {Record<string, string>} */
      const own = {};
      for (const [key, base] of Object.entries(part.ports)) {
        const configured = PER_PART_KEYS.includes(key) ? process.env[`${part.name.toUpperCase()}_${key}`] : undefined;
        own[key] =
          key === 'GRPC_HOST'
            ? (configured ?? base)
            : freePorts
              ? String(await freePort())
              : String(Number(configured ?? base) + REPLICA_PORT_STEP * index);
      }
      if (part.name === 'bff' && (replicas.bff ?? 1) > 1) {
        // Behind the front: the replicas on the ports after BFF_PORT.
        own.BFF_PORT = freePorts ? String(await freePort()) : String(Number(shared.BFF_PORT ?? 4000) + 1 + index);
      }
      instances.push({ part, index, name: replicaName(part.name, index), env: own });
    }
  }
  /** @param {string} name */
  const addresses = (name) => instances.filter((i) => i.part.name === name).map((i) => `127.0.0.1:${i.env.GRPC_PORT}`);
  shared.AUTH_ADDRESS = overrides.AUTH_ADDRESS ?? targetOf(addresses('auth'));
  shared.EVENT_ADDRESS = overrides.EVENT_ADDRESS ?? targetOf(addresses('event'));
  shared.ISSUER_ADDRESS = overrides.ISSUER_ADDRESS ?? targetOf(addresses('issuer'));
  for (const instance of instances) instance.env = { ...shared, ...instance.env, ...(partOverrides[instance.part.name] ?? {}) };
  return { shared, instances };
}

/** Every port a replica will listen on, and the front's. @param {Instance[]} instances @param {Record<string, string>} shared */
function listenersOf(instances, shared) {
  const bffs = instances.filter((i) => i.part.name === 'bff');
  const front =
    bffs.length > 1 ? [{ what: 'bff front', host: shared.BFF_HOST ?? '127.0.0.1', port: Number(shared.BFF_PORT) }] : [];
  return front.concat(
    instances.flatMap(({ part, name, env }) =>
      part.name === 'bff'
        ? [{ what: `${name} HTTP`, host: env.BFF_HOST ?? '127.0.0.1', port: Number(env.BFF_PORT) }]
        : [
            { what: `${name} gRPC`, host: env.GRPC_HOST ?? '127.0.0.1', port: Number(env.GRPC_PORT) },
            { what: `${name} metrics`, host: env.GRPC_HOST ?? '127.0.0.1', port: Number(env.METRICS_PORT) },
          ],
    ),
  );
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
 * One running replica, which the chaos suite may kill and start again (as Kubernetes restarts a pod).
 * @typedef {object} Replica
 * @property {string} name
 * @property {string} part
 * @property {() => number | undefined} pid
 * @property {string} logFile
 * @property {Record<string, string>} env
 * @property {(signal?: NodeJS.Signals) => Promise<void>} kill  default SIGKILL; resolves once it has exited
 * @property {() => Promise<void>} start  starts it again with the same environment, resolves once ready
 */

/**
 * Starts the replicas in dependency order (auth; event and issuer; the BFF), then the front of the
 * BFF replicas; on a failure, stops what started.
 * @param {Instance[]} instances @param {Record<string, string>} shared
 * @param {import('./parts.js').PartIo} io
 */
async function startParts(instances, shared, io) {
  /** @type {Map<string, import('./parts.js').Child>} */
  const children = new Map();
  /** @type {{ port: number, close: () => Promise<void> } | undefined} */
  let front;
  let stopping = false;
  /** @type {import('./parts.js').PartIo} */
  const partIo = {
    ...io,
    onUnexpectedExit: (name, code) => {
      if (!stopping) io.onUnexpectedExit(name, code);
    },
  };
  const stop = async () => {
    stopping = true;
    await front?.close();
    for (const part of STOP_ORDER) {
      for (const { name } of instances.filter((i) => i.part.name === part)) {
        const child = children.get(name);
        if (!child) continue;
        await stopPart(child);
        io.log(`platform: ${name} stopped`);
      }
    }
  };
  /** @param {Instance} instance */
  const launch = async ({ part, name, env }) => {
    const child = spawnPart(part, env, partIo, name);
    children.set(name, child);
    await waitReady(child, part.ready(env));
    io.log(`platform: ${name} ready (pid ${child.proc.pid})`);
  };
  /** @param {string[]} parts */
  const startGroup = (parts) => Promise.all(instances.filter((i) => parts.includes(i.part.name)).map(launch));
  try {
    await startGroup(['auth']);
    await startGroup(['event', 'issuer']);
    await startGroup(['bff']);
    const bffs = instances.filter((i) => i.part.name === 'bff');
    if (bffs.length > 1) {
      front = await startFront({
        host: shared.BFF_HOST ?? '127.0.0.1',
        port: Number(shared.BFF_PORT),
        backends: bffs.map((i) => ({
          host: hostForUrl(i.env.BFF_HOST ?? '127.0.0.1').replace(/^\[|\]$/g, ''),
          port: Number(i.env.BFF_PORT),
        })),
      });
      io.log(`platform: ${bffs.length} BFF replicas behind 127.0.0.1:${front.port}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  /** @type {Replica[]} */
  const replicas = instances.map((instance) => ({
    name: instance.name,
    part: instance.part.name,
    env: instance.env,
    logFile: path.join(io.logDir ?? LOG_DIR, `${instance.name}.log`),
    pid: () => children.get(instance.name)?.proc.pid,
    async kill(signal = 'SIGKILL') {
      const child = children.get(instance.name);
      if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
      child.stopping = true;
      child.proc.kill(signal);
      await child.exited;
    },
    start: () => launch(instance),
  }));
  return { children, replicas, stop };
}

/**
 * @typedef {object} Platform
 * @property {string} bffUrl            the GraphQL endpoint (HTTP POST and WebSocket); the front's with several BFF replicas
 * @property {string} sesUrl            where the sent e-mails can be read (the SES emulator's store)
 * @property {string} adminEmail        the address that signs in as admin
 * @property {Record<string, string>} env  the environment the parts run with
 * @property {Record<string, { pid: number | undefined, logFile: string }>} parts  by replica name
 * @property {Replica[]} replicas       every replica, in start order
 * @property {() => Promise<void>} stop  stops the front and the BFF, then event, issuer, auth
 */

/**
 * @param {{
 *   env?: Record<string, string>,
 *   parts?: Partial<Record<'auth' | 'event' | 'issuer' | 'bff', Record<string, string>>>,
 *   replicas?: Partial<Record<'auth' | 'event' | 'issuer' | 'bff', number>>,
 *   infra?: Record<string, string>,
 *   freePorts?: boolean,
 *   logDir?: string,
 *   log?: (line: string) => void,
 *   stdio?: 'summary' | 'inherit' | 'quiet',
 *   onUnexpectedExit?: (name: string, code: number | null) => void,
 * }} [options]
 *   env: overrides for every part; parts: overrides for one part (e.g. its GRPC_PORT); replicas: processes per
 *   part (default 1 each; several BFFs share BFF_PORT through a round-robin front); infra: the infrastructure's
 *   addresses (REDIS_URL, MYSQL_URL, KAFKA_BROKERS, SES_ENDPOINT) when it is already up, e.g. private servers
 *   (default: infra.up(), the shared local ones); freePorts: every part on a free port instead of the defaults;
 *   logDir: the parts' logs (default .infra/logs); stdio: what reaches `log` of the parts' output.
 * @returns {Promise<Platform>}
 */
async function startPlatform(options = {}) {
  const { env: overrides = {}, parts: partOverrides = {}, log = console.error, stdio = 'summary' } = options;
  const logDir = options.logDir ?? LOG_DIR;
  const onUnexpectedExit =
    options.onUnexpectedExit ??
    ((name, code) => log(`[${name}] exited unexpectedly (code ${code}); see ${path.join(logDir, `${name}.log`)}`));

  for (const part of PARTS) {
    if (!fs.existsSync(path.join(ROOT, part.main))) throw new Error(`${part.main} is missing: run \`npm run build\` first`);
  }

  let infraEnv = options.infra;
  if (!infraEnv) {
    const infra = require('../infra/infra.js');
    log('platform: starting the infrastructure (Kafka, MariaDB, Redis, SES emulator)...');
    infraEnv = /** @type {Record<string, string>} */ ((await infra.up()).env);
  }
  const replicas = { ...Object.fromEntries(PARTS.map((p) => [p.name, 1])), ...(options.replicas ?? {}) };
  const { shared, instances } = await plan(infraEnv, overrides, partOverrides, replicas, options.freePorts === true);
  await assertPortsFree(listenersOf(instances, shared), (line) => log(`platform: ${line}`));

  log('platform: running the migrations...');
  migrate(shared);
  const started = await startParts(instances, shared, { log, stdio, onUnexpectedExit, logDir });

  return {
    bffUrl: `http://${hostForUrl(shared.BFF_HOST ?? '127.0.0.1')}:${shared.BFF_PORT ?? 4000}/graphql`,
    sesUrl: `${(shared.SES_ENDPOINT ?? 'http://127.0.0.1:8005').replace(/\/+$/, '')}/store`,
    adminEmail: (shared.AUTH_ADMIN_EMAILS ?? '').split(',')[0]?.trim() ?? '',
    env: shared,
    parts: Object.fromEntries([...started.children].map(([name, c]) => [name, { pid: c.proc.pid, logFile: c.logFile }])),
    replicas: started.replicas,
    stop: started.stop,
  };
}

module.exports = { startPlatform, parseReplicas, DEFAULT_ENV, LOG_DIR };
