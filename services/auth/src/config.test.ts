import { generateKeyPairSync } from 'node:crypto';
import { generatePrivateJwk } from './keys';
import { configSchema } from './config';

const parse = (env: Record<string, string>) => configSchema.safeParse(env);

describe('auth configuration', () => {
  it('has working development defaults', () => {
    const result = parse({});
    expect(result.success).toBe(true);
    if (!result.success) return;
    const c = result.data;
    expect(c.grpc.port).toBe(7051);
    expect(c.metrics.port).toBe(9101);
    expect(c.codes).toMatchObject({ redisPrefix: 'auth:', ttlSeconds: 300, maxAttempts: 5 });
    expect(c.throttle).toEqual({
      cooldownSeconds: 60,
      perAddress: { max: 5, totalMax: 20, windowSeconds: 3600 },
      perIp: { max: 50, windowSeconds: 3600 },
      verifyFailures: { perClient: 100, global: 50_000, windowSeconds: 900 },
      sendTimeoutMs: 4000,
    });
    expect(c.tokens.ttlSeconds).toBe(7200);
    expect(c.tokens.signingKeys).toBeUndefined();
    expect([...c.adminEmails]).toEqual(['admin@fcfs.local']);
    expect(c.ses).toMatchObject({ endpoint: 'http://127.0.0.1:8005', region: 'eu-west-1', from: 'no-reply@fcfs.local' });
  });

  it('reads the limits, admins and keys', () => {
    const result = parse({
      AUTH_SEND_PER_IP_MAX: '100000',
      AUTH_ADMIN_EMAILS: ' Boss@Example.com , ops@example.com ',
      AUTH_JWT_PRIVATE_KEYS: JSON.stringify([{ ...generatePrivateJwk(), kid: 'k1' }]),
    });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.throttle.perIp.max).toBe(100000);
    expect([...result.data.adminEmails]).toEqual(['boss@example.com', 'ops@example.com']);
    expect(result.data.tokens.signingKeys?.[0]?.kid).toBe('k1');
  });

  it('requires keys and a code secret in production, naming each', () => {
    const result = parse({ NODE_ENV: 'production' });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['AUTH_JWT_PRIVATE_KEYS', 'AUTH_CODE_SECRET', 'SERVICE_TOKEN_PUBLIC_KEYS']));
  });

  it('has no admin and the real SES endpoint by default in production', () => {
    const result = parse({
      NODE_ENV: 'production',
      AUTH_CODE_SECRET: 'a-long-enough-production-secret',
      AUTH_JWT_PRIVATE_KEYS: JSON.stringify([{ ...generatePrivateJwk(), kid: 'k1' }]),
      REDIS_USERNAME: 'fcfs-auth',
      REDIS_PASSWORD: 'a-redis-password',
      SERVICE_TOKEN_PUBLIC_KEYS: JSON.stringify({ bff: generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) }),
    });
    expect(result.error?.issues ?? []).toEqual([]);
    if (!result.success) return;
    expect(result.data.adminEmails.size).toBe(0);
    expect(result.data.ses.endpoint).toBeUndefined();
  });

  it('reports an unreadable key without printing it', () => {
    const result = parse({ AUTH_JWT_PRIVATE_KEYS: '{"kid":"k","kty":"OKP","crv":"Ed25519","x":"AAAA","d":"secretish"}' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('secretish');
  });
});
