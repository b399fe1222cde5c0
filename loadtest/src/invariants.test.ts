import type { ReconcileResponse } from '@fcfs/proto';
import { checkInvariants, type InvariantInputs } from './invariants';

const consistent: ReconcileResponse = {
  consistent: true,
  stock: 50,
  issuedMysql: 50,
  issuedRedis: 50,
  remainingRedis: 0,
  applicationsMysql: 500,
  applicationsRedis: 500,
  differences: [],
};

function healthy(): InvariantInputs {
  return {
    stock: 50,
    participants: 500,
    stats: {
      stock: 50,
      remaining: 0,
      admitted: 50,
      pending: 0,
      issued: 50,
      soldOut: 450,
      lag: 0,
      offered: 0,
      waitlisted: 0,
      expired: 0,
    },
    mysql: {
      applications: 500,
      byStatus: { ISSUED: 50, SOLD_OUT: 450 },
      gifts: 50,
      duplicateGifts: 0,
      duplicateApplications: 0,
      decidedAtMs: [],
      lastWinningPosition: 50,
      firstLosingPosition: 51,
    },
    reconciliation: consistent,
    subscribers: 50,
    subscribersFinal: 50,
  };
}

const failed = (input: InvariantInputs) =>
  checkInvariants(input)
    .filter((c) => !c.ok)
    .map((c) => c.name);

describe('checkInvariants', () => {
  it('passes a clean drain', () => {
    expect(failed(healthy())).toEqual([]);
  });

  it('issues min(stock, participants) when stock exceeds the crowd', () => {
    const input = healthy();
    input.stock = 1_000;
    expect(failed(input)).toEqual(['issued == min(stock, participants)']);
    input.stats = { ...input.stats!, issued: 500, soldOut: 0 };
    input.mysql = { ...input.mysql, byStatus: { ISSUED: 500 }, gifts: 500 };
    expect(failed(input)).toEqual([]);
  });

  it('flags each violation by name', () => {
    const input = healthy();
    input.mysql = { ...input.mysql, duplicateGifts: 1 };
    input.stats = { ...input.stats!, pending: 3 };
    input.reconciliation = {
      ...consistent,
      consistent: false,
      differences: [{ participantId: '7', redis: 'ISSUED', mysql: 'missing' }],
    };
    input.subscribersFinal = 49;
    expect(failed(input)).toEqual([
      'no duplicate gift or application',
      'no PENDING left',
      'Redis and MySQL agree',
      'every subscriber got its final status',
    ]);
  });

  it('counts missing applications and an unreachable issuer against the run', () => {
    const input = healthy();
    input.mysql = { ...input.mysql, applications: 499, byStatus: { ISSUED: 50, SOLD_OUT: 449 } };
    input.reconciliation = { error: '14 UNAVAILABLE' };
    input.stats = undefined;
    expect(failed(input)).toEqual(['issued == min(stock, participants)', 'no PENDING left', 'Redis and MySQL agree']);
  });

  it('checks a claim window run: items passed down the line, offers in position order', () => {
    const input = healthy();
    input.claimWindow = true;
    // 50 items, 10 offers expired: 50 issued, 10 expired, the rest sold out; nobody left waitlisted.
    input.mysql = {
      ...input.mysql,
      byStatus: { ISSUED: 50, EXPIRED: 10, SOLD_OUT: 440 },
      lastWinningPosition: 60,
      firstLosingPosition: 61,
    };
    input.stats = { ...input.stats!, expired: 10, soldOut: 440 };
    expect(failed(input)).toEqual([]);
    // Not every item claimed, yet someone still waitlisted.
    input.mysql = { ...input.mysql, byStatus: { ISSUED: 49, EXPIRED: 10, SOLD_OUT: 440, WAITLISTED: 1 }, gifts: 49 };
    input.stats = { ...input.stats, issued: 49 };
    expect(failed(input)).toContain('after the event: every item ISSUED or the waitlist empty');
    // An offer skipped someone earlier in line.
    input.mysql = { ...input.mysql, lastWinningPosition: 70, firstLosingPosition: 61 };
    expect(failed(input)).toContain('offers went in position order');
  });
});
