import { z } from 'zod';
import { defaultSesEndpoint, notifierConfigSchema, sesSettings } from './config';
import { configSchema as issuerConfigSchema } from '../config';

const schema = z.object(notifierConfigSchema);

describe('notifier config', () => {
  it('defaults to the SES send rate of a new account and, outside production, the local emulator', () => {
    const config = schema.parse({});
    expect(config).toMatchObject({
      NOTIFIER_SEND_RATE: 14,
      NOTIFIER_QUIET_MS: 500,
      NOTIFIER_MIN_RATE_WHILE_BUSY: 2,
      SES_FROM: 'no-reply@fcfs.local',
    });
    expect(config.SES_ENDPOINT).toBeUndefined();
    expect(sesSettings({ ...config, SES_ENDPOINT: defaultSesEndpoint('development') })).toEqual({
      endpoint: 'http://127.0.0.1:8005',
      region: 'eu-west-1',
      accessKeyId: 'local',
      secretAccessKey: 'local',
    });
  });

  it('reaches AWS itself with an empty endpoint, leaving credentials to the SDK unless given', () => {
    expect(sesSettings(schema.parse({ SES_ENDPOINT: '', SES_REGION: 'us-east-1' }))).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      accessKeyId: undefined,
      secretAccessKey: undefined,
    });
  });

  it('accepts a fractional rate and refuses nonsense', () => {
    expect(schema.parse({ NOTIFIER_SEND_RATE: '0.5' }).NOTIFIER_SEND_RATE).toBe(0.5);
    expect(schema.safeParse({ NOTIFIER_SEND_RATE: '0' }).success).toBe(false);
    expect(schema.safeParse({ SES_ENDPOINT: 'not a url' }).success).toBe(false);
    expect(schema.safeParse({ SES_FROM: 'nobody' }).success).toBe(false);
  });

  it('never defaults to the emulator in production', () => {
    expect(issuerConfigSchema.parse({ NODE_ENV: 'production' }).notifier.SES_ENDPOINT).toBe('');
    expect(issuerConfigSchema.parse({ NODE_ENV: 'development' }).notifier.SES_ENDPOINT).toBe('http://127.0.0.1:8005');
    expect(
      issuerConfigSchema.parse({ NODE_ENV: 'production', SES_ENDPOINT: 'http://ses.internal:8005' }).notifier.SES_ENDPOINT,
    ).toBe('http://ses.internal:8005');
  });
});
