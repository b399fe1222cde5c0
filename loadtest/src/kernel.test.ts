import { parseNetstat } from './kernel';

it('reads the TcpExt counters of /proc/net/netstat', () => {
  const text = 'TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 0 42\nIpExt: InNoRoutes\nIpExt: 7\n';
  expect(parseNetstat(text)).toEqual({ 'TcpExt:SyncookiesSent': 0, 'TcpExt:ListenOverflows': 42, 'IpExt:InNoRoutes': 7 });
});
