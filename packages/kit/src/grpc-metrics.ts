// The standard gRPC metrics (grpc-ecosystem/go-grpc-prometheus names and labels), so stock gRPC
// dashboards and alerts work: grpc_type, grpc_service, grpc_method, grpc_code (the status's name).
import { InterceptingCall, status as Status, type Interceptor } from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';
import { registry } from './metrics';

const LABELS = ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'] as const;
const TIMING_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const grpcServerHandled = new Counter({
  name: 'grpc_server_handled_total',
  help: 'gRPC calls completed by the server, by method and status code',
  labelNames: LABELS,
  registers: [registry],
});

export const grpcServerHandling = new Histogram({
  name: 'grpc_server_handling_seconds',
  help: 'Seconds the server took to handle a unary gRPC call',
  labelNames: TIMING_LABELS,
  buckets: BUCKETS,
  registers: [registry],
});

export const grpcClientHandled = new Counter({
  name: 'grpc_client_handled_total',
  help: 'gRPC calls completed by the client (the status it received), by method and status code',
  labelNames: LABELS,
  registers: [registry],
});

export const grpcClientHandling = new Histogram({
  name: 'grpc_client_handling_seconds',
  help: 'Seconds from a unary gRPC call started by the client to its status received',
  labelNames: TIMING_LABELS,
  buckets: BUCKETS,
  registers: [registry],
});

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** A method's labels, worked out once per method (not per call). */
export interface MethodLabels {
  grpc_type: GrpcType;
  grpc_service: string;
  grpc_method: string;
}

export function methodLabels(path: string, requestStream: boolean, responseStream: boolean): MethodLabels {
  const [, service = 'unknown', method = 'unknown'] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
  const grpc_type: GrpcType = requestStream
    ? responseStream
      ? 'bidi_stream'
      : 'client_stream'
    : responseStream
      ? 'server_stream'
      : 'unary';
  return { grpc_type, grpc_service: service, grpc_method: method };
}

/** `OK`, `UNAVAILABLE`, ...: the status code's name, as the standard metrics label it. */
export function codeName(code: number): string {
  return Status[code] ?? 'UNKNOWN';
}

const clientLabels = new Map<string, MethodLabels>();

/**
 * Counts and times every call a client makes (passed to each client by createGrpcClient). The handling
 * time is observed for unary calls only: a stream's lifetime (a WatchEvent open for hours) says nothing
 * about latency.
 */
export const clientMetricsInterceptor: Interceptor = (options, nextCall) => {
  const { path, requestStream, responseStream } = options.method_definition;
  let labels = clientLabels.get(path);
  if (labels === undefined) {
    labels = methodLabels(path, requestStream, responseStream);
    clientLabels.set(path, labels);
  }
  const known = labels;
  const started = performance.now();
  return new InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      next(metadata, {
        onReceiveStatus(status, nextStatus) {
          if (known.grpc_type === 'unary') grpcClientHandling.observe(known, (performance.now() - started) / 1000);
          grpcClientHandled.inc({ ...known, grpc_code: codeName(status.code) });
          nextStatus(status);
        },
      });
    },
  });
};
