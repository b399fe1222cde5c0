import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Logger } from '@fcfs/kit';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { createApollo } from '../graphql/apollo';
import { requestMetricsPlugin } from '../graphql/request-metrics';
import type { Admitter } from './admission';
import { createHttpHandler } from './http';
import { createWebAssets } from './web-assets';
import { startWebSocketServer } from './ws';

export interface ServerOptions {
  schema: GraphQLSchema;
  admitter: Admitter;
  validationRules: ValidationRule[];
  production: boolean;
  logger: Logger;
  host: string;
  port: number;
  maxBodyBytes: number;
  readiness: () => Promise<boolean>;
  /** The built web app, served at `/`. */
  webDir: string;
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
  });
  const apollo = createApollo({
    schema,
    production,
    validationRules,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5_000 }),
      { serverWillStart: () => Promise.resolve({ drainServer: () => ws.dispose() }) },
      requestMetricsPlugin(schema),
    ],
  });
  await apollo.start();
  httpServer.on(
    'request',
    createHttpHandler({
      apollo,
      admitter,
      logger,
      maxBodyBytes: options.maxBodyBytes,
      readiness: options.readiness,
      webAssets: createWebAssets(options.webDir),
      ...(options.routes === undefined ? {} : { routes: options.routes }),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    // The herd arrives at one second: a deep accept queue keeps it from being reset (capped by somaxconn).
    httpServer.listen({ port: options.port, host, backlog: 4_096 }, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const httpPort = (httpServer.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}/graphql`;
  return { httpPort, url, stop: () => apollo.stop() };
}
