import { budgetLimits, type BudgetGrant, type SendBudget } from '@fcfs/kit';
import { createCodeDelivery, type DeliveryPolicy } from './code-delivery';
import type { Mailer } from './mailer';

const policy: DeliveryPolicy = { attemptTimeoutMs: 500, backoff: { baseMs: 5, maxMs: 20 } };
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const rejected = () =>
  Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });

/** A mailer that fails with the given errors in turn, then succeeds. */
function mailerFailing(...errors: Error[]): Mailer & { calls: number } {
  const mailer = {
    calls: 0,
    async sendCode() {
      const error = errors[mailer.calls++];
      if (error) throw error;
    },
  };
  return mailer;
}

function budgetAnswering(...grants: BudgetGrant[]): SendBudget & { takes: number } {
  const budget = {
    limits: budgetLimits(10),
    takes: 0,
    async take() {
      return grants[budget.takes++] ?? { granted: true as const, waitMs: 0 };
    },
    async untilResultMayGo() {},
  };
  return budget;
}

describe('code delivery', () => {
  it('tries again after a reset connection, a token of the budget each try', async () => {
    const mailer = mailerFailing(reset(), reset());
    const budget = budgetAnswering();
    const sent = await createCodeDelivery(mailer, budget, policy).deliver('a@example.com', '123456', 300, Date.now() + 2_000);
    expect(sent).toEqual({ outcome: 'sent', attempts: 3 });
    expect(budget.takes).toBe(3);
  });

  it('does not retry a permanent rejection', async () => {
    const mailer = mailerFailing(rejected());
    const sent = await createCodeDelivery(mailer, budgetAnswering(), policy).deliver(
      'a@example.com',
      '1',
      300,
      Date.now() + 2_000,
    );
    expect(sent).toMatchObject({ outcome: 'failed', attempts: 1, transient: false });
    expect(mailer.calls).toBe(1);
  });

  it('stops at the deadline, with a retry-after', async () => {
    const mailer = mailerFailing(...Array.from({ length: 1_000 }, reset));
    const startedAt = Date.now();
    const sent = await createCodeDelivery(mailer, budgetAnswering(), policy).deliver('a@example.com', '1', 300, startedAt + 300);
    expect(sent).toMatchObject({ outcome: 'failed', transient: true, retryAfterMs: 20 });
    expect(Date.now() - startedAt).toBeLessThan(400);
    expect(mailer.calls).toBeGreaterThan(2);
  });

  it('answers rate-limited without calling SES when the budget has nothing for a code', async () => {
    const mailer = mailerFailing();
    const sent = await createCodeDelivery(mailer, budgetAnswering({ granted: false, retryAfterMs: 1_500 }), policy).deliver(
      'a@example.com',
      '1',
      300,
      Date.now() + 2_000,
    );
    expect(sent).toEqual({ outcome: 'rate-limited', retryAfterMs: 1_500 });
    expect(mailer.calls).toBe(0);
  });

  it('refuses at once, RATE_LIMITED in a second, while its most codes are already on their way', async () => {
    let release: () => void = () => undefined;
    const slow: Mailer = { sendCode: () => new Promise<void>((resolve) => (release = resolve)) };
    const delivery = createCodeDelivery(slow, budgetAnswering(), policy, 1);
    const first = delivery.deliver('a@example.com', '1', 300, Date.now() + 2_000);
    await new Promise((r) => setImmediate(r));
    await expect(delivery.deliver('b@example.com', '2', 300, Date.now() + 2_000)).resolves.toEqual({
      outcome: 'rate-limited',
      retryAfterMs: 1_000,
    });
    release();
    await expect(first).resolves.toMatchObject({ outcome: 'sent' });
  });

  it('waits for a queued token before sending', async () => {
    const startedAt = Date.now();
    const sent = await createCodeDelivery(mailerFailing(), budgetAnswering({ granted: true, waitMs: 120 }), policy).deliver(
      'a@example.com',
      '1',
      300,
      Date.now() + 2_000,
    );
    expect(sent).toMatchObject({ outcome: 'sent' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(110);
  });
});
