import { DataTypes, type QueryInterface } from 'sequelize';

// The waiting room (issue #17). `events.waiting_room_opens_at`: from then until opens_at, apply answers WAITING.
// `waiting`: every participant told WAITING, written (and committed) before the answer, so nobody told is
// lost; `position` is set by the draw. `draws`: the one draw per event (primary key = event id, so two
// drawers can never both record one), with its seed and when it happened; `placed_at` once every drawn
// participant is in line and their records are in Kafka.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('events', 'waiting_room_opens_at', { type: DataTypes.DATE(3), allowNull: true });
  await qi.createTable(
    'waiting',
    {
      event_id: {
        type: DataTypes.BIGINT.UNSIGNED,
        allowNull: false,
        primaryKey: true,
        references: { model: 'events', key: 'id' },
      },
      participant_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false, primaryKey: true },
      arrived_at: { type: DataTypes.DATE(3), allowNull: false },
      position: { type: DataTypes.INTEGER.UNSIGNED, allowNull: true },
    },
    { charset: 'utf8mb4' },
  );
  await qi.addIndex('waiting', ['event_id', 'position'], { name: 'waiting_event_position' });
  await qi.createTable(
    'draws',
    {
      event_id: {
        type: DataTypes.BIGINT.UNSIGNED,
        allowNull: false,
        primaryKey: true,
        references: { model: 'events', key: 'id' },
      },
      seed: { type: DataTypes.STRING(64), allowNull: false },
      waiting_count: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      drawn_at: { type: DataTypes.DATE(3), allowNull: false },
      placed_at: { type: DataTypes.DATE(3), allowNull: true },
    },
    { charset: 'utf8mb4' },
  );
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('draws');
  await qi.dropTable('waiting');
  await qi.removeColumn('events', 'waiting_room_opens_at');
}
