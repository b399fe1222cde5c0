import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';

// Row types mirror migrations/0001-initial-schema.ts; ids are BIGINT, read back as strings.

export interface ParticipantRow extends Model<InferAttributes<ParticipantRow>, InferCreationAttributes<ParticipantRow>> {
  id: CreationOptional<string>;
  email: string;
  created_at: CreationOptional<Date>;
  last_verified_at: Date | null;
}

export type EventStatusName = 'DRAFT' | 'SCHEDULED' | 'OPEN' | 'SOLD_OUT' | 'CLOSED';

export interface EventRow extends Model<InferAttributes<EventRow>, InferCreationAttributes<EventRow>> {
  id: CreationOptional<string>;
  name: string;
  status: EventStatusName;
  stock: number;
  opens_at: Date | null;
  closes_at: Date | null;
  opened_at: CreationOptional<Date | null>;
  closed_at: CreationOptional<Date | null>;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
}

export type DecidedStatusName = 'ISSUED' | 'SOLD_OUT';

export interface ApplicationRow extends Model<InferAttributes<ApplicationRow>, InferCreationAttributes<ApplicationRow>> {
  id: CreationOptional<string>;
  event_id: string;
  participant_id: string;
  position: number;
  status: DecidedStatusName;
  applied_at: Date;
  decided_at: Date;
}

export interface GiftRow extends Model<InferAttributes<GiftRow>, InferCreationAttributes<GiftRow>> {
  id: CreationOptional<string>;
  event_id: string;
  participant_id: string;
  code: string;
  position: number;
  issued_at: Date;
}

export type OutboxStatusName = 'PENDING' | 'SENT' | 'FAILED';

export interface OutboxRow extends Model<InferAttributes<OutboxRow>, InferCreationAttributes<OutboxRow>> {
  id: CreationOptional<string>;
  kind: string;
  event_id: string;
  participant_id: string;
  payload: Record<string, unknown>;
  status: CreationOptional<OutboxStatusName>;
  attempts: CreationOptional<number>;
  next_attempt_at: Date;
  claimed_by: CreationOptional<string | null>;
  claim_expires_at: CreationOptional<Date | null>;
  last_error: CreationOptional<string | null>;
  decided_at: Date;
  created_at: CreationOptional<Date>;
  sent_at: CreationOptional<Date | null>;
}

export interface Models {
  Participant: ModelStatic<ParticipantRow>;
  Event: ModelStatic<EventRow>;
  Application: ModelStatic<ApplicationRow>;
  Gift: ModelStatic<GiftRow>;
  Outbox: ModelStatic<OutboxRow>;
}

const id = () => ({ type: DataTypes.BIGINT.UNSIGNED, autoIncrement: true, primaryKey: true });
const ref = () => ({ type: DataTypes.BIGINT.UNSIGNED, allowNull: false });
const time = (allowNull = false) => ({ type: DataTypes.DATE(3), allowNull });
const common = { timestamps: false, underscored: true, freezeTableName: true } as const;

/** Defines the models on one Sequelize instance (each instance gets its own). */
export function defineModels(sequelize: Sequelize): Models {
  const now = () => ({ ...time(), defaultValue: DataTypes.NOW });
  const Participant = sequelize.define<ParticipantRow>(
    'Participant',
    { id: id(), email: { type: DataTypes.STRING(254), allowNull: false }, created_at: now(), last_verified_at: time(true) },
    { ...common, tableName: 'participants' },
  );
  const Event = sequelize.define<EventRow>(
    'Event',
    {
      id: id(),
      name: { type: DataTypes.STRING(200), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      opens_at: time(true),
      closes_at: time(true),
      opened_at: time(true),
      closed_at: time(true),
      created_at: now(),
      updated_at: now(),
    },
    { ...common, tableName: 'events' },
  );
  const Application = sequelize.define<ApplicationRow>(
    'Application',
    {
      id: id(),
      event_id: ref(),
      participant_id: ref(),
      position: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      applied_at: time(),
      decided_at: time(),
    },
    { ...common, tableName: 'applications' },
  );
  const Gift = sequelize.define<GiftRow>(
    'Gift',
    {
      id: id(),
      event_id: ref(),
      participant_id: ref(),
      code: { type: DataTypes.STRING(32), allowNull: false },
      position: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      issued_at: time(),
    },
    { ...common, tableName: 'gifts' },
  );
  const Outbox = sequelize.define<OutboxRow>(
    'Outbox',
    {
      id: id(),
      kind: { type: DataTypes.STRING(32), allowNull: false },
      event_id: ref(),
      participant_id: ref(),
      payload: { type: DataTypes.JSON, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'PENDING' },
      attempts: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
      next_attempt_at: time(),
      claimed_by: { type: DataTypes.STRING(64), allowNull: true },
      claim_expires_at: time(true),
      last_error: { type: DataTypes.TEXT, allowNull: true },
      decided_at: time(),
      created_at: now(),
      sent_at: time(true),
    },
    { ...common, tableName: 'outbox' },
  );
  return { Participant, Event, Application, Gift, Outbox };
}
