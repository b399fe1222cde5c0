// Starts the auth service in-process against the real Redis, MariaDB and SES emulator,
// each harness with its own database, Redis key prefix and development key file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callUnary,
  createGrpcClient,
  devServiceCredentials,
  createTokenVerifier,
  grpcErrorInfo,
  type GrpcErrorInfo,
} from '@fcfs/kit';
import { AuthServiceClient } from '@fcfs/proto';
import {
  createTestDatabase,
  emailsTo,
  eventually,
  randomSuffix,
  dropRedisKeys,
  testLogger,
  urls,
  type TestDatabase,
} from './index';
import { configSchema, startAuth, type AuthConfig, type RunningAuth } from '@fcfs/auth';

export interface Shared {
  db: TestDatabase;
  prefix: string;
  keyDir: string;
  cleanup(): Promise<void>;
}

/** A database, a Redis prefix and a key directory that one or more service instances share. */
export async function createShared(): Promise<Shared> {
  const db = await createTestDatabase('fcfs_auth_test');
  const prefix = `test:auth:${randomSuffix()}:`;
  const keyDir = mkdtempSync(join(tmpdir(), 'auth-int-'));
  return {
    db,
    prefix,
    keyDir,
    async cleanup() {
      await dropRedisKeys([prefix]);
      await db.drop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

export function testConfig(shared: Shared, env: Record<string, string> = {}): AuthConfig {
  return configSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: urls.redis,
    MYSQL_URL: shared.db.url,
    SES_ENDPOINT: urls.ses,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    AUTH_REDIS_PREFIX: shared.prefix,
    AUTH_DEV_KEY_FILE: join(shared.keyDir, 'dev-key.json'),
    AUTH_CODE_SECRET: 'integration-test-code-secret',
    ...env,
  });
}

export interface TestAuth {
  auth: RunningAuth;
  client: AuthServiceClient;
  send(email: string, clientIp?: string): Promise<{ expiresInSeconds: number; resendAfterSeconds: number }>;
  verify(email: string, code: string, clientIp?: string): Promise<VerifyResult>;
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
  stop(): Promise<void>;
}

export interface VerifyResult {
  token: string;
  expiresAtMs: number;
  participant: { id: string; email: string; isAdmin: boolean } | undefined;
}

export async function startTestAuth(shared: Shared, env: Record<string, string> = {}): Promise<TestAuth> {
  const auth = await startAuth(testConfig(shared, env), { logger: testLogger('auth'), metrics: false });
  const client = createGrpcClient(AuthServiceClient, `127.0.0.1:${auth.grpcPort}`, devServiceCredentials('bff'));
  return {
    auth,
    client,
    send: (email, clientIp = '198.51.100.7') => callUnary(client.sendVerificationCode.bind(client), { email, clientIp }),
    verify: (email, code, clientIp = '198.51.100.7') => callUnary(client.verifyCode.bind(client), { email, code, clientIp }),
    jwks: async () =>
      JSON.parse((await callUnary(client.getPublicKeys.bind(client), {})).jwksJson) as { keys: Record<string, unknown>[] },
    async stop() {
      client.close();
      await auth.stop();
    },
  };
}

/** A kit token verifier fed by the service's GetPublicKeys, as the BFF builds it. */
export function verifierFor(t: TestAuth) {
  return createTokenVerifier({ loadJwks: () => t.jwks() as never });
}

export function randomAddress(tag = 'user'): string {
  return `${tag}-${randomSuffix(6)}@example.com`;
}

/** The code in the newest e-mail the emulator holds for the address. */
export async function codeFor(address: string, count = 1): Promise<string> {
  const emails = await eventually(
    async () => {
      const found = await emailsTo(address);
      return found.length >= count ? found : undefined;
    },
    10_000,
    `e-mail ${count} to ${address}`,
  );
  // The emulator's store keeps arrival order.
  const newest = emails[emails.length - 1];
  const code = /\b(\d{6})\b/.exec(newest?.body.text ?? '')?.[1];
  if (code === undefined) throw new Error('no code in the e-mail');
  return code;
}

/** The failure of a call that must fail. */
export async function failure(call: Promise<unknown>): Promise<GrpcErrorInfo> {
  try {
    await call;
  } catch (err) {
    return grpcErrorInfo(err);
  }
  throw new Error('the call succeeded');
}
