import { bearerMetadata, GrpcStatus, ServiceError, type CallSettings, type Logger, type Tracing } from '@fcfs/kit';
import type { Event } from '@fcfs/proto';
import type { StatsFeed } from '../../live/stats-feed';
import type { WatchHub } from '../../live/watch-hub';
import type { ApplyBatcher } from '../../upstream/apply';
import type { Upstream } from '../../upstream/clients';
import { readEventStats } from '../../upstream/event-stats';
import type { RequestContext } from '../context';
import { toApplication, toEvent, toEventStats, type ApplicationView, type EventStatsView, type EventView } from '../mappers';

export interface ResolverDeps {
  upstream: Upstream;
  applyBatcher: ApplyBatcher;
  hub: WatchHub;
  stats: StatsFeed;
  aheadIntervalMs: number;
  resyncMs: number;
  waitResyncMs: number;
  logger: Logger;
  tracing: Tracing;
}

/** Admin operations: the role is checked here, and the token forwarded for the service to check again. */
export async function asAdmin(ctx: RequestContext): Promise<CallSettings> {
  await ctx.requireAdmin();
  return { metadata: bearerMetadata(ctx.token ?? '') };
}

/** What an admin sees more of (drafts) goes with the admin's token; anyone else calls without one. */
export async function asCaller(ctx: RequestContext): Promise<{ isAdmin: boolean; settings: CallSettings }> {
  const claims = await ctx.claims();
  const isAdmin = claims?.role === 'admin';
  return { isAdmin, settings: isAdmin ? { metadata: bearerMetadata(ctx.token ?? '') } : {} };
}

export function eventOf(res: { event?: Event | undefined }): EventView {
  if (!res.event) throw new ServiceError(GrpcStatus.INTERNAL, 'the event service answered no event');
  return toEvent(res.event);
}

export async function readApplication(
  upstream: Upstream,
  eventId: string,
  participantId: string,
): Promise<ApplicationView | undefined> {
  const { event } = upstream;
  const res = await upstream.call(event.getApplication.bind(event), { eventId, participantId });
  return res.application ? toApplication(res.application) : undefined;
}

export async function readStats(upstream: Upstream, eventId: string, token: string): Promise<EventStatsView> {
  return toEventStats(await readEventStats(upstream, eventId, token));
}
