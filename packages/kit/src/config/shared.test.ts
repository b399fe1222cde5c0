import { defineConfig } from './fragment';
import { DEFAULT_PORTS, grpcServer, kafka, metricsServer, ses, stock, upstreams } from './shared';

describe('kafka', () => {
  const config = defineConfig({ kafka });

  it('has the local broker, the applications topics and the issuer group by default', () => {
    expect(config.parse({}).kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      applicationsTopic: 'applications',
      dlqTopic: 'applications.dlq',
      issuerGroup: 'issuer',
      connection: {},
    });
  });

  it('names the issuer group KAFKA_ISSUER_GROUP and still reads the deprecated KAFKA_GROUP_ID', () => {
    expect(config.parse({ KAFKA_ISSUER_GROUP: 'a' }).kafka.issuerGroup).toBe('a');
    expect(config.parse({ KAFKA_GROUP_ID: 'b' }).kafka.issuerGroup).toBe('b');
    expect(config.safeParse({ KAFKA_ISSUER_GROUP: 'a', KAFKA_GROUP_ID: 'b' }).success).toBe(false);
  });

  it('splits and checks the brokers', () => {
    expect(config.parse({ KAFKA_BROKERS: 'k1:9092, k2:9092' }).kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.safeParse({ KAFKA_BROKERS: 'k1' }).error?.issues[0]?.path[0]).toBe('KAFKA_BROKERS');
  });
});

describe('stock', () => {
  const config = defineConfig({ stock });

  it('names the prefix STOCK_REDIS_PREFIX and still reads the deprecated LINE_REDIS_PREFIX', () => {
    expect(config.parse({}).stock.redisPrefix).toBe('fcfs:');
    expect(config.parse({ STOCK_REDIS_PREFIX: 's:' }).stock.redisPrefix).toBe('s:');
    expect(config.parse({ LINE_REDIS_PREFIX: 'l:' }).stock.redisPrefix).toBe('l:');
  });
});

describe('ses', () => {
  const config = defineConfig({ ses });
  const keys = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' };

  it('outside production, sends to the local emulator with dummy credentials', () => {
    expect(config.parse({}).ses).toEqual({
      endpoint: 'http://127.0.0.1:8005',
      region: 'eu-west-1',
      from: 'no-reply@fcfs.local',
      accessKeyId: 'local',
      secretAccessKey: 'local',
      sendBudget: { ratePerSecond: 14, key: 'fcfs:{ses}:send-budget' },
    });
  });

  it('reads the account send rate once for the whole platform, refusing zero and words', () => {
    expect(config.parse({ SES_SEND_RATE_PER_SECOND: '200' }).ses.sendBudget.ratePerSecond).toBe(200);
    expect(config.parse({ SES_SEND_RATE_PER_SECOND: '1.5' }).ses.sendBudget.ratePerSecond).toBe(1.5);
    for (const bad of ['0', '-3', 'fast']) expect(config.safeParse({ SES_SEND_RATE_PER_SECOND: bad }).success).toBe(false);
  });

  it('in production, needs nothing more and uses AWS SES itself with the SDK credential chain', () => {
    expect(config.parse({ NODE_ENV: 'production' }).ses).toEqual({
      endpoint: undefined,
      region: 'eu-west-1',
      from: 'no-reply@fcfs.local',
      accessKeyId: undefined,
      secretAccessKey: undefined,
      sendBudget: { ratePerSecond: 14, key: 'fcfs:{ses}:send-budget' },
    });
  });

  it('never gives production dummy credentials, even for an explicit endpoint', () => {
    const production = config.parse({ NODE_ENV: 'production', SES_ENDPOINT: 'http://ses.internal:8005' }).ses;
    expect(production).toMatchObject({
      endpoint: 'http://ses.internal:8005',
      accessKeyId: undefined,
      secretAccessKey: undefined,
    });
    expect(config.parse({ NODE_ENV: 'production', ...keys }).ses).toMatchObject({
      accessKeyId: 'AKIA',
      secretAccessKey: 'secret',
    });
  });

  it('reads an empty endpoint as AWS SES itself in every environment', () => {
    expect(config.parse({ SES_ENDPOINT: '' }).ses).toMatchObject({ endpoint: undefined, accessKeyId: undefined });
    expect(config.parse({ SES_ENDPOINT: ' ', ...keys }).ses).toMatchObject({ endpoint: undefined, accessKeyId: 'AKIA' });
  });

  it('refuses a bad endpoint, a sender that is not an address, and one AWS key without the other', () => {
    const problems = (env: Record<string, string>) => config.safeParse(env).error?.issues.map((i) => i.path.join('.'));
    expect(problems({ SES_ENDPOINT: 'not a url', SES_FROM: 'nobody' })).toEqual(['SES_ENDPOINT', 'SES_FROM']);
    expect(problems({ AWS_ACCESS_KEY_ID: 'AKIA' })).toEqual(['AWS_SECRET_ACCESS_KEY']);
    expect(problems({ NODE_ENV: 'production', AWS_SECRET_ACCESS_KEY: 'secret' })).toEqual(['AWS_ACCESS_KEY_ID']);
  });
});

describe('listeners and upstreams', () => {
  it('default to the ports npm start runs, and each service finds the others there', () => {
    const config = (service: 'auth' | 'event' | 'issuer') =>
      defineConfig({ grpc: grpcServer(service), metrics: metricsServer(service) }).parse({});
    // Loopback unless told otherwise (GRPC_HOST): a development machine does not serve its network.
    expect(config('auth')).toMatchObject({ grpc: { host: '127.0.0.1', port: 7051 }, metrics: { host: '127.0.0.1', port: 9101 } });
    expect(config('event')).toMatchObject({ grpc: { port: 7052 }, metrics: { port: 9102 } });
    expect(config('issuer')).toMatchObject({ grpc: { port: 7053 }, metrics: { port: 9103 } });
    expect(defineConfig({ upstream: upstreams('auth', 'event', 'issuer') }).parse({}).upstream).toEqual({
      auth: `127.0.0.1:${DEFAULT_PORTS.auth.grpc}`,
      event: '127.0.0.1:7052',
      issuer: '127.0.0.1:7053',
    });
  });

  it('reads each address from its own variable and checks it', () => {
    const config = defineConfig({ upstream: upstreams('auth') });
    expect(config.parse({ AUTH_ADDRESS: 'auth:50051' }).upstream).toEqual({ auth: 'auth:50051' });
    expect(config.safeParse({ AUTH_ADDRESS: 'auth' }).error?.issues[0]?.path).toEqual(['AUTH_ADDRESS']);
    // several replicas without DNS: grpc-js's static target, balanced round-robin
    const several = 'ipv4:127.0.0.1:7051,127.0.0.1:7061';
    expect(config.parse({ AUTH_ADDRESS: several }).upstream).toEqual({ auth: several });
    expect(config.safeParse({ AUTH_ADDRESS: 'ipv4:127.0.0.1' }).success).toBe(false);
  });
});

describe('the Kafka connection (kafkajs ssl and sasl)', () => {
  const connection = (environment: Record<string, string>) => defineConfig({ kafka }).safeParse(environment);

  it('is plaintext without SASL in development, and SCRAM-SHA-512 over TLS by default in production', () => {
    expect(connection({}).data?.kafka.connection).toEqual({});
    const production = connection({ NODE_ENV: 'production' });
    expect(production.error?.issues.map((i) => i.path[0]).sort()).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
    const configured = connection({ NODE_ENV: 'production', KAFKA_SASL_USERNAME: 'event', KAFKA_SASL_PASSWORD: 'pw' });
    expect(configured.data?.kafka.connection).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'event', password: 'pw' },
    });
  });

  it('takes the brokers CA, another mechanism, and plaintext when told', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(
      connection({
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA: pem,
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'issuer',
        KAFKA_SASL_PASSWORD: 'pw',
      }).data?.kafka.connection,
    ).toEqual({ ssl: { ca: [pem] }, sasl: { mechanism: 'scram-sha-256', username: 'issuer', password: 'pw' } });
    expect(
      connection({ NODE_ENV: 'production', KAFKA_TLS: 'false', KAFKA_SASL_MECHANISM: 'none' }).data?.kafka.connection,
    ).toEqual({});
  });

  it('names what is wrong', () => {
    const issues = (environment: Record<string, string>) =>
      connection(environment).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ KAFKA_TLS_CA: 'pem' })).toEqual(['KAFKA_TLS_CA: set only with TLS (KAFKA_TLS=true)']);
    expect(issues({ KAFKA_SASL_MECHANISM: 'gssapi' })?.[0]).toMatch(/^KAFKA_SASL_MECHANISM: /);
    expect(issues({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'event' })).toEqual([
      'KAFKA_SASL_PASSWORD: required with SASL (scram-sha-512): its password',
    ]);
  });
});
