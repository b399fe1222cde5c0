import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestCodes, watchInbox } from './code-requests';
import { adminApi, APPLY_MUTATION } from './graphql';
import { hammer } from './hammer';
import { watchEmails } from './monitors';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { machineInfo, type SigninResult } from './result';
import { percentiles } from './stats';
import { errorCount, round, roundAll, summarise } from './summary';
import type { Target } from './target';
import { participantEmails, runDomain } from './tokens';

const VERIFY =
  'mutation Verify($email: String!, $code: String!) { verifyCode(email: $email, code: $code) { token participant { id } } }';
const STALL_MS = 30_000;

/**
 * A line that drains while people sign in: `count` participants (tokens minted, not signed in
 * through e-mail) apply to an event of stock count / 10, so `count` result e-mails wait in the
 * outbox for the same SES budget as the codes.
 */
async function startLine(target: Target, runId: string, count: number, signal: AbortSignal, progress: Progress) {
  const domain = runDomain(`${runId}-line`);
  const emails = participantEmails(`${runId}-line`, count);
  progress.phase(`the line: ${count} participants apply (minting tokens, not timed)`);
  const [admin] = await target.mintTokens([target.adminEmail]);
  const participants = await target.mintTokens(emails);
  if (!admin) throw new Error('no admin token');
  const eventId = await adminApi(target.bffUrl, admin.token).createOpenEvent(`signin line ${runId}`, Math.max(1, count / 10));
  const body = JSON.stringify({ query: APPLY_MUTATION, variables: { eventId } });
  // Watched from the first apply: the notifier sends some results while the line is still applying.
  const origin = Date.now();
  const results = watchEmails(target.sesUrl, domain, origin, 500);
  const applies = await hammer({
    url: `${target.bffUrl}/graphql`,
    connections: Math.min(200, count),
    amount: count,
    authorization: (i) => `Bearer ${participants[i]!.token}`,
    body: () => body,
    requestTimeoutSeconds: 30,
    signal,
  });
  progress.phase(`the line: ${applies.completed} applied, ${errorCount(summarise(applies, count))} errors; results drain`);
  return { domain, origin, applied: applies.completed, results };
}

/** Result e-mails the line's participants got in [from, to) (run-relative ms of `watchEmails`). */
function resultsBetween(samples: { t: number; sent: number }[], from: number, to: number): number {
  const at = (t: number) => samples.filter((s) => s.t <= t).pop()?.sent ?? 0;
  return at(to) - at(from);
}

/** Waits until every participant's code is in the inbox, or nothing new arrived for STALL_MS. */
async function waitForCodes(
  inbox: ReturnType<typeof watchInbox>,
  expected: number,
  signal: AbortSignal,
  tick: (n: number) => void,
) {
  let seen = 0;
  let lastGrowth = Date.now();
  while (!signal.aborted && inbox.codes.size < expected && Date.now() - lastGrowth < STALL_MS) {
    if (inbox.codes.size > seen) lastGrowth = Date.now();
    seen = inbox.codes.size;
    tick(seen);
    await sleep(250);
  }
  tick(inbox.codes.size);
}

/**
 * Signing in through the real e-mail flow: every participant asks for a code (again after
 * RATE_LIMITED's retry-after, as a client would), the codes are read from the SES emulator as a
 * person would read their inbox, and every participant verifies. With `--line`, a line drains
 * while they do: its result e-mails share the SES budget, and the codes must go first.
 */
export async function runSignin(options: BenchmarkOptions, target: Target, progress: Progress): Promise<SigninResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const domain = runDomain(runId);
  const emails = participantEmails(runId, options.participants);
  const endpoint = `${target.bffUrl}/graphql`;
  const line = options.line > 0 ? await startLine(target, runId, options.line, deadline, progress) : undefined;

  progress.phase(`sign-in run ${runId}: ${options.participants} participants over ${options.connections} connections`);
  const start = Date.now();
  const inbox = watchInbox(target.sesUrl, domain, start);
  const asked = await requestCodes(
    endpoint,
    emails,
    options.connections,
    deadline,
    progress.counter('codes sent', emails.length),
  );
  await waitForCodes(inbox, emails.length, deadline, progress.counter('codes in inboxes', emails.length));
  await inbox.stop();
  const codesDeliveredMs = inbox.codes.size >= emails.length ? Date.now() - start : undefined;
  const waveMs = Date.now() - start;
  const timeToCode = emails.flatMap((e, i) => {
    const seen = inbox.codes.get(e)?.seenAt;
    return seen === undefined ? [] : [seen - (asked.firstAskedAt[i] ?? start)];
  });

  const withCode = emails.filter((e) => inbox.codes.has(e));
  const verify = await hammer({
    url: endpoint,
    connections: options.connections,
    amount: Math.max(withCode.length, 1),
    authorization: () => undefined,
    requestTimeoutSeconds: 30,
    signal: deadline,
    body: (i) =>
      JSON.stringify({
        query: VERIFY,
        variables: { email: withCode[i] ?? 'nobody@example.invalid', code: inbox.codes.get(withCode[i] ?? '')?.code ?? '000000' },
      }),
    onResponse: progress.counter('codes verified', withCode.length),
  });
  const totalMs = Date.now() - start;
  const lineResult = line && (await drainLine(line, start - line.origin, waveMs, deadline));
  progress.stop();

  const sendCode = summarise({ ...asked, completed: asked.requests, setupMs: 0 }, asked.requests);
  const verifyCode = summarise(verify, withCode.length);
  const signedIn = withCode.length ? verify.completed - errorCount(verifyCode) : 0;
  const failedSends = errorCount(sendCode) - (sendCode.errors['RATE_LIMITED'] ?? 0);
  return {
    scenario: 'signin',
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    config: {
      participants: options.participants,
      connections: options.connections,
      timeoutMs: options.timeoutMs,
      bffUrl: target.bffUrl,
      sesRatePerSecond: options.sesRate,
      line: options.line,
    },
    machine: machineInfo(),
    sendCode,
    codesDeliveredMs,
    codesFound: inbox.codes.size,
    timeToCodeMs: roundAll(percentiles(timeToCode)),
    verifyCode,
    signinsPerSecond: round((signedIn / totalMs) * 1000),
    signedIn,
    ...(lineResult ? { line: lineResult } : {}),
    ok: signedIn === emails.length && failedSends === 0 && errorCount(verifyCode) === 0,
  };
}

/** How the line's result e-mails fared: during the sign-in wave, and until the outbox drained after it. */
async function drainLine(line: Awaited<ReturnType<typeof startLine>>, waveStart: number, waveMs: number, signal: AbortSignal) {
  let last = -1;
  let lastGrowth = Date.now();
  while (!signal.aborted && (line.results.latest()?.sent ?? 0) < line.applied && Date.now() - lastGrowth < STALL_MS) {
    const now = line.results.latest()?.sent ?? 0;
    if (now > last) lastGrowth = Date.now();
    last = now;
    await sleep(500);
  }
  await line.results.stop();
  const samples = line.results.samples;
  const done = samples.find((s) => s.sent >= line.applied);
  const afterWaveMs = (done?.t ?? Number.NaN) - (waveStart + waveMs);
  return {
    participants: line.applied,
    resultsBeforeWave: resultsBetween(samples, -1, waveStart),
    resultsDuringWave: resultsBetween(samples, waveStart, waveStart + waveMs),
    resultsAfterWave: resultsBetween(samples, waveStart + waveMs, Number.POSITIVE_INFINITY),
    allResultsSentAfterWaveMs: Number.isNaN(afterWaveMs) ? undefined : Math.max(0, afterWaveMs),
  };
}
