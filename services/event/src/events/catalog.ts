import type { EventRow, Models } from '@fcfs/db';
import { estimateDrainSeconds, ServiceError } from '@fcfs/kit';
import {
  eventKeys,
  readHotState,
  readPace,
  rebuildEventState,
  type EventSettings,
  type HotState,
  type RebuildDeps,
} from '@fcfs/stock';
import type { Event } from '@fcfs/proto';
import { Op, QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { effectiveStatus } from './status';
import { parseClaimSettings, parseName, parseSchedule, parseStock, parseWaitingRoom } from './validation';

export interface CatalogDeps extends RebuildDeps {
  sequelize: Sequelize;
  models: Models;
  now: () => number;
}

const time = (d: Date | null) => (d === null ? undefined : d.getTime());
const date = (ms: number | undefined) => (ms === undefined ? null : new Date(ms));
const LIST_LIMIT = 200;

export interface EmailCounts {
  emailsSent: number;
  emailsPending: number;
  emailsFailed: number;
}

/** Events in MySQL, their hot state in Redis kept in step (admin operations and reads). */
export function createCatalog(deps: CatalogDeps) {
  const { models, redis, scripts, prefix, now } = deps;

  const toEvent = (row: EventRow, hot: HotState | undefined): Event => {
    const stock = hot?.stock ?? row.stock;
    const line = hot === undefined ? undefined : { stock, issued: hot.issued, pending: hot.pending };
    const opensAtMs = time(row.opens_at);
    const closesAtMs = time(row.closes_at);
    return {
      id: String(row.id),
      name: row.name,
      status: effectiveStatus({ stored: row.status, opensAtMs, closesAtMs, line }, now()),
      stock,
      remaining: Math.max(0, stock - (hot?.issued ?? 0)),
      opensAtMs,
      closesAtMs,
      createdAtMs: row.created_at.getTime(),
      waitingRoomOpensAtMs: time(row.waiting_room_opens_at),
      claimWindowSeconds: row.claim_window_seconds ?? 0,
      maxOpenOffers: row.max_open_offers ?? undefined,
    };
  };

  /** The event with its drain estimate: positions handed out and not yet decided, at the line's pace. */
  const withDrain = async (event: Event, hot: HotState | undefined): Promise<Event> => {
    if (hot === undefined || hot.seq <= hot.decidedThrough) return event;
    const pace = await readPace(redis, prefix, eventKeys(prefix, event.id), now());
    return { ...event, estimatedDrainSeconds: estimateDrainSeconds(hot.seq - hot.decidedThrough, pace) };
  };

  const findRow = async (eventId: string): Promise<EventRow> => {
    const row = await models.Event.findByPk(eventId);
    if (row === null) throw ServiceError.notFound(`event ${eventId} does not exist`);
    return row;
  };

  /** The hot state, rebuilt from MySQL when Redis has lost it. */
  const hotState = async (eventId: string): Promise<HotState> => {
    const keys = eventKeys(prefix, eventId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const hot = await readHotState(redis, keys);
      if (hot !== undefined) return hot;
      // Held: positions still in Kafka are unknown to MySQL until the issuer has consumed them (hold.lua).
      if ((await rebuildEventState(deps, eventId, { heldSinceMs: now() })) === 'not-found')
        throw ServiceError.notFound(`event ${eventId} does not exist`);
    }
    throw ServiceError.unavailable(`the state of event ${eventId} could not be loaded`);
  };

  /**
   * Writes settings into the hot state, rebuilding it first if Redis lost it. `rebuild: false` under the event's
   * row lock: a rebuild takes that row from another connection and would wait for the lock to time out.
   */
  const configure = async (eventId: string, settings: EventSettings, rebuild = true): Promise<void> => {
    const keys = eventKeys(prefix, eventId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await scripts.configure(keys, settings);
      if (result.kind === 'done') return;
      if (result.kind === 'below-issued') {
        const { issued, offered } = result;
        const taken =
          offered > 0
            ? `${issued + offered} already issued or offered (${issued} issued, ${offered} offered)`
            : `${issued} already issued`;
        throw ServiceError.failedPrecondition(`stock cannot go below the ${taken}`, 'STOCK_BELOW_ISSUED');
      }
      if (!rebuild) break;
      if ((await rebuildEventState(deps, eventId, { heldSinceMs: now() })) === 'not-found')
        throw ServiceError.notFound(`event ${eventId} does not exist`);
    }
    throw ServiceError.unavailable(`the state of event ${eventId} could not be loaded`);
  };

  /** Runs `fn` in a transaction holding the event's row exclusively (setStock's Redis write and commit). */
  const withEventLocked = <T>(eventId: string, fn: (row: EventRow, transaction: Transaction) => Promise<T>) =>
    deps.sequelize.transaction(async (transaction) => {
      const row = await models.Event.findByPk(eventId, { transaction, lock: transaction.LOCK.UPDATE });
      if (row === null) throw ServiceError.notFound(`event ${eventId} does not exist`);
      return fn(row, transaction);
    });

  /**
   * After a setStock whose Redis write succeeded but whose MySQL transaction failed (the commit itself, say):
   * Redis takes MySQL's committed stock again, under the row lock, so no other setStock sits between its own
   * Redis write and commit. Should the issuer already have issued beyond that stock, Redis's stands and MySQL
   * takes it instead.
   */
  const resyncStock = (eventId: string) =>
    withEventLocked(eventId, async (row, transaction) => {
      const keys = eventKeys(prefix, eventId);
      const result = await scripts.configure(keys, { stock: row.stock });
      const hot = result.kind === 'below-issued' ? await readHotState(redis, keys) : undefined;
      if (hot !== undefined) await row.update({ stock: hot.stock, updated_at: new Date(now()) }, { transaction });
    });

  return {
    hotState,

    /** Gift codes of the event already redeemed (the issuer's RedeemGift marks them). */
    async redeemedCount(eventId: string): Promise<number> {
      const [row] = await deps.sequelize.query<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM gifts WHERE event_id = ? AND redeemed_at IS NOT NULL',
        { replacements: [eventId], type: QueryTypes.SELECT },
      );
      return Number(row?.n ?? 0);
    },

    /** The event's result e-mails by outbox state (one index-only read: outbox_event_kind_status). */
    async emailCounts(eventId: string): Promise<EmailCounts> {
      const rows = await deps.sequelize.query<{ status: string; n: number | string }>(
        "SELECT status, COUNT(*) AS n FROM outbox WHERE event_id = ? AND kind = 'RESULT_EMAIL' GROUP BY status",
        { replacements: [eventId], type: QueryTypes.SELECT },
      );
      const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
      return { emailsSent: of('SENT'), emailsPending: of('PENDING'), emailsFailed: of('FAILED') };
    },

    async create(input: {
      name: unknown;
      stock: unknown;
      opensAtMs: number | undefined;
      closesAtMs: number | undefined;
      waitingRoomOpensAtMs?: number | undefined;
      claimWindowSeconds?: number | undefined;
      maxOpenOffers?: number | undefined;
    }) {
      const name = parseName(input.name);
      const stock = parseStock(input.stock);
      const claim = parseClaimSettings(input.claimWindowSeconds, input.maxOpenOffers);
      const { opensAtMs, closesAtMs } = parseSchedule(input.opensAtMs, input.closesAtMs, now());
      const waitingRoomOpensAtMs = parseWaitingRoom(input.waitingRoomOpensAtMs, opensAtMs, now());
      const at = new Date(now());
      const row = await models.Event.create({
        name,
        stock,
        status: opensAtMs === undefined ? 'DRAFT' : 'SCHEDULED',
        opens_at: date(opensAtMs),
        closes_at: date(closesAtMs),
        waiting_room_opens_at: date(waitingRoomOpensAtMs),
        claim_window_seconds: claim.claimWindowSeconds,
        max_open_offers: claim.maxOpenOffers,
        created_at: at,
        updated_at: at,
      });
      const eventId = String(row.id);
      await rebuildEventState(deps, eventId);
      return toEvent(row, await hotState(eventId));
    },

    async get(eventId: string) {
      const row = await findRow(eventId);
      const hot = await hotState(eventId);
      return withDrain(toEvent(row, hot), hot);
    },

    async list(includeDrafts: boolean) {
      const rows = await models.Event.findAll({
        where: includeDrafts ? {} : { status: { [Op.ne]: 'DRAFT' } },
        order: [['id', 'DESC']],
        limit: LIST_LIMIT,
      });
      const hot = await Promise.all(rows.map((r) => readHotState(redis, eventKeys(prefix, String(r.id)))));
      return Promise.all(rows.map((r, i) => withDrain(toEvent(r, hot[i]), hot[i])));
    },

    async setStock(eventId: string, rawStock: unknown) {
      const stock = parseStock(rawStock);
      // Any rebuild first, before the row lock below (see configure).
      await hotState(eventId);
      let written = false;
      try {
        const row = await withEventLocked(eventId, async (locked, transaction) => {
          // Redis checks the stock against what is issued atomically with the issuer's decisions.
          await configure(eventId, { stock }, false);
          written = true;
          return locked.update({ stock, updated_at: new Date(now()) }, { transaction });
        });
        return toEvent(row, await hotState(eventId));
      } catch (err) {
        if (written) await resyncStock(eventId).catch(() => undefined);
        throw err;
      }
    },

    async open(eventId: string) {
      const row = await findRow(eventId);
      const nowMs = now();
      // Opening by hand overrides a closing time already passed.
      const closesAt = row.closes_at !== null && row.closes_at.getTime() <= nowMs ? null : row.closes_at;
      await row.update({ status: 'OPEN', opened_at: new Date(nowMs), closes_at: closesAt, updated_at: new Date(nowMs) });
      await configure(eventId, { status: 'OPEN', closesAtMs: time(closesAt) ?? null });
      return toEvent(row, await hotState(eventId));
    },

    async close(eventId: string) {
      const row = await findRow(eventId);
      const at = new Date(now());
      await row.update({ status: 'CLOSED', closed_at: at, updated_at: at });
      await configure(eventId, { status: 'CLOSED' });
      return toEvent(row, await hotState(eventId));
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
