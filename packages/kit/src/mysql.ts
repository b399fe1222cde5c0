// A subpath of its own (`@fcfs/kit/mysql`): only the parts that talk to MySQL load Sequelize.
import type { Logger } from 'pino';
import { Sequelize, type Options as SequelizeOptions } from 'sequelize';

/** Sequelize over mysql2 (MariaDB locally, MySQL 8 in production), UTC, quiet. */
export function createSequelize(url: string, logger: Logger, options: SequelizeOptions = {}): Sequelize {
  const log = logger.child({ component: 'sequelize' });
  return new Sequelize(url, {
    dialect: 'mysql',
    timezone: '+00:00',
    logging: (sql: string) => log.trace({ sql }, 'query'),
    pool: { max: 10, min: 0, acquire: 10_000, idle: 10_000 },
    dialectOptions: { connectTimeout: 5_000 },
    ...options,
  });
}
