import { callUnary } from '@fcfs/kit';
import type { TestDatabase } from '../support';
import { eventually } from '../support';
import { startPipeline, type Pipeline } from './harness';
import { databaseOn } from './private-infra';

// infra.js is plain CommonJS without types.
const infra = require('../../infra/infra.js') as {
  startPrivateMariadb(opts?: { quiet?: boolean }): Promise<PrivateMariadb>;
  stopPrivateMariadb(handle: PrivateMariadb): Promise<void>;
};
interface PrivateMariadb {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

// Test 6 of the issue: MariaDB goes away for a few seconds while the issuer works (a private server).
describe('MariaDB stopped while the issuer works', () => {
  let mariadb: PrivateMariadb;
  let db: TestDatabase;
  let p: Pipeline;

  beforeAll(async () => {
    mariadb = await infra.startPrivateMariadb({ quiet: true });
    db = await databaseOn(mariadb.url);
    p = await startPipeline({ database: db });
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
    await db?.sequelize.close().catch(() => undefined);
    if (mariadb) await infra.stopPrivateMariadb(mariadb);
  }, 120_000);

  it('pauses consumption, resumes when the database is back, and the invariants hold', async () => {
    const stock = 150;
    const total = 1_500;
    const event = await p.createOpenEvent(stock);
    const apply = async (from: number, to: number) => {
      for (let i = from; i < to; i += 100) {
        const applications = Array.from({ length: Math.min(100, to - i) }, (_, k) => ({
          eventId: event.id,
          participantId: String(i + k),
        }));
        await callUnary(p.client.applyBatch.bind(p.client), { applications }, { deadlineMs: 30_000 });
      }
    };

    await apply(1, 301);
    await mariadb.kill();
    // The gate needs no database: applications keep coming in while the issuer cannot write.
    await apply(301, 1_201);
    await new Promise((r) => setTimeout(r, 3_000));
    await mariadb.start();
    await apply(1_201, total + 1);

    const outcome = await eventually(
      async () => {
        const dead = await p.deadLetterCount();
        if (dead > 0) return { dead };
        const decided = await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id]);
        return decided === total ? { dead } : undefined;
      },
      90_000,
      'every application decided after the outage',
    );
    // A record the issuer gave up on during the outage is dead-lettered and never decided: shown with its reason.
    expect(outcome.dead > 0 ? await p.deadLetters(outcome.dead) : []).toEqual([]);
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    expect(await p.count('SELECT COUNT(*) n FROM outbox WHERE event_id = ?', [event.id])).toBe(total);
    const [rows] = await db.sequelize.query(
      "SELECT position FROM applications WHERE event_id = ? AND status = 'ISSUED' ORDER BY position",
      {
        replacements: [event.id],
      },
    );
    expect((rows as { position: number }[]).map((r) => r.position)).toEqual(Array.from({ length: stock }, (_, i) => i + 1));
    const issuer = p.issuerClient();
    expect(await callUnary(issuer.reconcile.bind(issuer), { eventId: event.id })).toMatchObject({
      consistent: true,
      issuedMysql: stock,
    });
  }, 240_000);
});
