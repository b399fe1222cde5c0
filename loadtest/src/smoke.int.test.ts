// The benchmark's code path on a small herd, as part of `npm test`: every invariant must hold and
// no apply may fail. Never asserts speed (that is the benchmark's job, on a quiet machine).
import { urls } from '../../test/support';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import { defaultOptions } from './options';
import { silentProgress, terminalProgress } from './progress';
import type { HerdResult, SigninResult } from './result';
import { runBenchmark } from './run';
import type { Target } from './target';

let platform: TestPlatform;
let target: Target;

beforeAll(async () => {
  platform = await startTestPlatform({
    bff: {
      BFF_RATE_LIMIT_IP_PER_MINUTE: '0',
      BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: '0',
      BFF_WS_MAX_SOCKETS_PER_ADDRESS: '0',
    },
    // Codes through the e-mail flow from one address; one send budget small enough to be spent.
    auth: {
      AUTH_SEND_COOLDOWN_SECONDS: '0',
      AUTH_SEND_PER_IP_MAX: '100000',
      AUTH_VERIFY_FAILURES_PER_IP_MAX: '100000',
      SES_SEND_RATE_PER_SECOND: '100',
    },
    issuer: { NOTIFIER_CONCURRENCY: '32', SES_SEND_RATE_PER_SECOND: '100' },
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

it('signs 300 participants in through the e-mail flow while a line of 200 drains: every code arrives, the spent budget is retried', async () => {
  const options = defaultOptions({ scenario: 'signin', participants: 300, connections: 50, line: 200, timeoutMs: 150_000 });
  const progress = process.env['LOADTEST_PROGRESS'] ? terminalProgress() : silentProgress;
  const result = (await runBenchmark(options, target, progress)) as SigninResult;

  expect(result.signedIn).toBe(300);
  // At 100 e-mails a second some asks are refused RATE_LIMITED and asked again; nothing else fails.
  expect(Object.keys(result.sendCode.errors).filter((code) => code !== 'RATE_LIMITED')).toEqual([]);
  expect(result.verifyCode.errors).toEqual({});
  expect(result.timeToCodeMs?.count).toBe(300);
  expect(result.line).toMatchObject({ participants: 200 });
  expect(
    (result.line?.resultsBeforeWave ?? 0) + (result.line?.resultsDuringWave ?? 0) + (result.line?.resultsAfterWave ?? 0),
  ).toBe(200);
  expect(result.ok).toBe(true);
}, 200_000);
