import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CONTENT_SECURITY_POLICY, createWebAssets } from './web-assets';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request: fetch would normalise the `..` segments these tests need to send as they are. */
function get(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web assets', () => {
  let root: string;
  let server: Server;
  let port: number;
  let emptyServer: Server;
  let emptyPort: number;
  const script = `console.log(${JSON.stringify('x'.repeat(2_000))});`;

  const listen = async (handler: ReturnType<typeof createWebAssets>): Promise<[Server, number]> => {
    const s = createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(418).end('not mine');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return [s, (s.address() as AddressInfo).port];
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'web-assets-'));
    mkdirSync(join(root, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(root, 'secret.txt'), 'SECRET');
    writeFileSync(join(root, 'dist', 'secret.txt'), 'SECRET');
    writeFileSync(join(root, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'dist', 'assets', 'index-Ab12_c.js'), script);
    writeFileSync(join(root, 'dist', 'assets', 'index-Ab12_c.css'), 'body{}');
    [server, port] = await listen(createWebAssets(join(root, 'dist')));
    [emptyServer, emptyPort] = await listen(createWebAssets(join(root, 'missing')));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => emptyServer.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it.each(['/', '/index.html', '/?next=x'])('serves index.html at %s, revalidated, with the CSP', async (path) => {
    const res = await get(port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body.toString()).toContain('<title>app</title>');
  });

  it('allows nothing from other origins and no inline script', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('serves hashed assets for a year with their content type, gzipped when asked', async () => {
    const js = await get(port, '/assets/index-Ab12_c.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body.toString()).toBe(script);
    const css = await get(port, '/assets/index-Ab12_c.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const gz = await get(port, '/assets/index-Ab12_c.js', 'GET', { 'accept-encoding': 'gzip, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);
  });

  it('answers HEAD without a body and a matching ETag with 304', async () => {
    const head = await get(port, '/assets/index-Ab12_c.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(script));
    expect(head.body.length).toBe(0);
    const etag = String((await get(port, '/')).headers['etag']);
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await get(port, '/', 'GET', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('answers 404 for an unknown asset', async () => {
    const res = await get(port, '/assets/nothing-123.js');
    expect(res.status).toBe(404);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    '/assets/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/..%2Fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/.%2e/secret.txt',
    '/assets/..%5csecret.txt',
    '/assets/%2Fetc%2Fpasswd',
    '/assets/',
    '/assets/%',
    '/assets/..',
  ])('never climbs out of assets/: %s', async (path) => {
    const res = await get(port, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('SECRET');
  });

  it('leaves other paths and methods to the caller', async () => {
    expect((await get(port, '/secret.txt')).status).toBe(418);
    expect((await get(port, '/graphql')).status).toBe(418);
    expect((await get(port, '/', 'POST')).status).toBe(418);
  });

  it('says so when the web app is not built', async () => {
    const res = await get(emptyPort, '/');
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain('npm run build');
  });
});
