import type { QueryInterface } from 'sequelize';

// 0001 declared `unique` on participants.email inside createTable, which QueryInterface
// ignores on MySQL/MariaDB: the index never existed. The auth service's upsert depends on it.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addIndex('participants', ['email'], { unique: true, name: 'participants_email_unique' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('participants', 'participants_email_unique');
}
