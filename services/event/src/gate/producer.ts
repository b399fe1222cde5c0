import type { Kafka, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Logger } from 'pino';

export interface ApplicationsProducer {
  /** One attempt: resolves once the broker acknowledged every message (acks=all), or rejects. */
  send(messages: Message[]): Promise<void>;
  /**
   * Replaces the producer by a fresh one (a new producer id) before the next send. Needed after giving up on any
   * send (even one whose last attempt was refused: an earlier one may have landed before the broker died): kafkajs
   * rolled its sequence numbers back, and a different batch sent under them would be taken by the broker for a
   * duplicate of the one that landed, and dropped.
   */
  reset(): void;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The idempotent producer of the `applications` topic. A failed send is retried by the caller with the SAME
 * messages on the SAME producer (produce.ts): kafkajs gives them the same sequence numbers again, so the broker
 * writes them once whether or not the failed attempt had landed.
 */
export function createApplicationsProducer(kafka: Kafka, topic: string, logger: Logger): ApplicationsProducer {
  let current: Promise<Producer> | undefined;

  const producer = (): Promise<Producer> => {
    current ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Few retries inside kafkajs: the gate retries itself and must see each attempt's error (produce.ts).
        retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 },
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

  return {
    async send(messages) {
      const p = await producer();
      await p.send({ topic, messages, acks: -1 });
    },
    reset() {
      const old = current;
      current = undefined;
      old?.then((p) => p.disconnect()).catch(() => undefined);
      logger.warn('a produce may or may not have reached the broker; the producer is replaced');
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
