import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import type { Logger } from 'pino';

export interface GroupSession {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** The broker setting below which a group member's session timeout is refused (INVALID_SESSION_TIMEOUT). */
const MIN_SESSION = 'group.min.session.timeout.ms';

/**
 * The session the issuer joins its group with: the configured one, unless a broker's
 * `group.min.session.timeout.ms` is higher (Kafka's default is 6 s; the local brokers and the Strimzi
 * manifest allow 1 s). Joining below it would fail, so the broker's minimum is used and the slower
 * failover said in the log. The heartbeat stays at most a third of the session, as Kafka asks.
 * When the brokers cannot be asked, the configured session is used as it is.
 */
export async function groupSession(kafka: Kafka, wanted: GroupSession, logger: Logger): Promise<GroupSession> {
  const admin = kafka.admin();
  let minimum = 0;
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: brokers.map((b) => ({ type: ConfigResourceTypes.BROKER, name: String(b.nodeId), configNames: [MIN_SESSION] })),
    });
    for (const resource of described.resources) {
      for (const entry of resource.configEntries) {
        if (entry.configName === MIN_SESSION) minimum = Math.max(minimum, Number(entry.configValue) || 0);
      }
    }
  } catch (err) {
    logger.warn({ err }, `could not read the brokers' ${MIN_SESSION}; joining with the configured session`);
    return wanted;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (minimum <= wanted.sessionTimeoutMs) return wanted;
  logger.warn(
    { configuredMs: wanted.sessionTimeoutMs, brokerMinimumMs: minimum },
    `the broker's ${MIN_SESSION} is above ISSUER_SESSION_TIMEOUT_MS: joining with the broker's minimum, so a dead issuer's partitions wait that long (lower it on the broker for a faster failover)`,
  );
  return {
    sessionTimeoutMs: minimum,
    heartbeatIntervalMs: Math.min(wanted.heartbeatIntervalMs, Math.floor(minimum / 3)),
  };
}
