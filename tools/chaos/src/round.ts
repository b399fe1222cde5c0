// One round of the matrix: a fresh event, a herd of retrying clients with live subscribers, one
// fault injected mid-herd, the drain, then every invariant checked through the API and MySQL.
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes, type Sequelize } from 'sequelize';
import { graphql, type MintedToken } from '@fcfs/loadtest';
import { applyRetrying, readApplication, watchStatus, withRetry, type Watcher } from './clients';
import { checkRound, FINAL, type Invariant, type Participant, type RoundFacts, type Verdict } from './checks';
import type { Fault, FaultContext } from './faults';

export interface RoundSettings {
  participants: number;
  stock: number;
  subscribers: number;
  /** The herd's applies are spread over this long; the fault starts `injectAtMs` into it. */
  spreadMs: number;
  injectAtMs: number;
  /** How long the line may take to drain after the fault before the round is judged as it is. */
  drainTimeoutMs: number;
}

export interface RoundResult {
  fault: string;
  verdicts: Record<Invariant, Verdict>;
  /** From the fault's start until every participant has a final status (MySQL) and every subscriber was told. */
  recoverMs: number | undefined;
  ok: boolean;
}

export interface RoundEnv {
  bffUrl: string;
  sesEndpoint: string;
  sequelize: Sequelize;
  adminToken: string;
  mint(emails: string[]): Promise<MintedToken[]>;
  context: Omit<FaultContext, 'eventPartitions'>;
  /** The applications topic's end offsets per partition now. */
  offsets(): Promise<Map<number, string>>;
}

async function createOpenEvent(env: RoundEnv, name: string, stock: number, deadlineMs: number): Promise<string> {
  const created = await withRetry(
    () =>
      graphql<{ createEvent: { id: string } }>(
        env.bffUrl,
        'mutation Create($input: CreateEventInput!) { createEvent(input: $input) { id } }',
        { input: { name, stock } },
        env.adminToken,
      ),
    deadlineMs,
  );
  const eventId = created.createEvent.id;
  await withRetry(
    () => graphql(env.bffUrl, 'mutation Open($id: ID!) { openEvent(eventId: $id) { id } }', { id: eventId }, env.adminToken),
    deadlineMs,
  );
  return eventId;
}

/** How many of the event's participants MySQL holds a final decision for. */
async function decidedInMysql(sequelize: Sequelize, eventId: string): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM applications WHERE event_id = :eventId AND status IN ('ISSUED', 'SOLD_OUT')",
    { type: QueryTypes.SELECT, replacements: { eventId } },
  );
  return Number(row?.n ?? 0);
}

async function mysqlFacts(sequelize: Sequelize, eventId: string): Promise<RoundFacts['mysql']> {
  const select = <T extends object>(sql: string) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements: { eventId } });
  const applications = await select<{ participant_id: number | string; position: number; status: string }>(
    'SELECT participant_id, position, status FROM applications WHERE event_id = :eventId',
  );
  const [gifts] = await select<{ n: number }>('SELECT COUNT(*) AS n FROM gifts WHERE event_id = :eventId');
  const [dup] = await select<{ n: number }>(
    'SELECT COUNT(*) AS n FROM (SELECT participant_id FROM gifts WHERE event_id = :eventId GROUP BY participant_id HAVING COUNT(*) > 1) d',
  );
  return {
    applications: applications.map((a) => ({
      participantId: String(a.participant_id),
      position: Number(a.position),
      status: a.status,
    })),
    gifts: Number(gifts?.n ?? 0),
    duplicateGifts: Number(dup?.n ?? 0),
  };
}

/** Result e-mails per address of the round's domain, waiting (up to timeoutMs) until each participant has one. */
async function countEmails(endpoint: string, domain: string, sinceSeconds: number, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = new Map<string, number>();
    try {
      const res = await fetch(`${endpoint}/store?since=${sinceSeconds}`, { signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { emails: { destination: { to: string[] } }[] };
      for (const email of body.emails) {
        for (const to of email.destination.to) {
          const address = to.toLowerCase().replace(/^.*<|>$/g, '');
          if (address.endsWith(`@${domain}`)) counts.set(address, (counts.get(address) ?? 0) + 1);
        }
      }
    } catch {
      // the emulator still stalled: ask again
    }
    if (counts.size >= expected || Date.now() > deadline) return counts;
    await sleep(500);
  }
}

export async function runRound(env: RoundEnv, fault: Fault, settings: RoundSettings, label: string): Promise<RoundResult> {
  const { log } = env.context;
  const startedSeconds = Math.floor(Date.now() / 1000) - 2;
  const setupDeadline = Date.now() + 60_000;
  const eventId = await createOpenEvent(env, `chaos ${label} ${fault.name}`, settings.stock, setupDeadline);
  const domain = `${label}.chaos.local`;
  const width = String(settings.participants).length;
  const emails = Array.from({ length: settings.participants }, (_, i) => `p-${String(i + 1).padStart(width, '0')}@${domain}`);
  const tokens = await env.mint(emails);
  const participants: (Participant & { token: string })[] = tokens.map((t, i) => ({
    participantId: t.participantId,
    email: t.email,
    token: t.token,
    told: [],
    final: null,
    subscribed: i < settings.subscribers,
  }));
  const before = await env.offsets();
  const eventPartitions = async () => {
    const now = await env.offsets();
    return [...now].filter(([p, offset]) => BigInt(offset) > BigInt(before.get(p) ?? '0')).map(([p]) => p);
  };

  log(`chaos: ${fault.name}: ${settings.participants} apply over ${settings.spreadMs / 1000} s (stock ${settings.stock})`);
  const herdStart = Date.now();
  const applyDeadline = herdStart + settings.drainTimeoutMs;
  const wsUrl = env.bffUrl.replace(/^http/, 'ws');
  const watchers: Watcher[] = [];
  const applies = participants.map(async (p, i) => {
    await sleep(Math.floor((i * settings.spreadMs) / participants.length));
    try {
      p.told.push(await applyRetrying(env.bffUrl, p.token, eventId, applyDeadline));
    } catch (err) {
      p.applyError = err instanceof Error ? err.message : String(err);
      return;
    }
    if (p.subscribed) watchers.push(watchStatus(wsUrl, p.token, eventId, p.told));
  });

  await sleep(settings.injectAtMs);
  const injectedAt = Date.now();
  let faultError: string | undefined;
  await fault.run({ ...env.context, eventPartitions }).catch((err: unknown) => {
    faultError = err instanceof Error ? err.message : String(err);
    log(`chaos: ${fault.name}: the fault itself failed: ${faultError}`);
  });
  await Promise.all(applies);

  // Drained: every participant decided in MySQL, and every subscriber told a final status.
  let recoverMs: number | undefined;
  const drainDeadline = injectedAt + settings.drainTimeoutMs;
  for (;;) {
    const decided = await decidedInMysql(env.sequelize, eventId).catch(() => -1);
    const watching = participants.filter((p) => p.subscribed && !p.applyError);
    const told = watching.filter((p) => p.told.some((t) => t.via === 'subscription' && FINAL.has(t.status))).length;
    if (decided === participants.length && told === watching.length && watchers.length === watching.length) {
      recoverMs = Date.now() - injectedAt;
      break;
    }
    if (Date.now() > drainDeadline) {
      log(
        `chaos: ${fault.name}: not drained after ${settings.drainTimeoutMs / 1000} s (decided ${decided}, subscribers told ${told})`,
      );
      break;
    }
    await sleep(250);
  }

  const readDeadline = Date.now() + 30_000;
  await Promise.all(
    participants.map(async (p) => {
      p.final = await readApplication(env.bffUrl, p.token, eventId, readDeadline).catch(() => null);
    }),
  );
  await Promise.all(watchers.map((w) => w.close()));
  const mysql = await mysqlFacts(env.sequelize, eventId);
  const mails = await countEmails(env.sesEndpoint, domain, startedSeconds, participants.length, 30_000);
  const verdicts = checkRound({ stock: settings.stock, participants, mysql, emails: mails });
  const ok = faultError === undefined && Object.values(verdicts).every((v) => v.ok);
  if (faultError !== undefined) verdicts['no PENDING'].detail += `; the fault failed: ${faultError}`;
  return { fault: fault.name, verdicts, recoverMs, ok };
}
