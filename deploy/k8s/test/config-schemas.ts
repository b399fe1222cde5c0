// Each part's `configSchema` (zod), read the way the part reads it, to check the manifests against.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { z } from 'zod';
import { ROOT, type Part, type SecretValues } from './manifests';

export interface PartConfig {
  schema: z.ZodType;
  /** Every variable the schema reads (the keys of its object, under any transform). */
  keys: string[];
  /** Variables with no default: the part cannot start without them. */
  required: string[];
  /** Variables whose development default points at this machine (127.0.0.1, localhost): wrong in a pod. */
  localDefaults: string[];
}

/** The object schema under any `.transform()` / `.pipe()` (zod 4: a pipe's `in`). */
function objectOf(schema: z.ZodType, where: string): z.ZodObject {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- zod internals (def.type, def.in)
  let current: any = schema;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (current.def?.type === 'object') return current as z.ZodObject;
    current = current.def?.in;
  }
  throw new Error(`${where}: configSchema is not a zod object (or a transform of one)`);
}

export function loadPartConfig(part: Part): PartConfig {
  const file = join(ROOT, part.dir, 'src/config.ts');
  const schema = (require(file) as { configSchema?: z.ZodType }).configSchema;
  if (!schema) throw new Error(`${part.dir}/src/config.ts does not export configSchema`);
  const shape = objectOf(schema, `${part.dir}/src/config.ts`).shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const required: string[] = [];
  const localDefaults: string[] = [];
  for (const key of keys) {
    const fallback = shape[key]!.safeParse(undefined);
    if (!fallback.success) required.push(key);
    else if (/127\.0\.0\.1|localhost/.test(JSON.stringify(fallback.data) ?? '')) localDefaults.push(key);
  }
  return { schema, keys, required, localDefaults };
}

/** A development default the schema would use for `key` when the manifests leave it unset. */
export function defaultOf(config: PartConfig, key: string): unknown {
  const shape = objectOf(config.schema, 'config').shape as Record<string, z.ZodType>;
  const result = shape[key]?.safeParse(undefined);
  return result?.success ? result.data : undefined;
}

let jwks: string | undefined;
let servicePrivateKey: string | undefined;
let servicePublicKeys: string | undefined;

/**
 * Well-formed stand-ins for Secret values (Secrets are never committed): a real Ed25519 private
 * JWK for the signing keys, an Ed25519 PEM and a JSON map of public keys for the service tokens,
 * a long URL-safe string for everything else.
 */
export const placeholderSecrets: SecretValues = (secret, key) => {
  if (secret.startsWith('fcfs-service-token')) {
    if (servicePrivateKey === undefined || servicePublicKeys === undefined) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      servicePrivateKey = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const jwk = publicKey.export({ format: 'jwk' });
      servicePublicKeys = JSON.stringify({ bff: jwk, event: jwk, issuer: jwk, ops: jwk });
    }
    if (key === 'private-key') return servicePrivateKey;
    if (key === 'public-keys') return servicePublicKeys;
  }
  if (/jwt|signing/i.test(key)) {
    if (jwks === undefined) {
      const { privateKey } = generateKeyPairSync('ed25519');
      jwks = JSON.stringify([{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key' }]);
    }
    return jwks;
  }
  return `placeholder-${secret}-${key}-0123456789abcdef`.replace(/[^A-Za-z0-9-]/g, '-');
};
