import { GrpcStatus, ServiceError, type Logger, type SessionClaims, type TokenVerifier } from '@fcfs/kit';
import { userError } from './errors';

/** What every resolver sees: who is calling, from where, and the request id for logs. */
export interface RequestContext {
  requestId: string;
  clientIp: string;
  logger: Logger;
  /** When admission began (performance.now()): the start of the request's duration. */
  receivedAt: number;
  /** The caller's W3C `traceparent` header: the parent of the request's spans (when tracing). */
  traceparent: string | undefined;
  /** The raw bearer token, forwarded to services that check it again. */
  token: string | undefined;
  /** The verified claims, or undefined without a valid token; never throws. */
  claims(): Promise<SessionClaims | undefined>;
  /** The verified claims, or UNAUTHENTICATED (UNAVAILABLE when the keys cannot be loaded). */
  requireUser(): Promise<SessionClaims>;
  /** As requireUser, and FORBIDDEN without the admin role. */
  requireAdmin(): Promise<SessionClaims>;
}

export function createRequestContext({
  requestId,
  clientIp,
  logger,
  token,
  verifier,
  receivedAt,
  traceparent,
  stillAdmin,
}: {
  /** The auth service's current answer to "is this participant an admin" (see admission.ts). */
  stillAdmin?: ((participantId: string) => Promise<boolean>) | undefined;
  receivedAt: number;
  traceparent: string | undefined;
  requestId: string;
  clientIp: string;
  logger: Logger;
  token: string | undefined;
  verifier: TokenVerifier;
}): RequestContext {
  let verified: Promise<SessionClaims> | undefined;
  const verify = (): Promise<SessionClaims> => {
    if (token === undefined) return Promise.reject(userError('UNAUTHENTICATED', 'sign in first: a session token is required'));
    verified ??= verifier.verify(token).catch((err: unknown) => {
      if (err instanceof ServiceError && err.code === GrpcStatus.UNAUTHENTICATED) throw userError('UNAUTHENTICATED', err.message);
      throw err;
    });
    return verified;
  };
  return {
    requestId,
    clientIp,
    logger,
    token,
    receivedAt,
    traceparent,
    claims: () => (token === undefined ? Promise.resolve(undefined) : verify().catch(() => undefined)),
    requireUser: verify,
    async requireAdmin() {
      const claims = await verify();
      if (claims.role !== 'admin') throw userError('FORBIDDEN', 'this operation needs the admin role');
      // The token's role is what the configuration said when it was signed; an admin removed since is one no more.
      if (stillAdmin && !(await stillAdmin(claims.participantId))) {
        throw userError('FORBIDDEN', 'this operation needs the admin role');
      }
      return claims;
    },
  };
}
