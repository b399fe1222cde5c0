import type { Kafka, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Logger } from 'pino';

export interface ApplicationsProducer {
  /** Resolves once the broker acknowledged every message (acks=all). */
  send(messages: Message[]): Promise<void>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The idempotent producer of the `applications` topic. After a failed send it is replaced by a fresh one
 * (a new producer id): the failed batch may or may not have reached the broker, and reusing its sequence
 * numbers could make the broker drop the next batch as a duplicate.
 */
export function createApplicationsProducer(kafka: Kafka, topic: string, logger: Logger): ApplicationsProducer {
  let current: Promise<Producer> | undefined;

  const producer = (): Promise<Producer> => {
    current ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await p.connect();
      return p;
    })();
    const mine = current;
    mine.catch(() => {
      if (current === mine) current = undefined;
    });
    return mine;
  };

  const discard = (failed: Promise<Producer>) => {
    if (current !== failed) return;
    current = undefined;
    failed.then((p) => p.disconnect()).catch(() => undefined);
    logger.warn('produce failed; the producer will be replaced');
  };

  return {
    async send(messages) {
      const pending = producer();
      try {
        const p = await pending;
        await p.send({ topic, messages, acks: -1 });
      } catch (err) {
        discard(pending);
        throw err;
      }
    },
    async connect() {
      await producer();
    },
    async disconnect() {
      const p = current;
      current = undefined;
      if (p) await (await p).disconnect();
    },
  };
}
