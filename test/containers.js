// Starts the integration tests' real components with Testcontainers, for machines
// that have a container runtime (a Docker socket) but not the local servers.
// Returns the environment the tests and infra/infra.js then use.
const { freePort } = require('../infra/lib/net.js');
const { kafkaVersion } = require('../infra/kafka-jars.js');

async function startContainers() {
  const { GenericContainer, Wait } = require('testcontainers');
  const redis = await new GenericContainer('redis:7.2').withExposedPorts(6379).start();
  const mariadb = await new GenericContainer('mariadb:10.11')
    .withEnvironment({ MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1', MARIADB_DATABASE: 'fcfs' })
    .withExposedPorts(3306)
    .withWaitStrategy(Wait.forLogMessage(/ready for connections/, 2))
    .start();
  // Kafka advertises the address clients must use, so it gets a fixed host port.
  const kafkaPort = await freePort();
  // Testcontainers' reaper removes every container when the test process exits.
  // The same Apache Kafka as the local broker (infra/kafka/pom.xml) and production (deploy/k8s).
  await new GenericContainer(`apache/kafka:${kafkaVersion()}`)
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  return {
    REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    MYSQL_URL: `mysql://root@${mariadb.getHost()}:${mariadb.getMappedPort(3306)}/fcfs`,
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
  };
}

/** Whether a container runtime answers here (Testcontainers' own detection). */
async function containerRuntimeAvailable() {
  try {
    const { getContainerRuntimeClient } = require('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

module.exports = { startContainers, containerRuntimeAvailable };
