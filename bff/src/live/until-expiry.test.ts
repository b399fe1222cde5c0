import { createPushIterator } from './push-iterator';
import { TOKEN_EXPIRED, untilExpiry } from './until-expiry';

describe('untilExpiry', () => {
  it('passes values on until the token expires, then yields TOKEN_EXPIRED, ends, and closes the source', async () => {
    let closed = false;
    const source = createPushIterator<number>(() => (closed = true));
    const live = untilExpiry(source, Date.now() + 200);
    source.push(1);
    await expect(live.next()).resolves.toEqual({ value: 1, done: false });
    // Waiting for the next value when the token expires.
    await expect(live.next()).resolves.toEqual({ value: TOKEN_EXPIRED, done: false });
    await expect(live.next()).resolves.toEqual({ value: undefined, done: true });
    expect(closed).toBe(true);
  });

  it('ends at once for a token already expired', async () => {
    const source = createPushIterator<number>(() => undefined);
    const live = untilExpiry(source, Date.now() - 1);
    source.push(1);
    await expect(live.next()).resolves.toEqual({ value: TOKEN_EXPIRED, done: false });
    await expect(live.next()).resolves.toMatchObject({ done: true });
  });

  it('a subscriber that leaves first clears the timer and closes the source', async () => {
    let closed = false;
    const live = untilExpiry(
      createPushIterator<number>(() => (closed = true)),
      Date.now() + 60_000,
    );
    await live.return?.();
    expect(closed).toBe(true);
    await expect(live.next()).resolves.toMatchObject({ done: true });
  });
});
