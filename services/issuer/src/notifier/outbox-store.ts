import { QueryTypes, type Sequelize } from 'sequelize';

/** One claimed outbox row with what its e-mail needs (address and event name joined in). */
export interface ClaimedRow {
  id: string;
  eventId: string;
  participantId: string;
  /** Tries so far, this one included. */
  attempts: number;
  decidedAt: Date;
  payload: unknown;
  email: string | null;
  eventName: string | null;
}

export interface OutboxStore {
  /** Claims up to `limit` due RESULT_EMAIL rows for `claim` (a token unique to this call) for `leaseMs`. */
  claim(claim: string, limit: number, leaseMs: number): Promise<ClaimedRow[]>;
  /** Marks rows SENT; returns how many were still held by their claim (the rest lost their lease). */
  markSent(rows: Array<{ id: string; claim: string }>): Promise<number>;
  /** The writes below only touch a row still held by `claim`; `false` means the lease was lost. */
  scheduleRetry(id: string, claim: string, delayMs: number, reason: string): Promise<boolean>;
  markFailed(id: string, claim: string, reason: string): Promise<boolean>;
  /** Gives back a row that was claimed but never tried, for any replica to take at once. */
  release(id: string, claim: string): Promise<boolean>;
  pendingCount(): Promise<number>;
}

/*
 * How a row is claimed: a lease (claimed_by + claim_expires_at), taken by a short transaction that
 * picks due rows with SELECT ... FOR UPDATE SKIP LOCKED.
 * - The lease, not a held lock, is what keeps other replicas away while the e-mail is sent: no
 *   transaction or connection stays open across an SES call, and if this process dies the lease
 *   simply runs out and another replica (or this one, restarted) sends the row. That is the only way
 *   an e-mail goes out twice: a crash between SES accepting it and the SENT write.
 * - SKIP LOCKED only makes concurrent claims cheap: replicas skip each other's rows (and the issuer's
 *   uncommitted inserts) instead of queueing behind them, so a claim never waits and never deadlocks.
 * Every later write checks `claimed_by`, so a replica whose lease ran out cannot overwrite the row.
 */
export function createOutboxStore(sequelize: Sequelize): OutboxStore {
  const write = async (sql: string, replacements: Record<string, unknown>): Promise<boolean> => {
    const affected = await sequelize.query(sql, { replacements, type: QueryTypes.BULKUPDATE });
    return affected > 0;
  };
  const held = 'WHERE id = :id AND claimed_by = :claim';

  return {
    async claim(claim, limit, leaseMs) {
      const ids = await sequelize.transaction(async (transaction) => {
        const due = await sequelize.query<{ id: string }>(
          `SELECT id FROM outbox
            WHERE status = 'PENDING' AND next_attempt_at <= NOW(3) AND kind IN ('RESULT_EMAIL', 'OFFER_EMAIL')
              AND (claim_expires_at IS NULL OR claim_expires_at < NOW(3))
            ORDER BY next_attempt_at, id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED`,
          { replacements: { limit }, type: QueryTypes.SELECT, transaction },
        );
        if (due.length === 0) return [];
        const picked = due.map((r) => r.id);
        await sequelize.query(
          `UPDATE outbox SET claimed_by = :claim, claim_expires_at = NOW(3) + INTERVAL :leaseUs MICROSECOND,
                  attempts = attempts + 1
            WHERE id IN (:picked)`,
          { replacements: { claim, leaseUs: Math.round(leaseMs * 1000), picked }, type: QueryTypes.BULKUPDATE, transaction },
        );
        return picked;
      });
      if (ids.length === 0) return [];
      return sequelize.query<ClaimedRow>(
        `SELECT o.id, o.event_id AS eventId, o.participant_id AS participantId, o.attempts, o.decided_at AS decidedAt,
                o.payload, p.email, e.name AS eventName
           FROM outbox o
           LEFT JOIN participants p ON p.id = o.participant_id
           LEFT JOIN events e ON e.id = o.event_id
          WHERE o.id IN (:ids) AND o.claimed_by = :claim
          ORDER BY o.next_attempt_at, o.id`,
        { replacements: { ids, claim }, type: QueryTypes.SELECT },
      );
    },

    async markSent(rows) {
      if (rows.length === 0) return 0;
      // `id IN` finds the rows by primary key; the pairs then check each one's claim.
      return sequelize.query(
        `UPDATE outbox SET status = 'SENT', sent_at = NOW(3), claimed_by = NULL, claim_expires_at = NULL
          WHERE id IN (?) AND (id, claimed_by) IN (${rows.map(() => '(?, ?)').join(', ')})`,
        { replacements: [rows.map((r) => r.id), ...rows.flatMap((r) => [r.id, r.claim])], type: QueryTypes.BULKUPDATE },
      );
    },

    scheduleRetry: (id, claim, delayMs, reason) =>
      write(
        `UPDATE outbox SET next_attempt_at = NOW(3) + INTERVAL :delayUs MICROSECOND, last_error = :reason,
                claimed_by = NULL, claim_expires_at = NULL ${held}`,
        { id, claim, delayUs: Math.round(delayMs * 1000), reason },
      ),

    markFailed: (id, claim, reason) =>
      write(`UPDATE outbox SET status = 'FAILED', last_error = :reason, claimed_by = NULL, claim_expires_at = NULL ${held}`, {
        id,
        claim,
        reason,
      }),

    release: (id, claim) =>
      write(`UPDATE outbox SET attempts = attempts - 1, claimed_by = NULL, claim_expires_at = NULL ${held}`, { id, claim }),

    async pendingCount() {
      const [row] = await sequelize.query<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM outbox WHERE status = 'PENDING' AND kind IN ('RESULT_EMAIL', 'OFFER_EMAIL')`,
        { type: QueryTypes.SELECT },
      );
      return Number(row?.n ?? 0);
    },
  };
}
