import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { bearerToken, registry, type Logger, type SessionClaims, type TokenVerifier } from '@fcfs/kit';
import { createRequestContext, nextRequestId, type RequestContext } from './context';
import * as metrics from './metrics';
import type { RateLimiter } from './rate-limit';

export interface HttpHandlerOptions {
  apollo: ApolloServer<RequestContext>;
  verifier: TokenVerifier;
  limiter: RateLimiter;
  logger: Logger;
  maxBodyBytes: number;
  trustProxy: boolean;
  readiness: () => Promise<boolean>;
  /** The web app's files (web-assets.ts); true when it answered the request. */
  webAssets?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** The client's address: X-Forwarded-For's first entry only behind a trusted proxy. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** A GraphQL-shaped error answer for what is refused before GraphQL runs. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  metrics.httpResponses.inc({ status });
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Some clients keep sending an oversized body; read (and drop) this much so the 413 reaches them. */
const DISCARD_LIMIT = 32 * 1024 * 1024;

type Body = { ok: true; text: string } | { ok: false; tooLarge: boolean };

function readBody(req: IncomingMessage, maxBytes: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > DISCARD_LIMIT) req.destroy();
    });
    req.on('end', () =>
      resolve(tooLarge ? { ok: false, tooLarge } : { ok: true, text: Buffer.concat(chunks, size).toString('utf8') }),
    );
    req.on('error', () => resolve({ ok: false, tooLarge }));
    req.on('close', () => resolve({ ok: false, tooLarge }));
  });
}

/** The bearer token; a malformed header still counts as a (bad) token, so it is refused, not ignored. */
export function tokenOf(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  return bearerToken(header) ?? header.replace(/^Bearer\s+/i, '').trim();
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * The BFF's HTTP surface on Node's raw `http` server: `/graphql` through Apollo's
 * `executeHTTPGraphQLRequest` (after the body-size, JSON and rate-limit checks), plus
 * `/healthz`, `/readyz` and `/metrics`.
 */
export function createHttpHandler(options: HttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { apollo, verifier, limiter, logger, maxBodyBytes, trustProxy, readiness } = options;

  const graphql = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ip = clientIp(req, trustProxy);
    const ipWait = limiter.take('ip', ip);
    if (ipWait !== undefined) {
      metrics.rateLimited.inc({ kind: 'ip' });
      req.resume();
      sendError(
        res,
        429,
        'RATE_LIMITED',
        'too many requests from this address; retry later',
        { retryAfterSeconds: ipWait },
        { 'retry-after': String(ipWait) },
      );
      return;
    }

    let body: unknown;
    if (req.method === 'POST') {
      const read = await readBody(req, maxBodyBytes);
      if (!read.ok) {
        if (read.tooLarge)
          sendError(
            res,
            413,
            'BAD_USER_INPUT',
            `the request body is larger than ${maxBodyBytes} bytes`,
            {},
            { connection: 'close' },
          );
        return;
      }
      const type = req.headers['content-type'] ?? '';
      if (type.includes('json')) {
        try {
          body = JSON.parse(read.text);
        } catch {
          sendError(res, 400, 'BAD_USER_INPUT', 'the request body is not valid JSON');
          return;
        }
      } else {
        body = read.text;
      }
    }

    const token = tokenOf(req.headers.authorization);
    if (token !== undefined) {
      let claims: SessionClaims | undefined;
      try {
        claims = await verifier.verify(token);
      } catch {
        // The resolvers that need a signed-in caller answer UNAUTHENTICATED with the reason.
      }
      const wait = claims ? limiter.take('participant', claims.participantId) : undefined;
      if (wait !== undefined) {
        metrics.rateLimited.inc({ kind: 'participant' });
        sendError(
          res,
          429,
          'RATE_LIMITED',
          'too many requests for this participant; retry later',
          { retryAfterSeconds: wait },
          { 'retry-after': String(wait) },
        );
        return;
      }
    }

    const requestId = nextRequestId(req.headers['x-request-id'] as string | undefined);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method ?? 'POST',
        headers: headerMap(req),
        search: query >= 0 ? url.slice(query) : '',
        body,
      },
      context: () => Promise.resolve(createRequestContext({ requestId, clientIp: ip, logger, token, verifier })),
    });
    const status = response.status ?? 200;
    metrics.httpResponses.inc({ status });
    const headers: Record<string, string> = {};
    for (const [key, value] of response.headers) headers[key] = value;
    if (response.body.kind === 'complete') {
      headers['content-length'] = String(Buffer.byteLength(response.body.string));
      res.writeHead(status, headers);
      res.end(response.body.string);
    } else {
      res.writeHead(status, headers);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') {
      graphql(req, res).catch((err: unknown) => {
        const requestId = nextRequestId();
        logger.error({ err, requestId }, 'GraphQL request failed unexpectedly');
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error', { requestId });
        else res.destroy();
      });
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      readiness().then(
        (ready) => res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n'),
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n'),
      );
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          res.writeHead(500).end();
        },
      );
    } else if (!options.webAssets?.(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
}
