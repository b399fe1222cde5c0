import { requireAdmin, ServiceError, type Handlers, type TokenVerifier } from '@fcfs/kit';
import type { Gift, IssuerServiceService } from '@fcfs/proto';
import { QueryTypes, type Sequelize } from 'sequelize';

export interface GiftRow {
  id: string | number;
  event_id: string | number;
  participant_id: string | number;
  code: string;
  position: number;
  issued_at: Date;
  redeemed_at: Date | null;
}

export const GIFT_COLUMNS = 'id, event_id, participant_id, code, position, issued_at, redeemed_at';

export function toGift(row: GiftRow): Gift {
  return {
    eventId: String(row.event_id),
    participantId: String(row.participant_id),
    code: row.code,
    position: row.position,
    issuedAtMs: row.issued_at.getTime(),
    ...(row.redeemed_at === null ? {} : { redeemedAtMs: row.redeemed_at.getTime() }),
  };
}

const MAX_CODE_LENGTH = 32;

function codeArg(code: string): string {
  const trimmed = code.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_CODE_LENGTH)
    throw ServiceError.invalidArgument(`code must be 1 to ${MAX_CODE_LENGTH} characters`);
  return trimmed;
}

export interface GiftHandlerDeps {
  sequelize: Sequelize;
  verifier: TokenVerifier;
  now?: () => number;
}

/** Gifts by code: read one, and redeem one exactly once (admin). */
export function giftHandlers({
  sequelize,
  verifier,
  now = Date.now,
}: GiftHandlerDeps): Pick<Handlers<typeof IssuerServiceService>, 'getGift' | 'redeemGift'> {
  const find = async (code: string): Promise<Gift> => {
    const [row] = await sequelize.query<GiftRow>(`SELECT ${GIFT_COLUMNS} FROM gifts WHERE code = ?`, {
      replacements: [code],
      type: QueryTypes.SELECT,
    });
    if (row === undefined) throw ServiceError.notFound('no gift has this code');
    return toGift(row);
  };

  return {
    async getGift(req) {
      return { gift: await find(codeArg(req.code)) };
    },

    async redeemGift(req, call) {
      await requireAdmin(call.metadata, verifier);
      const code = codeArg(req.code);
      // The condition makes the row change at most once: of two redeems at the same moment, one wins.
      const [, changed] = await sequelize.query('UPDATE gifts SET redeemed_at = ? WHERE code = ? AND redeemed_at IS NULL', {
        replacements: [new Date(now()), code],
        type: QueryTypes.UPDATE,
      });
      const gift = await find(code);
      if (changed === 0) throw ServiceError.failedPrecondition('this gift code was already redeemed', 'ALREADY_REDEEMED');
      return { gift };
    },
  };
}
