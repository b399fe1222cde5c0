import type { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  createGrpcServer,
  createServiceAuthenticator,
  trustedCallers,
  createLogger,
  createRedis,
  createSendBudget,
  startMetricsServer,
  type AccessRules,
  type GrpcServer,
  type Logger,
  type MetricsServer,
  type MetricsServerOptions,
  type RunningService,
} from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { createSes } from '@fcfs/kit/ses';
import { AuthServiceService } from '@fcfs/proto';
import type { JSONWebKeySet } from 'jose';
import { createCodeDelivery } from './code-delivery';
import { createCodeStore, type CodeStoreSettings } from './code-store';
import { createHasher } from './codes';
import type { AuthConfig } from './config';
import { authHandlers } from './handlers';
import { publicJwks, resolveSigningKeys, type SigningKey } from './keys';
import { createMailer } from './mailer';
import { createParticipants } from './participants';
import { createVerification } from './verification';

/** Sign-in and participant lookups are the BFF's, acting for a person; the public keys are for every part. */
const AUTH_ACCESS: AccessRules<typeof AuthServiceService> = {
  sendVerificationCode: 'participant',
  verifyCode: 'participant',
  getParticipant: 'participant',
  getPublicKeys: 'caller',
};

export interface AuthOverrides {
  logger?: Logger;
  /** Serve /metrics, /healthz, /readyz (off by default in tests: one registry per process). */
  metrics?: boolean;
  ses?: SESv2Client;
}

export interface RunningAuth extends RunningService {
  /** What GetPublicKeys answers. */
  readonly jwks: JSONWebKeySet;
}

/** The key that signs session tokens, and the public keys GetPublicKeys answers. */
function loadSigningKeys(config: AuthConfig, logger: Logger): { signingKey: SigningKey; jwks: JSONWebKeySet } {
  const keys = resolveSigningKeys(config.tokens, config.nodeEnv);
  const [signingKey] = keys;
  if (signingKey === undefined) throw new Error('no signing key');
  const jwks = publicJwks(keys);
  if (config.tokens.signingKeys === undefined) {
    logger.warn({ kid: signingKey.kid, file: config.tokens.devKeyFile }, 'signing with the generated development key');
  }
  return { signingKey, jwks };
}

/** The code store's settings: the config's seconds as the milliseconds the store counts in. */
function codeStoreSettings(config: AuthConfig): CodeStoreSettings {
  return {
    prefix: config.codes.redisPrefix,
    codeTtlMs: config.codes.ttlSeconds * 1000,
    maxAttempts: config.codes.maxAttempts,
    cooldownMs: config.throttle.cooldownSeconds * 1000,
    perAddress: {
      max: config.throttle.perAddress.max,
      totalMax: config.throttle.perAddress.totalMax,
      windowMs: config.throttle.perAddress.windowSeconds * 1000,
    },
    perIp: { max: config.throttle.perIp.max, windowMs: config.throttle.perIp.windowSeconds * 1000 },
    verifyFailures: {
      perClient: config.throttle.verifyFailures.perClient,
      global: config.throttle.verifyFailures.global,
      windowMs: config.throttle.verifyFailures.windowSeconds * 1000,
    },
  };
}

/** Starts gRPC, then metrics when asked; on a failure, stops what started and closes the clients. */
async function startListening(
  server: GrpcServer,
  metricsOptions: MetricsServerOptions | undefined,
  closeClients: () => Promise<void>,
): Promise<{ grpcPort: number; metrics: MetricsServer | undefined }> {
  try {
    const grpcPort = await server.start();
    const metrics = metricsOptions && (await startMetricsServer(metricsOptions));
    return { grpcPort, metrics };
  } catch (err) {
    // A half-started service (e.g. the metrics port taken) must not keep the other listener open.
    await server.stop(0);
    await closeClients();
    throw err;
  }
}

/** Wires the auth service from its configuration and starts serving gRPC (and metrics). */
export async function startAuth(config: AuthConfig, overrides: AuthOverrides = {}): Promise<RunningAuth> {
  const logger = overrides.logger ?? createLogger('auth', config.logLevel);
  const { signingKey, jwks } = loadSigningKeys(config, logger);

  const redis = createRedis(config.redis, logger);
  const sequelize = createSequelize(config.mysql.url, logger);
  const ses = overrides.ses ?? createSes(config.ses);
  const participants = createParticipants(sequelize);
  const verification = createVerification({
    store: createCodeStore(redis, codeStoreSettings(config)),
    hasher: createHasher(config.codes.secret),
    delivery: createCodeDelivery(createMailer(ses, config.ses.from), createSendBudget(redis, config.ses.sendBudget)),
    participants,
    signingKey,
    adminEmails: config.adminEmails,
    codeTtlSeconds: config.codes.ttlSeconds,
    resendCooldownSeconds: config.throttle.cooldownSeconds,
    sendTimeoutMs: config.throttle.sendTimeoutMs,
    tokenTtlSeconds: config.tokens.ttlSeconds,
    logger,
  });

  const ready = async (): Promise<boolean> => {
    try {
      await Promise.all([redis.ping(), sequelize.query('SELECT 1')]);
      return true;
    } catch {
      return false;
    }
  };

  const authenticate = createServiceAuthenticator(trustedCallers(config.serviceTrust));
  const server = createGrpcServer({ ...config.grpc, logger, authenticate });
  server.add(
    'fcfs.v1.AuthService',
    AuthServiceService,
    authHandlers({ verification, participants, adminEmails: config.adminEmails, jwksJson: JSON.stringify(jwks) }),
    AUTH_ACCESS,
  );
  const closeClients = async (): Promise<void> => {
    ses.destroy();
    await Promise.allSettled([redis.quit(), sequelize.close()]);
  };
  const metricsOptions = overrides.metrics === false ? undefined : { ...config.metrics, logger, readiness: ready };
  const { grpcPort, metrics } = await startListening(server, metricsOptions, closeClients);

  let stopping: Promise<void> | undefined;
  return {
    name: 'auth',
    grpcPort,
    metricsPort: metrics?.port,
    jwks,
    ready,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await metrics?.close();
        await closeClients();
      })();
      return stopping;
    },
  };
}
