import type { Server } from 'node:http';
import type { Logger } from '@fcfs/kit';
import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { formatError } from '../graphql/apollo';
import { createDocumentCache } from '../graphql/document-cache';
import type { Admitter } from './admission';

export interface WsOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  admitter: Admitter;
  logger: Logger;
  validationRules: ValidationRule[];
  production: boolean;
  maxPayloadBytes: number;
}

/** The WebSocket close code graphql-ws clients treat as "too many requests". */
const CLOSE_TOO_MANY_REQUESTS = 4429;

/**
 * graphql-ws on the HTTP server's `/graphql` path. The token comes from the
 * `connection_init` payload (`authorization`); each operation passes the same admission as an
 * HTTP request (IP and participant limits, token, context), and is validated with the same depth
 * and cost limits. `dispose()` closes every socket.
 */
export function startWebSocketServer(options: WsOptions): { dispose(): Promise<void> } {
  const { httpServer, schema, admitter, logger, production } = options;
  const rules = [...specifiedRules, ...options.validationRules, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  // Every subscriber sends the same few queries (twice each in a herd): parse and validate each text once.
  const documents = createDocumentCache(schema, rules);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: options.maxPayloadBytes });

  const cleanup = useServer(
    {
      schema,
      onConnect(ctx) {
        const refusal = admitter.admitConnection(ctx.extra.request);
        if (refusal === undefined) return true;
        ctx.extra.socket.close(CLOSE_TOO_MANY_REQUESTS, `Too many requests; retry in ${refusal.retryAfterSeconds} s`);
        return false;
      },
      async onSubscribe(ctx, _id, payload) {
        const authorization = ctx.connectionParams?.['authorization'];
        const admission = await admitter.admit(ctx.extra.request, typeof authorization === 'string' ? authorization : undefined);
        if (!admission.admitted) {
          const { message, retryAfterSeconds } = admission.refusal;
          return [new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } })];
        }
        const prepared = documents.prepare(payload.query);
        if (!prepared.ok) return prepared.errors;
        return {
          schema,
          document: prepared.document,
          contextValue: admission.context,
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
