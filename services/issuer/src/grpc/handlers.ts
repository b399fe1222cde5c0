import { parseId, ServiceError, type Handlers, type TokenVerifier } from '@fcfs/kit';
import {
  DECISIONS_SQL,
  decisionOf,
  eventKeys,
  parseEntry,
  readHotState,
  storedDecision,
  toDecision,
  type DecisionRow,
  type StoredApplication,
} from '@fcfs/stock';
import { ApplicationStatus, type Difference, type IssuerServiceService } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { GIFT_COLUMNS, giftHandlers, toGift, type GiftRow } from './gifts';

export interface IssuerHandlerDeps {
  redis: Redis;
  sequelize: Sequelize;
  prefix: string;
  /** Verifies the forwarded admin token of admin calls (RedeemGift). */
  verifier: TokenVerifier;
}

const MAX_PAGE = 1_000;
const DEFAULT_PAGE = 100;
const MAX_DIFFERENCES = 1_000;

function parsePageToken(token: string): { position: number; id: string } | undefined {
  if (token === '') return undefined;
  const match = /^(\d{1,10}):(\d{1,20})$/.exec(Buffer.from(token, 'base64url').toString());
  if (match === null) throw ServiceError.invalidArgument('pageToken is not one this service handed out');
  return { position: Number(match[1]), id: match[2] as string };
}

const pageToken = (position: number, id: string) => Buffer.from(`${position}:${id}`).toString('base64url');

const STATUS_NAMES: Partial<Record<ApplicationStatus, string>> = {
  [ApplicationStatus.APPLICATION_STATUS_PENDING]: 'PENDING',
  [ApplicationStatus.APPLICATION_STATUS_ISSUED]: 'ISSUED',
  [ApplicationStatus.APPLICATION_STATUS_SOLD_OUT]: 'SOLD_OUT',
  [ApplicationStatus.APPLICATION_STATUS_WAITLISTED]: 'WAITLISTED',
  [ApplicationStatus.APPLICATION_STATUS_OFFERED]: 'OFFERED',
  [ApplicationStatus.APPLICATION_STATUS_EXPIRED]: 'EXPIRED',
};

/** Redis's and MySQL's view of one application, as Reconcile reports them. */
function describe(app: StoredApplication | undefined): string {
  if (app === undefined) return 'missing';
  const status = STATUS_NAMES[app.status] ?? 'UNKNOWN';
  // Only a gift's code is compared: an offer's code is Redis's alone until it is claimed.
  const code = app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? app.giftCode : undefined;
  return code === undefined ? `${status}@${app.position}` : `${status}@${app.position}:${code}`;
}

/** The issuer's internal gRPC surface: decisions, gifts, and a Redis-vs-MySQL reconciliation. */
export function issuerHandlers({ redis, sequelize, prefix, verifier }: IssuerHandlerDeps): Handlers<typeof IssuerServiceService> {
  const requireEvent = async (eventId: string): Promise<{ stock: number }> => {
    const [event] = await sequelize.query<{ stock: number }>('SELECT stock FROM events WHERE id = ?', {
      replacements: [eventId],
      type: QueryTypes.SELECT,
    });
    if (event === undefined) throw ServiceError.notFound(`event ${eventId} does not exist`);
    return event;
  };

  return {
    ...giftHandlers({ sequelize, verifier }),

    async getDecision(req) {
      const eventId = parseId(req.eventId, 'eventId');
      const participantId = parseId(req.participantId, 'participantId');
      const entry = await redis.hget(eventKeys(prefix, eventId).apps, participantId);
      if (entry !== null) {
        const app = parseEntry(entry);
        // Undecided: in line, or still in the waiting room (issue #17).
        if (
          app.status === ApplicationStatus.APPLICATION_STATUS_PENDING ||
          app.status === ApplicationStatus.APPLICATION_STATUS_WAITING
        )
          return { decision: undefined };
        return { decision: toDecision(eventId, participantId, app) };
      }
      await requireEvent(eventId);
      const app = await decisionOf(sequelize, eventId, participantId);
      return { decision: app === undefined ? undefined : toDecision(eventId, participantId, app) };
    },

    async listGifts(req) {
      const eventId = parseId(req.eventId, 'eventId');
      if (req.pageSize < 0 || req.pageSize > MAX_PAGE)
        throw ServiceError.invalidArgument(`pageSize must be between 1 and ${MAX_PAGE}`);
      const size = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
      const after = parsePageToken(req.pageToken);
      await requireEvent(eventId);
      const rows = await sequelize.query<GiftRow>(
        `SELECT ${GIFT_COLUMNS} FROM gifts
          WHERE event_id = ? ${after ? 'AND (position > ? OR (position = ? AND id > ?))' : ''}
          ORDER BY position, id LIMIT ?`,
        {
          replacements: after ? [eventId, after.position, after.position, after.id, size + 1] : [eventId, size + 1],
          type: QueryTypes.SELECT,
        },
      );
      const page = rows.slice(0, size);
      const gifts = page.map(toGift);
      const last = page[page.length - 1];
      return { gifts, nextPageToken: rows.length > size && last ? pageToken(last.position, String(last.id)) : '' };
    },

    async reconcile(req) {
      const eventId = parseId(req.eventId, 'eventId');
      const { stock } = await requireEvent(eventId);
      const keys = eventKeys(prefix, eventId);
      const [rows, entries, hot] = await Promise.all([
        sequelize.query<DecisionRow>(DECISIONS_SQL, { replacements: [eventId], type: QueryTypes.SELECT }),
        redis.hgetall(keys.apps),
        readHotState(redis, keys),
      ]);
      const mysql = new Map<string, StoredApplication>();
      let issuedMysql = 0;
      for (const row of rows) {
        const app = storedDecision(row);
        if (app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED) issuedMysql++;
        mysql.set(String(row.participant_id), app);
      }
      const differences: Difference[] = [];
      let differenceCount = 0;
      const note = (participantId: string, r: StoredApplication | undefined, m: StoredApplication | undefined) => {
        const redisView = describe(r);
        const mysqlView = describe(m);
        if (redisView === mysqlView) return;
        differenceCount++;
        if (differences.length < MAX_DIFFERENCES) differences.push({ participantId, redis: redisView, mysql: mysqlView });
      };
      for (const [participantId, entry] of Object.entries(entries))
        note(participantId, parseEntry(entry), mysql.get(participantId));
      for (const [participantId, app] of mysql) if (entries[participantId] === undefined) note(participantId, undefined, app);
      const issuedRedis = hot?.issued ?? 0;
      return {
        consistent: differenceCount === 0 && hot !== undefined && issuedRedis === issuedMysql && issuedMysql <= stock,
        stock,
        issuedMysql,
        issuedRedis,
        remainingRedis: hot === undefined ? 0 : Math.max(0, hot.stock - hot.issued),
        applicationsMysql: rows.length,
        applicationsRedis: Object.keys(entries).length,
        differences,
      };
    },
  };
}
