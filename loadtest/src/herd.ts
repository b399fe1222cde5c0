import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureCeiling } from './ceiling';
import { adminApi, APPLY_MUTATION } from './graphql';
import { hammer } from './hammer';
import { checkInvariants, readMysqlFacts, reconcile } from './invariants';
import { measureCpu } from './cpu';
import { listenOverflows } from './kernel';
import { watchEmails, watchStats } from './monitors';
import { histogramDeltas, scrapeTotals } from './platform-metrics';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { machineInfo, type HerdResult, type TargetCheck } from './result';
import { cumulativeSeries, latencyHistogram, percentiles } from './stats';
import { startSubscribers } from './subscribers';
import { errorCount, round, roundAll, summarise } from './summary';
import type { Target } from './target';
import { participantEmails, runDomain } from './tokens';

/** How long the drain may go without any progress before the run stops waiting for it. */
const STALL_MS = 30_000;
/** Lets the BFF register every subscription before the herd (graphql-ws does not acknowledge a subscribe). */
const SUBSCRIBE_SETTLE_MS = 1_000;

/**
 * The thundering herd: every participant applies once, at once, over `connections` keep-alive
 * connections, while `subscribers` of them watch their status. Measures, drains, then checks.
 * A rehearsal is the same on its own event, participants and e-mail domain, outside the profile.
 */
export async function runHerd(
  options: BenchmarkOptions,
  target: Target,
  progress: Progress,
  { rehearsal = false }: { rehearsal?: boolean } = {},
): Promise<HerdResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const domain = runDomain(runId);
  const requestTimeoutSeconds = Math.max(10, Math.ceil(options.timeoutMs / 1000 / 4));

  progress.phase(
    `run ${runId}: ${options.participants} participants, stock ${options.stock}, ${options.connections} connections, ${options.subscribers} subscribers`,
  );
  progress.phase('preparing: minting tokens (not timed)');
  let mark = Date.now();
  const [admin] = await target.mintTokens([target.adminEmail]);
  const participants = await target.mintTokens(participantEmails(runId, options.participants));
  const tokensMs = Date.now() - mark;
  if (!admin) throw new Error('no admin token');

  mark = Date.now();
  const api = adminApi(target.bffUrl, admin.token);
  const eventId = await api.createOpenEvent(`loadtest ${runId}`, options.stock);
  const eventMs = Date.now() - mark;
  progress.phase(`event ${eventId} is open`);

  const authorization = (i: number) => `Bearer ${participants[i]!.token}`;
  const body = JSON.stringify({ query: APPLY_MUTATION, variables: { eventId } });
  const load = {
    connections: options.connections,
    amount: options.participants,
    authorization,
    body: () => body,
    requestTimeoutSeconds,
    signal: deadline,
    ...(options.coldConnections ? {} : { warmPath: '/healthz' }),
  };

  let ceiling: HerdResult['ceiling'];
  if (options.ceiling) {
    progress.phase('ceiling: a bare Node server answering a constant, same client and connections');
    const tick = progress.counter('ceiling requests', options.participants);
    ceiling = summarise(await measureCeiling({ ...load, onResponse: tick }), options.participants);
    progress.phase(`ceiling: ${ceiling.requestsPerSecond} requests/s`);
  }

  mark = Date.now();
  progress.phase(`connecting ${options.subscribers} subscribers`);
  const wsUrl = `${target.bffUrl.replace(/^http/, 'ws')}/graphql`;
  const pool = await startSubscribers(wsUrl, eventId, participants.slice(0, options.subscribers), deadline);
  await sleep(SUBSCRIBE_SETTLE_MS);
  const subscribersMs = Date.now() - mark;
  if (pool.refusedCount() > 0) {
    progress.phase(
      `${pool.refusedCount()} subscriptions refused before their apply (NOT_FOUND): each subscribes again once its apply is answered`,
    );
  }

  progress.phase('the herd: every participant applies now');
  const originMs = Date.now();
  const stats = watchStats(api, eventId, originMs);
  const emails = watchEmails(target.sesUrl, domain, originMs);
  const tickApplies = progress.counter('applies', options.participants);
  const tickDecisions = progress.counter('decisions', options.participants);
  const tickTold = progress.counter('subscribers told', options.subscribers);
  const tickEmails = progress.counter('result e-mails', options.participants);
  const ticker = setInterval(() => {
    const s = stats.latest();
    if (s) tickDecisions(s.issued + s.soldOut);
    tickTold(pool.finalCount());
    tickEmails(emails.latest()?.sent ?? 0);
  }, 250);

  let herd;
  const metricsBefore = await scrapeTotals(target.metricsUrls ?? []);
  const overflowsBefore = listenOverflows();
  const cpu = measureCpu();
  // The profilers (--cpu-prof) cover the measured herd only, not the rehearsal.
  if (!rehearsal) target.herdWindow?.start();
  try {
    herd = await hammer({
      ...load,
      url: `${target.bffUrl}/graphql`,
      onResponse: tickApplies,
      onAnswer: (i) => (i < options.subscribers ? pool.applied(i) : undefined),
    });
    await drain(options, { stats, emails, pool }, deadline);
  } finally {
    if (!rehearsal) target.herdWindow?.end();
    clearInterval(ticker);
    await Promise.all([stats.stop(), emails.stop()]);
    await pool.dispose();
  }
  try {
    const latest = stats.latest();
    if (latest) tickDecisions(latest.issued + latest.soldOut);
    tickTold(pool.finalCount());
    tickEmails(emails.latest()?.sent ?? 0);
  } finally {
    progress.stop();
  }

  const metricsAfter = await scrapeTotals(target.metricsUrls ?? []);
  progress.phase('checking invariants');
  // One last reading, after the drain: the poller's could be up to 250 ms old.
  const finalStats = await api.eventStats(eventId).catch(() => stats.latest());
  const mysql = await readMysqlFacts(target.mysqlUrl, eventId);
  const reconciliation = await reconcile(target.issuerAddress, eventId, admin.token).catch((err: Error) => ({
    error: err.message,
  }));
  const outcomes = pool.outcomes;
  const final = outcomes.filter((o) => o.toldAtMs !== undefined);
  const invariants = checkInvariants({
    stock: options.stock,
    participants: options.participants,
    stats: finalStats,
    mysql,
    reconciliation,
    subscribers: options.subscribers,
    subscribersFinal: final.length,
  });

  const overflowsAfter = listenOverflows();
  const cpuUsage = cpu.stop();
  const applies = {
    ...summarise(herd, options.participants),
    outcomes: herd.outcomes,
    latencyByOutcomeMs: Object.fromEntries(
      Object.entries(herd.latenciesByKind).map(([kind, sample]) => [kind, roundAll(percentiles(sample))]),
    ),
    latencyByPlaceMs: Object.fromEntries(
      Object.entries(herd.latenciesByPlace).map(([place, sample]) => [place, roundAll(percentiles(sample))]),
    ),
  };
  const lastApplyMs = originMs + herd.durationMs;
  const lastDecisionMs = mysql.decidedAtMs.length ? Math.max(...mysql.decidedAtMs) : undefined;
  const allTold =
    final.length === options.subscribers && final.length > 0 ? Math.max(...final.map((o) => o.toldAtMs!)) : undefined;
  const emailDone = emails.samples.find((s) => s.sent >= options.participants);
  const toldLag = final.filter((o) => o.decidedAtMs !== undefined).map((o) => o.toldAtMs! - o.decidedAtMs!);

  const result: HerdResult = {
    scenario: 'herd',
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    config: {
      participants: options.participants,
      stock: options.stock,
      connections: options.connections,
      coldConnections: options.coldConnections,
      subscribers: options.subscribers,
      timeoutMs: options.timeoutMs,
      bffUrl: target.bffUrl,
    },
    machine: machineInfo(),
    eventId,
    preparationMs: { tokens: tokensMs, event: eventMs, subscribers: subscribersMs },
    ceiling,
    applies,
    percentOfCeiling: ceiling?.requestsPerSecond
      ? round((applies.requestsPerSecond / ceiling.requestsPerSecond) * 100)
      : undefined,
    timings: {
      firstApplyToLastApply: round(herd.durationMs),
      firstApplyToLastDecision: lastDecisionMs === undefined ? undefined : lastDecisionMs - originMs,
      lastApplyToLastDecision: lastDecisionMs === undefined ? undefined : round(lastDecisionMs - lastApplyMs),
      firstApplyToAllSubscribersTold: allTold === undefined ? undefined : allTold - originMs,
      firstApplyToAllEmailsSent: emailDone?.t,
    },
    subscribers: {
      count: options.subscribers,
      final: final.length,
      refusedBeforeApply: pool.refusedCount(),
      toldAfterDecisionMs: percentiles(toldLag),
      errors: [...new Set(outcomes.flatMap((o) => (o.error ? [o.error] : [])))].slice(0, 10),
    },
    emails: { expected: options.participants, sent: emails.samples.reduce((max, s) => Math.max(max, s.sent), 0) },
    cpu: cpuUsage,
    platformMetrics: histogramDeltas(metricsBefore, metricsAfter),
    listenOverflows: overflowsBefore === undefined || overflowsAfter === undefined ? undefined : overflowsAfter - overflowsBefore,
    latencyHistogram: latencyHistogram(herd.latencies),
    series: {
      applies: cumulativeSeries(herd.arrivals, 100),
      decisions: cumulativeSeries(
        mysql.decidedAtMs.map((ms) => ms - originMs),
        100,
      ),
      emails: [{ t: 0, value: 0 }, ...emails.samples.map((s) => ({ t: s.t, value: s.sent }))],
      subscribersTold: cumulativeSeries(
        final.map((o) => o.toldAtMs! - originMs),
        100,
      ),
    },
    invariants,
    targets: [],
    ok: errorCount(applies) === 0 && invariants.every((c) => c.ok),
  };
  result.targets = targetChecks(result);
  return result;
}

interface Watchers {
  stats: ReturnType<typeof watchStats>;
  emails: ReturnType<typeof watchEmails>;
  pool: Awaited<ReturnType<typeof startSubscribers>>;
}

/** Waits until every decision, subscriber status and e-mail is in, the deadline, or a long stall. */
async function drain(options: BenchmarkOptions, { stats, emails, pool }: Watchers, deadline: AbortSignal): Promise<void> {
  let lastProgress = Date.now();
  let lastSeen = '';
  while (!deadline.aborted) {
    const s = stats.latest();
    const decided = s ? s.issued + s.soldOut : 0;
    const sent = emails.latest()?.sent ?? 0;
    const told = pool.finalCount();
    if (s && s.pending === 0 && decided >= options.participants && told >= options.subscribers && sent >= options.participants)
      return;
    const seen = `${decided}/${told}/${sent}`;
    if (seen !== lastSeen) {
      lastSeen = seen;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > STALL_MS) {
      return;
    }
    await sleep(100);
  }
}

/** The targets for this machine, with this run's numbers. */
export function targetChecks(r: HerdResult): TargetCheck[] {
  const ms = (v: number | undefined) => (v === undefined ? 'never' : `${Math.round(v)} ms`);
  const errors = errorCount(r.applies);
  const violations = r.invariants.filter((c) => !c.ok).length;
  return [
    {
      name: 'errors and violations',
      target: '0',
      actual: `${errors} errors, ${violations} violations`,
      met: errors === 0 && violations === 0,
    },
    {
      name: 'applies per second',
      target: '>= 3000',
      actual: String(r.applies.requestsPerSecond),
      met: r.applies.requestsPerSecond >= 3000,
    },
    { name: 'apply latency p99', target: '< 500 ms', actual: ms(r.applies.latencyMs.p99), met: r.applies.latencyMs.p99 < 500 },
    {
      name: 'last decision after last apply',
      target: '<= 3000 ms',
      actual: ms(r.timings.lastApplyToLastDecision),
      met: r.timings.lastApplyToLastDecision !== undefined && r.timings.lastApplyToLastDecision <= 3000,
    },
    {
      name: 'subscriber told after decision (max)',
      target: '<= 1000 ms',
      actual: r.subscribers.final ? ms(r.subscribers.toldAfterDecisionMs.max) : 'never',
      met: r.subscribers.toldAfterDecisionMs.count === r.subscribers.count && r.subscribers.toldAfterDecisionMs.max <= 1000,
    },
  ];
}
