import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateJwk, loadOrCreateDevKey, parsePrivateKeys, publicJwks, resolveSigningKeys } from './keys';

describe('signing keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a JSON array of private JWKs: the first signs, all are published without private parts', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const keys = parsePrivateKeys(
      JSON.stringify([
        { ...generatePrivateJwk(), kid: 'new' },
        { ...ed, kid: 'old' },
      ]),
    );
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      ['new', 'ES256'],
      ['old', 'EdDSA'],
    ]);
    const jwks = publicJwks(keys);
    expect(jwks.keys.map((k) => k.kid)).toEqual(['new', 'old']);
    for (const k of jwks.keys) {
      expect(k).not.toHaveProperty('d');
      expect(k).toMatchObject({ use: 'sig' });
    }
  });

  it('reads a PKCS#8 PEM named by AUTH_JWT_KID', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(parsePrivateKeys(pem, 'k-pem')[0]).toMatchObject({ kid: 'k-pem', alg: 'EdDSA' });
    expect(() => parsePrivateKeys(pem)).toThrow('AUTH_JWT_KID');
  });

  it.each([
    ['not json', 'expected a JSON array'],
    ['[]', 'at least one'],
    ['[{"kty":"OKP","crv":"Ed25519","x":"abc"}]', 'no kid'],
    [JSON.stringify([{ ...generatePrivateJwk(), d: undefined, kid: 'pub' }]), 'not a private JWK'],
    [
      JSON.stringify([
        { ...generatePrivateJwk(), kid: 'a' },
        { ...generatePrivateJwk(), kid: 'a' },
      ]),
      'unique',
    ],
    [
      JSON.stringify([{ ...generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }), kid: 'r' }]),
      'unsupported',
    ],
  ])('refuses %s', (raw, message) => {
    expect(() => parsePrivateKeys(raw)).toThrow(message);
  });

  it('generates the development key once, mode 0600, and reuses it', () => {
    const file = join(dir, 'nested', 'auth-dev-key.json');
    const first = loadOrCreateDevKey(file);
    const again = loadOrCreateDevKey(file);
    expect(again[0]?.kid).toBe(first[0]?.kid);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))[0]).toHaveProperty('d');
  });

  it('uses configured keys as they are and refuses to invent one in production', () => {
    const configured = parsePrivateKeys(JSON.stringify([{ ...generatePrivateJwk(), kid: 'prod' }]));
    expect(resolveSigningKeys({ signingKeys: configured, devKeyFile: join(dir, 'x.json') }, 'production')).toBe(configured);
    expect(() => resolveSigningKeys({ signingKeys: undefined, devKeyFile: join(dir, 'x.json') }, 'production')).toThrow(
      'no signing keys',
    );
  });
});
