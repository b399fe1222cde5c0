// `npm run chaos`: the production shape on private infrastructure, one round per fault, the table.
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { LOADTEST_ENV, mintTokens } from '@fcfs/loadtest';
import { startPlatform, type PartName, type Platform } from '../../../scripts/platform';
import { INVARIANTS } from './checks';
import type { Fault } from './faults';
import { startPrivateInfra, type PrivateInfra } from './private-infra';
import { runRound, type RoundEnv, type RoundResult, type RoundSettings } from './round';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const PARTITIONS = 6;

export interface ChaosOptions extends RoundSettings {
  faults: Fault[];
  replicas: Partial<Record<PartName, number>>;
  /** Keep the run's directory (the parts' logs) even when every row passed. */
  keep: boolean;
  log(line: string): void;
}

export interface Shape {
  platform: Platform;
  infra: PrivateInfra;
  env: RoundEnv;
  runDir: string;
  /** Parts that exited without being asked to, restarted (as Kubernetes would). */
  unexpected: string[];
  stop(keep: boolean): Promise<void>;
}

/** Private infrastructure and the platform at the given shape on it, ready for rounds. */
export async function startShape(replicas: ChaosOptions['replicas'], log: (line: string) => void): Promise<Shape> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = path.join(REPO_ROOT, '.infra', 'chaos', stamp);
  mkdirSync(runDir, { recursive: true });
  const infra = await startPrivateInfra(PARTITIONS, log);
  const unexpected: string[] = [];
  let platform: Platform | undefined;
  const sequelize = createSequelize(infra.mysql.url, createLogger('chaos', 'silent'), { pool: { max: 3, min: 0 } });
  try {
    platform = await startPlatform({
      infra: infra.env,
      replicas,
      freePorts: true,
      logDir: path.join(runDir, 'logs'),
      stdio: 'quiet',
      log: (line) => (/ready|behind/.test(line) ? log(line) : undefined),
      env: {
        ...LOADTEST_ENV,
        NODE_ENV: 'development',
        AUTH_DEV_KEY_FILE: path.join(runDir, 'auth-dev-key.json'),
        AUTH_ADMIN_EMAILS: 'admin@chaos.local',
        KAFKA_APPLICATIONS_PARTITIONS: String(PARTITIONS),
      },
      onUnexpectedExit: (name, code) => {
        unexpected.push(`${name} (code ${code})`);
        log(`chaos: ${name} exited unexpectedly (code ${code}); starting it again`);
        const replica = platform?.replicas.find((r) => r.name === name);
        void replica?.start().catch((err: unknown) => log(`chaos: ${name} did not start again: ${String(err)}`));
      },
    });
    const started = platform;
    const [admin] = await mintTokens([started.adminEmail], started.env);
    const kafka = infra.admin();
    const env: RoundEnv = {
      bffUrl: started.bffUrl,
      sesEndpoint: infra.ses.endpoint,
      sequelize,
      adminToken: admin?.token ?? '',
      mint: (emails) => mintTokens(emails, started.env),
      context: { platform: started, infra, group: started.env['KAFKA_ISSUER_GROUP'] ?? 'issuer', log },
      async offsets() {
        const a = kafka.admin();
        await a.connect();
        try {
          const list = await a.fetchTopicOffsets(started.env['KAFKA_APPLICATIONS_TOPIC'] ?? 'applications');
          return new Map(list.map((p) => [p.partition, p.high]));
        } finally {
          await a.disconnect();
        }
      },
    };
    let stopping: Promise<void> | undefined;
    const stop = (keep: boolean) =>
      (stopping ??= (async () => {
        await started.stop().catch(() => undefined);
        await sequelize.close().catch(() => undefined);
        await infra.stop();
        if (!keep) rmSync(runDir, { recursive: true, force: true });
        process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
      })());
    // Ctrl-C: the private servers and the parts are stopped too, never left running (a second Ctrl-C waits for it).
    const interrupted = () => {
      log('chaos: interrupted; stopping the platform and the private servers...');
      void stop(true).finally(() => process.exit(130));
    };
    process.on('SIGINT', interrupted).on('SIGTERM', interrupted);
    return { platform: started, infra, env, runDir, unexpected, stop };
  } catch (err) {
    await platform?.stop().catch(() => undefined);
    await sequelize.close().catch(() => undefined);
    await infra.stop();
    throw err;
  }
}

export interface ChaosResult {
  rounds: RoundResult[];
  ok: boolean;
  unexpectedExits: string[];
  runDir: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  const shape = await startShape(options.replicas, log);
  const rounds: RoundResult[] = [];
  let ok = false;
  try {
    const label = `r${Date.now().toString(36)}`;
    for (const [i, fault] of options.faults.entries()) {
      const result = await runRound(shape.env, fault, options, `${label}-${i + 1}`);
      rounds.push(result);
      log(`chaos: ${fault.name}: ${result.ok ? 'every invariant held' : 'VIOLATED'} (recovered in ${seconds(result.recoverMs)})`);
    }
    ok = rounds.every((r) => r.ok);
    return { rounds, ok, unexpectedExits: shape.unexpected, runDir: shape.runDir };
  } finally {
    await shape.stop(options.keep || !ok);
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** The fault × invariant table (Markdown), then the details of every violation. */
export function resultTable(rounds: RoundResult[]): string {
  const header = ['fault', ...INVARIANTS, 'recovered in'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const round of rounds) {
    const cells = INVARIANTS.map((name) => (round.verdicts[name].ok ? 'ok' : '**FAIL**'));
    lines.push(`| ${round.fault} | ${cells.join(' | ')} | ${seconds(round.recoverMs)} |`);
  }
  const details = rounds.flatMap((round) =>
    INVARIANTS.filter((name) => !round.verdicts[name].ok).map(
      (name) => `- ${round.fault} × ${name}: ${round.verdicts[name].detail}`,
    ),
  );
  return [...lines, '', ...details].join('\n').trimEnd();
}
