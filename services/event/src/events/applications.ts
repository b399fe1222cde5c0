import { ApplicationStatus, type Application } from '@fcfs/proto';
import {
  decisionOf,
  eventKeys,
  parseEntry,
  rebuildEventState,
  toApplication,
  type RebuildDeps,
  type StoredApplication,
  type Watermarks,
} from '@fcfs/stock';
import { lineReader, withEstimate } from '../waitroom/estimate';
import type { Catalog } from './catalog';

export interface ApplicationReaderDeps extends RebuildDeps {
  catalog: Pick<Catalog, 'hotState'>;
  watermarks: Watermarks;
  now: () => number;
}

/**
 * One participant's application, read from Redis with MySQL as the authority behind it: a status once told
 * never disappears. Redis lacking the entry (lost, rewound, being rebuilt) falls back to MySQL's decision; a
 * Redis whose watermark is below MySQL's went back in time, so its PENDING may be a decision it forgot: MySQL's
 * decision is answered, and the state is rebuilt from MySQL (forced, held: rebuild.ts). WAITING, PENDING and
 * WAITLISTED come with an estimated wait from the line's pace (issue #17).
 */
export function createApplicationReader(deps: ApplicationReaderDeps) {
  const { redis, prefix, catalog, watermarks, sequelize } = deps;
  return async function readApplication(eventId: string, participantId: string): Promise<Application | undefined> {
    const hot = await catalog.hotState(eventId);
    const entry = await redis.hget(eventKeys(prefix, eventId).apps, participantId);
    const stored: StoredApplication | undefined = entry === null ? undefined : parseEntry(entry);
    const pending = stored === undefined || stored.status === ApplicationStatus.APPLICATION_STATUS_PENDING;
    if (pending) {
      const stale = hot.decidedThrough < (await watermarks.decidedThrough(eventId));
      if (stale) {
        await rebuildEventState(deps, eventId, { force: true, staleEpoch: hot.epoch, heldSinceMs: deps.now() });
      }
      if (stored === undefined || stale) {
        const decided = await decisionOf(sequelize, eventId, participantId);
        if (decided !== undefined) return toApplication(eventId, participantId, decided);
      }
    }
    if (stored === undefined) return undefined;
    // WAITING after the draw was placed: never confirmed, so not in the draw (waitroom/confirm.ts): not applied.
    if (stored.status === ApplicationStatus.APPLICATION_STATUS_WAITING && hot.drawn) return undefined;
    const keys = eventKeys(prefix, eventId);
    // Exact whatever order the issuer decides in: the PENDING admissions before it in the line.
    const ahead =
      stored.status === ApplicationStatus.APPLICATION_STATUS_PENDING
        ? await redis.zcount(keys.line, '-inf', `(${stored.position}`)
        : undefined;
    const application = toApplication(eventId, participantId, stored, ahead);
    const now = deps.now();
    return withEstimate(application, hot, lineReader(redis, prefix, keys, now), now);
  };
}

export type ApplicationReader = ReturnType<typeof createApplicationReader>;
