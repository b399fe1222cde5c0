import { callUnary, createGrpcClient, type CallSettings, type ServiceCredentials } from '@fcfs/kit';
import { AuthServiceClient, EventServiceClient, IssuerServiceClient } from '@fcfs/proto';
import {
  makeClientConstructor,
  type Client,
  type ClientUnaryCall,
  type Metadata,
  type CallOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

interface HealthClient extends Client {
  check: Unary<{ service: string }, { status: string | number }>;
}

const HealthClientCtor = makeClientConstructor(healthService as never, 'grpc.health.v1.Health') as unknown as new (
  ...args: ConstructorParameters<typeof AuthServiceClient>
) => HealthClient;

/** One gRPC channel per upstream service, and calls that always carry a deadline. */
export interface Upstream {
  auth: AuthServiceClient;
  event: EventServiceClient;
  /** Gifts (their pages, redeeming a code). */
  issuer: IssuerServiceClient;
  /** Calls one unary method with the configured deadline. */
  call<Req, Res>(method: Unary<Req, Res>, request: Req, settings?: CallSettings): Promise<Res>;
  /** Whether the service answers its gRPC health check with SERVING. */
  healthy(service: 'auth' | 'event', timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export function createUpstream({
  authAddress,
  eventAddress,
  issuerAddress,
  timeoutMs,
  identity,
}: {
  authAddress: string;
  eventAddress: string;
  issuerAddress: string;
  timeoutMs: number;
  /** The BFF's service credentials: every call carries its token. */
  identity: ServiceCredentials;
}): Upstream {
  const auth = createGrpcClient(AuthServiceClient, authAddress, identity);
  const event = createGrpcClient(EventServiceClient, eventAddress, identity);
  const issuer = createGrpcClient(IssuerServiceClient, issuerAddress, identity);
  // Health checks are open: no token to mint.
  const health = {
    auth: createGrpcClient(HealthClientCtor, authAddress, 'anonymous'),
    event: createGrpcClient(HealthClientCtor, eventAddress, 'anonymous'),
  };
  return {
    auth,
    event,
    issuer,
    call(method, request, settings = {}) {
      return callUnary(method, request, { deadlineMs: timeoutMs, ...settings });
    },
    async healthy(service, deadlineMs = 1_000) {
      const client = health[service];
      try {
        const res = await callUnary(client.check.bind(client), { service: '' }, { deadlineMs });
        return res.status === 'SERVING' || res.status === 1;
      } catch {
        return false;
      }
    },
    close() {
      auth.close();
      event.close();
      issuer.close();
      health.auth.close();
      health.event.close();
    },
  };
}
