import * as path from 'node:path';
import { defaultOptions, parseOptions } from './options';

describe('parseOptions', () => {
  it('has the issue defaults', () => {
    expect(parseOptions([], '/repo')).toEqual({
      scenario: 'herd',
      participants: 10_000,
      stock: 1_000,
      connections: 1_000,
      subscribers: 1_000,
      url: undefined,
      timeoutMs: 300_000,
      outDir: path.resolve('/repo/loadtest/results'),
      ceiling: true,
      cpuProf: false,
      heapProf: false,
      coldConnections: false,
      warmup: 0,
      sesRate: undefined,
      line: 0,
      roomSeconds: 20,
      claimWindow: 0,
      noClaimShare: 0.2,
      maxOpenOffers: undefined,
    });
  });

  it('takes the waiting-room scenario and how long its room is open', () => {
    expect(parseOptions(['--scenario', 'waiting-room', '--room-seconds', '15'])).toMatchObject({
      scenario: 'waiting-room',
      roomSeconds: 15,
    });
    expect(() => parseOptions(['--room-seconds', '0'])).toThrow('--room-seconds must be a positive integer');
  });

  it('reads the claim window options, and refuses them where they mean nothing', () => {
    expect(parseOptions(['--claim-window', '5', '--no-claim-share', '0.3', '--max-open-offers', '50'])).toMatchObject({
      claimWindow: 5,
      noClaimShare: 0.3,
      maxOpenOffers: 50,
    });
    expect(() => parseOptions(['--no-claim-share', '0.3'])).toThrow('need --claim-window');
    expect(() => parseOptions(['--claim-window', '5', '--no-claim-share', '1.5'])).toThrow(
      '--no-claim-share must be a number from 0 to 1',
    );
    expect(() => parseOptions(['--claim-window', '5', '--scenario', 'signin'])).toThrow(
      '--claim-window runs with the herd scenario',
    );
  });

  it('gives the sign-in scenario the SES budget of issue 16 unless told, and only for a platform it starts', () => {
    expect(parseOptions(['--scenario', 'signin'])).toMatchObject({ sesRate: 200, line: 0 });
    expect(parseOptions(['--scenario', 'signin', '--ses-rate', '14', '--line', '2000'])).toMatchObject({
      sesRate: 14,
      line: 2000,
    });
    expect(parseOptions(['--scenario', 'signin', '--url', 'http://127.0.0.1:4000'])?.sesRate).toBeUndefined();
    expect(() => parseOptions(['--ses-rate', '200', '--url', 'http://127.0.0.1:4000'])).toThrow('drop --url');
    expect(() => parseOptions(['--ses-rate', '0'])).toThrow('--ses-rate must be a positive integer');
  });

  it('reads every option', () => {
    const options = parseOptions(
      [
        '--participants',
        '500',
        '--stock',
        '50',
        '--connections',
        '100',
        '--subscribers',
        '0',
        '--scenario',
        'signin',
        '--url',
        'http://127.0.0.1:4000/',
        '--timeout',
        '60',
        '--out',
        'x',
        '--no-ceiling',
        '--cold-connections',
        '--warmup',
        '2000',
      ],
      '/repo',
    );
    expect(options).toMatchObject({
      scenario: 'signin',
      participants: 500,
      stock: 50,
      connections: 100,
      subscribers: 0,
      url: 'http://127.0.0.1:4000',
      timeoutMs: 60_000,
      outDir: path.resolve('/repo/x'),
      ceiling: false,
      coldConnections: true,
      warmup: 2_000,
    });
  });

  it('never opens more connections or subscribers than there are participants', () => {
    expect(parseOptions(['--participants', '10'])).toMatchObject({ connections: 10, subscribers: 10 });
    expect(defaultOptions({ participants: 20 })).toMatchObject({ connections: 20, subscribers: 20 });
  });

  it('names the bad option', () => {
    expect(() => parseOptions(['--participants', 'many'])).toThrow('--participants must be a positive integer, got "many"');
    expect(() => parseOptions(['--scenario', 'stampede'])).toThrow('--scenario must be herd, signin or waiting-room');
    expect(() => parseOptions(['--url', 'ftp://x'])).toThrow('--url must be http(s)');
    expect(() => parseOptions(['--cpu-prof', '--url', 'http://127.0.0.1:4000'])).toThrow('drop --url');
    expect(() => parseOptions(['--bogus'])).toThrow();
  });

  it('answers null for --help', () => {
    expect(parseOptions(['--help'])).toBeNull();
  });
});
