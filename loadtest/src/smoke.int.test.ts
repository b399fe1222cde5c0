// The benchmark's code path on a small herd, as part of `npm test`: every invariant must hold and
// no apply may fail. Never asserts speed (that is the benchmark's job, on a quiet machine).
import { urls } from '../../test/support';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import { defaultOptions } from './options';
import { silentProgress, terminalProgress } from './progress';
import type { HerdResult } from './result';
import { runBenchmark } from './run';
import type { Target } from './target';

let platform: TestPlatform;
let target: Target;

beforeAll(async () => {
  platform = await startTestPlatform({
    bff: { BFF_RATE_LIMIT_IP_PER_MINUTE: '0', BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: '0' },
    issuer: { NOTIFIER_CONCURRENCY: '32' },
  });
  target = {
    bffUrl: new URL(platform.url).origin,
    sesUrl: urls.ses,
    mysqlUrl: platform.db.url,
    issuerAddress: `127.0.0.1:${platform.issuer.grpcPort}`,
    adminEmail: platform.adminEmail,
    mintTokens: (emails) => platform.mintTokens(emails),
    stop: async () => undefined,
  };
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

it('runs a 500-participant herd against stock 50 with 50 subscribers: no errors, every invariant holds', async () => {
  const options = defaultOptions({
    participants: 500,
    stock: 50,
    connections: 50,
    subscribers: 50,
    warmup: 100,
    timeoutMs: 150_000,
  });
  // LOADTEST_PROGRESS=1 shows the run's phases and counters while it goes.
  const progress = process.env['LOADTEST_PROGRESS'] ? terminalProgress() : silentProgress;
  const result = (await runBenchmark(options, target, progress)) as HerdResult;

  expect(result.applies.errors).toEqual({});
  expect(result.applies.completed).toBe(500);
  expect(result.invariants.filter((c) => !c.ok)).toEqual([]);
  expect(result.applies.outcomes['ACCEPTED'] ?? 0).toBeGreaterThanOrEqual(50);
  expect((result.applies.outcomes['ACCEPTED'] ?? 0) + (result.applies.outcomes['SOLD_OUT'] ?? 0)).toBe(500);
  expect(result.subscribers.final).toBe(50);
  expect(result.emails.sent).toBe(500);
  expect(result.ceiling?.completed).toBe(500);
  expect(result.ok).toBe(true);
  // The rehearsal ran first on its own event, and checked itself the same way.
  expect(result.warmup).toMatchObject({ participants: 100, stock: 10, ok: true });
  expect(result.warmup?.appliesPerSecond).toBeGreaterThan(0);
}, 200_000);
