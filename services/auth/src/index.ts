export { startAuth, type AuthOverrides, type RunningAuth } from './app';
export { configSchema, loadServiceConfig, type AuthConfig } from './config';
export { checkEmail, parseEmail } from './email-address';
export { generatePrivateJwk, publicJwks, resolveSigningKeys, type SigningKey } from './keys';
// For the operator's token-minting tool (tools/mint-tokens), which signs as the service does.
export { createParticipants } from './participants';
export { roleOf, signSessionToken } from './session-tokens';
