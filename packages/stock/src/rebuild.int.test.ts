import { Redis } from 'ioredis';
import { createTestDatabase, dropRedisKeys, randomSuffix, urls, type TestDatabase } from '../../../test/support';
import { eventKeys } from './keys';
import { rebuildEventState } from './rebuild';
import { defineStockScripts } from './scripts';

// A rebuild of Redis from MySQL must never miss a decision the issuer commits while it runs: the issuer's
// write transaction takes the event's row first, and the rebuild holds it shared from its snapshot until its
// Redis write (mysql.ts). Without that, stock already issued is handed out again.
describe('rebuildEventState and a decision committed meanwhile', () => {
  let db: TestDatabase;
  const redis = new Redis(urls.redis);
  const prefix = `rebuild-${randomSuffix()}:`;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await dropRedisKeys([prefix]);
    redis.disconnect();
    await db.drop();
  });

  it('waits for an issuer commit in flight and counts its decision', async () => {
    const { sequelize } = db;
    const [eventId] = await sequelize.query(
      "INSERT INTO events (name, status, stock, created_at, updated_at) VALUES ('race', 'OPEN', 5, NOW(3), NOW(3))",
    );
    // The issuer, mid-commit: the event's row taken first, one ISSUED decision written, not committed yet.
    const issuer = await sequelize.transaction();
    await sequelize.query('SELECT id FROM events WHERE id = ? FOR UPDATE', { replacements: [eventId], transaction: issuer });
    await sequelize.query(
      "INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at) VALUES (?, 1, 1, 'ISSUED', NOW(3), NOW(3))",
      { replacements: [eventId], transaction: issuer },
    );
    await sequelize.query(
      "INSERT INTO gifts (event_id, participant_id, code, position, issued_at) VALUES (?, 1, 'RACE-1', 1, NOW(3))",
      { replacements: [eventId], transaction: issuer },
    );
    await sequelize.query('UPDATE events SET issued = 1, decided = 1, decided_through = 1 WHERE id = ?', {
      replacements: [eventId],
      transaction: issuer,
    });

    const deps = { redis, scripts: defineStockScripts(redis), sequelize, prefix };
    const keys = eventKeys(prefix, String(eventId));
    let rebuilding: Promise<string>;
    try {
      rebuilding = rebuildEventState(deps, String(eventId));
      await new Promise((r) => setTimeout(r, 300));
      expect(await redis.hget(keys.state, 'ready')).toBeNull(); // still waiting for the commit
      await issuer.commit();
    } catch (err) {
      await issuer.rollback(); // never leave the transaction open: the database could not be dropped
      throw err;
    }
    await expect(rebuilding).resolves.toBe('rebuilt');
    expect(await redis.hmget(keys.state, 'stock', 'issued')).toEqual(['5', '1']);
    expect(await redis.hget(keys.apps, '1')).toMatch(/^I\|1\|/);
  });
});
