import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A participant with a session token signed by the auth service's configured key. */
export interface MintedToken {
  participantId: string;
  email: string;
  token: string;
  expiresAtMs: number;
}

export const REPO_ROOT = path.resolve(__dirname, '../..');
const MINT_CLI = path.join(REPO_ROOT, 'tools/mint-tokens/dist/cli.js');

/**
 * Mints tokens with the operator's command (tools/mint-tokens) (never through an API): it upserts the
 * participants in MySQL and signs with the key `env` configures, as the auth service would.
 */
export async function mintTokens(emails: string[], env: Record<string, string | undefined>): Promise<MintedToken[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fcfs-loadtest-'));
  try {
    const file = path.join(dir, 'emails.txt');
    await writeFile(file, `${emails.join('\n')}\n`);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [MINT_CLI, '--emails', file],
        { env: { ...process.env, ...env, NODE_OPTIONS: '', LOG_LEVEL: 'warn' }, maxBuffer: 1024 * 1024 * 1024 },
        (err, out, errOut) => (err ? reject(new Error(`minting tokens failed: ${errOut.trim() || err.message}`)) : resolve(out)),
      );
    });
    const tokens = JSON.parse(stdout) as MintedToken[];
    if (tokens.length !== emails.length) throw new Error(`asked for ${emails.length} tokens, got ${tokens.length}`);
    return tokens;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The run's participants' addresses: a domain of their own, so the run's e-mails are easy to count. */
export function participantEmails(runId: string, count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `p-${String(i + 1).padStart(width, '0')}@${runDomain(runId)}`);
}

export function runDomain(runId: string): string {
  return `run-${runId}.loadtest.local`;
}
