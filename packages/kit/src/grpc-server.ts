import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { toGrpcError } from './errors';
import type { Access, CallerIdentity, ServiceAuthenticator } from './service-tokens';
import { codeName, grpcServerHandled, grpcServerHandling, methodLabels, type MethodLabels } from './grpc-metrics';
import { SpanKind, SpanStatusCode, TRACEPARENT, TRACING_OFF, traceparentOf, type Span, type Tracing } from './tracing';

interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(value: Buffer): unknown;
  responseSerialize(value: never): Buffer;
}

type RequestOf<M> = M extends { requestDeserialize(value: Buffer): infer R } ? R : never;
type ResponseOf<M> = M extends { responseSerialize(value: infer R): Buffer } ? R : never;

/**
 * Async handlers for one ts-proto service definition: a unary handler returns its
 * response, a server-streaming handler writes to the call and resolves when done.
 * Throw a ServiceError for an expected failure; anything else becomes INTERNAL.
 */
export type Handlers<D> = {
  [K in keyof D]: D[K] extends { responseStream: true }
    ? (call: ServerWritableStream<RequestOf<D[K]>, ResponseOf<D[K]>>) => Promise<void>
    : (request: RequestOf<D[K]>, call: ServerUnaryCall<RequestOf<D[K]>, ResponseOf<D[K]>>) => Promise<ResponseOf<D[K]>>;
};

/** What each RPC of a service requires (see service-tokens.ts): every method names its rule. */
export type AccessRules<D> = { readonly [K in keyof D]: Access };

/** The caller a call was authenticated as (absent on a server without authentication). */
const callCallers = new WeakMap<object, CallerIdentity>();

export function callerOf(call: object): CallerIdentity | undefined {
  return callCallers.get(call);
}

/** The traceparent of each call's server span, for handlers that pass the trace on (only while tracing). */
const callTraces = new WeakMap<object, string>();

/** The W3C traceparent of the span serving this call: the parent of what the handler starts or sends on. */
export function callTrace(call: object): string | undefined {
  return callTraces.get(call);
}

/** One call's metrics and span; the span only while tracing, so a call without it allocates nothing more. */
function observeCall(
  tracing: Tracing,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  path: string,
  labels: MethodLabels,
) {
  const started = performance.now();
  let span: Span | undefined;
  if (tracing.enabled) {
    const parent = call.metadata.get(TRACEPARENT)[0];
    span = tracing.startSpan(path, { kind: SpanKind.SERVER, parent: typeof parent === 'string' ? parent : undefined });
    const own = traceparentOf(span);
    if (own !== undefined) callTraces.set(call, own);
  }
  return (code: number): void => {
    if (labels.grpc_type === 'unary') grpcServerHandling.observe(labels, (performance.now() - started) / 1000);
    grpcServerHandled.inc({ ...labels, grpc_code: codeName(code) });
    if (span !== undefined) {
      span.setAttribute('rpc.grpc.status_code', code);
      if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}

/** Wraps async handlers into grpc-js handlers with one error mapping, metrics and (when on) a span per call. */
export function adaptHandlers<D extends Record<string, MethodDefinition>>(
  definition: D,
  handlers: Handlers<D>,
  logger: Logger,
  tracing: Tracing = TRACING_OFF,
  guard?: { authenticate: ServiceAuthenticator; access: AccessRules<D> },
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const key of Object.keys(definition)) {
    const method = definition[key];
    const handler = (handlers as Record<string, (...args: never[]) => Promise<unknown>>)[key];
    if (method === undefined || handler === undefined) throw new Error(`no handler for ${key}`);
    const name = method.path;
    const labels = methodLabels(name, method.requestStream, method.responseStream);
    const access = guard?.access[key];
    if (guard !== undefined && access === undefined) throw new Error(`no access rule for ${key}`);
    // The service token is checked before the handler sees the call; without a guard, nothing to check.
    const admit = async (call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>): Promise<void> => {
      if (guard === undefined || access === undefined) return;
      callCallers.set(call, await guard.authenticate(call.metadata, name, access));
    };
    if (method.responseStream) {
      impl[key] = (call: ServerWritableStream<unknown, unknown>) => {
        const done = observeCall(tracing, call, name, labels);
        admit(call)
          .then(() => (handler as (c: typeof call) => Promise<void>)(call))
          .then(
            () => {
              done(0);
              if (!call.writableEnded) call.end();
            },
            (err: unknown) => {
              const mapped = toGrpcError(err, logger, name);
              done(mapped.code ?? 2);
              // grpc-js turns an 'error' event into the call's status; destroy() would drop it and leave the client hanging.
              if (!call.destroyed && !call.writableEnded) call.emit('error', Object.assign(new Error(mapped.details), mapped));
            },
          );
      };
    } else {
      impl[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const done = observeCall(tracing, call, name, labels);
        admit(call)
          .then(() => (handler as (r: unknown, c: typeof call) => Promise<unknown>)(call.request, call))
          .then(
            (response) => {
              done(0);
              callback(null, response);
            },
            (err: unknown) => {
              const mapped = toGrpcError(err, logger, name);
              done(mapped.code ?? 2);
              callback(mapped);
            },
          );
      };
    }
  }
  return impl;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Connection lifetime before the server asks the client to reconnect (GOAWAY); see SERVER_CONNECTION_AGE. */
  maxConnectionAgeMs?: number;
  /** How long calls already running on such a connection may go on before it is closed. */
  maxConnectionAgeGraceMs?: number;
  /** A span per call, child of the caller's `traceparent` metadata; off by default. */
  tracing?: Tracing;
  /**
   * Checks every call's service token against the RPC's access rule (createServiceAuthenticator);
   * `'none'` only for tests of the transport itself. Health checks are always open.
   */
  authenticate: ServiceAuthenticator | 'none';
}

/**
 * Clients hold one long-lived HTTP/2 connection per server address, so a pod that joins later
 * would get no calls from them until they reconnect. Closing every connection after ~5 minutes (grpc-js
 * adds jitter) makes them reconnect and re-resolve the headless Service, so a new replica takes
 * calls within minutes (KEDA's cron scales up 10-15 minutes before an opening). Not shorter: at the
 * GOAWAY a busy client loses the calls it had just started on the old connection (grpc-js answers them
 * INTERNAL "RST_STREAM with code 0"; the BFF maps that to a retryable UNAVAILABLE). Measured with the
 * sign-in benchmark: a 30 s age cost 159 of 10,000 verifyCode calls; 5 minutes, none in the run. Calls
 * running on the old connection get the grace: unary calls finish well inside it (5 s deadlines), and a
 * WatchEvent stream open longer is ended and reopened by the BFF's watch hub (which resyncs its subscribers).
 */
export const SERVER_CONNECTION_AGE = { maxAgeMs: 300_000, graceMs: 300_000 } as const;

export interface GrpcServer {
  /** Registers a service, its handlers and each RPC's access rule; its health status follows the server's. */
  add<D extends Record<string, MethodDefinition>>(
    serviceName: string,
    definition: D,
    handlers: Handlers<D>,
    access: AccessRules<D>,
  ): void;
  /** Binds and starts serving; resolves to the bound port (useful with port 0). */
  start(): Promise<number>;
  /** Health NOT_SERVING, then a graceful shutdown; forced only after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  setServing(serving: boolean): void;
  readonly server: Server;
}

/**
 * A grpc-js server with standard health checking (grpc.health.v1), one error
 * mapping for every handler, and graceful shutdown.
 */
export function createGrpcServer({
  host,
  port,
  logger,
  maxConnectionAgeMs = SERVER_CONNECTION_AGE.maxAgeMs,
  maxConnectionAgeGraceMs = SERVER_CONNECTION_AGE.graceMs,
  tracing = TRACING_OFF,
  authenticate,
}: GrpcServerOptions): GrpcServer {
  const server = new Server({
    'grpc.max_connection_age_ms': maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': maxConnectionAgeGraceMs,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  const serviceNames: string[] = [''];
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  let stopping: Promise<void> | undefined;

  const setServing = (serving: boolean): void => {
    for (const name of serviceNames) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  };

  return {
    server,
    setServing,
    add(serviceName, definition, handlers, access) {
      const guard = authenticate === 'none' ? undefined : { authenticate, access };
      server.addService(definition as unknown as ServiceDefinition, adaptHandlers(definition, handlers, logger, tracing, guard));
      serviceNames.push(serviceName);
      health.setStatus(serviceName, 'NOT_SERVING');
    },
    start() {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
          if (err) {
            reject(err);
            return;
          }
          setServing(true);
          logger.info({ port: bound }, 'gRPC server listening');
          resolve(bound);
        });
      });
    },
    stop(graceMs = 10_000) {
      stopping ??= new Promise<void>((resolve) => {
        setServing(false);
        const timer = setTimeout(() => {
          logger.warn('gRPC calls still open after grace period; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return stopping;
    },
  };
}
