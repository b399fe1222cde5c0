import { ServiceError } from '@fcfs/kit';
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
  /** Per watched event: its streams, and its channel subscription (pending until Redis confirmed it). */
  const watchers = new Map<string, { streams: Set<Watcher>; subscribed: Promise<unknown> }>();

  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const eventId = eventIdOfChannel(prefix, channel.toString());
    const set = eventId === undefined ? undefined : watchers.get(eventId)?.streams;
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
    /**
     * Starts watching an event once its channel is subscribed; the returned function stops. A failed SUBSCRIBE
     * leaves nothing registered (every stream that waited for it fails too), so the next watch subscribes again.
     */
    async watch(eventId: string, watcher: Watcher): Promise<() => void> {
      const channel = eventKeys(prefix, eventId).channel;
      let entry = watchers.get(eventId);
      if (entry === undefined) {
        const created = { streams: new Set<Watcher>(), subscribed: subscriber.subscribe(channel) };
        created.subscribed.catch(() => {
          if (watchers.get(eventId) === created) watchers.delete(eventId);
        });
        watchers.set(eventId, created);
        entry = created;
      }
      entry.streams.add(watcher);
      try {
        await entry.subscribed;
      } catch (err) {
        entry.streams.delete(watcher);
        logger.warn({ err: (err as Error).message, eventId }, 'subscribe failed');
        throw ServiceError.unavailable('live updates are unavailable; retry shortly', err);
      }
      const mine = entry;
      return () => {
        if (watchers.get(eventId) !== mine || !mine.streams.delete(watcher) || mine.streams.size > 0) return;
        watchers.delete(eventId);
        subscriber.unsubscribe(channel).catch((err: unknown) => logger.warn({ err, eventId }, 'unsubscribe failed'));
      };
    },
    subscriptions(): number {
      return watchers.size;
    },
    close(): void {
      for (const { streams } of watchers.values()) for (const w of streams) w.end();
      watchers.clear();
    },
  };
}

export type WatchHub = ReturnType<typeof createWatchHub>;
