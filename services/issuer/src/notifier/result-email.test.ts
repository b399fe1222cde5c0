import type { ClaimedRow } from './outbox-store';
import { toResultEmail } from './result-email';

const row = (over: Partial<ClaimedRow> = {}): ClaimedRow => ({
  id: '1',
  eventId: '2',
  participantId: '3',
  attempts: 1,
  decidedAt: new Date(0),
  payload: { status: 'ISSUED', position: 4, giftCode: 'CODE' },
  email: 'ann@example.com',
  eventName: 'Drop',
  ...over,
});

describe('toResultEmail', () => {
  it('reads a winner row, payload as object (MySQL) or string (MariaDB)', () => {
    const expected = {
      ok: true,
      to: 'ann@example.com',
      status: 'ISSUED',
      values: { eventName: 'Drop', position: 4, giftCode: 'CODE' },
    };
    expect(toResultEmail(row())).toEqual(expected);
    expect(toResultEmail(row({ payload: JSON.stringify({ status: 'ISSUED', position: 4, giftCode: 'CODE' }) }))).toEqual(
      expected,
    );
  });

  it('reads a sold-out row and ignores any code in it', () => {
    expect(toResultEmail(row({ payload: { status: 'SOLD_OUT', position: 9, giftCode: 'X' } }))).toMatchObject({
      ok: true,
      status: 'SOLD_OUT',
      values: { position: 9, giftCode: undefined },
    });
  });

  it('reads an offer (claim windows) with its deadline, and an expired offer', () => {
    const claimByMs = Date.UTC(2026, 10, 29, 12, 30, 5, 250);
    expect(toResultEmail(row({ payload: { status: 'OFFERED', position: 2, claimByMs } }))).toMatchObject({
      ok: true,
      status: 'OFFERED',
      values: { position: 2, giftCode: undefined, claimBy: '2026-11-29 12:30:05 UTC' },
    });
    expect(toResultEmail(row({ payload: { status: 'EXPIRED', position: 2 } }))).toMatchObject({
      ok: true,
      status: 'EXPIRED',
      values: { position: 2, giftCode: undefined, claimBy: undefined },
    });
    expect(toResultEmail(row({ payload: { status: 'OFFERED', position: 2 } }))).toEqual({
      ok: false,
      reason: 'OFFERED payload has no claim deadline',
    });
  });

  it.each([
    [{ payload: 'not json' }, 'payload is not JSON'],
    [{ payload: { status: 'PENDING', position: 1 } }, 'unknown result status PENDING'],
    [{ payload: { status: 'SOLD_OUT' } }, 'payload has no position'],
    [{ payload: { status: 'ISSUED', position: 1 } }, 'ISSUED payload has no gift code'],
    [{ email: null }, 'participant 3 not found'],
    [{ email: 'not an address' }, 'invalid recipient address'],
    [{ eventName: null }, 'event 2 not found'],
  ])('refuses %j: %s', (over, reason) => {
    expect(toResultEmail(row(over as Partial<ClaimedRow>))).toEqual({ ok: false, reason });
  });
});
