import {
  bearerMetadata,
  callUnary,
  createGrpcClient,
  createLogger,
  defineConfig,
  loadConfig,
  serviceCredentials,
  serviceIdentity,
} from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { IssuerServiceClient, type ReconcileResponse } from '@fcfs/proto';
import { QueryTypes } from 'sequelize';
import type { EventStats } from './graphql';

/** One checked invariant: what it says, whether it held, and the numbers behind the verdict. */
export interface InvariantCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** What MySQL holds for the run's event once the line is drained. */
export interface MysqlFacts {
  applications: number;
  byStatus: Record<string, number>;
  gifts: number;
  duplicateGifts: number;
  duplicateApplications: number;
  /** Decision times, epoch milliseconds, one per application. */
  decidedAtMs: number[];
  /** The highest position that won or was offered (ISSUED, OFFERED, EXPIRED), and the lowest that was not. */
  lastWinningPosition: number;
  firstLosingPosition: number | undefined;
}

export async function readMysqlFacts(mysqlUrl: string, eventId: string): Promise<MysqlFacts> {
  const sequelize = createSequelize(mysqlUrl, createLogger('loadtest', 'silent'), { pool: { max: 2, min: 0 } });
  try {
    const select = <T extends object>(sql: string) =>
      sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements: { eventId } });
    const statuses = await select<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM applications WHERE event_id = :eventId GROUP BY status',
    );
    const [gifts] = await select<{ n: number }>('SELECT COUNT(*) AS n FROM gifts WHERE event_id = :eventId');
    const [dupGifts] = await select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM (SELECT participant_id FROM gifts WHERE event_id = :eventId GROUP BY participant_id HAVING COUNT(*) > 1) d',
    );
    const [dupApps] = await select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM (SELECT participant_id FROM applications WHERE event_id = :eventId GROUP BY participant_id HAVING COUNT(*) > 1) d',
    );
    const decided = await select<{ ms: number | string }>(
      'SELECT FLOOR(UNIX_TIMESTAMP(decided_at) * 1000) AS ms FROM applications WHERE event_id = :eventId',
    );
    const [order] = await select<{ lastWin: number | null; firstLoss: number | null }>(
      `SELECT MAX(CASE WHEN status IN ('ISSUED', 'OFFERED', 'EXPIRED') THEN position END) AS lastWin,
              MIN(CASE WHEN status IN ('SOLD_OUT', 'WAITLISTED') THEN position END) AS firstLoss
         FROM applications WHERE event_id = :eventId`,
    );
    const byStatus: Record<string, number> = {};
    for (const { status, n } of statuses) byStatus[status] = Number(n);
    return {
      applications: Object.values(byStatus).reduce((a, b) => a + b, 0),
      byStatus,
      gifts: Number(gifts?.n ?? 0),
      duplicateGifts: Number(dupGifts?.n ?? 0),
      duplicateApplications: Number(dupApps?.n ?? 0),
      decidedAtMs: decided.map((row) => Number(row.ms)),
      lastWinningPosition: Number(order?.lastWin ?? 0),
      firstLosingPosition: order?.firstLoss == null ? undefined : Number(order.firstLoss),
    };
  } finally {
    await sequelize.close();
  }
}

/** The issuer's own comparison of Redis with MySQL (internal gRPC: a check, not the herd). */
export async function reconcile(issuerAddress: string, eventId: string, adminToken: string): Promise<ReconcileResponse> {
  // The `ops` caller, with SERVICE_TOKEN_PRIVATE_KEY when the target needs it, else the development key.
  const { identity } = loadConfig(defineConfig({ identity: serviceIdentity('ops') }), process.env, { exit: false });
  const client = createGrpcClient(IssuerServiceClient, issuerAddress, serviceCredentials(identity));
  try {
    return await callUnary(
      client.reconcile.bind(client),
      { eventId },
      { deadlineMs: 10_000, metadata: bearerMetadata(adminToken) },
    );
  } finally {
    client.close();
  }
}

export interface InvariantInputs {
  stock: number;
  participants: number;
  stats: EventStats | undefined;
  mysql: MysqlFacts;
  reconciliation: ReconcileResponse | { error: string };
  subscribers: number;
  subscribersFinal: number;
  /** The event has a claim window: winners may expire, so the stock need not all be issued. */
  claimWindow?: boolean;
}

/** The benchmark's verdicts after the drain; any `ok: false` fails the run. Pure. */
export function checkInvariants(input: InvariantInputs): InvariantCheck[] {
  const { stock, participants, stats, mysql, reconciliation } = input;
  const expectedIssued = Math.min(stock, participants);
  const checks: InvariantCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const issuedMysql = mysql.byStatus['ISSUED'] ?? 0;
  if (input.claimWindow) {
    const waitlisted = mysql.byStatus['WAITLISTED'] ?? 0;
    check(
      'after the event: every item ISSUED or the waitlist empty',
      issuedMysql <= stock &&
        mysql.gifts === issuedMysql &&
        stats?.issued === issuedMysql &&
        (issuedMysql === stock || waitlisted === 0),
      `stock ${stock}; ISSUED ${issuedMysql} (gifts ${mysql.gifts}, eventStats ${stats?.issued ?? 'unread'}); WAITLISTED ${waitlisted}; OFFERED ${mysql.byStatus['OFFERED'] ?? 0}`,
    );
  } else {
    check(
      'issued == min(stock, participants)',
      stats?.issued === expectedIssued && mysql.gifts === expectedIssued && issuedMysql === expectedIssued,
      `expected ${expectedIssued}; eventStats ${stats?.issued ?? 'unread'}, MySQL gifts ${mysql.gifts}, MySQL ISSUED applications ${issuedMysql}`,
    );
  }
  if (input.claimWindow) {
    check(
      'offers went in position order',
      mysql.firstLosingPosition === undefined || mysql.lastWinningPosition < mysql.firstLosingPosition,
      `last position offered or won ${mysql.lastWinningPosition}; first that lost ${mysql.firstLosingPosition ?? 'none'}`,
    );
  }
  check(
    'no duplicate gift or application',
    mysql.duplicateGifts === 0 && mysql.duplicateApplications === 0,
    `participants with >1 gift: ${mysql.duplicateGifts}; with >1 application: ${mysql.duplicateApplications}`,
  );
  const decided = issuedMysql + (mysql.byStatus['SOLD_OUT'] ?? 0) + (mysql.byStatus['EXPIRED'] ?? 0);
  check(
    'no PENDING left',
    stats?.pending === 0 && mysql.applications === participants && decided === participants,
    `eventStats pending ${stats?.pending ?? 'unread'}; MySQL applications ${mysql.applications} (decided ${decided}) of ${participants}`,
  );
  if ('error' in reconciliation) {
    check('Redis and MySQL agree', false, `Reconcile failed: ${reconciliation.error}`);
  } else {
    const shown = reconciliation.differences
      .slice(0, 3)
      .map((d) => `${d.participantId}: redis ${d.redis}, mysql ${d.mysql}`)
      .join('; ');
    check(
      'Redis and MySQL agree',
      reconciliation.consistent && reconciliation.differences.length === 0,
      `issued redis ${reconciliation.issuedRedis} / mysql ${reconciliation.issuedMysql}; applications redis ${reconciliation.applicationsRedis} / mysql ${reconciliation.applicationsMysql}; ${reconciliation.differences.length} differences${shown ? ` (${shown})` : ''}`,
    );
  }
  check(
    'every subscriber got its final status',
    input.subscribersFinal === input.subscribers,
    `${input.subscribersFinal} of ${input.subscribers}`,
  );
  return checks;
}
