import { eventKeys, type StockScripts } from '@fcfs/stock';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { QueryTypes, type Sequelize } from 'sequelize';
import { pendingSwept } from '../metrics';
import { partitionOf, readOffsets } from './offsets';
import { orphanPosition, sweepableBefore, type EndsSnapshot } from './rule';

export interface SweeperDeps {
  redis: Redis;
  scripts: Pick<StockScripts, 'sweep'>;
  sequelize: Sequelize;
  admin: Admin;
  topic: string;
  /** The issuer's consumer group on `topic`. */
  issuerGroup: string;
  prefix: string;
  logger: Logger;
  now: () => number;
  /** A PENDING younger than this is never swept (see rule.ts). */
  graceMs: number;
  /** How often a pass runs; 0: never on its own (sweepOnce still works). */
  intervalMs: number;
}

/** Events closed longer ago than this are left alone: their line drained long before. */
const RECENTLY_CLOSED_MS = 24 * 60 * 60 * 1_000;
/** Entries per HSCAN page, and so at most per sweep.lua call: each Redis call stays short. */
const PAGE = 1_000;

/**
 * Repairs the line after an event-service process died between the gate and the produce: PENDING
 * entries whose record never reached Kafka are removed and released (sweep.lua), per rule.ts. Runs every
 * `intervalMs` over the events that are open or recently closed, reading each applications hash in HSCAN
 * pages; one pass at a time. Any replica may run it: sweep.lua re-checks each entry atomically.
 */
export function createSweeper(deps: SweeperDeps) {
  const { redis, scripts, sequelize, admin, topic, issuerGroup, prefix, logger, now, graceMs, intervalMs } = deps;
  let previous: EndsSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;
  let failing = false;

  const activeEvents = async (at: number): Promise<string[]> => {
    const since = new Date(at - RECENTLY_CLOSED_MS);
    const rows = await sequelize.query<{ id: string | number }>(
      `SELECT id FROM events WHERE status <> 'DRAFT'
         AND (closed_at IS NULL OR closed_at >= ?) AND (closes_at IS NULL OR closes_at >= ?)`,
      { replacements: [since, since], type: QueryTypes.SELECT },
    );
    return rows.map((r) => String(r.id));
  };

  /** Sweeps one event's orphans applied at or before `limit`; resolves to how many were swept. */
  const sweepEvent = async (eventId: string, limit: number): Promise<number> => {
    const keys = eventKeys(prefix, eventId);
    let swept = 0;
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(keys.apps, cursor, 'COUNT', PAGE);
      cursor = next;
      const orphans: { participantId: string; position: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const position = orphanPosition(flat[i + 1] as string, limit);
        if (position !== undefined) orphans.push({ participantId: flat[i] as string, position });
      }
      if (orphans.length > 0) swept += await scripts.sweep(keys, orphans);
    } while (cursor !== '0' && !stopped);
    return swept;
  };

  const pass = async (): Promise<number> => {
    const at = now();
    const { ends, committed } = await readOffsets(admin, topic, issuerGroup);
    const current: EndsSnapshot = { at, ends };
    const snapshots = previous === undefined ? [current] : [previous, current];
    previous = current;
    if (ends.length === 0) return 0;
    let total = 0;
    for (const eventId of await activeEvents(at)) {
      if (stopped) break;
      const limit = sweepableBefore(partitionOf(topic, eventId, ends.length), committed, snapshots, graceMs);
      // The issuer has not consumed that far yet: whatever is PENDING may still be on its way.
      if (limit === undefined) continue;
      const swept = await sweepEvent(eventId, limit);
      if (swept > 0) {
        pendingSwept.inc(swept);
        logger.warn({ eventId, count: swept }, 'swept PENDING applications whose record never reached Kafka');
        total += swept;
      }
    }
    return total;
  };

  const sweepOnce = (): Promise<number> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const tick = async () => {
    try {
      await sweepOnce();
      if (failing) logger.info('the sweeper works again');
      failing = false;
    } catch (err) {
      if (!failing) logger.warn({ err }, 'sweep failed; retrying every interval');
      failing = true;
    }
    if (!stopped) schedule();
  };

  const schedule = () => {
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };

  return {
    start(): void {
      if (intervalMs > 0 && timer === undefined && !stopped) schedule();
    },
    /** One pass now (tests, or an operator); resolves to how many were swept. */
    sweepOnce,
    /** Stops the schedule and waits for a pass under way. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;
