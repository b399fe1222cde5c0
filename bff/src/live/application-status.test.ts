import { createLogger } from '@fcfs/kit';
import { ApplicationStatus } from '@fcfs/proto';
import { admitted, decision, FakeStream } from '../../test/fake-stream';
import { watchApplication } from './application-status';
import type { ApplicationView } from '../graphql/mappers';
import { createWatchHub } from './watch-hub';

const logger = createLogger('test', 'silent');

function pending(position: number, ahead: number): ApplicationView {
  return {
    eventId: '1',
    status: 'PENDING',
    position,
    ahead,
    appliedAt: 1_000,
    decidedAt: null,
    giftCode: null,
    estimatedWaitSeconds: null,
    linePace: 0,
    claimBy: null,
  };
}

function setup(read: () => Promise<ApplicationView | undefined>, aheadIntervalMs = 1_000, waitResyncMs = 60_000) {
  const streams: FakeStream[] = [];
  const hub = createWatchHub({
    open: (id) => {
      const s = new FakeStream(id);
      streams.push(s);
      return s;
    },
    logger,
  });
  const start = () =>
    watchApplication({ eventId: '1', participantId: 'p1', hub, read, aheadIntervalMs, resyncMs: 60_000, waitResyncMs, logger });
  return { hub, streams, start };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as T);
  return out;
}

describe('watchApplication', () => {
  it('with a claim window: sends every stage (WAITLISTED, OFFERED, ISSUED) and never an older one after a newer', async () => {
    const { streams, start } = setup(async () => pending(5, 4));
    const it = await start();
    const stage = (status: ApplicationStatus, claimByMs?: number) => ({
      ...decision('1', 'p1', 5, status === ApplicationStatus.APPLICATION_STATUS_ISSUED),
      status,
      ...(claimByMs === undefined ? {} : { claimByMs }),
    });
    streams[0]?.decide(stage(ApplicationStatus.APPLICATION_STATUS_WAITLISTED));
    streams[0]?.decide(stage(ApplicationStatus.APPLICATION_STATUS_OFFERED, 9_000));
    // A stale WAITLISTED (a late re-read, a redelivery) after the offer changes nothing.
    streams[0]?.decide(stage(ApplicationStatus.APPLICATION_STATUS_WAITLISTED));
    streams[0]?.decide(stage(ApplicationStatus.APPLICATION_STATUS_ISSUED));
    const seen = await take(it, 4);
    expect(seen.map((a) => a.status)).toEqual(['PENDING', 'WAITLISTED', 'OFFERED', 'ISSUED']);
    expect(seen[2]).toMatchObject({ claimBy: 9_000, giftCode: null });
    expect(seen[3]).toMatchObject({ claimBy: null, giftCode: 'GIFT-p1' });
  });

  it('sends the current application at once, then its decision', async () => {
    const { hub, streams, start } = setup(async () => pending(5, 4));
    const it = await start();
    if (!it) throw new Error('expected an iterator');
    streams[0]?.decide(decision('1', 'p2', 4, true), decision('1', 'p1', 5, true));
    const [first, second] = await take(it, 2);
    expect(first).toMatchObject({ status: 'PENDING', position: 5, ahead: 4 });
    expect(second).toMatchObject({ status: 'ISSUED', giftCode: 'GIFT-p1', ahead: null });
    await it.return?.();
    expect(hub.events()).toEqual([]);
  });

  it('waits for a participant who has not applied, and sends the application this process answered', async () => {
    const read = jest.fn(async (): Promise<ApplicationView | undefined> => undefined);
    const { hub, start } = setup(read);
    const it = await start();
    const next = it.next();
    let settled = false;
    void next.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(hub.events()).toEqual(['1']);
    // Another participant's apply is not ours.
    hub.applied('1', 'p2', pending(6, 5));
    hub.applied('1', 'p1', pending(7, 6));
    expect((await next).value).toMatchObject({ status: 'PENDING', position: 7, ahead: 6 });
    expect(read).toHaveBeenCalledTimes(1);
    await it.return?.();
    expect(hub.events()).toEqual([]);
  });

  it('while waiting, sends the application another BFF process admitted, announced on the stream', async () => {
    const read = jest.fn(async (): Promise<ApplicationView | undefined> => undefined);
    const { hub, streams, start } = setup(read);
    const it = await start();
    // `read` never finds it: what arrives can only come from the announcement.
    streams[0]?.admit(admitted('1', 'p2', 4, 3), admitted('1', 'p1', 5, 4));
    expect((await it.next()).value).toMatchObject({ status: 'PENDING', position: 5, ahead: 4 });
    await it.return?.();
    hub.close();
  });

  it('while waiting, sends a decision as it arrives, and what a re-read finds after a resync', async () => {
    const store: { app?: ApplicationView } = {};
    const { hub, streams, start } = setup(async () => store.app);
    const decided = await start();
    streams[0]?.decide(decision('1', 'p1', 3, false));
    expect((await decided.next()).value).toMatchObject({ status: 'SOLD_OUT', position: 3 });
    await decided.return?.();

    const reread = await start();
    store.app = pending(9, 8);
    // The stream is re-established (another process may have taken the apply meanwhile): read again.
    streams[1]?.progress(1);
    expect((await reread.next()).value).toMatchObject({ status: 'PENDING', position: 9 });
    await reread.return?.();
    hub.close();
  });

  it('while waiting, re-reads about every waitResyncMs (spread ±20 %), then at the PENDING pace', async () => {
    jest.useFakeTimers({ now: 0 });
    const random = jest.spyOn(Math, 'random');
    try {
      const store: { app?: ApplicationView } = {};
      const read = jest.fn(async () => store.app);
      const { hub, start } = setup(read, 1_000, 10_000);
      // The spread: a subscription's period lies within 8 and 12 s of the configured 10 s.
      random.mockReturnValueOnce(0);
      const early = await start();
      random.mockReturnValueOnce(0.999);
      const late = await start();
      expect(read).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(7_999);
      expect(read).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(read).toHaveBeenCalledTimes(3);
      await jest.advanceTimersByTimeAsync(3_995);
      expect(read).toHaveBeenCalledTimes(3);
      await jest.advanceTimersByTimeAsync(1);
      expect(read).toHaveBeenCalledTimes(4);
      await late.return?.();
      // Applied through another replica: the next re-read (t = 16 s) finds it, and from then on the
      // PENDING pace (60 s) applies.
      store.app = pending(3, 2);
      await jest.advanceTimersByTimeAsync(4_004);
      expect(read).toHaveBeenCalledTimes(5);
      expect((await early.next()).value).toMatchObject({ status: 'PENDING', position: 3 });
      await jest.advanceTimersByTimeAsync(59_999);
      expect(read).toHaveBeenCalledTimes(5);
      await jest.advanceTimersByTimeAsync(1);
      expect(read).toHaveBeenCalledTimes(6);
      await early.return?.();
      hub.close();
    } finally {
      random.mockRestore();
      jest.useRealTimers();
    }
  });

  it('an apply answered while the first read is under way: the newest state wins', async () => {
    let release: (app: ApplicationView | undefined) => void = () => undefined;
    const { hub, start } = setup(() => new Promise((resolve) => (release = resolve)));
    const starting = start();
    hub.applied('1', 'p1', { ...pending(4, 0), status: 'ISSUED', giftCode: 'G', decidedAt: 2_000, ahead: null });
    release(undefined);
    const it = await starting;
    expect((await it.next()).value).toMatchObject({ status: 'ISSUED', giftCode: 'G' });
    await it.return?.();
    hub.close();
  });

  it('throttles `ahead` to one update per interval, sending the latest', async () => {
    jest.useFakeTimers({ now: 10_000 });
    try {
      const { hub, streams, start } = setup(async () => pending(100, 99), 1_000);
      const it = await start();
      if (!it) throw new Error('expected an iterator');
      const stream = streams[0] as FakeStream;
      const values: ApplicationView[] = [];
      const collect = (async () => {
        for await (const v of it) values.push(v);
      })();
      for (const through of [10, 20, 30]) stream.progress(through);
      await jest.advanceTimersByTimeAsync(10);
      expect(values.map((v) => v.ahead)).toEqual([99]);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(values.map((v) => v.ahead)).toEqual([99, 69]);
      stream.decide(decision('1', 'p1', 100, false));
      await jest.advanceTimersByTimeAsync(1);
      expect(values.map((v) => v.status)).toEqual(['PENDING', 'PENDING', 'SOLD_OUT']);
      await it.return?.();
      await collect;
      hub.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('re-reads when the watermark passed it without its decision', async () => {
    let reads = 0;
    const { hub, streams, start } = setup(async () => {
      reads += 1;
      return reads === 1 ? pending(3, 2) : { ...pending(3, 0), status: 'ISSUED', ahead: null, giftCode: 'G', decidedAt: 5 };
    });
    const it = await start();
    if (!it) throw new Error('expected an iterator');
    streams[0]?.progress(3);
    const [, second] = await take(it, 2);
    expect(second).toMatchObject({ status: 'ISSUED', giftCode: 'G' });
    await it.return?.();
    hub.close();
  });

  it('keeps a decision that arrived during the first read over the older PENDING', async () => {
    let release: (v: ApplicationView) => void = () => undefined;
    const { hub, streams, start } = setup(() => new Promise((r) => (release = r)));
    const started = start();
    streams[0]?.decide(decision('1', 'p1', 2, true));
    release(pending(2, 1));
    const it = await started;
    if (!it) throw new Error('expected an iterator');
    const [first] = await take(it, 1);
    expect(first).toMatchObject({ status: 'ISSUED' });
    await it.return?.();
    hub.close();
  });
});

describe('watchApplication in a waiting room (issue 17)', () => {
  const waitingApp: ApplicationView = {
    ...pending(0, 0),
    status: 'WAITING',
    ahead: null,
    estimatedWaitSeconds: 40,
    linePace: 10,
  };

  it('hears the draw place it in line at once, then ahead and the estimate fall with the line', async () => {
    const { streams, start } = setup(async () => waitingApp, 0);
    const it = await start();
    const [first] = await take(it, 1);
    expect(first).toMatchObject({ status: 'WAITING', position: 0, estimatedWaitSeconds: 40 });
    // Progress before the placement reaches it says nothing about a WAITING application.
    streams[0]?.progress(3);
    streams[0]?.admit({ ...admitted('1', 'p1', 41, 40), estimatedWaitSeconds: 5, linePace: 10 });
    const [placed] = await take(it, 1);
    expect(placed).toMatchObject({ status: 'PENDING', position: 41, ahead: 40, estimatedWaitSeconds: 5 });
    streams[0]?.progress(20);
    const [moved] = await take(it, 1);
    // 20 ahead and itself at 10 a second: 3 s (the event service's formula).
    expect(moved).toMatchObject({ status: 'PENDING', ahead: 20, estimatedWaitSeconds: 3 });
    streams[0]?.decide(decision('1', 'p1', 41, true));
    const [won] = await take(it, 1);
    expect(won).toMatchObject({ status: 'ISSUED', estimatedWaitSeconds: null });
  });

  it('reads again soon while the pace is unknown, and sends the estimate once the line has moved', async () => {
    const { hub, streams } = setup(async () => undefined);
    const reads = [pending(30, 29), { ...pending(30, 19), linePace: 10, estimatedWaitSeconds: 2 }];
    const it = await watchApplication({
      eventId: '1',
      participantId: 'p1',
      hub,
      read: async () => reads.shift() ?? reads[reads.length - 1],
      aheadIntervalMs: 0,
      resyncMs: 60_000,
      waitResyncMs: 60_000,
      paceProbeMs: 20,
      logger,
    });
    const [first] = await take(it, 1);
    expect(first).toMatchObject({ status: 'PENDING', estimatedWaitSeconds: null, linePace: 0 });
    // The line moves: ahead falls (no pace yet, no estimate), and a read follows for the pace.
    streams[0]?.progress(5);
    const [moved, estimated] = await take(it, 2);
    expect(moved).toMatchObject({ ahead: 24, estimatedWaitSeconds: null });
    expect(estimated).toMatchObject({ status: 'PENDING', ahead: 19, linePace: 10, estimatedWaitSeconds: 2 });
  });
});

describe('watchApplication with a claim window: the WAITLISTED estimate (issue 17)', () => {
  it('reads the estimate a WAITLISTED decision lacks, and sends a newer one a re-read brings', async () => {
    const { hub, streams } = setup(async () => undefined);
    const waitlisted = (estimatedWaitSeconds: number | null): ApplicationView => ({
      ...pending(5, 0),
      status: 'WAITLISTED',
      ahead: null,
      estimatedWaitSeconds,
    });
    const reads: ApplicationView[] = [pending(5, 4), waitlisted(12), waitlisted(12), waitlisted(7)];
    const it = await watchApplication({
      eventId: '1',
      participantId: 'p1',
      hub,
      read: async () => reads.shift() ?? waitlisted(7),
      aheadIntervalMs: 0,
      resyncMs: 30,
      waitResyncMs: 60_000,
      logger,
    });
    const [first] = await take(it, 1);
    expect(first).toMatchObject({ status: 'PENDING' });
    // The issuer's decision says WAITLISTED, with no estimate: a read brings it at once.
    streams[0]?.decide({ ...decision('1', 'p1', 5, false), status: ApplicationStatus.APPLICATION_STATUS_WAITLISTED });
    const [decided, estimated, newer] = await take(it, 3);
    expect(decided).toMatchObject({ status: 'WAITLISTED', estimatedWaitSeconds: null });
    expect(estimated).toMatchObject({ status: 'WAITLISTED', estimatedWaitSeconds: 12 });
    // The same estimate again is not sent; a changed one is.
    expect(newer).toMatchObject({ status: 'WAITLISTED', estimatedWaitSeconds: 7 });
    await it.return?.();
  });
});
