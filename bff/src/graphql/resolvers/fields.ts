import { GrpcStatus, ServiceError } from '@fcfs/kit';
import type { ApplicationResolvers, GiftResolvers } from '../generated/resolvers-types';
import { toParticipant } from '../mappers';
import type { ResolverDeps } from './deps';

export function applicationFields({ upstream }: ResolverDeps): ApplicationResolvers {
  const { issuer } = upstream;
  return {
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
