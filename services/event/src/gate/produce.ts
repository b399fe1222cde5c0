import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { ApplicationsProducer } from './producer';

/**
 * What a produce came to. `sent`: acknowledged. `not-sent`: every attempt failed before a request reached a
 * broker, so no record of the batch is in Kafka and its admissions may be undone. `unknown`: some attempt may
 * have been written (a timeout, a connection closed mid-request, a broker error after the append): undoing
 * would hand out again positions whose records may still be decided, so nothing is undone and the sweeper
 * settles each PENDING entry (decided if its record is in Kafka, removed once the issuer passed it if not).
 */
export type ProduceOutcome = 'sent' | 'not-sent' | 'unknown';

// Connection-establishment failures: the request was never written to a socket.
const NEVER_SENT_NAMES = new Set([
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
]);
const NEVER_CONNECTED =
  /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection timeout|Failed to connect|Not connected/;

/**
 * Whether a failed send certainly wrote nothing. kafkajs reports one error per send (the last of its own
 * retries, kept to one here), without per-partition outcomes; only a failure to reach any broker is certain.
 */
export function neverSent(err: unknown): boolean {
  let e: unknown = err;
  // KafkaJSNumberOfRetriesExceeded wraps the last attempt's error.
  while (e instanceof Error && e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause !== undefined) e = e.cause;
  if (!(e instanceof Error)) return false;
  if (NEVER_SENT_NAMES.has(e.name)) return true;
  return e.name === 'KafkaJSConnectionError' && NEVER_CONNECTED.test(e.message);
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
        logger.warn({ err: (err as Error).message, attempt, count: messages.length, maybeSent }, 'produce failed; giving up');
        if (maybeSent) producer.reset();
        return maybeSent ? 'unknown' : 'not-sent';
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }
}
