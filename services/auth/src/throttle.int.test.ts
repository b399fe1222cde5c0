import { GrpcStatus } from '@fcfs/kit';
import { emailsTo, freePort } from '../../../test/support';
import {
  codeFor,
  createShared,
  failure,
  randomAddress,
  startTestAuth,
  type Shared,
  type TestAuth,
} from '../../../test/support/auth';

describe('AuthService send throttles (real Redis)', () => {
  let shared: Shared;
  const running: TestAuth[] = [];
  const start = async (env: Record<string, string>): Promise<TestAuth> => {
    const t = await startTestAuth(shared, env);
    running.push(t);
    return t;
  };
  beforeAll(async () => {
    shared = await createShared();
  });
  afterAll(async () => {
    await Promise.all(running.map((t) => t.stop()));
    await shared?.cleanup();
  });

  it('allows one send per address and client per cooldown, with the seconds until the next', async () => {
    const t = await start({ AUTH_SEND_COOLDOWN_SECONDS: '60' });
    const email = randomAddress();
    await t.send(email, '203.0.113.1');
    const err = await failure(t.send(email.toUpperCase(), '203.0.113.1'));
    expect(err).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(err.message).toContain(`retry in ${err.retryAfterSeconds} s`);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("a stranger's requests for an address spend neither its owner's cooldown nor their send budget", async () => {
    const t = await start({ AUTH_SEND_COOLDOWN_SECONDS: '60', AUTH_SEND_PER_ADDRESS_MAX: '2' });
    const victim = randomAddress();
    await t.send(victim, '203.0.113.66');
    // The stranger is held to their own cooldown and budget for this address...
    expect(await failure(t.send(victim, '203.0.113.66'))).toMatchObject({ reason: 'RATE_LIMITED' });
    // ...and the owner, from their own address, still gets a code at once.
    await expect(t.send(victim, '198.51.100.200')).resolves.toBeDefined();
    await expect(t.verify(victim, await codeFor(victim, 2), '198.51.100.200')).resolves.toMatchObject({
      participant: { email: victim },
    });
  });

  it('allows at most N sends per address and client, and a higher number per address from everyone', async () => {
    const t = await start({
      AUTH_SEND_COOLDOWN_SECONDS: '0',
      AUTH_SEND_PER_ADDRESS_MAX: '2',
      AUTH_SEND_PER_ADDRESS_TOTAL_MAX: '3',
      AUTH_SEND_PER_ADDRESS_WINDOW_SECONDS: '600',
    });
    const email = randomAddress();
    await t.send(email, '203.0.113.10');
    await t.send(email, '203.0.113.10');
    expect((await failure(t.send(email, '203.0.113.10'))).message).toContain('for this address');
    await t.send(email, '203.0.113.11');
    const err = await failure(t.send(email, '203.0.113.20'));
    expect(err).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
    expect(err.retryAfterSeconds).toBeGreaterThan(590);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(600);
    expect(err.message).toContain('for this address');
    // The newest code is the one that counts; earlier ones were replaced.
    const newest = await codeFor(email, 3);
    await expect(t.verify(email, newest)).resolves.toMatchObject({ participant: { email } });
  });

  it('holds one client IP to its budget across addresses, and only that client', async () => {
    const t = await start({ AUTH_SEND_PER_IP_MAX: '2', AUTH_SEND_PER_IP_WINDOW_SECONDS: '120' });
    await t.send(randomAddress(), '192.0.2.50');
    await t.send(randomAddress(), '192.0.2.50');
    const err = await failure(t.send(randomAddress(), '192.0.2.50'));
    expect(err).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
    expect(err.retryAfterSeconds).toBeGreaterThan(110);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(120);
    expect(err.message).toContain('from this client');
    await expect(t.send(randomAddress(), '192.0.2.51')).resolves.toBeDefined();
  });

  it('does not spend the client budget on a refused send', async () => {
    const t = await start({ AUTH_SEND_PER_IP_MAX: '2', AUTH_SEND_COOLDOWN_SECONDS: '60' });
    const email = randomAddress();
    await t.send(email, '192.0.2.60');
    for (let i = 0; i < 3; i++) await failure(t.send(email, '192.0.2.60'));
    await expect(t.send(randomAddress(), '192.0.2.60')).resolves.toBeDefined();
  });

  it('when SES fails: UNAVAILABLE, no pending code, and neither throttle blocks the retry', async () => {
    // A local port nothing listens on: SES "down" for real, not a fake.
    const broken = await start({ SES_ENDPOINT: `http://127.0.0.1:${await freePort()}`, AUTH_SEND_PER_IP_MAX: '1' });
    const working = await start({ AUTH_SEND_PER_IP_MAX: '1' });
    const email = randomAddress();
    const err = await failure(broken.send(email, '192.0.2.70'));
    expect(err).toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'the verification e-mail could not be sent; retry shortly',
    });
    // No code from the failed send is waiting to be guessed.
    expect(await failure(working.verify(email, '123456'))).toMatchObject({ reason: 'INVALID_CODE' });
    // Same address, same client, at once: neither the cooldown nor the client budget was spent.
    await working.send(email, '192.0.2.70');
    await expect(working.verify(email, await codeFor(email))).resolves.toMatchObject({ participant: { email } });
  });

  it('holds one client to its failed-verification budget before any code is touched, and only that client', async () => {
    const t = await start({ AUTH_VERIFY_FAILURES_PER_IP_MAX: '3', AUTH_VERIFY_FAILURES_WINDOW_SECONDS: '300' });
    const victim = randomAddress();
    await t.send(victim, '198.51.100.9');
    const code = await codeFor(victim);
    // Guesses at many addresses from one client: the fourth is refused.
    for (let i = 0; i < 3; i++) await failure(t.verify(randomAddress(), '000000', '192.0.2.80'));
    const refused = await failure(t.verify(victim, code === '000000' ? '000001' : '000000', '192.0.2.80'));
    expect(refused).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
    expect(refused.retryAfterSeconds).toBeGreaterThan(290);
    expect(refused.message).toContain('from this client');
    // The refused guess never counted against the victim's code; another client is not held back.
    await expect(t.verify(victim, code, '198.51.100.9')).resolves.toMatchObject({ participant: { email: victim } });
  });

  it('holds every client together to the global failed-verification budget', async () => {
    const t = await start({ AUTH_VERIFY_FAILURES_GLOBAL_MAX: '2', AUTH_REDIS_PREFIX: `${shared.prefix}global:` });
    await failure(t.verify(randomAddress(), '000000', '192.0.2.90'));
    await failure(t.verify(randomAddress(), '000000', '192.0.2.91'));
    const refused = await failure(t.verify(randomAddress(), '000000', '192.0.2.92'));
    expect(refused).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
    expect(refused.message).toContain('right now');
  });

  it('gives the failure budget back when the code is right', async () => {
    const t = await start({ AUTH_VERIFY_FAILURES_PER_IP_MAX: '1' });
    for (let i = 0; i < 3; i++) {
      const email = randomAddress();
      await t.send(email, '192.0.2.95');
      await expect(t.verify(email, await codeFor(email), '192.0.2.95')).resolves.toBeDefined();
    }
  });
});
