import { randomBytes } from 'node:crypto';
import { ApplicationStatus } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import { formatEntry } from './entry';
import { eventKeys } from './keys';
import type { LineScripts } from './scripts';

export interface RebuildDeps {
  redis: Redis;
  scripts: LineScripts;
  sequelize: Sequelize;
  prefix: string;
}

export type RebuildOutcome = 'rebuilt' | 'present' | 'not-found';

interface EventFacts {
  stock: number;
  status: string;
  opens_at: Date | null;
  closes_at: Date | null;
}

interface DecisionRow {
  participant_id: string | number;
  status: string;
  position: number;
  applied_at: Date;
  decided_at: Date;
  code: string | null;
}

export function newEpoch(): string {
  return randomBytes(6).toString('hex');
}

const time = (d: Date | null) => (d === null ? undefined : d.getTime());

/**
 * Rebuilds one event's hot state from MySQL's truth after Redis lost it (flushed, restarted empty): the
 * stock less what is issued, and every decision made, so a redelivered application gets the same answer
 * and nobody applies twice. MySQL is read in one snapshot so counts and decisions agree.
 * `minPosition`: the highest position the caller knows was handed out (positions still on their way
 * through Kafka are not in MySQL), so new admissions do not reuse them.
 */
export async function rebuildEventState(deps: RebuildDeps, eventId: string, minPosition = 0): Promise<RebuildOutcome> {
  const keys = eventKeys(deps.prefix, eventId);
  if ((await deps.redis.hexists(keys.state, 'ready')) === 1) return 'present';
  // The snapshot and the Redis write happen under a shared lock on the event's row, which the issuer's
  // write transaction takes exclusively first (services/issuer/src/line/store.ts): no decision can be
  // committed after this snapshot but before this state exists, so none is left out of `issued`.
  const result = await deps.sequelize.transaction(
    { isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ },
    async (transaction): Promise<RebuildOutcome> => {
      const [event] = await deps.sequelize.query<EventFacts>(
        'SELECT stock, status, opens_at, closes_at FROM events WHERE id = ? LOCK IN SHARE MODE',
        { replacements: [eventId], type: QueryTypes.SELECT, transaction },
      );
      if (event === undefined) return 'not-found';
      const decisions = await deps.sequelize.query<DecisionRow>(
        `SELECT a.participant_id, a.status, a.position, a.applied_at, a.decided_at, g.code
           FROM applications a LEFT JOIN gifts g ON g.event_id = a.event_id AND g.participant_id = a.participant_id
          WHERE a.event_id = ?`,
        { replacements: [eventId], type: QueryTypes.SELECT, transaction },
      );
      let issued = 0;
      let soldOut = 0;
      let lastPosition = minPosition;
      const entries = decisions.map((d) => {
        const won = d.status === 'ISSUED';
        if (won) issued++;
        else soldOut++;
        if (d.position > lastPosition) lastPosition = d.position;
        const entry = formatEntry({
          status: won ? ApplicationStatus.APPLICATION_STATUS_ISSUED : ApplicationStatus.APPLICATION_STATUS_SOLD_OUT,
          position: d.position,
          appliedAtMs: d.applied_at.getTime(),
          decidedAtMs: d.decided_at.getTime(),
          giftCode: won ? (d.code ?? undefined) : undefined,
        });
        return { participantId: String(d.participant_id), entry };
      });
      const decidedThrough = decisions.reduce((max, d) => Math.max(max, d.position), 0);
      await deps.scripts.restore(keys, entries);
      const written = await deps.scripts.rebuild(keys, {
        epoch: newEpoch(),
        stock: event.stock,
        status: event.status,
        opensAtMs: time(event.opens_at),
        closesAtMs: time(event.closes_at),
        lastPosition,
        issued,
        soldOut,
        decidedThrough,
      });
      return written ? 'rebuilt' : 'present';
    },
  );
  return result;
}
