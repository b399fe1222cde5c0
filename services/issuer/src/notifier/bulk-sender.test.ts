import type { SendBulkEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { createBulkSender, entryOutcome, FRAME_TEMPLATE } from './bulk-sender';

const content = (n: number) => ({ subject: `s${n}`, text: `t${n}`, html: `<p>${n}</p>` });

/** An SES client that records each SendBulkEmail call and answers with `answer`. */
function fakeSes(answer: (entries: number) => Promise<unknown>) {
  const calls: SendBulkEmailCommand['input'][] = [];
  const ses = {
    send: (command: SendBulkEmailCommand) => {
      calls.push(command.input);
      return answer(command.input.BulkEmailEntries?.length ?? 0);
    },
  } as unknown as SESv2Client;
  return { ses, calls };
}

const success = (n: number) =>
  Promise.resolve({ BulkEmailEntryResults: Array.from({ length: n }, () => ({ Status: 'SUCCESS' })) });
const options = { from: 'no-reply@fcfs.local', maxEntries: 50, lingerMs: 5, sendTimeoutMs: 1_000 };
const free = () => Promise.resolve(() => undefined);

describe('bulk sender', () => {
  it('puts up to 50 ready e-mails in one SendBulkEmail call, each recipient with its own rendered parts', async () => {
    const { ses, calls } = fakeSes(success);
    const sender = createBulkSender({ ses, ...options, acquire: free });
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, (_, i) => sender.send({ to: `p${i}@x.test`, content: content(i) })),
    );
    expect(outcomes.every((o) => o === 'sent')).toBe(true);
    expect(calls.map((c) => c.BulkEmailEntries?.length)).toEqual([50, 50, 20]);
    expect(calls[0]?.DefaultContent?.Template?.TemplateContent).toEqual(FRAME_TEMPLATE);
    const entry = calls[2]?.BulkEmailEntries?.[19];
    expect(entry?.Destination?.ToAddresses).toEqual(['p119@x.test']);
    expect(JSON.parse(entry?.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '')).toEqual(content(119));
  });

  it('answers each recipient its own result, and a failed call to every recipient in it', async () => {
    let call = 0;
    const { ses } = fakeSes(() => {
      call += 1;
      if (call === 1) {
        return Promise.resolve({
          BulkEmailEntryResults: [
            { Status: 'SUCCESS' },
            { Status: 'MESSAGE_REJECTED', Error: 'no' },
            { Status: 'ACCOUNT_THROTTLED' },
          ],
        });
      }
      return Promise.reject(Object.assign(new Error('Throttled'), { name: 'TooManyRequestsException' }));
    });
    const sender = createBulkSender({ ses, ...options, acquire: free });
    const first = await Promise.all([0, 1, 2].map((i) => sender.send({ to: `p${i}@x.test`, content: content(i) })));
    expect(first).toEqual([
      'sent',
      { transient: false, reason: 'SendBulkEmail MESSAGE_REJECTED: no' },
      { transient: true, reason: 'SendBulkEmail ACCOUNT_THROTTLED' },
    ]);
    const second = await Promise.all([3, 4].map((i) => sender.send({ to: `p${i}@x.test`, content: content(i) })));
    expect(second.map((o) => typeof o !== 'string' && o.transient)).toEqual([true, true]);
  });

  it('answers stopped, without calling SES, when no call place comes (stopping)', async () => {
    const { ses, calls } = fakeSes(success);
    const sender = createBulkSender({ ses, ...options, acquire: () => Promise.reject(new Error('stopping')) });
    expect(await sender.send({ to: 'p@x.test', content: content(1) })).toBe('stopped');
    expect(calls).toHaveLength(0);
  });

  it('reads a missing or unknown entry result as a transient failure', () => {
    expect(entryOutcome(undefined)).toMatchObject({ transient: true });
    expect(entryOutcome({ Status: 'FAILED' })).toMatchObject({ transient: true });
    expect(entryOutcome({ Status: 'TEMPLATE_NOT_FOUND' })).toMatchObject({ transient: false });
    expect(entryOutcome({ Status: 'SUCCESS' })).toBe('sent');
  });
});
