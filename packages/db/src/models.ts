import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';

// The one table written through a model: events (the event service's catalog). Every other table is
// written with plain SQL where its writes are (auth: participants; issuer: applications, gifts, outbox),
// and its shape lives in the migrations. The row type mirrors migrations/0001-initial-schema.ts; ids
// are BIGINT, read back as strings.

export type EventStatusName = 'DRAFT' | 'SCHEDULED' | 'OPEN' | 'SOLD_OUT' | 'CLOSED';

export interface EventRow extends Model<InferAttributes<EventRow>, InferCreationAttributes<EventRow>> {
  id: CreationOptional<string>;
  name: string;
  status: EventStatusName;
  stock: number;
  opens_at: Date | null;
  closes_at: Date | null;
  /** From then until opens_at, apply answers WAITING (issue #17); null: no waiting room. */
  waiting_room_opens_at: CreationOptional<Date | null>;
  /** 0: a win is final at once; otherwise a winner is OFFERED for this many seconds (migration 0007). */
  claim_window_seconds: CreationOptional<number>;
  max_open_offers: CreationOptional<number | null>;
  opened_at: CreationOptional<Date | null>;
  closed_at: CreationOptional<Date | null>;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
}

export interface Models {
  Event: ModelStatic<EventRow>;
}

const time = (allowNull = false) => ({ type: DataTypes.DATE(3), allowNull });

/** Defines the models on one Sequelize instance (each instance gets its own). */
export function defineModels(sequelize: Sequelize): Models {
  const now = () => ({ ...time(), defaultValue: DataTypes.NOW });
  const Event = sequelize.define<EventRow>(
    'Event',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      opens_at: time(true),
      closes_at: time(true),
      waiting_room_opens_at: time(true),
      claim_window_seconds: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
      max_open_offers: { type: DataTypes.INTEGER.UNSIGNED, allowNull: true },
      opened_at: time(true),
      closed_at: time(true),
      created_at: now(),
      updated_at: now(),
    },
    { timestamps: false, underscored: true, freezeTableName: true, tableName: 'events' },
  );
  return { Event };
}
