import { estimateWaitSeconds, type Logger } from '@fcfs/kit';
import { decisionToApplication, isFinal, stageOf, type ApplicationView } from '../graphql/mappers';
import { createPushIterator, type PushIterator } from './push-iterator';
import type { WatchHub, WatchUpdate } from './watch-hub';

export interface ApplicationWatchOptions {
  eventId: string;
  participantId: string;
  hub: WatchHub;
  /** Reads the application now (GetApplication); undefined when the participant has not applied (yet). */
  read: () => Promise<ApplicationView | undefined>;
  /** Minimum interval between two `ahead` updates; decisions never wait. */
  aheadIntervalMs: number;
  /** While PENDING, re-read this often in case a decision slipped between streams. */
  resyncMs: number;
  /**
   * While waiting for an application that does not exist yet, re-read about this often (each
   * subscription picks its own period within ±20 %, so thousands waiting on one event spread out).
   */
  waitResyncMs: number;
  logger: Logger;
  now?: () => number;
  /** While PENDING and the line's pace is still unknown (no estimate), re-read about this often; default 1 s. */
  paceProbeMs?: number;
}

/** What watchApplication drives: one subscription's state, changed by hub updates, re-reads and the first read. */
interface ApplicationWatch {
  iterator: PushIterator<ApplicationView>;
  /** Starts taking the hub's updates for this participant. */
  listen(): void;
  /** After the first read: sends what it found, or waits for the application. */
  begin(first: ApplicationView | undefined): void;
  /** Stops for good (the first read failed, or the subscriber left). */
  cleanup(): void;
}

function createApplicationWatch(options: ApplicationWatchOptions): ApplicationWatch {
  const { eventId, participantId, hub, read, aheadIntervalMs, resyncMs, waitResyncMs, logger, now = Date.now } = options;
  const paceProbeMs = options.paceProbeMs ?? 1_000;
  let current: ApplicationView | undefined;
  let early: ApplicationView | undefined;
  let lastSentAt = 0;
  let aheadTimer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let resync: NodeJS.Timeout | undefined;
  let paceProbe: NodeJS.Timeout | undefined;
  let latestThrough: number | undefined;
  /** The first read found no application: the first one to arrive is sent as it comes. */
  let waiting = false;

  const stopListening = (): void => {
    if (aheadTimer) clearTimeout(aheadTimer);
    if (resync) clearInterval(resync);
    if (paceProbe) clearTimeout(paceProbe);
    aheadTimer = resync = paceProbe = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
  };
  const cleanup = (): void => {
    stopped = true;
    stopListening();
  };
  const iterator = createPushIterator<ApplicationView>(cleanup);

  const rereadEvery = (ms: number): void => {
    if (resync) clearInterval(resync);
    resync = setInterval(reread, ms);
    resync.unref();
  };

  /**
   * In line with the pace unknown, and the line has started to move (a progress arrived): read again in about a
   * second, when the event service has a full second of decisions to take the pace from, for the estimate.
   */
  const probePace = (app: ApplicationView): void => {
    if (paceProbe || stopped || app.status !== 'PENDING' || app.linePace > 0) return;
    paceProbe = setTimeout(
      () => {
        paceProbe = undefined;
        if (current?.status === 'PENDING' && current.linePace === 0) {
          reread();
          probePace(current);
        }
      },
      Math.round(paceProbeMs * (0.8 + 0.4 * Math.random())),
    );
    paceProbe.unref();
  };

  const send = (app: ApplicationView): void => {
    current = app;
    lastSentAt = now();
    iterator.push(app);
    if (waiting && !isFinal(app)) {
      // The application exists now: from here on, the PENDING re-read.
      waiting = false;
      rereadEvery(resyncMs);
    }
    if (isFinal(app)) {
      // Nothing changes after a decision: stop listening, keep the subscription open.
      stopListening();
    }
  };

  const sendAheadLater = (): void => {
    if (aheadTimer || !current) return;
    const wait = Math.max(0, lastSentAt + aheadIntervalMs - now());
    const flush = (): void => {
      aheadTimer = undefined;
      if (stopped || !current || current.status !== 'PENDING' || latestThrough === undefined) return;
      const ahead = Math.max(0, current.position - 1 - latestThrough);
      // The estimate follows `ahead` at the pace of the last read (the same formula as the event service's).
      const estimatedWaitSeconds = estimateWaitSeconds(ahead, current.linePace) ?? current.estimatedWaitSeconds;
      if (current.ahead === null || ahead < current.ahead) send({ ...current, ahead, estimatedWaitSeconds });
    };
    if (wait === 0) flush();
    else {
      aheadTimer = setTimeout(flush, wait);
      aheadTimer.unref();
    }
  };

  const merge = (app: ApplicationView): void => {
    if (stopped) return;
    if (!current) {
      send(app);
      return;
    }
    if (isFinal(current)) return;
    // A later stage (the draw's placement, WAITLISTED, OFFERED, a final state) is sent at once; an older view never
    // replaces it.
    if (stageOf(app) > stageOf(current)) {
      send(app);
      // A WAITLISTED decision carries no estimate (the issuer publishes the decision): read one.
      if (app.status === 'WAITLISTED' && app.estimatedWaitSeconds === null) reread();
    } else if (app.status === current.status && (app.status === 'WAITLISTED' || app.status === 'WAITING')) {
      // A re-read while WAITING or WAITLISTED brings a newer estimate (the pace became known; items passed down). One
      // that only counted down the time since the last one sent is not news: the client counts down itself.
      const was = current.estimatedWaitSeconds;
      const news = was === null || Math.abs((app.estimatedWaitSeconds ?? 0) - (was - (now() - lastSentAt) / 1000)) > 1;
      if (app.estimatedWaitSeconds !== null && news) send(app);
    } else if (app.status !== 'PENDING' || current.status !== 'PENDING') return;
    // A re-read while PENDING brings a fresher pace and estimate.
    else if (app.linePace > 0 && app.linePace !== current.linePace && app.position === current.position) {
      const ahead = current.ahead !== null && app.ahead !== null ? Math.min(app.ahead, current.ahead) : app.ahead;
      send({ ...app, ahead, estimatedWaitSeconds: estimateWaitSeconds(ahead ?? 0, app.linePace) ?? null });
    } else if (app.ahead !== null && (current.ahead === null || app.ahead < current.ahead)) {
      latestThrough = Math.max(latestThrough ?? 0, app.position - 1 - app.ahead);
      sendAheadLater();
    }
  };

  const reread = (): void => {
    if (stopped || (current && isFinal(current))) return;
    reading ??= read()
      .then((app) => {
        if (app) merge(app);
      })
      .catch((err: unknown) => logger.debug({ err, eventId }, 'application re-read failed; will retry'))
      .finally(() => {
        reading = undefined;
      });
  };

  const onUpdate = (update: WatchUpdate): void => {
    if (stopped) return;
    if (update.kind === 'decision' || update.kind === 'applied') {
      const app = update.kind === 'decision' ? decisionToApplication(update.decision) : update.application;
      if (current || waiting) merge(app);
      // Before the first read is done: kept, the newest final status first.
      else if (!early || stageOf(app) > stageOf(early)) early = app;
    } else if (update.kind === 'progress') {
      latestThrough = Math.max(latestThrough ?? 0, update.progress.decidedThrough);
      if (!current || current.status !== 'PENDING') return;
      probePace(current);
      // The watermark passed us but our decision never came: it was missed, read it.
      if (latestThrough >= current.position) reread();
      else sendAheadLater();
    } else if (current || waiting) {
      reread();
    }
  };

  const listen = (): void => {
    unsubscribe = hub.subscribe(eventId, participantId, onUpdate);
  };

  const begin = (first: ApplicationView | undefined): void => {
    if (!first && !early) {
      // Not applied (yet): wait for the application, re-reading now and then.
      waiting = true;
      rereadEvery(Math.round(waitResyncMs * (0.8 + 0.4 * Math.random())));
      return;
    }
    // A decision that arrived during the read is newer than a PENDING read.
    send(early && (!first || stageOf(early) > stageOf(first)) ? early : (first as ApplicationView));
    if (!isFinal(current as ApplicationView)) {
      if (latestThrough !== undefined)
        onUpdate({ kind: 'progress', progress: { eventId, decidedThrough: latestThrough, issued: 0, remaining: 0 } });
      rereadEvery(resyncMs);
    }
  };

  return { iterator, listen, begin, cleanup };
}

/**
 * One subscriber's view of its application: the current state at once, then each change.
 * Listens on the hub before the first read so that nothing between the two is lost; a final
 * status always wins over an older PENDING and is delivered immediately; `ahead` updates are
 * throttled. Resolves once the first read is done; rejects (and cleans up) when it fails.
 *
 * A participant who has not applied yet is not refused: the page of an event that opens at a
 * known second subscribes before its visitor can apply. The subscription then waits and sends the
 * application as soon as it exists: at once when this process answers the apply (the hub's
 * `applied`), when a decision for it arrives, or at the next re-read (about every `waitResyncMs`,
 * and when the event's stream is re-established) when another BFF process took the apply.
 */
export async function watchApplication(options: ApplicationWatchOptions): Promise<PushIterator<ApplicationView>> {
  const watch = createApplicationWatch(options);
  watch.listen();
  let first: ApplicationView | undefined;
  try {
    first = await options.read();
  } catch (err) {
    watch.cleanup();
    throw err;
  }
  watch.begin(first);
  return watch.iterator;
}
