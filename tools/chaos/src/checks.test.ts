import { checkRound, type Participant, type RoundFacts } from './checks';

const participant = (i: number, status: string, position: number, extra: Partial<Participant> = {}): Participant => ({
  participantId: String(i),
  email: `p-${i}@x.chaos.local`,
  told: [{ status: 'PENDING', position, via: 'apply' }],
  final: { status, position },
  subscribed: false,
  ...extra,
});

/** Four applied for a stock of two: positions 1 and 2 won. */
function facts(): RoundFacts {
  const participants = [
    participant(1, 'ISSUED', 1),
    participant(2, 'ISSUED', 2),
    participant(3, 'SOLD_OUT', 3),
    participant(4, 'SOLD_OUT', 4),
  ];
  return {
    stock: 2,
    participants,
    mysql: {
      applications: participants.map((p) => ({
        participantId: p.participantId,
        position: p.final!.position,
        status: p.final!.status,
      })),
      gifts: 2,
      duplicateGifts: 0,
    },
    emails: new Map(participants.map((p) => [p.email, 1])),
  };
}

const failed = (f: RoundFacts) =>
  Object.entries(checkRound(f))
    .filter(([, v]) => !v.ok)
    .map(([k]) => k);

describe('checkRound', () => {
  it('passes a round where everything held', () => {
    expect(failed(facts())).toEqual([]);
  });

  it('catches a gift beyond the stock, and a winner who was not among the earliest', () => {
    const f = facts();
    f.mysql.applications[3]!.status = 'ISSUED';
    f.mysql.gifts = 3;
    expect(failed(f)).toEqual(['gifts', 'earliest win']);
  });

  it('catches a position handed out twice', () => {
    const f = facts();
    f.mysql.applications[3]!.position = 3;
    expect(failed(f)).toContain('positions');
  });

  it('catches a told SOLD_OUT that disappeared, and one that became ISSUED', () => {
    const f = facts();
    f.participants[2]!.told.push({ status: 'SOLD_OUT', position: 3, via: 'apply' });
    f.participants[2]!.final = null;
    f.participants[3]!.told = [{ status: 'SOLD_OUT', position: 0, via: 'apply' }];
    f.participants[3]!.final = { status: 'ISSUED', position: 4 };
    expect(checkRound(f)['told kept'].detail).toMatch(/p-3.*now no application.*p-4.*now ISSUED/);
  });

  it('catches an undecided application, a missing or second e-mail, and a subscriber never told', () => {
    const f = facts();
    f.mysql.applications[0]!.status = 'PENDING';
    f.emails.set('p-2@x.chaos.local', 2);
    f.emails.delete('p-3@x.chaos.local');
    f.participants[0]!.subscribed = true;
    expect(failed(f)).toEqual(expect.arrayContaining(['no PENDING', 'e-mails', 'subscribers']));
  });

  it('names every stuck participant: what MySQL and the API hold, and all they were told', () => {
    const f = facts();
    f.mysql.applications.splice(1, 1);
    f.participants[1]!.told.push({ status: 'PENDING', position: 2, via: 'subscription' });
    f.participants[1]!.final = { status: 'PENDING', position: 2 };
    f.participants[3]!.told = [];
    f.participants[3]!.applyError = 'UNAVAILABLE';
    f.participants[3]!.final = null;
    f.mysql.applications[2]!.status = 'PENDING';
    const detail = checkRound(f)['no PENDING'].detail;
    expect(detail).toContain(
      'stuck: p-2@x.chaos.local (participant 2): MySQL none, API PENDING #2; told PENDING #2 by apply, PENDING #2 by subscription',
    );
    expect(detail).toContain(
      'p-4@x.chaos.local (participant 4): MySQL PENDING #4, API none; told nothing; apply never answered (UNAVAILABLE)',
    );
    expect(detail).not.toContain('p-1@');
    expect(detail).not.toContain('p-3@');
  });
});
