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
 * One file per component beside this one (kafka.js, redis.js, mariadb.js, ses.js, …); see README.md.
 */
'use strict';

const { InfraError } = require('./lib/errors.js');
const { isOurProcess, terminate } = require('./lib/process.js');
const { config, splitHostPort, urlHostPort } = require('./config.js');
const { kafkaAnswers, kafkaUp, newKafkaClusterId } = require('./kafka.js');
const { kafkaVersion } = require('./kafka-jars.js');
const { TOPICS, TOPIC_APPLICATIONS, TOPIC_APPLICATIONS_DLQ, ensureTopics, waitForLeaders } = require('./topics.js');
const { redisAnswers, redisUp } = require('./redis.js');
const { mysqlAnswers, mysqlParts, mysqlUp } = require('./mariadb.js');
const { sesAnswers, sesUp } = require('./ses.js');
const {
  startPrivateKafka,
  stopPrivateKafka,
  startPrivateMariadb,
  stopPrivateMariadb,
  startPrivateRedis,
  stopPrivateRedis,
} = require('./private.js');
const state = require('./state.js');
const { STATE_DIR, LOG_DIR, DEFAULT_STOP_GRACE_MS, ensureDirs, liveRecord, logStderr, secs, withLock } = state;

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
 * Every wanted component's `up`, at once; one error naming every failure.
 * @param {import('./config.js').InfraConfig} cfg @param {Set<Component>} only @param {(msg: string) => void} log
 */
async function upAll(cfg, only, log) {
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
  return result;
}

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
    const result = await upAll(cfg, only, log);
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
    const ids = state.recordIds().sort((a, b) => order(a) - order(b));
    await Promise.all(
      ids.map(async (id) => {
        const rec = state.readRecord(id);
        if (!rec) return state.removeRecord(id);
        if (!isOurProcess(rec.pid, rec.match)) {
          log(`${rec.name}: pid ${rec.pid} already gone (record removed)`);
          return state.removeRecord(id);
        }
        const t0 = Date.now();
        await terminate(rec.pid, rec.graceMs || DEFAULT_STOP_GRACE_MS);
        state.removeRecord(id);
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

/** What `status` asks of each component. @param {import('./config.js').InfraConfig} cfg */
function probes(cfg) {
  const k = splitHostPort(cfg.kafkaBrokers[0] || '', 9092);
  const r = urlHostPort(cfg.redisUrl, 6379);
  const m = mysqlParts(cfg.mysqlUrl);
  const s = urlHostPort(cfg.sesEndpoint, 80);
  /** @type {{ name: Component, where: string, id: string, probe: () => Promise<boolean> }[]} */
  const list = [
    { name: 'kafka', where: cfg.kafkaBrokers.join(','), id: `kafka-${k.port}`, probe: () => kafkaAnswers(cfg.kafkaBrokers) },
    {
      name: 'redis',
      where: `${r.host}:${r.port}`,
      id: `redis-${r.port}`,
      probe: () => redisAnswers(cfg.redisUrl).catch(() => true),
    },
    {
      name: 'mysql',
      where: `${m.host}:${m.port}/${m.database}`,
      id: `mysql-${m.port}`,
      probe: () => mysqlAnswers(cfg.mysqlUrl).catch(() => true),
    },
    { name: 'ses', where: cfg.sesEndpoint, id: `ses-${s.port}`, probe: () => sesAnswers(cfg.sesEndpoint) },
  ];
  return list;
}

/** One line per component, then one per private server still running. @param {ComponentStatus[]} out */
function printStatus(out) {
  for (const c of out) {
    const who = c.ours ? `started by infra.js (pid ${c.pid})` : c.up ? 'not started by infra.js' : '';
    process.stdout.write(`${c.name.padEnd(6)} ${(c.up ? 'up' : 'down').padEnd(5)} ${c.where.padEnd(32)} ${who}`.trimEnd() + '\n');
  }
  for (const id of state.recordIds().filter((i) => i.startsWith('private-'))) {
    const rec = liveRecord(id);
    if (rec)
      process.stdout.write(`${rec.name.padEnd(6)} up    ${rec.where.padEnd(32)} private, started by infra.js (pid ${rec.pid})\n`);
  }
}

/**
 * Print one line per component (up/down, where, whether infra.js started it) and return the same.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<ComponentStatus[]>}
 */
async function status(opts = {}) {
  const out = await Promise.all(
    probes(config()).map(async (p) => {
      const isUp = await p.probe();
      const rec = liveRecord(p.id);
      return { name: p.name, up: isUp, where: p.where, ours: !!rec, pid: rec ? rec.pid : null };
    }),
  );
  if (!opts.quiet) printStatus(out);
  return out;
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
  startPrivateRedis,
  stopPrivateRedis,
  kafkaAnswers,
  waitForLeaders,
  InfraError,
  TOPICS,
  newKafkaClusterId,
  kafkaVersion,
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
