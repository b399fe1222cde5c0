import { endWithError, GrpcStatus, parseId, ServiceError, SpanKind, traceparentOf } from '@fcfs/kit';
import * as metrics from '../../metrics';
import type { RequestContext } from '../context';
import type { MutationResolvers } from '../generated/resolvers-types';
import { toApplication, toApplyResult, toGift, toParticipant } from '../mappers';
import { claimSettingsArg, codeArg, emailArg, giftCodeArg, nameArg, stockArg } from './args';
import { asAdmin, eventOf, type ResolverDeps } from './deps';

export function mutationResolvers({ upstream, applyBatcher, hub, tracing }: ResolverDeps): MutationResolvers {
  const { auth, event, issuer } = upstream;

  /** Claim windows: the event service queues the claim or decline and answers once the issuer decided it. */
  const actOnOffer = async (eventId: string, ctx: RequestContext, claim: boolean) => {
    const user = await ctx.requireUser();
    const request = { eventId: parseId(eventId, 'eventId'), participantId: user.participantId };
    const res = await upstream.call((claim ? event.claimGift : event.declineGift).bind(event), request);
    if (!res.application) throw new ServiceError(GrpcStatus.INTERNAL, 'ClaimGift answered no application');
    const app = toApplication(res.application);
    hub.applied(request.eventId, user.participantId, app);
    return app;
  };

  return {
    async sendVerificationCode(_, { email }, ctx) {
      const res = await upstream.call(auth.sendVerificationCode.bind(auth), { email: emailArg(email), clientIp: ctx.clientIp });
      return { ok: true, expiresInSeconds: res.expiresInSeconds };
    },
    async verifyCode(_, { email, code }, ctx) {
      const checked = codeArg(code);
      const res = await upstream.call(auth.verifyCode.bind(auth), {
        email: emailArg(email),
        code: checked,
        clientIp: ctx.clientIp,
      });
      if (!res.participant) throw new ServiceError(GrpcStatus.INTERNAL, 'VerifyCode answered no participant');
      return { token: res.token, expiresAt: res.expiresAtMs, participant: toParticipant(res.participant) };
    },
    async apply(_, { eventId }, ctx) {
      const claims = await ctx.requireUser();
      // The apply's trace starts here (or continues the caller's traceparent) and follows it to the issuer.
      const span = tracing.enabled ? tracing.startSpan('apply', { kind: SpanKind.SERVER, parent: ctx.traceparent }) : undefined;
      try {
        const id = parseId(eventId, 'eventId');
        const trace = span === undefined ? undefined : traceparentOf(span);
        const result = toApplyResult(await applyBatcher.add({ eventId: id, participantId: claims.participantId, trace }));
        metrics.applies.inc({ outcome: result.outcome });
        // A subscription of this participant waiting on this process hears it now, with no read.
        if (result.application) hub.applied(id, claims.participantId, result.application);
        span?.setAttribute('fcfs.apply.outcome', result.outcome);
        span?.end();
        return result;
      } catch (err) {
        metrics.applies.inc({ outcome: 'ERROR' });
        if (span !== undefined) endWithError(span, err);
        throw err;
      }
    },
    async createEvent(_, { input }, ctx) {
      const settings = await asAdmin(ctx);
      const { name, stock, opensAt, closesAt, waitingRoomOpensAt } = input;
      const request = {
        name: nameArg(name),
        stock: stockArg(stock),
        ...claimSettingsArg(input),
        ...(opensAt == null ? {} : { opensAtMs: opensAt }),
        ...(closesAt == null ? {} : { closesAtMs: closesAt }),
        ...(waitingRoomOpensAt == null ? {} : { waitingRoomOpensAtMs: waitingRoomOpensAt }),
      };
      return eventOf(await upstream.call(event.createEvent.bind(event), request, settings));
    },
    async setStock(_, { eventId, stock }, ctx) {
      const settings = await asAdmin(ctx);
      const request = { eventId: parseId(eventId, 'eventId'), stock: stockArg(stock) };
      return eventOf(await upstream.call(event.setStock.bind(event), request, settings));
    },
    async openEvent(_, { eventId }, ctx) {
      const settings = await asAdmin(ctx);
      return eventOf(await upstream.call(event.openEvent.bind(event), { eventId: parseId(eventId, 'eventId') }, settings));
    },
    async closeEvent(_, { eventId }, ctx) {
      const settings = await asAdmin(ctx);
      return eventOf(await upstream.call(event.closeEvent.bind(event), { eventId: parseId(eventId, 'eventId') }, settings));
    },
    claimGift: (_, { eventId }, ctx) => actOnOffer(eventId, ctx, true),
    declineGift: (_, { eventId }, ctx) => actOnOffer(eventId, ctx, false),
    async redeemGift(_, { code }, ctx) {
      const settings = await asAdmin(ctx);
      const res = await upstream.call(issuer.redeemGift.bind(issuer), { code: giftCodeArg(code) }, settings);
      if (!res.gift) throw new ServiceError(GrpcStatus.INTERNAL, 'RedeemGift answered no gift');
      return toGift(res.gift);
    },
  };
}
