// Integration tests run against real components, chosen in this order:
// 1. services at the env URLs (REDIS_URL, MYSQL_URL, KAFKA_BROKERS, SES_ENDPOINT) when set;
// 2. Testcontainers, where a container runtime exists (FCFS_TESTCONTAINERS=0 turns it off);
// 3. otherwise the project's local infrastructure (infra/infra.js): a real Kafka broker
//    from the Maven Central jars, the SES v2 emulator, and the machine's MariaDB and Redis.
// Either way infra/infra.js then checks every component and creates the topics.
const { existsSync } = require('node:fs');

module.exports = async function globalSetup() {
  const urlsGiven = ['REDIS_URL', 'MYSQL_URL', 'KAFKA_BROKERS'].every((k) => process.env[k]);
  const runtimeLikely = Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
  if (!urlsGiven && process.env.FCFS_TESTCONTAINERS !== '0' && runtimeLikely) {
    const { containerRuntimeAvailable, startContainers } = require('./containers');
    if (await containerRuntimeAvailable()) {
      // Jest runs globalSetup in the parent process; workers inherit this environment.
      Object.assign(process.env, await startContainers());
    }
  }
  const infra = require('../infra/infra.js');
  await infra.up({ quiet: true });
};
