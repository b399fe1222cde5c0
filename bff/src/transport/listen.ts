import type { Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';

export interface WideListen {
  port: number;
  /** Stops accepting on the extra sockets (the HTTP server's own is closed by its drain). */
  closeExtra(): void;
}

export interface WideListenOptions {
  host: string;
  port: number;
  backlog: number;
  /** Listening sockets on the port, this one's included: 1 is a plain listen. */
  sockets: number;
  /** A BFF_WORKERS worker binds the port itself rather than through the cluster primary. */
  exclusive: boolean;
}

function listen(server: Server, options: Parameters<Server['listen']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Listens on the port with `sockets` listening sockets (SO_REUSEPORT), all feeding the one HTTP server.
 *
 * Node accepts one connection per listening socket per event-loop turn, and a BFF turn under a herd lasts
 * tens of milliseconds: with one socket, 1,000 connections opened at the same moment take 1,000 turns to be
 * accepted, and the last ones wait seconds (measured: 300 connections against a loop busy 20 ms a turn, 301
 * turns). The kernel spreads new connections over the sockets of a port, each accepts one per turn, so
 * `sockets` of them accept that many per turn (16: the same 300 in 32 turns), in the same process, for no
 * CPU. Each accepted socket is handed to the HTTP server as its own (`'connection'`), so keep-alive,
 * timeouts, WebSocket upgrades and the drain treat it like any other.
 */
export async function listenWide(httpServer: HttpServer, options: WideListenOptions): Promise<WideListen> {
  const { host, backlog, sockets, exclusive } = options;
  const shared = sockets > 1 || exclusive ? { reusePort: true } : {};
  let wanted = options.port;
  if (sockets > 1 && !exclusive) {
    // With SO_REUSEPORT a second BFF on the same port would bind too and silently take half the connections:
    // a plain listen first fails (EADDRINUSE) as it always did if anything holds the port. An ephemeral port is
    // taken the same way, by a plain listen on port 0, never by asking for port 0 with SO_REUSEPORT: the kernel
    // may then hand out a port another process's SO_REUSEPORT sockets hold (two test platforms' BFFs shared
    // one, and requests reached the other platform: NOT_FOUND for an event that exists).
    const probe = createServer();
    await listen(probe, { port: wanted, host });
    wanted = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  }
  await listen(httpServer, { port: wanted, host, backlog, exclusive, ...shared });
  const port = (httpServer.address() as AddressInfo).port;
  const extra: Server[] = [];
  for (let i = 1; i < sockets; i++) {
    const server = createServer((socket) => httpServer.emit('connection', socket));
    await listen(server, { port, host, backlog, exclusive, reusePort: true });
    extra.push(server);
  }
  return {
    port,
    closeExtra() {
      for (const server of extra) server.close();
    },
  };
}
