// Issuer failover, measured: mid-herd, SIGKILL the issuer replica that decides the event, and time
// how long until the next decision lands in MySQL (another replica took the partition over).
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import { applyRetrying } from './clients';
import { owningIssuer } from './faults';
import { startShape, type ChaosOptions } from './run';

export interface FailoverTrial {
  killed: string;
  /** Kill → the first decision after it, in milliseconds; undefined: none within the timeout. */
  nextDecisionMs: number | undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function measureFailover(options: ChaosOptions, trials: number) {
  const { log } = options;
  const shape = await startShape(options.replicas, log);
  const { env } = shape;
  const results: FailoverTrial[] = [];
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const label = `f${Date.now().toString(36)}`;
      const { graphql } = await import('@fcfs/loadtest');
      const created = await graphql<{ createEvent: { id: string } }>(
        env.bffUrl,
        'mutation Create($input: CreateEventInput!) { createEvent(input: $input) { id } }',
        { input: { name: `failover ${trial}`, stock: options.stock } },
        env.adminToken,
      );
      const eventId = created.createEvent.id;
      await graphql(env.bffUrl, 'mutation Open($id: ID!) { openEvent(eventId: $id) { id } }', { id: eventId }, env.adminToken);
      const emails = Array.from({ length: options.participants }, (_, i) => `p-${i + 1}@${label}.failover.local`);
      const tokens = await env.mint(emails);
      const before = await env.offsets();
      const deadline = Date.now() + 120_000;
      const applies = tokens.map(async (t, i) => {
        await sleep(Math.floor((i * options.spreadMs) / tokens.length));
        await applyRetrying(env.bffUrl, t.token, eventId, deadline).catch(() => undefined);
      });
      await sleep(options.injectAtMs);
      const victim = await owningIssuer({
        ...env.context,
        eventPartitions: async () =>
          [...(await env.offsets())].filter(([p, o]) => BigInt(o) > BigInt(before.get(p) ?? '0')).map(([p]) => p),
      });
      // The next decision is the next row MySQL holds: decided_at cannot tell it, since a sold-out
      // answer carries the time the event service gave it, before any issuer writes it.
      const written = async () => {
        const [row] = await env.sequelize.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM applications WHERE event_id = :eventId',
          {
            type: QueryTypes.SELECT,
            replacements: { eventId },
          },
        );
        return Number(row?.n ?? 0);
      };
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const atKill = await written();
      let nextDecisionMs: number | undefined;
      while (Date.now() - killedAt < 60_000) {
        if ((await written()) > atKill) {
          nextDecisionMs = Date.now() - killedAt;
          break;
        }
        await sleep(50);
      }
      results.push({ killed: victim.name, nextDecisionMs });
      log(
        `failover ${trial}: SIGKILL ${victim.name} → next decision ${nextDecisionMs === undefined ? 'none within 60 s' : `${(nextDecisionMs / 1000).toFixed(2)} s`}`,
      );
      await victim.start();
      await Promise.all(applies);
    }
  } finally {
    await shape.stop(options.keep);
  }
  const times = results.flatMap((r) => (r.nextDecisionMs === undefined ? [] : [r.nextDecisionMs]));
  const medianMs = times.length === results.length ? median(times) : undefined;
  return { trials: results, medianMs };
}
