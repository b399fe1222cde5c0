// Claim windows end to end: an event with a window, participants applying one at a time (so positions
// follow their order), and the reads the invariants need (GraphQL status, MySQL rows, e-mails).
import { QueryTypes, Sequelize } from 'sequelize';
import { emailsTo, randomSuffix } from '../support';
import { gql, type Loose } from '../support/graphql';
import type { TestPlatform } from '../support/platform';

export const APPLICATION = 'status position giftCode claimBy decidedAt';

export interface Participant {
  email: string;
  token: string;
  participantId: string;
}

export async function createClaimEvent(
  platform: TestPlatform,
  admin: string,
  input: { stock: number; claimWindowSeconds: number; maxOpenOffers?: number },
): Promise<string> {
  const created = await gql(
    platform.url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id claimWindowSeconds maxOpenOffers } }',
    { input: { name: `Claims ${randomSuffix()}`, ...input } },
    admin,
  );
  if (created.errors) throw new Error(`createEvent: ${JSON.stringify(created.errors)}`);
  const event = created.data?.['createEvent'] as Loose;
  expect(event['claimWindowSeconds']).toBe(input.claimWindowSeconds);
  expect(event['maxOpenOffers']).toBe(input.maxOpenOffers ?? null);
  const opened = await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { id } }', { id: event['id'] }, admin);
  if (opened.errors) throw new Error(`openEvent: ${JSON.stringify(opened.errors)}`);
  return event['id'] as string;
}

/** n participants, each applied in turn (ACCEPTED, or `outcomes` when given), so the i-th holds position i + 1. */
export async function applyInOrder(
  platform: TestPlatform,
  eventId: string,
  n: number,
  tag: string,
  outcomes?: string[],
): Promise<Participant[]> {
  const minted = await platform.mintTokens(Array.from({ length: n }, (_, i) => `${tag}-${i}-${randomSuffix()}@example.com`));
  const out: Participant[] = [];
  for (const m of minted) {
    const applied = await gql(
      platform.url,
      'mutation($id: ID!) { apply(eventId: $id) { outcome application { position } } }',
      { id: eventId },
      m.token,
    );
    expect(applied.data?.['apply'].outcome).toBe(outcomes?.[out.length] ?? 'ACCEPTED');
    out.push({ email: m.email, token: m.token, participantId: m.participantId });
  }
  return out;
}

export async function statusOf(platform: TestPlatform, eventId: string, p: Participant): Promise<Loose> {
  const res = await gql(
    platform.url,
    `query($id: ID!) { myApplication(eventId: $id) { ${APPLICATION} } }`,
    { id: eventId },
    p.token,
  );
  return res.data?.['myApplication'] as Loose;
}

export async function act(platform: TestPlatform, eventId: string, p: Participant, field: 'claimGift' | 'declineGift') {
  return gql(platform.url, `mutation($id: ID!) { ${field}(eventId: $id) { ${APPLICATION} } }`, { id: eventId }, p.token);
}

/** MySQL's applications of the event, by status. */
export async function mysqlCounts(platform: TestPlatform, eventId: string): Promise<Record<string, number>> {
  const sequelize = new Sequelize(platform.db.url, { logging: false });
  try {
    const rows = await sequelize.query<{ status: string; n: number | string }>(
      'SELECT status, COUNT(*) AS n FROM applications WHERE event_id = ? GROUP BY status',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  } finally {
    await sequelize.close();
  }
}

/**
 * MySQL's applications by status once `settled` says so (or they equal `expected`), or as they stand after
 * `timeoutMs`: a status read through the API comes from Redis as the issuer decides, and the issuer's MySQL write
 * of that chunk follows it.
 */
export async function mysqlCountsReach(
  platform: TestPlatform,
  eventId: string,
  expected: Record<string, number> | ((counts: Record<string, number>) => boolean),
  timeoutMs = 10_000,
): Promise<Record<string, number>> {
  const settled =
    typeof expected === 'function'
      ? expected
      : (counts: Record<string, number>) =>
          Object.keys({ ...counts, ...expected }).every((status) => counts[status] === expected[status]);
  const until = Date.now() + timeoutMs;
  let counts = await mysqlCounts(platform, eventId);
  while (!settled(counts) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    counts = await mysqlCounts(platform, eventId);
  }
  return counts;
}

/** MySQL's authority counters on the event's row (migrations 0005 and 0007). */
export async function authorityCounters(
  platform: TestPlatform,
  eventId: string,
): Promise<{ issued: number; offered: number; decided_through: number }> {
  const sequelize = new Sequelize(platform.db.url, { logging: false });
  try {
    const [row] = await sequelize.query<{ issued: number; offered: number; decided_through: number | string }>(
      'SELECT issued, offered, decided_through FROM events WHERE id = ?',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    return { issued: Number(row?.issued), offered: Number(row?.offered), decided_through: Number(row?.decided_through) };
  } finally {
    await sequelize.close();
  }
}

/** The subjects of the e-mails one participant received, sorted. */
export async function subjectsTo(p: Participant): Promise<string[]> {
  return (await emailsTo(p.email)).map((e) => e.subject).sort();
}
