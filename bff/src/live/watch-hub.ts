import type { Logger } from '@fcfs/kit';
import type { Decision, Progress, WatchEventResponse } from '@fcfs/proto';
import { toApplication, type ApplicationView } from '../graphql/mappers';

/** What one event's watchers hear: their own decisions, the line's progress, and "re-read now". */
export type WatchUpdate =
  | { kind: 'decision'; decision: Decision }
  | { kind: 'progress'; progress: Progress }
  /** The stream was (re)established: anything before it may have been missed. */
  | { kind: 'resync' }
  /** The participant's apply was answered (by this process, or announced on the stream): the application as the gate answered it. */
  | { kind: 'applied'; application: ApplicationView };

export type WatchListener = (update: WatchUpdate) => void;

/** The part of a grpc-js server stream the hub uses (a fake in unit tests). */
export interface WatchStream {
  on(event: 'data', listener: (message: WatchEventResponse) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  cancel(): void;
}

export interface WatchHubOptions {
  open: (eventId: string) => WatchStream;
  logger: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Observes how many streams are open (metrics). */
  onStreams?: (count: number) => void;
}

export interface WatchHub {
  /**
   * Listens to one event: decisions only for `participantId` (all of them when undefined),
   * progress and resyncs always. Returns the function that stops listening.
   */
  subscribe(eventId: string, participantId: string | undefined, listener: WatchListener): () => void;
  /**
   * Tells the participant's own listeners on this process that its apply was just answered
   * (no network: the apply and the subscription met in the same BFF process).
   */
  applied(eventId: string, participantId: string, application: ApplicationView): void;
  /** Event ids with an open stream. */
  events(): string[];
  close(): void;
}

interface EventWatch {
  all: Set<WatchListener>;
  byParticipant: Map<string, Set<WatchListener>>;
  everyDecision: Set<WatchListener>;
  stream: WatchStream | undefined;
  retry: NodeJS.Timeout | undefined;
  attempt: number;
}

/**
 * One WatchEvent stream per event per process, shared by every subscriber of that event:
 * opened by the first subscriber, cancelled after the last, reopened with backoff when it
 * ends or fails. The first message on each (re)opened stream is preceded by a resync, so
 * subscribers re-read what they may have missed while it was down.
 */
export function createWatchHub({ open, logger, minBackoffMs = 100, maxBackoffMs = 5_000, onStreams }: WatchHubOptions): WatchHub {
  const watches = new Map<string, EventWatch>();
  let closed = false;

  const report = (): void => onStreams?.([...watches.values()].filter((w) => w.stream !== undefined).length);

  const deliver = (listeners: Iterable<WatchListener>, update: WatchUpdate): void => {
    for (const listener of listeners) {
      try {
        listener(update);
      } catch (err) {
        logger.error({ err }, 'watch listener failed');
      }
    }
  };

  /** An application to its participant's own listeners, if any (mapped only then). */
  const deliverApplied = (watch: EventWatch, participantId: string, application: () => ApplicationView): void => {
    const own = watch.byParticipant.get(participantId);
    if (own) deliver([...own], { kind: 'applied', application: application() });
  };

  const connect = (eventId: string, watch: EventWatch): void => {
    watch.retry = undefined;
    let first = true;
    let ended = false;
    const stream = open(eventId);
    watch.stream = stream;
    report();
    const onEnd = (err?: Error): void => {
      if (ended) return;
      ended = true;
      if (watch.stream === stream) watch.stream = undefined;
      report();
      if (closed || watches.get(eventId) !== watch) return;
      const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** watch.attempt);
      watch.attempt += 1;
      if (watch.attempt === 3) logger.warn({ eventId, err: err?.message }, 'event watch keeps failing; retrying');
      watch.retry = setTimeout(() => connect(eventId, watch), delay);
      watch.retry.unref();
    };
    stream.on('data', (message: WatchEventResponse) => {
      if (first) {
        first = false;
        watch.attempt = 0;
        deliver([...watch.all], { kind: 'resync' });
      }
      const update = message.update;
      if (update?.$case === 'progress') {
        deliver([...watch.all], { kind: 'progress', progress: update.value });
      } else if (update?.$case === 'admissions') {
        // Only a subscription waiting on this process for its participant's application cares.
        if (watch.byParticipant.size > 0) {
          for (const application of update.value.applications) {
            deliverApplied(watch, application.participantId, () => toApplication(application));
          }
        }
      } else if (update?.$case === 'decisions') {
        for (const decision of update.value.decisions) {
          const own = watch.byParticipant.get(decision.participantId);
          if (own) deliver([...own], { kind: 'decision', decision });
          if (watch.everyDecision.size > 0) deliver([...watch.everyDecision], { kind: 'decision', decision });
        }
      }
    });
    stream.on('error', (err: Error) => onEnd(err));
    stream.on('end', () => onEnd());
  };

  const release = (eventId: string, watch: EventWatch): void => {
    if (watch.all.size > 0) return;
    watches.delete(eventId);
    if (watch.retry) clearTimeout(watch.retry);
    const stream = watch.stream;
    watch.stream = undefined;
    stream?.cancel();
    report();
  };

  return {
    subscribe(eventId, participantId, listener) {
      if (closed) throw new Error('the watch hub is closed');
      let watch = watches.get(eventId);
      const isNew = watch === undefined;
      watch ??= {
        all: new Set(),
        byParticipant: new Map(),
        everyDecision: new Set(),
        stream: undefined,
        retry: undefined,
        attempt: 0,
      };
      watches.set(eventId, watch);
      const w = watch;
      // A listener function may subscribe once per event; wrap to make each registration unique.
      const entry: WatchListener = (u) => listener(u);
      w.all.add(entry);
      if (participantId === undefined) w.everyDecision.add(entry);
      else {
        let own = w.byParticipant.get(participantId);
        if (!own) w.byParticipant.set(participantId, (own = new Set()));
        own.add(entry);
      }
      if (isNew) connect(eventId, w);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        w.all.delete(entry);
        w.everyDecision.delete(entry);
        if (participantId !== undefined) {
          const own = w.byParticipant.get(participantId);
          own?.delete(entry);
          if (own?.size === 0) w.byParticipant.delete(participantId);
        }
        release(eventId, w);
      };
    },
    applied(eventId, participantId, application) {
      const watch = watches.get(eventId);
      if (watch) deliverApplied(watch, participantId, () => application);
    },
    events() {
      return [...watches.keys()];
    },
    close() {
      closed = true;
      for (const [eventId, watch] of watches) {
        watch.all.clear();
        release(eventId, watch);
      }
    },
  };
}
