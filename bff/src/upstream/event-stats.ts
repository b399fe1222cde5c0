import { bearerMetadata, GrpcStatus, ServiceError } from '@fcfs/kit';
import type { EventStats } from '@fcfs/proto';
import type { Upstream } from './clients';

/** One event's counters, with the caller's admin token forwarded (the event service checks it again). */
export async function readEventStats(upstream: Upstream, eventId: string, token: string): Promise<EventStats> {
  const { event } = upstream;
  const res = await upstream.call(event.getEventStats.bind(event), { eventId }, { metadata: bearerMetadata(token) });
  if (!res.stats) throw new ServiceError(GrpcStatus.INTERNAL, 'GetEventStats answered no stats');
  return res.stats;
}
