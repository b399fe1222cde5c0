import { SendBulkEmailCommand, type BulkEmailEntryResult, type SESv2Client } from '@aws-sdk/client-sesv2';
import { classifySendError, type SendFailure } from '@fcfs/kit/ses';
import type { RenderedEmail } from './templates';

/** SES v2 takes at most 50 entries in one SendBulkEmail call. */
export const MAX_BULK_ENTRIES = 50;

export type EntryOutcome = 'sent' | 'stopped' | SendFailure;

export interface BulkEntry {
  to: string;
  content: RenderedEmail;
}

/**
 * One template for every result e-mail: its three parts are the recipient's own, rendered by us
 * (templates.ts, which escapes the HTML). Triple braces: Handlebars inserts them as they are, as SES does.
 */
export const FRAME_TEMPLATE = { Subject: '{{{subject}}}', Text: '{{{text}}}', Html: '{{{html}}}' } as const;

// Statuses that say nothing about this e-mail: the account or the service will take it later.
const TRANSIENT_STATUSES = new Set([
  'TRANSIENT_FAILURE',
  'ACCOUNT_THROTTLED',
  'ACCOUNT_DAILY_QUOTA_EXCEEDED',
  'ACCOUNT_SENDING_PAUSED',
  'CONFIGURATION_SET_SENDING_PAUSED',
  // SES's "unknown issue": tried again (up to NOTIFIER_MAX_ATTEMPTS) rather than given up at once.
  'FAILED',
]);

/** The outcome of one recipient of a SendBulkEmail call, from its entry result (absent: SES did not say). */
export function entryOutcome(result: BulkEmailEntryResult | undefined): 'sent' | SendFailure {
  if (result === undefined) return { transient: true, reason: 'SendBulkEmail returned no result for this recipient' };
  const status = result.Status ?? 'FAILED';
  if (status === 'SUCCESS') return 'sent';
  const reason = `SendBulkEmail ${status}${result.Error ? `: ${result.Error}` : ''}`.slice(0, 1000);
  return { transient: TRANSIENT_STATUSES.has(status), reason };
}

export interface BulkSenderOptions {
  ses: SESv2Client;
  from: string;
  /** Entries of one call, 1 to 50. */
  maxEntries: number;
  /** How long the first entry of a call waits for others to join it. */
  lingerMs: number;
  sendTimeoutMs: number;
  /** A place among the calls allowed at once (NOTIFIER_CONCURRENCY); rejects once stopping. */
  acquire: () => Promise<() => void>;
}

export interface BulkSender {
  /** Sends `entry` in the next SendBulkEmail call and answers its own recipient's outcome. */
  send(entry: BulkEntry): Promise<EntryOutcome>;
}

interface Waiting {
  entry: BulkEntry;
  settle: (outcome: EntryOutcome) => void;
}

/**
 * Gathers the e-mails that are ready (each has already taken its token of the send budget: SES counts
 * every recipient of a bulk call as one send) into SendBulkEmail calls of up to `maxEntries`, one call
 * as soon as it is full or `lingerMs` after its first entry. Each call signs one HTTP request for up to
 * 50 e-mails: the AWS SDK's per-call cost (signing, HTTP, parsing) was most of the issuer's CPU.
 * An error of the whole call is every entry's outcome; otherwise each entry gets its own result.
 */
export function createBulkSender({ ses, from, maxEntries, lingerMs, sendTimeoutMs, acquire }: BulkSenderOptions): BulkSender {
  let batch: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function call(entries: Waiting[]): Promise<void> {
    let release: () => void;
    try {
      release = await acquire();
    } catch {
      for (const w of entries) w.settle('stopped');
      return;
    }
    try {
      const out = await ses.send(
        new SendBulkEmailCommand({
          FromEmailAddress: from,
          DefaultContent: { Template: { TemplateContent: FRAME_TEMPLATE, TemplateData: '{}' } },
          BulkEmailEntries: entries.map(({ entry }) => ({
            Destination: { ToAddresses: [entry.to] },
            ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: JSON.stringify(entry.content) } },
          })),
        }),
        { abortSignal: AbortSignal.timeout(sendTimeoutMs) },
      );
      const results = out.BulkEmailEntryResults ?? [];
      entries.forEach((w, i) => w.settle(entryOutcome(results[i])));
    } catch (err) {
      const failure = classifySendError(err);
      for (const w of entries) w.settle(failure);
    } finally {
      release();
    }
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const entries = batch;
    batch = [];
    if (entries.length > 0) void call(entries);
  }

  return {
    send(entry) {
      return new Promise<EntryOutcome>((settle) => {
        batch.push({ entry, settle });
        if (batch.length >= maxEntries) flush();
        else timer ??= setTimeout(flush, lingerMs);
      });
    },
  };
}
