import type { Server } from 'node:http';
import type { Logger } from '@fcfs/kit';
import {
  GraphQLError,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatError } from '../graphql/apollo';
import { createDocumentCache } from '../graphql/document-cache';
import type { Admitter } from './admission';
import { chargeOperation, rateLimitedError } from './field-charge';

/** Caps on what one client holds open at once; 0 turns a cap off. */
export interface SocketCaps {
  perAddress: number;
  perParticipant: number;
  subscriptionsPerSocket: number;
}

export interface WsOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  admitter: Admitter;
  logger: Logger;
  validationRules: ValidationRule[];
  production: boolean;
  maxPayloadBytes: number;
  caps: SocketCaps;
}

/** The WebSocket close code graphql-ws clients treat as "too many requests" (docs/api.md). */
const CLOSE_TOO_MANY_REQUESTS = 4429;
/** Closed at once: this client address already holds `caps.perAddress` sockets (docs/api.md). */
export const CLOSE_TOO_MANY_SOCKETS_ADDRESS = 4430;
/** Closed at connection_init: this participant already holds `caps.perParticipant` sockets (docs/api.md). */
export const CLOSE_TOO_MANY_SOCKETS_PARTICIPANT = 4431;

/** Open sockets per key, each counted until it closes. */
function socketCounter(cap: number) {
  const open = new Map<string, number>();
  return {
    /** Counts the socket under `key` until it closes; false (and nothing counted) when the key is at its cap. */
    hold(key: string, socket: WebSocket): boolean {
      const n = open.get(key) ?? 0;
      if (cap > 0 && n >= cap) return false;
      open.set(key, n + 1);
      socket.once('close', () => {
        const left = (open.get(key) ?? 1) - 1;
        if (left <= 0) open.delete(key);
        else open.set(key, left);
      });
      return true;
    },
  };
}

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
  const { caps } = options;
  const perAddress = socketCounter(caps.perAddress);
  const perParticipant = socketCounter(caps.perParticipant);

  // Before graphql-ws sees the socket (its listener is added by useServer below): a socket over its
  // address's cap is closed before it can hold anything.
  wss.on('connection', (socket, request) => {
    if (!perAddress.hold(admitter.addressOf(request), socket)) {
      socket.close(CLOSE_TOO_MANY_SOCKETS_ADDRESS, 'Too many sockets from this address');
    }
  });

  const cleanup = useServer(
    {
      schema,
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        const refusal = admitter.admitConnection(request);
        if (refusal !== undefined) {
          socket.close(CLOSE_TOO_MANY_REQUESTS, `Too many requests; retry in ${refusal.retryAfterSeconds} s`);
          return false;
        }
        const participant =
          caps.perParticipant > 0 ? await admitter.participantOf(authorizationOf(ctx.connectionParams)) : undefined;
        if (participant !== undefined && !perParticipant.hold(participant, socket)) {
          socket.close(CLOSE_TOO_MANY_SOCKETS_PARTICIPANT, 'Too many sockets for this participant');
          return false;
        }
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        // graphql-ws has already entered this operation in ctx.subscriptions.
        if (caps.subscriptionsPerSocket > 0 && Object.keys(ctx.subscriptions).length > caps.subscriptionsPerSocket) {
          return [
            new GraphQLError(`at most ${caps.subscriptionsPerSocket} operations may be open on one socket`, {
              extensions: { code: 'RATE_LIMITED', limit: 'SUBSCRIPTIONS_PER_SOCKET' },
            }),
          ];
        }
        const admission = await admitter.admit(ctx.extra.request, authorizationOf(ctx.connectionParams));
        if (!admission.admitted) return [rateLimitedError(admission.refusal)];
        const prepared = documents.prepare(payload.query);
        if (!prepared.ok) return prepared.errors;
        const operation = getOperationAST(prepared.document, payload.operationName ?? undefined);
        if (operation) {
          const refused = await chargeOperation(admitter, admission.context, prepared.document, operation);
          if (refused) return [rateLimitedError(refused)];
        }
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

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const authorization = params?.['authorization'];
  return typeof authorization === 'string' ? authorization : undefined;
}
