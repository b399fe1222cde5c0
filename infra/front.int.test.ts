// The TCP round-robin front (infra/lib/front.js) over real servers: connections alternate between the
// backends, a WebSocket upgrade passes through, and a backend that refuses connections is skipped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { startFront, type Front } from './lib/front';

/** An HTTP server that answers its own name, and echoes WebSocket messages prefixed with it. */
async function backend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(name));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`${name}:${String(data)}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
/** One request on a new connection (no keep-alive), answering the body. */
const ask = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text();

describe('front', () => {
  let a: Awaited<ReturnType<typeof backend>>;
  let b: Awaited<ReturnType<typeof backend>>;
  let front: Front;
  beforeEach(async () => {
    a = await backend('a');
    b = await backend('b');
    front = await startFront({
      host: '127.0.0.1',
      port: 0,
      backends: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
    });
  });
  afterEach(async () => {
    await front.close();
    await Promise.all([a.server, b.server].filter((s) => s.listening).map(close));
  });

  it('sends each new connection to the next backend', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(front.port));
    expect(answers.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(front.served()).toEqual([2, 2]);
  });

  it('passes a WebSocket upgrade through', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${front.port}/`);
    const reply = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('hello'));
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    socket.close();
    expect(reply).toMatch(/^[ab]:hello$/);
  });

  it('skips a backend that refuses connections, as a Service skips a pod that is down', async () => {
    b.server.closeAllConnections();
    await close(b.server);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(front.port));
    expect(answers).toEqual(['a', 'a', 'a', 'a']);
  });
});
