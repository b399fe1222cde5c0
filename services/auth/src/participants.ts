import { QueryTypes, type Sequelize } from 'sequelize';

export interface ParticipantRecord {
  id: string;
  email: string;
}

/** Rows per multi-row INSERT when minting tokens in bulk. */
export const UPSERT_CHUNK = 1000;

/** The `participants` table (MySQL 8 / MariaDB); emails arrive already normalised. */
export function createParticipants(sequelize: Sequelize) {
  const findByEmail = async (email: string): Promise<ParticipantRecord | undefined> => {
    const rows = await sequelize.query<{ id: string | number; email: string }>(
      'SELECT id, email FROM participants WHERE email = ?',
      {
        replacements: [email],
        type: QueryTypes.SELECT,
      },
    );
    const row = rows[0];
    return row === undefined ? undefined : { id: String(row.id), email: row.email };
  };

  return {
    /** Creates the participant on first verification, else stamps `last_verified_at`; returns the id. */
    async recordVerification(email: string): Promise<ParticipantRecord> {
      await sequelize.query(
        `INSERT INTO participants (email, created_at, last_verified_at) VALUES (?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
         ON DUPLICATE KEY UPDATE last_verified_at = VALUES(last_verified_at)`,
        { replacements: [email], type: QueryTypes.INSERT },
      );
      const participant = await findByEmail(email);
      if (participant === undefined) throw new Error('the participant vanished after its upsert');
      return participant;
    },

    findByEmail,

    async findById(id: string): Promise<ParticipantRecord | undefined> {
      const rows = await sequelize.query<{ id: string | number; email: string }>(
        'SELECT id, email FROM participants WHERE id = ?',
        {
          replacements: [id],
          type: QueryTypes.SELECT,
        },
      );
      const row = rows[0];
      return row === undefined ? undefined : { id: String(row.id), email: row.email };
    },

    /**
     * Ensures a participant exists for every address (one multi-row INSERT per chunk, existing
     * rows untouched) and returns them all, in no particular order.
     */
    async ensureMany(emails: readonly string[]): Promise<ParticipantRecord[]> {
      const result: ParticipantRecord[] = [];
      for (let i = 0; i < emails.length; i += UPSERT_CHUNK) {
        const chunk = emails.slice(i, i + UPSERT_CHUNK);
        await sequelize.query(
          `INSERT INTO participants (email, created_at, last_verified_at) VALUES ${chunk.map(() => '(?, UTC_TIMESTAMP(3), NULL)').join(', ')}
           ON DUPLICATE KEY UPDATE id = id`,
          { replacements: chunk, type: QueryTypes.INSERT },
        );
        const rows = await sequelize.query<{ id: string | number; email: string }>(
          'SELECT id, email FROM participants WHERE email IN (?)',
          {
            replacements: [chunk],
            type: QueryTypes.SELECT,
          },
        );
        for (const row of rows) result.push({ id: String(row.id), email: row.email });
      }
      return result;
    },
  };
}

export type Participants = ReturnType<typeof createParticipants>;
