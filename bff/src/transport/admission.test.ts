import type { IncomingMessage } from 'node:http';
import { createLogger, ServiceError, type TokenVerifier } from '@fcfs/kit';
import { createAdmitter, nextRequestId } from './admission';
import type { LimitKind, RateLimiter } from './rate-limit';

/** At most `limits[kind]` requests per key, then the wait is 7 s. */
type Limits = Partial<Record<LimitKind, number>>;

function countingLimiter(limits: Limits): RateLimiter & { taken: string[] } {
  const counts = new Map<string, number>();
  const taken: string[] = [];
  return {
    taken,
    take(kind, id, units = 1) {
      if (units <= 0) return undefined;
      taken.push(units === 1 ? `${kind}:${id}` : `${kind}:${id}x${units}`);
      const n = (counts.get(`${kind}:${id}`) ?? 0) + units;
      counts.set(`${kind}:${id}`, n);
      return n > (limits[kind] ?? Infinity) ? 7 : undefined;
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

function admitter(limits: Limits, trustedProxyHops = 0) {
  const limiter = countingLimiter(limits);
  return { limiter, admitter: createAdmitter({ verifier, limiter, logger: createLogger('t', 'silent'), trustedProxyHops }) };
}

async function admitted(a: ReturnType<typeof admitter>['admitter'], req: IncomingMessage, auth?: string) {
  const admission = await a.admit(req, auth);
  if (!admission.admitted) throw new Error('refused');
  return admission.context;
}

describe('admission', () => {
  it('admits with a context that knows the caller, counting the IP, then the root fields', async () => {
    const { admitter: a, limiter } = admitter({ ip: 10, participant: 10 });
    const admission = await a.admit(request('10.0.0.1'), 'Bearer good-42', 'req-1');
    if (!admission.admitted) throw new Error('refused');
    expect(admission.context).toMatchObject({ requestId: 'req-1', clientIp: '10.0.0.1', token: 'good-42' });
    await expect(admission.context.requireUser()).resolves.toMatchObject({ participantId: '42' });
    expect(limiter.taken).toEqual(['ip:10.0.0.1', 'global:all']);
    await expect(a.chargeFields(admission.context, 1)).resolves.toBeUndefined();
    expect(limiter.taken).toEqual(['ip:10.0.0.1', 'global:all', 'participant:42']);
  });

  it('charges every root field: ten mutations in one request cost ten', async () => {
    const { admitter: a, limiter } = admitter({ ip: 100, participant: 5 });
    const context = await admitted(a, request('10.0.0.11'), 'Bearer good-7');
    expect(await a.chargeFields(context, 10)).toMatchObject({ kind: 'participant', retryAfterSeconds: 7 });
    expect(limiter.taken).toEqual(['ip:10.0.0.11', 'global:all', 'ip:10.0.0.11x9', 'global:allx9', 'participant:7x10']);
  });

  it('holds every client together to the global ceiling', async () => {
    const { admitter: a } = admitter({ ip: 10, global: 2 });
    await admitted(a, request('10.1.0.1'));
    await admitted(a, request('10.1.0.2'));
    expect(await a.admit(request('10.1.0.3'), undefined)).toMatchObject({ admitted: false, refusal: { kind: 'global' } });
  });

  it('refuses beyond the IP limit before looking at the token', async () => {
    const { admitter: a, limiter } = admitter({ ip: 1, participant: 10 });
    await a.admit(request('10.0.0.2'), undefined);
    expect(await a.admit(request('10.0.0.2'), 'Bearer good-1')).toEqual({
      admitted: false,
      refusal: { kind: 'ip', retryAfterSeconds: 7, message: 'too many requests from this address; retry later' },
    });
    expect(limiter.taken).toEqual(['ip:10.0.0.2', 'global:all', 'ip:10.0.0.2']);
  });

  it('refuses beyond the participant limit, whatever the address', async () => {
    const { admitter: a } = admitter({ ip: 10, participant: 1 });
    await expect(a.chargeFields(await admitted(a, request('10.0.0.3'), 'Bearer good-5'), 1)).resolves.toBeUndefined();
    await expect(a.chargeFields(await admitted(a, request('10.0.0.4'), 'Bearer good-5'), 1)).resolves.toMatchObject({
      kind: 'participant',
      retryAfterSeconds: 7,
    });
  });

  it('admits a bad token: the operations that need a caller answer UNAUTHENTICATED', async () => {
    const { admitter: a, limiter } = admitter({ ip: 10, participant: 0 });
    const admission = await a.admit(request('10.0.0.5'), 'Bearer nonsense');
    if (!admission.admitted) throw new Error('refused');
    await expect(admission.context.requireUser()).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(admission.context.claims()).resolves.toBeUndefined();
    await expect(a.chargeFields(admission.context, 1)).resolves.toBeUndefined();
    expect(limiter.taken).toEqual(['ip:10.0.0.5', 'global:all']);
  });

  it('counts a WebSocket connection against its IP, the forwarded one behind a trusted proxy', () => {
    const { admitter: a } = admitter({ ip: 1, participant: 10 }, 1);
    expect(a.admitConnection(request('10.0.0.9', '198.51.100.1, 203.0.113.7'))).toBeUndefined();
    expect(a.admitConnection(request('10.0.0.8', '203.0.113.7'))).toMatchObject({ kind: 'ip', retryAfterSeconds: 7 });
  });

  it('gives spoofed X-Forwarded-For values, whatever the client writes left of the proxy, one budget', () => {
    const { admitter: a } = admitter({ ip: 3 }, 1);
    // An ingress appends the address it saw (203.0.113.9); the client made up the rest.
    for (let i = 0; i < 3; i++) expect(a.admitConnection(request('10.0.0.2', `10.9.${i}.1, 203.0.113.9`))).toBeUndefined();
    expect(a.admitConnection(request('10.0.0.2', '10.9.99.1, 203.0.113.9'))).toMatchObject({ kind: 'ip' });
  });

  it("keeps a caller's well-formed request id, and makes one otherwise", () => {
    expect(nextRequestId('abc-1')).toBe('abc-1');
    expect(nextRequestId('not ok!')).toMatch(/^\w+-\w+$/);
  });
});
