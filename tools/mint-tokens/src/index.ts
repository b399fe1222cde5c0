export { mintSessionTokens, type MintedToken } from './mint';
