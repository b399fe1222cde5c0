import type { Application } from '@fcfs/proto';
import { admissionsMessage, eventKeys } from '@fcfs/stock';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Admitted } from './admit';

/**
 * Tells the event's watchers (every BFF process) about the applications a batch put in line, once they
 * are safe in Kafka: one message per event per batch, after the answers, never holding them up. Best
 * effort: a lost message costs a waiting subscriber a re-read, no more.
 */
export function publishAdmissions(
  redis: Redis,
  prefix: string,
  logger: Logger,
  shares: readonly { eventId: string; admitted: readonly Admitted[] }[],
): void {
  const pipeline = redis.pipeline();
  let any = false;
  for (const { eventId, admitted } of shares) {
    const applications: Application[] = [];
    for (const a of admitted) if (a.produced && a.response.application) applications.push(a.response.application);
    if (applications.length === 0) continue;
    pipeline.publish(eventKeys(prefix, eventId).channel, admissionsMessage(applications));
    any = true;
  }
  if (any) pipeline.exec().catch((err: unknown) => logger.debug({ err }, 'could not publish admissions'));
}
