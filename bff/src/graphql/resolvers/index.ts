import type { Resolvers } from '../generated/resolvers-types';
import type { ResolverDeps } from './deps';
import { applicationFields, giftFields } from './fields';
import { guardAll } from './guard';
import { mutationResolvers } from './mutation';
import { queryResolvers } from './query';
import { subscriptionResolvers } from './subscription';

export type { ResolverDeps } from './deps';

/** Every resolver of the served schema, typed by the types generated from it, each behind the one error mapping. */
export function createResolvers(deps: ResolverDeps): Resolvers {
  return {
    Query: guardAll(queryResolvers(deps)),
    Mutation: guardAll(mutationResolvers(deps)),
    Subscription: subscriptionResolvers(deps),
    Application: guardAll(applicationFields(deps)),
    Gift: guardAll(giftFields(deps)),
  };
}
