// A subpath of its own (`@fcfs/kit/ses`): only the parts that send e-mail load the AWS SDK.
import { SESv2Client } from '@aws-sdk/client-sesv2';

export interface SesSettings {
  endpoint?: string | undefined;
  region: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

/** SES v2; `endpoint` points at the local emulator in development and tests. */
export function createSes({ endpoint, region, accessKeyId, secretAccessKey }: SesSettings): SESv2Client {
  return new SESv2Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: 1,
  });
}
