import type { GraphQLResolveInfo } from 'graphql';
import * as metrics from '../../metrics';
import type { RequestContext } from '../context';
import { toGraphQLError } from '../errors';

type Field<P, A, R> = (parent: P, args: A, ctx: RequestContext, info: GraphQLResolveInfo) => R;

/** Every resolver's errors go through the one mapping, with the request id in the log. */
export function guarded<P, A, R>(resolver: Field<P, A, R | Promise<R>>): Field<P, A, Promise<R>> {
  return async (parent, args, ctx, info) => {
    try {
      return await resolver(parent, args, ctx, info);
    } catch (err) {
      const mapped = toGraphQLError(err, ctx);
      metrics.upstreamErrors.inc({ code: String(mapped.extensions['code']) });
      throw mapped;
    }
  };
}

/** `guarded` over each field of one type's resolvers; the type stays what the generated types say. */
export function guardAll<T extends object>(fields: T): T {
  return Object.fromEntries(
    Object.entries(fields).map(([name, resolver]) => [name, guarded(resolver as Field<unknown, unknown, unknown>)]),
  ) as T;
}
