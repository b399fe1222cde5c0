// The issuer's group session against real brokers: the configured 3 s where the broker allows it,
// the broker's own minimum (with a warning) where it does not, instead of failing to join.
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { startPrivateKafka, stopPrivateKafka, type PrivateKafka } from '../../../infra/infra';
import { groupSession } from '../src/group-session';

describe('groupSession', () => {
  let strict: PrivateKafka;
  beforeAll(async () => {
    // Kafka's own default minimum: a broker not configured for the issuer's fast failover.
    strict = await startPrivateKafka({ quiet: true, config: { 'group.min.session.timeout.ms': 6000 } });
  }, 120_000);
  afterAll(() => stopPrivateKafka(strict));

  const kafkaAt = (brokers: string[]) => new Kafka({ clientId: 'group-session-test', brokers, logLevel: logLevel.NOTHING });

  it("joins with the broker's minimum, and says so, when the configured session is below it", async () => {
    const warnings: string[] = [];
    const logger = { warn: (_fields: unknown, message: string) => warnings.push(message) } as unknown as Logger;
    const session = await groupSession(kafkaAt(strict.brokers), { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 1_000 }, logger);
    expect(session).toEqual({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
    expect(warnings.join('')).toMatch(/group\.min\.session\.timeout\.ms is above ISSUER_SESSION_TIMEOUT_MS/);
  });

  it('keeps the configured session where the broker allows it', async () => {
    const logger = { warn: () => undefined } as unknown as Logger;
    const wanted = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 2_000 };
    expect(await groupSession(kafkaAt(strict.brokers), wanted, logger)).toEqual(wanted);
  });
});
