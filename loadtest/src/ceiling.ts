import { spawn } from 'node:child_process';
import { hammer, type HammerResult, type HammerSpec } from './hammer';

/** What a typical `apply` answer looks like, so the ceiling moves the same bytes. */
export const CONSTANT_BODY = JSON.stringify({
  data: { apply: { outcome: 'SOLD_OUT', application: { status: 'SOLD_OUT', position: 0 } } },
});

/** The ceiling's server: bare `http`, a constant body; prints its port, exits when stdin closes. */
const SERVER = `
const http = require('node:http');
const body = Buffer.from(${JSON.stringify(CONSTANT_BODY)});
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
// A backlog as deep as the BFF's, so a herd of connections is not dropped at the door.
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(server.address().port + '\\n'));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

/**
 * The ceiling: a bare Node HTTP server answering a constant JSON body (in its own process, as the
 * BFF is), hammered with the same client, connections, request bodies and number of requests as
 * the herd. Nothing the platform does can answer faster on the same machine.
 */
export async function measureCeiling(spec: Omit<HammerSpec, 'url'>): Promise<HammerResult> {
  const child = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`ceiling server exited with ${code}`)));
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    return await hammer({ ...spec, url: `http://127.0.0.1:${port}/graphql` });
  } finally {
    child.removeAllListeners('exit');
    child.stdin.end();
    child.kill();
  }
}
