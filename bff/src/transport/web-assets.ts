import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Where `npm run build` puts the web app (web/dist), from bff/src/transport or bff/dist/transport alike. */
export const DEFAULT_WEB_DIR = resolve(__dirname, '..', '..', '..', 'web', 'dist');

/**
 * The page loads only its own files and talks only to its own origin (GraphQL over HTTP and
 * WebSocket): no inline script or style, no third party, not framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names every asset `<name>-<hash>.<ext>`: one path segment, nothing that climbs out of assets/. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

interface File {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
  etag: string;
}

function loadFile(path: string): File | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const body = readFileSync(path);
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
  return {
    body,
    gzipped: compressible ? gzipSync(body) : undefined,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

function send(req: IncomingMessage, res: ServerResponse, file: File, cacheControl: string): void {
  const headers: Record<string, string> = {
    'content-type': file.type,
    'cache-control': cacheControl,
    etag: file.etag,
    vary: 'accept-encoding',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? (file.gzipped as Buffer) : file.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notFound(res: ServerResponse, message: string): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(`${message}\n`);
}

/**
 * Serves the built web app from `dir`: `/` and `/index.html` (revalidated on every load, so a
 * deploy shows at once) and `/assets/<hashed name>` (cached for a year: a new build has new
 * names). Files are read once and kept in memory, gzipped where that helps. Answers true when
 * it handled the request, false for any other path or method (the caller answers those).
 */
export function createWebAssets(dir: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const root = resolve(dir);
  const cache = new Map<string, File>();
  const read = (relative: string): File | undefined => {
    let file = cache.get(relative);
    if (!file) {
      file = loadFile(join(root, relative));
      if (file) cache.set(relative, file);
    }
    return file;
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/' || path === '/index.html') {
      const index = read('index.html');
      if (index) send(req, res, index, 'no-cache');
      else notFound(res, 'the web app is not built here (npm run build)');
      return true;
    }
    if (!path.startsWith('/assets/')) return false;
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/assets/'.length));
    } catch {
      name = '';
    }
    const file = ASSET_NAME.test(name) && !name.includes('..') ? read(join('assets', name)) : undefined;
    if (file) send(req, res, file, 'public, max-age=31536000, immutable');
    else notFound(res, 'not found');
    return true;
  };
}
