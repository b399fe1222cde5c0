export { startAuth, type AuthOverrides, type RunningAuth } from './app';
export { configSchema, loadServiceConfig, type AuthConfig } from './config';
export { mintSessionTokens, type MintedToken } from './mint';
export { checkEmail, parseEmail } from './email-address';
export { publicJwks, resolveSigningKeys, type SigningKey } from './keys';
