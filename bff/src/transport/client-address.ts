import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The client's address as the limits see it. Behind `trustedHops` proxies that each append the
 * address they received from to `X-Forwarded-For` (a Kubernetes ingress, a cloud load balancer),
 * the client is the entry `trustedHops` from the right: everything left of it was written by the
 * client and is not believed. An entry that is missing or is not an IP address (`net.isIP`) falls
 * back to the socket's peer, so a spoofed or garbled header lands in the proxy's one bucket rather
 * than in a fresh one per request. IPv6 addresses are bucketed by their /64 (one subscriber's
 * prefix), IPv4-mapped IPv6 addresses are read as IPv4: every key is a short, valid address.
 */
export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? '';
  if (trustedHops > 0) {
    const header = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const entry = entries.length >= trustedHops ? entries[entries.length - trustedHops]?.trim() : undefined;
    const bucket = entry === undefined ? undefined : addressBucket(entry);
    if (bucket !== undefined) return bucket;
  }
  return addressBucket(peer) ?? 'unknown';
}

/** The limiter's key for one address: IPv4 as is, IPv6 as its /64 prefix; undefined when not an address. */
export function addressBucket(raw: string): string | undefined {
  const address = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const groups = ipv6Groups(address.split('%')[0] ?? address);
  if (groups === undefined) return undefined;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = address.slice(0, dotted.index);
  }
  const [left = '', right] = text.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part
          .split(':')
          .filter((g) => g !== '')
          .map((g) => Number.parseInt(g, 16));
  const head = parse(left);
  const rest = right === undefined ? [] : parse(right);
  const fill = 8 - tail.length - head.length - rest.length;
  if (fill < 0 || (right === undefined && fill !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
