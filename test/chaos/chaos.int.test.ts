// The short version of `npm run chaos` (tools/chaos): the production shape (two BFFs behind one port,
// two event services, two issuers in one group) on private infrastructure, a herd of retrying
// clients with live subscribers, and two faults mid-herd: the deciding issuer SIGKILLed, Redis
// flushed. Every invariant is checked through the API, MySQL and the SES emulator's store.
import { faultsNamed, resultTable, runChaos } from '../../tools/chaos/src';

describe('chaos, short: issuer SIGKILL and Redis FLUSHALL at production shape', () => {
  it('keeps every invariant through both faults', async () => {
    const faults = faultsNamed('issuer sigkill, redis flushall');
    const lines: string[] = [];
    const result = await runChaos({
      faults,
      participants: 80,
      stock: 8,
      subscribers: 8,
      replicas: { bff: 2, event: 2, issuer: 2, auth: 1 },
      spreadMs: 4_000,
      injectAtMs: 1_500,
      drainTimeoutMs: 45_000,
      keep: false,
      log: (line) => lines.push(line),
    });
    const table = resultTable(result.rounds);
    expect(result.rounds.map((r) => r.fault)).toEqual(['issuer SIGKILL', 'Redis FLUSHALL']);
    // The table names the violations; the log says what happened.
    expect({ ok: result.ok, table, log: result.ok ? [] : lines }).toEqual({ ok: true, table, log: [] });
    for (const round of result.rounds) expect(round.recoverMs).toBeDefined();
  }, 150_000);
});
