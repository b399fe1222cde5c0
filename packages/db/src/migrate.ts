import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from './migrations';

/** Umzug over the versioned migrations; applied names are kept in `schema_migrations`. */
export function createMigrator(sequelize: Sequelize, log: (message: string) => void = () => {}): Umzug<Sequelize> {
  return new Umzug({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: ({ context }) => m.up(context.getQueryInterface()),
      down: ({ context }) => m.down(context.getQueryInterface()),
    })),
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (e) => log(typeof e === 'object' && 'event' in e ? `${String(e['event'])} ${String(e['name'] ?? '')}` : String(e)),
      warn: (e) => log(String(e)),
      error: (e) => log(String(e)),
      debug: () => {},
    },
  });
}

/** Creates the database named in the URL if it does not exist (development and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name ${JSON.stringify(name)} must be letters, digits and _`);
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}
