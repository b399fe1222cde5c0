import { readFileSync } from 'node:fs';

/**
 * The kernel's count of connections dropped because a listen queue was full (Linux), or
 * undefined elsewhere. A herd of connections that overflows the BFF's accept queue waits for SYN
 * retransmits (1 s, 3 s, 7 s ...), which shows as a long latency tail.
 */
export function listenOverflows(): number | undefined {
  try {
    return parseNetstat(readFileSync('/proc/net/netstat', 'utf8'))['TcpExt:ListenOverflows'];
  } catch {
    return undefined;
  }
}

/** `/proc/net/netstat` holds pairs of lines: names, then values, each prefixed by a section. */
export function parseNetstat(text: string): Record<string, number> {
  const lines = text.trim().split('\n');
  const counters: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const section = names[0];
    for (let j = 1; j < names.length; j++) counters[`${section}${names[j]}`] = Number(values[j]);
  }
  return counters;
}
