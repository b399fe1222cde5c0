import { z } from 'zod';
import { env } from './env';
import { loadConfig } from './load';

const schema = z.object({
  PORT: env.port(50051),
  KAFKA_BROKERS: env.brokers(),
  ADMINS: env.list(),
  FLAG: env.bool(false),
});

describe('loadConfig', () => {
  it('applies defaults and coerces values', () => {
    const config = loadConfig(schema, { PORT: '7000', ADMINS: 'a@x.io, b@x.io', FLAG: 'true' }, { exit: false });
    expect(config).toEqual({ PORT: 7000, KAFKA_BROKERS: ['127.0.0.1:9092'], ADMINS: ['a@x.io', 'b@x.io'], FLAG: true });
  });

  it('reports every problem at once, naming each variable', () => {
    expect(() => loadConfig(schema, { PORT: '70000', KAFKA_BROKERS: 'nohost', FLAG: 'maybe' }, { exit: false })).toThrow(
      /PORT:.*\n.*KAFKA_BROKERS.*\n.*FLAG/s,
    );
  });
});
