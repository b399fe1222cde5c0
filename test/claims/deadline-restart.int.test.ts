// A claim deadline fires within a second of claimBy although the issuer that made the offer was killed
// (SIGKILL) in the middle of the window: the deadline lives in Redis (the event's `due` set), and the
// issuer that takes the partition over polls it and decides the expiry in line order. The issuer here is a
// separate process (the built services/issuer), so it can be killed for real; the platform's in-process
// issuer serves gRPC and e-mails only.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { subscribe, wsClient, type Loose } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { eventually } from '../support';
import { APPLICATION, applyInOrder, createClaimEvent, statusOf, type Participant } from './helpers';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const SESSION_MS = 6_000; // the broker's smallest group session: how long a dead issuer holds its partitions
const WINDOW_S = 14; // longer than the session, so the survivor owns the partition before the deadline

let platform: TestPlatform;
let admin: string;
const children: ChildProcess[] = [];

function spawnIssuer(): ChildProcess {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'node'), [join(ROOT, 'services', 'issuer', 'dist', 'main.js')], {
    env: {
      ...process.env,
      ...platform.issuerEnv,
      ISSUER_SESSION_TIMEOUT_MS: String(SESSION_MS),
      LOG_LEVEL: 'warn',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  platform = await startTestPlatform({ partitions: 1, consume: false });
  admin = (await platform.mintTokens([platform.adminEmail]))[0]?.token ?? '';
});
afterAll(async () => {
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGTERM'))),
  );
  await platform?.stop();
});

it('expires an offer within a second of claimBy across an issuer SIGKILL in the middle of the window', async () => {
  const first = spawnIssuer();
  const eventId = await createClaimEvent(platform, admin, { stock: 1, claimWindowSeconds: WINDOW_S });
  const [p1, p2] = (await applyInOrder(platform, eventId, 2, 'kill')) as [Participant, Participant];
  const offer = await eventually(async () => {
    const app = await statusOf(platform, eventId, p1);
    return app?.['status'] === 'OFFERED' ? app : undefined;
  }, 60_000);
  const claimBy = Date.parse(offer['claimBy'] as string);
  const client = wsClient(platform.wsUrl, p1.token);
  const sub = subscribe<Loose>(client, `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`, {
    id: eventId,
  });
  try {
    // Kill the issuer that made the offer, two seconds into the window, and start another at once.
    await new Promise((r) => setTimeout(r, 2_000));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    spawnIssuer();
    expect(Date.now()).toBeLessThan(claimBy - SESSION_MS);

    const expired = await sub.until((v) => v['applicationStatus'].status === 'EXPIRED', WINDOW_S * 1000 + 10_000);
    const heardAt = Date.now();
    expect(heardAt).toBeGreaterThanOrEqual(claimBy);
    expect(Date.parse(expired['applicationStatus'].decidedAt as string) - claimBy).toBeLessThan(1_000);
    expect(heardAt - claimBy).toBeLessThan(1_000 + 250);
    // The item passed on: the waitlisted participant holds a fresh offer.
    const next = await eventually(async () => {
      const app = await statusOf(platform, eventId, p2);
      return app?.['status'] === 'OFFERED' ? app : undefined;
    });
    expect(Date.parse(next['claimBy'] as string)).toBeGreaterThanOrEqual(claimBy + WINDOW_S * 1000);
  } finally {
    sub.dispose();
    await client.dispose();
  }
});
