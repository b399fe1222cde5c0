import { GrpcStatus, isId, parseId } from '@fcfs/kit';
import { userError } from '../errors';
import type { QueryResolvers } from '../generated/resolvers-types';
import { toEvent, toGift } from '../mappers';
import { pageSizeArg } from './args';
import { asCaller, readApplication, readStats, type ResolverDeps } from './deps';

export function queryResolvers({ upstream }: ResolverDeps): QueryResolvers {
  const { event, issuer } = upstream;
  return {
    async events(_, __, ctx) {
      const caller = await asCaller(ctx);
      const res = await upstream.call(event.listEvents.bind(event), { includeDrafts: caller.isAdmin }, caller.settings);
      return res.events.map(toEvent);
    },
    async event(_, { id }, ctx) {
      if (!isId(id))
        throw userError('BAD_USER_INPUT', `id must be a positive integer id, got ${JSON.stringify(String(id).slice(0, 40))}`);
      const caller = await asCaller(ctx);
      try {
        const res = await upstream.call(event.getEvent.bind(event), { eventId: id }, caller.settings);
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
      return (await readApplication(upstream, parseId(eventId, 'eventId'), claims.participantId)) ?? null;
    },
    async eventStats(_, { eventId }, ctx) {
      await ctx.requireAdmin();
      return readStats(upstream, parseId(eventId, 'eventId'), ctx.token ?? '');
    },
    async gifts(_, { eventId, first, after }, ctx) {
      await ctx.requireAdmin();
      const res = await upstream.call(issuer.listGifts.bind(issuer), {
        eventId: parseId(eventId, 'eventId'),
        pageSize: pageSizeArg(first),
        pageToken: after ?? '',
      });
      return { gifts: res.gifts.map(toGift), next: res.nextPageToken === '' ? null : res.nextPageToken };
    },
  };
}
