import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { defineConfig, serviceIdentity, serviceTrust } from './config';
import { GrpcStatus } from './errors';
import {
  createServiceAuthenticator,
  loadOrCreateServiceDevKey,
  parseTrustedCallers,
  SERVICE_TOKEN_METADATA,
  serviceTokenMinter,
  type Caller,
  type Scope,
} from './service-tokens';

const EVENT_APPLY = '/fcfs.v1.EventService/Apply';
const ISSUER_LIST_GIFTS = '/fcfs.v1.IssuerService/ListGifts';

const keyPair = () => generateKeyPairSync('ed25519');
const bff = keyPair();
const ops = keyPair();
const event = keyPair();
const trusted = new Map<Caller, KeyObject[]>([
  ['bff', [bff.publicKey]],
  ['ops', [ops.publicKey]],
  ['event', [event.publicKey]],
]);

function metadataWith(token: string | undefined): Metadata {
  const md = new Metadata();
  if (token !== undefined) md.set(SERVICE_TOKEN_METADATA, token);
  return md;
}

function tokenFor(caller: Caller, privateKey: KeyObject, scopes: Scope[], audience: string, now = Date.now): string {
  return serviceTokenMinter({ caller, scopes, privateKey }, now)(audience);
}

describe('service tokens', () => {
  const authenticate = createServiceAuthenticator(trusted);

  it('admits the BFF acting for a participant, with its identity', async () => {
    const token = tokenFor('bff', bff.privateKey, ['participant', 'admin'], 'fcfs.v1.EventService');
    const identity = await authenticate(metadataWith(token), EVENT_APPLY, 'participant');
    expect(identity.caller).toBe('bff');
    expect([...identity.scopes].sort()).toEqual(['admin', 'participant']);
  });

  it('refuses a call without a token as UNAUTHENTICATED', async () => {
    await expect(authenticate(metadataWith(undefined), EVENT_APPLY, 'caller')).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
      message: expect.stringContaining('no service token'),
    });
  });

  it('refuses garbage, a token signed with another key, an unknown caller and an expired token', async () => {
    const cases = [
      'not-a-jwt',
      tokenFor('bff', keyPair().privateKey, ['participant'], 'fcfs.v1.EventService'),
      tokenFor('issuer', event.privateKey, [], 'fcfs.v1.EventService'),
      tokenFor('bff', bff.privateKey, ['participant'], 'fcfs.v1.EventService', () => Date.now() - 10 * 60_000),
    ];
    for (const token of cases) {
      await expect(authenticate(metadataWith(token), EVENT_APPLY, 'caller')).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
      });
    }
  });

  it('refuses a token minted for another service (a token one service saw is no good at another)', async () => {
    const token = tokenFor('bff', bff.privateKey, ['participant'], 'fcfs.v1.AuthService');
    await expect(authenticate(metadataWith(token), EVENT_APPLY, 'participant')).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
  });

  it('refuses a participant-acting call from anyone but the BFF, whatever its token claims', async () => {
    // The event service's own key, claiming a scope it was never granted.
    const token = tokenFor('event', event.privateKey, ['participant', 'admin'], 'fcfs.v1.EventService');
    await expect(authenticate(metadataWith(token), EVENT_APPLY, 'participant')).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      message: 'event may not call /fcfs.v1.EventService/Apply (needs the participant scope)',
    });
    // Any authenticated caller may read what every part may.
    await expect(authenticate(metadataWith(token), '/fcfs.v1.EventService/GetEvent', 'caller')).resolves.toMatchObject({
      caller: 'event',
    });
  });

  it('lists gifts only for admin-scoped callers', async () => {
    const narrowed = tokenFor('bff', bff.privateKey, ['participant'], 'fcfs.v1.IssuerService');
    await expect(authenticate(metadataWith(narrowed), ISSUER_LIST_GIFTS, 'admin')).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
    });
    const operator = tokenFor('ops', ops.privateKey, ['admin'], 'fcfs.v1.IssuerService');
    await expect(authenticate(metadataWith(operator), ISSUER_LIST_GIFTS, 'admin')).resolves.toMatchObject({ caller: 'ops' });
    // ops may never act for a participant.
    const participantOps = tokenFor('ops', ops.privateKey, ['participant'], 'fcfs.v1.EventService');
    await expect(authenticate(metadataWith(participantOps), EVENT_APPLY, 'participant')).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
    });
  });

  it('reuses one token for a minute, then mints a new one', () => {
    let now = 1_000_000;
    const mint = serviceTokenMinter({ caller: 'bff', scopes: ['participant'], privateKey: bff.privateKey }, () => now);
    const first = mint('fcfs.v1.EventService');
    now += 30_000;
    expect(mint('fcfs.v1.EventService')).toBe(first);
    expect(mint('fcfs.v1.IssuerService')).not.toBe(first);
    now += 31_000;
    expect(mint('fcfs.v1.EventService')).not.toBe(first);
  });
});

describe('service token keys and settings', () => {
  const schema = defineConfig({ identity: serviceIdentity('bff'), trust: serviceTrust });

  it('fails fast in production without keys, naming each variable', () => {
    const result = schema.safeParse({ NODE_ENV: 'production' });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SERVICE_TOKEN_PRIVATE_KEY: required in production/),
        expect.stringMatching(/^SERVICE_TOKEN_PUBLIC_KEYS: required in production/),
      ]),
    );
  });

  it('reads a PEM private key and a JSON map of public JWKs', () => {
    const pem = bff.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = bff.publicKey.export({ format: 'jwk' });
    const parsed = schema.parse({
      NODE_ENV: 'production',
      SERVICE_TOKEN_PRIVATE_KEY: pem,
      SERVICE_TOKEN_PUBLIC_KEYS: JSON.stringify({ bff: jwk, ops: [jwk] }),
    });
    expect(parsed.identity.privateKey?.asymmetricKeyType).toBe('ed25519');
    expect([...(parsed.trust.trusted?.keys() ?? [])]).toEqual(['bff', 'ops']);
  });

  it('names the problem with a bad key without printing it', () => {
    const result = schema.safeParse({
      SERVICE_TOKEN_PRIVATE_KEY: 'secret-material',
      SERVICE_TOKEN_PUBLIC_KEYS: '{"mallory": {}}',
    });
    const text = JSON.stringify(result.error?.issues);
    expect(text).toContain('expected an Ed25519 private key');
    expect(text).toContain('unknown caller mallory');
    expect(text).not.toContain('secret-material');
    expect(() => parseTrustedCallers(JSON.stringify({ bff: bff.privateKey.export({ format: 'jwk' }) }))).toThrow(
      'the key of bff is a private key',
    );
  });

  it('shares one development key between processes, created once with mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'service-key-'));
    try {
      const file = join(dir, 'nested', 'key.json');
      const first = loadOrCreateServiceDevKey(file);
      const second = loadOrCreateServiceDevKey(file);
      expect(second.export({ format: 'jwk' })).toEqual(first.export({ format: 'jwk' }));
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
