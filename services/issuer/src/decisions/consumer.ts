import { decodeRecord, type QueuedApplication } from '@fcfs/stock';
import { ApplicationStatus, DeadLetter } from '@fcfs/proto';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { batchSeconds, batchSize, deadLettered, decisionsTotal, pausedPartitions, stockRemaining } from '../metrics';
import type { ChunkDecision, Decider } from './decider';

export interface ConsumerSettings {
  topic: string;
  dlqTopic: string;
  groupId: string;
  partitionsConsumedConcurrently: number;
  chunkSize: number;
  /** First retry delay while a dependency is down; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Thrown inside a batch when the consumer is stopping or the group rebalanced: leave the batch unresolved. */
class Abandoned extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Incoming {
  record: QueuedApplication;
  message: KafkaMessage;
}

/**
 * The `issuer` consumer group on `applications`. Each partition in order, a batch at a time, partitions
 * (so events) side by side. Per batch: decide every record (per event, in chunks), write each chunk in one
 * MySQL transaction, dead-letter what can never be processed, commit the offsets, then publish. When Redis
 * or MySQL is down the partition waits and retries the same step with backoff (heartbeating), so nothing is
 * skipped; a rebalance or a stop leaves the batch uncommitted, to be redelivered.
 */
export function createIssuerConsumer(kafka: Kafka, decider: Decider, settings: ConsumerSettings, logger: Logger) {
  const { topic, dlqTopic, groupId, chunkSize } = settings;
  const backoffMs = settings.backoffMs ?? 100;
  const maxBackoffMs = settings.maxBackoffMs ?? 5_000;
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  const dlqProducer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });

  const retrying = async <T>(what: string, payload: EachBatchPayload, fn: () => Promise<T>): Promise<T> => {
    let delay = backoffMs;
    let failures = 0;
    for (;;) {
      try {
        const value = await fn();
        if (failures > 0) {
          pausedPartitions.dec();
          logger.info({ what, failures, partition: payload.batch.partition }, 'dependency back: consumption resumed');
        }
        return value;
      } catch (err) {
        if (failures === 0) {
          pausedPartitions.inc();
          logger.warn({ err, what, partition: payload.batch.partition }, 'consumption paused: retrying with backoff');
        }
        failures++;
        await sleep(delay);
        delay = Math.min(delay * 2, maxBackoffMs);
        let alive = payload.isRunning() && !payload.isStale();
        if (alive)
          alive = await payload.heartbeat().then(
            () => true,
            () => false,
          );
        if (!alive) {
          pausedPartitions.dec();
          throw new Abandoned();
        }
      }
    }
  };

  const deadLetter = (message: KafkaMessage, partition: number, reason: string) => ({
    value: Buffer.from(
      DeadLetter.encode({
        topic,
        partition,
        offset: message.offset,
        key: message.key ?? Buffer.alloc(0),
        value: message.value ?? Buffer.alloc(0),
        reason,
        failedAtMs: Date.now(),
      }).finish(),
    ),
  });

  const handleBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const started = process.hrtime.bigint();
    batchSize.observe(batch.messages.length);
    const dead: { value: Buffer }[] = [];
    const byEvent = new Map<string, Incoming[]>();
    for (const message of batch.messages) {
      const decoded = decodeRecord(message.key, message.value);
      if (!decoded.ok) {
        dead.push(deadLetter(message, batch.partition, decoded.reason));
        continue;
      }
      const list = byEvent.get(decoded.record.eventId);
      if (list === undefined) byEvent.set(decoded.record.eventId, [{ record: decoded.record, message }]);
      else list.push({ record: decoded.record, message });
    }

    const decidedChunks: Extract<ChunkDecision, { kind: 'decided' }>[] = [];
    for (const [eventId, incoming] of byEvent) {
      for (let i = 0; i < incoming.length; i += chunkSize) {
        const chunk = incoming.slice(i, i + chunkSize);
        const decision = await retrying('decide', payload, () =>
          decider.decide(
            eventId,
            chunk.map((c) => c.record),
          ),
        );
        if (decision.kind === 'unknown-event') {
          for (const c of chunk) dead.push(deadLetter(c.message, batch.partition, `event ${eventId} does not exist`));
          continue;
        }
        await retrying('write', payload, () => decider.write(decision));
        await retrying('settle', payload, () => decider.settle(decision));
        decidedChunks.push(decision);
      }
    }
    if (dead.length > 0) {
      await retrying('dead-letter', payload, () => dlqProducer.send({ topic: dlqTopic, messages: dead, acks: -1 }));
      deadLettered.inc(dead.length);
      logger.warn({ count: dead.length, partition: batch.partition }, 'records sent to the dead-letter topic');
    }
    payload.resolveOffset(batch.lastOffset());
    await payload.commitOffsetsIfNecessary();

    for (const chunk of decidedChunks) {
      for (const d of chunk.decided) {
        decisionsTotal.inc({ status: d.app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? 'issued' : 'sold_out' });
      }
      stockRemaining.set({ event: chunk.eventId }, chunk.progress.remaining);
    }
    // Live status is best effort: a subscriber that misses it reads the decision with GetApplication.
    await decider.publish(decidedChunks).catch((err: unknown) => logger.warn({ err }, 'could not publish decisions'));
    batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };

  return {
    consumer,
    async start(): Promise<void> {
      await dlqProducer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        eachBatchAutoResolve: false,
        autoCommitThreshold: 1,
        eachBatch: async (payload) => {
          try {
            await handleBatch(payload);
          } catch (err) {
            if (!(err instanceof Abandoned)) throw err;
          }
        },
      });
    },
    async stop(): Promise<void> {
      await consumer.disconnect();
      await dlqProducer.disconnect();
    },
  };
}

export type IssuerConsumer = ReturnType<typeof createIssuerConsumer>;
