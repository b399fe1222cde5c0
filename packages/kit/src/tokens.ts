import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { JSONWebKeySet, JWK } from 'jose';
import { ServiceError } from './errors';

export type Role = 'admin' | 'participant';

/** What a verified session token says about its bearer. */
export interface SessionClaims {
  participantId: string;
  email: string;
  role: Role;
  /** Expiry, epoch seconds. */
  exp: number;
}

export const TOKEN_ISSUER = 'fcfs-auth';
export const TOKEN_AUDIENCE = 'fcfs';
export const TOKEN_ALGORITHMS = ['EdDSA', 'ES256'];

export interface TokenVerifierOptions {
  /** Fetches the JWKS (from AuthService.GetPublicKeys). */
  loadJwks: () => Promise<JSONWebKeySet>;
  /** Verified tokens kept in memory, so a participant's later requests skip the signature check. */
  cacheSize?: number;
  /** Refetch the JWKS for an unknown key id at most this often. */
  refreshIntervalMs?: number;
  /**
   * Refetch the JWKS when it is older than this (checked on use), so a key removed from it is refused,
   * and the tokens it verified are dropped from the cache, within this period.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export interface TokenVerifier {
  /** Verifies a compact JWT; throws ServiceError UNAUTHENTICATED when it is not valid. */
  verify(token: string): Promise<SessionClaims>;
}

type Algorithm = 'EdDSA' | 'ES256';

interface PublicKey {
  alg: Algorithm;
  key: KeyObject;
}

/** Why a token was refused; only `expired` and `unknown key` are told apart to the caller. */
class TokenRejected extends Error {
  constructor(
    message: string,
    readonly expired = false,
    readonly unknownKey = false,
  ) {
    super(message);
  }
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The algorithm a published key is for: its `alg`, or what its curve implies. */
function algorithmOf(jwk: JWK): Algorithm | undefined {
  if (jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
  if (jwk.alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (jwk.alg !== undefined) return undefined;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

/** Public keys by key id; keys without an id, of another algorithm, or private parts are ignored. */
function importKeys(jwks: JSONWebKeySet): Map<string, PublicKey> {
  const keys = new Map<string, PublicKey>();
  for (const jwk of jwks.keys ?? []) {
    const alg = algorithmOf(jwk);
    if (typeof jwk.kid !== 'string' || alg === undefined || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    const { kty, crv, x, y } = jwk;
    const publicOnly = kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x };
    keys.set(jwk.kid, { alg, key: createPublicKey({ key: publicOnly as Record<string, string>, format: 'jwk' }) });
  }
  return keys;
}

function signatureValid(key: PublicKey, data: Buffer, sig: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (err: Error | null, valid: boolean) => resolve(err === null && valid);
    if (key.alg === 'EdDSA') verifySignature(null, data, key.key, sig, done);
    else verifySignature('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig, done);
  });
}

function decodeJson(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRejected('malformed token');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRejected('malformed token');
  return value as Record<string, unknown>;
}

/**
 * Checks a compact JWS (RFC 7515) signed by one of `keys` and its claims (RFC 7519): the
 * algorithm is the key's own (never taken from the token alone), `crit` extensions are refused,
 * and issuer, audience, expiry and not-before are enforced with no clock tolerance.
 * Node's one-shot `crypto.verify` with a cached KeyObject, in its callback form: the signature
 * check (about 0.1 ms of CPU) runs on libuv's thread pool, off the event loop. The herd's every
 * apply carries a token never seen before, so this runs once per participant on the hot path, and
 * on the BFF's loop it was a quarter of the herd's CPU (loadtest profile, 2026-11-22).
 */
export async function verifyCompactToken(
  token: string,
  keys: ReadonlyMap<string, PublicKey>,
  nowMs: number,
): Promise<SessionClaims> {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) throw new TokenRejected('malformed token');
  const [head, body, signature] = parts as [string, string, string];
  const header = decodeJson(head);
  if (header['crit'] !== undefined || header['b64'] !== undefined) throw new TokenRejected('unsupported token header');
  const kid = header['kid'];
  if (typeof kid !== 'string') throw new TokenRejected('token has no key id');
  const key = keys.get(kid);
  if (key === undefined) throw new TokenRejected('unknown key id', false, true);
  if (header['alg'] !== key.alg) throw new TokenRejected('token algorithm does not match its key');
  const data = Buffer.from(`${head}.${body}`, 'ascii');
  const sig = Buffer.from(signature, 'base64url');
  if (!(await signatureValid(key, data, sig))) throw new TokenRejected('bad signature');

  const claims = decodeJson(body);
  const { iss, aud, exp, nbf, sub, email, role } = claims;
  const nowSeconds = nowMs / 1000;
  if (iss !== TOKEN_ISSUER) throw new TokenRejected('wrong issuer');
  if (aud !== TOKEN_AUDIENCE && !(Array.isArray(aud) && aud.includes(TOKEN_AUDIENCE))) throw new TokenRejected('wrong audience');
  if (typeof exp !== 'number') throw new TokenRejected('token has no expiry');
  if (exp <= nowSeconds) throw new TokenRejected('expired', true);
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) throw new TokenRejected('token not valid yet');
  if (typeof sub !== 'string' || typeof email !== 'string' || (role !== 'admin' && role !== 'participant')) {
    throw new TokenRejected('token claims are incomplete');
  }
  return { participantId: sub, email, role, exp };
}

/** The key id a compact token names (undefined when it names none): what the cache files it under. */
function keyIdOf(token: string): string | undefined {
  try {
    const kid = decodeJson(token.slice(0, token.indexOf('.')))['kid'];
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies session tokens locally with the auth service's public keys: fetched once, again when a
 * token names a key id we do not know (key rotation), and again once they are `maxAgeMs` old, when
 * every key no longer published is dropped with the verified tokens it signed (key removal).
 */
export function createTokenVerifier({
  loadJwks,
  cacheSize = 100_000,
  refreshIntervalMs = 30_000,
  maxAgeMs = 60_000,
  now = Date.now,
}: TokenVerifierOptions): TokenVerifier {
  let keys: Map<string, PublicKey> | undefined;
  let loadedAt = 0;
  let loading: Promise<Map<string, PublicKey>> | undefined;
  const cache = new Map<string, { claims: SessionClaims; kid: string | undefined }>();
  // A token already being checked (a subscriber's connection_init and its apply, say) is checked once.
  const checking = new Map<string, Promise<SessionClaims>>();

  const load = (): Promise<Map<string, PublicKey>> => {
    loading ??= loadJwks()
      .then((jwks) => {
        const fresh = importKeys(jwks);
        const removed = [...(keys?.keys() ?? [])].filter((kid) => !fresh.has(kid));
        if (removed.length > 0) {
          for (const [token, entry] of cache) if (entry.kid === undefined || removed.includes(entry.kid)) cache.delete(token);
        }
        keys = fresh;
        loadedAt = now();
        return keys;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  /** The keys, fetched again first when they are older than `maxAgeMs` (the old ones serve if that fails). */
  // After a failed refetch the old keys serve, and the next try waits `refreshIntervalMs`: with the auth
  // service down, requests must not each wait for its deadline.
  let failedAt = -Infinity;
  const stale = (): boolean => keys !== undefined && now() - loadedAt >= maxAgeMs && now() - failedAt >= refreshIntervalMs;
  const current = async (): Promise<Map<string, PublicKey>> => {
    if (keys === undefined) return load();
    if (stale()) {
      try {
        return await load();
      } catch {
        failedAt = now();
        return keys;
      }
    }
    return keys;
  };

  const check = async (token: string): Promise<SessionClaims> => {
    try {
      try {
        return await verifyCompactToken(token, await current(), now());
      } catch (err) {
        if (!(err instanceof TokenRejected && err.unknownKey) || now() - loadedAt < refreshIntervalMs) throw err;
        return await verifyCompactToken(token, await load(), now());
      }
    } catch (err) {
      if (err instanceof TokenRejected) {
        throw ServiceError.unauthenticated(err.expired ? 'the session token has expired' : 'the session token is not valid');
      }
      throw ServiceError.unavailable('could not load the token keys', err);
    }
  };

  return {
    async verify(token) {
      // Stale keys are fetched again before a cached verification is believed: it may be of a removed key.
      if (stale()) await current();
      const cached = cache.get(token);
      if (cached !== undefined) {
        if (cached.claims.exp * 1000 > now()) return cached.claims;
        cache.delete(token);
        throw ServiceError.unauthenticated('the session token has expired');
      }
      let pending = checking.get(token);
      if (pending === undefined) {
        pending = check(token).finally(() => checking.delete(token));
        checking.set(token, pending);
      }
      const claims = await pending;
      if (cache.has(token)) return claims;
      const kid = keyIdOf(token);
      // Its key was removed while it was being checked.
      if (kid !== undefined && keys !== undefined && !keys.has(kid))
        throw ServiceError.unauthenticated('the session token is not valid');
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(token, { claims, kid });
      return claims;
    },
  };
}

/** The bearer token of an `authorization` header or metadata value, if any. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+)\s*$/i.exec(value);
  return match?.[1];
}

/** Verifies the forwarded session token of a gRPC call and requires the admin role. */
export async function requireAdmin(metadata: Metadata, verifier: TokenVerifier): Promise<SessionClaims> {
  const token = bearerToken(metadata.get('authorization')[0]);
  if (token === undefined) throw ServiceError.unauthenticated('an admin session token is required');
  const claims = await verifier.verify(token);
  if (claims.role !== 'admin') throw ServiceError.permissionDenied();
  return claims;
}
