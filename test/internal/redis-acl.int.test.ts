// Each part on its own Redis ACL user, against a private redis-server started with an ACL file (the
// shared Redis is never reconfigured): the default user is off, so a client without credentials is
// refused; each part's user holds only its own key patterns and channels and the commands of
// redisAclRule (docs/security-internal.md), and the whole platform works on them: sign-in (auth's codes
// and the shared SES budget), the BFF's rate limits, an admin's event, an apply (the event service's
// Lua gate and Pub/Sub), the issuer's decision (its Lua, Pub/Sub, result e-mail budget) and the live
// status over WebSocket (the event service's subscription).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, defineConfig, redis, redisAclRule } from '@fcfs/kit';
import { Redis } from 'ioredis';
import { startPrivateRedis, stopPrivateRedis, type PrivateRedis } from '../../infra/infra';
import { eventually, randomSuffix, testLogger } from '../support';
import { gql, subscribe, wsClient, type Loose } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { createOpenEvent, signIn } from '../support/session';

jest.setTimeout(180_000);

// The production prefixes (the defaults): the rules below are the ones the docs give each part.
const PREFIX = { auth: 'auth:', stock: 'fcfs:', bff: 'bff:' };
const SES_BUDGET_KEY = 'fcfs:{ses}:send-budget';
const RULES = {
  auth: redisAclRule({ keys: [`${PREFIX.auth}*`, SES_BUDGET_KEY] }),
  event: redisAclRule({ keys: [`${PREFIX.stock}*`], channels: [`${PREFIX.stock}*`] }),
  issuer: redisAclRule({ keys: [`${PREFIX.stock}*`, SES_BUDGET_KEY], channels: [`${PREFIX.stock}*`] }),
  bff: redisAclRule({ keys: [`${PREFIX.bff}*`] }),
};
type Part = keyof typeof RULES;
const passwords = Object.fromEntries(Object.keys(RULES).map((p) => [p, randomBytes(12).toString('hex')])) as Record<Part, string>;

let privateRedis: PrivateRedis;
let platform: TestPlatform;
const disposers: (() => void)[] = [];

const url = () => `redis://${privateRedis.host}:${privateRedis.port}`;
const envOf = (part: Part): Record<string, string> => ({
  REDIS_URL: url(),
  REDIS_USERNAME: `fcfs-${part}`,
  REDIS_PASSWORD: passwords[part],
});
const asUser = (part: Part) => {
  const client = new Redis(url(), {
    username: `fcfs-${part}`,
    password: passwords[part],
    maxRetriesPerRequest: 0,
    lazyConnect: true,
  });
  disposers.push(() => client.disconnect());
  return client;
};

beforeAll(async () => {
  privateRedis = await startPrivateRedis({
    quiet: true,
    acl: [
      'user default off',
      ...Object.entries(RULES).map(([part, rule]) => `user fcfs-${part} on >${passwords[part as Part]} ${rule}`),
    ],
  });
  platform = await startTestPlatform({
    auth: { ...envOf('auth'), AUTH_REDIS_PREFIX: PREFIX.auth, SES_SEND_BUDGET_KEY: SES_BUDGET_KEY },
    event: { ...envOf('event'), STOCK_REDIS_PREFIX: PREFIX.stock },
    issuer: { ...envOf('issuer'), STOCK_REDIS_PREFIX: PREFIX.stock, SES_SEND_BUDGET_KEY: SES_BUDGET_KEY },
    bff: { ...envOf('bff'), BFF_REDIS_PREFIX: PREFIX.bff },
  });
}, 240_000);

afterAll(async () => {
  for (const dispose of disposers.splice(0)) dispose();
  await platform?.stop();
  if (privateRedis) await stopPrivateRedis(privateRedis);
});

it('refuses a client without credentials, and a wrong password', async () => {
  const anonymous = new Redis(url(), { maxRetriesPerRequest: 0, lazyConnect: true });
  anonymous.on('error', () => undefined);
  disposers.push(() => anonymous.disconnect());
  await anonymous.connect().catch(() => undefined);
  await expect(anonymous.get('fcfs:anything')).rejects.toThrow(/NOAUTH/);
  const refusals: string[] = [];
  const wrong = new Redis(url(), {
    username: 'fcfs-event',
    password: 'guessed',
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  wrong.on('error', (err: Error) => refusals.push(err.message));
  disposers.push(() => wrong.disconnect());
  await wrong.connect().catch(() => undefined);
  expect(refusals.join(' ')).toMatch(/WRONGPASS/);
});

it('runs the whole platform with each part on its own user', async () => {
  const admin = (await platform.mintTokens([platform.adminEmail]))[0]!.token;
  const eventId = await createOpenEvent(platform.url, admin, 1);
  const token = await signIn(platform.url, `acl-${randomSuffix()}@example.com`);

  const client = wsClient(platform.wsUrl, token);
  disposers.push(() => void client.dispose());
  const watch = subscribe<{ applicationStatus: Loose }>(
    client,
    'subscription($id: ID!) { applicationStatus(eventId: $id) { status giftCode } }',
    { id: eventId },
  );
  disposers.push(watch.dispose);
  const applied = await gql(platform.url, 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: eventId }, token);
  expect(applied.errors).toBeUndefined();
  expect(applied.data?.['apply'].outcome).toBe('ACCEPTED');
  const issued = await watch.until((v) => v.applicationStatus['status'] === 'ISSUED', 30_000);
  expect(issued.applicationStatus['giftCode']).toEqual(expect.any(String));

  // Each part wrote where its rule lets it, and only there.
  const keysOf = async (pattern: string) => {
    const all: string[] = [];
    const scanner = asUser('issuer');
    let cursor = '0';
    do {
      const [next, keys] = await scanner.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      all.push(...keys);
    } while (cursor !== '0');
    return all;
  };
  await eventually(async () => ((await keysOf(`${PREFIX.stock}ev:*`)).length > 0 ? true : undefined), 5_000, 'stock keys');
  expect(await asUser('auth').exists(SES_BUDGET_KEY)).toBe(1);
});

it("keeps each part out of the others' keys and channels, and away from dangerous commands", async () => {
  const bff = asUser('bff');
  await expect(bff.get(`${PREFIX.auth}code:someone`)).rejects.toThrow(/NOPERM/);
  await expect(bff.hgetall(`${PREFIX.stock}ev:{x}:state`)).rejects.toThrow(/NOPERM/);
  await expect(bff.publish(`${PREFIX.stock}ev:{x}:watch`, 'forged')).rejects.toThrow(/NOPERM/);
  const event = asUser('event');
  await expect(event.get(`${PREFIX.auth}code:someone`)).rejects.toThrow(/NOPERM/);
  const auth = asUser('auth');
  await expect(auth.get(`${PREFIX.stock}ev:{x}:state`)).rejects.toThrow(/NOPERM/);
  for (const part of ['auth', 'event', 'issuer', 'bff'] as const) {
    const user = asUser(part);
    await expect(user.flushall()).rejects.toThrow(/NOPERM/);
    await expect(user.keys('*')).rejects.toThrow(/NOPERM/);
    await expect(user.config('GET', 'requirepass')).rejects.toThrow(/NOPERM/);
  }
});

describe('over TLS', () => {
  let tlsRedis: PrivateRedis;
  let dir: string;
  let ca: string;

  beforeAll(async () => {
    // A throwaway CA and a certificate for 127.0.0.1 (openssl), then a TLS-only private Redis.
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    const run = (...args: string[]) => {
      const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
    };
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=fcfs-test-ca',
    );
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    tlsRedis = await startPrivateRedis({
      quiet: true,
      tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') },
      acl: ['user default off', `user fcfs-bff on >${passwords.bff} ${RULES.bff}`],
    });
  });

  afterAll(async () => {
    if (tlsRedis) await stopPrivateRedis(tlsRedis);
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = (environment: Record<string, string>) => defineConfig({ redis }).parse(environment).redis;
  const ping = async (client: Redis) => {
    client.on('error', () => undefined);
    disposers.push(() => client.disconnect());
    return client.ping();
  };

  it('connects with a rediss:// URL and REDIS_TLS_CA, as the part would', async () => {
    const configured = settings({
      REDIS_URL: `rediss://127.0.0.1:${tlsRedis.port}`,
      REDIS_USERNAME: 'fcfs-bff',
      REDIS_PASSWORD: passwords.bff,
      REDIS_TLS_CA: ca,
    });
    expect(configured.tls).toBe(true);
    expect(await ping(createRedis(configured, testLogger('redis-tls')))).toBe('PONG');
    // REDIS_TLS=true does the same for a redis:// URL.
    const flagged = settings({
      REDIS_URL: `redis://127.0.0.1:${tlsRedis.port}`,
      REDIS_TLS: 'true',
      REDIS_USERNAME: 'fcfs-bff',
      REDIS_PASSWORD: passwords.bff,
      REDIS_TLS_CA: ca,
    });
    expect(await ping(createRedis(flagged, testLogger('redis-tls')))).toBe('PONG');
  });

  it('is refused in plaintext, and without the CA that signed the server', async () => {
    const options = {
      username: 'fcfs-bff',
      password: passwords.bff,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2_000,
    };
    await expect(ping(new Redis(`redis://127.0.0.1:${tlsRedis.port}`, options))).rejects.toThrow();
    await expect(ping(new Redis(`rediss://127.0.0.1:${tlsRedis.port}`, options))).rejects.toThrow();
  });
});
