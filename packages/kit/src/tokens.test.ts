import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { ServiceError } from './errors';
import { createTokenVerifier, requireAdmin, TOKEN_AUDIENCE, TOKEN_ISSUER } from './tokens';

// The real crypto.verify, watched: how often and in which form the verifier calls it.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, verify: jest.fn(actual.verify) };
});
const cryptoVerify = (require('node:crypto') as { verify: jest.Mock }).verify;

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { privateKey, jwk };
}

async function sign(
  privateKey: KeyLike | Uint8Array,
  kid: string,
  claims: Record<string, unknown>,
  expiresIn: string | number = '1h',
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject('7')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(privateKey as KeyLike);
}

function codeOf(err: unknown): number | undefined {
  return err instanceof ServiceError ? err.code : undefined;
}

describe('createTokenVerifier', () => {
  it('verifies a token signed with a published key and caches the result', async () => {
    const k = await keyPair('k1');
    const loadJwks = jest.fn(async () => ({ keys: [k.jwk] }));
    const verifier = createTokenVerifier({ loadJwks });
    const token = await sign(k.privateKey, 'k1', { email: 'a@x.io', role: 'participant' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ participantId: '7', email: 'a@x.io', role: 'participant' });
    await verifier.verify(token);
    expect(loadJwks).toHaveBeenCalledTimes(1);
  });

  it('checks the signature of a token verified by two callers at once only once, off the event loop', async () => {
    const k = await keyPair('k1');
    const verifier = createTokenVerifier({ loadJwks: async () => ({ keys: [k.jwk] }) });
    await verifier.verify(await sign(k.privateKey, 'k1', { email: 'warm@x.io', role: 'participant' }));
    const token = await sign(k.privateKey, 'k1', { email: 'a@x.io', role: 'participant' });
    cryptoVerify.mockClear();
    const [a, b] = await Promise.all([verifier.verify(token), verifier.verify(token)]);
    expect(a).toEqual(b);
    expect(cryptoVerify).toHaveBeenCalledTimes(1);
    // The callback form: libuv's thread pool does the work.
    expect(typeof cryptoVerify.mock.calls[0]?.[4]).toBe('function');
  });

  it('refetches the keys once for an unknown key id (rotation)', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    let jwks = { keys: [k1.jwk] };
    let t = 0;
    const verifier = createTokenVerifier({ loadJwks: async () => jwks, refreshIntervalMs: 10, now: () => t });
    await verifier.verify(await sign(k1.privateKey, 'k1', { email: 'a@x.io', role: 'admin' }));
    jwks = { keys: [k1.jwk, k2.jwk] };
    t = 1_000;
    await expect(verifier.verify(await sign(k2.privateKey, 'k2', { email: 'b@x.io', role: 'admin' }))).resolves.toMatchObject({
      role: 'admin',
    });
  });

  it('refetches the keys once they are maxAgeMs old: a removed key, and the tokens it verified, stop working', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    let jwks = { keys: [k1.jwk, k2.jwk] };
    let loads = 0;
    let t = 0;
    const verifier = createTokenVerifier({
      loadJwks: async () => {
        loads++;
        return jwks;
      },
      maxAgeMs: 1_000,
      now: () => t,
    });
    const removed = await sign(k1.privateKey, 'k1', { email: 'a@x.io', role: 'participant' });
    const kept = await sign(k2.privateKey, 'k2', { email: 'b@x.io', role: 'participant' });
    await verifier.verify(removed);
    await verifier.verify(kept);
    jwks = { keys: [k2.jwk] };
    t = 999;
    // Within the period the cached verification still stands.
    await expect(verifier.verify(removed)).resolves.toMatchObject({ email: 'a@x.io' });
    expect(loads).toBe(1);
    t = 1_000;
    await expect(verifier.verify(removed)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(verifier.verify(kept)).resolves.toMatchObject({ email: 'b@x.io' });
    expect(loads).toBe(2);
  });

  it('keeps the old keys when a refetch fails, and waits refreshIntervalMs before the next try', async () => {
    const k1 = await keyPair('k1');
    let loads = 0;
    let t = 0;
    const verifier = createTokenVerifier({
      loadJwks: async () => {
        loads++;
        if (loads > 1) throw new Error('auth is down');
        return { keys: [k1.jwk] };
      },
      maxAgeMs: 1_000,
      refreshIntervalMs: 500,
      now: () => t,
    });
    const token = await sign(k1.privateKey, 'k1', { email: 'a@x.io', role: 'participant' });
    await verifier.verify(token);
    t = 1_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ email: 'a@x.io' });
    t = 1_200;
    await expect(verifier.verify(token)).resolves.toMatchObject({ email: 'a@x.io' });
    expect(loads).toBe(2);
    t = 1_500;
    await verifier.verify(token);
    expect(loads).toBe(3);
  });

  it('rejects expired, forged and malformed tokens as UNAUTHENTICATED', async () => {
    const k = await keyPair('k1');
    const forger = await keyPair('k1');
    const verifier = createTokenVerifier({ loadJwks: async () => ({ keys: [k.jwk] }) });
    const expired = await sign(k.privateKey, 'k1', { email: 'a@x.io', role: 'participant' }, Math.floor(Date.now() / 1000) - 10);
    const forged = await sign(forger.privateKey, 'k1', { email: 'a@x.io', role: 'admin' });
    const noRole = await sign(k.privateKey, 'k1', { email: 'a@x.io' });
    for (const token of [expired, forged, noRole, 'not.a.jwt']) {
      expect(codeOf(await verifier.verify(token).catch((e: unknown) => e))).toBe(status.UNAUTHENTICATED);
    }
  });
});

describe('requireAdmin', () => {
  it('accepts an admin token and refuses a participant or a missing token', async () => {
    const k = await keyPair('k1');
    const verifier = createTokenVerifier({ loadJwks: async () => ({ keys: [k.jwk] }) });
    const md = (token?: string) => {
      const m = new Metadata();
      if (token) m.set('authorization', `Bearer ${token}`);
      return m;
    };
    await expect(
      requireAdmin(md(await sign(k.privateKey, 'k1', { email: 'a@x.io', role: 'admin' })), verifier),
    ).resolves.toMatchObject({ role: 'admin' });
    expect(
      codeOf(
        await requireAdmin(md(await sign(k.privateKey, 'k1', { email: 'p@x.io', role: 'participant' })), verifier).catch(
          (e: unknown) => e,
        ),
      ),
    ).toBe(status.PERMISSION_DENIED);
    expect(codeOf(await requireAdmin(md(), verifier).catch((e: unknown) => e))).toBe(status.UNAUTHENTICATED);
  });
});

describe('verifyCompactToken (the hot-path check)', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: '7', email: 'a@x.io', role: 'participant' };

  async function es256(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } as JWK };
  }

  /** Signs any header as given: jose itself refuses to sign some of what a forger would send. */
  function rawSigned(
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    privateKey: KeyLike | Uint8Array,
  ): string {
    const signingInput = `${b64(header)}.${b64(payload)}`;
    return `${signingInput}.${cryptoSign(null, Buffer.from(signingInput), privateKey as KeyObject).toString('base64url')}`;
  }

  async function rejection(verifier: ReturnType<typeof createTokenVerifier>, token: string): Promise<string | undefined> {
    const err = await verifier.verify(token).catch((e: unknown) => e);
    return err instanceof ServiceError && err.code === status.UNAUTHENTICATED ? err.message : undefined;
  }

  it('verifies ES256 as well as EdDSA', async () => {
    const k = await es256('p1');
    const verifier = createTokenVerifier({ loadJwks: async () => ({ keys: [k.jwk] }) });
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'p1' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(k.privateKey);
    await expect(verifier.verify(token)).resolves.toMatchObject({ participantId: '7', role: 'participant' });
  });

  it('refuses algorithm confusion, alg none, a tampered payload, crit, wrong issuer or audience, and nbf in the future', async () => {
    const k = await keyPair('k1');
    const verifier = createTokenVerifier({ loadJwks: async () => ({ keys: [k.jwk] }) });
    const good = await sign(k.privateKey, 'k1', claims);
    const [head, body, sig] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const signed = (extra: Record<string, unknown>, header: Record<string, unknown> = { alg: 'EdDSA', kid: 'k1' }) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader(header as { alg: string })
        .setIssuer((extra['iss'] as string) ?? TOKEN_ISSUER)
        .setAudience((extra['aud'] as string) ?? TOKEN_AUDIENCE)
        .setExpirationTime('1h')
        .sign(k.privateKey);

    const cases: Record<string, string> = {
      'header claims ES256 for an EdDSA key': `${b64({ alg: 'ES256', kid: 'k1' })}.${body}.${sig}`,
      'alg none': `${b64({ alg: 'none', kid: 'k1' })}.${body}.${sig}`,
      'payload raised to admin after signing': `${head}.${b64({ ...payload, role: 'admin' })}.${sig}`,
      'crit extension': rawSigned({ alg: 'EdDSA', kid: 'k1', crit: ['x'], x: 1 }, payload, k.privateKey),
      'wrong issuer': await signed({ iss: 'someone-else' }),
      'wrong audience': await signed({ aud: 'other-app' }),
      'not valid yet': await signed({ nbf: Math.floor(Date.now() / 1000) + 600 }),
      'no key id': `${b64({ alg: 'EdDSA' })}.${body}.${sig}`,
      'two segments': `${head}.${body}`,
    };
    for (const [what, token] of Object.entries(cases)) {
      expect([what, await rejection(verifier, token)]).toEqual([what, 'the session token is not valid']);
    }
    await expect(verifier.verify(good)).resolves.toMatchObject({ role: 'participant' });
  });
});
