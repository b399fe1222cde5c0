import type { AdminApi, EventStats } from './graphql';

/** One reading of `eventStats`, `t` milliseconds after the herd's start. */
export interface StatsSample extends EventStats {
  t: number;
}

/** One reading of the SES emulator: the run's e-mails sent so far. */
export interface EmailSample {
  t: number;
  sent: number;
}

/** Polls `fn` every `intervalMs` (never overlapping) until stopped; errors are counted, not thrown. */
export function poll(intervalMs: number, fn: () => Promise<void>): { stop(): Promise<void>; failures(): number } {
  let stopped = false;
  let failures = 0;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await fn();
      } catch {
        failures++;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
    failures: () => failures,
  };
}

/** Watches the event's counters (admin `eventStats`) while the herd runs and drains. */
export function watchStats(admin: AdminApi, eventId: string, originMs: number, intervalMs = 250) {
  const samples: StatsSample[] = [];
  const poller = poll(intervalMs, async () => {
    const stats = await admin.eventStats(eventId);
    samples.push({ ...stats, t: Date.now() - originMs });
  });
  return { samples, latest: () => samples[samples.length - 1], stop: poller.stop, failures: poller.failures };
}

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** The SES emulator's e-mails to one domain since a time (its `since` is in seconds). */
export async function emailsToDomain(sesUrl: string, domain: string, sinceMs: number): Promise<StoredEmail[]> {
  const res = await fetch(`${sesUrl}/store?since=${Math.floor(sinceMs / 1000)}`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`SES emulator store answered ${res.status}`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  const suffix = `@${domain}`;
  return emails.filter((e) => e.destination.to.some((to) => to.toLowerCase().endsWith(suffix)));
}

/**
 * Counts the run's result e-mails (distinct recipients). The emulator answers with every e-mail
 * since a time in whole seconds, so each read asks only for the last few seconds' worth: reading
 * the whole store every time would bill the benchmark for the emulator's JSON.
 */
export function watchEmails(sesUrl: string, domain: string, originMs: number, intervalMs = 1_000) {
  const samples: EmailSample[] = [];
  const recipients = new Set<string>();
  let sinceMs = originMs - 1_000;
  const poller = poll(intervalMs, async () => {
    const readAt = Date.now();
    for (const email of await emailsToDomain(sesUrl, domain, sinceMs)) {
      const to = email.destination.to[0]?.toLowerCase();
      if (to) recipients.add(to);
    }
    // Overlap by two seconds: `at` is rounded down to the second.
    sinceMs = readAt - 2_000;
    samples.push({ t: Date.now() - originMs, sent: recipients.size });
  });
  return { samples, latest: () => samples[samples.length - 1], stop: poller.stop, failures: poller.failures };
}
