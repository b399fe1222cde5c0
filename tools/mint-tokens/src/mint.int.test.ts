import { QueryTypes } from 'sequelize';
import { createTokenVerifier, GrpcStatus } from '@fcfs/kit';
import { publicJwks, resolveSigningKeys } from '@fcfs/auth';
import { codeFor, createShared, randomAddress, startTestAuth, testConfig, type Shared } from '../../../test/support/auth';
import { mintSessionTokens } from './mint';

describe('mintSessionTokens (real MariaDB)', () => {
  let shared: Shared;
  beforeAll(async () => {
    shared = await createShared();
  });
  afterAll(() => shared?.cleanup());

  it('stores a participant per address in chunks and signs tokens the kit verifier accepts', async () => {
    const config = testConfig(shared, { AUTH_ADMIN_EMAILS: 'ops-0007@loadtest.local' });
    const existing = 'ops-0042@loadtest.local';
    await shared.db.sequelize.query('INSERT INTO participants (email, created_at) VALUES (?, UTC_TIMESTAMP(3))', {
      replacements: [existing],
      type: QueryTypes.INSERT,
    });
    const emails = Array.from({ length: 2500 }, (_, i) => `ops-${String(i).padStart(4, '0')}@loadtest.local`);
    const minted = await mintSessionTokens(config, [...emails, 'OPS-0001@LOADTEST.LOCAL']);

    expect(minted.map((m) => m.email)).toEqual(emails);
    const rows = await shared.db.sequelize.query<{ id: string | number; email: string }>(
      "SELECT id, email FROM participants WHERE email LIKE 'ops-%'",
      { type: QueryTypes.SELECT },
    );
    expect(rows).toHaveLength(2500);
    const ids = new Map(rows.map((r) => [r.email, String(r.id)]));
    for (const m of minted) expect(m.participantId).toBe(ids.get(m.email));

    const verifier = createTokenVerifier({ loadJwks: async () => publicJwks(resolveSigningKeys(config.tokens, config.nodeEnv)) });
    const sample = [minted[0], minted[7], minted[42], minted[2499]];
    for (const m of sample) {
      const claims = await verifier.verify(m?.token ?? '');
      expect(claims).toEqual({
        participantId: m?.participantId,
        email: m?.email,
        role: m?.email === 'ops-0007@loadtest.local' ? 'admin' : 'participant',
        exp: (m?.expiresAtMs ?? 0) / 1000,
      });
    }
  });

  it('signs with the same development key the running service publishes', async () => {
    const t = await startTestAuth(shared);
    const email = randomAddress('minted');
    try {
      const [m] = await mintSessionTokens(testConfig(shared), [email]);
      const verifier = createTokenVerifier({ loadJwks: () => t.jwks() as never });
      await expect(verifier.verify(m?.token ?? '')).resolves.toMatchObject({ email });
      // A minted participant later verifying by e-mail keeps the same id.
      await t.send(email);
      const verified = await t.verify(email, await codeFor(email));
      expect(verified.participant?.id).toBe(m?.participantId);
    } finally {
      await t.stop();
    }
  });

  it('refuses an invalid address before touching the database', async () => {
    await expect(mintSessionTokens(testConfig(shared), ['fine@loadtest.local', 'not an address'])).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
  });
});
