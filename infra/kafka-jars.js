// @ts-check
/**
 * The Apache Kafka jars, fetched once from Maven Central (kafka/pom.xml → .infra/kafka/libs), and
 * the Java that runs them.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { InfraError } = require('./lib/errors.js');
const { findBin, lastError, spawnLogged } = require('./lib/process.js');
const { STATE_DIR, LOG_DIR, ensureDirs, rel, secs, withLock } = require('./state.js');

const KAFKA_DIR = path.join(STATE_DIR, 'kafka');
const KAFKA_LIBS = path.join(KAFKA_DIR, 'libs');
const POM = path.join(__dirname, 'kafka', 'pom.xml');

function javaBin() {
  if (process.env.JAVA_HOME) {
    const p = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(p)) return p;
  }
  const p = findBin('java');
  if (!p) throw new InfraError('kafka: Java is not installed: apt-get install openjdk-17-jre-headless (or set JAVA_HOME)');
  return p;
}

/** The Apache Kafka version the pom names: the local broker's, and the Testcontainers image tag. */
function kafkaVersion() {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  return m ? m[1] : 'unknown';
}

/** The pom's hash: the jars in KAFKA_LIBS are complete for this pom when their marker holds it. */
const pomKey = () => crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');

function jarsReady() {
  try {
    return fs.readFileSync(path.join(KAFKA_LIBS, '.complete'), 'utf8').trim() === pomKey();
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
  fs.rmSync(logFile, { force: true });
  const { child } = spawnLogged(mvn, ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
    logFile,
    cwd: path.dirname(POM),
  });
  /** @type {string} */
  const exit = await new Promise((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (code, sig) => resolve(sig ? `signal ${sig}` : `exit ${code}`));
  });
  if (exit !== 'exit 0' || !fs.existsSync(path.join(tmp, `kafka_2.13-${kafkaVersion()}.jar`))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new InfraError(`kafka: fetching the jars with Maven failed (${exit}); see ${rel(logFile)}${lastError(logFile)}`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${pomKey()}\n`);
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

module.exports = { KAFKA_DIR, KAFKA_LIBS, javaBin, kafkaVersion, fetchKafkaJars, ensureKafkaJars };
