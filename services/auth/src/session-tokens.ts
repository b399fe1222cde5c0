import { TOKEN_AUDIENCE, TOKEN_ISSUER, type Role } from '@fcfs/kit';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys';

export interface SessionToken {
  token: string;
  expiresAtMs: number;
}

export interface SessionSubject {
  participantId: string;
  email: string;
  role: Role;
}

/** The role an address gets: admins are configured addresses (compared normalised). */
export function roleOf(email: string, adminEmails: ReadonlySet<string>): Role {
  return adminEmails.has(email.toLowerCase()) ? 'admin' : 'participant';
}

/**
 * Signs a session token with the first configured key; kit's createTokenVerifier checks it
 * (issuer, audience, alg, kid, claims sub/email/role/exp).
 */
export async function signSessionToken(
  key: SigningKey,
  { participantId, email, role }: SessionSubject,
  ttlSeconds: number,
  nowMs = Date.now(),
): Promise<SessionToken> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ email, role })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(participantId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { token, expiresAtMs: exp * 1000 };
}
