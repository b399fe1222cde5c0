import { randomSuffix, urls } from '../../../test/support';
import { codeFor, createShared, randomAddress, startTestAuth, type Shared, type TestAuth } from '../../../test/support/auth';
import { resettingProxy, type ResettingProxy } from '../../../test/support/resetting-proxy';

describe('verification e-mails through an SES endpoint that resets connections (real Redis, MariaDB, SES emulator)', () => {
  let shared: Shared;
  let proxy: ResettingProxy;
  let t: TestAuth;

  beforeAll(async () => {
    shared = await createShared();
    // One request in three is answered with a TCP reset, as an idle keep-alive connection closed by SES.
    proxy = await resettingProxy(urls.ses, 3);
    t = await startTestAuth(shared, {
      SES_ENDPOINT: proxy.url,
      SES_SEND_RATE_PER_SECOND: '1000',
      SES_SEND_BUDGET_KEY: `${shared.prefix}{ses}:send-budget`,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.close();
    await shared?.cleanup();
  });

  it('delivers every code: a reset send is tried again within the request', async () => {
    const emails = Array.from({ length: 30 }, () => randomAddress(`reset-${randomSuffix(2)}`));
    const answers: PromiseSettledResult<unknown>[] = [];
    // Ten at a time, as a crowd signing in does.
    for (let i = 0; i < emails.length; i += 10) {
      answers.push(...(await Promise.allSettled(emails.slice(i, i + 10).map((email, j) => t.send(email, `203.0.113.${i + j}`)))));
    }
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(proxy.counts().reset).toBeGreaterThanOrEqual(10);
    for (const email of emails) await expect(codeFor(email)).resolves.toMatch(/^\d{6}$/);
  });
});
