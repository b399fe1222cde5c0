import {
  credentials,
  Metadata,
  type CallOptions,
  type ChannelOptions,
  type ClientOptions,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { clientMetricsInterceptor } from './grpc-metrics';
import { serviceTokenInterceptor, type ServiceCredentials } from './service-tokens';
import { TRACEPARENT } from './tracing';

/**
 * One channel per target and process: grpc-js multiplexes every call over it. The channel
 * spreads calls over every address the target resolves to (round_robin) instead of sticking to
 * the first one (pick_first, the default): behind a headless Service that is every ready pod, so
 * a replica the autoscaler adds takes its share once the channel re-resolves, which it does when
 * a server closes a connection at its maximum age (SERVER_CONNECTION_AGE in grpc-server.ts).
 */
export const CLIENT_OPTIONS: ChannelOptions = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  // No TXT lookup of a service config in DNS on every resolution: the one above is the config.
  'grpc.service_config_disable_resolution': 1,
  // Re-resolve at most this often; it bounds how soon a new pod is seen after a reconnect.
  'grpc.dns_min_time_between_resolutions_ms': 5_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

type ClientConstructor<C> = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: ClientOptions,
) => C;

/** The name resolvers grpc-js registers; any other address is a `host:port` for DNS. */
const TARGET_SCHEME = /^(dns|ipv4|ipv6|unix|unix-abstract):/;

/**
 * The channel target for an address: `host:port` becomes `dns:///host:port`, so every A record
 * (one per pod of a headless Service) is an address to balance over; a target that names its
 * scheme (`ipv4:10.0.0.1:7051,10.0.0.2:7051`, `unix:/path`) is used as it is.
 */
export function grpcTarget(address: string): string {
  return TARGET_SCHEME.test(address) ? address : `dns:///${address}`;
}

/**
 * A client whose every call carries the caller's service token (`x-service-token`), which the kit's
 * server checks; `'anonymous'` sends none (health checks, and tests that prove a call without one is refused).
 */
export function createGrpcClient<C>(Ctor: ClientConstructor<C>, address: string, identity: ServiceCredentials | 'anonymous'): C {
  const interceptors = [clientMetricsInterceptor];
  if (identity !== 'anonymous') interceptors.push(serviceTokenInterceptor(identity));
  return new Ctor(grpcTarget(address), credentials.createInsecure(), { ...CLIENT_OPTIONS, interceptors });
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallSettings {
  /** Deadline from now, in milliseconds. Every upstream call has one. */
  deadlineMs?: number;
  metadata?: Metadata;
  /** The W3C traceparent of the span this call belongs to (sent as `traceparent` metadata). */
  trace?: string | undefined;
}

/**
 * Calls one unary method as a promise, with a deadline.
 * Usage: `await callUnary(client.getEvent.bind(client), { eventId })`.
 */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, settings: CallSettings = {}): Promise<Res> {
  const { deadlineMs = 5_000, metadata = new Metadata(), trace } = settings;
  if (trace !== undefined) metadata.set(TRACEPARENT, trace);
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + deadlineMs }, (err, response) => {
      if (err) reject(err);
      else resolve(response);
    });
  });
}

/** Metadata that forwards a caller's bearer token to a service that checks it again. */
export function bearerMetadata(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}
