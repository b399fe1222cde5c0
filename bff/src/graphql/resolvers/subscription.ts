import { parseId } from '@fcfs/kit';
import { watchApplication } from '../../live/application-status';
import { TOKEN_EXPIRED, untilExpiry } from '../../live/until-expiry';
import * as metrics from '../../metrics';
import { userError } from '../errors';
import type { SubscriptionResolvers } from '../generated/resolvers-types';
import { readApplication, type ResolverDeps } from './deps';
import { guarded } from './guard';

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

/** The iterators yield the field's value itself, and TOKEN_EXPIRED last when the session ran out. */
const identity = <T>(payload: T): T => {
  if ((payload as unknown) === TOKEN_EXPIRED) {
    throw userError('UNAUTHENTICATED', 'the session token has expired; sign in again and subscribe anew');
  }
  return payload;
};

export function subscriptionResolvers(deps: ResolverDeps): SubscriptionResolvers {
  const { upstream, hub, stats, aheadIntervalMs, resyncMs, waitResyncMs, logger } = deps;
  return {
    applicationStatus: {
      subscribe: guarded(async (_, { eventId }, ctx) => {
        const claims = await ctx.requireUser();
        const id = parseId(eventId, 'eventId');
        const iterator = await watchApplication({
          eventId: id,
          participantId: claims.participantId,
          hub,
          read: () => readApplication(upstream, id, claims.participantId),
          aheadIntervalMs,
          resyncMs,
          waitResyncMs,
          logger,
        });
        return counted(untilExpiry(iterator, claims.exp * 1000), 'applicationStatus');
      }),
      resolve: identity,
    },
    eventStats: {
      subscribe: guarded(async (_, { eventId }, ctx) => {
        const claims = await ctx.requireAdmin();
        const iterator = await stats.subscribe(parseId(eventId, 'eventId'), ctx.token ?? '', claims.exp * 1000);
        return counted(untilExpiry(iterator, claims.exp * 1000), 'eventStats');
      }),
      resolve: identity,
    },
  };
}
