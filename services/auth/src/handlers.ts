import { parseId, ServiceError, type Handlers } from '@fcfs/kit';
import type { AuthServiceService } from '@fcfs/proto';
import type { Participants } from './participants';
import { roleOf } from './session-tokens';
import type { Verification } from './verification';

export interface AuthHandlerDeps {
  verification: Verification;
  participants: Participants;
  adminEmails: ReadonlySet<string>;
  /** The JWKS as published, serialised once. */
  jwksJson: string;
}

/** The gRPC surface of the auth service: thin mapping onto the verification flow and the participants. */
export function authHandlers({
  verification,
  participants,
  adminEmails,
  jwksJson,
}: AuthHandlerDeps): Handlers<typeof AuthServiceService> {
  return {
    async sendVerificationCode(request, call) {
      // The retries of the e-mail fit within what the caller waits for.
      const deadline = call.getDeadline();
      return verification.sendCode(request.email, request.clientIp, deadline instanceof Date ? deadline.getTime() : deadline);
    },

    async verifyCode(request) {
      const { token, expiresAtMs, participant, isAdmin } = await verification.verifyCode(
        request.email,
        request.code,
        request.clientIp,
      );
      return { token, expiresAtMs, participant: { id: participant.id, email: participant.email, isAdmin } };
    },

    async getPublicKeys() {
      return { jwksJson };
    },

    async getParticipant(request) {
      const id = parseId(request.participantId, 'participantId');
      const participant = await participants.findById(id);
      if (participant === undefined) throw ServiceError.notFound(`participant ${id} was not found`);
      return { participant: { ...participant, isAdmin: roleOf(participant.email, adminEmails) === 'admin' } };
    },
  };
}
