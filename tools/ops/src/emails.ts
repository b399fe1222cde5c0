import { QueryTypes } from 'sequelize';
import type { OpsContext, Output } from './context';

/** A result e-mail the notifier gave up on (outbox status FAILED). */
export interface FailedEmail {
  id: string;
  eventId: string;
  participantId: string;
  email: string | null;
  attempts: number;
  lastError: string | null;
  decidedAt: Date;
}

interface Filter {
  eventId: string | undefined;
  id?: string | undefined;
}

/** The WHERE clause for FAILED result e-mails, narrowed to an event and/or a row. */
function failedWhere({ eventId, id }: Filter): { sql: string; replacements: Record<string, string> } {
  const clauses = ["o.status = 'FAILED'", "o.kind = 'RESULT_EMAIL'"];
  const replacements: Record<string, string> = {};
  if (eventId !== undefined) {
    clauses.push('o.event_id = :eventId');
    replacements['eventId'] = eventId;
  }
  if (id !== undefined) {
    clauses.push('o.id = :id');
    replacements['id'] = id;
  }
  return { sql: clauses.join(' AND '), replacements };
}

function selectFailed(ctx: OpsContext, filter: Filter, limit: number): Promise<FailedEmail[]> {
  const where = failedWhere(filter);
  return ctx.sequelize().query<FailedEmail>(
    `SELECT CAST(o.id AS CHAR) AS id, CAST(o.event_id AS CHAR) AS eventId, CAST(o.participant_id AS CHAR) AS participantId,
            p.email, o.attempts, o.last_error AS lastError, o.decided_at AS decidedAt
       FROM outbox o LEFT JOIN participants p ON p.id = o.participant_id
      WHERE ${where.sql}
      ORDER BY o.id LIMIT :limit`,
    { replacements: { ...where.replacements, limit }, type: QueryTypes.SELECT },
  );
}

async function countFailed(ctx: OpsContext, filter: Filter): Promise<number> {
  const where = failedWhere(filter);
  const [row] = await ctx.sequelize().query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM outbox o WHERE ${where.sql}`, {
    replacements: where.replacements,
    type: QueryTypes.SELECT,
  });
  return Number(row?.n ?? 0);
}

const line = (e: FailedEmail) =>
  `${e.id}  event=${e.eventId} participant=${e.participantId} ${e.email ?? '(no such participant)'}  attempts=${e.attempts}  ${e.lastError ?? ''}`;

/** FAILED result e-mails, oldest first. */
export async function listFailedEmails(
  ctx: OpsContext,
  { eventId, limit }: { eventId: string | undefined; limit: number },
  output: Output,
): Promise<{ total: number; shown: FailedEmail[] }> {
  const [shown, total] = await Promise.all([selectFailed(ctx, { eventId }, limit), countFailed(ctx, { eventId })]);
  for (const e of shown) output.out(line(e));
  output.err(`${total} FAILED result e-mails${eventId === undefined ? '' : ` for event ${eventId}`}; showing ${shown.length}`);
  return { total, shown };
}

/**
 * Hands FAILED result e-mails back to the notifier: PENDING, due now, with a fresh budget of attempts (it
 * claims PENDING rows whose next_attempt_at has passed). last_error is kept until the next try overwrites
 * it, so a redrive that fails again still says why. Only rows still FAILED are touched, so running it twice,
 * or while the notifier works, never resends an e-mail already handed back.
 */
export async function redriveEmails(
  ctx: OpsContext,
  { eventId, id, dryRun }: { eventId: string | undefined; id: string | undefined; dryRun: boolean },
  output: Output,
): Promise<{ count: number }> {
  const filter = { eventId, id };
  if (dryRun) {
    const count = await countFailed(ctx, filter);
    for (const e of await selectFailed(ctx, filter, 1_000)) output.out(`would redrive ${line(e)}`);
    output.err(`dry run: ${count} FAILED result e-mails would go back to the notifier; nothing changed`);
    return { count };
  }
  const where = failedWhere(filter);
  const count = await ctx.sequelize().query(
    `UPDATE outbox o SET o.status = 'PENDING', o.attempts = 0, o.next_attempt_at = NOW(3),
            o.claimed_by = NULL, o.claim_expires_at = NULL
      WHERE ${where.sql}`,
    { replacements: where.replacements, type: QueryTypes.BULKUPDATE },
  );
  output.err(`${count} FAILED result e-mails handed back to the notifier (PENDING, due now)`);
  if (count === 0 && id !== undefined)
    output.err(`outbox row ${id} is not a FAILED result e-mail${eventId === undefined ? '' : ` of event ${eventId}`}`);
  return { count };
}
