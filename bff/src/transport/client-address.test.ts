import type { IncomingMessage } from 'node:http';
import { addressBucket, clientAddress } from './client-address';

const request = (peer: string, forwardedFor?: string | string[]) =>
  ({
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    socket: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('is the socket peer without trusted proxies, whatever X-Forwarded-For says', () => {
    expect(clientAddress(request('192.0.2.1', '203.0.113.5'), 0)).toBe('192.0.2.1');
  });

  it('takes the entry the trusted proxies appended, from the right, never what the client wrote before it', () => {
    expect(clientAddress(request('10.0.0.1', '1.2.3.4, 203.0.113.5'), 1)).toBe('203.0.113.5');
    expect(clientAddress(request('10.0.0.1', 'evil, 203.0.113.5, 10.0.0.7'), 2)).toBe('203.0.113.5');
    // Several header lines are one list.
    expect(clientAddress(request('10.0.0.1', ['1.2.3.4', '203.0.113.5']), 1)).toBe('203.0.113.5');
  });

  it('falls back to the socket peer for a missing, garbled or oversized entry', () => {
    expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', 'not-an-address'), 1)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', `${'9'.repeat(5000)}`), 1)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', '203.0.113.5'), 2)).toBe('10.0.0.1');
  });

  it('buckets IPv6 clients by their /64 and reads IPv4-mapped addresses as IPv4', () => {
    expect(clientAddress(request('10.0.0.1', '2001:db8:1:2:aaaa::1'), 1)).toBe('2001:db8:1:2::/64');
    expect(clientAddress(request('10.0.0.1', '2001:db8:1:2:bbbb:cccc:dddd:eeee'), 1)).toBe('2001:db8:1:2::/64');
    expect(clientAddress(request('::ffff:192.0.2.9'), 0)).toBe('192.0.2.9');
    expect(clientAddress(request('::1'), 0)).toBe('0:0:0:0::/64');
  });
});

describe('addressBucket', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['[2001:db8::1]', '2001:db8:0:0::/64'],
    ['2001:db8::1.2.3.4', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['1:2:3:4:5:6:7::', '1:2:3:4::/64'],
  ])('%s is %s', (raw, bucket) => expect(addressBucket(raw)).toBe(bucket));

  it.each(['', 'x', '1.2.3', '1.2.3.4.5', '2001:db8::1::2', 'a'.repeat(100)])('%s is no address', (raw) =>
    expect(addressBucket(raw)).toBeUndefined(),
  );
});
