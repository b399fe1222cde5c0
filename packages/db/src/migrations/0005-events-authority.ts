import { DataTypes, type QueryInterface } from 'sequelize';

// MySQL as the authority over each event's stock (issue 12): the issuer's decision transaction keeps
// these counters with one conditional UPDATE (it refuses to issue beyond the stock), and they are the
// watermark a Redis that went back in time cannot fake.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('events', 'issued', { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 });
  await qi.addColumn('events', 'decided', { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 });
  await qi.addColumn('events', 'decided_through', { type: DataTypes.BIGINT.UNSIGNED, allowNull: false, defaultValue: 0 });
  await qi.sequelize.query(
    `UPDATE events e SET
       issued = (SELECT COUNT(*) FROM applications a WHERE a.event_id = e.id AND a.status = 'ISSUED'),
       decided = (SELECT COUNT(*) FROM applications a WHERE a.event_id = e.id),
       decided_through = (SELECT COALESCE(MAX(a.position), 0) FROM applications a WHERE a.event_id = e.id)`,
  );
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeColumn('events', 'decided_through');
  await qi.removeColumn('events', 'decided');
  await qi.removeColumn('events', 'issued');
}
