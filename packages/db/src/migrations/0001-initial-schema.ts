import {
  DataTypes,
  type ModelAttributes,
  type QueryInterface,
  type QueryInterfaceCreateTableOptions,
  type QueryInterfaceIndexOptions,
} from 'sequelize';

const id = { type: DataTypes.BIGINT.UNSIGNED, autoIncrement: true, primaryKey: true, allowNull: false };
const ref = { type: DataTypes.BIGINT.UNSIGNED, allowNull: false };
const time = (allowNull: boolean) => ({ type: DataTypes.DATE(3), allowNull });

/** One table of the schema: created, then its indexes added, in this order. */
interface TableDefinition {
  name: string;
  attributes: ModelAttributes;
  options: QueryInterfaceCreateTableOptions;
  indexes: [fields: string[], options: QueryInterfaceIndexOptions][];
}

// An applied migration must not change: these issue exactly the statements the migration always issued.
const participants: TableDefinition = {
  name: 'participants',
  attributes: {
    id,
    email: { type: DataTypes.STRING(254), allowNull: false, unique: 'participants_email_unique' },
    created_at: time(false),
    last_verified_at: time(true),
  },
  options: { charset: 'utf8mb4', collate: 'utf8mb4_bin' },
  indexes: [],
};

const events: TableDefinition = {
  name: 'events',
  attributes: {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    // DRAFT | SCHEDULED | OPEN | SOLD_OUT | CLOSED
    status: { type: DataTypes.STRING(16), allowNull: false },
    stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
    opens_at: time(true),
    closes_at: time(true),
    opened_at: time(true),
    closed_at: time(true),
    created_at: time(false),
    updated_at: time(false),
  },
  options: { charset: 'utf8mb4' },
  indexes: [[['status', 'opens_at'], { name: 'events_status_opens_at' }]],
};

const applications: TableDefinition = {
  name: 'applications',
  attributes: {
    id,
    event_id: { ...ref, references: { model: 'events', key: 'id' } },
    participant_id: ref,
    position: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
    // ISSUED | SOLD_OUT: only the issuer writes here, and only decided applications.
    status: { type: DataTypes.STRING(16), allowNull: false },
    applied_at: time(false),
    decided_at: time(false),
  },
  options: { charset: 'utf8mb4' },
  indexes: [
    [['event_id', 'participant_id'], { unique: true, name: 'applications_event_participant_unique' }],
    [['event_id', 'position'], { name: 'applications_event_position' }],
  ],
};

const gifts: TableDefinition = {
  name: 'gifts',
  attributes: {
    id,
    event_id: { ...ref, references: { model: 'events', key: 'id' } },
    participant_id: ref,
    code: { type: DataTypes.STRING(32), allowNull: false },
    position: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
    issued_at: time(false),
  },
  options: { charset: 'utf8mb4', collate: 'utf8mb4_bin' },
  indexes: [
    [['event_id', 'participant_id'], { unique: true, name: 'gifts_event_participant_unique' }],
    [['code'], { unique: true, name: 'gifts_code_unique' }],
    [['event_id', 'position'], { name: 'gifts_event_position' }],
  ],
};

const outbox: TableDefinition = {
  name: 'outbox',
  attributes: {
    id,
    // RESULT_EMAIL: one per decided application.
    kind: { type: DataTypes.STRING(32), allowNull: false },
    event_id: ref,
    participant_id: ref,
    // What the message needs beyond the ids (status, gift code, ...).
    payload: { type: DataTypes.JSON, allowNull: false },
    // PENDING | SENT | FAILED
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'PENDING' },
    attempts: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
    next_attempt_at: time(false),
    // A notifier's lease on the row, so two replicas never send the same e-mail.
    claimed_by: { type: DataTypes.STRING(64), allowNull: true },
    claim_expires_at: time(true),
    last_error: { type: DataTypes.TEXT, allowNull: true },
    decided_at: time(false),
    created_at: time(false),
    sent_at: time(true),
  },
  options: { charset: 'utf8mb4' },
  indexes: [
    [['kind', 'event_id', 'participant_id'], { unique: true, name: 'outbox_kind_event_participant_unique' }],
    [['status', 'next_attempt_at'], { name: 'outbox_status_next_attempt' }],
  ],
};

/** In creation order: a table comes after the tables its foreign keys reference. */
const tables = [participants, events, applications, gifts, outbox];

/** Participants, events, applications, gifts and the result e-mail outbox. */
export async function up(qi: QueryInterface): Promise<void> {
  for (const table of tables) {
    await qi.createTable(table.name, table.attributes, table.options);
    for (const [fields, options] of table.indexes) await qi.addIndex(table.name, fields, options);
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('outbox');
  await qi.dropTable('gifts');
  await qi.dropTable('applications');
  await qi.dropTable('events');
  await qi.dropTable('participants');
}
