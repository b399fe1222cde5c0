import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Logger } from '@fcfs/kit';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { createApollo } from '../graphql/apollo';
import { createHotDocuments } from '../graphql/hot-documents';
import { requestMetricsPlugin } from '../graphql/request-metrics';
import type { Admitter } from './admission';
import { createHttpHandler } from './http';
import { listenWide } from './listen';
import { createWebAssets } from './web-assets';
import { fieldChargePlugin } from './field-charge';
import { startWebSocketServer, type SocketCaps } from './ws';
import { isClusterWorker } from '../workers';

export interface ServerOptions {
  schema: GraphQLSchema;
  admitter: Admitter;
  validationRules: ValidationRule[];
  production: boolean;
  logger: Logger;
  host: string;
  port: number;
  /** Listening sockets on the port (listen.ts); 1: a plain listen. */
  acceptSockets?: number;
  maxBodyBytes: number;
  readiness: () => Promise<boolean>;
  /** The built web app, served at `/`. */
  webDir: string;
  socketCaps: SocketCaps;
  /** More HTTP routes (the admin's gift export). */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean)[];
}

export interface RunningServer {
  httpPort: number;
  /** http://host:port/graphql (also the WebSocket URL with ws://). */
  url: string;
  /** Apollo's drain: stop accepting, let requests finish, close WebSockets. */
  stop(): Promise<void>;
}

/** Apollo on a raw `http` server and graphql-ws on the same path and port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { schema, admitter, validationRules, production, logger, host } = options;
  const httpServer = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 });
  const ws = startWebSocketServer({
    httpServer,
    schema,
    admitter,
    logger,
    validationRules,
    production,
    maxPayloadBytes: options.maxBodyBytes,
    caps: options.socketCaps,
  });
  const hotDocuments = createHotDocuments();
  const apollo = createApollo({
    schema,
    persistedQueriesCache: hotDocuments.cache,
    production,
    validationRules,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5_000 }),
      { serverWillStart: () => Promise.resolve({ drainServer: () => ws.dispose() }) },
      requestMetricsPlugin(schema),
      fieldChargePlugin(admitter),
    ],
  });
  await apollo.start();
  httpServer.on(
    'request',
    createHttpHandler({
      apollo,
      admitter,
      logger,
      hotDocuments,
      maxBodyBytes: options.maxBodyBytes,
      readiness: options.readiness,
      webAssets: createWebAssets(options.webDir),
      ...(options.routes === undefined ? {} : { routes: options.routes }),
    }),
  );
  // The herd arrives at one second: a deep accept queue keeps it from being reset (capped by somaxconn), and
  // several listening sockets accept several connections per event-loop turn (listen.ts).
  const listening = await listenWide(httpServer, {
    host,
    port: options.port,
    backlog: 4_096,
    sockets: options.acceptSockets ?? 1,
    // A worker of BFF_WORKERS binds the port itself beside its siblings (SO_REUSEPORT): its own accept queues.
    exclusive: isClusterWorker(),
  });
  const httpPort = listening.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}/graphql`;
  return {
    httpPort,
    url,
    stop: () => {
      listening.closeExtra();
      return apollo.stop();
    },
  };
}
