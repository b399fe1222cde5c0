// One client channel (kit's createGrpcClient) over several real gRPC servers (kit's
// createGrpcServer): calls spread over every address, and a server's max connection age makes the
// client reconnect without a failed call. The `ipv4:` target lists three ports, as a headless
// Service's DNS answer lists three pods.
import { makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { callUnary, createGrpcClient, grpcTarget } from './grpc-client';
import { createGrpcServer, type GrpcServer } from './grpc-server';

interface Who {
  server: string;
  peer: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (buffer: Buffer): unknown => JSON.parse(buffer.toString() || '{}'),
};

// A one-method service written out by hand: which server answered, and from which client connection.
const whoDefinition = {
  whoAmI: {
    path: '/fcfs.test.Who/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} as const;

interface WhoClient {
  whoAmI(
    request: object,
    metadata: Metadata,
    options: object,
    callback: (error: ServiceError | null, response: Who) => void,
  ): import('@grpc/grpc-js').ClientUnaryCall;
  close(): void;
}
const WhoClientCtor = makeGenericClientConstructor(whoDefinition, 'Who') as unknown as new (
  ...args: ConstructorParameters<ReturnType<typeof makeGenericClientConstructor>>
) => WhoClient;

const logger = pino({ level: 'silent' });
const servers: GrpcServer[] = [];
const clients: WhoClient[] = [];

async function startServer(name: string, connectionAge?: { maxConnectionAgeMs: number; maxConnectionAgeGraceMs: number }) {
  const server = createGrpcServer({ host: '127.0.0.1', port: 0, logger, authenticate: 'none', ...connectionAge });
  server.add(
    'fcfs.test.Who',
    whoDefinition,
    {
      whoAmI: async (_request, call) => ({ server: name, peer: call.getPeer() }),
    },
    { whoAmI: 'caller' },
  );
  servers.push(server);
  return server.start();
}

function client(target: string): WhoClient {
  const created = createGrpcClient(WhoClientCtor, target, 'anonymous');
  clients.push(created);
  return created;
}

const ask = (c: WhoClient): Promise<Who> => callUnary(c.whoAmI.bind(c), {}, { deadlineMs: 5_000 });

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.stop(1_000)));
});

it('names DNS targets for plain host:port addresses and keeps explicit schemes', () => {
  expect(grpcTarget('event:7052')).toBe('dns:///event:7052');
  expect(grpcTarget('127.0.0.1:7052')).toBe('dns:///127.0.0.1:7052');
  expect(grpcTarget('ipv4:127.0.0.1:1,127.0.0.1:2')).toBe('ipv4:127.0.0.1:1,127.0.0.1:2');
  expect(grpcTarget('dns:///auth:7051')).toBe('dns:///auth:7051');
});

it('spreads one client channel over all three servers it resolves', async () => {
  const ports = [await startServer('a'), await startServer('b'), await startServer('c')];
  const c = client(`ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(',')}`);
  // The first calls may all go to the first subchannel that turns READY; the rest rotate.
  const counts = new Map<string, number>();
  for (let i = 0; i < 60; i += 1) {
    const { server } = await ask(c);
    counts.set(server, (counts.get(server) ?? 0) + 1);
  }
  expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c']);
  for (const [server, count] of counts) expect({ server, enough: count >= 10 }).toEqual({ server, enough: true });
});

it('reconnects when the server ends a connection at its max age, without failing a call', async () => {
  const port = await startServer('aged', { maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 1_000 });
  const c = client(`127.0.0.1:${port}`);
  const peers = new Set<string>();
  const deadline = Date.now() + 1_500;
  let calls = 0;
  while (Date.now() < deadline) {
    // Any failure rejects here and fails the test.
    peers.add((await ask(c)).peer);
    calls += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(calls).toBeGreaterThan(20);
  // A new client port each time the channel reconnected: ~1.5 s / 0.3 s connections.
  expect(peers.size).toBeGreaterThanOrEqual(3);
});
