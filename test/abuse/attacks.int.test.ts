// The abuse suite: each attack on the platform's edge, tried against the running platform (every part
// in-process on the real Redis, MariaDB, Kafka and SES emulator), and the proof that it fails. The
// BFF is configured as behind one proxy that appends to X-Forwarded-For (BFF_TRUSTED_PROXY_HOPS=1),
// so each test plays the client (whatever it writes) and the proxy (the address it appends).
// docs/security.md names the boundary and the setting each test proves.
import { generatePrivateJwk } from '@fcfs/auth';
import WebSocket from 'ws';
import { emailsTo, eventually, randomSuffix } from '../support';
import { codeOf, gql, wsClient } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { codeFor, createOpenEvent } from '../support/session';

jest.setTimeout(60_000);

const SEND = 'mutation($email: String!) { sendVerificationCode(email: $email) { ok } }';
const VERIFY = 'mutation($email: String!, $code: String!) { verifyCode(email: $email, code: $code) { token } }';
const STATUS = 'subscription($id: ID!) { applicationStatus(eventId: $id) { status } }';

const signingKey = generatePrivateJwk();
const keptKey = generatePrivateJwk();

let platform: TestPlatform;
let eventId: string;

/** The proxy appends the address it saw; the client may have written anything before it. */
const from = (address: string, spoofed = `10.${Math.floor(Math.random() * 250)}.0.1`) => ({
  'x-forwarded-for': `${spoofed}, ${address}`,
});
const address = (i = Math.floor(Math.random() * 250)) => `203.0.${Math.floor(Math.random() * 250)}.${i}`;
const mail = (who: string) => `${who}-${randomSuffix()}@example.com`;

beforeAll(async () => {
  platform = await startTestPlatform({
    notifier: false,
    partitions: 1,
    bff: {
      BFF_TRUSTED_PROXY_HOPS: '1',
      BFF_RATE_LIMIT_IP_PER_MINUTE: '40',
      BFF_WS_MAX_SOCKETS_PER_ADDRESS: '5',
      BFF_WS_MAX_SOCKETS_PER_PARTICIPANT: '2',
      BFF_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '20',
      BFF_JWKS_REFRESH_MS: '1000',
      BFF_ADMIN_RECHECK_MS: '1000',
    },
    auth: {
      AUTH_VERIFY_FAILURES_PER_IP_MAX: '5',
      AUTH_SEND_PER_IP_MAX: '3',
      AUTH_SEND_COOLDOWN_SECONDS: '0',
      AUTH_SEND_PER_ADDRESS_MAX: '3',
      AUTH_JWT_PRIVATE_KEYS: JSON.stringify([signingKey, keptKey]),
    },
  });
  const [admin] = await platform.mintTokens([platform.adminEmail]);
  eventId = await createOpenEvent(platform.url, admin!.token, 10);
});

afterAll(async () => {
  await platform?.stop();
});

describe('the client address', () => {
  it('spoofed X-Forwarded-For values share one budget: the address the proxy appended', async () => {
    const real = address();
    const answers = [];
    for (let i = 0; i < 45; i++)
      answers.push(await gql(platform.url, '{ me { id } }', {}, undefined, from(real, `198.18.${i}.${i}`)));
    expect(answers.slice(0, 40).every((a) => a.status === 200)).toBe(true);
    expect(answers.slice(40).map((a) => [a.status, codeOf(a)])).toEqual(new Array(5).fill([429, 'RATE_LIMITED']));
    // Another client behind the same proxy is not held back.
    expect((await gql(platform.url, '{ me { id } }', {}, undefined, from(address()))).status).toBe(200);
  });

  it('a script cannot send code e-mails to arbitrary addresses by varying X-Forwarded-For', async () => {
    const real = address();
    const targets = Array.from({ length: 6 }, () => mail('target'));
    const answers = [];
    for (const email of targets) answers.push(await gql(platform.url, SEND, { email }, undefined, from(real)));
    expect(answers.map(codeOf)).toEqual([undefined, undefined, undefined, 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    for (const email of targets.slice(3)) expect(await emailsTo(email)).toHaveLength(0);
  });

  it('many root fields in one request are charged one by one', async () => {
    const real = address();
    const fields = Array.from({ length: 41 }, (_, i) => `f${i}: me { id }`).join(' ');
    const answer = await gql(platform.url, `{ ${fields} }`, {}, undefined, from(real));
    expect([answer.status, codeOf(answer)]).toEqual([429, 'RATE_LIMITED']);
  });
});

describe('verification codes', () => {
  it('guesses spread over many addresses from one client are limited, and never touch a victim’s code', async () => {
    const attacker = address();
    const victim = mail('victim');
    const victimAddress = address();
    expect(codeOf(await gql(platform.url, SEND, { email: victim }, undefined, from(victimAddress)))).toBeUndefined();
    const code = await codeFor(victim);
    const wrong = code === '000000' ? '000001' : '000000';
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await gql(platform.url, VERIFY, { email: mail('guess'), code: wrong }, undefined, from(attacker)));
    }
    expect(answers.map(codeOf)).toEqual(new Array(5).fill('INVALID_CODE'));
    // The budget is spent: the guess at the victim is refused before it counts against the code.
    const refused = await gql(platform.url, VERIFY, { email: victim, code: wrong }, undefined, from(attacker));
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    const verified = await gql(platform.url, VERIFY, { email: victim, code }, undefined, from(victimAddress));
    expect(verified.data?.['verifyCode']?.token).toEqual(expect.any(String));
  });

  it('a guess does not tell whether someone has a code pending', async () => {
    const pending = mail('pending');
    expect(codeOf(await gql(platform.url, SEND, { email: pending }, undefined, from(address())))).toBeUndefined();
    const code = await codeFor(pending);
    const wrong = code === '111111' ? '111112' : '111111';
    const asker = address();
    const none = await gql(platform.url, VERIFY, { email: mail('nobody'), code: wrong }, undefined, from(asker));
    const miss = await gql(platform.url, VERIFY, { email: pending, code: wrong }, undefined, from(asker));
    expect(none.errors).toEqual(miss.errors);
    expect(codeOf(none)).toBe('INVALID_CODE');
  });

  it('a third party cannot exhaust a victim’s code budget', async () => {
    const victim = mail('victim');
    const attacker = address();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(codeOf(await gql(platform.url, SEND, { email: victim }, undefined, from(attacker))));
    expect(answers).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    // The victim, from their own address, still gets a code and signs in with it.
    const own = address();
    expect(codeOf(await gql(platform.url, SEND, { email: victim }, undefined, from(own)))).toBeUndefined();
    await eventually(async () => ((await emailsTo(victim)).length === 4 ? true : undefined), 15_000, 'the fourth e-mail');
    const verified = await gql(platform.url, VERIFY, { email: victim, code: await codeFor(victim) }, undefined, from(own));
    expect(verified.data?.['verifyCode']?.token).toEqual(expect.any(String));
  });
});

/** A raw graphql-transport-ws socket: what a script would open, with the proxy's header. */
async function rawSocket(forwardedFor: Record<string, string>, token?: string) {
  const ws = new WebSocket(platform.wsUrl, 'graphql-transport-ws', { headers: forwardedFor });
  const messages: { id?: string; type: string; payload?: unknown }[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
  const acked = await Promise.race([
    eventually(async () => (messages.some((m) => m.type === 'connection_ack') ? true : undefined), 5_000, 'connection_ack'),
    closed.then(() => false),
  ]);
  return { ws, messages, closed, acked };
}

describe('WebSocket resources', () => {
  it('1,000 subscriptions on one socket: all but the cap are refused', async () => {
    const [p] = await platform.mintTokens([mail('subscriber')]);
    const socket = await rawSocket(from(address()), p!.token);
    expect(socket.acked).toBe(true);
    for (let i = 0; i < 1_000; i++) {
      socket.ws.send(
        JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: STATUS, variables: { id: eventId } } }),
      );
    }
    const refusals = () => socket.messages.filter((m) => m.type === 'error');
    await eventually(async () => (refusals().length >= 980 ? true : undefined), 20_000, '980 refusals');
    await new Promise((r) => setTimeout(r, 500));
    // The first 20 hold; every later one was refused, and the socket stays open for those 20.
    expect(refusals().map((m) => Number(m.id))).toEqual(Array.from({ length: 980 }, (_, i) => i + 20));
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    expect(refusals()[0]?.payload).toEqual([
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED', limit: 'SUBSCRIPTIONS_PER_SOCKET' } }),
    ]);
    socket.ws.close();
  });

  it('sockets per address and per participant are capped, each with its close code', async () => {
    const real = address();
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await rawSocket(from(real, `198.18.0.${i}`)));
    expect(open.every((s) => s.acked)).toBe(true);
    const sixth = await rawSocket(from(real));
    expect(await sixth.closed).toEqual({ code: 4430, reason: 'Too many sockets from this address' });
    for (const s of open) s.ws.close();

    const [p] = await platform.mintTokens([mail('sockets')]);
    const mine = [await rawSocket(from(address()), p!.token), await rawSocket(from(address()), p!.token)];
    expect(mine.every((s) => s.acked)).toBe(true);
    const third = await rawSocket(from(address()), p!.token);
    expect(await third.closed).toEqual({ code: 4431, reason: 'Too many sockets for this participant' });
    for (const s of mine) s.ws.close();
  });

  it('a live subscription ends when its token expires', async () => {
    const [p] = await platform.mintTokens([mail('expiring')], 3);
    const client = wsClient(platform.wsUrl, p!.token);
    const ended = new Promise<unknown[]>((resolve) => {
      const errors: unknown[] = [];
      client.subscribe(
        { query: STATUS, variables: { id: eventId } },
        {
          next: (result) => errors.push(...(result.errors ?? [])),
          error: (err) => resolve([...errors, err]),
          complete: () => resolve(errors),
        },
      );
    });
    try {
      const errors = await ended;
      expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    } finally {
      await client.dispose();
    }
  });
});

describe('keys and roles', () => {
  const me = async (token: string) => (await gql(platform.url, '{ me { id } }', {}, token, from(address()))).data?.['me'];

  it('a removed signing key stops working within the refresh period (BFF_JWKS_REFRESH_MS)', async () => {
    const [old] = await platform.mintTokens([mail('old-key')]);
    expect(await me(old!.token)).toEqual({ id: old!.participantId });
    // The operator removes the key: auth now signs with, and publishes, only the other one.
    await platform.restartAuth({ AUTH_JWT_PRIVATE_KEYS: JSON.stringify([keptKey]) });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await me(old!.token)).toBeNull();
    const [fresh] = await platform.mintTokens([mail('new-key')]);
    expect(await me(fresh!.token)).toEqual({ id: fresh!.participantId });
  });

  it('an admin removed from the configuration loses the role before their token expires', async () => {
    const [admin] = await platform.mintTokens([platform.adminEmail]);
    const stats = () =>
      gql(
        platform.url,
        'query($id: ID!) { eventStats(eventId: $id) { issued } }',
        { id: eventId },
        admin!.token,
        from(address()),
      );
    expect(codeOf(await stats())).toBeUndefined();
    // Only the admin list changes (the keys stay whatever they are by now).
    await platform.restartAuth({ AUTH_ADMIN_EMAILS: 'someone-else@example.com' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(codeOf(await stats())).toBe('FORBIDDEN');
  });
});
