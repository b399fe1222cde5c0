import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, Server as NetServer } from 'node:net';
import { listenWide } from './listen';

/** Opens `n` connections at once while the loop is busy 20 ms a turn; the turns it took to accept them all. */
async function turnsToAccept(server: Server, port: number, n: number): Promise<number> {
  let accepted = 0;
  server.on('connection', (socket) => {
    accepted += 1;
    socket.destroy();
  });
  let turns = 0;
  const busy = setInterval(() => {
    const until = performance.now() + 20;
    while (performance.now() < until);
    turns += 1;
  }, 0);
  try {
    const closed = Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const client = connect(port, '127.0.0.1');
          client.on('error', () => resolve());
          client.on('close', () => resolve());
        }),
    );
    await Promise.all(closed);
    expect(accepted).toBe(n);
    return turns;
  } finally {
    clearInterval(busy);
  }
}

describe('listenWide', () => {
  const servers: Server[] = [];
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function start(sockets: number) {
    const server = createHttpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const listening = await listenWide(server, { host: '127.0.0.1', port: 0, backlog: 4096, sockets, exclusive: false });
    closers.push(() => listening.closeExtra());
    return { server, port: listening.port };
  }

  it('accepts a herd of new connections several per event-loop turn with several sockets, one with one', async () => {
    const one = await start(1);
    const oneTurns = await turnsToAccept(one.server, one.port, 100);
    const eight = await start(8);
    const eightTurns = await turnsToAccept(eight.server, eight.port, 100);
    expect(oneTurns).toBeGreaterThanOrEqual(90);
    expect(eightTurns).toBeLessThan(oneTurns / 2);
  }, 30_000);

  it('serves HTTP on a connection any of the sockets accepted', async () => {
    const { port } = await start(4);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.text()),
      ),
    );
    expect(answers.every((a) => a === 'ok')).toBe(true);
  });

  it('never asks the kernel for an ephemeral port with SO_REUSEPORT (it may share one another process holds)', async () => {
    const listen = jest.spyOn(NetServer.prototype, 'listen');
    try {
      const { port } = await start(4);
      expect(port).toBeGreaterThan(0);
      const asked = listen.mock.calls.map(([opts]) => opts as { port?: number; reusePort?: boolean });
      expect(asked.filter((o) => o.reusePort === true).length).toBeGreaterThanOrEqual(4);
      expect(asked.filter((o) => o.reusePort === true && o.port === 0)).toEqual([]);
    } finally {
      listen.mockRestore();
    }
  });

  it('refuses a port another server holds, as a plain listen does', async () => {
    const { port } = await start(4);
    const second = createHttpServer();
    servers.push(second);
    await expect(listenWide(second, { host: '127.0.0.1', port, backlog: 16, sockets: 4, exclusive: false })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
