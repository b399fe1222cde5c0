// Mints session tokens for load tests, straight from MySQL and the signing key:
//   node tools/mint-tokens/dist/cli.js --count 10000 --domain loadtest.local > tokens.json
//   node tools/mint-tokens/dist/cli.js --emails addresses.txt > tokens.json
// Prints a JSON array of { participantId, email, token, expiresAtMs } on stdout.
import { parseArgs } from 'node:util';
import { loadServiceConfig } from '@fcfs/auth';
import { addressesFrom, USAGE } from './addresses';
import { mintSessionTokens } from './mint';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      domain: { type: 'string' },
      prefix: { type: 'string' },
      emails: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true || (values.count === undefined && values.emails === undefined)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(values.help === true ? 0 : 2);
  }
  const config = loadServiceConfig();
  const started = Date.now();
  const tokens = await mintSessionTokens(config, addressesFrom(values));
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
  process.stderr.write(`minted ${tokens.length} tokens in ${Date.now() - started} ms\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`mint-tokens failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
