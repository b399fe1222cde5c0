import { readFileSync } from 'node:fs';

export const USAGE = 'usage: mint-tokens (--count N [--domain loadtest.local] [--prefix user] | --emails FILE)';

/** The addresses to mint for: from a file (one a line, or a JSON array) or generated. */
export function addressesFrom(args: { count?: string; domain?: string; prefix?: string; emails?: string }): string[] {
  if (args.emails !== undefined) {
    const text = readFileSync(args.emails, 'utf8').trim();
    return text.startsWith('[')
      ? (JSON.parse(text) as string[])
      : text
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean);
  }
  const count = Number(args.count);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000)
    throw new Error(`--count must be an integer from 1 to 1000000\n${USAGE}`);
  const domain = args.domain ?? 'loadtest.local';
  const prefix = args.prefix ?? 'user';
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}@${domain}`);
}
