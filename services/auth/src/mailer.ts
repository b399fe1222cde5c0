import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

/** The verification e-mail: plain text and HTML, both holding the code. */
export function verificationEmail(code: string, ttlSeconds: number): { subject: string; text: string; html: string } {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const validity = `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return {
    subject: `Your verification code: ${code}`,
    text: `Your verification code is ${code}\n\nIt is valid for ${validity} and can be used once.\nIf you did not ask for it, ignore this e-mail.\n`,
    html:
      `<p>Your verification code is</p><p style="font-size:24px;font-weight:bold;letter-spacing:4px">${code}</p>` +
      `<p>It is valid for ${validity} and can be used once. If you did not ask for it, ignore this e-mail.</p>`,
  };
}

/** Sends verification codes through SES v2: one call, no retry (`code-delivery.ts` decides that). */
export function createMailer(ses: SESv2Client, from: string) {
  return {
    async sendCode(to: string, code: string, ttlSeconds: number, abortSignal?: AbortSignal): Promise<void> {
      const { subject, text, html } = verificationEmail(code, ttlSeconds);
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [to] },
          Content: {
            Simple: {
              Subject: { Data: subject, Charset: 'UTF-8' },
              Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
            },
          },
        }),
        abortSignal ? { abortSignal } : {},
      );
    },
  };
}

export type Mailer = ReturnType<typeof createMailer>;
