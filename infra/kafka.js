// @ts-check
/**
 * Kafka: a real single-node KRaft broker (broker + controller on port + 1) run from the Maven
 * Central jars, its probe, its configuration and storage format, and `up` for the shared one.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { InfraError } = require('./lib/errors.js');
const { hasListener, isLocalHost } = require('./lib/net.js');
const { isOurProcess, lastError, rotateLog, sleep, spawnLogged, terminate, waitUntil } = require('./lib/process.js');
const { splitHostPort } = require('./config.js');
const { KAFKA_DIR, KAFKA_LIBS, fetchKafkaJars, javaBin } = require('./kafka-jars.js');
const { LOG_DIR, KAFKA_STOP_GRACE_MS, foundRunning, liveRecord, rel, secs, writeRecord } = require('./state.js');

const KAFKA_START_TIMEOUT_MS = 60_000;

/**
 * Does a Kafka broker answer at these brokers (admin listTopics)?
 * @param {string[]} brokers @param {number} [timeoutMs]
 */
async function kafkaAnswers(brokers, timeoutMs = 2000, clusterId = undefined) {
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
    // A broker of another cluster on the port (another test's private broker that took it first) is not this one.
    if (clusterId !== undefined && (await admin.describeCluster()).clusterId !== clusterId) return false;
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The chattiest loggers, kept at WARN. */
const QUIET_LOGGERS = [
  'kafka.request.logger',
  'state.change.logger',
  'kafka.log.LogCleaner',
  'org.apache.kafka.storage.internals.log',
  'kafka.log',
  'org.apache.kafka.clients',
  'org.apache.kafka.common.utils.AppInfoParser',
];

/** log4j 2 settings (Kafka 4 has no log4j 1): the broker's own log in logFile. @param {string} logFile */
const log4jProperties = (logFile) =>
  [
    '# written by infra/kafka.js',
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${logFile}`,
    'appender.file.append = true',
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    ...QUIET_LOGGERS.flatMap((name, i) => [`logger.q${i}.name = ${name}`, `logger.q${i}.level = WARN`]),
    '',
  ].join('\n');

/**
 * Write server.properties and log4j2.properties for a broker living in dir.
 * @param {{ dir: string, host: string, port: number, logFile: string, extra?: Record<string, string | number> }} o
 */
function writeKafkaConfig({ dir, host, port, logFile, extra = {} }) {
  fs.mkdirSync(dir, { recursive: true });
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // A static KRaft quorum (still supported by Kafka 4): a data dir formatted by the Kafka 3.9
    // broker this file ran before starts as it is, without a reformat.
    'controller.quorum.voters': `1@${host}:${port + 1}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${port + 1}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(dir, 'data'),
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': 0,
    // The issuer's 3 s session (fast failover, ISSUER_SESSION_TIMEOUT_MS) is below Kafka's default minimum of 6 s.
    'group.min.session.timeout.ms': 1000,
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
    `# written by infra/kafka.js: single-node KRaft (broker+controller)\n${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const log4j = path.join(dir, 'log4j2.properties');
  fs.writeFileSync(log4j, log4jProperties(logFile));
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

/** The cluster id kept in <dir>/cluster.id, made on first use. @param {string} dir */
function clusterIdOf(dir) {
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
  return clusterId;
}

/**
 * Format a KRaft data dir once (cluster id kept in <dir>/cluster.id).
 * @param {{ dir: string, serverProps: string, log4j: string, logFile: string }} o
 */
function formatKafkaStorage({ dir, serverProps, log4j, logFile, scram = [] }) {
  if (fs.existsSync(path.join(dir, 'data', 'meta.properties'))) return;
  const clusterId = clusterIdOf(dir);
  const out = fs.openSync(logFile, 'a');
  const r = spawnSync(
    javaBin(),
    [
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      `${KAFKA_LIBS}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      `--cluster-id=${clusterId}`,
      // SCRAM credentials written with the cluster's first metadata (e.g. SCRAM-SHA-512=[name=u,password=p]).
      ...scram.flatMap((credential) => ['--add-scram', credential]),
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
async function launchKafka({ dir, host, port, logFile, jvm, extra, scram, timeoutMs = KAFKA_START_TIMEOUT_MS, label }) {
  const { serverProps, log4j } = writeKafkaConfig({ dir, host, port, logFile, extra });
  rotateLog(logFile);
  formatKafkaStorage({ dir, serverProps, log4j, logFile, scram });
  const jvmArgs = ['-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`];
  const { child, pid, exited } = spawnLogged(
    javaBin(),
    [...jvm, ...jvmArgs, `-Dkafka.logs.dir=${path.dirname(logFile)}`, '-cp', `${KAFKA_LIBS}/*`, 'kafka.Kafka', serverProps],
    { logFile, cwd: dir, detached: true },
  );
  if (!pid) throw new InfraError(`${label}: could not spawn java; see ${rel(logFile)}`);
  // Only this broker counts as up: its cluster id, not whatever answers on the port.
  const clusterId = clusterIdOf(dir);
  await waitUntil(() => kafkaAnswers([`${host}:${port}`], 1500, clusterId), {
    timeoutMs,
    intervalMs: 250,
    exited,
    onExit: (why) =>
      new InfraError(`${label}: the broker stopped during start-up (${why}); see ${rel(logFile)}${lastError(logFile)}`),
    onTimeout: async () => {
      await terminate(pid, 5000, child);
      return new InfraError(
        `${label}: the broker did not answer on ${host}:${port} within ${timeoutMs / 1000} s; see ${rel(logFile)}${lastError(logFile)}`,
      );
    },
  });
  return { pid, child };
}

/**
 * Wait for a broker we started earlier that does not answer yet (a start-up still in progress, or wedged).
 * @param {import('./state.js').PidRecord} rec @param {string[]} brokers @param {(msg: string) => void} log
 */
async function awaitOurBroker(rec, brokers, log) {
  const t0 = Date.now();
  const where = brokers.join(',');
  log(`kafka: waiting for the broker we started earlier (pid ${rec.pid})…`);
  const deadline = Date.now() + KAFKA_START_TIMEOUT_MS;
  while (Date.now() < deadline && isOurProcess(rec.pid, rec.match)) {
    if (await kafkaAnswers(brokers)) {
      log(`kafka: up on ${where} (started earlier by infra.js, pid ${rec.pid}, ${secs(t0)})`);
      return { brokers, started: false, pid: rec.pid };
    }
    await sleep(300);
  }
  throw new InfraError(
    `kafka: the broker we started (pid ${rec.pid}) does not answer on ${where}; see ${rel(rec.log)}${lastError(rec.log)} — run "node infra/infra.js down" and retry`,
  );
}

/** Refuse to start a broker where it could not serve. @param {string} host @param {number} port @param {string} where */
async function assertKafkaStartable(host, port, where) {
  if (!isLocalHost(host)) {
    throw new InfraError(
      `kafka: nothing answers at ${where}, and ${host} is not this machine, so no broker can be started for it`,
    );
  }
  if (await hasListener(host, port)) {
    throw new InfraError(
      `kafka: something listens on ${host}:${port} but does not answer as a Kafka broker; free the port or point KAFKA_BROKERS elsewhere`,
    );
  }
  if (await hasListener(host, port + 1)) {
    throw new InfraError(
      `kafka: port ${port + 1} (the controller port, KAFKA_BROKERS port + 1) on ${host} is taken; free it or use another KAFKA_BROKERS port`,
    );
  }
}

/** @param {import('./config.js').InfraConfig} cfg @param {(msg: string) => void} log */
async function kafkaUp(cfg, log) {
  const t0 = Date.now();
  const { host, port } = splitHostPort(cfg.kafkaBrokers[0] || '', 9092);
  const where = cfg.kafkaBrokers.join(',');
  const id = `kafka-${port}`;
  const rec = liveRecord(id);
  if (await kafkaAnswers(cfg.kafkaBrokers)) {
    log(`kafka: up on ${where} (${foundRunning(rec)})`);
    return { brokers: cfg.kafkaBrokers, started: false, pid: rec ? rec.pid : null };
  }
  if (rec) return awaitOurBroker(rec, cfg.kafkaBrokers, log);
  await assertKafkaStartable(host, port, where);
  await fetchKafkaJars(log);
  const dir = path.join(KAFKA_DIR, `broker-${port}`);
  const logFile = path.join(LOG_DIR, `kafka-${port}.log`);
  log(`kafka: starting a KRaft broker on ${host}:${port} (data in ${rel(path.join(dir, 'data'))})…`);
  const { pid } = await launchKafka({ dir, host, port, logFile, jvm: ['-Xms256m', '-Xmx512m'], label: 'kafka' });
  const match = path.join(dir, 'server.properties');
  writeRecord(id, { name: 'kafka', pid, match, where: `${host}:${port}`, log: logFile, graceMs: KAFKA_STOP_GRACE_MS });
  log(`kafka: up on ${host}:${port} (started, pid ${pid}, ${secs(t0)})`);
  return { brokers: cfg.kafkaBrokers, started: true, pid };
}

module.exports = { kafkaAnswers, launchKafka, kafkaUp, newKafkaClusterId };
