import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { ApplicationsProducer } from './producer';

/**
 * What a produce came to. `sent`: acknowledged. `not-sent`: every attempt failed on the connection (refused,
 * closed, reset) or before one (no metadata, no broker): the broker is gone, and the admissions are undone. Should
 * a broker have appended a batch just before it died, undoing it is still safe: decide.lua decides such a record
 * at its own position if the participant has no later admission, and leaves it alone if they do; the stock check
 * keeps issued <= stock. `unknown`: an attempt timed out or the broker answered an error, so it was alive and may
 * have appended the records (and likely did): undoing would hand those participants a second position, so
 * nothing is undone and the sweeper settles each PENDING entry (decided if its record is in Kafka, removed once
 * the issuer passed it if not). After either failure the producer is replaced (see produceWithRetry).
 */
export type ProduceOutcome = 'sent' | 'not-sent' | 'unknown';

// Failures of the connection itself, or before a request was made: the broker is not there.
const CONNECTION_FAILURES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
]);

/**
 * Whether a failed send is taken as not written: kafkajs reports one error per send (the last of its own retries,
 * kept to one here), without per-partition outcomes, so the judgement is per batch (see ProduceOutcome).
 */
export function neverSent(err: unknown): boolean {
  // kafkajs wraps the last attempt's error (KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError): walk the causes.
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (CONNECTION_FAILURES.has(e.name)) return true;
  return false;
}

export interface ProduceHealth {
  /** A produce attempt starts (one outstanding for long counts as failing). */
  attempt(): void;
  /** A produce attempt failed (the gate then fails fast for a while). */
  failed(): void;
  succeeded(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Produces one batch, retrying the idempotent producer with the same messages until the broker acknowledges
 * or `deadline` (ms) has come: a broker that blinks costs the callers a wait, not their admissions.
 */
export async function produceWithRetry(
  producer: Pick<ApplicationsProducer, 'send' | 'reset'>,
  messages: Message[],
  deadline: number,
  { logger, health, now }: { logger: Logger; health: ProduceHealth; now: () => number },
): Promise<ProduceOutcome> {
  let maybeSent = false;
  let delay = 50;
  for (let attempt = 1; ; attempt++) {
    try {
      health.attempt();
      await producer.send(messages);
      health.succeeded();
      if (attempt > 1) logger.info({ attempt, count: messages.length }, 'produce succeeded after a retry');
      return 'sent';
    } catch (err) {
      health.failed();
      if (!neverSent(err)) maybeSent = true;
      if (now() + delay >= deadline) {
        logger.warn({ err, attempt, count: messages.length, maybeSent }, 'produce failed; giving up');
        // Whatever the outcome, the next batch gets a new producer id: kafkajs rolls a failed request's sequence
        // numbers back, and an attempt that reached a broker which then died (reset mid-request; only the last
        // attempt's refused connection is reported) may have landed. A different batch sent under those numbers
        // would be acknowledged by the broker as that batch's duplicate, and dropped: admissions answered
        // ACCEPTED whose records never reach Kafka.
        producer.reset();
        return maybeSent ? 'unknown' : 'not-sent';
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }
}
