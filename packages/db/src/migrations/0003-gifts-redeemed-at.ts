import { DataTypes, type QueryInterface } from 'sequelize';

// A gift code is used once (a coupon redeemed, a ticket scanned): null until then.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('gifts', 'redeemed_at', { type: DataTypes.DATE(3), allowNull: true });
  // The event's redeemed count (its stats, polled a few times a second) reads this index only.
  await qi.addIndex('gifts', ['event_id', 'redeemed_at'], { name: 'gifts_event_redeemed_at' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('gifts', 'gifts_event_redeemed_at');
  await qi.removeColumn('gifts', 'redeemed_at');
}
