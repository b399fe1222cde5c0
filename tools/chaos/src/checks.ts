// The invariants one round is judged by (DESIGN.md, Invariants). Pure: the facts are gathered
// through the public API, MySQL and the SES emulator's store by round.ts.

export const FINAL = new Set(['ISSUED', 'SOLD_OUT']);

/** What a client was told about its application: by apply's answer or by its live subscription. */
export interface Told {
  status: string;
  /** 0 when the answer carried no application (apply's SOLD_OUT without one). */
  position: number;
  via: 'apply' | 'subscription';
}

export interface Participant {
  participantId: string;
  email: string;
  told: Told[];
  /** myApplication after the round, through the API; null: the API says there is none. */
  final: { status: string; position: number } | null;
  /** Watched with a live `applicationStatus` subscription. */
  subscribed: boolean;
  /** The apply never got an answer within the round (every retry failed). */
  applyError?: string | undefined;
}

export interface RoundFacts {
  stock: number;
  participants: Participant[];
  /** MySQL's rows for the round's event. */
  mysql: {
    applications: { participantId: string; position: number; status: string }[];
    gifts: number;
    /** Participants with more than one gift. */
    duplicateGifts: number;
  };
  /** Result e-mails the SES emulator received, per participant address (lower case). */
  emails: Map<string, number>;
}

export const INVARIANTS = [
  'gifts',
  'one each',
  'positions',
  'no PENDING',
  'told kept',
  'earliest win',
  'e-mails',
  'subscribers',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Verdict {
  ok: boolean;
  detail: string;
}

const sample = (items: string[], shown = 3) =>
  items.length > shown ? `${items.slice(0, shown).join('; ')}; ... (${items.length})` : items.join('; ');

/** Stuck participants are listed in full up to this many (a round rarely strands more; the count says so). */
const STUCK_SHOWN = 20;

const toldLabel = (t: Told) => `${t.status}${t.position ? ` #${t.position}` : ''} by ${t.via}`;
const statusLabel = (a: { status: string; position: number } | null | undefined) => (a ? `${a.status} #${a.position}` : 'none');

/**
 * One participant left without a final status, told in full: who, what MySQL and the API hold, and everything
 * the client was told (in order), so a failed round can be followed into the parts' logs.
 */
function stuckLine(p: Participant, row: { status: string; position: number } | undefined): string {
  const told = p.told.length === 0 ? 'nothing' : p.told.map(toldLabel).join(', ');
  const error = p.applyError === undefined ? '' : `; apply never answered (${p.applyError})`;
  return `${p.email} (participant ${p.participantId}): MySQL ${statusLabel(row)}, API ${statusLabel(p.final)}; told ${told}${error}`;
}

/** Every invariant's verdict for one round. */
export function checkRound(facts: RoundFacts): Record<Invariant, Verdict> {
  const { stock, participants, mysql } = facts;
  const n = participants.length;
  const expected = Math.min(stock, n);
  const issued = mysql.applications.filter((a) => a.status === 'ISSUED');
  const apiIssued = participants.filter((p) => p.final?.status === 'ISSUED').length;

  const perParticipant = new Map<string, number>();
  const perPosition = new Map<number, number>();
  for (const a of mysql.applications) {
    perParticipant.set(a.participantId, (perParticipant.get(a.participantId) ?? 0) + 1);
    perPosition.set(a.position, (perPosition.get(a.position) ?? 0) + 1);
  }
  const twice = [...perParticipant].filter(([, c]) => c > 1).map(([id]) => id);
  const positionsTwice = [...perPosition].filter(([, c]) => c > 1).map(([p, c]) => `${p}×${c}`);

  const notFinal = mysql.applications.filter((a) => !FINAL.has(a.status));
  const missing = n - new Set(mysql.applications.map((a) => a.participantId)).size;
  const apiNotFinal = participants.filter((p) => !p.final || !FINAL.has(p.final.status));
  const rowOf = new Map(mysql.applications.map((a) => [a.participantId, a]));
  const stuck = participants
    .filter((p) => {
      const row = rowOf.get(p.participantId);
      return !row || !FINAL.has(row.status) || !p.final || !FINAL.has(p.final.status);
    })
    .map((p) => stuckLine(p, rowOf.get(p.participantId)));

  const lost: string[] = [];
  for (const p of participants) {
    if (p.applyError !== undefined) lost.push(`${p.email}: apply never answered (${p.applyError})`);
    for (const t of p.told) {
      const where = `${p.email} told ${toldLabel(t)}`;
      if (!p.final) lost.push(`${where}, now no application`);
      else if (t.position !== 0 && t.position !== p.final.position) lost.push(`${where}, now #${p.final.position}`);
      else if (FINAL.has(t.status) && t.status !== p.final.status) lost.push(`${where}, now ${p.final.status}`);
      else if (!FINAL.has(p.final.status)) lost.push(`${where}, still ${p.final.status}`);
    }
  }

  // The winners are the `stock` earliest positions of everyone who applied.
  const earliest = new Set(
    [...mysql.applications]
      .sort((a, b) => a.position - b.position)
      .slice(0, expected)
      .map((a) => a.position),
  );
  const late = issued.filter((a) => !earliest.has(a.position)).map((a) => `#${a.position}`);

  const emailFaults = participants
    .map((p) => ({ p, count: facts.emails.get(p.email.toLowerCase()) ?? 0 }))
    .filter(({ count }) => count !== 1)
    .map(({ p, count }) => `${p.email}: ${count}`);

  const watchers = participants.filter((p) => p.subscribed);
  const untold = watchers
    .filter((p) => {
      const last = [...p.told].reverse().find((t) => t.via === 'subscription');
      return !last || !FINAL.has(last.status) || last.status !== p.final?.status;
    })
    .map((p) => {
      const last = [...p.told].reverse().find((t) => t.via === 'subscription');
      return `${p.email}: last told ${last?.status ?? 'nothing'}, is ${p.final?.status ?? 'none'}`;
    });

  return {
    gifts: {
      ok: mysql.gifts === expected && issued.length === expected && apiIssued === expected,
      detail: `expected ${expected} (stock ${stock}, ${n} applied); MySQL gifts ${mysql.gifts}, ISSUED ${issued.length}; API ISSUED ${apiIssued}`,
    },
    'one each': {
      ok: twice.length === 0 && mysql.duplicateGifts === 0,
      detail: `participants with two applications ${twice.length}, with two gifts ${mysql.duplicateGifts}`,
    },
    positions: {
      ok: positionsTwice.length === 0,
      detail: positionsTwice.length === 0 ? 'every position once' : `positions twice: ${sample(positionsTwice)}`,
    },
    'no PENDING': {
      ok: notFinal.length === 0 && missing === 0 && apiNotFinal.length === 0,
      detail:
        `MySQL undecided ${notFinal.length}, without an application ${missing}; API not final ${apiNotFinal.length}` +
        (stuck.length === 0 ? '' : `; stuck: ${sample(stuck, STUCK_SHOWN)}`),
    },
    'told kept': { ok: lost.length === 0, detail: lost.length === 0 ? 'every told status kept' : sample(lost) },
    'earliest win': {
      ok: late.length === 0,
      detail:
        late.length === 0 ? `winners are the ${expected} earliest` : `winners beyond the ${expected} earliest: ${sample(late)}`,
    },
    'e-mails': {
      ok: emailFaults.length === 0,
      detail: emailFaults.length === 0 ? `one each for ${n}` : `not exactly one: ${sample(emailFaults)}`,
    },
    subscribers: {
      ok: untold.length === 0,
      detail: untold.length === 0 ? `${watchers.length} told their final status` : sample(untold),
    },
  };
}
