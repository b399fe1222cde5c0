import type { QueryInterface } from 'sequelize';

// An event's stats (polled a few times a second) count its result e-mails by status; the outbox's
// only event index leads with `kind`, so without this one that count would scan the whole table.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addIndex('outbox', ['event_id', 'kind', 'status'], { name: 'outbox_event_kind_status' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('outbox', 'outbox_event_kind_status');
}
