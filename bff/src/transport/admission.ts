import type { IncomingMessage } from 'node:http';
import { bearerToken, type Logger, type TokenVerifier } from '@fcfs/kit';
import { createRequestContext, type RequestContext } from '../graphql/context';
import * as metrics from '../metrics';
import type { LimitKind, RateLimiter } from './rate-limit';

/** Why a request was turned away before GraphQL ran: over a rate limit, with the wait. */
export interface Refusal {
  kind: LimitKind;
  retryAfterSeconds: number;
  message: string;
}

export type Admission = { admitted: true; context: RequestContext } | { admitted: false; refusal: Refusal };

export interface AdmissionOptions {
  verifier: TokenVerifier;
  limiter: RateLimiter;
  logger: Logger;
  /** Take the client IP from X-Forwarded-For's first entry (only behind a trusted proxy). */
  trustProxy: boolean;
}

export interface Admitter {
  /**
   * The checks every GraphQL operation passes, over HTTP and WebSocket alike: the client IP and its
   * limit, the bearer token (a bad one is not refused here: resolvers that need a caller answer
   * UNAUTHENTICATED), the signed-in participant's limit, and the request context.
   */
  admit(request: IncomingMessage, authorization: string | undefined, requestId?: string): Promise<Admission>;
  /** A WebSocket connection counts against its IP's limit; its operations are then admitted one by one. */
  admitConnection(request: IncomingMessage): Refusal | undefined;
}

/** The client's address: X-Forwarded-For's first entry only behind a trusted proxy. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** The bearer token; a malformed header still counts as a (bad) token, so it is refused, not ignored. */
export function tokenOf(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  return bearerToken(header) ?? header.replace(/^Bearer\s+/i, '').trim();
}

let sequence = 0;
const processTag = Math.random().toString(36).slice(2, 8);

/** A cheap unique request id (no crypto on the hot path); a caller's X-Request-Id wins. */
export function nextRequestId(given?: string): string {
  if (given !== undefined && /^[\w.:-]{1,64}$/.test(given)) return given;
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}-${sequence.toString(36)}`;
}

const REFUSED: Record<LimitKind, string> = {
  ip: 'too many requests from this address; retry later',
  participant: 'too many requests for this participant; retry later',
};

export function createAdmitter({ verifier, limiter, logger, trustProxy }: AdmissionOptions): Admitter {
  const take = (kind: LimitKind, key: string): Refusal | undefined => {
    const wait = limiter.take(kind, key);
    if (wait === undefined) return undefined;
    metrics.rateLimited.inc({ kind });
    return { kind, retryAfterSeconds: wait, message: REFUSED[kind] };
  };

  return {
    admitConnection: (request) => take('ip', clientIp(request, trustProxy)),

    async admit(request, authorization, requestId) {
      const receivedAt = performance.now();
      const ip = clientIp(request, trustProxy);
      const overIp = take('ip', ip);
      if (overIp) return { admitted: false, refusal: overIp };
      const token = tokenOf(authorization);
      const traceparent = request.headers['traceparent'];
      const context = createRequestContext({
        requestId: nextRequestId(requestId),
        clientIp: ip,
        logger,
        token,
        verifier,
        receivedAt,
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      });
      // The context verifies once: resolvers reuse this verification.
      const claims = await context.claims();
      const overParticipant = claims ? take('participant', claims.participantId) : undefined;
      if (overParticipant) return { admitted: false, refusal: overParticipant };
      return { admitted: true, context };
    },
  };
}
