import { ServiceError, type Logger } from '@fcfs/kit';
import type { CodeDelivery, Delivery } from './code-delivery';
import type { CodeStore, SendReservation } from './code-store';
import { generateCode, parseCode, sameDigest, type Hasher } from './codes';
import { parseEmail } from './email-address';
import type { SigningKey } from './keys';
import { codeSends, emailRetries, emailsSent, tokensIssued, verifications } from './metrics';
import type { ParticipantRecord, Participants } from './participants';
import { roleOf, signSessionToken, type SessionToken } from './session-tokens';

export interface VerificationDeps {
  store: CodeStore;
  hasher: Hasher;
  delivery: CodeDelivery;
  participants: Participants;
  signingKey: SigningKey;
  adminEmails: ReadonlySet<string>;
  codeTtlSeconds: number;
  resendCooldownSeconds: number;
  /** How long a send may take, retries and waiting for the send budget included. */
  sendTimeoutMs: number;
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

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * The one answer for a code that is missing (expired, never sent), wrong or already used: which of them
 * it was, or how many tries are left, would tell a stranger whether someone's code is pending.
 */
export const INVALID_CODE_MESSAGE = 'the code is not correct or no longer valid; check it or request a new one';

function invalidCode(): ServiceError {
  return ServiceError.invalidArgument(INVALID_CODE_MESSAGE, 'INVALID_CODE');
}

const FAILURE_MESSAGES = {
  'ip-limit': 'too many failed verifications from this client',
  'global-limit': 'too many failed verifications right now',
} as const;

/** Room kept before the caller's deadline to answer it (and release the reservation) in time. */
const ANSWER_MARGIN_MS = 250;

/** What the caller hears when the code was not sent; the reservation has been given back. */
function refusal(sent: Exclude<Delivery, { outcome: 'sent' }>, logger: Logger): ServiceError {
  if (sent.outcome === 'rate-limited') {
    codeSends.inc({ outcome: 'budget' });
    const wait = seconds(sent.retryAfterMs);
    return ServiceError.resourceExhausted(`the e-mail service is at its send rate; retry in ${wait} s`, wait);
  }
  emailsSent.inc({ result: 'failed' });
  codeSends.inc({ outcome: 'failed' });
  logger.warn({ err: sent.error, attempts: sent.attempts, transient: sent.transient }, 'verification e-mail not sent');
  return ServiceError.unavailable(
    'the verification e-mail could not be sent; retry shortly',
    sent.error,
    seconds(sent.retryAfterMs),
  );
}

/** The e-mail code flow: send a code, exchange it for a session token. */
export function createVerification(deps: VerificationDeps) {
  const { store, hasher, delivery, participants, logger } = deps;

  return {
    /**
     * Answers the same for a known and an unknown address: nothing here reads `participants`. `callDeadline`
     * (epoch ms, the caller's gRPC deadline) bounds the retries with `sendTimeoutMs`.
     */
    async sendCode(
      rawEmail: unknown,
      clientIp: string,
      callDeadline = Infinity,
    ): Promise<{ expiresInSeconds: number; resendAfterSeconds: number }> {
      const deadline = Math.min(Date.now() + deps.sendTimeoutMs, callDeadline - ANSWER_MARGIN_MS);
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
        const wait = seconds(reservation.retryAfterMs);
        throw ServiceError.resourceExhausted(`${THROTTLE_MESSAGES[reservation.outcome]}; retry in ${wait} s`, wait);
      }
      let sent: Delivery;
      try {
        sent = await delivery.deliver(email, code, deps.codeTtlSeconds, deadline);
      } catch (err) {
        // Redis failed while taking the budget: nothing was sent.
        sent = { outcome: 'failed', attempts: 0, error: err, transient: true, retryAfterMs: 1000 };
      }
      if (sent.outcome !== 'sent') {
        // A code that never arrived must neither stay pending nor hold the throttle against a retry.
        await store.releaseSend(address, client, codeHash).catch((releaseErr: unknown) => {
          logger.warn({ err: releaseErr }, 'could not release the send reservation');
        });
        throw refusal(sent, logger);
      }
      if (sent.attempts > 1) emailRetries.inc(sent.attempts - 1);
      emailsSent.inc({ result: 'sent' });
      codeSends.inc({ outcome: 'sent' });
      logger.debug({ email }, 'verification code sent');
      return { expiresInSeconds: deps.codeTtlSeconds, resendAfterSeconds: deps.resendCooldownSeconds };
    },

    /**
     * Exchanges a code for a session token. Every try first takes a unit of the client's and the global
     * failure budgets (a spent one refuses the try before it counts against anyone's code); a try that
     * succeeds gives it back.
     */
    async verifyCode(
      rawEmail: unknown,
      rawCode: unknown,
      clientIp = '',
    ): Promise<SessionToken & { participant: ParticipantRecord; isAdmin: boolean }> {
      const email = parseEmail(rawEmail);
      const code = parseCode(rawCode);
      const address = hasher.address(email);
      const client = hasher.clientIp(clientOf(clientIp));

      const budget = await store.takeFailure(client);
      if (budget.outcome !== 'ok') {
        verifications.inc({ outcome: 'throttled' });
        const wait = seconds(budget.retryAfterMs);
        throw ServiceError.resourceExhausted(`${FAILURE_MESSAGES[budget.outcome]}; retry in ${wait} s`, wait);
      }
      const attempt = await store.takeAttempt(address);
      if (attempt.outcome !== 'ok') {
        verifications.inc({ outcome: attempt.outcome });
        if (attempt.outcome === 'too-many-attempts') {
          throw ServiceError.failedPrecondition(
            'too many wrong tries: this code is void; request a new one',
            'TOO_MANY_ATTEMPTS',
          );
        }
        throw invalidCode();
      }
      const candidate = hasher.code(email, code);
      if (!sameDigest(candidate, attempt.hash)) {
        verifications.inc({ outcome: 'wrong' });
        throw invalidCode();
      }
      // The participant first: if MySQL is down the code stays redeemable for a retry.
      const participant = await participants.recordVerification(email);
      if (!(await store.consume(address, candidate))) {
        verifications.inc({ outcome: 'used' });
        throw invalidCode();
      }
      await store.refundFailure(client).catch((err: unknown) => logger.warn({ err }, 'could not refund the failure budget'));
      verifications.inc({ outcome: 'verified' });
      const role = roleOf(email, deps.adminEmails);
      const token = await signSessionToken(deps.signingKey, { participantId: participant.id, email, role }, deps.tokenTtlSeconds);
      tokensIssued.inc({ role });
      return { ...token, participant, isAdmin: role === 'admin' };
    },
  };
}

export type Verification = ReturnType<typeof createVerification>;
