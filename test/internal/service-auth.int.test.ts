// Internal calls against the real running services (the whole platform in-process, on the real Redis,
// MariaDB, Kafka and SES emulator): a call without a service token, or with one signed by a key no
// service trusts, is refused; a participant-acting call from a part other than the BFF is refused; gift
// codes (ListGifts, WatchEvent) need the admin scope. Health checks stay open. The same calls with the
// BFF's or the operator's credentials go through, so each refusal is the check's, not a broken setup.
import { generateKeyPairSync } from 'node:crypto';
import {
  bearerMetadata,
  callUnary,
  createGrpcClient,
  devServiceCredentials,
  GrpcStatus,
  type ServiceCredentials,
} from '@fcfs/kit';
import { AuthServiceClient, EventServiceClient, IssuerServiceClient, type WatchEventResponse } from '@fcfs/proto';
import { makeClientConstructor, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startTestPlatform, type TestPlatform } from '../support/platform';

jest.setTimeout(120_000);

let platform: TestPlatform;
const closers: (() => void)[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false });
}, 180_000);

afterAll(async () => {
  for (const close of closers.splice(0)) close();
  await platform?.stop();
});

type Identity = ServiceCredentials | 'anonymous';

function clients(identity: Identity) {
  const auth = createGrpcClient(AuthServiceClient, `127.0.0.1:${platform.auth.grpcPort}`, identity);
  const event = createGrpcClient(EventServiceClient, `127.0.0.1:${platform.event.grpcPort}`, identity);
  const issuer = createGrpcClient(IssuerServiceClient, `127.0.0.1:${platform.issuer.grpcPort}`, identity);
  closers.push(
    () => auth.close(),
    () => event.close(),
    () => issuer.close(),
  );
  return { auth, event, issuer };
}

/** A participant id that exists nowhere: the handlers would answer it; the check must answer first. */
const SOMEONE = '0190f3c4-7b1a-7cc3-9a55-1f2e3d4c5b6a';

async function codeOf(call: Promise<unknown>): Promise<number | 'OK'> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    return (err as ServiceError).code;
  }
}

/** The status a server stream ends with (first message counts as admitted). */
function streamCode(stream: ClientReadableStream<WatchEventResponse>): Promise<number | 'OK'> {
  return new Promise((resolve) => {
    const done = (code: number | 'OK') => {
      clearTimeout(timer);
      stream.cancel();
      resolve(code);
    };
    // Admitted streams send nothing until something happens: still open after a while counts as admitted.
    const timer = setTimeout(() => done('OK'), 1_500);
    stream.on('data', () => done('OK'));
    stream.on('error', (err: ServiceError) => done(err.code === GrpcStatus.CANCELLED ? 'OK' : err.code));
  });
}

let eventId: string;

beforeAll(async () => {
  const [admin] = await platform.mintTokens([platform.adminEmail]);
  const { event } = clients(devServiceCredentials('bff'));
  const created = await callUnary(
    event.createEvent.bind(event),
    { name: 'Side door', stock: 3 },
    {
      metadata: bearerMetadata(admin!.token),
    },
  );
  eventId = created.event!.id;
  await callUnary(event.openEvent.bind(event), { eventId }, { metadata: bearerMetadata(admin!.token) });
});

describe('a call to an internal service without credentials', () => {
  it('is refused UNAUTHENTICATED by auth, event and issuer, and health checks stay open', async () => {
    const { auth, event, issuer } = clients('anonymous');
    expect(await codeOf(callUnary(auth.getPublicKeys.bind(auth), {}))).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(await codeOf(callUnary(auth.verifyCode.bind(auth), { email: 'a@b.test', code: '123456', clientIp: '' }))).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
    expect(await codeOf(callUnary(event.getEvent.bind(event), { eventId }))).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(await codeOf(callUnary(event.apply.bind(event), { eventId, participantId: SOMEONE }))).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
    expect(await codeOf(callUnary(issuer.listGifts.bind(issuer), { eventId, pageSize: 10, pageToken: '' }))).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
    expect(await streamCode(event.watchEvent({ eventId }))).toBe(GrpcStatus.UNAUTHENTICATED);

    const Health = makeClientConstructor(healthService as never, 'grpc.health.v1.Health') as unknown as typeof AuthServiceClient;
    const health = createGrpcClient(Health, `127.0.0.1:${platform.event.grpcPort}`, 'anonymous') as unknown as {
      check: AuthServiceClient['getPublicKeys'];
      close(): void;
    };
    closers.push(() => health.close());
    const answer = (await callUnary(health.check.bind(health) as never, { service: '' })) as { status: unknown };
    expect(answer.status).toBe('SERVING');
  });

  it('is refused UNAUTHENTICATED with a token signed by a key no service trusts', async () => {
    const forged: ServiceCredentials = {
      caller: 'bff',
      scopes: ['participant', 'admin'],
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    const { event, issuer } = clients(forged);
    expect(await codeOf(callUnary(event.apply.bind(event), { eventId, participantId: SOMEONE }))).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
    expect(await codeOf(callUnary(issuer.listGifts.bind(issuer), { eventId, pageSize: 10, pageToken: '' }))).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
  });
});

describe('a participant-acting call from a non-BFF caller', () => {
  it('is refused PERMISSION_DENIED, while the BFF may make it', async () => {
    // The issuer's own credentials (trusted, but granted no scope), claiming every scope.
    const { auth, event, issuer } = clients(devServiceCredentials('issuer', ['participant', 'admin']));
    expect(await codeOf(callUnary(event.apply.bind(event), { eventId, participantId: SOMEONE }))).toBe(
      GrpcStatus.PERMISSION_DENIED,
    );
    expect(await codeOf(callUnary(event.getApplication.bind(event), { eventId, participantId: SOMEONE }))).toBe(
      GrpcStatus.PERMISSION_DENIED,
    );
    expect(await codeOf(callUnary(issuer.getDecision.bind(issuer), { eventId, participantId: SOMEONE }))).toBe(
      GrpcStatus.PERMISSION_DENIED,
    );
    expect(
      await codeOf(callUnary(auth.sendVerificationCode.bind(auth), { email: 'victim@fcfs.test', clientIp: '203.0.113.9' })),
    ).toBe(GrpcStatus.PERMISSION_DENIED);
    // What every part may do still works for it.
    expect(await codeOf(callUnary(auth.getPublicKeys.bind(auth), {}))).toBe('OK');
    expect(await codeOf(callUnary(event.getEvent.bind(event), { eventId }))).toBe('OK');

    const bff = clients(devServiceCredentials('bff')).event;
    const [participant] = await platform.mintTokens([`side-door-${Date.now()}@fcfs.test`]);
    const applied = await callUnary(bff.apply.bind(bff), { eventId, participantId: participant!.participantId });
    expect(applied.application?.participantId).toBe(participant!.participantId);
  });
});

describe('gift codes without the admin scope', () => {
  it('ListGifts and WatchEvent are refused PERMISSION_DENIED; the operator may list', async () => {
    const { event, issuer } = clients(devServiceCredentials('bff', ['participant']));
    expect(await codeOf(callUnary(issuer.listGifts.bind(issuer), { eventId, pageSize: 10, pageToken: '' }))).toBe(
      GrpcStatus.PERMISSION_DENIED,
    );
    expect(await streamCode(event.watchEvent({ eventId }))).toBe(GrpcStatus.PERMISSION_DENIED);

    const operator = clients(devServiceCredentials('ops')).issuer;
    expect(await codeOf(callUnary(operator.listGifts.bind(operator), { eventId, pageSize: 10, pageToken: '' }))).toBe('OK');
  });
});
