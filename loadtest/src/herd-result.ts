import type { HammerResult } from './hammer';
import type { MysqlFacts } from './invariants';
import type { EmailSample } from './monitors';
import type { BenchmarkOptions } from './options';
import type { HerdResult } from './result';
import { cumulativeSeries, percentiles } from './stats';
import type { SubscriberOutcome, SubscriberPool } from './subscribers';
import { round, roundAll, summarise } from './summary';

/** What a drained herd left behind, from which its result is built. */
export interface HerdFacts {
  options: BenchmarkOptions;
  /** Wall clock (`Date.now()`) of the herd's start; every time in the result counts from it. */
  originMs: number;
  herd: HammerResult;
  mysql: MysqlFacts;
  /** The subscribers that were told their final status. */
  final: SubscriberOutcome[];
  emails: EmailSample[];
}

export function herdConfig(options: BenchmarkOptions, bffUrl: string): HerdResult['config'] {
  return {
    participants: options.participants,
    stock: options.stock,
    connections: options.connections,
    coldConnections: options.coldConnections,
    subscribers: options.subscribers,
    timeoutMs: options.timeoutMs,
    bffUrl,
  };
}

export function appliesSummary(herd: HammerResult, participants: number): HerdResult['applies'] {
  return {
    ...summarise(herd, participants),
    outcomes: herd.outcomes,
    latencyByOutcomeMs: Object.fromEntries(
      Object.entries(herd.latenciesByKind).map(([kind, sample]) => [kind, roundAll(percentiles(sample))]),
    ),
    latencyByPlaceMs: Object.fromEntries(
      Object.entries(herd.latenciesByPlace).map(([place, sample]) => [place, roundAll(percentiles(sample))]),
    ),
  };
}

export function herdTimings({ options, originMs, herd, mysql, final, emails }: HerdFacts): HerdResult['timings'] {
  const lastApplyMs = originMs + herd.durationMs;
  const lastDecisionMs = mysql.decidedAtMs.length ? Math.max(...mysql.decidedAtMs) : undefined;
  const allTold =
    final.length === options.subscribers && final.length > 0 ? Math.max(...final.map((o) => o.toldAtMs!)) : undefined;
  const emailDone = emails.find((s) => s.sent >= options.participants);
  return {
    firstApplyToLastApply: round(herd.durationMs),
    firstApplyToLastDecision: lastDecisionMs === undefined ? undefined : lastDecisionMs - originMs,
    lastApplyToLastDecision: lastDecisionMs === undefined ? undefined : round(lastDecisionMs - lastApplyMs),
    firstApplyToAllSubscribersTold: allTold === undefined ? undefined : allTold - originMs,
    firstApplyToAllEmailsSent: emailDone?.t,
  };
}

export function subscriberSummary({ options, final }: HerdFacts, pool: SubscriberPool): HerdResult['subscribers'] {
  const toldLag = final.filter((o) => o.decidedAtMs !== undefined).map((o) => o.toldAtMs! - o.decidedAtMs!);
  return {
    count: options.subscribers,
    final: final.length,
    refusedBeforeApply: pool.refusedCount(),
    toldAfterDecisionMs: percentiles(toldLag),
    errors: [...new Set(pool.outcomes.flatMap((o) => (o.error ? [o.error] : [])))].slice(0, 10),
  };
}

export function emailSummary({ options, emails }: HerdFacts): HerdResult['emails'] {
  return { expected: options.participants, sent: emails.reduce((max, s) => Math.max(max, s.sent), 0) };
}

export function herdSeries({ originMs, herd, mysql, final, emails }: HerdFacts): HerdResult['series'] {
  return {
    applies: cumulativeSeries(herd.arrivals, 100),
    decisions: cumulativeSeries(
      mysql.decidedAtMs.map((ms) => ms - originMs),
      100,
    ),
    emails: [{ t: 0, value: 0 }, ...emails.map((s) => ({ t: s.t, value: s.sent }))],
    subscribersTold: cumulativeSeries(
      final.map((o) => o.toldAtMs! - originMs),
      100,
    ),
  };
}
