import { QueryTypes, UniqueConstraintError } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '../../../test/support';
import { createMigrator } from './migrate';
import { defineModels } from './models';

describe('migrations on the real MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('creates every table and records what ran', async () => {
    const tables = await db.sequelize.query<{ t: string }>(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY t',
      { type: QueryTypes.SELECT },
    );
    expect(tables.map((r) => r.t)).toEqual([
      'applications',
      'draws',
      'events',
      'gifts',
      'outbox',
      'participants',
      'schema_migrations',
      'waiting',
    ]);
    expect((await createMigrator(db.sequelize).pending()).length).toBe(0);
  });

  it('enforces one application and one gift per participant and event, and unique gift codes', async () => {
    const m = defineModels(db.sequelize);
    const event = await m.Event.create({ name: 'e', status: 'OPEN', stock: 2, opens_at: null, closes_at: null });
    const insert = (table: 'applications' | 'gifts', row: Record<string, string | number>) =>
      db.sequelize.query(
        `INSERT INTO ${table} (${Object.keys(row).join(', ')}, ${table === 'gifts' ? 'issued_at' : 'applied_at, decided_at'})
         VALUES (${Object.keys(row)
           .map(() => '?')
           .join(', ')}, NOW(3)${table === 'gifts' ? '' : ', NOW(3)'})`,
        { replacements: Object.values(row), type: QueryTypes.INSERT },
      );
    const app = { event_id: event.id, participant_id: '9', position: 1, status: 'ISSUED' };
    await insert('applications', app);
    await expect(insert('applications', { ...app, position: 2 })).rejects.toBeInstanceOf(UniqueConstraintError);
    await insert('gifts', { event_id: event.id, participant_id: '9', code: 'CODE1', position: 1 });
    await expect(insert('gifts', { event_id: event.id, participant_id: '9', code: 'CODE2', position: 1 })).rejects.toBeInstanceOf(
      UniqueConstraintError,
    );
    await expect(
      insert('gifts', { event_id: event.id, participant_id: '10', code: 'CODE1', position: 2 }),
    ).rejects.toBeInstanceOf(UniqueConstraintError);
  });

  it('enforces one participant per e-mail address', async () => {
    const insert = () =>
      db.sequelize.query("INSERT INTO participants (email, created_at) VALUES ('same@example.com', NOW(3))", {
        type: QueryTypes.INSERT,
      });
    await insert();
    await expect(insert()).rejects.toBeInstanceOf(UniqueConstraintError);
  });

  it('migrates down and up again', async () => {
    const migrator = createMigrator(db.sequelize);
    await migrator.down({ to: 0 });
    expect((await migrator.executed()).length).toBe(0);
    await migrator.up();
    expect((await migrator.pending()).length).toBe(0);
  });
});
