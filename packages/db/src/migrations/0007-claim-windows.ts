import { DataTypes, type QueryInterface } from 'sequelize';

// Claim windows (issue #17): an event's window and offer cap, and an application's claim deadline while
// OFFERED (and the code it will take). applications.status (STRING(16)) also takes WAITLISTED, OFFERED and EXPIRED from now on; an
// event without a window (claim_window_seconds 0) writes only ISSUED and SOLD_OUT, as before.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('events', 'claim_window_seconds', {
    type: DataTypes.INTEGER.UNSIGNED,
    allowNull: false,
    defaultValue: 0,
  });
  await qi.addColumn('events', 'max_open_offers', { type: DataTypes.INTEGER.UNSIGNED, allowNull: true });
  // The authority's count of what is OFFERED now (beside 0005's `issued`): the issuer's conditional update keeps
  // issued + offered <= stock for claim-window events.
  await qi.addColumn('events', 'offered', { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 });
  await qi.addColumn('applications', 'claim_by', { type: DataTypes.DATE(3), allowNull: true });
  // The code an OFFERED application takes when claimed (its gift row is written at the claim), so a
  // rebuild of Redis from MySQL restores the offer whole.
  await qi.addColumn('applications', 'offer_code', { type: DataTypes.STRING(32), allowNull: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeColumn('applications', 'offer_code');
  await qi.removeColumn('applications', 'claim_by');
  await qi.removeColumn('events', 'offered');
  await qi.removeColumn('events', 'max_open_offers');
  await qi.removeColumn('events', 'claim_window_seconds');
}
