import type { IncomingMessage } from 'node:http';
import { bearerToken, type Logger, type TokenVerifier } from '@fcfs/kit';
import { createRequestContext, type RequestContext } from '../graphql/context';
import * as metrics from '../metrics';
import { clientAddress } from './client-address';
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
  /** Proxies in front of the BFF that append to X-Forwarded-For (0: the socket's peer is the client). */
  trustedProxyHops: number;
  /**
   * Whether a signed-in admin is still an admin in the auth service's current configuration (a token
   * keeps its role claim until it expires); without it the token's claim is believed.
   */
  stillAdmin?: (participantId: string) => Promise<boolean>;
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
  /**
   * Charges an admitted operation's root fields, once its document is known (before it runs, whatever
   * executes it): `fields` against the participant, and all but the first (which admission counted)
   * against the client address. A request of ten mutations costs ten.
   */
  chargeFields(context: RequestContext, fields: number): Promise<Refusal | undefined>;
  /** The client address of a request, as the limits key it. */
  addressOf(request: IncomingMessage): string;
  /** The participant a bearer token verifies as; undefined without a valid one. */
  participantOf(authorization: string | undefined): Promise<string | undefined>;
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
  global: 'the platform is at its request ceiling; retry later',
};

/** The one key of the global ceiling. */
const ALL = 'all';

export function createAdmitter({ verifier, limiter, logger, trustedProxyHops, stillAdmin }: AdmissionOptions): Admitter {
  const take = (kind: LimitKind, key: string, units = 1): Refusal | undefined => {
    const wait = limiter.take(kind, key, units);
    if (wait === undefined) return undefined;
    metrics.rateLimited.inc({ kind });
    return { kind, retryAfterSeconds: wait, message: REFUSED[kind] };
  };
  const addressOf = (request: IncomingMessage): string => clientAddress(request, trustedProxyHops);
  /** One request or connection: the client's address first (a flood from one address spends only its own), then the ceiling. */
  const admitRequest = (ip: string): Refusal | undefined => take('ip', ip) ?? take('global', ALL);

  return {
    addressOf,
    async participantOf(authorization) {
      const token = tokenOf(authorization);
      if (token === undefined) return undefined;
      return verifier.verify(token).then(
        (claims) => claims.participantId,
        () => undefined,
      );
    },
    admitConnection: (request) => admitRequest(addressOf(request)),

    async chargeFields(context, fields) {
      const extra = take('ip', context.clientIp, fields - 1) ?? take('global', ALL, fields - 1);
      if (extra) return extra;
      const claims = await context.claims();
      return claims ? take('participant', claims.participantId, fields) : undefined;
    },

    async admit(request, authorization, requestId) {
      const receivedAt = performance.now();
      const ip = addressOf(request);
      const overIp = admitRequest(ip);
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
        stillAdmin,
      });
      return { admitted: true, context };
    },
  };
}
