import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { emailsTo, randomSuffix, urls } from '../../../test/support';
import { createSes } from './ses';

describe('SES v2 through the local emulator', () => {
  it('sends an e-mail that the emulator stores', async () => {
    const ses = createSes({ endpoint: urls.ses, region: 'eu-west-1', accessKeyId: 'local', secretAccessKey: 'local' });
    const to = `smoke-${randomSuffix()}@example.com`;
    const out = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'noreply@fcfs.local',
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: { Subject: { Data: 'smoke' }, Body: { Text: { Data: 'hello 123456' }, Html: { Data: '<p>hello 123456</p>' } } },
        },
      }),
    );
    expect(out.MessageId).toBeTruthy();
    const [email] = await emailsTo(to);
    expect(email?.subject).toBe('smoke');
    expect(email?.body.text).toContain('123456');
    ses.destroy();
  });
});
