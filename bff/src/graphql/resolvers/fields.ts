import { GrpcStatus, ServiceError } from '@fcfs/kit';
import type { ApplicationResolvers, EventResolvers, EventStatsResolvers, GiftResolvers } from '../generated/resolvers-types';
import { toParticipant } from '../mappers';
import type { ResolverDeps } from './deps';

/** Fields of features that do not exist yet (waiting rooms, estimates: #17) answer what is true without them. */
export const eventFields: EventResolvers = {
  waitingRoomOpensAt: () => null,
  estimatedDrainSeconds: () => null,
};

export const eventStatsFields: EventStatsResolvers = {
  waiting: () => 0,
};

export function applicationFields({ upstream }: ResolverDeps): ApplicationResolvers {
  const { issuer } = upstream;
  return {
    estimatedWaitSeconds: () => null,
    /** Read only when asked for, and only for a won application: the code's state lives with the issuer. */
    async redeemedAt({ giftCode }) {
      if (giftCode === null) return null;
      const res = await upstream.call(issuer.getGift.bind(issuer), { code: giftCode });
      return res.gift?.redeemedAtMs ?? null;
    },
  };
}

export function giftFields({ upstream }: ResolverDeps): GiftResolvers {
  const { auth } = upstream;
  return {
    async participant({ participantId }) {
      const res = await upstream.call(auth.getParticipant.bind(auth), { participantId });
      if (!res.participant) throw new ServiceError(GrpcStatus.INTERNAL, 'GetParticipant answered no participant');
      return toParticipant(res.participant);
    },
  };
}
