import type { IncomingMessage } from 'node:http';
import { createLogger, ServiceError, type TokenVerifier } from '@fcfs/kit';
import { createAdmitter, nextRequestId } from './admission';
import type { LimitKind, RateLimiter } from './rate-limit';

/** At most `limits[kind]` requests per key, then the wait is 7 s. */
function countingLimiter(limits: Record<LimitKind, number>): RateLimiter & { taken: string[] } {
  const counts = new Map<string, number>();
  const taken: string[] = [];
  return {
    taken,
    take(kind, id) {
      taken.push(`${kind}:${id}`);
      const n = (counts.get(`${kind}:${id}`) ?? 0) + 1;
      counts.set(`${kind}:${id}`, n);
      return n > limits[kind] ? 7 : undefined;
    },
    sync: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}

const verifier: TokenVerifier = {
  verify: (token) =>
    token.startsWith('good-')
      ? Promise.resolve({ participantId: token.slice(5), email: 'p@example.com', role: 'participant', exp: 2_000_000_000 })
      : Promise.reject(ServiceError.unauthenticated('the session token is not valid')),
};

const request = (ip: string, forwardedFor?: string) =>
  ({
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    socket: { remoteAddress: ip },
  }) as unknown as IncomingMessage;

function admitter(limits: Record<LimitKind, number>, trustProxy = false) {
  const limiter = countingLimiter(limits);
  return { limiter, admitter: createAdmitter({ verifier, limiter, logger: createLogger('t', 'silent'), trustProxy }) };
}

describe('admission', () => {
  it('admits with a context that knows the caller, counting the IP and the participant', async () => {
    const { admitter: a, limiter } = admitter({ ip: 10, participant: 10 });
    const admission = await a.admit(request('10.0.0.1'), 'Bearer good-42', 'req-1');
    if (!admission.admitted) throw new Error('refused');
    expect(admission.context).toMatchObject({ requestId: 'req-1', clientIp: '10.0.0.1', token: 'good-42' });
    await expect(admission.context.requireUser()).resolves.toMatchObject({ participantId: '42' });
    expect(limiter.taken).toEqual(['ip:10.0.0.1', 'participant:42']);
  });

  it('refuses beyond the IP limit before looking at the token', async () => {
    const { admitter: a, limiter } = admitter({ ip: 1, participant: 10 });
    await a.admit(request('10.0.0.2'), undefined);
    expect(await a.admit(request('10.0.0.2'), 'Bearer good-1')).toEqual({
      admitted: false,
      refusal: { kind: 'ip', retryAfterSeconds: 7, message: 'too many requests from this address; retry later' },
    });
    expect(limiter.taken).toEqual(['ip:10.0.0.2', 'ip:10.0.0.2']);
  });

  it('refuses beyond the participant limit, whatever the address', async () => {
    const { admitter: a } = admitter({ ip: 10, participant: 1 });
    expect((await a.admit(request('10.0.0.3'), 'Bearer good-5')).admitted).toBe(true);
    expect(await a.admit(request('10.0.0.4'), 'Bearer good-5')).toMatchObject({
      admitted: false,
      refusal: { kind: 'participant', retryAfterSeconds: 7 },
    });
  });

  it('admits a bad token: the operations that need a caller answer UNAUTHENTICATED', async () => {
    const { admitter: a, limiter } = admitter({ ip: 10, participant: 0 });
    const admission = await a.admit(request('10.0.0.5'), 'Bearer nonsense');
    if (!admission.admitted) throw new Error('refused');
    await expect(admission.context.claims()).resolves.toBeUndefined();
    await expect(admission.context.requireUser()).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(limiter.taken).toEqual(['ip:10.0.0.5']);
  });

  it('counts a WebSocket connection against its IP, the forwarded one behind a trusted proxy', () => {
    const { admitter: a } = admitter({ ip: 1, participant: 10 }, true);
    expect(a.admitConnection(request('10.0.0.9', '203.0.113.7, 10.0.0.9'))).toBeUndefined();
    expect(a.admitConnection(request('10.0.0.8', '203.0.113.7'))).toMatchObject({ kind: 'ip', retryAfterSeconds: 7 });
  });

  it("keeps a caller's well-formed request id, and makes one otherwise", () => {
    expect(nextRequestId('abc-1')).toBe('abc-1');
    expect(nextRequestId('not ok!')).toMatch(/^\w+-\w+$/);
  });
});
