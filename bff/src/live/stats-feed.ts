import type { Logger } from '@fcfs/kit';
import type { EventStatsView } from '../graphql/mappers';
import { createPushIterator, type PushIterator } from './push-iterator';

export interface StatsFeedOptions {
  /** Reads one event's counters with a subscriber's forwarded admin token. */
  read: (eventId: string, token: string) => Promise<EventStatsView>;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

export interface StatsFeed {
  /** Counters of one event: the first at once, then each change, polled once per event for all its subscribers. */
  subscribe(eventId: string, token: string, tokenExpiresAtMs: number): Promise<PushIterator<EventStatsView>>;
  close(): void;
}

interface Subscriber {
  iterator: PushIterator<EventStatsView>;
  token: string;
  expiresAtMs: number;
}

interface Poll {
  subscribers: Set<Subscriber>;
  timer: NodeJS.Timeout;
  inFlight: boolean;
  last: string;
}

export function createStatsFeed({ read, intervalMs, logger, now = Date.now }: StatsFeedOptions): StatsFeed {
  const polls = new Map<string, Poll>();

  const tick = (eventId: string, poll: Poll): void => {
    if (poll.inFlight) return;
    // The service checks the admin token again: use one that has not expired yet.
    const subscriber = [...poll.subscribers].reverse().find((s) => s.expiresAtMs > now());
    if (!subscriber) return;
    poll.inFlight = true;
    read(eventId, subscriber.token)
      .then((stats) => {
        const json = JSON.stringify(stats);
        if (json === poll.last) return;
        poll.last = json;
        for (const s of poll.subscribers) s.iterator.push(stats);
      })
      .catch((err: unknown) => logger.debug({ err, eventId }, 'event stats poll failed'))
      .finally(() => {
        poll.inFlight = false;
      });
  };

  return {
    async subscribe(eventId, token, expiresAtMs) {
      const first = await read(eventId, token);
      let poll = polls.get(eventId);
      if (!poll) {
        const created: Poll = {
          subscribers: new Set(),
          timer: setInterval(() => tick(eventId, created), intervalMs),
          inFlight: false,
          last: '',
        };
        created.timer.unref();
        polls.set(eventId, created);
        poll = created;
      }
      const p = poll;
      const subscriber: Subscriber = {
        token,
        expiresAtMs,
        iterator: createPushIterator<EventStatsView>(() => {
          p.subscribers.delete(subscriber);
          if (p.subscribers.size === 0) {
            clearInterval(p.timer);
            if (polls.get(eventId) === p) polls.delete(eventId);
          }
        }),
      };
      p.subscribers.add(subscriber);
      subscriber.iterator.push(first);
      return subscriber.iterator;
    },
    close() {
      for (const poll of polls.values()) {
        clearInterval(poll.timer);
        for (const s of [...poll.subscribers]) s.iterator.end();
      }
      polls.clear();
    },
  };
}
