import { QueryTypes } from 'sequelize';
import type { OpsContext, Output } from './context';

/** One winner of an event, in the line's order. */
export interface Winner {
  position: number;
  participantId: string;
  email: string | null;
  giftCode: string;
  issuedAt: string;
  redeemedAt: string | null;
}

interface WinnerRow {
  id: string;
  position: number;
  participantId: string;
  email: string | null;
  code: string;
  issuedAt: Date;
  redeemedAt: Date | null;
}

const PAGE = 5_000;
const COLUMNS = ['position', 'participant_id', 'email', 'gift_code', 'issued_at', 'redeemed_at'];

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(w: Winner): string {
  return [w.position, w.participantId, w.email, w.giftCode, w.issuedAt, w.redeemedAt].map(csvField).join(',');
}

/**
 * Every winner of an event by position, read a page at a time (keyset on position, id) and written as it
 * comes, so an event of a million winners never sits in memory.
 */
export async function exportWinners(
  ctx: OpsContext,
  { eventId, format }: { eventId: string; format: 'csv' | 'json' },
  output: Output,
): Promise<{ count: number }> {
  const sequelize = ctx.sequelize();
  const events = await sequelize.query('SELECT id FROM events WHERE id = ?', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
  if (events.length === 0) throw new Error(`event ${eventId} does not exist`);
  if (format === 'csv') output.out(COLUMNS.join(','));
  else output.out('[');
  let count = 0;
  let after = { position: -1, id: '0' };
  for (;;) {
    const rows = await sequelize.query<WinnerRow>(
      `SELECT CAST(g.id AS CHAR) AS id, g.position, CAST(g.participant_id AS CHAR) AS participantId, p.email, g.code,
              g.issued_at AS issuedAt, g.redeemed_at AS redeemedAt
         FROM gifts g LEFT JOIN participants p ON p.id = g.participant_id
        WHERE g.event_id = :eventId AND (g.position > :position OR (g.position = :position AND g.id > :id))
        ORDER BY g.position, g.id LIMIT :limit`,
      { replacements: { eventId, position: after.position, id: after.id, limit: PAGE }, type: QueryTypes.SELECT },
    );
    for (const row of rows) {
      const winner: Winner = {
        position: row.position,
        participantId: row.participantId,
        email: row.email,
        giftCode: row.code,
        issuedAt: row.issuedAt.toISOString(),
        redeemedAt: row.redeemedAt === null ? null : row.redeemedAt.toISOString(),
      };
      output.out(format === 'csv' ? csvLine(winner) : `${count === 0 ? '  ' : ', '}${JSON.stringify(winner)}`);
      count++;
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < PAGE) break;
    after = { position: last.position, id: last.id };
  }
  if (format === 'json') output.out(']');
  output.err(`${count} winners of event ${eventId}`);
  return { count };
}
