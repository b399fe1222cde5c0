#!/usr/bin/env node
// `node packages/db/dist/cli.js up|down|status`: runs the versioned migrations against MYSQL_URL.
import { createLogger, createSequelize, defineConfig, env, fragment, loadConfig, mysql } from '@fcfs/kit';
import { createMigrator, ensureDatabase } from './migrate';

/** `createDatabase`: create the database named in MYSQL_URL when it is missing (DB_CREATE). */
const config = loadConfig(defineConfig({ mysql, createDatabase: fragment({ DB_CREATE: env.bool(true) }, (e) => e.DB_CREATE) }));

async function main(command: string): Promise<void> {
  const logger = createLogger('migrate', config.logLevel);
  if (config.createDatabase) await ensureDatabase(config.mysql.url);
  const sequelize = createSequelize(config.mysql.url, logger);
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
