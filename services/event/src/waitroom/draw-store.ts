import { sqlId } from '@fcfs/stock';
import { QueryTypes, type Sequelize } from 'sequelize';
import { drawOrder, newSeed } from './shuffle';

/**
 * MySQL's side of the waiting room: who was told WAITING, and the one draw per event.
 *
 * Why everyone told WAITING is in the draw: a WAITING answer is given only after `recordWaiting` committed, and that
 * transaction holds the event's row SHARED while it checks there is no draw and inserts. The draw holds the same
 * row EXCLUSIVELY while it reads `waiting` and inserts its `draws` row. So each recordWaiting commits either before
 * the draw reads (and is drawn) or after the draw committed (it then finds the draw and refuses: that participant
 * is not told WAITING, and is admitted after the drawn ones instead).
 *
 * Why one draw: `draws` has the event id as its primary key, and the draw is made under the exclusive row lock
 * after looking for an existing one; a second drawer (another replica, or one that crashed and came back) waits
 * for the lock, finds the committed draw and uses it as recorded.
 */
export interface RecordedDraw {
  eventId: string;
  seed: string;
  drawnAtMs: number;
  placedAtMs: number | undefined;
  /** Participant ids in drawn order: position k is order[k - 1]. */
  order: string[];
  /** true when this call made the draw (false: it was already recorded). */
  made: boolean;
}

/** A time given as epoch milliseconds, to the millisecond (a Date replacement would lose them); UTC sessions. */
const AT = 'FROM_UNIXTIME(? / 1000)';

export function createDrawStore(sequelize: Sequelize) {
  /**
   * Records participants told WAITING (INSERT IGNORE: a retry is a no-op). false when the event's draw is
   * already made: nobody of this call may be told WAITING.
   */
  async function recordWaiting(eventId: string, participants: readonly { participantId: string; arrivedAtMs: number }[]) {
    if (participants.length === 0) return true;
    return sequelize.transaction(async (transaction) => {
      await sequelize.query('SELECT id FROM events WHERE id = ? LOCK IN SHARE MODE', { replacements: [eventId], transaction });
      const drawn = await sequelize.query('SELECT 1 FROM draws WHERE event_id = ?', {
        replacements: [eventId],
        type: QueryTypes.SELECT,
        transaction,
      });
      if (drawn.length > 0) return false;
      const rows = participants.map((p) => `(${sqlId(eventId)}, ${sqlId(p.participantId)}, ${AT})`).join(',');
      await sequelize.query(`INSERT IGNORE INTO waiting (event_id, participant_id, arrived_at) VALUES ${rows}`, {
        replacements: participants.map((p) => p.arrivedAtMs),
        transaction,
      });
      return true;
    });
  }

  const readDraw = async (eventId: string, made: boolean): Promise<RecordedDraw | undefined> => {
    const [draw] = await sequelize.query<{ seed: string; drawn_at: Date; placed_at: Date | null }>(
      'SELECT seed, drawn_at, placed_at FROM draws WHERE event_id = ?',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    if (draw === undefined) return undefined;
    const rows = await sequelize.query<{ participant_id: string | number }>(
      'SELECT participant_id FROM waiting WHERE event_id = ? AND position IS NOT NULL ORDER BY position',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    return {
      eventId,
      seed: draw.seed,
      drawnAtMs: draw.drawn_at.getTime(),
      placedAtMs: draw.placed_at?.getTime(),
      order: rows.map((r) => String(r.participant_id)),
      made,
    };
  };

  /**
   * The event's draw: made now (CSPRNG seed, the waiting room in arrival order shuffled by it, each participant's
   * position written) if none is recorded, else the recorded one. Exactly one per event, whoever calls.
   */
  async function drawOnce(eventId: string, nowMs: number): Promise<RecordedDraw | undefined> {
    const made = await sequelize.transaction(async (transaction) => {
      const [event] = await sequelize.query('SELECT id FROM events WHERE id = ? FOR UPDATE', {
        replacements: [eventId],
        type: QueryTypes.SELECT,
        transaction,
      });
      if (event === undefined) return false;
      const existing = await sequelize.query('SELECT 1 FROM draws WHERE event_id = ?', {
        replacements: [eventId],
        type: QueryTypes.SELECT,
        transaction,
      });
      if (existing.length > 0) return false;
      const waiting = await sequelize.query<{ participant_id: string | number }>(
        'SELECT participant_id FROM waiting WHERE event_id = ? ORDER BY arrived_at, participant_id',
        { replacements: [eventId], type: QueryTypes.SELECT, transaction },
      );
      const seed = newSeed();
      const order = drawOrder(
        waiting.map((w) => String(w.participant_id)),
        seed,
      );
      await sequelize.query(`INSERT INTO draws (event_id, seed, waiting_count, drawn_at) VALUES (?, ?, ?, ${AT})`, {
        replacements: [eventId, seed, order.length, nowMs],
        transaction,
      });
      for (let i = 0; i < order.length; i += 1_000) {
        const chunk = order.slice(i, i + 1_000);
        const cases = chunk.map((p, k) => `WHEN ${sqlId(p)} THEN ${i + k + 1}`).join(' ');
        await sequelize.query(
          `UPDATE waiting SET position = CASE participant_id ${cases} END
            WHERE event_id = ${sqlId(eventId)} AND participant_id IN (${chunk.map(sqlId).join(',')})`,
          { transaction },
        );
      }
      return true;
    });
    return readDraw(eventId, made);
  }

  /** Marks the draw placed: every drawn participant is in line in Redis and their records are in Kafka. */
  async function markPlaced(eventId: string, nowMs: number): Promise<void> {
    await sequelize.query(`UPDATE draws SET placed_at = ${AT} WHERE event_id = ? AND placed_at IS NULL`, {
      replacements: [nowMs, eventId],
    });
  }

  /**
   * Events whose waiting room's draw is due (opened: by its time, or by an admin) and not placed yet. The clock is
   * the caller's, as the gate's is.
   */
  async function dueEvents(nowMs: number): Promise<string[]> {
    const rows = await sequelize.query<{ id: string | number }>(
      `SELECT e.id FROM events e LEFT JOIN draws d ON d.event_id = e.id
        WHERE e.waiting_room_opens_at IS NOT NULL AND e.status IN ('SCHEDULED', 'OPEN')
          AND (e.status = 'OPEN' OR e.opens_at <= ${AT}) AND d.placed_at IS NULL
        ORDER BY e.id LIMIT 50`,
      { replacements: [nowMs], type: QueryTypes.SELECT },
    );
    return rows.map((r) => String(r.id));
  }

  return { recordWaiting, drawOnce, readDraw: (eventId: string) => readDraw(eventId, false), markPlaced, dueEvents };
}

export type DrawStore = ReturnType<typeof createDrawStore>;
