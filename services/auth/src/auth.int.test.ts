import { GrpcStatus, callUnary } from '@fcfs/kit';
import { decodeProtectedHeader } from 'jose';
import { QueryTypes } from 'sequelize';
import { emailsTo } from '../../../test/support';
import { INVALID_CODE_MESSAGE } from './verification';
import {
  codeFor,
  createShared,
  failure,
  randomAddress,
  startTestAuth,
  verifierFor,
  type Shared,
  type TestAuth,
} from '../../../test/support/auth';

describe('AuthService: e-mail codes and session tokens (real Redis, MariaDB, SES emulator)', () => {
  let shared: Shared;
  let t: TestAuth;
  const admin = randomAddress('boss');

  beforeAll(async () => {
    shared = await createShared();
    t = await startTestAuth(shared, { AUTH_ADMIN_EMAILS: `ops@example.com, ${admin.toUpperCase()}` });
  });
  afterAll(async () => {
    await t?.stop();
    await shared?.cleanup();
  });

  it('e-mails a code that yields a token verifying against GetPublicKeys with the kit verifier', async () => {
    const email = randomAddress();
    await expect(t.send(email)).resolves.toEqual({ expiresInSeconds: 300, resendAfterSeconds: 60 });
    const [sent] = await emailsTo(email);
    expect(sent?.from).toBe('no-reply@fcfs.local');
    const code = await codeFor(email);
    expect(sent?.body.html).toContain(code);

    const result = await t.verify(email.toUpperCase(), code);
    expect(result.participant).toEqual({ id: expect.stringMatching(/^[1-9][0-9]*$/), email, isAdmin: false });
    const claims = await verifierFor(t).verify(result.token);
    expect(claims).toEqual({ participantId: result.participant?.id, email, role: 'participant', exp: result.expiresAtMs / 1000 });
    expect(result.expiresAtMs - Date.now()).toBeGreaterThan(7190_000);
    expect(result.expiresAtMs - Date.now()).toBeLessThanOrEqual(7200_000);

    const jwks = await t.jwks();
    expect(jwks.keys[0]).toMatchObject({ kid: decodeProtectedHeader(result.token).kid, use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('refuses a reused code with the one answer a missing code gets', async () => {
    const email = randomAddress();
    await t.send(email);
    const code = await codeFor(email);
    await t.verify(email, code);
    const reused = await failure(t.verify(email, code));
    expect(reused).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_CODE' });
    expect(reused.message).toBe(INVALID_CODE_MESSAGE);
  });

  it('refuses a wrong code, and voids the code after five tries', async () => {
    const email = randomAddress();
    await t.send(email);
    const code = await codeFor(email);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 1; i <= 5; i++) {
      const err = await failure(t.verify(email, wrong));
      expect(err).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_CODE' });
      // No tries-left count: it would tell a stranger that a code is pending.
      expect(err.message).toBe(INVALID_CODE_MESSAGE);
    }
    // The sixth try fails even with the right code: the code is void.
    const sixth = await failure(t.verify(email, code));
    expect(sixth).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION, reason: 'TOO_MANY_ATTEMPTS' });
  });

  it('accepts the right code within five tries', async () => {
    const email = randomAddress();
    await t.send(email);
    const code = await codeFor(email);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 1; i <= 4; i++) await failure(t.verify(email, wrong));
    await expect(t.verify(email, code)).resolves.toMatchObject({ participant: { email } });
  });

  it('answers "no code pending" and "wrong code" alike, so a guess tells nobody whose code is pending', async () => {
    const pending = randomAddress();
    await t.send(pending);
    const code = await codeFor(pending);
    const wrong = code === '123456' ? '123457' : '123456';
    const none = await failure(t.verify(randomAddress(), wrong));
    const mistaken = await failure(t.verify(pending, wrong));
    const answer = (e: typeof none) => ({ code: e.code, reason: e.reason, message: e.message });
    expect(answer(none)).toEqual(answer(mistaken));
    expect(answer(none)).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_CODE', message: INVALID_CODE_MESSAGE });
  });

  it.each([
    ['empty', '', 'required'],
    ['300 characters', `${'a'.repeat(288)}@example.com`, '254'],
    ['no @', 'someone.example.com', '@'],
    ['control characters', 'some\u0007one@example.com', 'control characters'],
    ['a 10 KB string', 'x'.repeat(10 * 1024), '254'],
    ['no domain', 'someone@', 'domain'],
  ])('refuses an invalid address (%s) with INVALID_ARGUMENT naming the problem', async (_, email, problem) => {
    for (const call of [t.send(email), t.verify(email, '123456')]) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'BAD_USER_INPUT' });
      expect(err.message).toContain(problem);
    }
  });

  it('refuses a malformed code as BAD_USER_INPUT without counting a try', async () => {
    const email = randomAddress();
    await t.send(email);
    const code = await codeFor(email);
    for (let i = 0; i < 6; i++) {
      const err = await failure(t.verify(email, '12ab56'));
      expect(err).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        reason: 'BAD_USER_INPUT',
        message: 'code must be exactly 6 digits',
      });
    }
    await expect(t.verify(email, code)).resolves.toMatchObject({ participant: { email } });
  });

  it('gives role=admin to a configured admin address and not to another', async () => {
    const other = randomAddress();
    const tokens: Record<string, string> = {};
    for (const email of [admin, other]) {
      await t.send(email);
      const result = await t.verify(email, await codeFor(email));
      expect(result.participant?.isAdmin).toBe(email === admin);
      tokens[email] = result.token;
      const fetched = await callUnary(t.client.getParticipant.bind(t.client), { participantId: result.participant?.id ?? '' });
      expect(fetched.participant).toEqual(result.participant);
    }
    const verifier = verifierFor(t);
    expect((await verifier.verify(tokens[admin] ?? '')).role).toBe('admin');
    expect((await verifier.verify(tokens[other] ?? '')).role).toBe('participant');
  });

  it('keeps one participant per address and stamps each verification', async () => {
    const email = randomAddress();
    const again = await startTestAuth(shared, { AUTH_SEND_COOLDOWN_SECONDS: '0' });
    try {
      await again.send(email);
      const first = await again.verify(email, await codeFor(email, 1));
      await again.send(email);
      const second = await again.verify(email, await codeFor(email, 2));
      expect(second.participant?.id).toBe(first.participant?.id);
      const rows = await shared.db.sequelize.query<{ id: string; last_verified_at: Date | null }>(
        'SELECT id, last_verified_at FROM participants WHERE email = ?',
        { replacements: [email], type: QueryTypes.SELECT },
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.last_verified_at).toBeInstanceOf(Date);
    } finally {
      await again.stop();
    }
  });

  it('answers a known and an unknown address alike', async () => {
    const known = randomAddress();
    const other = await startTestAuth(shared, { AUTH_SEND_COOLDOWN_SECONDS: '0' });
    try {
      await other.send(known);
      await other.verify(known, await codeFor(known));
      await expect(other.send(known)).resolves.toEqual(await other.send(randomAddress()));
    } finally {
      await other.stop();
    }
  });

  it('GetParticipant: NOT_FOUND for an unknown id, INVALID_ARGUMENT for a malformed one', async () => {
    const get = (participantId: string) => callUnary(t.client.getParticipant.bind(t.client), { participantId });
    expect(await failure(get('999999999'))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
    expect(await failure(get('abc'))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });
});

describe('AuthService: code expiry', () => {
  let shared: Shared;
  let t: TestAuth;
  beforeAll(async () => {
    shared = await createShared();
    t = await startTestAuth(shared, { AUTH_CODE_TTL_SECONDS: '1' });
  });
  afterAll(async () => {
    await t?.stop();
    await shared?.cleanup();
  });

  it('refuses an expired code with the one INVALID_CODE answer', async () => {
    const email = randomAddress();
    await expect(t.send(email)).resolves.toMatchObject({ expiresInSeconds: 1 });
    const code = await codeFor(email);
    await new Promise((r) => setTimeout(r, 1_300));
    const err = await failure(t.verify(email, code));
    expect(err).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      reason: 'INVALID_CODE',
      message: INVALID_CODE_MESSAGE,
    });
  });
});
