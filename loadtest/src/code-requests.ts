import { setTimeout as sleep } from 'node:timers/promises';
import { classify, firstErrorExtensions } from './hammer';
import { emailsToDomain, poll } from './monitors';

const SEND = 'mutation Send($email: String!) { sendVerificationCode(email: $email) { ok expiresInSeconds } }';
const CODE = /\b(\d{6})\b/;
/** Each participant gives up after this many answers of RATE_LIMITED (a person would too). */
const MAX_TRIES = 200;

export interface CodeRequestsResult {
  /** Per participant, when it first asked for a code (epoch ms); NaN if it never did. */
  firstAskedAt: Float64Array;
  /** Latency of every sendVerificationCode call, ms. */
  latencies: number[];
  /** Every answer that was not a code sent, by error code (RATE_LIMITED ones were then retried). */
  errors: Record<string, number>;
  errorSamples: string[];
  /** Participants whose last answer was a sent code. */
  sent: number;
  requests: number;
  durationMs: number;
}

/**
 * Every participant asks for a code, `connections` at a time, as browsers would: an answer of
 * RATE_LIMITED (or UNAVAILABLE) is asked again after its `retryAfterSeconds`, plus a random part of
 * a second so the refused do not return together. Counts every answer that was not a sent code.
 */
export async function requestCodes(
  endpoint: string,
  emails: string[],
  connections: number,
  signal: AbortSignal,
  onSent: (sent: number) => void,
): Promise<CodeRequestsResult> {
  const firstAskedAt = new Float64Array(emails.length).fill(Number.NaN);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  // A queue read from `head` on: the refused go to its end, each with the time it may ask again.
  const queue = emails.map((_, i) => ({ i, readyAt: 0, tries: 0 }));
  let head = 0;
  const take = () => (head < queue.length ? queue[head++] : undefined);
  let sent = 0;
  const startedAt = Date.now();

  async function ask(i: number): Promise<{ ok: true } | { ok: false; code: string; retryAfterSeconds: number | undefined }> {
    const at = performance.now();
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: SEND, variables: { email: emails[i] } }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
      const body = await res.text();
      latencies.push(performance.now() - at);
      const kind = classify(res.status, body);
      if ('outcome' in kind) return { ok: true };
      if (errorSamples.length < 5) errorSamples.push(body.slice(0, 300));
      return { ok: false, code: kind.error, retryAfterSeconds: firstErrorExtensions(body)?.retryAfterSeconds };
    } catch (err) {
      latencies.push(performance.now() - at);
      return { ok: false, code: (err as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'TRANSPORT', retryAfterSeconds: undefined };
    }
  }

  async function worker(): Promise<void> {
    for (let next = take(); next && !signal.aborted; next = take()) {
      if (next.readyAt > Date.now()) await sleep(next.readyAt - Date.now());
      if (Number.isNaN(firstAskedAt[next.i])) firstAskedAt[next.i] = Date.now();
      const answer = await ask(next.i);
      if (answer.ok) {
        onSent(++sent);
        continue;
      }
      errors[answer.code] = (errors[answer.code] ?? 0) + 1;
      const retriable = answer.code === 'RATE_LIMITED' || answer.code === 'UNAVAILABLE';
      if (retriable && ++next.tries < MAX_TRIES) {
        const waitMs = ((answer.retryAfterSeconds ?? 1) + Math.random()) * 1000;
        queue.push({ ...next, readyAt: Date.now() + waitMs });
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(connections, emails.length) }, worker));
  return { firstAskedAt, latencies, errors, errorSamples, sent, requests: latencies.length, durationMs: Date.now() - startedAt };
}

/**
 * Reads the run's codes from the SES emulator as inboxes would, every `intervalMs`, noting when
 * each address's first code was seen (the resolution of "code in the inbox" is that interval).
 * Each read asks only for the last seconds (the emulator stamps whole seconds).
 */
export function watchInbox(sesUrl: string, domain: string, originMs: number, intervalMs = 250) {
  const codes = new Map<string, { code: string; seenAt: number }>();
  let sinceMs = originMs - 1_000;
  const poller = poll(intervalMs, async () => {
    const readAt = Date.now();
    for (const email of await emailsToDomain(sesUrl, domain, sinceMs)) {
      const to = email.destination.to[0]?.toLowerCase();
      const code = CODE.exec(email.body.text ?? email.subject ?? '')?.[1];
      // The newest code counts: a participant asked again only when the earlier send was refused.
      if (to && code && codes.get(to)?.code !== code) codes.set(to, { code, seenAt: codes.get(to)?.seenAt ?? readAt });
    }
    sinceMs = readAt - 2_000;
  });
  return { codes, stop: poller.stop };
}
