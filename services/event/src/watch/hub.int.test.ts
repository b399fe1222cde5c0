import { eventKeys, progressMessage } from '@fcfs/stock';
import type { WatchEventResponse } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { eventually, randomSuffix, testLogger, urls } from '../../../../test/support';
import { createWatchHub } from './hub';

// Issue 12, item 7: a failed SUBSCRIBE must not leave the event registered without a subscription.
describe('the watch hub (real Redis)', () => {
  const publisher = new Redis(urls.redis);
  const subscriber = new Redis(urls.redis);
  afterAll(() => {
    publisher.disconnect();
    subscriber.disconnect();
  });

  it('fails the watch when SUBSCRIBE fails, and the next watch subscribes and receives', async () => {
    const prefix = `hub-${randomSuffix()}:`;
    const hub = createWatchHub(subscriber, prefix, testLogger('hub'));
    const received: WatchEventResponse[] = [];
    const watcher = { send: (u: WatchEventResponse) => void received.push(u), end: () => undefined };

    // The connection is closed (not reconnecting): the SUBSCRIBE is refused.
    await subscriber.ping();
    subscriber.disconnect();
    await expect(hub.watch('7', watcher)).rejects.toMatchObject({ code: 14 });
    expect(hub.subscriptions()).toBe(0);

    await subscriber.connect();
    const stop = await hub.watch('7', watcher);
    expect(hub.subscriptions()).toBe(1);
    const progress = { eventId: '7', decidedThrough: 3, issued: 2, remaining: 1 };
    await eventually(async () => {
      await publisher.publish(eventKeys(prefix, '7').channel, progressMessage(progress));
      return received.length > 0 ? true : undefined;
    }, 10_000);
    expect(received[0]?.update).toEqual({ $case: 'progress', value: progress });
    stop();
    expect(hub.subscriptions()).toBe(0);
  });
});
