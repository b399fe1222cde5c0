import { generateKeyPairSync } from 'node:crypto';
import { notifierConfigSchema as schema } from './config';
import { configSchema as issuerConfigSchema } from '../config';

describe('notifier config', () => {
  it('defaults to the SES send rate of a new account and, outside production, the local emulator', () => {
    const config = schema.parse({});
    expect(config.notifier).toMatchObject({
      quietMs: 500,
      minRateWhileBusy: 2,
      bulk: { maxEntries: 50, lingerMs: 20 },
    });
    expect(config.ses).toEqual({
      endpoint: 'http://127.0.0.1:8005',
      region: 'eu-west-1',
      from: 'no-reply@fcfs.local',
      accessKeyId: 'local',
      secretAccessKey: 'local',
      sendBudget: { ratePerSecond: 14, key: 'fcfs:{ses}:send-budget' },
    });
  });

  it('reaches AWS itself with an empty endpoint, leaving credentials to the SDK unless given', () => {
    expect(schema.parse({ SES_ENDPOINT: '', SES_REGION: 'us-east-1' }).ses).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      from: 'no-reply@fcfs.local',
      accessKeyId: undefined,
      secretAccessKey: undefined,
      sendBudget: { ratePerSecond: 14, key: 'fcfs:{ses}:send-budget' },
    });
  });

  it('takes the send rate from the shared SES budget (a fractional one too) and refuses nonsense', () => {
    expect(schema.parse({ SES_SEND_RATE_PER_SECOND: '0.5' }).ses.sendBudget.ratePerSecond).toBe(0.5);
    expect(schema.safeParse({ SES_SEND_RATE_PER_SECOND: '0' }).success).toBe(false);
    expect(schema.safeParse({ SES_ENDPOINT: 'not a url' }).success).toBe(false);
    expect(schema.safeParse({ SES_FROM: 'nobody' }).success).toBe(false);
  });

  it('bounds a bulk call by the 50 entries SES takes', () => {
    expect(schema.parse({ NOTIFIER_BULK_SIZE: '1' }).notifier.bulk.maxEntries).toBe(1);
    expect(schema.safeParse({ NOTIFIER_BULK_SIZE: '51' }).success).toBe(false);
    expect(schema.safeParse({ NOTIFIER_BULK_SIZE: '0' }).success).toBe(false);
  });

  it('never defaults to the emulator in production', () => {
    // What production requires besides (docs/security-internal.md): the service keys, the Redis and Kafka users.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const production = {
      NODE_ENV: 'production',
      SERVICE_TOKEN_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      SERVICE_TOKEN_PUBLIC_KEYS: JSON.stringify({ bff: publicKey.export({ format: 'jwk' }) }),
      REDIS_USERNAME: 'fcfs-issuer',
      REDIS_PASSWORD: 'redis-password',
      KAFKA_SASL_USERNAME: 'fcfs-issuer',
      KAFKA_SASL_PASSWORD: 'kafka-password',
    };
    expect(issuerConfigSchema.parse(production).ses.endpoint).toBeUndefined();
    expect(issuerConfigSchema.parse({ NODE_ENV: 'development' }).ses.endpoint).toBe('http://127.0.0.1:8005');
    expect(issuerConfigSchema.parse({ ...production, SES_ENDPOINT: 'http://ses.internal:8005' }).ses.endpoint).toBe(
      'http://ses.internal:8005',
    );
  });
});
