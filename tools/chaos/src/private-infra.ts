// The suite's own infrastructure, started on free ports with its own data: a MariaDB, a redis-server,
// a Kafka broker and an SES emulator it may kill, stall, flush and rewind. The shared ones on the
// default ports are never touched.
import { Kafka, logLevel } from 'kafkajs';
import * as infra from '../../../infra/infra';
import { ensureTopics } from '../../../infra/topics';

export interface PrivateInfra {
  kafka: infra.PrivateKafka;
  mysql: infra.PrivateMariadb;
  redis: infra.PrivateRedis;
  ses: infra.PrivateSes;
  /** What the platform's parts are given (REDIS_URL, MYSQL_URL, KAFKA_BROKERS, SES_ENDPOINT). */
  env: Record<string, string>;
  admin(): Kafka;
  stop(): Promise<void>;
}

export async function startPrivateInfra(partitions: number, log: (line: string) => void): Promise<PrivateInfra> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    // One at a time: two cores, and each start-up is CPU-bound for a few seconds.
    const mysql = await infra.startPrivateMariadb({ quiet: true });
    stops.push(() => infra.stopPrivateMariadb(mysql));
    log(`chaos: private MariaDB on ${mysql.port}`);
    const redis = await infra.startPrivateRedis({ quiet: true });
    stops.push(() => infra.stopPrivateRedis(redis));
    log(`chaos: private Redis on ${redis.port}`);
    const ses = await infra.startPrivateSes({ quiet: true });
    stops.push(() => ses.stop());
    log(`chaos: private SES emulator on ${ses.port}`);
    // The issuer's 3 s session needs a lower minimum than Kafka's 6 s (infra/kafka.js sets it for every local broker).
    const kafka = await infra.startPrivateKafka({ quiet: true });
    stops.push(() => infra.stopPrivateKafka(kafka));
    await ensureTopics(kafka.brokers, partitions, () => undefined);
    log(`chaos: private Kafka on ${kafka.port} (applications: ${partitions} partitions)`);
    return {
      kafka,
      mysql,
      redis,
      ses,
      env: {
        KAFKA_BROKERS: kafka.brokers.join(','),
        REDIS_URL: redis.url,
        MYSQL_URL: mysql.url,
        SES_ENDPOINT: ses.endpoint,
      },
      admin: () => new Kafka({ clientId: 'chaos', brokers: kafka.brokers, logLevel: logLevel.NOTHING }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
