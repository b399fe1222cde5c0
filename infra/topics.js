// @ts-check
/** The platform's Kafka topics, created by `up` when missing. */
'use strict';

const { InfraError } = require('./lib/errors.js');

/** Kafka topic names the platform uses. */
const TOPIC_APPLICATIONS = 'applications';
const TOPIC_APPLICATIONS_DLQ = 'applications.dlq';
const TOPICS = Object.freeze({ applications: TOPIC_APPLICATIONS, applicationsDlq: TOPIC_APPLICATIONS_DLQ });
const APPLICATIONS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

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

/**
 * Create the platform's topics if missing (idempotent).
 * @param {string[]} brokers @param {number} partitions @param {(msg: string) => void} log
 */
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

module.exports = { TOPIC_APPLICATIONS, TOPIC_APPLICATIONS_DLQ, TOPICS, waitForLeaders, ensureTopics };
