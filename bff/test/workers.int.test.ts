// BFF_WORKERS=2: the BFF's own process (bff/dist/main.js, so `npm run build` first) as a node:cluster
// primary with two workers that each bind the port (SO_REUSEPORT). New connections reach both; /metrics
// answers for the whole pod whichever worker takes it; a worker that dies takes the pod down.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { dropRedisKeys, eventually, freePort, randomSuffix, urls } from '../../test/support';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
let primary: ChildProcess | undefined;
let port = 0;
const prefix = `test:bff-workers:${randomSuffix()}:`;

/** One request on a connection of its own (no keep-alive): each is a new accept. */
function post(path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

const children = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

beforeEach(async () => {
  port = await freePort();
  primary = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      BFF_WORKERS: '2',
      BFF_HOST: '127.0.0.1',
      BFF_PORT: String(port),
      BFF_REDIS_PREFIX: prefix,
      REDIS_URL: urls.redis,
      BFF_RATE_LIMIT_IP_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await eventually(async () => ((await get('/healthz').catch(() => undefined))?.status === 200 ? true : undefined), 20_000);
  // Both workers up: each answers /healthz only once it listens.
  await eventually(async () => (children(primary!.pid!).length === 2 ? true : undefined), 10_000);
});

afterEach(async () => {
  if (primary && primary.exitCode === null) {
    primary.kill('SIGTERM');
    await exited(primary);
  }
  await dropRedisKeys([prefix]);
});

it('spreads new connections over two workers on one port and answers /metrics for both', async () => {
  const pid = primary!.pid!;
  expect(children(pid)).toHaveLength(2);
  const n = 40;
  const answers = await Promise.all(
    Array.from({ length: n }, () => post('/graphql', JSON.stringify({ query: '{ __typename }' }))),
  );
  expect(answers.every((a) => a.status === 200 && JSON.parse(a.text).data.__typename === 'Query')).toBe(true);

  // Whichever worker answers, the count is the pod's: every one of the n requests (a worker alone saw about half).
  const metrics = await get('/metrics');
  expect(metrics.status).toBe(200);
  const line = metrics.text.split('\n').find((l) => l.startsWith('fcfs_bff_http_responses_total{status="200"}'));
  expect(Number(line?.split(' ').pop())).toBe(n);

  primary!.kill('SIGTERM');
  expect(await exited(primary!)).toBe(0);
});

it('stops the pod (exit 1) when a worker dies on its own, so the orchestrator restarts it whole', async () => {
  const [worker] = children(primary!.pid!);
  process.kill(worker!, 'SIGKILL');
  expect(await exited(primary!)).toBe(1);
});
