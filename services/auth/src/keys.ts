import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { loadOrCreateFile } from '@fcfs/kit';
import type { JSONWebKeySet, JWK } from 'jose';

export type SigningAlgorithm = 'EdDSA' | 'ES256';

/** One key pair the service signs with (the first) or only publishes (the rest, during rotation). */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicJwk: JWK;
}

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}: use Ed25519 (EdDSA) or P-256 (ES256)`);
}

function signingKey(privateKey: KeyObject, kid: string): SigningKey {
  if (privateKey.type !== 'private') throw new Error(`key ${kid} is not a private key`);
  const alg = algorithmOf(privateKey);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/**
 * Parses `AUTH_JWT_PRIVATE_KEYS`: a JSON array of private JWKs (each with `kid`; the first
 * signs, all are published), a single JWK, a `{"keys":[...]}` set, or a PKCS#8 PEM named by `pemKid`.
 * Throws an Error naming the problem (without the key material).
 */
export function parsePrivateKeys(raw: string, pemKid?: string): SigningKey[] {
  const text = raw.trim();
  if (text.startsWith('-----BEGIN')) {
    if (pemKid === undefined) throw new Error('a PEM key needs AUTH_JWT_KID to name it');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw new Error('the PEM is not a readable private key');
    }
    return [signingKey(key, pemKid)];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('expected a JSON array of private JWKs or a PEM private key');
  }
  const list: unknown = Array.isArray(parsed) ? parsed : ((parsed as { keys?: unknown }).keys ?? [parsed]);
  if (!Array.isArray(list) || list.length === 0) throw new Error('expected at least one private JWK');
  const keys = list.map((jwk: unknown, i) => {
    const kid = (jwk as { kid?: unknown } | null)?.kid;
    if (typeof kid !== 'string' || kid === '') throw new Error(`key ${i} has no kid`);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw new Error(`key ${kid} is not a private JWK (it needs "d")`);
    }
    return signingKey(key, kid);
  });
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

/**
 * A fresh P-256 (ES256) key as a private JWK with a random kid. ES256 rather than Ed25519: every
 * apply of a herd carries a token the BFF has not seen, and with this OpenSSL (3.0) a P-256
 * verify costs 65 µs against Ed25519's 105 µs (node:crypto one-shot, this machine, idle).
 */
export function generatePrivateJwk(): JWK {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: `dev-${randomBytes(4).toString('hex')}`, alg: 'ES256' };
}

/**
 * The development key: generated once and kept in `file` (mode 0600), so the service and
 * the token-minting command sign with the same key across restarts; concurrent first runs agree.
 */
export function loadOrCreateDevKey(file: string): SigningKey[] {
  let text: string;
  try {
    text = loadOrCreateFile(file, () => `${JSON.stringify([generatePrivateJwk()])}\n`);
    return parsePrivateKeys(text);
  } catch (err) {
    throw new Error(`cannot use the development key ${file}: ${(err as Error).message}`);
  }
}

/** The configured keys, or (outside production) the persisted development key. */
export function resolveSigningKeys(
  tokens: { signingKeys: SigningKey[] | undefined; devKeyFile: string },
  nodeEnv: string,
): SigningKey[] {
  if (tokens.signingKeys !== undefined) return tokens.signingKeys;
  if (nodeEnv === 'production') throw new Error('no signing keys configured (AUTH_JWT_PRIVATE_KEYS)');
  return loadOrCreateDevKey(tokens.devKeyFile);
}

/** What GetPublicKeys publishes: every key's public half, with its kid. */
export function publicJwks(keys: readonly SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((k) => k.publicJwk) };
}
