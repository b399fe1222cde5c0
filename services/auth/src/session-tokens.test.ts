import { createTokenVerifier } from '@fcfs/kit';
import { decodeProtectedHeader } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { generatePrivateJwk, parsePrivateKeys, publicJwks } from './keys';
import { roleOf, signSessionToken } from './session-tokens';

describe('session tokens', () => {
  it.each([
    ['EdDSA', () => generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })],
    ['ES256', () => generatePrivateJwk()],
  ])('%s tokens verify with kit createTokenVerifier over the published JWKS', async (alg, jwk) => {
    const keys = parsePrivateKeys(JSON.stringify([{ ...jwk(), kid: 'k-test' }]));
    const key = keys[0]!;
    const verifier = createTokenVerifier({ loadJwks: async () => JSON.parse(JSON.stringify(publicJwks(keys))) });
    const now = Date.now();
    const { token, expiresAtMs } = await signSessionToken(
      key,
      { participantId: '42', email: 'a@example.com', role: 'admin' },
      7200,
      now,
    );
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: 'k-test' });
    expect(expiresAtMs).toBe((Math.floor(now / 1000) + 7200) * 1000);
    await expect(verifier.verify(token)).resolves.toEqual({
      participantId: '42',
      email: 'a@example.com',
      role: 'admin',
      exp: expiresAtMs / 1000,
    });
  });

  it('gives the admin role to configured addresses only', () => {
    const admins = new Set(['boss@example.com']);
    expect(roleOf('Boss@Example.com', admins)).toBe('admin');
    expect(roleOf('someone@example.com', admins)).toBe('participant');
  });
});
