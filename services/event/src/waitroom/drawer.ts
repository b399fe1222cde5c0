import { randomBytes } from 'node:crypto';
import { estimateWaitSeconds } from '@fcfs/kit';
import { ApplicationStatus, type Application } from '@fcfs/proto';
import {
  admissionsMessage,
  encodeRecord,
  eventKeys,
  parseEntry,
  readHotState,
  readPace,
  rebuildEventState,
  toApplication,
  type RebuildDeps,
} from '@fcfs/stock';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { ApplicationsProducer } from '../gate/producer';
import type { DrawStore, RecordedDraw } from './draw-store';

export interface DrawerDeps extends RebuildDeps {
  store: DrawStore;
  /** Its own producer (not the gate's): the draw's records go out beside the gate's batches. */
  producer: Pick<ApplicationsProducer, 'send'>;
  logger: Logger;
  now: () => number;
  /** How often each replica looks for a due draw. */
  intervalMs: number;
  /** A drawer's claim on one event's placement; another replica takes over when it lapses (the holder died). */
  leaseMs: number;
  /** Test hook: runs between the recorded draw and its placement in Redis (a crash there is tested). */
  afterDraw?: ((draw: RecordedDraw) => Promise<void>) | undefined;
}

/** Participants per place.lua call and per Kafka send: thousands in one step, without one huge script run. */
const CHUNK = 5_000;

/**
 * The waiting room's drawer, run by every event-service replica. At the opening of an event with a waiting room it
 *   1. makes or reads THE draw in MySQL (draw-store.ts: one per event, whoever races),
 *   2. places it in Redis (place.lua: positions 1..W in drawn order; idempotent, so a half-done placement is
 *      finished by running it again), which opens the gate to later applicants,
 *   3. tells every BFF (admissions messages, per chunk as it is placed) so live subscriptions hear their positions
 *      at once, then produces each placed participant's record to Kafka (the issuer decides them in position order;
 *      a record produced twice is decided once: decide.lua remembers),
 *   4. marks the draw placed in MySQL.
 * A drawer that dies anywhere in 1-4 leaves `draws.placed_at` empty: the next tick of any replica (once the dead
 * one's Redis lease lapsed) runs 1-4 again with the recorded draw, and finishes it.
 */
export function createDrawer(deps: DrawerDeps) {
  const { store, redis, scripts, prefix, producer, logger, now } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const token = randomBytes(8).toString('hex');
  const leaseKey = (eventId: string) => `${eventKeys(prefix, eventId).state}:drawer`;

  const ensureState = async (eventId: string) => {
    const keys = eventKeys(prefix, eventId);
    // Held like any rebuild after a loss (hold.lua): admissions after a placed draw may still be in Kafka.
    if ((await readHotState(redis, keys)) === undefined) await rebuildEventState(deps, eventId, { heldSinceMs: now() });
    return keys;
  };

  /**
   * Places the recorded draw chunk by chunk: each chunk announced as soon as it is in line (what it is told is the
   * recorded order, which a survivor would place the same), then its records produced. false: Redis lost the state.
   */
  const place = async (draw: RecordedDraw): Promise<boolean> => {
    const keys = await ensureState(draw.eventId);
    const linePace = await readPace(redis, prefix, keys, now());
    for (let i = 0; i === 0 || i < draw.order.length; i += CHUNK) {
      const chunk = draw.order.slice(i, i + CHUNK).map((participantId, k) => ({ participantId, position: i + k + 1 }));
      const last = i + CHUNK >= draw.order.length;
      const result = await scripts.place(keys, now(), draw.order.length, chunk, last);
      if (result === null) return false; // Redis lost the state meanwhile: the next tick rebuilds and goes on
      const messages: Message[] = [];
      const placed: Application[] = [];
      chunk.forEach(({ participantId, position }, k) => {
        const stored = parseEntry(result.entries[k] as string);
        if (stored.position !== position || stored.status === ApplicationStatus.APPLICATION_STATUS_ISSUED) return;
        const pending = stored.status === ApplicationStatus.APPLICATION_STATUS_PENDING;
        const value = encodeRecord({
          eventId: draw.eventId,
          participantId,
          position,
          appliedAtMs: stored.appliedAtMs,
          gateDecidedAtMs: pending ? undefined : stored.decidedAtMs,
        });
        messages.push({ key: draw.eventId, value });
        const ahead = Math.max(0, position - 1 - result.decidedThrough);
        const app = toApplication(draw.eventId, participantId, stored, ahead);
        placed.push({ ...app, linePace, estimatedWaitSeconds: estimateWaitSeconds(ahead, linePace) });
      });
      await announce(keys.channel, placed).catch((err: unknown) =>
        logger.warn({ err, eventId: draw.eventId }, 'could not announce placements'),
      );
      if (messages.length > 0) await producer.send(messages);
    }
    return true;
  };

  /** Tells the watchers (every BFF) where each was placed, with an estimate (the platform's peak pace, before this line moves). */
  const announce = async (channel: string, placed: Application[]) => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < placed.length; i += 1_000) pipeline.publish(channel, admissionsMessage(placed.slice(i, i + 1_000)));
    await pipeline.exec();
  };

  /** One event's draw, start to end, under this replica's lease. false: another replica holds it. */
  async function drawAndPlace(eventId: string): Promise<boolean> {
    const lease = leaseKey(eventId);
    if ((await redis.set(lease, token, 'PX', deps.leaseMs, 'NX')) !== 'OK') return false;
    try {
      const draw = await deps.store.drawOnce(eventId, now());
      if (draw === undefined) return true;
      if (draw.made) logger.info({ eventId, waiting: draw.order.length, seed: draw.seed }, 'waiting room drawn');
      await deps.afterDraw?.(draw);
      if (await place(draw)) await deps.store.markPlaced(eventId, now());
      return true;
    } finally {
      // Only our own lease: a lapsed one may be another replica's by now.
      if ((await redis.get(lease)) === token) await redis.del(lease);
    }
  }

  const tick = async () => {
    try {
      for (const eventId of await store.dueEvents(now())) {
        await drawAndPlace(eventId).catch((err: unknown) => logger.warn({ err, eventId }, 'draw failed; retrying'));
      }
    } catch (err) {
      logger.warn({ err }, 'could not look for due draws');
    }
  };

  return {
    drawAndPlace,
    start() {
      const loop = () => {
        running = tick().finally(() => {
          running = undefined;
          if (timer !== undefined) {
            timer = setTimeout(loop, deps.intervalMs);
            timer.unref();
          }
        });
      };
      timer = setTimeout(loop, 0);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Drawer = ReturnType<typeof createDrawer>;
