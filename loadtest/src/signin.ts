import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hammer } from './hammer';
import { emailsToDomain } from './monitors';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { machineInfo, type SigninResult } from './result';
import { errorCount, round, summarise } from './summary';
import type { Target } from './target';
import { participantEmails, runDomain } from './tokens';

const SEND = 'mutation Send($email: String!) { sendVerificationCode(email: $email) { ok expiresInSeconds } }';
const VERIFY =
  'mutation Verify($email: String!, $code: String!) { verifyCode(email: $email, code: $code) { token participant { id } } }';
const CODE = /\b(\d{6})\b/;
const STALL_MS = 30_000;

/**
 * Signing in through the real e-mail flow: every participant asks for a code, the codes are read
 * from the SES emulator as a person would read their inbox, and every participant verifies.
 */
export async function runSignin(options: BenchmarkOptions, target: Target, progress: Progress): Promise<SigninResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const domain = runDomain(runId);
  const emails = participantEmails(runId, options.participants);
  const endpoint = `${target.bffUrl}/graphql`;
  const common = {
    url: endpoint,
    connections: options.connections,
    authorization: () => undefined,
    requestTimeoutSeconds: 30,
    signal: deadline,
    ...(options.coldConnections ? {} : { warmPath: '/healthz' }),
  };

  progress.phase(`sign-in run ${runId}: ${options.participants} participants over ${options.connections} connections`);
  const start = Date.now();
  const send = await hammer({
    ...common,
    amount: emails.length,
    body: (i) => JSON.stringify({ query: SEND, variables: { email: emails[i] } }),
    onResponse: progress.counter('codes requested', emails.length),
  });

  const codes = new Map<string, string>();
  const tickCodes = progress.counter('codes e-mailed', emails.length);
  let lastGrowth = Date.now();
  let codesDeliveredMs: number | undefined;
  while (!deadline.aborted && Date.now() - lastGrowth < STALL_MS) {
    const before = codes.size;
    for (const email of await emailsToDomain(target.sesUrl, domain, start - 1_000)) {
      const code = CODE.exec(email.body.text ?? email.subject ?? '')?.[1];
      const to = email.destination.to[0]?.toLowerCase();
      if (code && to) codes.set(to, code);
    }
    tickCodes(codes.size);
    if (codes.size > before) lastGrowth = Date.now();
    if (codes.size >= emails.length) {
      codesDeliveredMs = Date.now() - start;
      break;
    }
    await sleep(500);
  }

  const withCode = emails.filter((e) => codes.has(e));
  const verify = await hammer({
    ...common,
    amount: Math.max(withCode.length, 1),
    body: (i) =>
      JSON.stringify({
        query: VERIFY,
        variables: { email: withCode[i] ?? 'nobody@example.invalid', code: codes.get(withCode[i] ?? '') ?? '000000' },
      }),
    onResponse: progress.counter('codes verified', withCode.length),
  });
  const totalMs = Date.now() - start;
  progress.stop();

  const sendCode = summarise(send, emails.length);
  const verifyCode = summarise(verify, withCode.length);
  const signedIn = withCode.length ? verify.completed - errorCount(verifyCode) : 0;
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
    },
    machine: machineInfo(),
    sendCode,
    codesDeliveredMs,
    codesFound: codes.size,
    verifyCode,
    signinsPerSecond: round((signedIn / totalMs) * 1000),
    signedIn,
    ok: signedIn === emails.length && errorCount(sendCode) === 0 && errorCount(verifyCode) === 0,
  };
}
