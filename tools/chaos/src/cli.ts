// npm run chaos -- [--faults a,b] [--participants 300] [--stock 30] [--replicas bff=2,event=3,issuer=2,auth=2]
//                  [--subscribers 30] [--spread-ms 6000] [--failover 5] [--keep]
import { parseArgs } from 'node:util';
import { parseReplicas } from '../../../scripts/platform';
import { FAULTS, faultsNamed } from './faults';
import { measureFailover } from './failover';
import { resultTable, runChaos, type ChaosOptions } from './run';

export const USAGE = `usage: npm run chaos -- [options]
  --faults LIST        which faults, comma-separated (default all): ${FAULTS.map((f) => f.name.toLowerCase().replace(/[^a-z]/g, '')).join(', ')}
  --participants N     the herd of each round (default 300)
  --stock N            each round's stock (default 30)
  --subscribers N      participants that also watch applicationStatus live (default 30)
  --replicas LIST      processes per part (default bff=2,event=3,issuer=2,auth=2)
  --spread-ms N        the herd's applies spread over this long (default 6000); the fault starts 1.5 s in
  --failover N         instead of the matrix: SIGKILL the deciding issuer mid-herd N times, time kill → next decision
  --keep               keep .infra/chaos/<run>/ (the parts' logs) even when every row passed`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive whole number, got "${value}"`);
  return n;
}

export function parseOptions(argv: string[]): { options: ChaosOptions; failover: number | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      faults: { type: 'string' },
      participants: { type: 'string' },
      stock: { type: 'string' },
      subscribers: { type: 'string' },
      replicas: { type: 'string' },
      'spread-ms': { type: 'string' },
      failover: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }
  const participants = positive('participants', values.participants, 300);
  const spreadMs = positive('spread-ms', values['spread-ms'], 6_000);
  return {
    options: {
      faults: values.faults === undefined ? FAULTS : faultsNamed(values.faults),
      participants,
      stock: positive('stock', values.stock, 30),
      subscribers: Math.min(participants, positive('subscribers', values.subscribers, 30)),
      replicas: parseReplicas(values.replicas ?? 'bff=2,event=3,issuer=2,auth=2'),
      spreadMs,
      injectAtMs: Math.min(1_500, Math.floor(spreadMs / 3)),
      drainTimeoutMs: 90_000,
      keep: values.keep === true,
      log: (line) => process.stderr.write(`${line}\n`),
    },
    failover: values.failover === undefined ? undefined : positive('failover', values.failover, 5),
  };
}

async function main(): Promise<void> {
  const { options, failover } = parseOptions(process.argv.slice(2));
  if (failover !== undefined) {
    const { trials, medianMs } = await measureFailover(
      { ...options, spreadMs: Math.max(options.spreadMs, 12_000), injectAtMs: 3_000 },
      failover,
    );
    const rows = trials.map(
      (t, i) => `| ${i + 1} | ${t.killed} | ${t.nextDecisionMs === undefined ? 'none' : (t.nextDecisionMs / 1000).toFixed(2)} |`,
    );
    process.stdout.write(
      [
        '| kill | replica | kill → next decision (s) |',
        '| --- | --- | --- |',
        ...rows,
        '',
        `median: ${medianMs === undefined ? 'n/a (a kill had no next decision)' : `${(medianMs / 1000).toFixed(2)} s`}`,
        '',
      ].join('\n'),
    );
    process.exit(medianMs !== undefined && medianMs <= 5_000 ? 0 : 1);
  }
  const result = await runChaos(options);
  process.stdout.write(`${resultTable(result.rounds)}\n`);
  if (result.unexpectedExits.length > 0)
    process.stdout.write(`\nunexpected exits (restarted): ${result.unexpectedExits.join(', ')}\n`);
  if (!result.ok) process.stdout.write(`\nlogs: ${result.runDir}\n`);
  process.exit(result.ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
