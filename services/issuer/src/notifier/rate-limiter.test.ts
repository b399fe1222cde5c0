import { reserveToken, returnToken, type Bucket } from './rate-limiter';

describe('token bucket', () => {
  const limits = { rate: 10, burst: 1 };

  it('lets the first call through and spaces the next ones 1/rate apart', () => {
    let bucket: Bucket = { tokens: 1, at: 0 };
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = reserveToken(bucket, 0, limits);
      bucket = r.bucket;
      waits.push(r.waitMs);
    }
    expect(waits.map(Math.round)).toEqual([0, 100, 200, 300]);
  });

  it('refills with time, but never beyond the burst', () => {
    const idle = reserveToken({ tokens: 1, at: 0 }, 60_000, { rate: 10, burst: 3 });
    expect(idle.bucket.tokens).toBe(2);
    expect(idle.waitMs).toBe(0);
    const later = reserveToken({ tokens: -1, at: 0 }, 150, limits);
    expect(later.waitMs).toBeCloseTo(50);
  });

  it('holds a steady stream to the rate', () => {
    let bucket: Bucket = { tokens: 1, at: 0 };
    let sentAt = 0;
    for (let i = 0; i < 141; i++) {
      const r = reserveToken(bucket, 0, { rate: 14, burst: 1 });
      bucket = r.bucket;
      sentAt = r.waitMs;
    }
    expect(sentAt).toBeCloseTo(10_000);
  });

  it('gives back a token a caller did not use', () => {
    expect(returnToken({ tokens: -2, at: 5 }, limits)).toEqual({ tokens: -1, at: 5 });
    expect(returnToken({ tokens: 1, at: 5 }, limits)).toEqual({ tokens: 1, at: 5 });
  });
});
