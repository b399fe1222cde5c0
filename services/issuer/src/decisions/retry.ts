import { classifyError } from '@fcfs/kit';
import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { pausedPartitions } from '../metrics';

/** Thrown inside a batch when the consumer is stopping or the group rebalanced: leave the batch unresolved. */
export class Abandoned extends Error {}

/** A step failed in a way that repeating it will not fix (classifyError): its records go to the dead-letter topic. */
export class Permanent extends Error {
  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, { cause });
  }
}

export interface RetryPolicy {
  /** First delay after a retriable failure; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /**
   * The group's heartbeat interval: a backoff longer than it heartbeats every interval while it waits, so a wait
   * of maxBackoffMs (5 s by default) never outlasts a shorter session (3 s by default) and costs a rebalance.
   */
  heartbeatMs: number;
  logger: Logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** After a wait: whether this consumer still owns the batch (running, not rebalanced, heartbeat accepted). */
async function stillOwned(payload: EachBatchPayload): Promise<boolean> {
  if (!payload.isRunning() || payload.isStale()) return false;
  return payload.heartbeat().then(
    () => true,
    () => false,
  );
}

/**
 * Waits `ms`, heartbeating at least every `heartbeatMs` meanwhile and once at the end: whether this consumer still
 * owns the batch throughout (false as soon as it does not).
 */
export async function waitOwned(payload: EachBatchPayload, ms: number, heartbeatMs: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    await sleep(Math.max(0, Math.min(heartbeatMs, until - Date.now())));
    if (!(await stillOwned(payload))) return false;
    if (Date.now() >= until) return true;
  }
}

/**
 * Between steps of a batch: heartbeats (kafkajs sends one only once its interval has passed), so a batch of many
 * chunks never outlasts the session; throws Abandoned when the batch is no longer this consumer's.
 */
export async function keepOwned(payload: EachBatchPayload): Promise<void> {
  if (!(await stillOwned(payload))) throw new Abandoned();
}

/**
 * Runs one step of a batch until it succeeds. While it fails retriably (a dependency down, a timeout, a
 * deadlock) the partition waits with backoff, heartbeating, so nothing is skipped. A failure that would
 * repeat every time throws Permanent with its reason, unless `always` (a step that must not be skipped,
 * such as the dead-letter send itself).
 */
export async function retrying<T>(
  policy: RetryPolicy,
  payload: EachBatchPayload,
  what: string,
  fn: () => Promise<T>,
  always = false,
): Promise<T> {
  const partition = payload.batch.partition;
  let delay = policy.backoffMs;
  let failures = 0;
  for (;;) {
    try {
      const value = await fn();
      if (failures > 0) {
        pausedPartitions.dec();
        policy.logger.info({ what, failures, partition }, 'dependency back: consumption resumed');
      }
      return value;
    } catch (err) {
      const { retriable, reason } = classifyError(err);
      if (!retriable && !always) {
        if (failures > 0) pausedPartitions.dec();
        throw new Permanent(`${what} failed: ${reason}`, err);
      }
      if (failures === 0) {
        pausedPartitions.inc();
        policy.logger.warn({ err, what, reason, partition }, 'consumption paused: retrying with backoff');
      }
      failures++;
      if (!(await waitOwned(payload, delay, policy.heartbeatMs))) {
        pausedPartitions.dec();
        throw new Abandoned();
      }
      delay = Math.min(delay * 2, policy.maxBackoffMs);
    }
  }
}
