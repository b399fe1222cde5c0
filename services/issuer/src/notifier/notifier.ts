import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  retryDelayMs,
  SpanKind,
  SpanStatusCode,
  TRACING_OFF,
  type BackoffPolicy,
  type Logger,
  type SendBudget,
  type Tracing,
} from '@fcfs/kit';
import type { Sequelize } from 'sequelize';
import type { NotifierConfig } from './config';
import { createBulkSender, type EntryOutcome } from './bulk-sender';
import { createGroupCommit } from './group-commit';
import { gateClaim, initialLineGate, type LineGateLimits, type LineGateState } from './line-gate';
import * as metrics from './metrics';
import { createOutboxStore, type ClaimedRow } from './outbox-store';
import { createSemaphore } from './semaphore';
import { toResultEmail } from './result-email';
import { loadTemplates, renderResultEmail, type RenderedEmail } from './templates';

export interface NotifierOptions {
  sequelize: Sequelize;
  ses: SESv2Client;
  /** The platform's SES send budget (shared with auth, codes first): every send takes a token of it. */
  budget: SendBudget;
  logger: Logger;
  config: NotifierConfig;
  /** Names this replica in `outbox.claimed_by`; defaults to host, pid and a random suffix. */
  notifierId?: string;
  templatesDir?: string;
  /** A span per send, in the apply's trace (the outbox payload's `trace`); off by default. */
  tracing?: Tracing;
}

export interface Notifier {
  readonly id: string;
  start(): void;
  /** Stops claiming, hands back rows not yet tried, and waits for the sends in flight to be recorded. */
  stop(): Promise<void>;
  /** New outbox rows were committed: look now instead of at the next poll. */
  wake(): void;
  /**
   * The line just committed decisions (so new outbox rows too): yield to it. Claims nothing new until it
   * has been quiet for `NOTIFIER_QUIET_MS`, apart from `NOTIFIER_MIN_RATE_WHILE_BUSY` rows a second.
   * Only records a timestamp: cheap enough to call after every chunk.
   */
  lineBusy(): void;
}

const QUEUE_DEPTH_EVERY_MS = 5_000;

/**
 * Sends the outbox's result e-mails through SES v2: claims due rows, sends them within the platform's
 * send budget (what codes leave), up to 50 to a SendBulkEmail call, then records SENT, a retry with backoff, or FAILED.
 */
export function createNotifier({
  sequelize,
  ses,
  budget,
  logger,
  config,
  notifierId,
  templatesDir,
  tracing = TRACING_OFF,
}: NotifierOptions): Notifier {
  const id = (notifierId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`).slice(0, 40);
  const log = logger.child({ component: 'notifier', notifierId: id });
  const templates = loadTemplates(templatesDir);
  const store = createOutboxStore(sequelize);
  // The most this replica could send: the whole account's rate, when nothing else sends.
  const rate = budget.limits.rate;
  const sending = createSemaphore(config.notifier.concurrency);
  // Rows waiting for a budget token at once: each waiter polls Redis until a token is free, so their number,
  // not the rows held (up to 50 per call), bounds that load. A waiter takes tokens as fast as Redis answers.
  const tokenWaiters = createSemaphore(config.notifier.concurrency);
  const leaseMs = config.notifier.leaseMs;
  // Rows held (claimed, not yet recorded): twice what the calls in flight carry, so the next claim runs
  // while a full set of calls is still going; but never more than the rate lets us try within half a lease.
  const perCall = config.notifier.bulk.maxEntries;
  const slots = Math.max(1, Math.min(2 * config.notifier.concurrency * perCall, Math.floor((rate * leaseMs) / 2000)));
  const sendTimeoutMs = Math.max(1_000, Math.min(10_000, Math.floor(leaseMs / 3)));
  const backoff: BackoffPolicy = config.notifier.retry;
  const gateLimits: LineGateLimits = { quietMs: config.notifier.quietMs, minRateWhileBusy: config.notifier.minRateWhileBusy };
  const gate: LineGateState = { ...initialLineGate };

  let running = false;
  let claimSeq = 0;
  let loopDone: Promise<void> = Promise.resolve();
  let depthTimer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  // Every row waiting for a send place or token listens for stop.
  setMaxListeners(0, stopping.signal);
  const inFlight = new Set<Promise<void>>();
  let nudge: (() => void) | undefined;
  let nudged = false;
  let waitingForSlots = false;
  let claimFailing = false;

  /**
   * Waits `ms`, or less if woken (new rows, free slots, stop). A `wake()` that came while the loop was
   * claiming makes the next idle pause return at once; other pauses ignore it, or the loop would spin.
   */
  const pause = (ms: number, { ignoreEarlierWake = false } = {}) =>
    new Promise<void>((resolve) => {
      if ((nudged && !ignoreEarlierWake) || !running) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        nudge = undefined;
        resolve();
      }
      nudge = done;
    });
  const wake = () => {
    nudged = true;
    nudge?.();
  };

  /** A DB write after a send: retried briefly, because a lost SENT write means a resend later. */
  async function record<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= 5) {
          log.error({ err, what }, 'could not record an outcome; the rows are tried again when their lease ends');
          return undefined;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  const lostLease = (outboxId: string) =>
    log.warn({ outboxId }, 'outbox row no longer held by this notifier (its lease ran out)');

  // SENT writes of e-mails that finish together share one UPDATE.
  const markSent = createGroupCommit<{ id: string; claim: string }>(async (rows) => {
    const held = await record('SENT', () => store.markSent(rows));
    if (held !== undefined && held < rows.length) log.warn({ lost: rows.length - held }, 'sent rows whose lease had run out');
  });

  async function fail(row: ClaimedRow, claim: string, reason: string, kind: 'rejected' | 'exhausted'): Promise<void> {
    if ((await record('FAILED', () => store.markFailed(row.id, claim, reason))) === false) lostLease(row.id);
    metrics.emailsFailed.inc({ reason: kind });
    log.warn({ outboxId: row.id, eventId: row.eventId, attempts: row.attempts, reason }, 'result e-mail failed for good');
  }

  const bulk = createBulkSender({
    ses,
    from: config.ses.from,
    maxEntries: config.notifier.bulk.maxEntries,
    lingerMs: config.notifier.bulk.lingerMs,
    sendTimeoutMs,
    acquire: () => sending.acquire(stopping.signal),
  });

  /** One e-mail: a token of the send budget, then a place in the next SendBulkEmail call; 'stopped' if stop came first. */
  async function send(to: string, content: RenderedEmail): Promise<EntryOutcome> {
    let release: (() => void) | undefined;
    try {
      release = await tokenWaiters.acquire(stopping.signal);
      await budget.untilResultMayGo(stopping.signal);
    } catch {
      return 'stopped';
    } finally {
      release?.();
    }
    return bulk.send({ to, content });
  }

  /** The send, as a span of the apply's trace while tracing. */
  async function tracedSend(to: string, content: RenderedEmail, trace: string | undefined): ReturnType<typeof send> {
    if (!tracing.enabled) return send(to, content);
    const span = tracing.startSpan('send result e-mail', { kind: SpanKind.CLIENT, parent: trace });
    try {
      const outcome = await send(to, content);
      if (typeof outcome !== 'string') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      return outcome;
    } finally {
      span.end();
    }
  }

  async function deliver(row: ClaimedRow, claim: string): Promise<void> {
    const email = toResultEmail(row);
    if (!email.ok) return fail(row, claim, email.reason, 'rejected');
    let content: RenderedEmail;
    try {
      content = renderResultEmail(templates, email.status, email.values);
    } catch (err) {
      return fail(row, claim, `template: ${(err as Error).message}`, 'rejected');
    }

    const outcome = await tracedSend(email.to, content, email.trace);
    if (outcome === 'stopped') {
      // Never tried: hand it back at once rather than leave it to wait out the lease.
      await record('release', () => store.release(row.id, claim));
    } else if (outcome === 'sent') {
      await markSent({ id: row.id, claim });
      metrics.emailsSent.inc({ result: email.status });
      metrics.decisionToSent.observe(Math.max(0, Date.now() - new Date(row.decidedAt).getTime()) / 1000);
    } else if (!outcome.transient) {
      await fail(row, claim, outcome.reason, 'rejected');
    } else if (row.attempts >= config.notifier.maxAttempts) {
      await fail(row, claim, outcome.reason, 'exhausted');
    } else {
      const delayMs = retryDelayMs(row.attempts, backoff);
      if ((await record('retry', () => store.scheduleRetry(row.id, claim, delayMs, outcome.reason))) === false) lostLease(row.id);
      metrics.emailRetries.inc();
      log.debug({ outboxId: row.id, attempts: row.attempts, delayMs, reason: outcome.reason }, 'result e-mail will be retried');
    }
  }

  function launch(row: ClaimedRow, claim: string): void {
    const task = deliver(row, claim)
      .catch((err: unknown) => log.error({ err, outboxId: row.id }, 'result e-mail delivery crashed'))
      .finally(() => {
        inFlight.delete(task);
        // Refill once half the slots are free, rather than one claim query per finished e-mail.
        if (waitingForSlots && slots - inFlight.size >= Math.ceil(slots / 2)) nudge?.();
      });
    inFlight.add(task);
  }

  async function loop(): Promise<void> {
    while (running) {
      const free = slots - inFlight.size;
      if (free < Math.ceil(slots / 2)) {
        waitingForSlots = true;
        await pause(config.notifier.pollMs, { ignoreEarlierWake: true });
        waitingForSlots = false;
        continue;
      }
      const allowed = gateClaim(gate, Date.now(), gateLimits);
      if (allowed.kind === 'closed') {
        // A wake() now would only find the line still busy: the pause ends when the gate may open.
        await pause(allowed.waitMs, { ignoreEarlierWake: true });
        continue;
      }
      let limit = free;
      if (allowed.kind === 'trickle') {
        limit = Math.min(free, allowed.rows);
        gate.trickleAt = allowed.state.trickleAt;
      }
      nudged = false;
      const claim = `${id}#${++claimSeq}`;
      let rows: ClaimedRow[];
      try {
        const startedAt = Date.now();
        rows = await store.claim(claim, limit, leaseMs);
        if (rows.length > 0) log.debug({ rows: rows.length, ms: Date.now() - startedAt, inFlight: inFlight.size }, 'claimed');
      } catch (err) {
        // Once per outage, not once per poll.
        if (!claimFailing) log.warn({ err }, 'could not claim outbox rows; retrying every poll');
        claimFailing = true;
        await pause(config.notifier.pollMs, { ignoreEarlierWake: true });
        continue;
      }
      if (claimFailing) log.info('claiming outbox rows again');
      claimFailing = false;
      for (const row of rows) launch(row, claim);
      // A full batch means more may be due: go again as soon as slots free up (or the gate allows).
      if (rows.length < limit) await pause(config.notifier.pollMs);
    }
  }

  async function refreshDepth(): Promise<void> {
    try {
      metrics.outboxPending.set(await store.pendingCount());
    } catch (err) {
      log.debug({ err }, 'could not count pending outbox rows');
    }
  }

  return {
    id,
    start() {
      if (running || stopping.signal.aborted) return;
      running = true;
      log.info({ rate, slots, leaseMs }, 'notifier started');
      loopDone = loop();
      void refreshDepth();
      depthTimer = setInterval(() => void refreshDepth(), QUEUE_DEPTH_EVERY_MS);
      depthTimer.unref();
    },
    async stop() {
      running = false;
      stopping.abort(new Error('notifier stopping'));
      clearInterval(depthTimer);
      nudge?.();
      await loopDone;
      await Promise.allSettled([...inFlight]);
      log.info('notifier stopped');
    },
    wake,
    lineBusy() {
      gate.busyAt = Date.now();
    },
  };
}
