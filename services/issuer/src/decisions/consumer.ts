import { endWithError, recordTrace, SpanKind, startBatchSpan, TRACING_OFF, type Tracing } from '@fcfs/kit';
import { decodeRecord, type QueuedApplication } from '@fcfs/stock';
import { ApplicationStatus, DeadLetter } from '@fcfs/proto';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { batchSeconds, batchSize, deadLettered, decisionsTotal, reportRemaining, staleRebuilds } from '../metrics';
import type { ChunkDecision, Decider } from './decider';
import { Abandoned, keepOwned, Permanent, retrying } from './retry';

export interface ConsumerSettings {
  topic: string;
  dlqTopic: string;
  groupId: string;
  partitionsConsumedConcurrently: number;
  chunkSize: number;
  /** The group session (default 30 s) and heartbeat interval (default 3 s). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * How long an idle fetch waits for records (kafkajs's default 5 s). kafkajs heartbeats between fetches, so
   * it must stay well below the session: an idle member would otherwise be dropped by every short session.
   */
  maxWaitTimeMs?: number;
  /** First retry delay while a dependency is down; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A span per consumed batch, child of its records' `traceparent` headers (the applies' traces). */
  tracing?: Tracing;
}

interface Incoming {
  record: QueuedApplication;
  message: KafkaMessage;
}

/** What one consumed batch came to: decided chunks to publish, and dead letters to send before the commit. */
interface BatchOutcome {
  decided: Extract<ChunkDecision, { kind: 'decided' }>[];
  dead: { value: Buffer }[];
}

/** Each decision keeps its record's trace for its outbox row, so the result e-mail joins the apply's trace. */
function carryTraces(decision: Extract<ChunkDecision, { kind: 'decided' }>, chunk: readonly Incoming[]): void {
  decision.decided.forEach((d, i) => {
    const trace = recordTrace(chunk[i]?.message.headers);
    if (trace !== undefined) d.trace = trace;
  });
}

/**
 * The `issuer` consumer group on `applications`. Each partition in order, a batch at a time, partitions
 * (so events) side by side. Per batch: decide every record (per event, in chunks), write each chunk in one
 * MySQL transaction, dead-letter what can never be processed, commit the offsets, then publish. When Redis
 * or MySQL is down the partition waits and retries the same step with backoff (heartbeating), so nothing is
 * skipped, and it heartbeats after each chunk, so a batch of many slow chunks never outlasts the session; a failure that would repeat every time (retry.ts) costs only its own record, dead-lettered with
 * the reason. A rebalance or a stop leaves the batch uncommitted, to be redelivered.
 */
export function createIssuerConsumer(kafka: Kafka, decider: Decider, settings: ConsumerSettings, logger: Logger) {
  const { topic, dlqTopic, groupId, chunkSize } = settings;
  const tracing = settings.tracing ?? TRACING_OFF;
  const policy = {
    backoffMs: settings.backoffMs ?? 100,
    maxBackoffMs: settings.maxBackoffMs ?? 5_000,
    heartbeatMs: settings.heartbeatIntervalMs ?? 3_000,
    logger,
  };
  /** Set as stop() begins: a crash from then on is not restarted (see restartOnFailure). */
  let stopping = false;
  const consumer: Consumer = kafka.consumer({
    groupId,
    // kafkajs restarts a consumer that crashed (a broker gone for longer than its retries) after a delay. A crash
    // racing stop() would schedule that restart after disconnect() had cleared the timer, and the restarted
    // consumer would keep the stopped process alive, reconnecting forever: no restart once stopping (retries: 5
    // is kafkajs's consumer default, which passing `retry` would otherwise replace).
    retry: { retries: 5, restartOnFailure: async () => !stopping },
    sessionTimeout: settings.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: settings.heartbeatIntervalMs ?? 3_000,
    ...(settings.maxWaitTimeMs === undefined ? {} : { maxWaitTimeInMs: settings.maxWaitTimeMs }),
  });
  const dlqProducer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });

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

  /**
   * Decides, writes and settles one chunk of one event's records. A chunk that fails for good is taken a
   * record at a time, so only the record at fault is dead-lettered and the others are decided.
   */
  const processChunk = async (payload: EachBatchPayload, eventId: string, chunk: Incoming[], out: BatchOutcome) => {
    const { partition } = payload.batch;
    try {
      const records = chunk.map((c) => c.record);
      // MySQL is the authority: a write that finds Redis stale is rolled back, Redis is rebuilt from MySQL and
      // the chunk decided again (for as long as it takes: each round waits for the rebuild's row lock).
      for (;;) {
        const decision = await retrying(policy, payload, 'decide', () => decider.decide(eventId, records));
        if (decision.kind === 'unknown-event') {
          for (const c of chunk) out.dead.push(deadLetter(c.message, partition, `event ${eventId} does not exist`));
          return;
        }
        if (tracing.enabled) carryTraces(decision, chunk);
        const written = await retrying(policy, payload, 'write', () => decider.write(decision));
        if (written.kind === 'stale') {
          staleRebuilds.inc();
          logger.warn({ eventId, partition, reason: written.reason }, 'Redis is stale: rebuilding the event from MySQL');
          await retrying(policy, payload, 'rebuild', () => decider.rebuildStale(eventId, records, decision.epoch));
          await keepOwned(payload);
          continue;
        }
        await retrying(policy, payload, 'settle', () => decider.settle(decision));
        out.decided.push(decision);
        return;
      }
    } catch (err) {
      if (!(err instanceof Permanent)) throw err;
      if (chunk.length > 1) {
        logger.warn({ reason: err.reason, eventId, partition }, 'a chunk failed for good: taking it a record at a time');
        for (const one of chunk) await processChunk(payload, eventId, [one], out);
        return;
      }
      const { message } = chunk[0] as Incoming;
      logger.error({ reason: err.reason, eventId, partition, offset: message.offset }, 'record failed for good: dead-lettered');
      out.dead.push(deadLetter(message, partition, err.reason));
    }
  };

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

    const out: BatchOutcome = { decided: [], dead };
    for (const [eventId, incoming] of byEvent) {
      for (let i = 0; i < incoming.length; i += chunkSize) {
        await processChunk(payload, eventId, incoming.slice(i, i + chunkSize), out);
        await keepOwned(payload);
      }
    }
    if (dead.length > 0) {
      // Always retried: a record is never skipped without its dead letter safely on the topic.
      await retrying(policy, payload, 'dead-letter', () => dlqProducer.send({ topic: dlqTopic, messages: dead, acks: -1 }), true);
      deadLettered.inc(dead.length);
      logger.warn({ count: dead.length, partition: batch.partition }, 'records sent to the dead-letter topic');
    }
    payload.resolveOffset(batch.lastOffset());
    await payload.commitOffsetsIfNecessary();

    for (const chunk of out.decided) {
      for (const d of chunk.decided) {
        const final =
          d.app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ||
          d.app.status === ApplicationStatus.APPLICATION_STATUS_SOLD_OUT;
        if (!final) continue;
        decisionsTotal.inc({ status: d.app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? 'issued' : 'sold_out' });
      }
      reportRemaining(chunk.eventId, chunk.progress.remaining);
    }
    // Live status is best effort: a subscriber that misses it reads the decision with GetApplication.
    await decider.publish(out.decided).catch((err: unknown) => logger.warn({ err }, 'could not publish decisions'));
    batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };

  /** The batch's decisions as one span: a child of the first sampled record's trace, linked to the others'. */
  const tracedBatch = async (payload: EachBatchPayload): Promise<void> => {
    if (!tracing.enabled) return handleBatch(payload);
    const { messages, partition } = payload.batch;
    const span = startBatchSpan(
      tracing,
      'decide applications',
      SpanKind.CONSUMER,
      messages.map((m) => recordTrace(m.headers)),
      {
        'messaging.destination.partition.id': String(partition),
        'messaging.batch.message_count': messages.length,
      },
    );
    try {
      await handleBatch(payload);
      span.end();
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
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
            await tracedBatch(payload);
          } catch (err) {
            if (!(err instanceof Abandoned)) throw err;
          }
        },
      });
    },
    async stop(): Promise<void> {
      stopping = true;
      await consumer.disconnect();
      await dlqProducer.disconnect();
    },
  };
}

export type IssuerConsumer = ReturnType<typeof createIssuerConsumer>;
