import { ServiceError, type Logger } from '@fcfs/kit';
import type { CodeStore, SendReservation } from './code-store';
import { generateCode, parseCode, sameDigest, type Hasher } from './codes';
import { parseEmail } from './email-address';
import type { SigningKey } from './keys';
import type { Mailer } from './mailer';
import { codeSends, emailsSent, tokensIssued, verifications } from './metrics';
import type { ParticipantRecord, Participants } from './participants';
import { roleOf, signSessionToken, type SessionToken } from './session-tokens';

export interface VerificationDeps {
  store: CodeStore;
  hasher: Hasher;
  mailer: Mailer;
  participants: Participants;
  signingKey: SigningKey;
  adminEmails: ReadonlySet<string>;
  codeTtlSeconds: number;
  resendCooldownSeconds: number;
  tokenTtlSeconds: number;
  logger: Logger;
}

const THROTTLE_MESSAGES: Record<Exclude<SendReservation['outcome'], 'ok'>, string> = {
  cooldown: 'a code was sent to this address moments ago',
  'address-limit': 'too many codes were requested for this address',
  'ip-limit': 'too many codes were requested from this client',
};

/** The per-client bucket: callers that do not name the client share one (deliberately small) budget. */
function clientOf(ip: string): string {
  const trimmed = ip.trim();
  return trimmed === '' ? 'unknown' : trimmed.slice(0, 64);
}

function invalidCode(message: string): ServiceError {
  return ServiceError.invalidArgument(message, 'INVALID_CODE');
}

/** The e-mail code flow: send a code, exchange it for a session token. */
export function createVerification(deps: VerificationDeps) {
  const { store, hasher, mailer, participants, logger } = deps;

  return {
    /** Answers the same for a known and an unknown address: nothing here reads `participants`. */
    async sendCode(rawEmail: unknown, clientIp: string): Promise<{ expiresInSeconds: number; resendAfterSeconds: number }> {
      let email: string;
      try {
        email = parseEmail(rawEmail);
      } catch (err) {
        codeSends.inc({ outcome: 'invalid' });
        throw err;
      }
      const address = hasher.address(email);
      const client = hasher.clientIp(clientOf(clientIp));
      const code = generateCode();
      const codeHash = hasher.code(email, code);

      const reservation = await store.reserveSend(address, client, codeHash);
      if (reservation.outcome !== 'ok') {
        codeSends.inc({ outcome: 'throttled' });
        const seconds = Math.max(1, Math.ceil(reservation.retryAfterMs / 1000));
        throw ServiceError.resourceExhausted(`${THROTTLE_MESSAGES[reservation.outcome]}; retry in ${seconds} s`, seconds);
      }
      try {
        await mailer.sendCode(email, code, deps.codeTtlSeconds);
      } catch (err) {
        emailsSent.inc({ result: 'failed' });
        codeSends.inc({ outcome: 'failed' });
        // A code that never arrived must neither stay pending nor hold the throttle against a retry.
        await store.releaseSend(address, client, codeHash).catch((releaseErr: unknown) => {
          logger.warn({ err: releaseErr }, 'could not release the send reservation');
        });
        throw ServiceError.unavailable('the verification e-mail could not be sent; retry shortly', err);
      }
      emailsSent.inc({ result: 'sent' });
      codeSends.inc({ outcome: 'sent' });
      logger.debug({ email }, 'verification code sent');
      return { expiresInSeconds: deps.codeTtlSeconds, resendAfterSeconds: deps.resendCooldownSeconds };
    },

    async verifyCode(
      rawEmail: unknown,
      rawCode: unknown,
    ): Promise<SessionToken & { participant: ParticipantRecord; isAdmin: boolean }> {
      const email = parseEmail(rawEmail);
      const code = parseCode(rawCode);
      const address = hasher.address(email);

      const attempt = await store.takeAttempt(address);
      if (attempt.outcome !== 'ok') {
        verifications.inc({ outcome: attempt.outcome });
        if (attempt.outcome === 'missing') throw invalidCode('the code has expired; request a new one');
        if (attempt.outcome === 'used') throw invalidCode('the code has already been used; request a new one');
        throw ServiceError.failedPrecondition('too many wrong tries: this code is void; request a new one', 'TOO_MANY_ATTEMPTS');
      }
      const candidate = hasher.code(email, code);
      if (!sameDigest(candidate, attempt.hash)) {
        verifications.inc({ outcome: 'wrong' });
        throw invalidCode(
          attempt.triesLeft > 0
            ? `the code is not correct; ${attempt.triesLeft} ${attempt.triesLeft === 1 ? 'try' : 'tries'} left`
            : 'the code is not correct and no tries are left; request a new one',
        );
      }
      // The participant first: if MySQL is down the code stays redeemable for a retry.
      const participant = await participants.recordVerification(email);
      if (!(await store.consume(address, candidate))) {
        verifications.inc({ outcome: 'used' });
        throw invalidCode('the code has already been used; request a new one');
      }
      verifications.inc({ outcome: 'verified' });
      const role = roleOf(email, deps.adminEmails);
      const token = await signSessionToken(deps.signingKey, { participantId: participant.id, email, role }, deps.tokenTtlSeconds);
      tokensIssued.inc({ role });
      return { ...token, participant, isAdmin: role === 'admin' };
    },
  };
}

export type Verification = ReturnType<typeof createVerification>;
