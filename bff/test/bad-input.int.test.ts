// Bad input through GraphQL: each gets its documented code, and the server keeps serving.
import { generateKeyPair, SignJWT } from 'jose';
import { randomSuffix } from '../../test/support';
import { codeOf, gql, wsClient, type GraphQLResponse } from '../../test/support/graphql';
import { productionCredentials, startTestPlatform, type TestPlatform } from '../../test/support/platform';

let platform: TestPlatform;
let participant: string;
let admin: string;

beforeAll(async () => {
  // Production settings (no introspection), and a participant limit small enough to reach.
  platform = await startTestPlatform({
    notifier: false,
    bff: { NODE_ENV: 'production', ...productionCredentials('bff'), BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: '30' },
  });
  const [p, a] = await platform.mintTokens([`bad-input-${randomSuffix()}@example.com`, platform.adminEmail]);
  participant = p?.token ?? '';
  admin = a?.token ?? '';
});

afterAll(async () => {
  await platform?.stop();
});

afterEach(async () => {
  // Whatever the last request was, the server still answers.
  const alive = await gql(platform.url, '{ events { id } }');
  expect(alive.status).toBe(200);
  expect(alive.errors).toBeUndefined();
});

async function post(
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<GraphQLResponse> {
  const res = await fetch(platform.url, { method: 'POST', headers, body });
  return { status: res.status, ...((await res.json()) as object) };
}

it('a malformed e-mail address: BAD_USER_INPUT', async () => {
  const res = await gql(platform.url, 'mutation { sendVerificationCode(email: "not-an-address") { ok } }');
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  expect(res.errors?.[0]?.message).toMatch(/@/);
});

it('a 5-letter code: BAD_USER_INPUT', async () => {
  const res = await gql(platform.url, 'mutation { verifyCode(email: "someone@example.com", code: "abcde") { token } }');
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
});

it('a wrong 6-digit code: INVALID_CODE', async () => {
  const res = await gql(
    platform.url,
    `mutation { verifyCode(email: "nobody-${randomSuffix()}@example.com", code: "123456") { token } }`,
  );
  expect(codeOf(res)).toBe('INVALID_CODE');
});

it('an unknown event id: NOT_FOUND to apply and to admin operations, null to event(id)', async () => {
  expect(codeOf(await gql(platform.url, 'mutation { apply(eventId: "987654321") { outcome } }', {}, participant))).toBe(
    'NOT_FOUND',
  );
  expect(codeOf(await gql(platform.url, 'mutation { openEvent(eventId: "987654321") { id } }', {}, admin))).toBe('NOT_FOUND');
  const res = await gql(platform.url, '{ event(id: "987654321") { id } }');
  expect(res.errors).toBeUndefined();
  expect(res.data).toEqual({ event: null });
});

it('a malformed event id: BAD_USER_INPUT', async () => {
  expect(codeOf(await gql(platform.url, 'mutation { apply(eventId: "../etc") { outcome } }', {}, participant))).toBe(
    'BAD_USER_INPUT',
  );
  expect(codeOf(await gql(platform.url, '{ event(id: "-1") { id } }'))).toBe('BAD_USER_INPUT');
});

it('a negative stock: BAD_USER_INPUT', async () => {
  const created = await gql(platform.url, 'mutation { createEvent(input: { name: "Negative", stock: -1 }) { id } }', {}, admin);
  expect(codeOf(created)).toBe('BAD_USER_INPUT');
  const ok = await gql(platform.url, 'mutation { createEvent(input: { name: "Fine", stock: 1 }) { id } }', {}, admin);
  const id = ok.data?.['createEvent'].id as string;
  expect(codeOf(await gql(platform.url, 'mutation($id: ID!) { setStock(eventId: $id, stock: -5) { id } }', { id }, admin))).toBe(
    'BAD_USER_INPUT',
  );
});

it('a malformed DateTime: BAD_USER_INPUT', async () => {
  const res = await gql(
    platform.url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    { input: { name: 'x', stock: 1, opensAt: 'tomorrow' } },
    admin,
  );
  expect(res.status).toBe(400);
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
});

it('a query nested 50 levels deep: GRAPHQL_VALIDATION_FAILED (HTTP 400), before anything runs', async () => {
  const deep = `{ ${'... on Query { '.repeat(50)}events { id }${' }'.repeat(50)} }`;
  const res = await gql(platform.url, deep);
  expect(res.status).toBe(400);
  expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(res.errors?.[0]?.message).toMatch(/nests 5\d levels deep; at most 10/);
  const fields = await gql(platform.url, `{ me { ${'id { '.repeat(49)}id${' }'.repeat(49)} } }`);
  expect(fields.status).toBe(400);
  expect(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']).toContain(codeOf(fields));
});

it('a query too costly: GRAPHQL_VALIDATION_FAILED', async () => {
  const aliases = Array.from({ length: 120 }, (_, i) => `e${i}: events { id name }`).join(' ');
  const res = await gql(platform.url, `{ ${aliases} }`);
  expect(res.status).toBe(400);
  expect(res.errors?.[0]?.message).toMatch(/costs \d+; at most 1000/);
});

it('introspection in production: GRAPHQL_VALIDATION_FAILED', async () => {
  const res = await gql(platform.url, '{ __schema { types { name } } }');
  expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
});

it('a 2 MB body: HTTP 413 with BAD_USER_INPUT', async () => {
  const padding = 'x'.repeat(2 * 1024 * 1024);
  const res = await post(JSON.stringify({ query: '{ events { id } }', variables: { padding } }));
  expect(res.status).toBe(413);
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
});

it('a malformed JSON body: HTTP 400 with BAD_USER_INPUT', async () => {
  const res = await post('{"query": "{ events { id } }"');
  expect(res.status).toBe(400);
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
});

it('a simple (CSRF-able) request without a preflight header is refused', async () => {
  const res = await post(JSON.stringify({ query: '{ events { id } }' }), { 'content-type': 'text/plain' });
  expect(res.status).toBe(400);
  expect(codeOf(res)).toBe('BAD_REQUEST');
});

it('a bad token: UNAUTHENTICATED, and `me` is null', async () => {
  expect(codeOf(await gql(platform.url, 'mutation { apply(eventId: "1") { outcome } }', {}, 'not-a-token'))).toBe(
    'UNAUTHENTICATED',
  );
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const forged = await new SignJWT({ email: platform.adminEmail, role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'forged' })
    .setIssuer('fcfs-auth')
    .setAudience('fcfs')
    .setSubject('1')
    .setExpirationTime('1h')
    .sign(privateKey);
  const res = await gql(platform.url, 'mutation { createEvent(input: { name: "forged", stock: 1 }) { id } }', {}, forged);
  expect(codeOf(res)).toBe('UNAUTHENTICATED');
  expect((await gql(platform.url, '{ me { id } }', {}, forged)).data).toEqual({ me: null });
});

it('an expired token: UNAUTHENTICATED', async () => {
  const [expiring] = await platform.mintTokens([`expiring-${randomSuffix()}@example.com`], 1);
  await new Promise((r) => setTimeout(r, 2_100));
  const res = await gql(platform.url, 'mutation { apply(eventId: "1") { outcome } }', {}, expiring?.token);
  expect(codeOf(res)).toBe('UNAUTHENTICATED');
  expect(res.errors?.[0]?.message).toMatch(/expired/);
});

it('too many requests for one participant: RATE_LIMITED with retryAfterSeconds', async () => {
  const [busy] = await platform.mintTokens([`busy-${randomSuffix()}@example.com`]);
  let limited: GraphQLResponse | undefined;
  for (let i = 0; i < 40 && !limited; i++) {
    const res = await gql(platform.url, '{ me { id } }', {}, busy?.token);
    if (codeOf(res) === 'RATE_LIMITED') limited = res;
  }
  expect(limited?.status).toBe(429);
  expect(limited?.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
});

it('too many WebSocket operations for one participant: RATE_LIMITED with retryAfterSeconds, as over HTTP', async () => {
  const [busy] = await platform.mintTokens([`busy-ws-${randomSuffix()}@example.com`]);
  const client = wsClient(platform.wsUrl, busy?.token);
  type Answer = { data?: unknown; errors: { extensions?: { code?: string; retryAfterSeconds?: number } }[] };
  const operation = () =>
    new Promise<Answer>((resolve) => {
      const answer: Answer = { errors: [] };
      client.subscribe<{ me: { id: string } }>(
        { query: '{ me { id } }' },
        {
          next: (result) => Object.assign(answer, { data: result.data, errors: [...answer.errors, ...(result.errors ?? [])] }),
          error: (err) => resolve({ errors: Array.isArray(err) ? err : [err as Answer['errors'][number]] }),
          complete: () => resolve(answer),
        },
      );
    });
  try {
    const first = await operation();
    expect(first).toEqual({ data: { me: { id: busy?.participantId } }, errors: [] });
    // Windows are fixed minutes: enough operations that a minute boundary on the way cannot hide the limit (30).
    let limited: Answer | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const answer = await operation();
      if (answer.errors[0]?.extensions?.code === 'RATE_LIMITED') limited = answer;
    }
    expect(limited?.errors[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  } finally {
    await client.dispose();
  }
});
