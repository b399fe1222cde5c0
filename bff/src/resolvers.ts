import { bearerMetadata, isId, parseId, ServiceError, type Logger } from '@fcfs/kit';
import { GrpcStatus } from '@fcfs/kit';
import type { ApplyBatchResult, ApplyRequest, ApplyResponse } from '@fcfs/proto';
import type { GraphQLFieldResolver } from 'graphql';
import { watchApplication } from './application-status';
import type { Batcher } from './batcher';
import type { RequestContext } from './context';
import { toGraphQLError, userError } from './errors';
import {
  toApplication,
  toApplyResult,
  toEvent,
  toEventStats,
  toGift,
  toParticipant,
  type ApplicationView,
  type EventStatsView,
  type GiftView,
} from './mappers';
import * as metrics from './metrics';
import type { Resolvers } from './schema';
import type { StatsFeed } from './stats-feed';
import type { Upstream } from './upstream';
import type { WatchHub } from './watch-hub';

export interface ResolverDeps {
  upstream: Upstream;
  applyBatcher: Batcher<ApplyRequest, ApplyResponse>;
  hub: WatchHub;
  stats: StatsFeed;
  aheadIntervalMs: number;
  resyncMs: number;
  waitResyncMs: number;
  logger: Logger;
}

type Args = Record<string, unknown>;
type Resolver = (parent: unknown, args: Args, ctx: RequestContext) => unknown;

/** Every resolver's errors go through the one mapping, with the request id in the log. */
function guarded(resolver: Resolver): GraphQLFieldResolver<unknown, RequestContext> {
  return async (parent, args, ctx) => {
    try {
      return await resolver(parent, args as Args, ctx);
    } catch (err) {
      const mapped = toGraphQLError(err, ctx);
      metrics.upstreamErrors.inc({ code: String(mapped.extensions['code']) });
      throw mapped;
    }
  };
}

const MAX_EMAIL_LENGTH = 254;

function emailArg(value: unknown): string {
  const email = String(value).trim();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH)
    throw userError('BAD_USER_INPUT', `email must be 1 to ${MAX_EMAIL_LENGTH} characters`);
  return email;
}

const MAX_GIFT_PAGE = 1_000;

function pageSizeArg(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_GIFT_PAGE)
    throw userError('BAD_USER_INPUT', `first must be a whole number from 1 to ${MAX_GIFT_PAGE} (got ${String(value)})`);
  return value;
}

/** Waiting rooms and claim windows (#17) do not exist yet: an event that asks for one is refused, not silently changed. */
function refuseUnavailableFeatures(input: {
  waitingRoomOpensAt?: number | null;
  claimWindowSeconds?: number | null;
  maxOpenOffers?: number | null;
}): void {
  if (input.waitingRoomOpensAt != null)
    throw userError('BAD_USER_INPUT', 'waitingRoomOpensAt: waiting rooms are not available yet');
  if (input.claimWindowSeconds != null && input.claimWindowSeconds < 0)
    throw userError('BAD_USER_INPUT', `claimWindowSeconds must be 0 or more (got ${input.claimWindowSeconds})`);
  if (input.claimWindowSeconds != null && input.claimWindowSeconds > 0)
    throw userError('BAD_USER_INPUT', 'claimWindowSeconds: claim windows are not available yet; leave it unset or 0');
  if (input.maxOpenOffers != null)
    throw userError('BAD_USER_INPUT', 'maxOpenOffers: claim windows (and so open offers) are not available yet');
}

function stockArg(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw userError('BAD_USER_INPUT', `stock must be a whole number, 0 or more (got ${String(value)})`);
  return value;
}

/** Reads an ApplyBatch item back as what a single Apply would have answered or thrown. */
export function batchItem(result: ApplyBatchResult | undefined): ApplyResponse | Error {
  const r = result?.result;
  if (r?.$case === 'response') return r.value;
  if (r?.$case === 'error') {
    return new ServiceError(r.value.code as GrpcStatus, r.value.message, r.value.reason ? { reason: r.value.reason } : {});
  }
  return new ServiceError(GrpcStatus.INTERNAL, 'ApplyBatch answered an empty result');
}

/** One event's counters, with the caller's admin token forwarded. */
export async function readEventStats(upstream: Upstream, eventId: string, token: string): Promise<EventStatsView> {
  const { event } = upstream;
  const res = await upstream.call(event.getEventStats.bind(event), { eventId }, { metadata: bearerMetadata(token) });
  if (!res.stats) throw new ServiceError(GrpcStatus.INTERNAL, 'GetEventStats answered no stats');
  return toEventStats(res.stats);
}

/** Counts open subscriptions of one field for as long as the client iterates. */
function counted<T>(iterator: AsyncIterableIterator<T>, field: string): AsyncIterableIterator<T> {
  metrics.subscriptions.inc({ field });
  let open = true;
  const close = (): void => {
    if (open) metrics.subscriptions.dec({ field });
    open = false;
  };
  const wrapped: AsyncIterableIterator<T> = {
    async next() {
      const result = await iterator.next();
      if (result.done) close();
      return result;
    },
    async return(value?: unknown) {
      close();
      return iterator.return ? iterator.return(value) : { value: undefined, done: true };
    },
    async throw(err?: unknown) {
      close();
      return iterator.throw ? iterator.throw(err) : Promise.reject(err instanceof Error ? err : new Error(String(err)));
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}

export function createResolvers({
  upstream,
  applyBatcher,
  hub,
  stats,
  aheadIntervalMs,
  resyncMs,
  waitResyncMs,
  logger,
}: ResolverDeps): Resolvers {
  const { auth, event, issuer } = upstream;

  const readStats = (eventId: string, token: string) => readEventStats(upstream, eventId, token);

  const readApplication = async (eventId: string, participantId: string) => {
    const res = await upstream.call(event.getApplication.bind(event), { eventId, participantId });
    return res.application ? toApplication(res.application) : undefined;
  };

  /** Admin operations: the role is checked here, and the token forwarded for the service to check again. */
  const adminCall = async <Req, Res extends { event?: Parameters<typeof toEvent>[0] | undefined }>(
    ctx: RequestContext,
    method: Parameters<typeof upstream.call<Req, Res>>[0],
    request: Req,
  ) => {
    await ctx.requireAdmin();
    const res = await upstream.call(method, request, { metadata: bearerMetadata(ctx.token as string) });
    if (!res.event) throw new ServiceError(GrpcStatus.INTERNAL, 'the event service answered no event');
    return toEvent(res.event);
  };

  /** No event has a claim window yet (#17), so nobody ever holds an open offer. */
  const refuseWithoutOffer = async (eventId: unknown, ctx: RequestContext): Promise<never> => {
    await ctx.requireUser();
    await upstream.call(event.getEvent.bind(event), { eventId: parseId(eventId, 'eventId') });
    throw userError('NOT_OFFERED', 'there is no open offer to claim or decline: this event has no claim window');
  };

  /** Fields of features that do not exist yet answer what is true without them. */
  const types: Record<string, Record<string, Resolver>> = {
    Event: {
      waitingRoomOpensAt: () => null,
      claimWindowSeconds: () => 0,
      maxOpenOffers: () => null,
      estimatedDrainSeconds: () => null,
    },
    Application: {
      claimBy: () => null,
      estimatedWaitSeconds: () => null,
      async redeemedAt(parent) {
        const { giftCode } = parent as ApplicationView;
        if (giftCode === null) return null;
        const res = await upstream.call(issuer.getGift.bind(issuer), { code: giftCode });
        return res.gift?.redeemedAtMs ?? null;
      },
    },
    EventStats: { waiting: () => 0, waitlisted: () => 0, offered: () => 0, expired: () => 0 },
    Gift: {
      async participant(parent) {
        const { participantId } = parent as GiftView;
        const res = await upstream.call(auth.getParticipant.bind(auth), { participantId });
        if (!res.participant) throw new ServiceError(GrpcStatus.INTERNAL, 'GetParticipant answered no participant');
        return toParticipant(res.participant);
      },
    },
  };

  const query: Record<string, Resolver> = {
    async events(_, __, ctx) {
      const claims = await ctx.claims();
      const isAdmin = claims?.role === 'admin';
      const res = await upstream.call(
        event.listEvents.bind(event),
        { includeDrafts: isAdmin },
        isAdmin ? { metadata: bearerMetadata(ctx.token as string) } : {},
      );
      return res.events.map(toEvent);
    },
    async event(_, { id }, ctx) {
      if (!isId(id))
        throw userError('BAD_USER_INPUT', `id must be a positive integer id, got ${JSON.stringify(String(id).slice(0, 40))}`);
      const claims = await ctx.claims();
      try {
        const res = await upstream.call(
          event.getEvent.bind(event),
          { eventId: id },
          claims?.role === 'admin' ? { metadata: bearerMetadata(ctx.token as string) } : {},
        );
        return res.event ? toEvent(res.event) : null;
      } catch (err) {
        if ((err as { code?: unknown }).code === GrpcStatus.NOT_FOUND) return null;
        throw err;
      }
    },
    async me(_, __, ctx) {
      const claims = await ctx.claims();
      return claims ? { id: claims.participantId, email: claims.email, isAdmin: claims.role === 'admin' } : null;
    },
    async myApplication(_, { eventId }, ctx) {
      const claims = await ctx.requireUser();
      return (await readApplication(parseId(eventId, 'eventId'), claims.participantId)) ?? null;
    },
    async eventStats(_, { eventId }, ctx) {
      await ctx.requireAdmin();
      return readStats(parseId(eventId, 'eventId'), ctx.token as string);
    },
    async gifts(_, { eventId, first, after }, ctx) {
      await ctx.requireAdmin();
      const res = await upstream.call(issuer.listGifts.bind(issuer), {
        eventId: parseId(eventId, 'eventId'),
        pageSize: pageSizeArg(first),
        pageToken: typeof after === 'string' ? after : '',
      });
      return { gifts: res.gifts.map(toGift), next: res.nextPageToken === '' ? null : res.nextPageToken };
    },
  };

  const mutation: Record<string, Resolver> = {
    async sendVerificationCode(_, { email }, ctx) {
      const res = await upstream.call(auth.sendVerificationCode.bind(auth), { email: emailArg(email), clientIp: ctx.clientIp });
      return { ok: true, expiresInSeconds: res.expiresInSeconds };
    },
    async verifyCode(_, { email, code }) {
      if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim()))
        throw userError('BAD_USER_INPUT', 'code must be the 6 digits from the e-mail');
      const res = await upstream.call(auth.verifyCode.bind(auth), { email: emailArg(email), code: code.trim() });
      if (!res.participant) throw new ServiceError(GrpcStatus.INTERNAL, 'VerifyCode answered no participant');
      return { token: res.token, expiresAt: res.expiresAtMs, participant: toParticipant(res.participant) };
    },
    async apply(_, { eventId }, ctx) {
      const claims = await ctx.requireUser();
      try {
        const id = parseId(eventId, 'eventId');
        const result = toApplyResult(await applyBatcher.add({ eventId: id, participantId: claims.participantId }));
        metrics.applies.inc({ outcome: result.outcome });
        // A subscription of this participant waiting on this process hears it now, with no read.
        if (result.application) hub.applied(id, claims.participantId, result.application);
        return result;
      } catch (err) {
        metrics.applies.inc({ outcome: 'ERROR' });
        throw err;
      }
    },
    async createEvent(_, { input }, ctx) {
      const { name, stock, opensAt, closesAt, ...features } = input as {
        name: string;
        stock: number;
        opensAt?: number | null;
        closesAt?: number | null;
        waitingRoomOpensAt?: number | null;
        claimWindowSeconds?: number | null;
        maxOpenOffers?: number | null;
      };
      await ctx.requireAdmin();
      refuseUnavailableFeatures(features);
      if (typeof name !== 'string' || name.trim().length === 0) throw userError('BAD_USER_INPUT', 'name must not be empty');
      return adminCall(ctx, event.createEvent.bind(event), {
        name,
        stock: stockArg(stock),
        ...(opensAt == null ? {} : { opensAtMs: opensAt }),
        ...(closesAt == null ? {} : { closesAtMs: closesAt }),
      });
    },
    async setStock(_, { eventId, stock }, ctx) {
      await ctx.requireAdmin();
      return adminCall(ctx, event.setStock.bind(event), { eventId: parseId(eventId, 'eventId'), stock: stockArg(stock) });
    },
    async openEvent(_, { eventId }, ctx) {
      await ctx.requireAdmin();
      return adminCall(ctx, event.openEvent.bind(event), { eventId: parseId(eventId, 'eventId') });
    },
    async closeEvent(_, { eventId }, ctx) {
      await ctx.requireAdmin();
      return adminCall(ctx, event.closeEvent.bind(event), { eventId: parseId(eventId, 'eventId') });
    },
    claimGift: (_, { eventId }, ctx) => refuseWithoutOffer(eventId, ctx),
    declineGift: (_, { eventId }, ctx) => refuseWithoutOffer(eventId, ctx),
    async redeemGift(_, { code }, ctx) {
      await ctx.requireAdmin();
      if (typeof code !== 'string' || code.trim().length === 0) throw userError('BAD_USER_INPUT', 'code must not be empty');
      const res = await upstream.call(
        issuer.redeemGift.bind(issuer),
        { code: code.trim() },
        { metadata: bearerMetadata(ctx.token as string) },
      );
      if (!res.gift) throw new ServiceError(GrpcStatus.INTERNAL, 'RedeemGift answered no gift');
      return toGift(res.gift);
    },
  };

  const subscription: Record<string, Resolver> = {
    async applicationStatus(_, { eventId }, ctx) {
      const claims = await ctx.requireUser();
      const id = parseId(eventId, 'eventId');
      const iterator = await watchApplication({
        eventId: id,
        participantId: claims.participantId,
        hub,
        read: () => readApplication(id, claims.participantId),
        aheadIntervalMs,
        resyncMs,
        waitResyncMs,
        logger,
      });
      return counted(iterator, 'applicationStatus');
    },
    async eventStats(_, { eventId }, ctx) {
      const claims = await ctx.requireAdmin();
      return counted(await stats.subscribe(parseId(eventId, 'eventId'), ctx.token as string, claims.exp * 1000), 'eventStats');
    },
  };

  const wrap = (fields: Record<string, Resolver>) =>
    Object.fromEntries(Object.entries(fields).map(([name, fn]) => [name, guarded(fn) as GraphQLFieldResolver<unknown, unknown>]));
  const identity: GraphQLFieldResolver<unknown, unknown> = (payload) => payload;

  return {
    ...Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, wrap(fields)])),
    Query: wrap(query),
    Mutation: wrap(mutation),
    Subscription: Object.fromEntries(
      Object.entries(wrap(subscription)).map(([name, subscribe]) => [name, { subscribe, resolve: identity }]),
    ),
  };
}
