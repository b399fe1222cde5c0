// A TCP proxy on 127.0.0.1 that resets some connections as a request arrives on them: what a
// keep-alive connection closed by the server looks like to the client (`read ECONNRESET`).
import { connect, createServer, type Socket } from 'node:net';

export interface ResettingProxy {
  /** http://127.0.0.1:<port>, to put in place of the target's URL. */
  url: string;
  /** Requests forwarded and requests answered with a reset, so far. */
  counts(): { forwarded: number; reset: number };
  close(): Promise<void>;
}

const REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) /;

/** Forwards to `target` (http://host:port) and resets the connection of every `every`-th request. */
export async function resettingProxy(target: string, every: number): Promise<ResettingProxy> {
  const { hostname, port } = new URL(target);
  let requests = 0;
  let reset = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client) && upstream.destroy());
    upstream.on('close', () => sockets.delete(upstream) && client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (REQUEST_LINE.test(chunk.subarray(0, 8).toString('latin1')) && ++requests % every === 0) {
        reset++;
        client.resetAndDestroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    counts: () => ({ forwarded: requests - reset, reset }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
