// Authenticated internal calls: every gRPC call between the platform's parts carries a short-lived
// service token (a JWT signed with the calling part's own Ed25519 key) in `x-service-token`; the kit's
// server checks it before any handler runs. The caller's name is the token's `sub`; what a caller may
// do is decided here (CALLER_GRANTS), never by the token alone: a token can only narrow its grants.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InterceptingCall, type Interceptor, type Metadata } from '@grpc/grpc-js';
import { decodeJwt, jwtVerify } from 'jose';
import { ServiceError, GrpcStatus } from './errors';

/** The parts that call internal services. `ops`: the operator CLI and the load test's checks. */
export type Caller = 'bff' | 'event' | 'issuer' | 'ops';
export const CALLERS: readonly Caller[] = ['bff', 'event', 'issuer', 'ops'];

/** `participant`: act for any participant (the BFF checked their session); `admin`: admin RPCs and gift codes. */
export type Scope = 'participant' | 'admin';

/** What one RPC requires: any authenticated caller, or a scope. */
export type Access = 'caller' | Scope;

/** What each caller may ever do, whatever its token claims. */
export const CALLER_GRANTS: Readonly<Record<Caller, readonly Scope[]>> = {
  bff: ['participant', 'admin'],
  ops: ['admin'],
  event: [],
  issuer: [],
};

export const SERVICE_TOKEN_METADATA = 'x-service-token';
export const SERVICE_TOKEN_ISSUER = 'fcfs-internal';
/** A token lives two minutes and is re-minted after one; a verifying clock may be 30 s off. */
const TOKEN_LIFETIME_S = 120;
const TOKEN_REUSE_S = 60;
const CLOCK_TOLERANCE_S = 30;

/** A calling part's identity: its name, the scopes it asks for, and its private key. */
export interface ServiceCredentials {
  caller: Caller;
  scopes: readonly Scope[];
  privateKey: KeyObject;
}

/** What a server learnt about the caller of one call. */
export interface CallerIdentity {
  caller: Caller;
  scopes: ReadonlySet<Scope>;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints the caller's token for one service (`aud` = the gRPC service name, e.g. `fcfs.v1.EventService`,
 * so a token one service saw is no good at another), reused until half its lifetime is gone.
 * Synchronous (node:crypto Ed25519), so the client interceptor needs no promise per call.
 */
export function serviceTokenMinter(credentials: ServiceCredentials, now: () => number = Date.now): (audience: string) => string {
  const cache = new Map<string, { token: string; renewAt: number }>();
  const header = b64url({ alg: 'EdDSA', typ: 'JWT' });
  return (audience) => {
    const at = now();
    const cached = cache.get(audience);
    if (cached !== undefined && at < cached.renewAt) return cached.token;
    const iat = Math.floor(at / 1000);
    const payload = b64url({
      iss: SERVICE_TOKEN_ISSUER,
      sub: credentials.caller,
      aud: audience,
      scope: credentials.scopes.join(' '),
      iat,
      exp: iat + TOKEN_LIFETIME_S,
      jti: randomBytes(8).toString('hex'),
    });
    const input = `${header}.${payload}`;
    const token = `${input}.${sign(null, Buffer.from(input), credentials.privateKey).toString('base64url')}`;
    cache.set(audience, { token, renewAt: at + TOKEN_REUSE_S * 1000 });
    return token;
  };
}

/** `/fcfs.v1.EventService/Apply` → `fcfs.v1.EventService`. */
export function serviceOfPath(path: string): string {
  return path.slice(1, path.lastIndexOf('/'));
}

/** A client interceptor that puts the caller's token for the called service on every call. */
export function serviceTokenInterceptor(credentials: ServiceCredentials): Interceptor {
  const mint = serviceTokenMinter(credentials);
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(SERVICE_TOKEN_METADATA, mint(serviceOfPath(options.method_definition.path)));
        next(metadata, listener);
      },
    });
}

/** The public keys a server trusts, by caller (more than one during a rotation). */
export type TrustedCallers = ReadonlyMap<Caller, readonly KeyObject[]>;

export type ServiceAuthenticator = (metadata: Metadata, path: string, access: Access) => Promise<CallerIdentity>;

const unauthenticated = (message: string) => new ServiceError(GrpcStatus.UNAUTHENTICATED, message);

/**
 * Checks a call's service token and the RPC's access rule: no token, a bad signature, an expired
 * token, another service's token or an unknown caller is UNAUTHENTICATED; a caller without the
 * scope the RPC needs is PERMISSION_DENIED. Verified tokens are remembered until they expire: a
 * caller reuses one token for a minute, so a busy server verifies a signature about once a minute
 * per caller process.
 */
export function createServiceAuthenticator(trusted: TrustedCallers, now: () => number = Date.now): ServiceAuthenticator {
  const verified = new Map<string, { identity: CallerIdentity; expiresAt: number }>();
  const CACHE_MAX = 10_000;

  async function identify(token: string, service: string): Promise<CallerIdentity> {
    const key = `${service} ${token}`;
    const hit = verified.get(key);
    if (hit !== undefined && now() < hit.expiresAt) return hit.identity;
    let sub: unknown;
    try {
      sub = decodeJwt(token).sub;
    } catch {
      throw unauthenticated('the service token is malformed');
    }
    const caller = CALLERS.find((c) => c === sub);
    const keys = caller === undefined ? undefined : trusted.get(caller);
    if (caller === undefined || keys === undefined || keys.length === 0)
      throw unauthenticated(`the service token names an unknown caller`);
    let payload: { scope?: unknown; exp?: number } | undefined;
    for (const publicKey of keys) {
      try {
        ({ payload } = await jwtVerify(token, publicKey, {
          issuer: SERVICE_TOKEN_ISSUER,
          audience: service,
          algorithms: ['EdDSA'],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat'],
        }));
        break;
      } catch {
        // the next key of a rotation, or none
      }
    }
    if (payload === undefined) throw unauthenticated('the service token is invalid or expired');
    const claimed = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    const scopes = new Set(CALLER_GRANTS[caller].filter((s) => claimed.includes(s)));
    const identity: CallerIdentity = { caller, scopes };
    if (verified.size >= CACHE_MAX) verified.clear();
    verified.set(key, { identity, expiresAt: ((payload.exp ?? 0) + CLOCK_TOLERANCE_S) * 1000 });
    return identity;
  }

  return async (metadata, path, access) => {
    const token = metadata.get(SERVICE_TOKEN_METADATA)[0];
    if (typeof token !== 'string' || token === '')
      throw unauthenticated(`no service token: internal calls need ${SERVICE_TOKEN_METADATA}`);
    const identity = await identify(token, serviceOfPath(path));
    if (access !== 'caller' && !identity.scopes.has(access)) {
      throw new ServiceError(GrpcStatus.PERMISSION_DENIED, `${identity.caller} may not call ${path} (needs the ${access} scope)`);
    }
    return identity;
  };
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} must be an Ed25519 key`);
  return key;
}

/** A private Ed25519 key from a PKCS#8 PEM or a private JWK (JSON). Errors never include the key. */
export function parseServicePrivateKey(raw: string): KeyObject {
  const text = raw.trim();
  let key: KeyObject;
  try {
    key = text.startsWith('-----BEGIN')
      ? createPrivateKey({ key: text, format: 'pem' })
      : createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' });
  } catch {
    throw new Error('expected an Ed25519 private key as a PKCS#8 PEM or a private JWK');
  }
  return ed25519(key, 'the key');
}

function parsePublicKey(value: unknown, caller: string): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof value === 'string'
        ? createPublicKey({ key: value, format: 'pem' })
        : createPublicKey({ key: value as JsonWebKey, format: 'jwk' });
  } catch {
    throw new Error(`the key of ${caller} is not a public key (PEM or JWK)`);
  }
  // A private JWK also yields a public key; a server has no business holding it.
  if (typeof value === 'object' && value !== null && 'd' in value) throw new Error(`the key of ${caller} is a private key`);
  return ed25519(key, `the key of ${caller}`);
}

/**
 * `SERVICE_TOKEN_PUBLIC_KEYS`: a JSON object from caller name to its public key (a JWK, or a PEM
 * string), or to a list of them while a key is rotated: `{"bff": {...jwk}, "ops": ["-----BEGIN...", {...}]}`.
 */
export function parseTrustedCallers(raw: string): TrustedCallers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('expected a JSON object from caller name to public key(s)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('expected a JSON object from caller name to public key(s)');
  const trusted = new Map<Caller, KeyObject[]>();
  for (const [name, value] of Object.entries(parsed)) {
    const caller = CALLERS.find((c) => c === name);
    if (caller === undefined) throw new Error(`unknown caller ${name} (known: ${CALLERS.join(', ')})`);
    trusted.set(
      caller,
      (Array.isArray(value) ? value : [value]).map((v: unknown) => parsePublicKey(v, name)),
    );
  }
  return trusted;
}

/**
 * A file created once, atomically, by whichever process gets there first: concurrent first runs
 * agree (a finished temp file is linked into place; the loser reads the winner's). Mode 0600.
 */
export function loadOrCreateFile(file: string, create: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, create(), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  return readFileSync(file, 'utf8');
}

/** The development service key every local process shares (generated on first use; never in production). */
export function loadOrCreateServiceDevKey(file: string): KeyObject {
  const text = loadOrCreateFile(file, () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return `${JSON.stringify(privateKey.export({ format: 'jwk' }))}\n`;
  });
  try {
    return parseServicePrivateKey(text);
  } catch (err) {
    throw new Error(`cannot use the development service key ${file}: ${(err as Error).message}`);
  }
}

/** Every caller trusted with the development key's public half: what a server outside production trusts. */
export function devTrustedCallers(devKey: KeyObject): TrustedCallers {
  const publicKey = createPublicKey(devKey);
  return new Map(CALLERS.map((c) => [c, [publicKey]]));
}
