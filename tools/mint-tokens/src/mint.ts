import { createParticipants, parseEmail, resolveSigningKeys, roleOf, signSessionToken, type AuthConfig } from '@fcfs/auth';
import { createLogger, createSequelize } from '@fcfs/kit';

export interface MintedToken {
  participantId: string;
  email: string;
  token: string;
  expiresAtMs: number;
}

/**
 * The operator's path to session tokens without the e-mail flow (load tests): ensures a
 * participant per address in MySQL (one multi-row INSERT per ~1000) and signs a token for
 * each with the configured key. Never reachable through an API. The answer follows the
 * input's order, after normalising and dropping repeated addresses.
 */
export async function mintSessionTokens(config: AuthConfig, emails: string[]): Promise<MintedToken[]> {
  const [key] = resolveSigningKeys(config.tokens, config.nodeEnv);
  if (key === undefined) throw new Error('no signing key');
  const unique = [...new Set(emails.map((email) => parseEmail(email)))];
  const sequelize = createSequelize(config.mysql.url, createLogger('auth-mint', config.logLevel));
  try {
    const ids = new Map((await createParticipants(sequelize).ensureMany(unique)).map((p) => [p.email, p.id]));
    const now = Date.now();
    return await Promise.all(
      unique.map(async (email) => {
        const participantId = ids.get(email);
        if (participantId === undefined) throw new Error(`participant ${email} was not stored`);
        const role = roleOf(email, config.adminEmails);
        const { token, expiresAtMs } = await signSessionToken(key, { participantId, email, role }, config.tokens.ttlSeconds, now);
        return { participantId, email, token, expiresAtMs };
      }),
    );
  } finally {
    await sequelize.close();
  }
}
