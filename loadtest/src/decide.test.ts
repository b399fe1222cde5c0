import { parseDecideOptions } from './decide';

describe('parseDecideOptions', () => {
  it('defaults to 20,000 applications on a stock of 1,000 and the issuer’s own chunk size', () => {
    expect(parseDecideOptions([], {})).toEqual({
      applications: 20_000,
      stock: 1_000,
      chunk: undefined,
      mysqlUrl: 'mysql://root@127.0.0.1:3306/fcfs',
      redisUrl: 'redis://127.0.0.1:6379',
      brokers: ['127.0.0.1:9092'],
    });
  });

  it('reads the options and the infrastructure from the environment', () => {
    expect(
      parseDecideOptions(['--applications', '100000', '--stock', '100000', '--chunk', '5000'], {
        KAFKA_BROKERS: 'a:1,b:2',
      }),
    ).toMatchObject({ applications: 100_000, stock: 100_000, chunk: 5_000, brokers: ['a:1', 'b:2'] });
  });

  it('names the bad option', () => {
    expect(() => parseDecideOptions(['--applications', 'lots'], {})).toThrow(
      '--applications must be a positive integer, got "lots"',
    );
    expect(() => parseDecideOptions(['--chunk', '0'], {})).toThrow('--chunk must be a positive integer');
    expect(() => parseDecideOptions(['--partitions', '2'], {})).toThrow();
  });
});
