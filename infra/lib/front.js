// @ts-check
/**
 * One port in front of several replicas, as a Kubernetes Service is in front of its pods: each
 * incoming TCP connection goes to the next backend in turn (round-robin), bytes copied both ways,
 * so HTTP keep-alive and WebSocket upgrades pass through untouched. A backend that refuses the
 * connection (a replica that died, or restarts) is skipped for this connection: the next one is
 * tried, as a Service stops routing to a pod that is not ready. Used by `npm start --replicas
 * bff=N` (scripts/platform.js) and the chaos suite (tools/chaos).
 *
 *   const front = await startFront({ host: '127.0.0.1', port: 4000, backends: [{ host, port: 4001 }, ...] });
 *   front.port; await front.close();
 */
'use strict';

const net = require('node:net');

/** @typedef {{ host: string, port: number }} Backend */

/**
 * @param {{ host: string, port: number, backends: Backend[], connectTimeoutMs?: number }} o
 *   port 0: a free one (see `front.port`)
 * @returns {Promise<{ port: number, connections: () => number, served: () => number[], close: () => Promise<void> }>}
 *   connections: open now; served: connections each backend has taken so far
 */
async function startFront({ host, port, backends, connectTimeoutMs = 2_000 }) {
  if (backends.length === 0) throw new Error('a front needs at least one backend');
  let next = 0;
  const served = backends.map(() => 0);
  /** @type {Set<net.Socket>} */
  const open = new Set();

  /** Connects to the backends in turn from the next one, until one accepts. @param {number} tries @returns {Promise<net.Socket>} */
  const connectAny = (tries) =>
    new Promise((resolve, reject) => {
      const index = next++ % backends.length;
      const backend = /** @type {Backend} */ (backends[index]);
      const upstream = net.connect({ host: backend.host, port: backend.port });
      const fail = (/** @type {Error} */ err) => {
        upstream.destroy();
        if (tries > 1) connectAny(tries - 1).then(resolve, reject);
        else reject(err);
      };
      upstream.setTimeout(connectTimeoutMs, () => fail(new Error(`connect to ${backend.host}:${backend.port} timed out`)));
      upstream.once('error', fail);
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        upstream.removeListener('error', fail);
        served[index] = (served[index] ?? 0) + 1;
        resolve(upstream);
      });
    });

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    connectAny(backends.length).then(
      (upstream) => {
        open.add(upstream);
        upstream.once('close', () => open.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        // Either side closing (a replica killed mid-request) closes the other: the client sees a reset.
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(undefined));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    connections: () => open.size,
    served: () => [...served],
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startFront };
