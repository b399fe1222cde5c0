import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { registry, type Logger } from '@fcfs/kit';
import type { RequestContext } from '../graphql/context';
import type { HotDocuments } from '../graphql/hot-documents';
import * as metrics from '../metrics';
import { metricsText } from '../workers';
import { nextRequestId, type Admitter } from './admission';

export interface HttpHandlerOptions {
  apollo: ApolloServer<RequestContext>;
  admitter: Admitter;
  logger: Logger;
  /** The hot query texts, sent on to Apollo as persisted queries (no sha256 per request). */
  hotDocuments?: HotDocuments;
  maxBodyBytes: number;
  readiness: () => Promise<boolean>;
  /** The web app's files (web-assets.ts); true when it answered the request. */
  webAssets?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** More routes (the admin's gift export, gifts-csv.ts), each true when it answered the request. */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean)[];
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

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** One GraphQL request: admission, the body (size, JSON), then Apollo. */
async function serveGraphQL(options: HttpHandlerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { apollo, admitter, maxBodyBytes } = options;
  const admission = await admitter.admit(req, req.headers.authorization, req.headers['x-request-id'] as string | undefined);
  if (!admission.admitted) {
    const { retryAfterSeconds, message } = admission.refusal;
    req.resume();
    sendError(res, 429, 'RATE_LIMITED', message, { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
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
      if (options.hotDocuments) body = options.hotDocuments.rewrite(body);
    } else {
      body = read.text;
    }
  }

  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: req.method ?? 'POST',
      headers: headerMap(req),
      search: query >= 0 ? url.slice(query) : '',
      body,
    },
    context: () => Promise.resolve(admission.context),
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
}

/**
 * The BFF's HTTP surface on Node's raw `http` server: `/graphql` through Apollo's
 * `executeHTTPGraphQLRequest` (after admission and the body-size and JSON checks), plus
 * `/healthz`, `/readyz` and `/metrics`.
 */
export function createHttpHandler(options: HttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger, readiness } = options;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') {
      serveGraphQL(options, req, res).catch((err: unknown) => {
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
      metricsText().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          res.writeHead(500).end();
        },
      );
    } else if (options.routes?.some((route) => route(req, res))) {
      return;
    } else if (!options.webAssets?.(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
}
