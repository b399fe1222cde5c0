import * as os from 'node:os';
import type { CpuUsage } from './cpu';
import type { InvariantCheck } from './invariants';
import type { HistogramDelta } from './platform-metrics';
import type { HistogramBucket, Percentiles, SeriesPoint } from './stats';

/** The machine the numbers come from. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryMb: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** One hammer run's summary. */
export interface LoadSummary {
  requests: number;
  completed: number;
  durationMs: number;
  requestsPerSecond: number;
  latencyMs: Percentiles;
  errors: Record<string, number>;
  errorSamples: string[];
  /** Building every request and opening the connections, before the clock starts (not timed). */
  setupMs: number;
}

/** A target from the issue, with what this run achieved. Reported, never enforced in CI. */
export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

export interface HerdResult {
  scenario: 'herd';
  runId: string;
  startedAt: string;
  finishedAt: string;
  config: {
    participants: number;
    stock: number;
    connections: number;
    /** Opened as the herd started (true), or before it and warmed with one GET (false; older results lack it). */
    coldConnections?: boolean;
    subscribers: number;
    timeoutMs: number;
    bffUrl: string;
  };
  machine: MachineInfo;
  eventId: string;
  /** The untimed rehearsal herd before this one (`--warmup`), on its own event. */
  warmup?: {
    participants: number;
    stock: number;
    appliesPerSecond: number;
    ok: boolean;
    /** How long the machine took to go quiet after it, before the herd. */
    quietAfterMs?: number;
  };
  preparationMs: { tokens: number; event: number; subscribers: number };
  ceiling: LoadSummary | undefined;
  applies: LoadSummary & {
    outcomes: Record<string, number>;
    latencyByOutcomeMs: Record<string, Percentiles>;
    /** Each connection's first request (it also waits for the TCP connection) and the rest. */
    latencyByPlaceMs: Record<string, Percentiles>;
  };
  /** Applies per second as a percentage of the ceiling's requests per second. */
  percentOfCeiling: number | undefined;
  /** All times in milliseconds; `undefined` when it never happened within the run's bounds. */
  timings: {
    firstApplyToLastApply: number;
    firstApplyToLastDecision: number | undefined;
    lastApplyToLastDecision: number | undefined;
    firstApplyToAllSubscribersTold: number | undefined;
    firstApplyToAllEmailsSent: number | undefined;
  };
  subscribers: {
    count: number;
    final: number;
    /** Early subscriptions the BFF refused (NOT_FOUND: not applied yet); they subscribed again after their apply. */
    refusedBeforeApply: number;
    /** From `decidedAt` to the status's arrival at the subscriber. */
    toldAfterDecisionMs: Percentiles;
    errors: string[];
  };
  emails: { expected: number; sent: number };
  /** CPU seconds per process (the platform's parts, the infrastructure, this load generator) during the herd and drain. */
  cpu: CpuUsage;
  /** The platform's batch histograms over the herd and drain (count and mean), when its metrics were reachable. */
  platformMetrics: HistogramDelta[];
  /** Connections the kernel dropped during the herd because a listen queue was full (Linux only; machine-wide). */
  listenOverflows: number | undefined;
  latencyHistogram: HistogramBucket[];
  series: { applies: SeriesPoint[]; decisions: SeriesPoint[]; emails: SeriesPoint[]; subscribersTold: SeriesPoint[] };
  invariants: InvariantCheck[];
  targets: TargetCheck[];
  /** No apply error and every invariant held. */
  ok: boolean;
  files?: { json: string; html: string; profiles?: string };
}

export interface SigninResult {
  scenario: 'signin';
  runId: string;
  startedAt: string;
  finishedAt: string;
  config: {
    participants: number;
    connections: number;
    timeoutMs: number;
    bffUrl: string;
    /** SES_SEND_RATE_PER_SECOND the run gave the platform it started (undefined: the platform's own). */
    sesRatePerSecond?: number | undefined;
    /** Participants of the line that drained during the sign-in wave (0: none). */
    line?: number;
  };
  machine: MachineInfo;
  /** Every sendVerificationCode call, retries after RATE_LIMITED included; errors by code. */
  sendCode: LoadSummary;
  /** From the first code request to the last code found in the e-mail emulator. */
  codesDeliveredMs: number | undefined;
  codesFound: number;
  /** Per participant, from its first code request to its code seen in the inbox (read every 250 ms). */
  timeToCodeMs?: Percentiles;
  /** The line's result e-mails, sent through the same SES budget (`--line`). */
  line?: {
    participants: number;
    resultsBeforeWave: number;
    resultsDuringWave: number;
    resultsAfterWave: number;
    allResultsSentAfterWaveMs: number | undefined;
  };
  verifyCode: LoadSummary;
  /** Participants signed in end to end per second (code request, e-mail, verification). */
  signinsPerSecond: number;
  signedIn: number;
  ok: boolean;
  files?: { json: string; html: string; profiles?: string };
}

/** The waiting-room scenario (issue 17): the herd in the room, the draw at the opening, the drain. */
export interface WaitingRoomResult {
  scenario: 'waiting-room';
  runId: string;
  startedAt: string;
  finishedAt: string;
  config: { participants: number; stock: number; connections: number; subscribers: number; roomSeconds: number; bffUrl: string };
  machine: MachineInfo;
  eventId: string;
  applies: LoadSummary;
  outcomes: Record<string, number>;
  /** Every apply was answered before the opening (otherwise the late ones joined the line after the drawn). */
  herdEndedBeforeOpening: boolean;
  /** From MySQL: how many were drawn, and from the opening to the draw recorded and to every position placed. */
  draw: { waiting: number; openToDrawnMs: number; openToPlacedMs: number };
  /** From the opening to each subscriber hearing its drawn place. */
  openToPlacementHeardMs: Percentiles;
  /** The estimate each subscriber heard first (on arriving in the waiting room) against the wait it then had. */
  estimate: EstimateError;
  /** The estimate each subscriber heard first once the draw placed it in line, against the wait it then had. */
  estimateInLine: EstimateError;
  invariants: { name: string; ok: boolean }[];
  ok: boolean;
  files?: { json: string; html: string; profiles?: string };
}

/** Per subscriber: (estimate - actual wait from when it was heard) / actual wait. */
export interface EstimateError {
  samples: number;
  /** The signed error of the median participant. */
  medianRelativeError: number | undefined;
  absoluteRelativeError: Percentiles;
}

export type BenchmarkResult = HerdResult | SigninResult | WaitingRoomResult;
