// A subpath of its own (`@fcfs/kit/ses`): only the parts that send e-mail load the AWS SDK.
import { SESv2Client } from '@aws-sdk/client-sesv2';

export { classifySendError, type SendFailure } from './ses-errors';

export interface SesSettings {
  endpoint?: string | undefined;
  region: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

/**
 * SES v2; `endpoint` points at the local emulator in development and tests. The SDK never retries
 * (`maxAttempts: 1`): each sender has its own policy, and every try must take a token of the shared
 * send budget first. Auth retries a code within its request's deadline; the notifier reschedules the row.
 */
export function createSes({ endpoint, region, accessKeyId, secretAccessKey }: SesSettings): SESv2Client {
  return new SESv2Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: 1,
    // The send budget lets rate x latency e-mails be in flight (hundreds when the endpoint slows down);
    // the SDK's default of 50 sockets would queue them behind each other, against each code's deadline.
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 512 }, httpsAgent: { keepAlive: true, maxSockets: 512 } },
  });
}
