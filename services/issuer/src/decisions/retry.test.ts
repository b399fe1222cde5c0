import type { EachBatchPayload } from 'kafkajs';
import pino from 'pino';
import { Abandoned, retrying } from './retry';

/** A batch payload with only what retrying touches: its partition, its state, and a heartbeat that records when. */
function fakePayload(heartbeat: () => Promise<void>): EachBatchPayload {
  return {
    batch: { partition: 0 },
    isRunning: () => true,
    isStale: () => false,
    heartbeat,
  } as unknown as EachBatchPayload;
}

const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
const logger = pino({ level: 'silent' });

describe('retrying while a dependency is down', () => {
  it('heartbeats through a backoff longer than the heartbeat interval, so the wait never outlasts the session', async () => {
    const beats: number[] = [];
    const payload = fakePayload(async () => {
      beats.push(Date.now());
    });
    let calls = 0;
    const started = Date.now();
    const value = await retrying({ backoffMs: 400, maxBackoffMs: 400, heartbeatMs: 50, logger }, payload, 'write', async () => {
      calls++;
      if (calls <= 2) throw down();
      return 'written';
    });
    expect(value).toBe('written');
    expect(calls).toBe(3);
    // Two waits of 400 ms, a heartbeat at least every 50 ms of each (a single heartbeat per wait before the fix).
    expect(beats.length).toBeGreaterThanOrEqual(12);
    const gaps = beats.map((t, i) => t - (i === 0 ? started : (beats[i - 1] as number)));
    expect(Math.max(...gaps)).toBeLessThan(200);
  });

  it('gives the batch up as soon as a heartbeat during the wait is refused (the group rebalanced)', async () => {
    let beats = 0;
    const payload = fakePayload(async () => {
      beats++;
      if (beats === 2) throw new Error('The group is rebalancing, so a rejoin is needed');
    });
    const started = Date.now();
    await expect(
      retrying({ backoffMs: 5_000, maxBackoffMs: 5_000, heartbeatMs: 50, logger }, payload, 'write', async () => {
        throw down();
      }),
    ).rejects.toBeInstanceOf(Abandoned);
    // Well before the 5 s backoff was over.
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
