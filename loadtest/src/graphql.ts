// A minimal GraphQL-over-HTTP client for the preparation and monitoring calls (not the herd:
// the herd goes through hammer.ts).

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function graphql<T>(
  endpoint: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  timeoutMs = 10_000,
): Promise<T> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // Apollo's CSRF prevention accepts JSON requests; this header marks a non-browser client.
      'apollo-require-preflight': 'true',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body: GraphQLResponse<T>;
  try {
    body = JSON.parse(text) as GraphQLResponse<T>;
  } catch {
    throw new GraphQLRequestError(`HTTP ${res.status}: ${text.slice(0, 200)}`, `HTTP_${res.status}`);
  }
  const first = body.errors?.[0];
  if (first) throw new GraphQLRequestError(first.message, first.extensions?.code ?? 'UNKNOWN');
  if (!body.data) throw new GraphQLRequestError(`HTTP ${res.status} without data`, `HTTP_${res.status}`);
  return body.data;
}

export interface EventStats {
  stock: number;
  remaining: number;
  admitted: number;
  pending: number;
  issued: number;
  soldOut: number;
  lag: number;
  /** Claim windows (0 without one). */
  offered: number;
  waitlisted: number;
  expired: number;
}

export const APPLY_MUTATION =
  'mutation Apply($eventId: ID!) { apply(eventId: $eventId) { outcome application { status position } } }';

export const STATUS_SUBSCRIPTION =
  'subscription Status($eventId: ID!) { applicationStatus(eventId: $eventId) { status position decidedAt } }';

/** The admin's calls: create and open the event, read its counters. */
export function adminApi(bffUrl: string, adminToken: string) {
  const endpoint = `${bffUrl}/graphql`;
  return {
    async createOpenEvent(
      name: string,
      stock: number,
      claim: { claimWindowSeconds?: number; maxOpenOffers?: number } = {},
    ): Promise<string> {
      const created = await graphql<{ createEvent: { id: string } }>(
        endpoint,
        'mutation Create($input: CreateEventInput!) { createEvent(input: $input) { id } }',
        { input: { name, stock, ...claim } },
        adminToken,
      );
      const eventId = created.createEvent.id;
      await graphql(endpoint, 'mutation Open($id: ID!) { openEvent(eventId: $id) { id status } }', { id: eventId }, adminToken);
      return eventId;
    },
    async eventStats(eventId: string): Promise<EventStats> {
      const data = await graphql<{ eventStats: EventStats }>(
        endpoint,
        'query Stats($id: ID!) { eventStats(eventId: $id) { stock remaining admitted pending issued soldOut lag offered waitlisted expired } }',
        { id: eventId },
        adminToken,
      );
      return data.eventStats;
    },
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
