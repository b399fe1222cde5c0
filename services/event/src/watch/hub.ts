import { eventKeys, eventIdOfChannel } from '@fcfs/stock';
import { WatchEventResponse } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface Watcher {
  send(update: WatchEventResponse): void;
  /** The hub is closing: end the stream. */
  end(): void;
}

/**
 * Live updates of events for WatchEvent streams: ONE Redis subscriber connection per process and one
 * channel subscription per event with open streams, however many streams watch it; each message is
 * decoded once and handed to every stream. The last stream of an event to close unsubscribes.
 */
export function createWatchHub(subscriber: Redis, prefix: string, logger: Logger) {
  const watchers = new Map<string, Set<Watcher>>();

  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const eventId = eventIdOfChannel(prefix, channel.toString());
    const set = eventId === undefined ? undefined : watchers.get(eventId);
    if (set === undefined || set.size === 0) return;
    let update: WatchEventResponse;
    try {
      update = WatchEventResponse.decode(message);
    } catch (err) {
      logger.warn({ err: (err as Error).message, eventId }, 'undecodable message on an event channel');
      return;
    }
    for (const w of set) w.send(update);
  });

  return {
    /** Starts watching an event; the returned function stops. */
    async watch(eventId: string, watcher: Watcher): Promise<() => void> {
      const channel = eventKeys(prefix, eventId).channel;
      let set = watchers.get(eventId);
      if (set === undefined) {
        set = new Set();
        watchers.set(eventId, set);
        set.add(watcher);
        await subscriber.subscribe(channel);
      } else {
        set.add(watcher);
      }
      return () => {
        const current = watchers.get(eventId);
        if (current === undefined || !current.delete(watcher) || current.size > 0) return;
        watchers.delete(eventId);
        subscriber.unsubscribe(channel).catch((err: unknown) => logger.warn({ err, eventId }, 'unsubscribe failed'));
      };
    },
    subscriptions(): number {
      return watchers.size;
    },
    close(): void {
      for (const set of watchers.values()) for (const w of set) w.end();
      watchers.clear();
    },
  };
}

export type WatchHub = ReturnType<typeof createWatchHub>;
