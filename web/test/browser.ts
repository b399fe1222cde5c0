// Drives the system Chromium (Debian's `chromium` package) with playwright-core, which never
// downloads a browser of its own. CHROMIUM_PATH points elsewhere when needed.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { emailsTo, eventually } from '../../test/support';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const WEB_DIST = join(__dirname, '..', 'dist');
/** Screenshots of every page in both languages (git-ignored; CI keeps them as artifacts). */
export const ARTIFACTS = join(__dirname, '..', 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error(`the web app is not built in ${WEB_DIST}: npm run build`);
  mkdirSync(ARTIFACTS, { recursive: true });
  // As root (CI) Chromium needs --no-sandbox; the pages are our own.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations the page reported. */
  problems: string[];
}

export async function openPage(browser: Browser, locale: 'en-US' | 'ko-KR'): Promise<TestPage> {
  const context = await browser.newContext({ locale, viewport: { width: 960, height: 600 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return { context, page, problems };
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is; answers the violations, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Injected through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)",
  )) as AxeViolation[];
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Saves `<name>-en.png` and `<name>-ko.png`, switching the page's language with its own switch. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const select = page.locator('header select');
  const start = await select.inputValue();
  for (const lang of ['en', 'ko'] as const) {
    await select.selectOption(lang);
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${lang}.png`), fullPage: true });
  }
  await select.selectOption(start);
}

/** The newest 6-digit code the SES emulator holds for `email`. */
export async function emailedCode(email: string, after: number): Promise<string> {
  return eventually(
    async () => {
      const mail = (await emailsTo(email)).filter((e) => e.at * 1000 >= after - 1_000).pop();
      return mail ? /\b(\d{6})\b/.exec(mail.body.text ?? mail.subject)?.[1] : undefined;
    },
    20_000,
    `a code e-mailed to ${email}`,
  );
}

/** Signs in through the page: the address, then the e-mailed code, pasted (as "123 456") or typed. */
export async function signIn(
  page: Page,
  baseUrl: string,
  email: string,
  how: 'paste' | 'type',
  tryResend = false,
): Promise<void> {
  await page.goto(`${baseUrl}/#/signin`);
  const asked = Date.now();
  await page.locator('#email').fill(email);
  await page.locator('form button[type=submit]').click();
  await page.locator('#code').waitFor();
  if (tryResend) {
    // Too soon: the server's cooldown (RATE_LIMITED, retryAfterSeconds) is shown and the button waits it out.
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await page.getByText(/^You can ask for a new code in \d+ s\.$/).waitFor();
    expect(await page.getByRole('button', { name: 'Send a new code' }).isDisabled()).toBe(true);
  }
  const code = await emailedCode(email, asked);
  if (how === 'paste') {
    await page.locator('#code').focus();
    // A real paste event, as the clipboard would send it, with the spacing some mail clients add.
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.setData('text/plain', '${code.slice(0, 3)} ${code.slice(3)}');
      document.getElementById('code').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`);
  } else {
    await page.locator('#code').fill(code);
    await page.locator('form button[type=submit]').click();
  }
  await page.locator('header .who button').waitFor();
}
