import { startClaimer, type Claimer } from './claimer';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureCeiling } from './ceiling';
import { adminApi, APPLY_MUTATION, type AdminApi } from './graphql';
import { hammer, type HammerResult, type HammerSpec } from './hammer';
import {
  appliesSummary,
  emailSummary,
  herdConfig,
  herdSeries,
  herdTimings,
  subscriberSummary,
  type HerdFacts,
} from './herd-result';
import { checkInvariants, readMysqlFacts, reconcile, type InvariantCheck } from './invariants';
import { measureCpu } from './cpu';
import { listenOverflows } from './kernel';
import { watchEmails, watchStats } from './monitors';
import { histogramDeltas, scrapeTotals } from './platform-metrics';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { machineInfo, type HerdResult, type LoadSummary, type TargetCheck } from './result';
import { latencyHistogram } from './stats';
import { startSubscribers, type SubscriberPool } from './subscribers';
import { errorCount, round, summarise } from './summary';
import type { Target } from './target';
import { participantEmails, runDomain, type MintedToken } from './tokens';

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

  progress.phase(
    `run ${runId}: ${options.participants} participants, stock ${options.stock}, ${options.connections} connections, ${options.subscribers} subscribers`,
  );
  const event = await prepareEvent(options, target, progress, runId);
  const { participants, api, eventId } = event;
  const claimer = options.claimWindow > 0 ? startEventClaimer(options, target, event) : undefined;
  const load = applyLoad(options, participants, eventId, deadline);
  const ceiling = await measureCeilingIfAsked(options, load, progress);
  const { pool, subscribersMs } = await connectSubscribers(options, target, progress, event, deadline);

  progress.phase('the herd: every participant applies now');
  const originMs = Date.now();
  const watchers = { stats: watchStats(api, eventId, originMs), emails: watchEmails(target.sesUrl, domain, originMs), pool };
  const tickers = startTickers(progress, options, watchers);
  const { herd, metricsBefore, overflowsBefore, cpu } = await runMeasuredHerd(options, target, {
    load,
    watchers,
    tickers,
    deadline,
    rehearsal,
    claimer,
  });
  tickers.stop();

  const claimReport = await claimer?.stop();
  const { metricsAfter, mysql, final, invariants } = await checkAfterDrain(options, target, progress, event, watchers);
  if (claimer && claimReport) {
    invariants.push(...claimer.checks());
    progress.phase(
      `claim window: ${claimReport.offers} offers, ${claimReport.claims} claimed, ${claimReport.neverClaimed} never claimed, claim errors ${JSON.stringify(claimReport.claimErrors)}`,
    );
  }
  const overflowsAfter = listenOverflows();
  const cpuUsage = cpu.stop();
  const applies = appliesSummary(herd, options.participants);
  const facts: HerdFacts = { options, originMs, herd, mysql, final, emails: watchers.emails.samples };

  const result: HerdResult = {
    scenario: 'herd',
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    config: herdConfig(options, target.bffUrl),
    machine: machineInfo(),
    eventId,
    preparationMs: { tokens: event.tokensMs, event: event.eventMs, subscribers: subscribersMs },
    ceiling,
    applies,
    percentOfCeiling: ceiling?.requestsPerSecond
      ? round((applies.requestsPerSecond / ceiling.requestsPerSecond) * 100)
      : undefined,
    timings: herdTimings(facts),
    subscribers: subscriberSummary(facts, pool),
    emails: emailSummary(facts),
    cpu: cpuUsage,
    platformMetrics: histogramDeltas(metricsBefore, metricsAfter),
    listenOverflows: overflowsBefore === undefined || overflowsAfter === undefined ? undefined : overflowsAfter - overflowsBefore,
    latencyHistogram: latencyHistogram(herd.latencies),
    series: herdSeries(facts),
    invariants,
    targets: [],
    ok: errorCount(applies) === 0 && invariants.every((c) => c.ok),
  };
  result.targets = targetChecks(result);
  return result;
}

interface PreparedEvent {
  admin: MintedToken;
  participants: MintedToken[];
  api: AdminApi;
  eventId: string;
  tokensMs: number;
  eventMs: number;
}

/** Mints every token and opens the run's event (neither is timed as part of the herd). */
async function prepareEvent(
  options: BenchmarkOptions,
  target: Target,
  progress: Progress,
  runId: string,
): Promise<PreparedEvent> {
  progress.phase('preparing: minting tokens (not timed)');
  let mark = Date.now();
  const [admin] = await target.mintTokens([target.adminEmail]);
  const participants = await target.mintTokens(participantEmails(runId, options.participants));
  const tokensMs = Date.now() - mark;
  if (!admin) throw new Error('no admin token');

  mark = Date.now();
  const api = adminApi(target.bffUrl, admin.token);
  const claim =
    options.claimWindow > 0
      ? {
          claimWindowSeconds: options.claimWindow,
          ...(options.maxOpenOffers === undefined ? {} : { maxOpenOffers: options.maxOpenOffers }),
        }
      : {};
  const eventId = await api.createOpenEvent(`loadtest ${runId}`, options.stock, claim);
  const eventMs = Date.now() - mark;
  progress.phase(`event ${eventId} is open`);
  return { admin, participants, api, eventId, tokensMs, eventMs };
}

/** What every apply request shares: the ceiling sends the same, only to a bare server. */
type ApplyLoad = Omit<HammerSpec, 'url'>;

function applyLoad(options: BenchmarkOptions, participants: MintedToken[], eventId: string, deadline: AbortSignal): ApplyLoad {
  const requestTimeoutSeconds = Math.max(10, Math.ceil(options.timeoutMs / 1000 / 4));
  const authorization = (i: number) => `Bearer ${participants[i]!.token}`;
  const body = JSON.stringify({ query: APPLY_MUTATION, variables: { eventId } });
  return {
    connections: options.connections,
    amount: options.participants,
    authorization,
    body: () => body,
    requestTimeoutSeconds,
    signal: deadline,
    ...(options.coldConnections ? {} : { warmPath: '/healthz' }),
  };
}

async function measureCeilingIfAsked(
  options: BenchmarkOptions,
  load: ApplyLoad,
  progress: Progress,
): Promise<LoadSummary | undefined> {
  if (!options.ceiling) return undefined;
  progress.phase('ceiling: a bare Node server answering a constant, same client and connections');
  const tick = progress.counter('ceiling requests', options.participants);
  const ceiling = summarise(await measureCeiling({ ...load, onResponse: tick }), options.participants);
  progress.phase(`ceiling: ${ceiling.requestsPerSecond} requests/s`);
  return ceiling;
}

async function connectSubscribers(
  options: BenchmarkOptions,
  target: Target,
  progress: Progress,
  { eventId, participants }: PreparedEvent,
  deadline: AbortSignal,
): Promise<{ pool: SubscriberPool; subscribersMs: number }> {
  const mark = Date.now();
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
  return { pool, subscribersMs };
}

interface Tickers {
  tickApplies: (done: number) => void;
  /** Stops the periodic ticks; the watchers may be stopped after it. */
  halt(): void;
  /** One last tick, then every counter ends. */
  stop(): void;
}

/** The herd's counters; all but the applies follow the watchers every 250 ms. */
function startTickers(progress: Progress, options: BenchmarkOptions, { stats, emails, pool }: Watchers): Tickers {
  const tickApplies = progress.counter('applies', options.participants);
  const tickDecisions = progress.counter('decisions', options.participants);
  const tickTold = progress.counter('subscribers told', options.subscribers);
  const tickEmails = progress.counter('result e-mails', options.participants);
  const tick = () => {
    const s = stats.latest();
    if (s) tickDecisions(s.issued + s.soldOut);
    tickTold(pool.finalCount());
    tickEmails(emails.latest()?.sent ?? 0);
  };
  const ticker = setInterval(tick, 250);
  return {
    tickApplies,
    halt: () => clearInterval(ticker),
    stop() {
      try {
        tick();
      } finally {
        progress.stop();
      }
    },
  };
}

interface MeasuredHerd {
  herd: HammerResult;
  metricsBefore: Record<string, number>;
  overflowsBefore: number | undefined;
  /** Still running: stopped once the invariants are checked. */
  cpu: ReturnType<typeof measureCpu>;
}

/** The timed part: the herd and its drain, with the watchers stopped whatever happens. */
async function runMeasuredHerd(
  options: BenchmarkOptions,
  target: Target,
  run: {
    load: ApplyLoad;
    watchers: Watchers;
    tickers: Tickers;
    deadline: AbortSignal;
    rehearsal: boolean;
    claimer: Claimer | undefined;
  },
): Promise<MeasuredHerd> {
  const { load, watchers, tickers, deadline, rehearsal, claimer } = run;
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
      onResponse: tickers.tickApplies,
      onAnswer: (i) => (i < options.subscribers ? watchers.pool.applied(i) : undefined),
    });
    await drain(options, watchers, deadline, claimer);
  } finally {
    if (!rehearsal) target.herdWindow?.end();
    tickers.halt();
    await Promise.all([watchers.stats.stop(), watchers.emails.stop()]);
    await watchers.pool.dispose();
  }
  return { herd, metricsBefore, overflowsBefore, cpu };
}

/** Reads what the platform holds once drained and checks the invariants on it. */
async function checkAfterDrain(
  options: BenchmarkOptions,
  target: Target,
  progress: Progress,
  { api, eventId, admin }: PreparedEvent,
  { stats, pool }: Watchers,
): Promise<Pick<HerdFacts, 'mysql' | 'final'> & { metricsAfter: Record<string, number>; invariants: InvariantCheck[] }> {
  const metricsAfter = await scrapeTotals(target.metricsUrls ?? []);
  progress.phase('checking invariants');
  // One last reading, after the drain: the poller's could be up to 250 ms old.
  const finalStats = await api.eventStats(eventId).catch(() => stats.latest());
  const mysql = await readMysqlFacts(target.mysqlUrl, eventId);
  const reconciliation = await reconcile(target.issuerAddress, eventId, admin.token).catch((err: Error) => ({
    error: err.message,
  }));
  const final = pool.outcomes.filter((o) => o.toldAtMs !== undefined);
  const invariants = checkInvariants({
    stock: options.stock,
    participants: options.participants,
    stats: finalStats,
    mysql,
    reconciliation,
    subscribers: options.subscribers,
    subscribersFinal: final.length,
    claimWindow: options.claimWindow > 0,
  });
  return { metricsAfter, mysql, final, invariants };
}

interface Watchers {
  stats: ReturnType<typeof watchStats>;
  emails: ReturnType<typeof watchEmails>;
  pool: Awaited<ReturnType<typeof startSubscribers>>;
}

/** Waits until every decision, subscriber status and e-mail is in, the deadline, or a long stall. */
async function drain(
  options: BenchmarkOptions,
  { stats, emails, pool }: Watchers,
  deadline: AbortSignal,
  claimer?: Claimer,
): Promise<void> {
  let lastProgress = Date.now();
  let lastSeen = '';
  while (!deadline.aborted) {
    const s = stats.latest();
    // With a claim window: EXPIRED is final too, and nothing may stay OFFERED or WAITLISTED (the e-mail
    // watcher counts recipients, so the offers' own e-mails are counted from the outbox after, claimer.ts).
    const decided = s ? s.issued + s.soldOut + (claimer ? s.expired : 0) : 0;
    const open = s ? s.offered + s.waitlisted : 0;
    const sent = emails.latest()?.sent ?? 0;
    const told = pool.finalCount();
    if (
      s &&
      s.pending === 0 &&
      open === 0 &&
      decided >= options.participants &&
      told >= options.subscribers &&
      sent >= options.participants
    )
      return;
    const seen = `${decided}/${told}/${sent}/${open}`;
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

/** The winners' side of a claim-window run (claimer.ts), from the herd's start. */
function startEventClaimer(options: BenchmarkOptions, target: Target, event: PreparedEvent): Claimer {
  return startClaimer({
    bffUrl: target.bffUrl,
    mysqlUrl: target.mysqlUrl,
    eventId: event.eventId,
    stock: options.stock,
    windowSeconds: options.claimWindow,
    noClaimShare: options.noClaimShare,
    maxOpenOffers: options.maxOpenOffers,
    participants: options.participants,
    tokens: new Map(event.participants.map((p) => [p.participantId, p.token])),
    api: event.api,
  });
}
