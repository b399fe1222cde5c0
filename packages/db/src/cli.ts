#!/usr/bin/env node
// `node packages/db/dist/cli.js up|down|status`: runs the versioned migrations against MYSQL_URL.
import { createLogger, createSequelize, env, loadConfig } from '@fcfs/kit';
import { z } from 'zod';
import { createMigrator, ensureDatabase } from './migrate';

const config = loadConfig(
  z.object({ MYSQL_URL: env.url('mysql://root@127.0.0.1:3306/fcfs'), LOG_LEVEL: env.logLevel, DB_CREATE: env.bool(true) }),
);

async function main(command: string): Promise<void> {
  const logger = createLogger('migrate', config.LOG_LEVEL);
  if (config.DB_CREATE) await ensureDatabase(config.MYSQL_URL);
  const sequelize = createSequelize(config.MYSQL_URL, logger);
  const migrator = createMigrator(sequelize, (m) => process.stderr.write(`migrate: ${m}\n`));
  try {
    if (command === 'up') {
      const done = await migrator.up();
      process.stderr.write(`migrate: ${done.length} applied, schema is current\n`);
    } else if (command === 'down') {
      await migrator.down();
    } else if (command === 'status') {
      const executed = await migrator.executed();
      const pending = await migrator.pending();
      for (const m of executed) process.stdout.write(`applied  ${m.name}\n`);
      for (const m of pending) process.stdout.write(`pending  ${m.name}\n`);
    } else {
      throw new Error(`unknown command ${JSON.stringify(command)}; use up, down or status`);
    }
  } finally {
    await sequelize.close();
  }
}

main(process.argv[2] ?? 'up').catch((err: unknown) => {
  process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
