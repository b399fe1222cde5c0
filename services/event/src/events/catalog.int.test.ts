import { defineModels } from '@fcfs/db';
import { defineStockScripts, eventKeys, readHotState } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { createTestDatabase, dropRedisKeys, randomSuffix, urls, type TestDatabase } from '../../../../test/support';
import { createCatalog } from './catalog';

/** Rejects when `work` takes longer than `ms` (a stall would otherwise last until MariaDB's lock wait timeout). */
const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)),
  ]);

// Issue 12, item 7: setStock's lock order and its Redis write before the MySQL commit (real MariaDB and Redis).
describe('setStock', () => {
  const redis = new Redis(urls.redis);
  const prefix = `cat-${randomSuffix()}:`;
  let db: TestDatabase;
  let catalog: ReturnType<typeof createCatalog>;
  let models: ReturnType<typeof defineModels>;

  beforeAll(async () => {
    db = await createTestDatabase('fcfs_catalog');
    models = defineModels(db.sequelize);
    catalog = createCatalog({
      redis,
      scripts: defineStockScripts(redis),
      sequelize: db.sequelize,
      prefix,
      models,
      now: Date.now,
    });
  });
  afterAll(async () => {
    await db?.drop();
    await dropRedisKeys([prefix]).catch(() => undefined);
    redis.disconnect();
  });

  const stockIn = async (eventId: string) => {
    const row = await models.Event.findByPk(eventId);
    return { mysql: row?.stock, redis: (await readHotState(redis, eventKeys(prefix, eventId)))?.stock };
  };

  it('rebuilds a lost state before it locks the event row, instead of waiting on its own lock', async () => {
    const event = await catalog.create({ name: 'Drop', stock: 5, opensAtMs: undefined, closesAtMs: undefined });
    const keys = eventKeys(prefix, event.id);
    await redis.del(keys.state, keys.apps); // Redis lost the event
    const changed = await within(10_000, catalog.setStock(event.id, 7));
    expect(changed.stock).toBe(7);
    expect(await stockIn(event.id)).toEqual({ mysql: 7, redis: 7 });
  }, 60_000);

  it("puts MySQL's stock back into Redis when the commit fails after Redis was written", async () => {
    const event = await catalog.create({ name: 'Drop', stock: 5, opensAtMs: undefined, closesAtMs: undefined });
    // The transaction's connection dies after its update, before the commit.
    models.Event.addHook('afterUpdate', 'kill-connection', async (_row, options) => {
      const [own] = await db.sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', {
        transaction: options.transaction ?? null,
        type: QueryTypes.SELECT,
      });
      await db.sequelize.query(`KILL ${Number(own?.id)}`);
    });
    try {
      await expect(catalog.setStock(event.id, 9)).rejects.toThrow();
    } finally {
      models.Event.removeHook('afterUpdate', 'kill-connection');
    }
    expect(await stockIn(event.id)).toEqual({ mysql: 5, redis: 5 });
  }, 60_000);
});
