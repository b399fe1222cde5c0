import { createLogger } from '@fcfs/kit';
import { decision, FakeStream } from '../../test/fake-stream';
import { createWatchHub, type WatchUpdate } from './watch-hub';

const logger = createLogger('test', 'silent');

function setup() {
  const streams: FakeStream[] = [];
  const hub = createWatchHub({
    open: (eventId) => {
      const s = new FakeStream(eventId);
      streams.push(s);
      return s;
    },
    logger,
    minBackoffMs: 1,
    maxBackoffMs: 5,
  });
  return { hub, streams };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createWatchHub', () => {
  it('opens one stream per event for all its subscribers and closes it after the last', () => {
    const { hub, streams } = setup();
    const offA = hub.subscribe('1', 'p1', () => undefined);
    const offB = hub.subscribe('1', 'p2', () => undefined);
    hub.subscribe('2', 'p1', () => undefined);
    expect(streams.map((s) => s.eventId)).toEqual(['1', '2']);
    offA();
    expect(streams[0]?.cancelled).toBe(false);
    offB();
    expect(streams[0]?.cancelled).toBe(true);
    expect(hub.events()).toEqual(['2']);
    hub.close();
    expect(streams[1]?.cancelled).toBe(true);
  });

  it('gives each subscriber only its own decisions, and progress to everyone', () => {
    const { hub, streams } = setup();
    const got: Record<string, WatchUpdate[]> = { p1: [], p2: [], all: [] };
    hub.subscribe('1', 'p1', (u) => got['p1']?.push(u));
    hub.subscribe('1', 'p2', (u) => got['p2']?.push(u));
    hub.subscribe('1', undefined, (u) => got['all']?.push(u));
    const stream = streams[0] as FakeStream;
    stream.progress(0);
    stream.decide(decision('1', 'p1', 1, true), decision('1', 'p3', 2, true));
    expect(got['p1']?.map((u) => u.kind)).toEqual(['resync', 'progress', 'decision']);
    expect(got['p2']?.map((u) => u.kind)).toEqual(['resync', 'progress']);
    expect(got['all']?.filter((u) => u.kind === 'decision')).toHaveLength(2);
    hub.close();
  });

  it('reopens a stream that ended, and tells subscribers to resync', async () => {
    const { hub, streams } = setup();
    const got: string[] = [];
    hub.subscribe('1', 'p1', (u) => got.push(u.kind));
    streams[0]?.emit('error', new Error('UNAVAILABLE'));
    await wait(20);
    expect(streams).toHaveLength(2);
    streams[1]?.progress(3);
    expect(got).toEqual(['resync', 'progress']);
    streams[1]?.emit('end');
    await wait(20);
    expect(streams).toHaveLength(3);
    hub.close();
  });

  it('does not reopen after the last subscriber left', async () => {
    const { hub, streams } = setup();
    const off = hub.subscribe('1', 'p1', () => undefined);
    off();
    await wait(20);
    expect(streams).toHaveLength(1);
    hub.close();
  });
});
