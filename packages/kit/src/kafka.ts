// A subpath of its own (`@fcfs/kit/kafka`): only the parts that talk to Kafka load kafkajs.
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

const KAFKA_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs logging through pino; its chatty INFO lines are demoted to debug. */
export function createKafka(
  { clientId, brokers, ...rest }: { clientId: string; brokers: string[] } & Partial<KafkaConfig>,
  logger: Logger,
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const method = KAFKA_LEVELS[level] === 'info' ? 'debug' : (KAFKA_LEVELS[level] ?? 'debug');
        log[method](extra, message);
      },
    ...rest,
  });
}
