// Issuer failover in seconds (issue 12, item 6): the issuers join their group with a 3 s session
// (ISSUER_SESSION_TIMEOUT_MS) on a broker that allows it (infra/kafka.js, the Strimzi manifest), so
// when one is SIGKILLed the group hands its partitions to the other within seconds, not after
// Kafka's 30 s default. Two issuer processes on the chaos suite's private infrastructure.
import { setTimeout as sleep } from 'node:timers/promises';
import { AssignerProtocol } from 'kafkajs';
import { startShape, type Shape } from '../../tools/chaos/src/run';

/** Group members and the partitions each owns. */
async function members(shape: Shape): Promise<{ memberId: string; clientId: string; partitions: number[] }[]> {
  const admin = shape.infra.admin().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(['issuer']);
    return (groups[0]?.members ?? []).map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      partitions: Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat(),
    }));
  } finally {
    await admin.disconnect();
  }
}

describe('issuer failover', () => {
  let shape: Shape;
  beforeAll(async () => {
    shape = await startShape({ issuer: 2, event: 1, bff: 1, auth: 1 }, () => undefined);
  }, 180_000);
  afterAll(() => shape?.stop(false));

  /** Both issuers in the group, each with its share of the six partitions. */
  const settled = async () => {
    for (let i = 0; ; i++) {
      const now = await members(shape);
      if (now.length === 2 && now.every((m) => m.partitions.length > 0)) return now;
      if (i > 300) throw new Error(`the group did not settle: ${JSON.stringify(now)}`);
      await sleep(100);
    }
  };

  it('keeps idle issuers in the group: with nothing to fetch they still heartbeat within the short session', async () => {
    const before = await settled();
    // Several sessions long with no record: a fetch that waited longer than the session (kafkajs's 5 s
    // default) would drop each member in turn, and the group would churn instead of deciding.
    await sleep(10_000);
    const after = await members(shape);
    expect(after.map((m) => m.memberId).sort()).toEqual(before.map((m) => m.memberId).sort());
  }, 60_000);

  it("hands a SIGKILLed issuer's partitions to the other replica within seconds", async () => {
    const issuers = shape.platform.replicas.filter((r) => r.part === 'issuer');
    await settled();
    const victim = issuers[0]!;
    const survivor = issuers[1]!;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    let took = Infinity;
    while (Date.now() - killedAt < 40_000) {
      const now = await members(shape);
      if (now.length === 1 && now[0]!.clientId.endsWith(`-${survivor.pid()}`) && now[0]!.partitions.length === 6) {
        took = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    // 3 s session + a heartbeat + the rejoin; Kafka's 30 s default would take over 30 s. Generous for a loaded machine.
    expect(took).toBeLessThan(12_000);
  }, 60_000);
});
