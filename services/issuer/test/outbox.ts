// The notifier's tests' own fixtures: seeded decisions, the outbox as stored, the e-mails sent.
import { randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { sesStore, type StoredEmail } from '../../../test/support';

export interface SeededApplicant {
  participantId: string;
  email: string;
  position: number;
  giftCode?: string;
}

export interface SeededEvent {
  eventId: string;
  name: string;
  applicants: SeededApplicant[];
}

/** Participants with the given addresses (as the auth service would have created them). */
export async function insertParticipants(sequelize: Sequelize, emails: string[]): Promise<Map<string, string>> {
  await sequelize.query(`INSERT INTO participants (email, created_at) VALUES ${emails.map(() => '(?, NOW(3))').join(', ')}`, {
    replacements: emails,
  });
  const rows = await sequelize.query<{ id: string; email: string }>(
    'SELECT id, email FROM participants WHERE email IN (:emails)',
    {
      replacements: { emails },
      type: QueryTypes.SELECT,
    },
  );
  return new Map(rows.map((r) => [r.email, String(r.id)]));
}

/**
 * An event whose applications were all just decided, written the way the issuer writes a batch:
 * applications, gifts for the first `stock` positions and one RESULT_EMAIL outbox row each, in one
 * transaction, with `decided_at` = now.
 */
export async function seedDecidedEvent(
  sequelize: Sequelize,
  { emails, stock, name }: { emails: string[]; stock: number; name: string },
): Promise<SeededEvent> {
  const ids = await insertParticipants(sequelize, emails);
  const [eventId] = (await sequelize.query(
    `INSERT INTO events (name, status, stock, created_at, updated_at) VALUES (?, 'SOLD_OUT', ?, NOW(3), NOW(3))`,
    { replacements: [name, stock], type: QueryTypes.INSERT },
  )) as unknown as [number];
  const applicants: SeededApplicant[] = emails.map((email, i) => ({
    participantId: ids.get(email) ?? '',
    email,
    position: i + 1,
    ...(i < stock ? { giftCode: randomBytes(6).toString('hex').toUpperCase() } : {}),
  }));
  await sequelize.transaction(async (transaction) => {
    const values = (rowSql: string, n: number) => Array.from({ length: n }, () => rowSql).join(', ');
    await sequelize.query(
      `INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at)
       VALUES ${values('(?, ?, ?, ?, NOW(3), NOW(3))', applicants.length)}`,
      {
        replacements: applicants.flatMap((a) => [eventId, a.participantId, a.position, a.giftCode ? 'ISSUED' : 'SOLD_OUT']),
        transaction,
      },
    );
    const winners = applicants.filter((a) => a.giftCode);
    if (winners.length > 0) {
      await sequelize.query(
        `INSERT INTO gifts (event_id, participant_id, code, position, issued_at) VALUES ${values('(?, ?, ?, ?, NOW(3))', winners.length)}`,
        { replacements: winners.flatMap((a) => [eventId, a.participantId, a.giftCode, a.position]), transaction },
      );
    }
    await sequelize.query(
      `INSERT INTO outbox (kind, event_id, participant_id, payload, next_attempt_at, decided_at, created_at)
       VALUES ${values(`('RESULT_EMAIL', ?, ?, ?, NOW(3), NOW(3), NOW(3))`, applicants.length)}`,
      {
        replacements: applicants.flatMap((a) => [
          eventId,
          a.participantId,
          JSON.stringify(
            a.giftCode
              ? { status: 'ISSUED', position: a.position, giftCode: a.giftCode }
              : { status: 'SOLD_OUT', position: a.position },
          ),
        ]),
        transaction,
      },
    );
  });
  return { eventId: String(eventId), name, applicants };
}

export interface OutboxState {
  participant_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  claimed_by: string | null;
  ms_to_send: number | null;
}

export async function outboxRows(sequelize: Sequelize, eventId: string): Promise<OutboxState[]> {
  return sequelize.query<OutboxState>(
    `SELECT participant_id, status, attempts, last_error, claimed_by,
            TIMESTAMPDIFF(MICROSECOND, decided_at, sent_at) / 1000 AS ms_to_send
       FROM outbox WHERE event_id = ? ORDER BY id`,
    { replacements: [eventId], type: QueryTypes.SELECT },
  );
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * The e-mails the emulator holds for one domain, received since `sinceMs`. `?since=` keeps the answer
 * (and the shared emulator's work serialising its whole store) small.
 */
export async function emailsToDomain(domain: string, sinceMs: number, endpoint: string): Promise<StoredEmail[]> {
  const emails = await sesStore(endpoint, Math.floor(sinceMs / 1000) - 1);
  return emails.filter((e) => e.destination.to.some((to) => to.toLowerCase().endsWith(`@${domain}`)));
}
