// The web app end to end: the whole platform in-process, the BFF serving web/dist, and the
// system Chromium driving the pages as an organiser and two participants would.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { randomSuffix } from '../../test/support';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import { ARTIFACTS, axeViolations, launchBrowser, openPage, screenshots, signIn, WEB_DIST, type TestPage } from './browser';

const HOUR = 3_600_000;

/** A datetime-local input's value `ms` from now (the browser and the test share this machine's zone). */
function localInput(ms: number): string {
  const d = new Date(Date.now() + ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Fills the organiser's form (fields by their input ids) and waits for "created". */
async function createEvent(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(fields)) await page.locator(`#f-${id}`).fill(value);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText(`Event “${fields['name']}” created.`).waitFor();
}

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();

describe('the web app in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let base: string;
  let admin: TestPage;
  const suffix = randomSuffix();
  const alice = `alice-${suffix}@fcfs.test`;
  const bob = `bob-${suffix}@fcfs.test`;
  const participants: Record<string, TestPage> = {};
  const tabs: TestPage[] = [];
  let eventId = '';

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform({ bff: { BFF_WEB_DIR: WEB_DIST } }), launchBrowser()]);
    base = platform.url.replace(/\/graphql$/, '');
    admin = await openPage(browser, 'en-US');
  });

  afterEach(async () => {
    // What the organiser saw last: the first thing to look at when a step fails.
    await admin?.page.screenshot({ path: join(ARTIFACTS, 'last-organiser.png'), fullPage: true }).catch(() => undefined);
    for (const [i, tab] of tabs.entries())
      await tab.page.screenshot({ path: join(ARTIFACTS, `last-participant-${i}.png`), fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('lets the organiser sign in, create an event and open it', async () => {
    const { page } = admin;
    await page.goto(`${base}/#/signin`);
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'sign-in');
    await signIn(page, base, platform.adminEmail, 'type', true);

    await page.goto(`${base}/#/organiser`);
    // A later event with its times set: the participants' list counts down to it.
    await createEvent(page, {
      name: `Evening drop ${suffix}`,
      stock: '50',
      opensAt: localInput(2 * HOUR),
      closesAt: localInput(3 * HOUR),
      claimWindowSeconds: '0',
    });
    await createEvent(page, { name: `Launch drop ${suffix}`, stock: '1' });
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'organiser');

    await page.getByRole('link', { name: `Manage: Launch drop ${suffix}` }).click();
    eventId = /#\/organiser\/(\d+)/.exec(page.url())?.[1] ?? '';
    expect(eventId).toMatch(/^\d+$/);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.badge-open').waitFor();
  });

  it('signs two participants in with e-mailed codes; both apply at the same moment and see the result live', async () => {
    for (const [email, locale, how] of [
      [alice, 'en-US', 'type'],
      [bob, 'ko-KR', 'paste'],
    ] as const) {
      const tab = await openPage(browser, locale);
      tabs.push(tab);
      await tab.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await signIn(tab.page, base, email, how);
      await tab.page.goto(`${base}/#/events/${eventId}`);
      await tab.page.locator('button.big:not([disabled])').waitFor();
      participants[email] = tab;
    }
    const pages = [alice, bob].map((email) => (participants[email] as TestPage).page);
    expect(await text(pages[1] as Page, 'button.big')).toBe('응모하기');
    const applies = pages.map(() => 0);
    pages.forEach((page, i) =>
      page.on('request', (req) => {
        if (req.url().endsWith('/graphql') && (req.postData() ?? '').includes('mutation Apply')) applies[i]! += 1;
      }),
    );

    // Both at once, and each button pressed five times in a row: still one apply each.
    await Promise.all(
      pages.map((page) => page.evaluate("for (let i = 0; i < 5; i++) document.querySelector('button.big').click()")),
    );
    const finals = await Promise.all(
      pages.map(async (page) => {
        await page.locator('[data-status="ISSUED"], [data-status="SOLD_OUT"]').waitFor({ timeout: 30_000 });
        return page.locator('.status-text').getAttribute('data-status');
      }),
    );
    expect(applies).toEqual([1, 1]);
    expect([...finals].sort()).toEqual(['ISSUED', 'SOLD_OUT']);

    const winner = pages[finals.indexOf('ISSUED')] as Page;
    const loser = pages[finals.indexOf('SOLD_OUT')] as Page;
    const code = await text(winner, 'output.code');
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    for (const page of pages) {
      // The result is announced (a live region) and focus has moved to it.
      expect(await page.locator('.status-text').getAttribute('aria-live')).toBe('polite');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('status-heading');
      expect(await axeViolations(page)).toEqual([]);
    }
    await winner.locator('.gift button').click();
    expect(await winner.evaluate('navigator.clipboard.readText()')).toBe(code);
    expect(await loser.locator('output.code').count()).toBe(0);
    // With the result in, each page reads the event again (once, within a few seconds): none left.
    for (const page of pages) await page.getByText(/0 of 1 left|1개 중 0개 남음/).waitFor({ timeout: 10_000 });
    await screenshots(winner, 'event-won');
    await screenshots(loser, 'event-lost');

    const list = participants[alice] as TestPage;
    await list.page.goto(`${base}/#/`);
    await list.page.getByRole('link', { name: `Launch drop ${suffix}` }).waitFor();
    expect(await list.page.locator('.card').allInnerTexts()).toContainEqual(expect.stringMatching(/Opens in 1:5\d:\d\d/));
    expect(await axeViolations(list.page)).toEqual([]);
    await screenshots(list.page, 'events');
    for (const tab of [admin, ...Object.values(participants)]) expect(tab.problems).toEqual([]);
  });

  it("shows the counts in the organiser's live view, lists the winner and redeems the code once", async () => {
    const { page } = admin;
    for (const [stat, value] of [
      // The loser met SOLD_OUT at the gate: only the winner was admitted into the line.
      ['admitted', '1'],
      ['issued', '1'],
      ['soldOut', '1'],
      ['remaining', '0'],
      ['pending', '0'],
      // The platform's notifier e-mails both results.
      ['emailsSent', '2'],
      ['emailsPending', '0'],
      ['emailsFailed', '0'],
    ])
      await page
        .locator(`[data-stat="${stat}"]`)
        .filter({ hasText: new RegExp(`^${value}$`) })
        .waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Load winners' }).click();
    const code = await page.locator('table code').innerText();
    expect(await page.locator('table tbody tr').count()).toBe(1);

    await page.locator('#redeem-code').fill(code);
    await page.getByRole('button', { name: 'Redeem', exact: true }).click();
    await page.getByText(`Redeemed ${code}`).waitFor();
    await page.getByRole('button', { name: 'Redeem', exact: true }).click();
    await page.getByText('This code was already redeemed.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'organiser-event');
    expect(admin.problems).toEqual([]);
  });

  it('puts a participant in the waiting room before the opening: WAITING, no place in line yet', async () => {
    const { page } = admin;
    await page.goto(`${base}/#/organiser`);
    await createEvent(page, {
      name: `Dawn drop ${suffix}`,
      stock: '5',
      waitingRoomOpensAt: localInput(-2 * 60_000),
      opensAt: localInput(2 * HOUR),
    });
    await page.getByRole('link', { name: `Manage: Dawn drop ${suffix}` }).click();
    const roomId = /#\/organiser\/(\d+)/.exec(page.url())?.[1] ?? '';
    const tab = participants[alice] as TestPage;
    await tab.page.goto(`${base}/#/events/${roomId}`);
    await tab.page.locator('button.big:not([disabled])').click();
    await tab.page.locator('[data-status="WAITING"]').waitFor({ timeout: 15_000 });
    expect(await text(tab.page, '.status-text')).toContain('waiting room');
    // The place is drawn at the opening: no position is shown before it.
    expect(await tab.page.locator('[data-testid="position"]').count()).toBe(0);
    expect(await axeViolations(tab.page)).toEqual([]);
    expect(tab.problems).toEqual([]);
  });

  it("reconnects the live status after the server's rate-limit close, no sooner than it says", async () => {
    const { page } = participants[alice] as TestPage;
    const connects: number[] = [];
    await page.routeWebSocket('**/graphql', (ws) => {
      connects.push(Date.now());
      if (connects.length === 1) void ws.close({ code: 4429, reason: 'Too many requests; retry in 2 s' });
      else ws.connectToServer();
    });
    // A new document: WebSocket routing applies to pages loaded after it is set.
    await page.goto('about:blank');
    await page.goto(`${base}/#/events/${eventId}`);
    await page.getByText(/^Live updates paused; reconnecting in [23] s\.$/).waitFor();
    await page.getByText(/^Live updates paused/).waitFor({ state: 'detached', timeout: 10_000 });
    expect(connects).toHaveLength(2);
    expect((connects[1] as number) - (connects[0] as number)).toBeGreaterThanOrEqual(2_000);
    await page.unrouteAll();
  });

  it('waits as a 429 RATE_LIMITED answer says, then loads', async () => {
    const { page, context } = await openPage(browser, 'en-US');
    const seen: number[] = [];
    await page.route('**/graphql', async (route) => {
      seen.push(Date.now());
      if (seen.length > 1) return route.continue();
      return route.fulfill({
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '2' },
        body: JSON.stringify({
          errors: [{ message: 'too many requests', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 2 } }],
        }),
      });
    });
    await page.goto(`${base}/#/`);
    await page.getByText(/The server is busy\. Trying again in [23] s\./).waitFor();
    await page.getByRole('link', { name: `Launch drop ${suffix}` }).waitFor({ timeout: 10_000 });
    expect(seen).toHaveLength(2);
    expect((seen[1] as number) - (seen[0] as number)).toBeGreaterThanOrEqual(2_000);
    await context.close();
  });

  it('shows an offer of a claim window with its deadline, and claims it', async () => {
    const { page } = admin;
    await page.goto(`${base}/#/organiser`);
    await createEvent(page, { name: `Checkout drop ${suffix}`, stock: '1', claimWindowSeconds: '120' });
    await page.getByRole('link', { name: `Manage: Checkout drop ${suffix}` }).click();
    const claimEventId = /#\/organiser\/(\d+)/.exec(page.url())?.[1] ?? '';
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.badge-open').waitFor();

    const tab = participants[alice] as TestPage;
    await tab.page.goto(`${base}/#/events/${claimEventId}`);
    await tab.page.locator('button.big:not([disabled])').click();
    await tab.page.locator('[data-status="OFFERED"]').waitFor({ timeout: 30_000 });
    expect(await text(tab.page, '.countdown')).toMatch(/^Claim within \d+:\d\d$/);
    expect(await tab.page.locator('output.code').count()).toBe(0);
    expect(await axeViolations(tab.page)).toEqual([]);
    await tab.page.getByRole('button', { name: 'Claim', exact: true }).click();
    await tab.page
      .locator('[data-status="ISSUED"]')
      .waitFor({ timeout: 30_000 })
      .catch(async (err: unknown) => {
        // What the participant saw instead: the status, any error on the page, and what the console reported.
        const shown = await text(tab.page, '.status-text').catch(() => '?');
        const alerts = await tab.page
          .locator('[role="alert"]')
          .allInnerTexts()
          .catch(() => []);
        throw new Error(
          `${String(err)}; the page shows "${shown}", alerts ${JSON.stringify(alerts)}, problems ${JSON.stringify(tab.problems)}`,
        );
      });
    expect(await text(tab.page, 'output.code')).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(tab.problems).toEqual([]);
  });
});
