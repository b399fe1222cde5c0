import type { Server } from 'node:http';
import type { Logger, TokenVerifier } from '@fcfs/kit';
import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { formatError } from './apollo';
import { createRequestContext, nextRequestId } from './context';
import { createDocumentCache } from './document-cache';
import { clientIp, tokenOf } from './http';
import * as metrics from './metrics';
import type { RateLimiter } from './rate-limit';

export interface WsOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  limiter: RateLimiter;
  logger: Logger;
  validationRules: ValidationRule[];
  production: boolean;
  trustProxy: boolean;
  maxPayloadBytes: number;
}

/** The WebSocket close code graphql-ws clients treat as "too many requests". */
const CLOSE_TOO_MANY_REQUESTS = 4429;

/**
 * graphql-ws on the HTTP server's `/graphql` path. The token comes from the
 * `connection_init` payload (`authorization`); a bad one is not refused here but answered
 * UNAUTHENTICATED by each operation that needs it, as over HTTP. Operations are validated
 * with the same depth and cost limits as HTTP. `dispose()` closes every socket.
 */
export function startWebSocketServer(options: WsOptions): { dispose(): Promise<void> } {
  const { httpServer, schema, verifier, limiter, logger, production, trustProxy } = options;
  const rules = [...specifiedRules, ...options.validationRules, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  // Every subscriber sends the same few queries (twice each in a herd): parse and validate each text once.
  const documents = createDocumentCache(schema, rules);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: options.maxPayloadBytes });

  const cleanup = useServer(
    {
      schema,
      onConnect(ctx) {
        const ip = clientIp(ctx.extra.request, trustProxy);
        const wait = limiter.take('ip', ip);
        if (wait !== undefined) {
          metrics.rateLimited.inc({ kind: 'ip' });
          ctx.extra.socket.close(CLOSE_TOO_MANY_REQUESTS, `Too many requests; retry in ${wait} s`);
          return false;
        }
        return true;
      },
      onSubscribe(ctx, _id, payload) {
        const wait = limiter.take('ip', clientIp(ctx.extra.request, trustProxy));
        if (wait !== undefined) {
          metrics.rateLimited.inc({ kind: 'ip' });
          return [
            new GraphQLError('too many requests from this address; retry later', {
              extensions: { code: 'RATE_LIMITED', retryAfterSeconds: wait },
            }),
          ];
        }
        const prepared = documents.prepare(payload.query);
        if (!prepared.ok) return prepared.errors;
        const { document } = prepared;
        const authorization = ctx.connectionParams?.['authorization'];
        const token = tokenOf(typeof authorization === 'string' ? authorization : undefined);
        const contextValue = createRequestContext({
          requestId: nextRequestId(),
          clientIp: clientIp(ctx.extra.request, trustProxy),
          logger,
          token,
          verifier,
        });
        return {
          schema,
          document,
          contextValue,
          variableValues: payload.variables ?? null,
          operationName: payload.operationName ?? null,
        };
      },
      onError(_ctx, _id, _payload, errors) {
        return errors.map((e) => formatError(e.toJSON(), logger));
      },
      onNext(_ctx, _id, _payload, _args, result) {
        if (!result.errors) return;
        const errors = result.errors.map((e) => formatError(e.toJSON(), logger));
        return result.data === undefined ? { errors } : { data: result.data, errors };
      },
      isProd: production,
    },
    wss,
  );

  return {
    async dispose() {
      await cleanup.dispose();
    },
  };
}
