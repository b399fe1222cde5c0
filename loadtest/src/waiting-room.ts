import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { QueryTypes } from 'sequelize';
import { adminApi, APPLY_MUTATION, graphql } from './graphql';
import { hammer } from './hammer';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { machineInfo, type EstimateError, type WaitingRoomResult } from './result';
import { percentiles } from './stats';
import { startSubscribers, toMs, type StatusView } from './subscribers';
import { errorCount, round, summarise } from './summary';
import type { Target } from './target';
import { participantEmails } from './tokens';

const SUBSCRIPTION =
  'subscription Status($eventId: ID!) { applicationStatus(eventId: $eventId) { status position decidedAt estimatedWaitSeconds } }';
const STALL_MS = 30_000;

interface Estimate {
  seconds: number;
  atMs: number;
}

/** What one subscriber saw of the draw and its wait. */
interface Seen {
  placedAtMs?: number;
  /** The first estimate heard (in the waiting room: what the participant was told on arriving), and when. */
  arrival?: Estimate;
  /** The first estimate heard once in line (after the draw placed it), and when. */
  inLine?: Estimate;
  decidedAtMs?: number | undefined;
}

/**
 * The waiting room (issue 17): the herd applies while the room is open (every answer WAITING), the event opens,
 * ONE draw orders everyone, and the line drains. Measures the herd, the time from the opening to every position
 * drawn (MySQL's `draws.placed_at`) and to each subscriber hearing its place, and the estimated wait each
 * subscriber was first given in line against the wait it actually had. Then checks the draw against MySQL.
 */
export async function runWaitingRoom(options: BenchmarkOptions, target: Target, progress: Progress): Promise<WaitingRoomResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const startedAt = new Date().toISOString();
  progress.phase(`run ${runId}: waiting room, ${options.participants} participants, stock ${options.stock}`);
  const [admin] = await target.mintTokens([target.adminEmail]);
  if (!admin) throw new Error('no admin token');
  const participants = await target.mintTokens(participantEmails(runId, options.participants));

  const opensAtMs = Date.now() + options.roomSeconds * 1000;
  const endpoint = `${target.bffUrl}/graphql`;
  const created = await graphql<{ createEvent: { id: string } }>(
    endpoint,
    'mutation Create($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    {
      input: {
        name: `loadtest waiting room ${runId}`,
        stock: options.stock,
        waitingRoomOpensAt: new Date().toISOString(),
        opensAt: new Date(opensAtMs).toISOString(),
      },
    },
    admin.token,
  );
  const eventId = created.createEvent.id;

  const seen: Seen[] = participants.slice(0, options.subscribers).map(() => ({}));
  const observe = (i: number, app: StatusView, atMs: number) => {
    const s = seen[i] as Seen;
    if (s.placedAtMs === undefined && app.status !== 'WAITING' && (app.position ?? 0) > 0) s.placedAtMs = atMs;
    if (typeof app.estimatedWaitSeconds === 'number') {
      s.arrival ??= { seconds: app.estimatedWaitSeconds, atMs };
      if (s.placedAtMs !== undefined) s.inLine ??= { seconds: app.estimatedWaitSeconds, atMs };
    }
    if (app.status === 'ISSUED' || app.status === 'SOLD_OUT') s.decidedAtMs ??= toMs(app.decidedAt);
  };
  progress.phase(`connecting ${seen.length} subscribers`);
  const wsUrl = `${target.bffUrl.replace(/^http/, 'ws')}/graphql`;
  const pool = await startSubscribers(wsUrl, eventId, participants.slice(0, seen.length), deadline, {
    query: SUBSCRIPTION,
    observe,
  });

  progress.phase(`the herd applies in the waiting room; the event opens at ${new Date(opensAtMs).toISOString()}`);
  const body = JSON.stringify({ query: APPLY_MUTATION, variables: { eventId } });
  const herd = await hammer({
    url: endpoint,
    connections: options.connections,
    amount: options.participants,
    authorization: (i) => `Bearer ${participants[i]!.token}`,
    body: () => body,
    requestTimeoutSeconds: 30,
    signal: deadline,
    warmPath: '/healthz',
  });
  const applies = summarise(herd, options.participants);
  const herdEndedBeforeOpening = Date.now() < opensAtMs;
  progress.phase(`herd: ${applies.requestsPerSecond} applies/s, outcomes ${JSON.stringify(herd.outcomes)}`);

  await sleep(Math.max(0, opensAtMs - Date.now()));
  progress.phase('opened: the draw, then the drain');
  const api = adminApi(target.bffUrl, admin.token);
  let last = { issued: -1, at: Date.now() };
  for (;;) {
    const stats = await api.eventStats(eventId);
    const decided = stats.issued + stats.soldOut;
    if (decided >= options.participants && stats.pending === 0) break;
    if (decided !== last.issued) last = { issued: decided, at: Date.now() };
    if (Date.now() - last.at > STALL_MS || deadline.aborted) break;
    await sleep(250);
  }
  await sleep(1_000); // the last decisions' live messages
  await pool.dispose();

  const mysql = await readDraw(target.mysqlUrl, eventId);
  const placedHeard = seen.flatMap((s) => (s.placedAtMs === undefined ? [] : [s.placedAtMs - opensAtMs]));
  const arrival = estimateErrors(seen.map((s) => [s.arrival, s.decidedAtMs]));
  const inLine = estimateErrors(seen.map((s) => [s.inLine, s.decidedAtMs]));
  const invariants = [
    { name: 'exactly one draw', ok: mysql.draws === 1 },
    { name: 'every WAITING answer is in the draw', ok: mysql.waitingCount === (herd.outcomes['WAITING'] ?? 0) },
    {
      name: 'every drawn participant decided once, at its drawn position',
      ok: mysql.drawnDecidedAtPosition === mysql.waitingCount,
    },
    { name: 'issued <= stock, and = min(stock, applicants)', ok: mysql.issued === Math.min(options.stock, mysql.applications) },
    { name: 'winners are positions 1..issued', ok: mysql.maxWinnerPosition === mysql.issued },
    { name: 'no duplicate application', ok: mysql.duplicates === 0 },
  ];
  return {
    scenario: 'waiting-room',
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    config: {
      participants: options.participants,
      stock: options.stock,
      connections: options.connections,
      subscribers: seen.length,
      roomSeconds: options.roomSeconds,
      bffUrl: target.bffUrl,
    },
    machine: machineInfo(),
    eventId,
    applies,
    outcomes: herd.outcomes,
    herdEndedBeforeOpening,
    draw: {
      waiting: mysql.waitingCount,
      openToDrawnMs: mysql.drawnAtMs - opensAtMs,
      openToPlacedMs: mysql.placedAtMs - opensAtMs,
    },
    openToPlacementHeardMs: percentiles(placedHeard),
    estimate: arrival,
    estimateInLine: inLine,
    invariants,
    ok: errorCount(applies) === 0 && invariants.every((c) => c.ok),
  };
}

/**
 * Per subscriber with an estimate and a decision: (estimate - actual) / actual, actual being its decision time less
 * the moment the estimate arrived; the signed error of the median participant and the p50 / p95 of its size.
 */
function estimateErrors(pairs: [Estimate | undefined, number | undefined][]): EstimateError {
  const errors = pairs.flatMap(([estimate, decidedAtMs]) => {
    if (estimate === undefined || decidedAtMs === undefined) return [];
    const actual = (decidedAtMs - estimate.atMs) / 1000;
    return actual > 0 ? [(estimate.seconds - actual) / actual] : [];
  });
  const sorted = [...errors].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return {
    samples: errors.length,
    medianRelativeError: median === undefined ? undefined : round(median, 3),
    absoluteRelativeError: percentiles(errors.map((e) => Math.abs(e))),
  };
}

async function readDraw(mysqlUrl: string, eventId: string) {
  const sequelize = createSequelize(mysqlUrl, createLogger('loadtest', 'silent'), { pool: { max: 2, min: 0 } });
  const one = async (sql: string) =>
    (
      await sequelize.query<Record<string, number | string | null>>(sql, { type: QueryTypes.SELECT, replacements: { eventId } })
    )[0] ?? {};
  try {
    const draw = await one(
      'SELECT COUNT(*) AS n, MAX(waiting_count) AS w, MAX(FLOOR(UNIX_TIMESTAMP(drawn_at) * 1000)) AS drawn, MAX(FLOOR(UNIX_TIMESTAMP(placed_at) * 1000)) AS placed FROM draws WHERE event_id = :eventId',
    );
    const matched = await one(
      'SELECT COUNT(*) AS n FROM waiting w JOIN applications a ON a.event_id = w.event_id AND a.participant_id = w.participant_id AND a.position = w.position WHERE w.event_id = :eventId',
    );
    const apps = await one(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT participant_id) AS d, SUM(status = 'ISSUED') AS issued, MAX(CASE WHEN status = 'ISSUED' THEN position END) AS maxWin FROM applications WHERE event_id = :eventId",
    );
    return {
      draws: Number(draw['n']),
      waitingCount: Number(draw['w'] ?? 0),
      drawnAtMs: Number(draw['drawn'] ?? 0),
      placedAtMs: Number(draw['placed'] ?? 0),
      drawnDecidedAtPosition: Number(matched['n']),
      applications: Number(apps['n']),
      duplicates: Number(apps['n']) - Number(apps['d']),
      issued: Number(apps['issued'] ?? 0),
      maxWinnerPosition: Number(apps['maxWin'] ?? 0),
    };
  } finally {
    await sequelize.close();
  }
}

/** The result as a table for the terminal and the README. */
const signed = (e: EstimateError) =>
  e.medianRelativeError === undefined ? 'no estimate heard' : `${round(e.medianRelativeError * 100)} %`;
const sizes = (e: EstimateError) =>
  `${round(e.absoluteRelativeError.p50 * 100)} % / ${round(e.absoluteRelativeError.p95 * 100)} % (${e.samples})`;

export function waitingRoomTable(r: WaitingRoomResult): string {
  const e = r.estimate;
  const rows: [string, string][] = [
    ['participants / stock / subscribers', `${r.config.participants} / ${r.config.stock} / ${r.config.subscribers}`],
    [
      'applies/s in the waiting room (p50 / p99 ms)',
      `${r.applies.requestsPerSecond} (${r.applies.latencyMs.p50} / ${r.applies.latencyMs.p99})`,
    ],
    ['outcomes', JSON.stringify(r.outcomes)],
    ['drawn', `${r.draw.waiting} participants`],
    ['opening -> draw recorded / every position placed', `${r.draw.openToDrawnMs} ms / ${r.draw.openToPlacedMs} ms`],
    [
      'opening -> subscriber hears its place (p50 / p99 / max)',
      `${r.openToPlacementHeardMs.p50} / ${r.openToPlacementHeardMs.p99} / ${r.openToPlacementHeardMs.max} ms`,
    ],
    ['estimate on arrival: error of the median participant', signed(e)],
    ['estimate on arrival: |error| p50 / p95 (samples)', sizes(e)],
    ['estimate once in line: error of the median participant', signed(r.estimateInLine)],
    ['estimate once in line: |error| p50 / p95 (samples)', sizes(r.estimateInLine)],
    ...r.invariants.map((c): [string, string] => [c.name, c.ok ? 'ok' : 'VIOLATED']),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
